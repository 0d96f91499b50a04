//! Programs that once made an engine compute a wrong value (reduced from modules the wasm-smith
//! differential test, `smith_differential.rs`, found), and programs aimed at state an engine
//! caches while it runs; run on every engine.

use wz::{Runtime, RuntimeConfig};

fn runtimes() -> Vec<Runtime> {
    [RuntimeConfig::interpreter(), RuntimeConfig::compiler()]
        .into_iter()
        .filter_map(|c| Runtime::with_config(c).ok())
        .collect()
}

/// A `local.get` left on the stack across a block whose body sets that local on one path
/// only. The interpreter's lowering defers `local.get` (the stack entry names the local) and
/// turned the entry into a copy where the `local.set` was, so the path that branched out
/// before it read a slot nothing had written (here: the 99 left by the `drop`ped constant).
#[test]
fn a_deferred_local_get_survives_a_block_that_sets_the_local_on_one_path() {
    let wat = r#"(module
      (func (export "block") (param i32) (result i32)
        (drop (i32.const 99))
        (local.get 0)
        (block
          (br_if 0 (local.get 0))
          (local.set 0 (i32.const 7)))
        (i32.add (local.get 0)))
      (func (export "if") (param i32) (result i32)
        (drop (i32.const 99))
        (local.get 0)
        (if (i32.eqz (local.get 0))
          (then (local.set 0 (i32.const 7))))
        (i32.add (local.get 0)))
      (func (export "loop") (param i32) (result i32)
        (drop (i32.const 99))
        (local.get 0)
        (loop $again
          (if (i32.lt_u (local.get 0) (i32.const 3))
            (then
              (local.set 0 (i32.add (local.get 0) (i32.const 1)))
              (br $again))))
        (i32.add (local.get 0))))"#;
    let engines = runtimes();
    assert!(!engines.is_empty());
    for runtime in engines {
        let module = runtime.instantiate(wat.as_bytes()).unwrap();
        let call = |name: &str, x: i32| -> i32 {
            module
                .exported_function(name)
                .unwrap()
                .typed::<i32, i32>()
                .unwrap()
                .call(x)
                .unwrap()
        };
        let engine = runtime.engine_name();
        // The first operand is the parameter as passed; the second the local afterwards.
        assert_eq!(call("block", 5), 10, "{engine}: block, branch taken");
        assert_eq!(call("block", 0), 7, "{engine}: block, local set");
        assert_eq!(call("if", 5), 10, "{engine}: if, not entered");
        assert_eq!(call("if", 0), 7, "{engine}: if, local set");
        assert_eq!(call("loop", 5), 10, "{engine}: loop, no iteration");
        assert_eq!(call("loop", 0), 3, "{engine}: loop, three iterations");
    }
}

/// The interpreter keeps memory 0's address and size in locals while it runs; they must be
/// re-read wherever the memory can change under it. Here a host function grows the caller's
/// memory (a small one, not a reservation, so growing may move it), and the guest then reads
/// and writes the new pages.
#[test]
fn memory_grown_by_a_host_function_is_seen_after_the_call() {
    for runtime in runtimes() {
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|caller: &mut wz::Caller<'_>, pages: i32| -> i32 {
                let Some(instance) = caller.instance() else {
                    return -1;
                };
                let mut store = caller.store();
                let Some(memory) = store.instance_memory(instance, 0) else {
                    return -1;
                };
                store
                    .memory_grow(memory, pages as u32)
                    .map_or(-1, |old| old as i32)
            })
            .export("grow")
            .instantiate()
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module
                  (import "env" "grow" (func $grow (param i32) (result i32)))
                  (memory 1)
                  (func (export "run") (result i32)
                    (i32.store (i32.const 16) (i32.const 5))
                    (drop (call $grow (i32.const 3)))
                    ;; the last word of the fourth page, then the first page again
                    (i32.store (i32.const 262140) (i32.const 37))
                    (i32.add (i32.load (i32.const 262140)) (i32.load (i32.const 16))))
                  (func (export "size") (result i32) memory.size))"#,
            )
            .unwrap();
        let run = module.exported_function("run").unwrap();
        let run = run.typed::<(), i32>().unwrap();
        assert_eq!(run.call(()).unwrap(), 42);
        let size = module.exported_function("size").unwrap();
        assert_eq!(size.typed::<(), i32>().unwrap().call(()).unwrap(), 4);
    }
}

