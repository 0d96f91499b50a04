//! Function listeners (wz::experimental) on every engine: the same events in the same order.

use std::sync::{Arc, Mutex};

use wz::experimental::{FunctionListener, FunctionListenerFactory};
use wz::{CallContext, FunctionDefinition, Runtime, RuntimeConfig};

#[path = "support/engines.rs"]
mod support;
use support::engines;

/// Records every event as one line.
#[derive(Default)]
struct Log {
    events: Mutex<Vec<String>>,
    /// Panic in `before` of the function with this name.
    panic_in: Option<&'static str>,
}

impl Log {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

fn name(def: &FunctionDefinition) -> String {
    format!("{}.{}", def.module_name().unwrap_or("?"), def.name())
}

impl FunctionListener for Log {
    fn before(&self, def: &FunctionDefinition, params: &[u64]) {
        if self.panic_in == Some(def.name()) {
            panic!("listener failure");
        }
        let line = format!("> {}{params:?}", name(def));
        self.events.lock().unwrap().push(line);
    }
    fn after(&self, def: &FunctionDefinition, results: &[u64]) {
        let line = format!("< {}{results:?}", name(def));
        self.events.lock().unwrap().push(line);
    }
    fn abort(&self, def: &FunctionDefinition, error: &wz::Error) {
        let line = format!("! {} {error}", name(def));
        self.events.lock().unwrap().push(line);
    }
}

/// Listens to every function except those named `skip`.
struct Factory {
    log: Arc<Log>,
    skip: &'static str,
}

impl FunctionListenerFactory for Factory {
    fn new_listener(&self, def: &FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
        (def.name() != self.skip).then(|| self.log.clone() as Arc<dyn FunctionListener>)
    }
}

const APP: &str = r#"(module $app
  (import "env" "twice" (func $twice (param i64 f32) (result f32 i64)))
  (import "env" "fail" (func $fail))
  (func $start (global.set 0 (i32.const 7)))
  (start $start)
  (global (mut i32) (i32.const 0))
  (func $swap (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "run") (param i32) (result i32)
    (call $swap (local.get 0) (f64.const 1.5)) (drop) (drop)
    (call $twice (i64.const -2) (f32.const 0.5)) (drop) (drop)
    (i32.add (global.get 0) (local.get 0)))
  (func $deep (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.div_u (i32.const 1) (local.get 0)))))
  (func (export "trap") (result i32) (call $deep (i32.const 2)))
  (func (export "host_error") (call $fail))
  (func (export "quiet") (result i32) (i32.const 1))
  (func (export "vec") (param v128) (result v128) (local.get 0))
)"#;

fn runtime(config: RuntimeConfig, log: &Arc<Log>) -> (Runtime, wz::Module) {
    let factory = Arc::new(Factory {
        log: log.clone(),
        skip: "quiet",
    });
    let runtime = Runtime::with_config(config.with_function_listener_factory(factory)).unwrap();
    host_module(&runtime);
    let module = runtime.instantiate(APP.as_bytes()).unwrap();
    (runtime, module)
}

fn host_module(runtime: &Runtime) {
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|a: i64, b: f32| (b * 2.0, a * 2))
        .export("twice")
        .new_function_builder()
        .with_func(|| -> Result<(), wz::Error> { Err(wz::Error::usage("host says no")) })
        .export("fail")
        .instantiate()
        .unwrap();
}

