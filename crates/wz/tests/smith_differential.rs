//! Random valid modules (wasm-smith) must behave the same on the interpreter and the JIT; see
//! `support/smith_diff.rs`. proptest supplies the random bytes wasm-smith builds modules from.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[path = "support/smith_diff.rs"]
mod smith_diff;

#[test]
fn random_modules_behave_the_same_on_both_engines() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
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
    if let Err(e) = result {
        panic!("{e}");
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
