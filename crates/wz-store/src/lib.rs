//! Instances, memories, tables, globals, linking and traps of wz.
//!
//! Most users want the `wz` facade instead. A [`Store`] owns every runtime object in flat
//! arenas addressed by small handles ([`FuncId`], [`MemoryId`], ...). [`CompiledModule`] is a
//! decoded, validated and lowered module; [`Store::instantiate`] links its imports against
//! instances registered under a name, evaluates initializers, applies segments, and runs the
//! start function. [`Store::call`] runs a function on the engine.
//!
//! After any trap the store stays consistent and usable: execution state lives in a reusable
//! stack that is reset on every exit, and partial effects (memory writes, table writes) are
//! exactly those the specification says are visible.
//!
//! ```
//! use wz_store::{CompiledModule, Store, Val};
//!
//! let wasm = wat::parse_str(r#"(module (func (export "sq") (param i32) (result i32)
//!     local.get 0 local.get 0 i32.mul))"#).unwrap();
//! let module = CompiledModule::new(&wasm, Default::default()).unwrap();
//! let mut store = Store::new();
//! let instance = store.instantiate(&module, &[]).unwrap();
//! let sq = store.export_func(instance, "sq").unwrap();
//! assert_eq!(store.call(sq, &[Val::I32(12)]).unwrap(), vec![Val::I32(144)]);
//! ```
#![deny(unsafe_code)]

mod backtrace;
mod error;
mod exec;
#[allow(unsafe_code)]
mod jit;
mod listen;
mod module;
mod names;
mod objects;
mod store;
mod values;

pub use backtrace::{Backtrace, FrameInfo, MAX_FRAMES};
pub use error::{Error, ErrorKind};
pub use jit::JitEntry;
pub use listen::{FuncListener, ListenerFactory};
pub use module::{CompiledModule, Engine, InterpConfig};
pub use names::ExportNames;
pub use objects::{Caller, HostFunc, MemoryLimits, StoreMut};
pub use store::{Store, slot_count};
pub use values::{Extern, FuncId, GlobalId, InstanceId, MemoryId, TableId, Val};
pub use wz_binary::{
    ExternKind, Features, FuncType, GlobalType, ImportKind, Limits, MemoryType, Module, RefType,
    TableType, ValType,
};
pub use wz_cranelift::{BoundsChecks, JitConfig, JitEngine};
pub use wz_ir::{Metering, TrapCode};

/// Bytes in a WebAssembly page.
pub const PAGE_SIZE: usize = 65536;
