//! The embedding API: names, imports between modules, raw, checked and typed calls, memory
//! and globals, closing, and calls from many threads.

use proptest::prelude::*;
use wz::{
    CompiledModule, ErrorKind, Function, Module, ModuleConfig, Runtime, RuntimeConfig, TrapCode,
    TypedFunction, Val, raw,
};

const LIB: &str = r#"(module $lib
  (memory (export "mem") 1 4)
  (global $counter (export "counter") (mut i64) (i64.const 0))
  (global (export "answer") i32 (i32.const 42))
  (func (export "bump") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
    (global.get $counter))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "vadd") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))"#;

fn engines() -> Vec<(&'static str, RuntimeConfig)> {
    let mut v = vec![("interp", RuntimeConfig::interpreter())];
    if Runtime::with_config(RuntimeConfig::compiler()).is_ok() {
        v.push(("jit", RuntimeConfig::compiler()));
    }
    v
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Runtime>();
    check::<CompiledModule>();
    check::<Module>();
    check::<Function>();
    check::<wz::Memory>();
    check::<wz::Global>();
    check::<TypedFunction<(i32, i32), i32>>();
}

#[test]
fn names_come_from_the_config_or_the_name_section() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let compiled = runtime.compile_module(LIB.as_bytes()).unwrap();
        // The name section says "lib".
        let lib = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        assert_eq!(lib.name(), Some("lib"), "{engine}");
        let err = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap_err();
        assert!(
            err.to_string().contains("already been instantiated"),
            "{err}"
        );
        // Under other names, or anonymously, the same compiled module instantiates again.
        let other = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("other"))
            .unwrap();
        assert_eq!(other.name(), Some("other"));
        for _ in 0..3 {
            let anon = runtime
                .instantiate_module(&compiled, ModuleConfig::new().with_name(""))
                .unwrap();
            assert_eq!(anon.name(), None);
        }
        assert!(runtime.module("lib").is_some());
        assert!(runtime.module("nope").is_none());
        // Instances are separate: bumping one counter leaves the other alone.
        let bump = |m: &Module| {
            m.exported_function("bump")
                .unwrap()
                .typed::<(), i64>()
                .unwrap()
                .call(())
                .unwrap()
        };
        assert_eq!(bump(&lib), 1);
        assert_eq!(bump(&lib), 2);
        assert_eq!(bump(&other), 1);
        assert_eq!(bump(&runtime.module("lib").unwrap()), 3);
    }
}

#[test]
fn modules_import_from_modules_by_name() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        runtime.instantiate(LIB.as_bytes()).unwrap();
        let app = runtime
            .instantiate(
                br#"(module
                  (import "lib" "div" (func $div (param i32 i32) (result i32)))
                  (import "lib" "mem" (memory 1))
                  (func (export "run") (result i32)
                    (i32.store (i32.const 8) (i32.const 77))
                    (call $div (i32.const 100) (i32.const 7))))"#,
            )
            .unwrap();
        let run = app
            .exported_function("run")
            .unwrap()
            .typed::<(), i32>()
            .unwrap();
        assert_eq!(run.call(()).unwrap(), 14, "{engine}");
        // The store went to lib's memory.
        let mem = runtime
            .module("lib")
            .unwrap()
            .exported_memory("mem")
            .unwrap();
        assert_eq!(mem.read_u32_le(8), Some(77));
        let err = runtime
            .instantiate(br#"(module (import "nope" "f" (func)))"#)
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Link(_)), "{err}");
    }
}

