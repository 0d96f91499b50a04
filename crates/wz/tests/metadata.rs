//! What a compiled module says about itself, host module compilation, and memory limits.

use wz::{ModuleConfig, Runtime, RuntimeConfig, ValType};

#[path = "support/engines.rs"]
mod support;
use support::engines;

const APP: &str = r#"(module $app
  (import "env" "log" (func $log (param $ptr i32) (param $len i32)))
  (import "env" "mem" (memory 1))
  (import "env" "tick" (func $tick (result i64)))
  (func $helper (param i32) (result i32) (local.get 0))
  (func $main (export "main") (export "_start") (param $argc i32) (param i32) (result i32 i64)
    (local.get 0) (call $tick))
  (export "helper_alias" (func $helper))
  (export "logger" (func $log))
  (@custom "producers-ish" "hello")
  (@custom "second" "\01\02\03"))"#;

#[test]
fn compiled_modules_list_imports_exports_and_custom_sections() {
    let runtime = Runtime::with_config(RuntimeConfig::new().with_custom_sections(true)).unwrap();
    let compiled = runtime.compile_module(APP.as_bytes()).unwrap();
    assert_eq!(compiled.name(), Some("app"));

    let imports = compiled.imported_functions();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0].import(), Some(("env", "log")));
    assert_eq!(imports[0].index(), 0);
    assert_eq!(imports[0].params(), [ValType::I32, ValType::I32]);
    assert_eq!(imports[0].param_names(), ["ptr", "len"]);
    assert_eq!(imports[1].import(), Some(("env", "tick")));
    assert_eq!(imports[1].results(), [ValType::I64]);
    assert!(imports[1].param_names().is_empty());

    // Exported functions in index order; a re-exported import appears once with both roles.
    let exports = compiled.exported_functions();
    let summary: Vec<(u32, Vec<String>, Option<&str>)> = exports
        .iter()
        .map(|f| (f.index(), f.export_names().to_vec(), f.debug_name()))
        .collect();
    assert_eq!(
        summary,
        [
            (0, vec!["logger".to_string()], Some("log")),
            (2, vec!["helper_alias".to_string()], Some("helper")),
            (
                3,
                vec!["main".to_string(), "_start".to_string()],
                Some("main")
            ),
        ]
    );
    assert_eq!(exports[0].import(), Some(("env", "log")));
    assert_eq!(exports[2].param_names(), ["argc", ""]);
    assert_eq!(exports[2].results(), [ValType::I32, ValType::I64]);
    assert_eq!(exports[2].module_name(), Some("app"));

    let memories = compiled.imported_memories();
    assert_eq!(memories.len(), 1);
    assert_eq!(memories[0].import(), Some(("env", "mem")));
    assert_eq!(
        (memories[0].min_pages(), memories[0].max_pages()),
        (1, None)
    );
    assert!(compiled.exported_memories().is_empty());

    let sections: Vec<(&str, &[u8])> = compiled
        .custom_sections()
        .iter()
        .map(|s| (s.name(), s.data()))
        .collect();
    assert!(sections.contains(&("producers-ish", b"hello".as_slice())));
    assert!(sections.contains(&("second", [1u8, 2, 3].as_slice())));
    assert!(sections.iter().any(|(name, _)| *name == "name"));

    // Without the option the sections are not kept.
    let plain = Runtime::new().compile_module(APP.as_bytes()).unwrap();
    assert!(plain.custom_sections().is_empty());
    assert_eq!(plain.exported_functions().len(), 3);
}

#[test]
fn a_function_handle_is_named_by_the_export_used_and_the_instance() {
    let runtime = Runtime::new();
    let compiled = runtime
        .compile_module(
            br#"(module $m (func $f (export "a") (export "b") (param $x i32) (result i32) (local.get 0)))"#,
        )
        .unwrap();
    let module = runtime
        .instantiate_module(&compiled, ModuleConfig::new().with_name("inst"))
        .unwrap();
    let b = module.exported_function("b").unwrap();
    assert_eq!(b.definition().name(), "b");
    assert_eq!(b.definition().module_name(), Some("inst"));
    assert_eq!(b.definition().export_names(), ["b", "a"]);
    assert_eq!(b.definition().param_names(), ["x"]);
    assert_eq!(
        module.exported_function("a").unwrap().definition().name(),
        "a"
    );
    assert_eq!(module.compiled().name(), Some("m"));
}

