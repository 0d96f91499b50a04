//! Random valid modules (wasm-smith) must behave the same on the interpreter and the JIT; see
//! `support/smith_diff.rs`. proptest supplies the random bytes wasm-smith builds modules from.
//!
//! The inputs come from a fixed seed, so every run (and CI) compares the same modules and a
//! failure reproduces. `WZ_SMITH_SEED=<number>` picks other inputs, `WZ_SMITH_SEED=random` a
//! new seed each run, `WZ_SMITH_CASES=<n>` how many (128 by default); the `diff` fuzz target
//! explores without end. A difference writes its module next to the test's temporary files
//! and names it in the failure.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

#[path = "support/smith_diff.rs"]
mod smith_diff;

/// The seed of CI's inputs.
const SEED: u64 = 0x7a5e_ed00_2026_1124;

fn seed() -> u64 {
    match std::env::var("WZ_SMITH_SEED") {
        Ok(s) if s == "random" => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(SEED, |d| d.as_nanos() as u64),
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("WZ_SMITH_SEED must be a number or `random`, not {s:?}")),
        Err(_) => SEED,
    }
}

#[test]
fn random_modules_behave_the_same_on_both_engines() {
    let seed = seed();
    let cases = std::env::var("WZ_SMITH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128);
    println!("WZ_SMITH_SEED={seed} WZ_SMITH_CASES={cases}");
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&seed.to_le_bytes());
    }
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &key),
    );
    let (modules, calls) = (std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
    let strategy = proptest::collection::vec(any::<u8>(), 4096..16384);
    let result = runner.run(&strategy, |data| {
        let mut u = arbitrary::Unstructured::new(&data);
        let verdict = smith_diff::compare(&mut u).map_err(TestCaseError::fail)?;
        if let Some(why) = verdict.stopped {
            println!("stopped: {why}");
        }
        modules.set(modules.get() + 1);
        calls.set(calls.get() + verdict.calls);
        Ok(())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, data)) => {
            let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("smith-difference-{seed}.wasm"));
            let saved = smith_diff::module(&mut arbitrary::Unstructured::new(&data))
                .map_err(|e| e.to_string())
                .and_then(|wasm| std::fs::write(&path, wasm).map_err(|e| e.to_string()));
            match saved {
                Ok(()) => panic!(
                    "{why} (WZ_SMITH_SEED={seed}; the module: {})",
                    path.display()
                ),
                Err(e) => panic!("{why} (WZ_SMITH_SEED={seed}; the module was not saved: {e})"),
            }
        }
        Err(e) => panic!("{e} (WZ_SMITH_SEED={seed})"),
    }
    let (modules, calls) = (modules.get(), calls.get());
    println!("{modules} modules, {calls} calls compared");
    // Most inputs give a module with at least one export; a generator change that stopped
    // producing any would make this test vacuous.
    if cfg!(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        assert!(calls > 0, "no call was compared");
    }
}
