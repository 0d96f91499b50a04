//! wz: a WebAssembly runtime.
//!
//! This is the public face of wz. For now it offers the path from bytes to results: compile a
//! module, instantiate it (its imports resolved against modules instantiated earlier, by name),
//! and call its exports with [`Val`]s. The full embedding API (configuration, host module
//! builders, typed calls, caches) grows here next.
//!
//! ```
//! let mut runtime = wz::Runtime::new();
//! let module = runtime.compile_module(br#"(module
//!     (func (export "fib") (param i32) (result i32)
//!       (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
//!         (then (local.get 0))
//!         (else (i32.add (call 0 (i32.sub (local.get 0) (i32.const 1)))
//!                        (call 0 (i32.sub (local.get 0) (i32.const 2))))))))"#).unwrap();
//! let instance = runtime.instantiate_module(&module, Some("fib")).unwrap();
//! let results = runtime.call(instance, "fib", &[wz::Val::I32(20)]).unwrap();
//! assert_eq!(results, vec![wz::Val::I32(6765)]);
//! ```
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `wat` | yes | text-format modules accepted by [`Runtime::compile_module`] (pulls in `wat`) |
#![forbid(unsafe_code)]

pub use wz_store::{
    CompiledModule, Error, ErrorKind, Extern, Features, FuncId, FuncType, InstanceId, Store,
    TrapCode, Val, ValType,
};

/// Owns compiled modules' instances and everything they create.
#[derive(Debug, Default)]
pub struct Runtime {
    store: Store,
    features: Features,
}

impl Runtime {
    /// A runtime with every Wasm 2.0 feature enabled.
    pub fn new() -> Self {
        Runtime::default()
    }

    /// A runtime that accepts only modules using `features`.
    pub fn with_features(features: Features) -> Self {
        Runtime {
            store: Store::new(),
            features,
        }
    }

    /// Decodes, validates and compiles a module from its binary (or, with the `wat` feature,
    /// text) form. Empty or non-wasm input is an error.
    pub fn compile_module(&self, bytes: &[u8]) -> Result<CompiledModule, Error> {
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let binary = wat::parse_bytes(bytes)
                .map_err(|e| Error::usage(format!("invalid text module: {e}")))?;
            return CompiledModule::new(&binary, self.features);
        }
        CompiledModule::new(bytes, self.features)
    }

    /// Instantiates `module`, resolving its imports by module name against modules
    /// instantiated earlier. With a `name`, the instance becomes importable under it (a name
    /// can be taken once).
    pub fn instantiate_module(
        &mut self,
        module: &CompiledModule,
        name: Option<&str>,
    ) -> Result<InstanceId, Error> {
        if let Some(name) = name
            && self.store.instance_by_name(name).is_some()
        {
            return Err(Error::usage(format!(
                "module[{name}] has already been instantiated"
            )));
        }
        let imports = self.store.resolve_imports(module)?;
        let instance = self.store.instantiate(module, &imports)?;
        if let Some(name) = name {
            self.store.register(name, instance)?;
        }
        Ok(instance)
    }

    /// Calls the function `name` exported by `instance`.
    pub fn call(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Val],
    ) -> Result<Vec<Val>, Error> {
        let func = self
            .store
            .export_func(instance, name)
            .ok_or_else(|| Error::usage(format!("no exported function named \"{name}\"")))?;
        self.store.call(func, args)
    }

    /// The type of the function `name` exported by `instance`.
    pub fn exported_func_type(&self, instance: InstanceId, name: &str) -> Option<&FuncType> {
        let func = self.store.export_func(instance, name)?;
        Some(self.store.func_type(func))
    }

    /// The store behind the runtime, for lower-level access.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}
