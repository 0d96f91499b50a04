//! The JIT behind the store: traps leave the store usable, on many threads at once, and calls
//! between compiled code and host functions carry values and errors both ways.

use wz_store::{
    CompiledModule, Engine, Error, ErrorKind, Extern, FuncType, HostFunc, Store, TrapCode, Val,
    ValType,
};

const TRAPS: &str = r#"(module
  (memory 1)
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
  (func (export "unreachable") unreachable))"#;

fn jit() -> Option<Engine> {
    match Engine::compiler() {
        Ok(e) => Some(e),
        Err(e) => {
            println!("JIT not available on this host: {e}");
            None
        }
    }
}

fn call(
    store: &mut Store,
    instance: wz_store::InstanceId,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let f = store.export_func(instance, name).expect("export exists");
    store.call(f, args)
}

#[test]
fn traps_leave_the_store_usable_on_many_threads() {
    let Some(engine) = jit() else { return };
    let wasm = wat::parse_str(TRAPS).unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t: i32| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::with_engine(engine);
                let i = store.instantiate(&module, &[]).unwrap();
                for n in 0..50i32 {
                    let e = call(&mut store, i, "div", &[Val::I32(n), Val::I32(0)]).unwrap_err();
                    assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivideByZero));
                    let e = call(&mut store, i, "load", &[Val::I32(65533 + n)]).unwrap_err();
                    assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
                    let e = call(&mut store, i, "unreachable", &[]).unwrap_err();
                    assert_eq!(e.trap_code(), Some(TrapCode::Unreachable));
                    if n % 10 == 0 {
                        let e = call(&mut store, i, "deep", &[Val::I32(0)]).unwrap_err();
                        assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow));
                    }
                    let ok = call(&mut store, i, "div", &[Val::I32(100 + n + t), Val::I32(2)]);
                    assert_eq!(ok.unwrap(), vec![Val::I32((100 + n + t) / 2)]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no thread panicked");
    }
}

#[test]
fn host_functions_called_from_compiled_code() {
    let Some(engine) = jit() else { return };
    let mut store = Store::with_engine(engine.clone());
    let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::I64, ValType::I32]);
    let swap = store
        .alloc_host_func(HostFunc::new(ty, |caller, slots| {
            assert!(caller.instance().is_some(), "the wasm caller is reported");
            let (a, b) = (slots[0] as u32, slots[1]);
            if a == 13 {
                return Err(Error::new(ErrorKind::Exit(13)));
            }
            if a == 99 {
                panic!("a host bug");
            }
            slots[0] = b * 2;
            slots[1] = a as u64 + 1;
            Ok(())
        }))
        .unwrap();
    let host = store.alloc_host_instance(vec![("swap".into(), Extern::Func(swap))]);
    store.register("host", host).unwrap();
    let wasm = wat::parse_str(
        r#"(module
          (import "host" "swap" (func $swap (param i32 i64) (result i64 i32)))
          (func (export "run") (param i32 i64) (result i64 i32)
            (call $swap (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    let imports = store.resolve_imports(&module).unwrap();
    let i = store.instantiate(&module, &imports).unwrap();
    let r = call(&mut store, i, "run", &[Val::I32(4), Val::I64(21)]).unwrap();
    assert_eq!(r, vec![Val::I64(42), Val::I32(5)]);
    let e = call(&mut store, i, "run", &[Val::I32(13), Val::I64(0)]).unwrap_err();
    assert_eq!(e.exit_code(), Some(13));
    let e = call(&mut store, i, "run", &[Val::I32(99), Val::I64(0)]).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Host(_)),
        "a panic becomes a host error: {e}"
    );
    let r = call(&mut store, i, "run", &[Val::I32(1), Val::I64(5)]).unwrap();
    assert_eq!(r, vec![Val::I64(10), Val::I32(2)]);
}

#[test]
fn modules_only_run_on_their_engine() {
    let Some(engine) = jit() else { return };
    let wasm = wat::parse_str("(module)").unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    let mut store = Store::new();
    let e = store.instantiate(&module, &[]).unwrap_err();
    assert!(e.to_string().contains("jit engine"), "{e}");
}

#[test]
fn deep_recursion_on_a_small_thread_stack_traps() {
    let Some(engine) = jit() else { return };
    let wasm = wat::parse_str(TRAPS).unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    // The thread's stack is smaller than the 512 KiB the JIT allows wasm by default: the
    // limit must come from the thread's real stack end, or this would hit the guard page.
    for stack in [192 * 1024, 256 * 1024, 1024 * 1024] {
        let (engine, module) = (engine.clone(), module.clone());
        let outcome = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let mut store = Store::with_engine(engine);
                let i = store.instantiate(&module, &[]).unwrap();
                let e = call(&mut store, i, "deep", &[Val::I32(0)]).unwrap_err();
                let ok = call(&mut store, i, "div", &[Val::I32(9), Val::I32(3)]).unwrap();
                (e.trap_code(), ok)
            })
            .unwrap()
            .join()
            .expect("the thread did not crash");
        assert_eq!(outcome.0, Some(TrapCode::StackOverflow), "stack {stack}");
        assert_eq!(outcome.1, vec![Val::I32(3)]);
    }
}

