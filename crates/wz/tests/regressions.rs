//! Programs that once made an engine compute a wrong value, each reduced from a module the
//! wasm-smith differential test (`smith_differential.rs`) found; run on every engine.

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