#[test]
fn calls_returns_and_aborts_are_reported_in_order_on_every_engine() {
    let mut logs = Vec::new();
    for (engine, config) in engines() {
        let log = Arc::new(Log::default());
        let (_runtime, module) = runtime(config, &log);
        // The start function ran under the listener, before instantiation returned.
        let started = log.take();
        assert_eq!(started, ["> app.start[]", "< app.start[]"], "{engine}");

        let run = module.exported_function("run").unwrap();
        assert_eq!(run.call(&[5]).unwrap(), vec![12], "{engine}");
        let f32_half = 0.5f32.to_bits() as u64;
        let f32_one = 1.0f32.to_bits() as u64;
        let f64_one_and_half = 1.5f64.to_bits();
        let events = log.take();
        assert_eq!(
            events,
            [
                "> app.run[5]".to_string(),
                format!("> app.swap[5, {f64_one_and_half}]"),
                format!("< app.swap[{f64_one_and_half}, 5]"),
                format!("> env.twice[{}, {f32_half}]", -2i64 as u64),
                format!("< env.twice[{f32_one}, {}]", -4i64 as u64),
                "< app.run[12]".to_string(),
            ],
            "{engine}"
        );

        // A trap aborts every function it unwinds, innermost first.
        let err = module
            .exported_function("trap")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert_eq!(err.trap_code(), Some(wz::TrapCode::IntegerDivideByZero));
        let events = log.take();
        assert_eq!(
            events,
            [
                "> app.trap[]",
                "> app.deep[2]",
                "> app.deep[1]",
                "> app.deep[0]",
                "! app.deep wasm trap: integer divide by zero",
                "! app.deep wasm trap: integer divide by zero",
                "! app.deep wasm trap: integer divide by zero",
                "! app.trap wasm trap: integer divide by zero",
            ],
            "{engine}"
        );

        // A host function's error aborts it and its callers.
        module
            .exported_function("host_error")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert_eq!(
            log.take(),
            [
                "> app.host_error[]",
                "> env.fail[]",
                "! env.fail host says no",
                "! app.host_error host says no",
            ],
            "{engine}"
        );

        // Unlistened functions report nothing; v128 values take two slots.
        module
            .exported_function("quiet")
            .unwrap()
            .call(&[])
            .unwrap();
        let vec = module.exported_function("vec").unwrap();
        assert_eq!(vec.call(&[1, 2]).unwrap(), vec![1, 2]);
        assert_eq!(
            log.take(),
            ["> app.vec[1, 2]", "< app.vec[1, 2]"],
            "{engine}"
        );

        // The aborts left nothing behind: a later call reports normally.
        run.call(&[1]).unwrap();
        let events = log.take();
        assert_eq!(events.len(), 6, "{engine}: {events:?}");
        logs.push(events);
    }
    assert!(logs.windows(2).all(|w| w[0] == w[1]), "{logs:?}");
}

#[test]
fn a_panicking_listener_fails_the_call_and_the_runtime_goes_on() {
    for (engine, config) in engines() {
        let log = Arc::new(Log {
            panic_in: Some("swap"),
            ..Log::default()
        });
        let (_runtime, module) = runtime(config, &log);
        log.take();
        let run = module.exported_function("run").unwrap();
        let err = run.call(&[5]).unwrap_err();
        assert!(
            err.to_string().contains("function listener panicked"),
            "{engine}: {err}"
        );
        let events = log.take();
        assert_eq!(events[0], "> app.run[5]", "{engine}");
        assert!(
            events[1].starts_with("! app.swap") && events[2].starts_with("! app.run"),
            "{engine}: {events:?}"
        );
        let vec = module.exported_function("vec").unwrap();
        assert_eq!(vec.call(&[3, 4]).unwrap(), vec![3, 4], "{engine}");
    }
}

#[test]
fn a_call_can_bring_its_own_listeners() {
    for (engine, config) in engines() {
        // Without listening compiled in, a per-call factory is refused.
        let plain = Runtime::with_config(config.clone()).unwrap();
        host_module(&plain);
        let module = plain.instantiate(APP.as_bytes()).unwrap();
        let log = Arc::new(Log::default());
        let ctx = CallContext::new().with_function_listener_factory(Arc::new(Factory {
            log: log.clone(),
            skip: "swap",
        }));
        let run = module.exported_function("run").unwrap();
        let err = run.call_with(&ctx, &[1]).unwrap_err();
        assert!(
            err.to_string().contains("with_function_listeners(true)"),
            "{engine}: {err}"
        );

        let listening = Runtime::with_config(config.with_function_listeners(true)).unwrap();
        host_module(&listening);
        let module = listening.instantiate(APP.as_bytes()).unwrap();
        let run = module.exported_function("run").unwrap();
        assert_eq!(run.call(&[1]).unwrap(), vec![8], "{engine}");
        assert!(
            log.take().is_empty(),
            "{engine}: no listener without the context"
        );
        assert_eq!(run.call_with(&ctx, &[1]).unwrap(), vec![8], "{engine}");
        let events = log.take();
        // This factory skips `swap`.
        assert_eq!(events.len(), 4, "{engine}: {events:?}");
        assert!(events.iter().all(|e| !e.contains("swap")), "{events:?}");
        run.call(&[1]).unwrap();
        assert!(
            log.take().is_empty(),
            "{engine}: the context's listeners end with it"
        );
    }
}
