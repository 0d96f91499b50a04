//! The engine-neutral register IR of wz, and the lowering from validated WebAssembly to it.
//!
//! Most users want the `wz` facade instead; this crate is the second stage of its pipeline. It
//! depends only on `wz-binary` and is shared by every engine: the interpreter executes the IR
//! directly, and the JIT compiles it.
//!
//! - [`Op`] is one instruction. The instruction set is described once, in [`op`], and its
//!   opcodes, binary encoding, decoding, visitors and text printer are derived from that table.
//! - [`Function`] is one lowered function body with its frame layout.
//! - [`lower_module`] / [`lower_function`] turn a [`wz_binary::Module`]'s bodies into
//!   [`Function`]s.
//! - [`TrapCode`] names every way execution can trap; all engines report the same codes.
//!
//! Locals and operand-stack values become slots of a flat frame, constants are folded into
//! per-function constant slots, `local.set` is fused into the instruction producing the value,
//! and comparisons feeding `br_if`/`if` become one compare-and-branch instruction. See
//! `docs/ir.md` in the repository.
//!
//! ```
//! use wz_binary::{Features, Module};
//!
//! let wasm = wat::parse_str(r#"(module (func (param i32) (result i32)
//!     local.get 0 i32.const 1 i32.add))"#).unwrap();
//! let module = Module::decode(&wasm, Features::default()).unwrap();
//! let funcs = wz_ir::lower_module(&module).unwrap();
//! let text = funcs[0].to_string();
//! assert!(text.contains("i32.add dst=s2 lhs=s0 rhs=s1"), "{text}");
//! ```
#![forbid(unsafe_code)]

mod func;
mod lower;
mod metering;
pub mod op;
mod trap;
mod verify;

pub use func::Function;
pub use lower::{LowerError, lower_function, lower_function_with, lower_module, lower_module_with};
pub use metering::{FuelCounter, Metering, charges_fuel};
pub use op::{BranchOffset, Op, Slot};
pub use trap::TrapCode;
