//! Wasm backtraces in errors, on every engine: the same frames, names and offsets.

use wz::{ErrorKind, Runtime, RuntimeConfig, TrapCode, Val};

#[path = "support/engines.rs"]
mod support;
use support::engines;

const CALC: &str = r#"(module $calc
  (import "env" "host_fail" (func $host_fail (param i32)))
  (import "env" "reenter" (func $reenter))
  (memory 1)
  (table 1 funcref) (elem (i32.const 0) $load)
  (func $load (param i32) (result i32) (i32.load (local.get 0)))
  (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func $middle (param i32 i32) (result i32) (call $divide (local.get 0) (local.get 1)))
  (func (export "outer") (param i32 i32) (result i32)
    (i32.add (i32.const 1) (call $middle (local.get 0) (local.get 1))))
  (func (export "indirect") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
  (func (export "via_host") (param i32) (call $host_fail (local.get 0)))
  (func $boom (export "boom") unreachable)
  (func (export "nested") (call $reenter))
  (func $rec (export "rec") (param i32) (result i32)
    (i32.add (i32.const 1) (call $rec (local.get 0))))
  (func (export "nameless") (call 12))
  (func unreachable)
)"#;

fn instantiate(config: RuntimeConfig) -> (Runtime, wz::Module) {
    let runtime = Runtime::with_config(config).unwrap();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|x: i32| -> Result<(), wz::Error> {
            if x < 0 {
                Err(wz::Error::usage("negative input"))
            } else {
                Ok(())
            }
        })
        .export("host_fail")
        .new_function_builder()
        .with_func(|caller: &mut wz::Caller<'_>| -> Result<(), wz::Error> {
            // Calls back into the calling module, which traps there.
            let instance = caller.instance().expect("called from wasm");
            let mut store = caller.store();
            let boom = store.export_func(instance, "boom").expect("exported");
            store.call(boom, &[]).map(|_| ())
        })
        .export("reenter")
        .instantiate()
        .unwrap();
    let module = runtime.instantiate(CALC.as_bytes()).unwrap();
    (runtime, module)
}

/// The frames of an error as `(function name or index, opcode at the frame's offset)`.
fn frames(err: &wz::Error, wasm: &[u8]) -> Vec<(String, u8)> {
    let backtrace = err
        .backtrace()
        .unwrap_or_else(|| panic!("no backtrace in {err}"));
    backtrace
        .frames()
        .iter()
        .map(|f| {
            let name = f
                .func_name()
                .map_or_else(|| format!("#{}", f.func_index()), str::to_string);
            let offset = f
                .module_offset()
                .unwrap_or_else(|| panic!("frame {f} has no offset"));
            (name, wasm[offset as usize])
        })
        .collect()
}

const CALL: u8 = 0x10;
const CALL_INDIRECT: u8 = 0x11;

fn named(list: &[(&str, u8)]) -> Vec<(String, u8)> {
    list.iter().map(|&(n, op)| (n.to_string(), op)).collect()
}

#[test]
fn traps_list_every_frame_with_names_and_the_failing_instruction() {
    let wasm = wat::parse_str(CALC).unwrap();
    let mut all = Vec::new();
    for (engine, config) in engines() {
        let (_runtime, module) = instantiate(config);
        let outer = module.exported_function("outer").unwrap();
        assert_eq!(outer.call(&[7, 2]).unwrap(), vec![4], "{engine}");
        let err = outer.call(&[7, 0]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::IntegerDivideByZero),
            "{engine}"
        );
        // One line, with the frames only in the backtrace.
        assert_eq!(
            err.to_string(),
            "wasm trap: integer divide by zero",
            "{engine}"
        );
        assert_eq!(
            frames(&err, &wasm),
            named(&[("divide", 0x6e), ("middle", CALL), ("#5", CALL)]),
            "{engine}: {}",
            err.backtrace().unwrap()
        );
        let backtrace = err.backtrace().unwrap();
        let top = &backtrace.frames()[0];
        assert_eq!(top.module_name(), Some("calc"), "{engine}");
        assert_eq!(top.func_index(), 3, "{engine}");
        // `local.get 0 local.get 1 i32.div_u`: the division is 4 bytes into the body.
        assert_eq!(top.func_offset(), Some(4), "{engine}");
        assert_eq!(backtrace.omitted(), 0, "{engine}");
        let text = backtrace.to_string();
        assert_eq!(text.lines().count(), 3, "{engine}: {text}");
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("calc!divide (func 3)"),
            "{text}"
        );
        assert!(
            text.lines().nth(2).unwrap().ends_with("calc!func[5]"),
            "{text}"
        );

        // An out-of-bounds load (a guard-page fault in the JIT) through call_indirect.
        let indirect = module.exported_function("indirect").unwrap();
        let err = indirect.call(&[65534]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::MemoryOutOfBounds),
            "{engine}"
        );
        assert_eq!(
            frames(&err, &wasm),
            named(&[("load", 0x28), ("#6", CALL_INDIRECT)]),
            "{engine}"
        );
        all.push(
            err.backtrace()
                .unwrap()
                .frames()
                .iter()
                .map(|f| f.module_offset())
                .collect::<Vec<_>>(),
        );

        // A function without a name.
        let err = module
            .exported_function("nameless")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert_eq!(frames(&err, &wasm), named(&[("#12", 0x00), ("#11", CALL)]));
        assert_eq!(err.backtrace().unwrap().frames()[0].func_name(), None);
    }
    // Every engine points at the same bytes.
    assert!(all.windows(2).all(|w| w[0] == w[1]), "{all:?}");
}

