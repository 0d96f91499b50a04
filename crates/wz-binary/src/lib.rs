//! Decoding and validation of WebAssembly binaries for wz.
//!
//! Most users want the [`wz`](https://docs.rs/wz) facade instead; this crate is the first stage of
//! its pipeline and is usable on its own by tools that only need to inspect a module.
//!
//! [`Module::decode`] checks the header, validates the whole module with
//! [`wasmparser`] against a [`Features`] set, and returns an owned [`Module`]: every section as
//! plain Rust data (types, imports, functions, tables, memories, globals, exports, start, element
//! and data segments, custom sections and the name section). Function bodies stay as byte ranges
//! into the module's bytes; the next stage (`wz-ir`) lowers them.
//!
//! Any input, however malformed, yields either a `Module` or a [`DecodeError`] that says what is
//! wrong and at which byte offset. Decoding never panics.
//!
//! ```
//! use wz_binary::{Features, Module, ValType};
//!
//! let bytes = wat::parse_str(r#"(module (func (export "add") (param i32 i32) (result i32)
//!     local.get 0 local.get 1 i32.add))"#).unwrap();
//! let module = Module::decode(&bytes, Features::default()).unwrap();
//! let export = &module.exports[0];
//! assert_eq!(export.name, "add");
//! let ty = module.func_type(0).unwrap();
//! assert_eq!(ty.params(), &[ValType::I32, ValType::I32]);
//! assert_eq!(ty.results(), &[ValType::I32]);
//!
//! let err = Module::decode(b"\0asm\x02\0\0\0", Features::default()).unwrap_err();
//! assert_eq!(err.offset(), 4);
//! ```
#![forbid(unsafe_code)]

mod error;
mod features;
mod module;
mod types;

pub use error::DecodeError;
pub use features::Features;
pub use module::{
    CustomSection, DataMode, DataSegment, ElementMode, ElementSegment, Export, ExternKind,
    FunctionBody, Global, Import, ImportKind, Module, Names,
};
pub use types::{ConstExpr, FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType};

/// Index of a type in the module's type section.
pub type TypeIndex = u32;
/// Index into the module's function index space (imports first).
pub type FuncIndex = u32;
