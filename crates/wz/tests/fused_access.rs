//! Memory accesses whose address the interpreter's lowering fuses into the access
//! (`base + index`, `index << log2(width)`), and fused pairs with a memory access or a branch
//! (`f64.load+f64.mul`, `load8_u.sum+br_i32.eq`, ...): every engine must give wasm's results
//! exactly, including addresses that wrap around 2^32 and accesses that end just inside or
//! just past the memory. Expectations come from a model of memory here, not from an engine.

#[path = "support/engines.rs"]
mod support;
use support::engines;
use wz::{Module, Runtime};

const PAGE: u64 = 65536;

/// Each engine with the module of this file, its memory filled by `init`.
fn instances() -> Vec<(&'static str, Module)> {
    let engines = engines();
    assert!(!engines.is_empty());
    engines
        .into_iter()
        .map(|(engine, config)| {
            let module = Runtime::with_config(config)
                .unwrap()
                .instantiate(WAT.as_bytes())
                .unwrap();
            init(&module);
            (engine, module)
        })
        .collect()
}

/// Fills memory with the pattern `model` describes.
fn init(module: &Module) {
    module
        .exported_function("init")
        .unwrap()
        .typed::<(), ()>()
        .unwrap()
        .call(())
        .unwrap();
}

const WAT: &str = r#"(module
  (memory 1)
  (func (export "init")
    (local $i i32)
    (loop $fill
      (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536)))))
  (func (export "load32_sum") (param i32 i32) (result i32)
    (i32.load (i32.add (local.get 0) (local.get 1))))
  (func (export "f32_sum") (param i32 i32) (result f32)
    (f32.load (i32.add (local.get 0) (local.get 1))))
  (func (export "load32u_sum") (param i32 i32) (result i64)
    (i64.load32_u (i32.add (local.get 0) (local.get 1))))
  (func (export "load64_sum") (param i32 i32) (result i64)
    (i64.load (i32.add (local.get 0) (local.get 1))))
  (func (export "f64_sum") (param i32 i32) (result f64)
    (f64.load (i32.add (local.get 0) (local.get 1))))
  (func (export "load8_sum") (param i32 i32) (result i32)
    (i32.load8_u (i32.add (local.get 0) (local.get 1))))
  (func (export "load8_64_sum") (param i32 i32) (result i64)
    (i64.load8_u (i32.add (local.get 0) (local.get 1))))
  (func (export "store32_sum") (param i32 i32 i32)
    (i32.store (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "store64_sum") (param i32 i32 i64)
    (i64.store (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "store8_sum") (param i32 i32 i32)
    (i32.store8 (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "load32_scaled") (param i32) (result i32)
    (i32.load offset=8 (i32.shl (local.get 0) (i32.const 2))))
  (func (export "load32_scaled34") (param i32) (result i32)
    (i32.load (i32.shl (local.get 0) (i32.const 34))))
  (func (export "load64_scaled") (param i32) (result i64)
    (i64.load offset=16 (i32.shl (local.get 0) (i32.const 3))))
  (func (export "store32_scaled") (param i32 i32)
    (i32.store offset=4 (i32.shl (local.get 0) (i32.const 2)) (local.get 1)))
  (func (export "store64_scaled") (param i32 i64)
    (i64.store (i32.shl (local.get 0) (i32.const 3)) (local.get 1)))
  (func (export "read32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "read64") (param i32) (result i64) (i64.load (local.get 0)))
  ;; f64.load+f64.mul
  (func (export "load_mul") (param $p i32) (param $x f64) (result f64)
    (f64.mul (f64.load offset=8 (local.get $p)) (local.get $x)))
  ;; f64.add+f64.store, then read back
  (func (export "add_store") (param $p i32) (param $a f64) (param $b f64) (result f64)
    (f64.store (local.get $p) (f64.add (local.get $a) (local.get $b)))
    (f64.load (local.get $p)))
  ;; i32.add+i32.store, then read back
  (func (export "add_store32") (param $p i32) (param $a i32) (param $b i32) (result i32)
    (i32.store (local.get $p) (i32.add (local.get $a) (local.get $b)))
    (i32.load (local.get $p)))
  ;; i32.load8_u+i32.add
  (func (export "load8_add") (param $p i32) (param $x i32) (result i32)
    (i32.add (i32.load8_u offset=3 (local.get $p)) (local.get $x)))
  ;; i32.load8_u+br_if_eqz: 100 if the byte is zero, else the byte
  (func (export "load8_eqz") (param $p i32) (result i32)
    (local $b i32)
    (block $zero
      (br_if $zero (i32.eqz (local.tee $b (i32.load8_u (local.get $p)))))
      (return (local.get $b)))
    (i32.const 100))
  ;; load8_u.sum+load8_u.sum
  (func (export "two_bytes") (param $p i32) (param $q i32) (param $r i32) (result i32)
    (i32.add
      (i32.load8_u (i32.add (local.get $p) (local.get $q)))
      (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $r))) (i32.const 8))))
  ;; load8_u.sum+br_i32.eq: 1 if the byte at p + q equals c, else 0
  (func (export "byte_is") (param $p i32) (param $q i32) (param $c i32) (result i32)
    (block $yes
      (br_if $yes (i32.eq (i32.load8_u (i32.add (local.get $p) (local.get $q))) (local.get $c)))
      (return (i32.const 0)))
    (i32.const 1)))"#;

/// Memory as `init` leaves it.
fn pattern(addr: u64) -> u8 {
    (addr as u32).wrapping_mul(7).wrapping_add(3) as u8
}

/// The little-endian value of `n` bytes at `ea`, or `None` when they are not all inside.
fn model(ea: u64, n: u64) -> Option<u64> {
    (ea + n <= PAGE).then(|| (0..n).rev().fold(0, |v, i| v << 8 | pattern(ea + i) as u64))
}

/// The byte at `ea` as an i32, or `None` outside the memory.
fn byte(ea: u64) -> Option<i32> {
    model(ea, 1).map(|v| v as i32)
}

const ADDRS: [u32; 10] = [
    0,
    1,
    1200,
    65528,
    65532,
    65535,
    65536,
    0x8000_0000,
    0xffff_fffc,
    0xffff_ffff,
];

#[test]
fn summed_addresses_wrap_and_trap_like_wasm() {
    for (engine, m) in instances() {
        let f = |name: &str| m.exported_function(name).unwrap();
        let l32 = f("load32_sum").typed::<(i32, i32), i32>().unwrap();
        let f32s = f("f32_sum").typed::<(i32, i32), f32>().unwrap();
        let l32u = f("load32u_sum").typed::<(i32, i32), i64>().unwrap();
        let l64 = f("load64_sum").typed::<(i32, i32), i64>().unwrap();
        let f64s = f("f64_sum").typed::<(i32, i32), f64>().unwrap();
        let l8 = f("load8_sum").typed::<(i32, i32), i32>().unwrap();
        let l8_64 = f("load8_64_sum").typed::<(i32, i32), i64>().unwrap();
        let mut checked = 0;
        for a in ADDRS {
            for b in ADDRS {
                let ea = a.wrapping_add(b) as u64;
                let args = (a as i32, b as i32);
                let what = format!("{engine}: {a:#x} + {b:#x}");
                let m4 = model(ea, 4);
                assert_eq!(l32.call(args).ok(), m4.map(|v| v as i32), "load32 {what}");
                assert_eq!(
                    f32s.call(args).ok().map(f32::to_bits),
                    m4.map(|v| v as u32),
                    "f32 {what}"
                );
                assert_eq!(
                    l32u.call(args).ok(),
                    m4.map(|v| v as i64),
                    "load32_u {what}"
                );
                let m8 = model(ea, 8);
                assert_eq!(l64.call(args).ok(), m8.map(|v| v as i64), "load64 {what}");
                assert_eq!(f64s.call(args).ok().map(f64::to_bits), m8, "f64 {what}");
                let m1 = model(ea, 1);
                assert_eq!(l8.call(args).ok(), m1.map(|v| v as i32), "load8 {what}");
                assert_eq!(
                    l8_64.call(args).ok(),
                    m1.map(|v| v as i64),
                    "load8 i64 {what}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, ADDRS.len() * ADDRS.len());
    }
}

#[test]
fn summed_stores_write_where_wasm_says() {
    for (engine, m) in instances() {
        let f = |name: &str| m.exported_function(name).unwrap();
        let s32 = f("store32_sum").typed::<(i32, i32, i32), ()>().unwrap();
        let s64 = f("store64_sum").typed::<(i32, i32, i64), ()>().unwrap();
        let s8 = f("store8_sum").typed::<(i32, i32, i32), ()>().unwrap();
        let r32 = f("read32").typed::<i32, i32>().unwrap();
        let r64 = f("read64").typed::<i32, i64>().unwrap();
        for a in ADDRS {
            for b in ADDRS {
                let ea = a.wrapping_add(b) as u64;
                let what = format!("{engine}: {a:#x} + {b:#x}");
                let ok = s32.call((a as i32, b as i32, 0x1234_5678)).is_ok();
                assert_eq!(ok, ea + 4 <= PAGE, "store32 {what}");
                if ok {
                    assert_eq!(r32.call(ea as i32).unwrap(), 0x1234_5678, "{what}");
                }
                let wide = s64.call((a as i32, b as i32, -2)).is_ok();
                assert_eq!(wide, ea + 8 <= PAGE, "store64 {what}");
                if wide {
                    assert_eq!(r64.call(ea as i32).unwrap(), -2, "{what}");
                }
                let ok = s8.call((a as i32, b as i32, 0x1ab)).is_ok();
                assert_eq!(ok, ea < PAGE, "store8 {what}");
                if ok && ea + 4 <= PAGE {
                    // Only the low byte is written; the next three bytes are those of the
                    // 64-bit store above, or of the 32-bit one where that did not fit.
                    let rest = if wide { 0xffff_ff00 } else { 0x1234_5600 };
                    assert_eq!(r32.call(ea as i32).unwrap() as u32, rest | 0xab, "{what}");
                }
            }
        }
    }
}

#[test]
fn scaled_addresses_wrap_and_keep_their_offset() {
    let indexes: [u32; 8] = [
        0,
        1,
        16381,
        16382,
        8189,
        0x4000_0001,
        0x2000_0001,
        0xffff_ffff,
    ];
    for (engine, m) in instances() {
        let f = |name: &str| m.exported_function(name).unwrap();
        let l32 = f("load32_scaled").typed::<i32, i32>().unwrap();
        let l32x = f("load32_scaled34").typed::<i32, i32>().unwrap();
        let l64 = f("load64_scaled").typed::<i32, i64>().unwrap();
        for i in indexes {
            let what = format!("{engine}: index {i:#x}");
            let ea4 = (i << 2) as u64;
            let ea8 = (i << 3) as u64;
            let got = l32.call(i as i32).ok();
            assert_eq!(got, model(ea4 + 8, 4).map(|v| v as i32), "load32 {what}");
            let got = l32x.call(i as i32).ok();
            assert_eq!(got, model(ea4, 4).map(|v| v as i32), "shift 34 {what}");
            let got = l64.call(i as i32).ok();
            assert_eq!(got, model(ea8 + 16, 8).map(|v| v as i64), "load64 {what}");
        }
        let s32 = f("store32_scaled").typed::<(i32, i32), ()>().unwrap();
        let s64 = f("store64_scaled").typed::<(i32, i64), ()>().unwrap();
        let r32 = f("read32").typed::<i32, i32>().unwrap();
        let r64 = f("read64").typed::<i32, i64>().unwrap();
        for i in indexes {
            let what = format!("{engine}: index {i:#x}");
            let ea = (i << 2) as u64 + 4;
            let ok = s32.call((i as i32, 77)).is_ok();
            assert_eq!(ok, ea + 4 <= PAGE, "store32 {what}");
            if ok {
                assert_eq!(r32.call(ea as i32).unwrap(), 77, "{what}");
            }
            let ea = (i << 3) as u64;
            let ok = s64.call((i as i32, 1 << 40)).is_ok();
            assert_eq!(ok, ea + 8 <= PAGE, "store64 {what}");
            if ok {
                assert_eq!(r64.call(ea as i32).unwrap(), 1 << 40, "{what}");
            }
        }
    }
}

#[test]
fn memory_and_branch_pairs_load_store_branch_and_trap_like_wasm() {
    let addrs: [u32; 7] = [0, 5, 1000, 65520, 65527, 65535, 0xffff_fff0];
    for (engine, m) in instances() {
        let f = |name: &str| m.exported_function(name).unwrap();
        let load_mul = f("load_mul").typed::<(i32, f64), f64>().unwrap();
        let add_store = f("add_store").typed::<(i32, f64, f64), f64>().unwrap();
        let add_store32 = f("add_store32").typed::<(i32, i32, i32), i32>().unwrap();
        let load8_add = f("load8_add").typed::<(i32, i32), i32>().unwrap();
        let load8_eqz = f("load8_eqz").typed::<i32, i32>().unwrap();
        let two_bytes = f("two_bytes").typed::<(i32, i32, i32), i32>().unwrap();
        let byte_is = f("byte_is").typed::<(i32, i32, i32), i32>().unwrap();
        for p in addrs {
            let what = format!("{engine}: p={p:#x}");
            let a = p as u64;
            let want = model(a + 8, 8).map(|v| f64::from_bits(v) * 2.0);
            let got = load_mul.call((p as i32, 2.0)).ok();
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "load_mul {what}"
            );
            let want = model(a, 8).map(|_| 3.5);
            assert_eq!(
                add_store.call((p as i32, 1.25, 2.25)).ok(),
                want,
                "add_store {what}"
            );
            let want = model(a, 4).map(|_| -7);
            assert_eq!(
                add_store32.call((p as i32, 5, -12)).ok(),
                want,
                "add_store32 {what}"
            );
        }
        // The stores above changed some bytes; put the pattern back for the byte checks.
        init(&m);
        for p in addrs {
            let what = format!("{engine}: p={p:#x}");
            let a = p as u64;
            let want = byte(a + 3).map(|b| b + 10);
            assert_eq!(
                load8_add.call((p as i32, 10)).ok(),
                want,
                "load8_add {what}"
            );
            let want = byte(a).map(|b| if b == 0 { 100 } else { b });
            assert_eq!(load8_eqz.call(p as i32).ok(), want, "load8_eqz {what}");
            for (q, r) in [(0, 1), (7, 0x10), (0x10, 0xffff_fff0)] {
                let (eq, er) = (p.wrapping_add(q) as u64, p.wrapping_add(r) as u64);
                let want = byte(eq).zip(byte(er)).map(|(x, y)| x + (y << 8));
                let got = two_bytes.call((p as i32, q as i32, r as i32)).ok();
                assert_eq!(got, want, "two_bytes {what} q={q:#x} r={r:#x}");
                if let Some(b) = byte(eq) {
                    for c in [b, b ^ 1] {
                        let got = byte_is.call((p as i32, q as i32, c)).unwrap();
                        assert_eq!(got, (c == b) as i32, "byte_is {what} q={q:#x} c={c}");
                    }
                } else {
                    assert!(byte_is.call((p as i32, q as i32, 0)).is_err(), "{what}");
                }
            }
        }
        // The first address whose byte is zero (i * 7 + 3 = 0 mod 256).
        let zero = (0u32..256).find(|i| byte(*i as u64) == Some(0)).unwrap();
        assert_eq!(load8_eqz.call(zero as i32).unwrap(), 100, "{engine}");
    }
}
