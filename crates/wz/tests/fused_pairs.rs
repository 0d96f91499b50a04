//! Frequent pairs of arithmetic instructions the interpreter runs in one dispatch
//! (`i32.mul+i32.add` and the like): the second reading the first's result (as its first
//! operand, its second, or both, which the interpreter forwards without the slot), the two
//! independent, and the second overwriting the first's operand; against a model here, on
//! every engine.

#[path = "support/engines.rs"]
mod support;
use support::engines;
use wz::Runtime;

/// (wasm type, first, second) for every fused pair.
const PAIRS: [(&str, &str, &str); 9] = [
    ("i32", "mul", "add"),
    ("i32", "add", "add"),
    ("i32", "add", "shl"),
    ("i32", "shl", "add"),
    ("i32", "rotl", "xor"),
    ("f64", "mul", "add"),
    ("f64", "mul", "sub"),
    ("f64", "mul", "mul"),
    ("f64", "sub", "mul"),
];

fn module() -> String {
    let mut wat = String::from("(module\n");
    for (t, first, second) in PAIRS {
        let name = format!("{t}_{first}_{second}");
        wat += &format!(
            r#"  ;; The second reads the first's result.
  (func (export "{name}_chain") (param $a {t}) (param $b {t}) (param $c {t}) (result {t})
    ({t}.{second} ({t}.{first} (local.get $a) (local.get $b)) (local.get $c)))
  ;; The second reads the first's result as its second operand.
  (func (export "{name}_rhs") (param $a {t}) (param $b {t}) (param $c {t}) (result {t})
    ({t}.{second} (local.get $c) ({t}.{first} (local.get $a) (local.get $b))))
  ;; The second reads the first's result twice.
  (func (export "{name}_both") (param $a {t}) (param $b {t}) (result {t}) (local $x {t})
    (local.set $x ({t}.{first} (local.get $a) (local.get $b)))
    ({t}.{second} (local.get $x) (local.get $x)))
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
    let engines = engines();
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
    for (engine, config) in engines {
        let runtime = Runtime::with_config(config).unwrap();
        let m = runtime.instantiate(wat.as_bytes()).unwrap();
        let mut checked = 0;
        for (t, first, second) in PAIRS {
            let name = format!("{t}_{first}_{second}");
            let f = |shape: &str| m.exported_function(&format!("{name}_{shape}")).unwrap();
            if t == "i32" {
                let chain = f("chain").typed::<(i32, i32, i32), i32>().unwrap();
                let apart = f("apart").typed::<(i32, i32, i32), (i32, i32)>().unwrap();
                let over = f("over").typed::<(i32, i32, i32), (i32, i32)>().unwrap();
                let rhs = f("rhs").typed::<(i32, i32, i32), i32>().unwrap();
                let both = f("both").typed::<(i32, i32), i32>().unwrap();
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
                        let r = i32_op(second, c, x);
                        assert_eq!(rhs.call((a, b, c)).unwrap(), r, "{what}");
                        let w = i32_op(second, x, x);
                        assert_eq!(both.call((a, b)).unwrap(), w, "{what}");
                        checked += 1;
                    }
                }
            } else {
                let chain = f("chain").typed::<(f64, f64, f64), f64>().unwrap();
                let apart = f("apart").typed::<(f64, f64, f64), (f64, f64)>().unwrap();
                let over = f("over").typed::<(f64, f64, f64), (f64, f64)>().unwrap();
                let rhs = f("rhs").typed::<(f64, f64, f64), f64>().unwrap();
                let both = f("both").typed::<(f64, f64), f64>().unwrap();
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
                        let r = rhs.call((a, b, c)).unwrap();
                        assert!(same(r, f64_op(second, c, x)), "{what}");
                        let w = both.call((a, b)).unwrap();
                        assert!(same(w, f64_op(second, x, x)), "{what}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 64 + 4 * 64);
    }
}
