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