#[test]
fn raw_checked_and_typed_calls_agree() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let lib = runtime.instantiate(LIB.as_bytes()).unwrap();
        let swap = lib.exported_function("swap").unwrap();
        assert_eq!(swap.definition().name(), "swap");
        assert_eq!(swap.definition().module_name(), Some("lib"));
        let out = swap
            .call(&[raw::encode_i32(-5), raw::encode_f64(2.5)])
            .unwrap();
        assert_eq!(
            (raw::decode_f64(out[0]), raw::decode_i32(out[1])),
            (2.5, -5),
            "{engine}"
        );
        assert!(swap.call(&[1]).is_err(), "wrong raw arity");
        let out = swap
            .call_values(&[Val::I32(3), Val::F64(1.25f64.to_bits())])
            .unwrap();
        assert_eq!(out, vec![Val::F64(1.25f64.to_bits()), Val::I32(3)]);
        assert!(swap.call_values(&[Val::I64(3), Val::F64(0)]).is_err());
        let typed = swap.typed::<(i32, f64), (f64, i32)>().unwrap();
        assert_eq!(typed.call((9, -0.5)).unwrap(), (-0.5, 9));
        assert!(swap.typed::<(i32, f64), f64>().is_err());
        assert!(swap.typed::<(f64, i32), (f64, i32)>().is_err());
        let vadd = lib
            .exported_function("vadd")
            .unwrap()
            .typed::<(u128, u128), u128>()
            .unwrap();
        let lanes = |l: [u32; 4]| {
            l.iter()
                .enumerate()
                .fold(0u128, |acc, (i, &x)| acc | (x as u128) << (32 * i))
        };
        assert_eq!(
            vadd.call((lanes([1, 2, 3, u32::MAX]), lanes([10, 20, 30, 2])))
                .unwrap(),
            lanes([11, 22, 33, 1])
        );
        let div = lib
            .exported_function("div")
            .unwrap()
            .typed::<(i32, i32), i32>()
            .unwrap();
        for i in 0..100 {
            let err = div.call((i, 0)).unwrap_err();
            assert_eq!(err.trap_code(), Some(TrapCode::IntegerDivideByZero));
            assert_eq!(div.call((i * 6, 3)).unwrap(), i * 2);
        }
    }
}

#[test]
fn memory_and_globals() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let lib = runtime.instantiate(LIB.as_bytes()).unwrap();
        let mem = lib.memory().unwrap();
        assert_eq!(mem.size(), 65536, "{engine}");
        mem.write_u64_le(100, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(mem.read(100, 2), Some(vec![8, 7]));
        assert_eq!(mem.read_u16_le(106), Some(0x0102));
        mem.write_f64_le(200, -1.5).unwrap();
        assert_eq!(mem.read_f64_le(200), Some(-1.5));
        // Wasm sees what the host wrote, and the other way round.
        let store = lib.exported_function("store").unwrap();
        store
            .typed::<(i32, i32), ()>()
            .unwrap()
            .call((300, 99))
            .unwrap();
        assert_eq!(mem.read_u32_le(300), Some(99));
        assert_eq!(mem.read_u32_le(65533), None);
        assert!(mem.write(65535, &[1, 2]).is_err());
        assert_eq!(mem.grow(1), Some(1));
        assert_eq!(mem.size(), 2 * 65536);
        assert_eq!(mem.read_u32_le(65533), Some(0));
        assert_eq!(mem.grow(3), None, "the maximum is 4 pages");
        let counter = lib.exported_global("counter").unwrap();
        assert_eq!(counter.get(), Some(Val::I64(0)));
        counter.set(Val::I64(41)).unwrap();
        let bump = lib.exported_function("bump").unwrap();
        assert_eq!(bump.call_values(&[]).unwrap(), vec![Val::I64(42)]);
        assert!(counter.set(Val::I32(1)).is_err(), "wrong type");
        let answer = lib.exported_global("answer").unwrap();
        assert_eq!(answer.get(), Some(Val::I32(42)));
        assert!(answer.set(Val::I32(1)).is_err(), "immutable");
    }
}

