//! Calls from the host, on every engine, with and without the JIT's resolved call target
//! (`Function`s of compiled code go straight to it unless the runtime polls for
//! interruption): results, traps, the runtime's state after them, signatures of every size,
//! functions that are host functions, and calls from several threads.

#[path = "support/engines.rs"]
mod support;

use support::engines;
use wz::{ErrorKind, Runtime, RuntimeConfig, TrapCode};

const MODULE: &str = r#"(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (export "host_twice" (func $twice))
  (global $calls (mut i32) (i32.const 0))
  (func (export "add1") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "via_host") (param i32) (result i32) (call $twice (local.get 0)))
  (func (export "sum6") (param i64 i64 i64 i64 i64 i64) (result i64)
    (i64.add (i64.add (i64.add (local.get 0) (local.get 1)) (i64.add (local.get 2) (local.get 3)))
      (i64.add (local.get 4) (local.get 5))))
  (func (export "spread") (param i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
      i32 i32 i32 i32 i32 i32 i32 i32)
    (local.get 0) (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5)
    (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.const 10) (i32.const 11)
    (i32.const 12) (i32.const 13) (i32.const 14) (i32.const 15) (i32.const 16) (i32.const 17)))"#;

/// Every engine, and the JIT again with interruption (calls take the general path).
fn configs() -> Vec<(String, RuntimeConfig)> {
    let mut v: Vec<(String, RuntimeConfig)> = engines()
        .into_iter()
        .map(|(name, config)| (name.to_string(), config))
        .collect();
    if Runtime::with_config(RuntimeConfig::compiler()).is_ok() {
        v.push((
            "jit-interruptible".into(),
            RuntimeConfig::compiler().with_interruption(true),
        ));
    }
    v
}

fn instantiate(config: RuntimeConfig) -> (Runtime, wz::Module) {
    let runtime = Runtime::with_config(config).unwrap();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|x: i32| x.wrapping_mul(2))
        .export("twice")
        .instantiate()
        .unwrap();
    let module = runtime.instantiate(MODULE.as_bytes()).unwrap();
    (runtime, module)
}

/// Export `name` of `module`, typed.
fn typed<P: wz::WasmParams, R: wz::WasmResults>(
    module: &wz::Module,
    name: &str,
) -> wz::TypedFunction<P, R> {
    module.exported_function(name).unwrap().typed().unwrap()
}

#[test]
fn calls_return_results_and_traps_leave_the_runtime_usable() {
    for (engine, config) in configs() {
        let (_runtime, module) = instantiate(config);
        let add1 = typed::<i32, i32>(&module, "add1");
        let div = typed::<(i32, i32), i32>(&module, "div");
        let deep = typed::<i32, i32>(&module, "deep");
        let calls = typed::<(), i32>(&module, "calls");
        for i in 0..100 {
            assert_eq!(add1.call(i).unwrap(), i + 1, "{engine}");
        }
        assert_eq!(calls.call(()).unwrap(), 100, "{engine}");
        let err = div.call((1, 0)).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::IntegerDivideByZero),
            "{engine}: {err}"
        );
        assert_eq!(div.call((-9, 2)).unwrap(), -4, "{engine}");
        let err = deep.call(0).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::StackOverflow),
            "{engine}: {err}"
        );
        // After a trap deep in recursion, calls run (and count) as before.
        assert_eq!(add1.call(-1).unwrap(), 0, "{engine}");
        assert_eq!(calls.call(()).unwrap(), 101, "{engine}");
        // The untyped forms take the same path.
        assert_eq!(
            add1.func().call(&[wz::raw::encode_i32(6)]).unwrap(),
            vec![7],
            "{engine}"
        );
    }
}

#[test]
fn signatures_of_every_size_and_host_functions() {
    for (engine, config) in configs() {
        let (_runtime, module) = instantiate(config);
        let f = |name: &str| module.exported_function(name).unwrap();
        let sum6 = f("sum6")
            .typed::<(i64, i64, i64, i64, i64, i64), i64>()
            .unwrap();
        assert_eq!(sum6.call((1, 2, 3, 4, 5, -6)).unwrap(), 9, "{engine}");
        // Eighteen results: more slots than the typed call keeps on the stack.
        let spread = f("spread").call(&[wz::raw::encode_i32(-5)]).unwrap();
        let expected: Vec<u64> = std::iter::once(-5i32)
            .chain(1..18)
            .map(wz::raw::encode_i32)
            .collect();
        assert_eq!(spread, expected, "{engine}");
        // A host function exported again by the module, and wasm calling one.
        let host_twice = f("host_twice").typed::<i32, i32>().unwrap();
        assert_eq!(host_twice.call(21).unwrap(), 42, "{engine}");
        let via_host = f("via_host").typed::<i32, i32>().unwrap();
        assert_eq!(via_host.call(-4).unwrap(), -8, "{engine}");
    }
}

#[test]
fn a_closed_module_refuses_calls_with_its_exit_code() {
    for (engine, config) in configs() {
        let (runtime, module) = instantiate(config);
        let add1 = typed::<i32, i32>(&module, "add1");
        assert_eq!(add1.call(1).unwrap(), 2, "{engine}");
        assert!(module.close_with_exit_code(9));
        let err = add1.call(1).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Closed(9)),
            "{engine}: {err}"
        );
        // The rest of the runtime keeps working.
        let again = runtime.instantiate(MODULE.as_bytes()).unwrap();
        let add1 = typed::<i32, i32>(&again, "add1");
        assert_eq!(add1.call(41).unwrap(), 42, "{engine}");
    }
}

#[test]
fn calls_from_many_threads_each_see_their_own_results() {
    for (engine, config) in configs() {
        let (_runtime, module) = instantiate(config);
        let add1 = typed::<i32, i32>(&module, "add1");
        std::thread::scope(|s| {
            for t in 0..4 {
                let add1 = add1.clone();
                let engine = &engine;
                s.spawn(move || {
                    for i in 0..500 {
                        let x = t * 1000 + i;
                        assert_eq!(add1.call(x).unwrap(), x + 1, "{engine}");
                    }
                });
            }
        });
        let calls = typed::<(), i32>(&module, "calls");
        assert_eq!(calls.call(()).unwrap(), 2000, "{engine}");
    }
}
