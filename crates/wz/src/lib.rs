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
    BoundsChecks, CompiledModule, Error, ErrorKind, Extern, Features, FuncId, FuncType, InstanceId,
    Store, TrapCode, Val, ValType,
};

use wz_store::{Engine, JitConfig};

/// Which engine a [`RuntimeConfig`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineChoice {
    /// The JIT where it runs, else the interpreter.
    Auto,
    Interpreter,
    Compiler,
}

/// How a [`Runtime`] compiles and runs code.
///
/// ```
/// let config = wz::RuntimeConfig::interpreter()
///     .with_core_features(wz::Features::V1);
/// let runtime = wz::Runtime::with_config(config).unwrap();
/// assert_eq!(runtime.engine_name(), "interp");
/// // A Wasm 2.0 instruction (sign extension) is now rejected.
/// let err = runtime
///     .compile_module(b"(module (func (param i32) (result i32) local.get 0 i32.extend8_s))")
///     .unwrap_err();
/// assert!(matches!(err.kind(), wz::ErrorKind::Invalid(_)));
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    engine: EngineChoice,
    features: Features,
    bounds_checks: BoundsChecks,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig::new()
    }
}

impl RuntimeConfig {
    /// The default: the JIT on hosts where it runs (Linux on x86_64 and aarch64), the
    /// interpreter elsewhere; every Wasm 2.0 feature; guard-page memories.
    pub fn new() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Auto,
            features: Features::default(),
            bounds_checks: BoundsChecks::GuardPages,
        }
    }

    /// The interpreter, on any host.
    pub fn interpreter() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Interpreter,
            ..RuntimeConfig::new()
        }
    }

    /// The JIT; [`Runtime::with_config`] fails on hosts where it cannot run.
    pub fn compiler() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Compiler,
            ..RuntimeConfig::new()
        }
    }

    /// Accepts only modules that use `features`.
    pub fn with_core_features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    /// How the JIT keeps memory accesses in bounds: by reserving 8 GiB of address space per
    /// memory and catching faults ([`BoundsChecks::GuardPages`], the default, fastest) or by
    /// comparing each access with the memory's length ([`BoundsChecks::Explicit`]). The
    /// interpreter always checks explicitly.
    pub fn with_bounds_checks(mut self, bounds_checks: BoundsChecks) -> Self {
        self.bounds_checks = bounds_checks;
        self
    }

    fn engine(&self) -> Result<Engine, Error> {
        let jit = || {
            if self.bounds_checks == BoundsChecks::GuardPages {
                match Engine::default_for_host() {
                    Engine::Interpreter => Engine::compiler(),
                    jit => Ok(jit),
                }
            } else {
                Engine::compiler_with(JitConfig {
                    bounds_checks: self.bounds_checks,
                    ..JitConfig::default()
                })
            }
        };
        match self.engine {
            EngineChoice::Interpreter => Ok(Engine::Interpreter),
            EngineChoice::Compiler => jit(),
            EngineChoice::Auto => Ok(jit().unwrap_or(Engine::Interpreter)),
        }
    }
}

/// Owns compiled modules' instances and everything they create.
#[derive(Debug)]
pub struct Runtime {
    store: Store,
    features: Features,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Runtime {
    /// A runtime with the default [`RuntimeConfig`]: the JIT where it runs, every Wasm 2.0
    /// feature.
    pub fn new() -> Self {
        Runtime {
            store: Store::with_engine(Engine::default_for_host()),
            features: Features::default(),
        }
    }

    /// A runtime configured by `config`. Fails only when the config asks for the JIT on a
    /// host where it cannot run.
    pub fn with_config(config: RuntimeConfig) -> Result<Self, Error> {
        Ok(Runtime {
            store: Store::with_engine(config.engine()?),
            features: config.features,
        })
    }

    /// The engine that runs this runtime's code: `"jit"` or `"interp"`.
    pub fn engine_name(&self) -> &'static str {
        self.store.engine().name()
    }

    /// Decodes, validates and compiles a module from its binary (or, with the `wat` feature,
    /// text) form. Empty or non-wasm input is an error.
    pub fn compile_module(&self, bytes: &[u8]) -> Result<CompiledModule, Error> {
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let binary = wat::parse_bytes(bytes)
                .map_err(|e| Error::usage(format!("invalid text module: {e}")))?;
            return CompiledModule::with_engine(&binary, self.features, self.store.engine());
        }
        CompiledModule::with_engine(bytes, self.features, self.store.engine())
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
