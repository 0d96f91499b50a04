//! Every engine configuration the facade tests run on.

use wz::{Runtime, RuntimeConfig};

/// The interpreter, and where the JIT runs, the JIT with guard pages and with explicit
/// bounds checks; each with its name for messages.
pub fn engines() -> Vec<(&'static str, RuntimeConfig)> {
    let mut v = vec![("interp", RuntimeConfig::interpreter())];
    if Runtime::with_config(RuntimeConfig::compiler()).is_ok() {
        v.push(("jit", RuntimeConfig::compiler()));
        v.push((
            "jit-explicit",
            RuntimeConfig::compiler().with_bounds_checks(wz::BoundsChecks::Explicit),
        ));
    }
    v
}