#[test]
fn closed_modules_refuse_calls_and_free_their_names() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let lib = runtime.instantiate(LIB.as_bytes()).unwrap();
        let bump = lib.exported_function("bump").unwrap();
        assert!(lib.close_with_exit_code(3));
        assert!(!lib.close(), "already closed");
        assert!(lib.is_closed());
        let err = bump.call(&[]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Closed(3)),
            "{engine}: {err}"
        );
        assert_eq!(err.exit_code(), Some(3));
        assert!(runtime.module("lib").is_none());
        // The name is free again.
        let again = runtime.instantiate(LIB.as_bytes()).unwrap();
        assert_eq!(again.name(), Some("lib"));
        runtime.close();
        assert!(again.is_closed());
        assert!(again.exported_function("bump").unwrap().call(&[]).is_err());
    }
}

#[test]
fn a_failing_start_function_fails_instantiation_and_closes_the_module() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let wat = br#"(module $m (func (export "_start") unreachable))"#;
        let err = runtime.instantiate(wat).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::Unreachable), "{engine}");
        assert!(runtime.module("m").is_none());
        // Without start functions it instantiates, and `_start` can be called later.
        let compiled = runtime.compile_module(wat).unwrap();
        let m = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_start_functions(&[]))
            .unwrap();
        assert!(m.exported_function("_start").unwrap().call(&[]).is_err());
        // Custom start functions run in order.
        let counter = br#"(module
          (global (export "g") (mut i32) (i32.const 0))
          (func (export "init") (global.set 0 (i32.add (global.get 0) (i32.const 10))))
          (func (export "more") (global.set 0 (i32.mul (global.get 0) (i32.const 3)))))"#;
        let compiled = runtime.compile_module(counter).unwrap();
        let config = ModuleConfig::new()
            .with_name("c")
            .with_start_functions(&["init", "missing", "more"]);
        let m = runtime.instantiate_module(&compiled, config).unwrap();
        assert_eq!(m.exported_global("g").unwrap().get(), Some(Val::I32(30)));
    }
}

#[test]
fn eight_threads_share_a_module() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let lib = runtime.instantiate(LIB.as_bytes()).unwrap();
        let div = lib
            .exported_function("div")
            .unwrap()
            .typed::<(i32, i32), i32>()
            .unwrap();
        let bump = lib
            .exported_function("bump")
            .unwrap()
            .typed::<(), i64>()
            .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (div, bump) = (div.clone(), bump.clone());
                std::thread::spawn(move || {
                    let mut traps = 0;
                    for i in 0..10_000i32 {
                        if i % 7 == 0 {
                            let e = div.call((i, 0)).unwrap_err();
                            assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivideByZero));
                            traps += 1;
                        } else {
                            assert_eq!(div.call((i * (t + 1), t + 1)).unwrap(), i);
                            bump.call(()).unwrap();
                        }
                    }
                    traps
                })
            })
            .collect();
        let traps: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(traps, 8 * 1429, "{engine}");
        // Every bump happened exactly once: nothing lost.
        let counter = lib.exported_global("counter").unwrap().get();
        assert_eq!(counter, Some(Val::I64(8 * (10_000 - 1429))), "{engine}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any offset and length: a read is `None` or the bytes, a write is an error or done;
    /// never a panic.
    #[test]
    fn memory_accesses_never_panic(offset in any::<u64>(), len in 0usize..200_000, near_end in any::<bool>()) {
        let runtime = Runtime::with_config(RuntimeConfig::interpreter()).unwrap();
        let m = runtime.instantiate(LIB.as_bytes()).unwrap();
        let mem = m.memory().unwrap();
        let offset = if near_end { 65_536u64.saturating_sub(offset % 64) } else { offset };
        let fits = offset.checked_add(len as u64).is_some_and(|end| end <= 65_536);
        prop_assert_eq!(mem.read(offset, len).is_some(), fits);
        prop_assert_eq!(mem.write(offset, &vec![7u8; len]).is_ok(), fits);
        prop_assert_eq!(mem.read_u32_le(offset).is_some(), offset.checked_add(4).is_some_and(|e| e <= 65_536));
    }
}

