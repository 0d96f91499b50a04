//! Instructions that read an operand from the interpreter's accumulator (the previous
//! instruction's result, passed in a register): fused pairs taking their first operand from
//! there while their second half reads its own slots, and the instruction after a pair
//! reading the pair's last result. Checked against a model here, on every engine (the
//! lowering of each function is noted next to it).

#[path = "support/engines.rs"]
mod support;
use support::engines;
use wz::Runtime;

const WAT: &str = r#"
(module
  (memory 1)
  ;; i32.add+i32.store taking the add's first operand from the xor before it.
  (func (export "add_store") (param $p i32) (param $a i32) (param $b i32) (param $c i32) (result i32)
    (i32.store (local.get $p) (i32.add (i32.xor (local.get $a) (local.get $b)) (local.get $c)))
    (i32.load (local.get $p)))
  ;; f64.add+f64.store likewise, after a division.
  (func (export "f64_add_store") (param $p i32) (param $a f64) (param $b f64) (param $c f64) (result f64)
    (f64.store (local.get $p) (f64.add (f64.div (local.get $a) (local.get $b)) (local.get $c)))
    (f64.load (local.get $p)))
  ;; f64.load+f64.mul whose address comes from the xor before it, then an add of the product.
  (func (export "load_mul") (param $p i32) (param $k i32) (param $x f64) (param $y f64) (result f64)
    (f64.store (i32.const 64) (local.get $x))
    (f64.add (f64.mul (f64.load offset=8 (i32.xor (local.get $p) (local.get $k))) (local.get $y)) (local.get $x)))
  ;; i32.load8_u+br_if_eqz with a computed address.
  (func (export "load_br") (param $p i32) (param $k i32) (result i32)
    (i32.store8 (i32.const 32) (i32.const 9))
    (block $zero
      (br_if $zero (i32.eqz (i32.load8_u (i32.xor (local.get $p) (local.get $k)))))
      (return (i32.const 1)))
    (i32.const 0))
  ;; i32.add+br_i32.lt_s whose add reads the xor before it; the loop's result after it.
  (func (export "add_branch") (param $n i32) (param $k i32) (result i32) (local $i i32) (local $s i32)
    (loop $next
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (br_if $next (i32.lt_s (local.tee $i (i32.add (i32.xor (local.get $i) (local.get $k)) (i32.const 1))) (local.get $n))))
    (i32.mul (i32.add (local.get $s) (local.get $i)) (i32.const 3)))
)
"#;

#[test]
fn operands_from_the_accumulator_are_the_previous_results() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let m = runtime.instantiate(WAT.as_bytes()).unwrap();
        let f = |name: &str| m.exported_function(name).unwrap();
        let add_store = f("add_store").typed::<(i32, i32, i32, i32), i32>().unwrap();
        let f64_add_store = f("f64_add_store")
            .typed::<(i32, f64, f64, f64), f64>()
            .unwrap();
        let load_mul = f("load_mul").typed::<(i32, i32, f64, f64), f64>().unwrap();
        let load_br = f("load_br").typed::<(i32, i32), i32>().unwrap();
        let add_branch = f("add_branch").typed::<(i32, i32), i32>().unwrap();
        for (a, b, c) in [(1, 2, 3), (0x1234, 0xff, -7), (i32::MAX, 1, 1000)] {
            let what = format!("{engine}: a={a} b={b} c={c}");
            // xor; add+store (the add's first operand from the xor): the store goes to p.
            let sum = (a ^ b).wrapping_add(c);
            assert_eq!(add_store.call((16, a, b, c)).unwrap(), sum, "{what}");
            assert_eq!(add_store.call((200, a, b, c)).unwrap(), sum, "{what}");
            let (x, y, z) = (a as f64, b as f64, c as f64);
            let q = x / y + z;
            assert_eq!(f64_add_store.call((24, x, y, z)).unwrap(), q, "{what}");
        }
        for (x, y) in [(1.5, 2.0), (-3.0, 0.25)] {
            // The value stored at 64 is loaded back from 8 + (p ^ k) = 64.
            let r = load_mul.call((56, 0, x, y)).unwrap();
            assert_eq!(r, x * y + x, "{engine}: x={x} y={y}");
            let r = load_mul.call((48, 8, x, y)).unwrap();
            assert_eq!(r, x * y + x, "{engine}: x={x} y={y}");
        }
        // Byte 32 is 9, byte 33 is 0.
        assert_eq!(load_br.call((32, 0)).unwrap(), 1, "{engine}");
        assert_eq!(load_br.call((33, 0)).unwrap(), 0, "{engine}");
        assert_eq!(load_br.call((1, 33)).unwrap(), 1, "{engine}");
        for (n, k) in [(10, 0), (100, 3), (1000, 0x55)] {
            let (mut i, mut s) = (0i32, 0i32);
            loop {
                s = s.wrapping_add(i);
                i = (i ^ k).wrapping_add(1);
                if i >= n {
                    break;
                }
            }
            let expected = s.wrapping_add(i).wrapping_mul(3);
            assert_eq!(
                add_branch.call((n, k)).unwrap(),
                expected,
                "{engine}: n={n} k={k}"
            );
        }
    }
}
