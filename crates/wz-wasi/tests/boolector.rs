//! A real WASI program from another toolchain: the Boolector SMT solver (YoWASP's build),
//! solving the problems in `tests/boolector` read from a mounted directory. Its stdout, the
//! file it writes and its exit code must be what wasmtime produced for the same run (the
//! `*.expected` files were recorded with wasmtime 50.0.1).
//!
//! `tests/boolector/fetch.sh` downloads `boolector.wasm` (pinned by hash) into
//! `target/boolector`; `.ci/run` calls it. Without it these tests say so and pass.

use std::path::{Path, PathBuf};

use wz::{ModuleConfig, Runtime, RuntimeConfig};

#[path = "../../wz/tests/support/engines.rs"]
mod support;
use support::engines;

#[path = "support/buffer.rs"]
mod buffer;
use buffer::Buffer;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The solver, or `None` (with the reason printed) when it has not been fetched.
fn boolector() -> Option<Vec<u8>> {
    let path = root().join("target/boolector/boolector.wasm");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            println!(
                "skipped: {} ({e}); run tests/boolector/fetch.sh to fetch it",
                path.display()
            );
            None
        }
    }
}

/// Runs boolector with `args` on `config`, with `dir` mounted at `/smt`: (stdout, exit code).
fn solve(config: RuntimeConfig, wasm: &[u8], dir: &Path, args: &[&str]) -> (String, u32) {
    let runtime = Runtime::with_config(config).unwrap();
    wz_wasi::instantiate(&runtime).unwrap();
    let compiled = runtime.compile_module(wasm).unwrap();
    let stdout = Buffer::default();
    let argv: Vec<&str> = std::iter::once("boolector")
        .chain(args.iter().copied())
        .collect();
    let config = ModuleConfig::new()
        .with_args(&argv)
        .with_stdout(stdout.clone())
        .with_fs_config(wz::FsConfig::new().with_dir_mount(dir, "/smt"));
    let code = match runtime.instantiate_module(&compiled, config) {
        Ok(_) => 0,
        Err(e) => e
            .exit_code()
            .unwrap_or_else(|| panic!("boolector failed: {e}")),
    };
    let text = String::from_utf8(stdout.bytes()).unwrap();
    (text, code)
}

/// A copy of `tests/boolector` to run in, so files the solver writes land in scratch space.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wz-boolector-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(root().join("tests/boolector")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().ends_with(".smt2") {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
    dir
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/boolector").join(name)).unwrap()
}

#[test]
fn boolector_answers_as_under_wasmtime_on_every_engine() {
    let Some(wasm) = boolector() else { return };
    for (engine, config) in engines() {
        let dir = workdir(engine);
        let (out, code) = solve(config.clone(), &wasm, &dir, &["/smt/unsat.smt2"]);
        assert_eq!(
            (out.as_str(), code),
            (expected("unsat.expected").as_str(), 20),
            "{engine}"
        );
        // A model, written to a file in the mounted directory (-o).
        let (out, code) = solve(
            config,
            &wasm,
            &dir,
            &["-m", "-o", "/smt/model.out", "/smt/sat.smt2"],
        );
        assert_eq!(
            (out.as_str(), code),
            (expected("sat.expected").as_str(), 10),
            "{engine}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("model.out")).unwrap(),
            expected("sat-model.expected"),
            "{engine}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn boolector_factors_a_40_bit_number_on_the_jit() {
    let Some(wasm) = boolector() else { return };
    let Ok(runtime) = Runtime::with_config(RuntimeConfig::compiler()) else {
        println!("skipped: the JIT does not run on this host (the interpreter test covers it)");
        return;
    };
    drop(runtime);
    let dir = workdir("factor");
    let (out, code) = solve(
        RuntimeConfig::compiler(),
        &wasm,
        &dir,
        &["/smt/factor.smt2"],
    );
    assert_eq!(
        (out.as_str(), code),
        (expected("factor.expected").as_str(), 10)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
