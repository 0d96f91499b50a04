//! Guest misbehaviour ends in typed errors, and the store stays usable afterwards.

use wz_store::{CompiledModule, Store, TrapCode, Val};

fn instance(store: &mut Store, wat: &str) -> wz_store::InstanceId {
    let module = CompiledModule::new(&wat::parse_str(wat).unwrap(), Default::default()).unwrap();
    store.instantiate(&module, &[]).unwrap()
}

const MODULE: &str = r#"(module
    (memory 1)
    (func $forever (export "recurse") (param i64) (result i64)
      (i64.add (call $forever (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
    (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "oob") (result i32) (i32.load (i32.const 65535)))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

#[test]
fn unbounded_recursion_traps_on_a_small_host_stack() {
    // 256 KiB of host stack: wasm recursion must not use it, so this cannot overflow the host.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut store = Store::new();
            let inst = instance(&mut store, MODULE);
            let f = store.export_func(inst, "recurse").unwrap();
            let err = store.call(f, &[Val::I64(0)]).unwrap_err();
            assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow), "{err}");
            assert_eq!(err.to_string(), "wasm trap: call stack exhausted");
            // Usable afterwards.
            let div = store.export_func(inst, "div").unwrap();
            assert_eq!(
                store.call(div, &[Val::I32(7), Val::I32(2)]).unwrap(),
                vec![Val::I32(3)]
            );
        })
        .unwrap();
    handle.join().expect("the thread finished without crashing");
}

#[test]
fn traps_are_typed_and_repeatable() {
    let mut store = Store::new();
    let inst = instance(&mut store, MODULE);
    let div = store.export_func(inst, "div").unwrap();
    let oob = store.export_func(inst, "oob").unwrap();
    for _ in 0..1000 {
        let e = store.call(div, &[Val::I32(1), Val::I32(0)]).unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::IntegerDivideByZero));
        let e = store
            .call(div, &[Val::I32(i32::MIN), Val::I32(-1)])
            .unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::IntegerOverflow));
        let e = store.call(oob, &[]).unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
        assert_eq!(
            store.call(div, &[Val::I32(9), Val::I32(3)]).unwrap(),
            vec![Val::I32(3)]
        );
    }
}

#[test]
fn memory_state_survives_traps_and_huge_growth_fails_cleanly() {
    let mut store = Store::new();
    let inst = instance(&mut store, MODULE);
    let st = store.export_func(inst, "store").unwrap();
    let ld = store.export_func(inst, "load").unwrap();
    let grow = store.export_func(inst, "grow").unwrap();
    store.call(st, &[Val::I32(100), Val::I32(42)]).unwrap();
    let e = store.call(st, &[Val::I32(65534), Val::I32(1)]).unwrap_err();
    assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    assert_eq!(
        store.call(ld, &[Val::I32(100)]).unwrap(),
        vec![Val::I32(42)]
    );
    // Growing past 4 GiB is refused with -1, not an abort.
    assert_eq!(
        store.call(grow, &[Val::I32(70000)]).unwrap(),
        vec![Val::I32(-1)]
    );
    assert_eq!(store.call(grow, &[Val::I32(1)]).unwrap(), vec![Val::I32(1)]);
}

#[test]
fn wrong_arguments_are_usage_errors() {
    let mut store = Store::new();
    let inst = instance(&mut store, MODULE);
    let div = store.export_func(inst, "div").unwrap();
    assert!(
        store
            .call(div, &[Val::I32(1)])
            .unwrap_err()
            .to_string()
            .contains("expects 2 arguments")
    );
    assert!(
        store
            .call(div, &[Val::I32(1), Val::I64(1)])
            .unwrap_err()
            .to_string()
            .contains("type mismatch")
    );
}
