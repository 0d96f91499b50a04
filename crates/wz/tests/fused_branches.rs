//! Loops whose counter step (`i32.add`) is followed by the exit test: the interpreter runs the
//! two as one instruction. Every comparison, taken and not taken, with wrapping steps, and a
//! test that is also a loop head (reached both through the fused pair and directly), against a
//! model here; run on every engine.

#[path = "support/engines.rs"]
mod support;
use support::engines;
use wz::Runtime;

const CMPS: [&str; 10] = [
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
];

fn holds(cmp: &str, x: i32, y: i32) -> bool {
    let (ux, uy) = (x as u32, y as u32);
    match cmp {
        "eq" => x == y,
        "ne" => x != y,
        "lt_s" => x < y,
        "lt_u" => ux < uy,
        "gt_s" => x > y,
        "gt_u" => ux > uy,
        "le_s" => x <= y,
        "le_u" => ux <= uy,
        "ge_s" => x >= y,
        "ge_u" => ux >= uy,
        "nez" => x != 0,
        "eqz" => x == 0,
        _ => unreachable!(),
    }
}

/// At most this many steps per call.
const BOUND: i32 = 40;

/// `do { c++; if c >= BOUND break; i += step } while (cmp(i, n))`, returning `i * 1000 + c`.
fn model(cmp: &str, mut i: i32, step: i32, n: i32) -> i32 {
    let mut c = 0;
    loop {
        c += 1;
        if c >= BOUND {
            break;
        }
        i = i.wrapping_add(step);
        if !holds(cmp, i, n) {
            break;
        }
    }
    i.wrapping_mul(1000).wrapping_add(c)
}

/// `i += step; while (!(i >= n as u32)) { c++; if c >= BOUND break; i += step }`.
fn model_head(mut i: i32, step: i32, n: i32) -> i32 {
    let mut c = 0;
    i = i.wrapping_add(step);
    while (i as u32) < n as u32 {
        c += 1;
        if c >= BOUND {
            break;
        }
        i = i.wrapping_add(step);
    }
    i.wrapping_mul(1000).wrapping_add(c)
}

fn module() -> String {
    let mut wat = String::from("(module\n");
    let tests = CMPS
        .iter()
        .map(|c| {
            (
                c.to_string(),
                format!("(i32.{c} (local.get $i) (local.get $n))"),
            )
        })
        .chain([
            ("nez".to_string(), "(local.get $i)".to_string()),
            ("eqz".to_string(), "(i32.eqz (local.get $i))".to_string()),
        ]);
    for (name, test) in tests {
        wat += &format!(
            r#"(func (export "{name}") (param $i i32) (param $step i32) (param $n i32) (result i32)
  (local $c i32)
  (block $done
    (loop $l
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $done (i32.ge_u (local.get $c) (i32.const {BOUND})))
      (local.set $i (i32.add (local.get $i) (local.get $step)))
      (br_if $l {test})))
  (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $c)))
"#
        );
    }
    wat += &format!(
        r#"(func (export "head") (param $i i32) (param $step i32) (param $n i32) (result i32)
  (local $c i32)
  (local.set $i (i32.add (local.get $i) (local.get $step)))
  (block $out
    (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $out (i32.ge_u (local.get $c) (i32.const {BOUND})))
      (local.set $i (i32.add (local.get $i) (local.get $step)))
      (br $l)))
  (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $c)))
)"#
    );
    wat
}

const VALUES: [i32; 7] = [0, 1, -1, 5, -7, i32::MAX, i32::MIN];

#[test]
fn counter_steps_with_exit_tests_run_like_wasm() {
    let wat = module();
    let engines = engines();
    assert!(!engines.is_empty());
    for (engine, config) in engines {
        let runtime = Runtime::with_config(config).unwrap();
        let m = runtime.instantiate(wat.as_bytes()).unwrap();
        let mut checked = 0;
        for name in CMPS.iter().copied().chain(["nez", "eqz"]) {
            let f = m
                .exported_function(name)
                .unwrap()
                .typed::<(i32, i32, i32), i32>()
                .unwrap();
            for i in VALUES {
                for step in [1, -1, 3, i32::MAX] {
                    for n in VALUES {
                        let got = f.call((i, step, n)).unwrap();
                        let want = model(name, i, step, n);
                        assert_eq!(got, want, "{engine}: {name} i={i} step={step} n={n}");
                        checked += 1;
                    }
                }
            }
        }
        let head = m
            .exported_function("head")
            .unwrap()
            .typed::<(i32, i32, i32), i32>()
            .unwrap();
        for i in VALUES {
            for step in [1, 2, -3] {
                for n in VALUES {
                    let got = head.call((i, step, n)).unwrap();
                    assert_eq!(got, model_head(i, step, n), "{engine}: head i={i} n={n}");
                }
            }
        }
        assert_eq!(checked, 12 * 7 * 4 * 7);
    }
}