#[test]
fn host_functions_in_every_shape() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|| 7i32)
            .export("seven")
            .new_function_builder()
            .with_func(|a: i64, b: f32| (b, a * 2))
            .export("twice")
            .new_function_builder()
            .with_func(|x: i32| -> Result<i32, wz::Error> {
                if x < 0 {
                    Err(wz::Error::usage("negative"))
                } else {
                    Ok(x + 1)
                }
            })
            .export("checked")
            .new_function_builder()
            .with_func(|code: i32| -> Result<(), wz::Error> { Err(wz::Error::exit(code as u32)) })
            .export("exit")
            .new_function_builder()
            .with_func(|_: i32| -> i32 { panic!("host bug") })
            .export("panics")
            .new_function_builder()
            .with_raw_func(
                wz::FuncType::new([wz::ValType::I32], [wz::ValType::I32]),
                |_, slots| {
                    slots[0] = raw::encode_i32(raw::decode_i32(slots[0]) * 10);
                    Ok(())
                },
            )
            .export("raw")
            .new_function_builder()
            .with_func(|caller: &mut wz::Caller<'_>, at: i32, v: i32| {
                if let Some(mem) = caller.memory() {
                    mem[at as usize] = v as u8;
                }
            })
            .export("poke")
            .instantiate()
            .unwrap();
        let app = runtime
            .instantiate(
                br#"(module
                  (import "env" "seven" (func $seven (result i32)))
                  (import "env" "twice" (func $twice (param i64 f32) (result f32 i64)))
                  (import "env" "checked" (func $checked (param i32) (result i32)))
                  (import "env" "exit" (func $exit (param i32)))
                  (import "env" "panics" (func $panics (param i32) (result i32)))
                  (import "env" "raw" (func $raw (param i32) (result i32)))
                  (import "env" "poke" (func $poke (param i32 i32)))
                  (memory (export "mem") 1)
                  (func (export "seven") (result i32) (call $seven))
                  (func (export "twice") (result f32 i64) (call $twice (i64.const 21) (f32.const 1.5)))
                  (func (export "checked") (param i32) (result i32) (call $checked (local.get 0)))
                  (func (export "exit") (param i32) (call $exit (local.get 0)))
                  (func (export "panics") (result i32) (call $panics (i32.const 0)))
                  (func (export "raw") (result i32) (call $raw (i32.const 4)))
                  (func (export "poke") (result i32)
                    (call $poke (i32.const 9) (i32.const 200))
                    (i32.load8_u (i32.const 9))))"#,
            )
            .unwrap();
        let f = |name: &str| app.exported_function(name).unwrap();
        assert_eq!(
            f("seven").call_values(&[]).unwrap(),
            vec![Val::I32(7)],
            "{engine}"
        );
        assert_eq!(
            f("twice")
                .typed::<(), (f32, i64)>()
                .unwrap()
                .call(())
                .unwrap(),
            (1.5, 42)
        );
        assert_eq!(
            f("checked").typed::<i32, i32>().unwrap().call(4).unwrap(),
            5
        );
        let err = f("checked").call_values(&[Val::I32(-1)]).unwrap_err();
        assert_eq!(err.to_string(), "negative", "{engine}");
        assert_eq!(f("raw").call(&[]).unwrap(), vec![40]);
        assert_eq!(f("poke").typed::<(), i32>().unwrap().call(()).unwrap(), 200);
        // A panicking host function is an error; the runtime stays usable.
        let err = f("panics").call(&[]).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Host(_)), "{engine}: {err}");
        assert_eq!(f("seven").call(&[]).unwrap(), vec![7]);
        // An exit ends the call with the code and closes the module.
        let err = f("exit").call(&[raw::encode_i32(3)]).unwrap_err();
        assert_eq!(err.exit_code(), Some(3), "{engine}");
        assert!(app.is_closed());
        assert!(matches!(
            f("seven").call(&[]).unwrap_err().kind(),
            ErrorKind::Closed(3)
        ));
    }
}

