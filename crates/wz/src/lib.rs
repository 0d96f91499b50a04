//! wz: a WebAssembly runtime.
//!
//! The embedding API follows wazero's model: a [`Runtime`] compiles modules
//! ([`Runtime::compile_module`]) and instantiates them ([`Runtime::instantiate_module`] with a
//! [`ModuleConfig`]) into [`Module`]s, whose exported [`Function`]s, [`Memory`] and
//! [`Global`]s are handles that can be used from any thread. Modules import from modules
//! instantiated earlier in the same runtime, by name, including host modules
//! ([`Runtime::new_host_module_builder`]). A [`CompilationCache`] shares compiled code between
//! runtimes and, with a directory, across processes.
//!
//! ```
//! let runtime = wz::Runtime::new();
//! let module = runtime.instantiate(br#"(module
//!     (func $fib (export "fib") (param i32) (result i32)
//!       (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
//!         (then (local.get 0))
//!         (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
//!                        (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#).unwrap();
//! let fib = module.exported_function("fib").unwrap().typed::<i32, i32>().unwrap();
//! assert_eq!(fib.call(20).unwrap(), 6765);
//! ```
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `wat` | yes | text-format modules accepted by [`Runtime::compile_module`] (pulls in `wat`) |
#![deny(unsafe_code)]

mod cache;
mod compiled;
mod config;
pub mod experimental;
mod host;
mod limits;
mod module;
pub mod raw;
mod runtime;
mod sys;
mod typed;

pub use cache::{CacheStats, CompilationCache};
pub use compiled::{CompiledModule, CustomSection, FunctionDefinition, MemoryDefinition};
pub use config::RuntimeConfig;
pub use host::{
    Caller, HostFunctionBuilder, HostModuleBuilder, HostResult, IntoHostFunc, StoreMut, WithCaller,
};
pub use limits::{CallContext, InterruptHandle};
pub use module::{Function, Global, Memory, Module};
pub use runtime::{ModuleConfig, Runtime};
pub use sys::{
    FAKE_EPOCH_SECONDS, FsConfig, Mount, Nanosleep, Nanotime, SharedReader, SharedWriter, System,
    Walltime,
};
pub use typed::{TypedFunction, WasmParams, WasmResults, WasmTy, WasmValues};
pub use wz_store::{
    Backtrace, BoundsChecks, Engine, Error, ErrorKind, Features, FrameInfo, FuncType, GlobalType,
    MAX_FRAMES, Metering, TrapCode, Val, ValType,
};
