//! Import resolution: a compiled module remembers where its imports were found in each
//! export list it was linked against; the same module linked against other modules (other
//! names, other orders) must still get exactly the functions it names.

use wz::{ModuleConfig, Runtime, RuntimeConfig};

const GUEST: &str = r#"(module
  (import "env" "f3" (func $a (result i32)))
  (import "env" "f7" (func $b (result i32)))
  (func (export "run") (result i32)
    (i32.add (i32.mul (call $a) (i32.const 100)) (call $b))))"#;

/// A host module `env` whose export `f{i}` returns `value(i)`, exported in `order`.
fn host(runtime: &Runtime, order: &[i32], value: fn(i32) -> i32) -> wz::CompiledModule {
    let mut builder = runtime.new_host_module_builder("env");
    for &i in order {
        let v = value(i);
        builder = builder
            .new_function_builder()
            .with_func(move || v)
            .export(&format!("f{i}"));
    }
    builder.compile().unwrap()
}

#[test]
fn a_module_links_right_against_differently_ordered_exports() {
    for config in [RuntimeConfig::interpreter(), RuntimeConfig::compiler()] {
        let Ok(compiler) = Runtime::with_config(config.clone()) else {
            continue;
        };
        let guest = compiler.compile_module(GUEST.as_bytes()).unwrap();
        let forward: Vec<i32> = (0..10).collect();
        let backward: Vec<i32> = (0..10).rev().collect();
        let hosts = [
            (host(&compiler, &forward, |i| i), 307),
            (host(&compiler, &backward, |i| i + 1), 408),
            (host(&compiler, &[7, 5, 3], |i| 2 * i), 614),
        ];
        // Every host module twice, in fresh runtimes, interleaved: the second round links
        // from what the first remembered.
        for round in 0..2 {
            for (env, expected) in &hosts {
                let runtime = Runtime::with_config(config.clone()).unwrap();
                runtime
                    .instantiate_module(env, ModuleConfig::new().with_name("env"))
                    .unwrap();
                let module = runtime
                    .instantiate_module(&guest, ModuleConfig::new())
                    .unwrap();
                let run = module.exported_function("run").unwrap();
                let got = run.typed::<(), i32>().unwrap().call(()).unwrap();
                assert_eq!(got, *expected, "{}, round {round}", runtime.engine_name());
            }
        }
        // A host module without the import still fails, after all those successes.
        let runtime = Runtime::with_config(config).unwrap();
        let partial = host(&compiler, &[3], |i| i);
        runtime
            .instantiate_module(&partial, ModuleConfig::new().with_name("env"))
            .unwrap();
        let err = runtime
            .instantiate_module(&guest, ModuleConfig::new())
            .unwrap_err();
        assert!(err.to_string().contains("\"env\" \"f7\""), "{err}");
    }
}