#[test]
fn host_module_mistakes_are_errors() {
    let runtime = Runtime::new();
    let err = runtime
        .new_host_module_builder("a")
        .new_function_builder()
        .export("nothing")
        .instantiate()
        .unwrap_err();
    assert!(err.to_string().contains("no function given"), "{err}");
    let err = runtime
        .new_host_module_builder("b")
        .new_function_builder()
        .with_func(|x: i32| x)
        .with_param_names(&["x", "y"])
        .export("f")
        .instantiate()
        .unwrap_err();
    assert!(err.to_string().contains("parameter names"), "{err}");
    let err = runtime
        .new_host_module_builder("c")
        .new_function_builder()
        .with_func(|| ())
        .export("f")
        .new_function_builder()
        .with_func(|| ())
        .export("f")
        .instantiate()
        .unwrap_err();
    assert!(err.to_string().contains("exported twice"), "{err}");
    runtime.new_host_module_builder("d").instantiate().unwrap();
    assert!(runtime.new_host_module_builder("d").instantiate().is_err());
}

#[test]
fn a_host_function_calling_its_own_runtime_gets_an_error_not_a_deadlock() {
    let runtime = std::sync::Arc::new(Runtime::new());
    let slot: std::sync::Arc<std::sync::Mutex<Option<Function>>> = Default::default();
    let inner = slot.clone();
    let rt = std::sync::Arc::downgrade(&runtime);
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move || -> Result<i32, wz::Error> {
            // Compiling does not need the store, so it works from inside a call.
            let rt = rt.upgrade().expect("runtime alive");
            rt.compile_module(br#"(module)"#)?;
            assert!(!rt.engine_name().is_empty());
            let f = inner.lock().unwrap().clone().expect("set");
            // Re-entering through a handle (instead of the Caller) must fail cleanly.
            f.call(&[]).map(|_| 1)
        })
        .export("reenter")
        .instantiate()
        .unwrap();
    let app = runtime
        .instantiate(
            br#"(module (import "env" "reenter" (func $r (result i32)))
                (func (export "one") (result i32) (i32.const 1))
                (func (export "go") (result i32) (call $r)))"#,
        )
        .unwrap();
    *slot.lock().unwrap() = app.exported_function("one");
    let err = app.exported_function("go").unwrap().call(&[]).unwrap_err();
    assert!(err.to_string().contains("re-entrant"), "{err}");
    // And the runtime still works.
    assert_eq!(
        app.exported_function("one").unwrap().call(&[]).unwrap(),
        vec![1]
    );
}

#[test]
fn host_closures_take_up_to_sixteen_parameters_and_return_tuples() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(
                |a: i32,
                 b: i64,
                 c: f32,
                 d: f64,
                 e: i32,
                 f: i32,
                 g: i32,
                 h: i32,
                 i: i32,
                 j: i32,
                 k: i32,
                 l: i32,
                 m: i32,
                 n: i32,
                 o: i32,
                 p: u128| {
                    let ints = [a, e, f, g, h, i, j, k, l, m, n, o];
                    let sum: i64 = ints.iter().map(|&x| x as i64).sum::<i64>() + b;
                    (sum, c as f64 + d, p.rotate_left(64))
                },
            )
            .export("wide")
            .instantiate()
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module
                  (import "env" "wide" (func $wide (param i32 i64 f32 f64 i32 i32 i32 i32
                    i32 i32 i32 i32 i32 i32 i32 v128) (result i64 f64 v128)))
                  (func (export "run") (result i64 f64 v128)
                    (call $wide (i32.const 1) (i64.const 100) (f32.const 0.5) (f64.const 0.25)
                      (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6)
                      (i32.const 7) (i32.const 8) (i32.const 9) (i32.const 10) (i32.const 11)
                      (i32.const -1) (v128.const i64x2 1 2))))"#,
            )
            .unwrap();
        let run = module
            .exported_function("run")
            .unwrap()
            .typed::<(), (i64, f64, u128)>()
            .unwrap();
        let (sum, float, vec) = run.call(()).unwrap();
        assert_eq!(sum, 100 + 65, "{engine}");
        assert_eq!(float, 0.75, "{engine}");
        assert_eq!(vec, 1u128 << 64 | 2, "{engine}");
    }
}
