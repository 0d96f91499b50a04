//! Fuel, deadlines and interrupt handles, on every engine.

use std::time::Duration;

use wz::{CallContext, ErrorKind, ModuleConfig, Runtime, RuntimeConfig};

#[path = "support/engines.rs"]
mod support;
use support::engines;

fn metered(config: RuntimeConfig) -> Runtime {
    Runtime::with_config(config.with_fuel(true).with_interruption(true)).unwrap()
}

const PROGRAMS: &str = r#"(module
  (memory (export "mem") 1)
  (table 2 funcref) (elem (i32.const 0) $fib $count)
  (func (export "spin") (loop (br 0)))
  (func (export "add") (result i32) (i32.add (i32.const 1) (i32.const 2)))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $count (export "count") (param i32) (result i32) (local i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (i32.store (i32.const 0) (local.get 1))
        (br $next)))
    (local.get 1))
  (func (export "mixed") (param i32) (result i32) (local i32)
    (loop $l
      (block $a (block $b (block $c
        (br_table $a $b $c (i32.rem_u (local.get 0) (i32.const 3))))
        (local.set 1 (i32.add (local.get 1) (call_indirect (param i32) (result i32)
          (i32.const 5) (i32.const 0)))))
        (local.set 1 (i32.add (local.get 1) (call_indirect (param i32) (result i32)
          (i32.const 7) (i32.const 1)))))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))"#;

/// Runs `name(arg)` with a large budget; the result and the fuel it used.
fn measure(runtime: &Runtime, name: &str, arg: i32) -> (i32, u64) {
    let module = runtime.module("p").unwrap();
    let f = module.exported_function(name).unwrap();
    let ctx = CallContext::new().with_fuel(u64::MAX / 4);
    let out = f.call_with(&ctx, &[arg as u32 as u64]).unwrap();
    (out[0] as i32, ctx.fuel_consumed())
}

#[test]
fn fuel_counts_operators_identically_on_every_engine() {
    let mut seen: Vec<Vec<(i32, u64)>> = Vec::new();
    for (engine, config) in engines() {
        let runtime = metered(config);
        runtime
            .instantiate_module(
                &runtime.compile_module(PROGRAMS.as_bytes()).unwrap(),
                ModuleConfig::new().with_name("p"),
            )
            .unwrap();
        // i32.const, i32.const, i32.add, end.
        let add = runtime
            .module("p")
            .unwrap()
            .exported_function("add")
            .unwrap();
        let ctx = CallContext::new().with_fuel(100);
        assert_eq!(add.call_with(&ctx, &[]).unwrap(), vec![3]);
        assert_eq!(ctx.fuel_consumed(), 4, "{engine}");
        let results = vec![
            measure(&runtime, "fib", 0),
            measure(&runtime, "fib", 15),
            measure(&runtime, "count", 0),
            measure(&runtime, "count", 1000),
            measure(&runtime, "mixed", 31),
        ];
        assert_eq!(results[1].0, 610);
        assert_eq!(results[3].0, 1000);
        // Each loop iteration of `count` costs the same: the 1000 iterations are the
        // difference.
        assert_eq!(
            (results[3].1 - results[2].1) % 1000,
            0,
            "{engine}: {results:?}"
        );
        assert!(results[3].1 > 1000 * 10, "{engine}: {results:?}");
        seen.push(results);
    }
    for other in &seen[1..] {
        assert_eq!(other, &seen[0]);
    }
}

#[test]
fn a_budget_stops_the_call_where_it_runs_out_and_not_before() {
    for (engine, config) in engines() {
        let runtime = metered(config);
        let module = runtime.instantiate(PROGRAMS.as_bytes()).unwrap();
        let fib = module
            .exported_function("fib")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        let ctx = CallContext::new().with_fuel(u64::MAX / 4);
        assert_eq!(fib.call_with(&ctx, 20).unwrap(), 6765);
        let exact = ctx.fuel_consumed();
        // Exactly enough fuel is enough; half of it is not.
        let ctx = CallContext::new().with_fuel(exact);
        assert_eq!(fib.call_with(&ctx, 20).unwrap(), 6765, "{engine}");
        assert_eq!(ctx.fuel_consumed(), exact);
        let ctx = CallContext::new().with_fuel(exact / 2);
        let err = fib.call_with(&ctx, 20).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::OutOfFuel),
            "{engine}: {err}"
        );
        assert_eq!(
            err.to_string(),
            "out of fuel: the call used up its fuel budget"
        );
        // Memory written before the budget ran out stays written; the runtime goes on.
        let count = module
            .exported_function("count")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        let err = count
            .call_with(&CallContext::new().with_fuel(500), 1_000_000)
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::OutOfFuel),
            "{engine}: {err}"
        );
        let stored = module.memory().unwrap().read_u32_le(0).unwrap();
        assert!(stored > 10 && stored < 100, "{engine}: {stored}");
        assert_eq!(count.call(7).unwrap(), 7);
        assert_eq!(fib.call(10).unwrap(), 55);
    }
}