/// A call into another instance with a memory of its own: back in the caller, accesses go
/// to the caller's (larger) memory again.
#[test]
fn the_callers_memory_is_back_after_a_call_into_another_instance() {
    for runtime in runtimes() {
        runtime
            .instantiate(
                br#"(module $other
                  (memory 1)
                  (data (i32.const 0) "\07")
                  (func (export "peek") (result i32) (i32.load8_u (i32.const 0))))"#,
            )
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module
                  (import "other" "peek" (func $peek (result i32)))
                  (memory 2)
                  (func (export "run") (result i32)
                    (i32.store (i32.const 70000) (i32.const 35))
                    (i32.add (call $peek) (i32.load (i32.const 70000)))))"#,
            )
            .unwrap();
        let run = module.exported_function("run").unwrap();
        assert_eq!(run.typed::<(), i32>().unwrap().call(()).unwrap(), 42);
    }
}

/// A function of another instance grows a memory both instances share; back in the caller
/// the new pages are usable, and an access past them still traps.
#[test]
fn memory_grown_by_another_instance_is_seen_after_the_call() {
    for runtime in runtimes() {
        runtime
            .instantiate(
                br#"(module $owner
                  (memory (export "mem") 1)
                  (func (export "grow") (param i32) (result i32)
                    (memory.grow (local.get 0))))"#,
            )
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module
                  (import "owner" "mem" (memory 1))
                  (import "owner" "grow" (func $grow (param i32) (result i32)))
                  (func (export "run") (result i32)
                    (drop (call $grow (i32.const 1)))
                    (i32.store (i32.const 131068) (i32.const 42))
                    (i32.load (i32.const 131068)))
                  (func (export "past") (result i32)
                    (i32.load (i32.const 131069))))"#,
            )
            .unwrap();
        let run = module.exported_function("run").unwrap();
        assert_eq!(run.typed::<(), i32>().unwrap().call(()).unwrap(), 42);
        let past = module.exported_function("past").unwrap();
        let err = past.typed::<(), i32>().unwrap().call(()).unwrap_err();
        assert!(err.to_string().contains("out of bounds"), "{err}");
    }
}

/// A host function that instantiates many modules while wasm frames are active: the store's
/// function and instance lists grow (and move) under a running call. The interpreter keeps
/// plain pointers to the running functions' code and to the caller instance's function list
/// (wz_interp's `Env` contract); the call must finish as if nothing happened, both in the
/// frames that were waiting on the host call and in calls made after it.
#[test]
fn instances_added_during_a_call_leave_the_running_frames_intact() {
    for runtime in runtimes() {
        let engine = runtime.engine_name();
        let filler = {
            let funcs: String = (0..50)
                .map(|i| format!("(func (export \"f{i}\") (result i32) i32.const {i})"))
                .collect();
            runtime
                .compile_module(format!("(module {funcs})").as_bytes())
                .unwrap()
        };
        let filler = filler.store_module().unwrap().clone();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(move |caller: &mut wz::Caller<'_>| -> i32 {
                let mut store = caller.store();
                (0..64)
                    .map(|_| store.instantiate(&filler, &[]).is_ok() as i32)
                    .sum()
            })
            .export("grow_store")
            .instantiate()
            .unwrap();
        let module = runtime
            .instantiate(
                br#"(module
                  (import "env" "grow_store" (func $grow (result i32)))
                  (memory 1)
                  ;; depth(n): n + 1 frames deep, the innermost calls the host.
                  (func $depth (param i32) (result i32)
                    (if (result i32) (i32.eqz (local.get 0))
                      (then (call $grow))
                      (else (i32.add (i32.const 1)
                              (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
                  (func $sum (param i32) (result i32)
                    (if (result i32) (i32.eqz (local.get 0))
                      (then (i32.const 0))
                      (else (i32.add (local.get 0)
                              (call $sum (i32.sub (local.get 0) (i32.const 1)))))))
                  (func (export "run") (param i32) (result i32)
                    (i32.store (i32.const 8) (i32.const 1000))
                    ;; 64 instances added, then n more for the frames that waited.
                    (i32.add (call $depth (local.get 0))
                      (i32.add (call $sum (local.get 0)) (i32.load (i32.const 8))))))"#,
            )
            .unwrap();
        let run = module
            .exported_function("run")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        for round in 0..3 {
            let n = 40;
            assert_eq!(
                run.call(n).unwrap(),
                64 + n + n * (n + 1) / 2 + 1000,
                "{engine}, round {round}"
            );
        }
    }
}