#[test]
fn host_errors_and_nested_calls_carry_the_wasm_frames() {
    let wasm = wat::parse_str(CALC).unwrap();
    for (engine, config) in engines() {
        let (_runtime, module) = instantiate(config);
        let via_host = module.exported_function("via_host").unwrap();
        via_host.call(&[1]).unwrap();
        let err = via_host.call(&[-1i32 as u32 as u64]).unwrap_err();
        assert_eq!(err.to_string(), "negative input", "{engine}");
        // The host function is not a wasm frame; the call to it is.
        assert_eq!(frames(&err, &wasm), named(&[("#7", CALL)]), "{engine}");

        // wasm -> host -> wasm (traps) -> host -> wasm: the inner frames, then the outer.
        let err = module
            .exported_function("nested")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::Unreachable), "{engine}");
        assert_eq!(
            frames(&err, &wasm),
            named(&[("boom", 0x00), ("#9", CALL)]),
            "{engine}"
        );
    }
}

#[test]
fn runaway_recursion_lists_the_innermost_frames_and_counts_the_rest() {
    for (engine, config) in engines() {
        let (_runtime, module) = instantiate(config);
        let err = module
            .exported_function("rec")
            .unwrap()
            .call(&[0])
            .unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{engine}");
        let backtrace = err.backtrace().unwrap();
        assert_eq!(backtrace.frames().len(), wz::MAX_FRAMES, "{engine}");
        assert!(
            backtrace
                .frames()
                .iter()
                .all(|f| f.func_name() == Some("rec")),
            "{engine}: {backtrace}"
        );
        assert!(
            backtrace.omitted() > 100,
            "{engine}: {}",
            backtrace.omitted()
        );
        assert!(backtrace.to_string().ends_with("more frames"), "{engine}");
        // The runtime stays usable, and a later trap has a fresh backtrace.
        let outer = module.exported_function("outer").unwrap();
        assert_eq!(outer.call(&[9, 3]).unwrap(), vec![4], "{engine}");
        let err = outer.call(&[9, 0]).unwrap_err();
        assert_eq!(err.backtrace().unwrap().frames().len(), 3, "{engine}");
    }
}

#[test]
fn fuel_and_interruption_errors_have_backtraces_and_debug_info_off_has_none() {
    let wasm = wat::parse_str(CALC).unwrap();
    for (engine, config) in engines() {
        let (_runtime, module) = instantiate(config.clone().with_fuel(true));
        let rec = module.exported_function("rec").unwrap();
        let err = rec
            .call_with(&wz::CallContext::new().with_fuel(50), &[0])
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::OutOfFuel),
            "{engine}: {err:?}"
        );
        let frames = frames(&err, &wasm);
        assert!(!frames.is_empty(), "{engine}");
        assert!(
            frames.iter().all(|(name, _)| name == "rec"),
            "{engine}: {frames:?}"
        );

        let (_runtime, module) = instantiate(config.with_debug_info(false));
        let err = module
            .exported_function("outer")
            .unwrap()
            .call(&[1, 0])
            .unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::IntegerDivideByZero),
            "{engine}"
        );
        assert!(err.backtrace().is_none(), "{engine}");
    }
}

#[test]
fn exits_and_argument_errors_have_no_backtrace() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|caller: &mut wz::Caller<'_>| -> Result<(), wz::Error> {
                let _ = caller;
                Err(wz::Error::exit(3))
            })
            .export("exit")
            .instantiate()
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module (import "env" "exit" (func $exit))
                    (func (export "run") (call $exit)))"#,
            )
            .unwrap();
        let err = module
            .exported_function("run")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert_eq!(err.exit_code(), Some(3), "{engine}");
        assert!(err.backtrace().is_none(), "{engine}");
        let err = module
            .exported_function("run")
            .unwrap()
            .call_values(&[Val::I32(1)])
            .unwrap_err();
        assert!(err.backtrace().is_none(), "{engine}: {err}");
    }
}

#[test]
fn code_loaded_from_a_directory_cache_keeps_its_source_locations() {
    if Runtime::with_config(RuntimeConfig::compiler()).is_err() {
        println!("skipped: the JIT does not run on this host, and only it writes artifacts");
        return;
    }
    let wasm = wat::parse_str(CALC).unwrap();
    let dir = std::env::temp_dir().join(format!("wz-backtrace-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut seen = Vec::new();
    for round in 0..2 {
        // A fresh cache object each round: the second compiles nothing and loads the artifact
        // the first wrote.
        let cache = wz::CompilationCache::with_dir(&dir).unwrap();
        let (_runtime, module) =
            instantiate(RuntimeConfig::compiler().with_compilation_cache(&cache));
        if round == 1 {
            assert!(cache.stats().disk_hits >= 1, "{:?}", cache.stats());
        }
        let err = module
            .exported_function("outer")
            .unwrap()
            .call(&[1, 0])
            .unwrap_err();
        let frames = frames(&err, &wasm);
        assert_eq!(
            frames,
            named(&[("divide", 0x6e), ("middle", CALL), ("#5", CALL)])
        );
        seen.push(err.backtrace().unwrap().clone());
    }
    assert_eq!(seen[0], seen[1]);
    let _ = std::fs::remove_dir_all(&dir);
}
