//! Frequent pairs of arithmetic instructions the interpreter runs in one dispatch
//! (`i32.mul+i32.add` and the like): the second reading the first's result, the two
//! independent, and the second overwriting the first's operand; against a model here, on
//! every engine.

use wz::{Runtime, RuntimeConfig};

fn runtimes() -> Vec<Runtime> {
    [RuntimeConfig::interpreter(), RuntimeConfig::compiler()]
        .into_iter()
        .filter_map(|c| Runtime::with_config(c).ok())
        .collect()
}

/// (wasm type, first, second) for every fused pair.
const PAIRS: [(&str, &str, &str); 8] = [
    ("i32", "mul", "add"),
    ("i32", "add", "add"),
    ("i32", "add", "shl"),
    ("i32", "shl", "add"),
    ("i32", "rotl", "xor"),
    ("f64", "mul", "add"),
    ("f64", "mul", "sub"),
    ("f64", "mul", "mul"),
];

fn module() -> String {
    let mut wat = String::from("(module\n");
    for (t, first, second) in PAIRS {
        let name = format!("{t}_{first}_{second}");
        wat += &format!(
            r#"  ;; The second reads the first's result.
  (func (export "{name}_chain") (param $a {t}) (param $b {t}) (param $c {t}) (result {t})
    ({t}.{second} ({t}.{first} (local.get $a) (local.get $b)) (local.get $c)))
  ;; Independent: both results kept, returned combined by the model's rule (x, y).
  (func (export "{name}_apart") (param $a {t}) (param $b {t}) (param $c {t}) (result {t} {t})
    (local $x {t}) (local $y {t})
    (local.set $x ({t}.{first} (local.get $a) (local.get $b)))
    (local.set $y ({t}.{second} (local.get $c) (local.get $a)))
    (local.get $x) (local.get $y))
  ;; The second overwrites an operand of the first.
  (func (export "{name}_over") (param $a {t}) (param $b {t}) (param $c {t}) (result {t} {t})
    (local.set $c ({t}.{first} (local.get $a) (local.get $b)))
    (local.set $a ({t}.{second} (local.get $c) (local.get $b)))
    (local.get $a) (local.get $c))
"#
        );
    }
    wat + ")"
}

fn i32_op(op: &str, x: i32, y: i32) -> i32 {
    match op {
        "add" => x.wrapping_add(y),
        "mul" => x.wrapping_mul(y),
        "shl" => x.wrapping_shl(y as u32),
        "xor" => x ^ y,
        "rotl" => x.rotate_left(y as u32),
        _ => unreachable!(),
    }
}

fn f64_op(op: &str, x: f64, y: f64) -> f64 {
    match op {
        "add" => x + y,
        "sub" => x - y,
        "mul" => x * y,
        _ => unreachable!(),
    }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn fused_pairs_compute_what_the_two_instructions_do() {
    let wat = module();
    let engines = runtimes();
    assert!(!engines.is_empty());
    let ints = [0, 1, -1, 7, 33, i32::MAX, i32::MIN, 0x1234_5678];
    let floats = [
        0.0,
        -0.0,
        1.5,
        -3.25,
        f64::INFINITY,
        f64::NAN,
        1e300,
        f64::MIN_POSITIVE,
    ];
    for runtime in engines {
        let engine = runtime.engine_name();
        let m = runtime.instantiate(wat.as_bytes()).unwrap();
        let mut checked = 0;
        for (t, first, second) in PAIRS {
            let name = format!("{t}_{first}_{second}");
            let f = |shape: &str| m.exported_function(&format!("{name}_{shape}")).unwrap();
            if t == "i32" {
                let chain = f("chain").typed::<(i32, i32, i32), i32>().unwrap();
                let apart = f("apart").typed::<(i32, i32, i32), (i32, i32)>().unwrap();
                let over = f("over").typed::<(i32, i32, i32), (i32, i32)>().unwrap();
                for a in ints {
                    for b in ints {
                        let c = a ^ 0x55;
                        let what = format!("{engine}: {name} a={a} b={b} c={c}");
                        let x = i32_op(first, a, b);
                        assert_eq!(
                            chain.call((a, b, c)).unwrap(),
                            i32_op(second, x, c),
                            "{what}"
                        );
                        let y = i32_op(second, c, a);
                        assert_eq!(apart.call((a, b, c)).unwrap(), (x, y), "{what}");
                        let z = i32_op(second, x, b);
                        assert_eq!(over.call((a, b, c)).unwrap(), (z, x), "{what}");
                        checked += 1;
                    }
                }
            } else {
                let chain = f("chain").typed::<(f64, f64, f64), f64>().unwrap();
                let apart = f("apart").typed::<(f64, f64, f64), (f64, f64)>().unwrap();
                let over = f("over").typed::<(f64, f64, f64), (f64, f64)>().unwrap();
                for a in floats {
                    for b in floats {
                        let c = b - 0.5;
                        let what = format!("{engine}: {name} a={a} b={b} c={c}");
                        let x = f64_op(first, a, b);
                        assert!(
                            same(chain.call((a, b, c)).unwrap(), f64_op(second, x, c)),
                            "{what}"
                        );
                        let (gx, gy) = apart.call((a, b, c)).unwrap();
                        assert!(same(gx, x) && same(gy, f64_op(second, c, a)), "{what}");
                        let (gz, gx) = over.call((a, b, c)).unwrap();
                        assert!(same(gz, f64_op(second, x, b)) && same(gx, x), "{what}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 64 + 3 * 64);
    }
}

/// Pairs with a memory access or a branch, and their traps: byte `i` of memory is
/// `i * 7 + 3` (mod 256) after `init`; addresses near the end of the one page trap.
const MEMORY_PAIRS: &str = r#"(module
  (memory 1)
  (func (export "init")
    (local $i i32)
    (loop $fill
      (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536)))))
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

fn byte(addr: u64) -> Option<i32> {
    (addr < 65536).then(|| (addr as u32).wrapping_mul(7).wrapping_add(3) as u8 as i32)
}

fn bytes(addr: u64, n: u64) -> Option<u64> {
    (addr + n <= 65536).then(|| {
        (0..n)
            .rev()
            .fold(0, |v, i| v << 8 | byte(addr + i).unwrap() as u64)
    })
}

#[test]
fn memory_and_branch_pairs_load_store_branch_and_trap_like_wasm() {
    let addrs: [u32; 7] = [0, 5, 1000, 65520, 65527, 65535, 0xffff_fff0];
    for runtime in runtimes() {
        let engine = runtime.engine_name();
        let m = runtime.instantiate(MEMORY_PAIRS.as_bytes()).unwrap();
        m.exported_function("init")
            .unwrap()
            .typed::<(), ()>()
            .unwrap()
            .call(())
            .unwrap();
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
            let want = bytes(a + 8, 8).map(|v| f64::from_bits(v) * 2.0);
            let got = load_mul.call((p as i32, 2.0)).ok();
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "load_mul {what}"
            );
            let want = bytes(a, 8).map(|_| 3.5);
            assert_eq!(
                add_store.call((p as i32, 1.25, 2.25)).ok(),
                want,
                "add_store {what}"
            );
            let want = bytes(a, 4).map(|_| -7);
            assert_eq!(
                add_store32.call((p as i32, 5, -12)).ok(),
                want,
                "add_store32 {what}"
            );
        }
        // The stores above changed some bytes; put the pattern back for the byte checks.
        m.exported_function("init")
            .unwrap()
            .typed::<(), ()>()
            .unwrap()
            .call(())
            .unwrap();
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
