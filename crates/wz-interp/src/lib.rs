//! The interpreter engine of wz.
//!
//! Most users want the `wz` facade instead. This crate executes [`wz_ir::Function`]s (each
//! checked once, as a [`Code`]): it owns
//! nothing but a [`Stack`] of flat 64-bit slots and call frames, and reaches everything else
//! (linear memory, globals, tables, other functions, host functions) through the [`Env`] trait,
//! which the store implements. The interpreter is generic over `Env`, so those accesses are
//! resolved at compile time.
//!
//! - No allocation per instruction or per call: frames are windows of one growing slot array,
//!   and a callee's frame starts at its caller's argument slots, so arguments are never copied.
//! - Recursion is bounded by [`StackLimits`]; exceeding them is the trap
//!   [`TrapCode::StackOverflow`] ("call stack exhausted"), never a host stack overflow, because
//!   wasm-to-wasm calls do not recurse on the host stack.
//!
//! ```
//! use std::sync::Arc;
//! use wz_interp::{Callee, Env, Stack};
//! use wz_ir::TrapCode;
//!
//! // A minimal environment: no memory, globals or tables; calls stay in one module.
//! struct Module(Vec<Arc<wz_interp::Code>>);
//! // SAFETY: there is no memory (`memory` returns the default empty slice), and the functions
//! // handed out by `callee` live as long as the environment.
//! unsafe impl Env for Module {
//!     type Error = TrapCode;
//!     fn callee(&mut self, func: u32) -> Callee<'_> {
//!         Callee::Wasm { instance: 0, func: &self.0[func as usize] }
//!     }
//! }
//!
//! let wasm = wat::parse_str(r#"(module (func $fac (param i64) (result i64)
//!     (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
//!       (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))"#).unwrap();
//! let module = wz_binary::Module::decode(&wasm, Default::default()).unwrap();
//! let funcs: Vec<_> = wz_ir::lower_module(&module).unwrap().into_iter()
//!     .map(|f| Arc::new(wz_interp::Code::new(f).unwrap())).collect();
//! let mut env = Module(funcs.clone());
//! let mut stack = Stack::default();
//! let mut results = [0u64];
//! wz_interp::invoke(&mut env, &mut stack, 0, &funcs[0], &[20], &mut results).unwrap();
//! assert_eq!(results[0], 2432902008176640000);
//! ```
#![deny(unsafe_code)]

mod env;
// The one module with `unsafe`: unchecked operand, instruction and memory access in the
// dispatch loop and its instruction handlers, sound because every function it runs was
// checked (`Code`) and `Env` (an `unsafe trait`) promises when memory may change.
#[allow(unsafe_code)]
mod exec;
mod num;
mod simd;

pub use env::{Callee, Env, Meter};
pub use exec::{Code, Stack, StackLimits, TraceFrame, invoke};
pub use wz_ir::TrapCode;
