//! Differential fuzzing: random valid modules (wasm-smith) must behave the same on the
//! interpreter and the JIT. The comparison is the one `cargo test` runs on proptest inputs
//! (`crates/wz/tests/support/smith_diff.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/wz/tests/support/smith_diff.rs"]
mod smith_diff;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Err(difference) = smith_diff::compare(&mut u) {
        panic!("the engines differ: {difference}");
    }
});
