//! Compiling once: a compilation cache shared by runtimes in this process, and kept on disk
//! for the next process.
//!
//! `cargo run -p wz --example cache`

use std::time::Instant;

use anyhow::Result;
use wz::{CompilationCache, Runtime, RuntimeConfig};

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join("wz-example-cache");
    let cache = CompilationCache::with_dir(&dir)?;
    let wasm = br#"(module (func (export "answer") (result i32) (i32.const 42)))"#;
    for round in 0..3 {
        let runtime = Runtime::with_config(RuntimeConfig::new().with_compilation_cache(&cache))?;
        let start = Instant::now();
        let compiled = runtime.compile_module(wasm)?;
        let took = start.elapsed();
        let module = runtime.instantiate_module(&compiled, wz::ModuleConfig::new())?;
        let answer = module
            .exported_function("answer")
            .expect("exported")
            .typed::<(), i32>()?;
        println!(
            "round {round}: compiled in {took:?}, answer {}",
            answer.call(())?
        );
    }
    println!("cache: {:?} in {}", cache.stats(), dir.display());
    Ok(())
}