#[test]
fn resolved_entries_call_compiled_code_only_in_their_store() {
    let Some(engine) = jit() else { return };
    let wasm = wat::parse_str(TRAPS).unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    let mut store = Store::with_engine(engine.clone());
    let i = store.instantiate(&module, &[]).unwrap();
    let div = store.export_func(i, "div").unwrap();
    let deep = store.export_func(i, "deep").unwrap();
    let entry = store.jit_entry(div).expect("compiled code has an entry");
    assert_eq!((entry.func(), entry.slots()), (div, 2));
    let mut slots = [17, 5];
    store.call_jit(&entry, &mut slots).unwrap();
    assert_eq!(slots[0], 3);
    // Too few slots, and another store (even of the same module), are refused, not run.
    let e = store.call_jit(&entry, &mut [17]).unwrap_err();
    assert!(e.to_string().contains("slots"), "{e}");
    let mut other = Store::with_engine(engine.clone());
    other.instantiate(&module, &[]).unwrap();
    let e = other.call_jit(&entry, &mut [17, 5]).unwrap_err();
    assert!(e.to_string().contains("another store"), "{e}");
    // Traps through an entry leave the store as usable as `call_raw`'s do.
    let e = store.call_jit(&entry, &mut [1, 0]).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivideByZero));
    let deep_entry = store.jit_entry(deep).unwrap();
    let e = store.call_jit(&deep_entry, &mut [0]).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::StackOverflow));
    let mut slots = [100, 7];
    store.call_jit(&entry, &mut slots).unwrap();
    assert_eq!(slots[0], 14);
    let mut slots = [100, 7];
    store.call_raw(div, &mut slots).unwrap();
    assert_eq!(slots[0], 14);
    // Host functions and interpreted code have none.
    let ty = FuncType::new([], []);
    let host = store
        .alloc_host_func(HostFunc::new(ty, |_, _| Ok(())))
        .unwrap();
    assert!(store.jit_entry(host).is_none());
    let mut interp = Store::default();
    let module = CompiledModule::new(&wasm, Default::default()).unwrap();
    let i = interp.instantiate(&module, &[]).unwrap();
    let div = interp.export_func(i, "div").unwrap();
    assert!(interp.jit_entry(div).is_none());
}

#[test]
fn host_functions_adding_host_functions_mid_call_stay_callable() {
    use std::sync::{Arc, Mutex};
    let Some(engine) = jit() else { return };
    let mut store = Store::with_engine(engine.clone());
    let added = Arc::new(Mutex::new(Vec::new()));
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    // Each call adds 50 host functions (each set moves the store's list of sets), the k-th
    // returning k, and returns its argument plus one.
    let grow = store
        .alloc_host_func(HostFunc::new(ty, {
            let added = added.clone();
            move |caller, slots| {
                let mut store = caller.store();
                let mut added = added.lock().unwrap();
                for _ in 0..50 {
                    let k = added.len() as u64;
                    let ty = FuncType::new([], [ValType::I32]);
                    added.push(store.alloc_host_func(HostFunc::new(ty, move |_, slots| {
                        slots[0] = k;
                        Ok(())
                    }))?);
                }
                slots[0] = (slots[0] as u32 + 1) as u64;
                Ok(())
            }
        }))
        .unwrap();
    let wasm = wat::parse_str(
        r#"(module
          (import "host" "grow" (func $grow (param i32) (result i32)))
          (func (export "run") (param i32) (result i32)
            (call $grow (call $grow (call $grow (local.get 0))))))"#,
    )
    .unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    let i = store.instantiate(&module, &[Extern::Func(grow)]).unwrap();
    for round in 0..2 {
        let r = call(&mut store, i, "run", &[Val::I32(10 * round)]).unwrap();
        assert_eq!(r, vec![Val::I32(10 * round + 3)]);
    }
    let added = added.lock().unwrap().clone();
    assert_eq!(added.len(), 300);
    let wasm = wat::parse_str(
        r#"(module (import "host" "k" (func $k (result i32)))
          (func (export "run") (result i32) (call $k)))"#,
    )
    .unwrap();
    let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
    for (k, f) in added.into_iter().enumerate().step_by(37) {
        assert_eq!(store.call(f, &[]).unwrap(), vec![Val::I32(k as i32)]);
        // And from compiled code, through the function's host context.
        let i = store.instantiate(&module, &[Extern::Func(f)]).unwrap();
        assert_eq!(
            call(&mut store, i, "run", &[]).unwrap(),
            vec![Val::I32(k as i32)]
        );
    }
}