#[test]
fn compiled_host_modules_instantiate_many_times() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        let host = runtime
            .new_host_module_builder("math")
            .new_function_builder()
            .with_func(|a: i32, b: i32| (a + b, a - b))
            .with_param_names(&["a", "b"])
            .with_result_names(&["sum", "difference"])
            .export("sum_diff")
            .compile()
            .unwrap();
        assert_eq!(host.name(), Some("math"));
        let def = &host.exported_functions()[0];
        assert_eq!(def.params(), [ValType::I32, ValType::I32]);
        assert_eq!(def.result_names(), ["sum", "difference"]);
        for name in ["math", "math2", "math3"] {
            runtime
                .instantiate_module(&host, ModuleConfig::new().with_name(name))
                .unwrap();
        }
        let err = runtime
            .instantiate_module(&host, ModuleConfig::new())
            .unwrap_err();
        assert!(
            err.to_string().contains("already been instantiated"),
            "{err}"
        );
        let err = runtime
            .instantiate_module(&host, ModuleConfig::new().with_name(""))
            .unwrap_err();
        assert!(err.to_string().contains("needs a name"), "{err}");
        let user = runtime
            .instantiate(
                br#"(module
                  (import "math3" "sum_diff" (func $f (param i32 i32) (result i32 i32)))
                  (func (export "run") (result i32)
                    (call $f (i32.const 10) (i32.const 3)) (i32.mul)))"#,
            )
            .unwrap();
        let run = user.exported_function("run").unwrap();
        assert_eq!(
            run.typed::<(), i32>().unwrap().call(()).unwrap(),
            13 * 7,
            "{engine}"
        );
        // Closing one instance leaves the others working.
        runtime.module("math3").unwrap().close();
        assert!(runtime.module("math3").is_none());
        let again = runtime.module("math2").unwrap();
        let f = again.exported_function("sum_diff").unwrap();
        assert_eq!(
            f.typed::<(i32, i32), (i32, i32)>()
                .unwrap()
                .call((5, 1))
                .unwrap(),
            (6, 4)
        );
        // Mismatched name counts are caught when building.
        let err = runtime
            .new_host_module_builder("bad")
            .new_function_builder()
            .with_func(|a: i32| a)
            .with_result_names(&["x", "y"])
            .export("f")
            .compile()
            .unwrap_err();
        assert!(
            err.to_string().contains("2 result names for 1 results"),
            "{err}"
        );
    }
}

#[test]
fn the_memory_limit_caps_every_memory() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config.with_memory_limit_pages(3)).unwrap();
        let err = runtime
            .compile_module(b"(module (memory 4 10))")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("memory[0] has a minimum of 4 pages, which exceeds the limit of 3 pages"),
            "{engine}: {err}"
        );
        // A larger declared maximum (or none) is capped: memory.grow fails past 3 pages,
        // from the guest and from the host alike.
        let module = runtime
            .instantiate(
                br#"(module (memory (export "m") 1)
                  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
            )
            .unwrap();
        let grow = module
            .exported_function("grow")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        assert_eq!(grow.call(3).unwrap(), -1, "{engine}");
        assert_eq!(grow.call(2).unwrap(), 1, "{engine}");
        assert_eq!(grow.call(1).unwrap(), -1, "{engine}");
        let memory = module.memory().unwrap();
        assert_eq!(memory.size(), 3 * 65536);
        assert_eq!(memory.grow(1), None);
        // An imported memory is capped where it was created.
        let host = runtime
            .instantiate(br#"(module $host (memory (export "mem") 2))"#)
            .unwrap();
        drop(host);
        let user = runtime
            .instantiate(
                br#"(module (import "host" "mem" (memory 2))
                  (func (export "grow") (result i32) (memory.grow (i32.const 2))))"#,
            )
            .unwrap();
        let grow = user.exported_function("grow").unwrap();
        assert_eq!(grow.call(&[]).unwrap(), vec![u32::MAX as u64], "{engine}");
    }
}

#[test]
fn capacity_from_max_keeps_memory_contents_across_growth() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config.with_memory_capacity_from_max(true)).unwrap();
        let module = runtime
            .instantiate(br#"(module (memory (export "m") 1 64))"#)
            .unwrap();
        let memory = module.memory().unwrap();
        memory.write_u64_le(65528, 0x0102_0304_0506_0708).unwrap();
        for pages in 1..64 {
            assert_eq!(memory.grow(1), Some(pages), "{engine}");
        }
        assert_eq!(memory.grow(1), None);
        assert_eq!(memory.read_u64_le(65528), Some(0x0102_0304_0506_0708));
        assert_eq!(memory.read_u8(64 * 65536 - 1), Some(0));
    }
}
