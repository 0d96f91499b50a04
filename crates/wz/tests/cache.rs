//! The compilation cache: shared between runtimes in memory, persisted in a directory, and
//! never trusting a damaged entry.

use wz::{CacheStats, CompilationCache, ModuleConfig, Runtime, RuntimeConfig};

const WAT: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;

fn fib(runtime: &Runtime, module: &wz::CompiledModule) -> i32 {
    let m = runtime
        .instantiate_module(module, ModuleConfig::new().with_name(""))
        .unwrap();
    m.exported_function("fib")
        .unwrap()
        .typed::<i32, i32>()
        .unwrap()
        .call(20)
        .unwrap()
}

fn jit_available() -> bool {
    Runtime::with_config(RuntimeConfig::compiler()).is_ok()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wz-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn runtimes_sharing_a_cache_share_engine_and_code() {
    for config in [RuntimeConfig::interpreter(), RuntimeConfig::new()] {
        let cache = CompilationCache::new();
        let config = config.with_compilation_cache(&cache);
        let a = Runtime::with_config(config.clone()).unwrap();
        let b = Runtime::with_config(config).unwrap();
        let compiled = a.compile_module(WAT.as_bytes()).unwrap();
        b.compile_module(WAT.as_bytes()).unwrap();
        assert_eq!(
            cache.stats(),
            CacheStats {
                memory_hits: 1,
                disk_hits: 0,
                compiled: 1
            }
        );
        // A module compiled through one runtime instantiates in the other.
        assert_eq!(fib(&b, &compiled), 6765);
        assert_eq!(cache.len(), 1);
    }
}

#[test]
fn a_directory_cache_survives_the_process_and_ignores_damage() {
    if !jit_available() {
        return;
    }
    let dir = temp_dir("dir");
    let compile = || {
        let cache = CompilationCache::with_dir(&dir).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache)).unwrap();
        let module = runtime.compile_module(WAT.as_bytes()).unwrap();
        assert_eq!(fib(&runtime, &module), 6765);
        cache.stats()
    };
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    // First "process": compiles and writes one entry.
    assert_eq!(compile().compiled, 1);
    let files = entries();
    assert_eq!(files.len(), 1, "{files:?}");
    let entry = files[0].clone();
    let good = std::fs::read(&entry).unwrap();
    // A fresh cache on the same directory (as another process would) loads it.
    assert_eq!(compile().disk_hits, 1);
    // Damaged entries are recompiled and replaced, never trusted.
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    for damaged in [
        flipped,
        good[..good.len() / 3].to_vec(),
        Vec::new(),
        b"junk".to_vec(),
    ] {
        std::fs::write(&entry, &damaged).unwrap();
        let stats = compile();
        assert_eq!((stats.compiled, stats.disk_hits), (1, 0));
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "the entry was rewritten"
        );
    }
    // An entry of another module under this module's name is refused too.
    let other_dir = temp_dir("other");
    let other = {
        let cache = CompilationCache::with_dir(&other_dir).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache)).unwrap();
        runtime
            .compile_module(
                br#"(module (func (export "fib") (param i32) (result i32) i32.const 0))"#,
            )
            .unwrap();
        let f = std::fs::read_dir(&other_dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read(f).unwrap()
    };
    std::fs::write(&entry, other).unwrap();
    assert_eq!(compile().compiled, 1);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other_dir);
}

#[test]
fn processes_sharing_a_directory_do_not_see_half_entries() {
    if !jit_available() {
        return;
    }
    let dir = temp_dir("threads");
    // Separate caches on one directory, compiling at once, stand in for processes.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let cache = CompilationCache::with_dir(&dir).unwrap();
                    let config = RuntimeConfig::compiler().with_compilation_cache(&cache);
                    let runtime = Runtime::with_config(config).unwrap();
                    let module = runtime.compile_module(WAT.as_bytes()).unwrap();
                    assert_eq!(fib(&runtime, &module), 6765);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "one entry, no temporary files left: {names:?}"
    );
    assert!(names[0].ends_with(".wzc"));
    let _ = std::fs::remove_dir_all(&dir);
}