#[test]
fn deadlines_stop_endless_loops_and_recursion() {
    for (engine, config) in engines() {
        let runtime = metered(config);
        let module = runtime
            .instantiate(
                br#"(module
                  (func (export "spin") (loop (br 0)))
                  (func $deep (export "deep") (param i32)
                    (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1)))))
                    (if (local.get 0) (then (call $deep (i32.sub (local.get 0) (i32.const 1)))))))"#,
            )
            .unwrap();
        let ctx = CallContext::new().with_timeout(Duration::from_millis(30));
        for name in ["spin", "deep"] {
            let f = module.exported_function(name).unwrap();
            // `deep` makes 2^40 calls without a loop: only the entry checks catch it.
            let args: &[u64] = if name == "deep" { &[40] } else { &[] };
            let err = f.call_with(&ctx, args).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Interrupted),
                "{engine} {name}: {err}"
            );
        }
        // A deadline far away does not disturb a call that ends.
        let ctx = CallContext::new().with_timeout(Duration::from_secs(3600));
        let deep = module.exported_function("deep").unwrap();
        assert_eq!(deep.call_with(&ctx, &[5]).unwrap(), Vec::<u64>::new());
    }
}

#[test]
fn a_deadline_ends_with_its_call() {
    for (engine, config) in engines() {
        let runtime = metered(config);
        let module = runtime.instantiate(PROGRAMS.as_bytes()).unwrap();
        let count = module
            .exported_function("count")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        let short = CallContext::new().with_timeout(Duration::from_millis(5));
        assert_eq!(count.call_with(&short, 3).unwrap(), 3);
        std::thread::sleep(Duration::from_millis(20));
        // The earlier call's deadline has passed; this long call without one runs to the end.
        assert_eq!(count.call(300_000).unwrap(), 300_000, "{engine}");
    }
}

#[test]
fn an_interrupt_handle_stops_the_running_or_next_call() {
    for (engine, config) in engines() {
        let runtime = metered(config);
        let module = runtime.instantiate(PROGRAMS.as_bytes()).unwrap();
        let spin = module.exported_function("spin").unwrap();
        let handle = runtime.interrupt_handle().unwrap();
        let stopper = {
            let handle = handle.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                handle.interrupt();
            })
        };
        let err = spin.call(&[]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Interrupted),
            "{engine}: {err}"
        );
        stopper.join().unwrap();
        // Raised between calls, it stops the next call only.
        let fib = module
            .exported_function("fib")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        handle.interrupt();
        let err = fib.call(25).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Interrupted),
            "{engine}: {err}"
        );
        assert_eq!(fib.call(10).unwrap(), 55);
    }
}

#[test]
fn limits_need_their_checks_compiled_in() {
    let runtime = Runtime::with_config(RuntimeConfig::new()).unwrap();
    let module = runtime.instantiate(PROGRAMS.as_bytes()).unwrap();
    let add = module.exported_function("add").unwrap();
    let err = add
        .call_with(&CallContext::new().with_fuel(10), &[])
        .unwrap_err();
    assert!(
        err.to_string().contains("RuntimeConfig::with_fuel(true)"),
        "{err}"
    );
    let err = add
        .call_with(
            &CallContext::new().with_timeout(Duration::from_secs(1)),
            &[],
        )
        .unwrap_err();
    assert!(err.to_string().contains("with_interruption(true)"), "{err}");
    let err = runtime.interrupt_handle().unwrap_err();
    assert!(err.to_string().contains("with_interruption(true)"), "{err}");
    // Fuel alone does not give deadlines, and the other way round.
    let fuel_only = Runtime::with_config(RuntimeConfig::new().with_fuel(true)).unwrap();
    assert!(fuel_only.interrupt_handle().is_err());
    let module = fuel_only.instantiate(PROGRAMS.as_bytes()).unwrap();
    let add = module.exported_function("add").unwrap();
    assert_eq!(
        add.call_with(&CallContext::new().with_fuel(10), &[])
            .unwrap(),
        vec![3]
    );
}

#[test]
fn start_functions_run_with_the_module_configs_limits() {
    for (engine, config) in engines() {
        let runtime = metered(config);
        let compiled = runtime
            .compile_module(br#"(module (func (export "_start") (loop (br 0))))"#)
            .unwrap();
        let err = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new()
                    .with_name("app")
                    .with_call_context(CallContext::new().with_fuel(10_000)),
            )
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::OutOfFuel),
            "{engine}: {err}"
        );
        // The failed module is closed, so its name is free again.
        assert!(runtime.module("app").is_none());
        let err = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new()
                    .with_name("app")
                    .with_call_context(CallContext::new().with_timeout(Duration::from_millis(20))),
            )
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Interrupted),
            "{engine}: {err}"
        );
    }
}

#[test]
fn runtimes_configured_alike_share_compiled_modules() {
    for (engine, config) in engines() {
        let config = config.with_fuel(true).with_interruption(true);
        let a = Runtime::with_config(config.clone()).unwrap();
        let b = Runtime::with_config(config).unwrap();
        let compiled = a.compile_module(PROGRAMS.as_bytes()).unwrap();
        let module = b
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let fib = module
            .exported_function("fib")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        let ctx = CallContext::new().with_fuel(1_000_000);
        assert_eq!(fib.call_with(&ctx, 12).unwrap(), 144);
        assert!(ctx.fuel_consumed() > 0);
    }
}
