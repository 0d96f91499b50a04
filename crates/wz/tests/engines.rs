//! Engine selection through `RuntimeConfig`: the default is the JIT where it runs, and every
//! configuration gives the same results and traps.

use wz::{BoundsChecks, ErrorKind, Runtime, RuntimeConfig, TrapCode, Val};

const MODULE: &str = r#"(module
  (memory 1)
  (func (export "sum") (param i32) (result i64) (local i64)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#;

fn configs() -> Vec<(&'static str, RuntimeConfig)> {
    vec![
        ("default", RuntimeConfig::new()),
        ("interp", RuntimeConfig::interpreter()),
        ("jit", RuntimeConfig::compiler()),
        (
            "jit-explicit",
            RuntimeConfig::compiler().with_bounds_checks(BoundsChecks::Explicit),
        ),
    ]
}

#[test]
fn default_engine_is_the_jit_where_it_runs() {
    let expected = if cfg!(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        "jit"
    } else {
        "interp"
    };
    assert_eq!(Runtime::new().engine_name(), expected);
    assert_eq!(
        Runtime::with_config(RuntimeConfig::new())
            .unwrap()
            .engine_name(),
        expected
    );
    assert_eq!(
        Runtime::with_config(RuntimeConfig::interpreter())
            .unwrap()
            .engine_name(),
        "interp"
    );
}

#[test]
fn every_engine_agrees() {
    for (name, config) in configs() {
        let Ok(runtime) = Runtime::with_config(config) else {
            assert_eq!(name, "jit", "only the JIT may be unavailable");
            continue;
        };
        let module = runtime.instantiate(MODULE.as_bytes()).unwrap();
        let sum = module.exported_function("sum").unwrap();
        let sum = sum.typed::<i32, i64>().unwrap();
        assert_eq!(sum.call(100_000).unwrap(), 5_000_050_000, "{name}");
        let load = module.exported_function("load").unwrap();
        let err = load.call_values(&[Val::I32(65_533)]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Trap(TrapCode::MemoryOutOfBounds)),
            "{name}: {err}"
        );
        // The runtime stays usable after the trap.
        let ok = load.call_values(&[Val::I32(65_532)]).unwrap();
        assert_eq!(ok, vec![Val::I32(0)], "{name}");
    }
}

/// Loops whose exit test is at the top and which close with `br` (the interpreter turns
/// the `br` into the negated test): every comparison kind, zero, one and many iterations,
/// against the same loops computed in Rust.
#[test]
fn top_tested_loops_count_right() {
    let wat = r#"(module
      (func (export "i32_lt_s") (param i32 i32) (result i32) (local $n i32)
        (block $done (loop $next
          (br_if $done (i32.ge_s (local.get 0) (local.get 1)))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $next)))
        (local.get $n))
      (func (export "i64_ne") (param i32 i32) (result i32) (local $n i32) (local $x i64)
        (local.set $x (i64.extend_i32_s (local.get 0)))
        (block $done (loop $next
          (br_if $done (i64.eq (local.get $x) (i64.extend_i32_s (local.get 1))))
          (local.set $x (i64.add (local.get $x) (i64.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $next)))
        (local.get $n))
      (func (export "eqz") (param i32 i32) (result i32) (local $n i32)
        (block $done (loop $next
          (br_if $done (i32.eqz (i32.lt_u (local.get 0) (local.get 1))))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $next)))
        (local.get $n)))"#;
    for (name, config) in configs() {
        let Ok(runtime) = Runtime::with_config(config) else {
            continue;
        };
        let module = runtime.instantiate(wat.as_bytes()).unwrap();
        for (export, reference) in [
            (
                "i32_lt_s",
                (|a: i32, b: i32| (b - a).max(0)) as fn(i32, i32) -> i32,
            ),
            ("i64_ne", |a, b| if b >= a { b - a } else { -1 }),
            (
                "eqz",
                |a, b| if (a as u32) < (b as u32) { b - a } else { 0 },
            ),
        ] {
            let f = module
                .exported_function(export)
                .unwrap()
                .typed::<(i32, i32), i32>()
                .unwrap();
            for (a, b) in [(0, 0), (0, 1), (3, 2), (-5, 7), (10, 1000)] {
                if reference(a, b) < 0 {
                    continue; // i64_ne would count past the end: not a case here
                }
                assert_eq!(
                    f.call((a, b)).unwrap(),
                    reference(a, b),
                    "{name} {export}({a}, {b})"
                );
            }
        }
    }
}
