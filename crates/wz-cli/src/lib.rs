//! The library behind the `wz` command. Most users want the `wz` binary or the `wz` crate; this
//! crate exposes the spec-script runner so the test suite can drive it.
#![forbid(unsafe_code)]

pub mod wast;
