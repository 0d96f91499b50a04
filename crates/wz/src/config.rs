//! [`RuntimeConfig`]: which engine, which features, how memory is checked.

use wz_store::{
    BoundsChecks, Engine, Error, Features, InterpConfig, JitConfig, MemoryLimits, Metering,
};

use std::sync::Arc;

use crate::CompilationCache;
use crate::experimental::FunctionListenerFactory;

/// Which engine a [`RuntimeConfig`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineChoice {
    /// The JIT where it runs, else the interpreter.
    Auto,
    Interpreter,
    Compiler,
}

/// How a [`Runtime`](crate::Runtime) compiles and runs code.
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
    pub(crate) features: Features,
    bounds_checks: BoundsChecks,
    pub(crate) cache: Option<CompilationCache>,
    pub(crate) memory: MemoryLimits,
    pub(crate) custom_sections: bool,
    pub(crate) metering: Metering,
    pub(crate) debug_info: bool,
    pub(crate) listener_factory: Option<Arc<dyn FunctionListenerFactory>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig::new()
    }
}

impl RuntimeConfig {
    /// The default: the JIT on hosts where it runs (Linux on x86_64 and aarch64), the
    /// interpreter elsewhere; every Wasm 2.0 feature; guard-page memories.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new()).unwrap();
    /// assert!(["jit", "interp"].contains(&runtime.engine_name()));
    /// ```
    pub fn new() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Auto,
            features: Features::default(),
            bounds_checks: BoundsChecks::GuardPages,
            cache: None,
            memory: MemoryLimits::default(),
            custom_sections: false,
            metering: Metering::default(),
            debug_info: true,
            listener_factory: None,
        }
    }

    /// The interpreter, on any host.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::interpreter()).unwrap();
    /// assert_eq!(runtime.engine_name(), "interp");
    /// ```
    pub fn interpreter() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Interpreter,
            ..RuntimeConfig::new()
        }
    }

    /// The JIT; [`Runtime::with_config`](crate::Runtime::with_config) fails on hosts where it cannot run.
    ///
    /// ```
    /// match wz::Runtime::with_config(wz::RuntimeConfig::compiler()) {
    ///     Ok(runtime) => assert_eq!(runtime.engine_name(), "jit"),
    ///     Err(err) => assert!(err.to_string().contains("cannot run code on this host"), "{err}"),
    /// }
    /// ```
    pub fn compiler() -> Self {
        RuntimeConfig {
            engine: EngineChoice::Compiler,
            ..RuntimeConfig::new()
        }
    }

    /// Accepts only modules that use `features`.
    ///
    /// ```
    /// let v1 = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_core_features(wz::Features::V1)).unwrap();
    /// // Multiple results are a Wasm 2.0 feature.
    /// assert!(v1.compile_module(b"(module (func (result i32 i32) i32.const 1 i32.const 2))").is_err());
    /// ```
    pub fn with_core_features(mut self, features: Features) -> Self {
        self.features = features;
        self
    }

    /// How the JIT keeps memory accesses in bounds: by reserving 8 GiB of address space per
    /// memory and catching faults ([`BoundsChecks::GuardPages`], the default, fastest) or by
    /// comparing each access with the memory's length ([`BoundsChecks::Explicit`]). The
    /// interpreter always checks explicitly.
    ///
    /// ```
    /// let config = wz::RuntimeConfig::new().with_bounds_checks(wz::BoundsChecks::Explicit);
    /// let runtime = wz::Runtime::with_config(config).unwrap();
    /// let module = runtime.instantiate(br#"(module (memory 1)
    ///     (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#).unwrap();
    /// let err = module.exported_function("load").unwrap().call(&[65536]).unwrap_err();
    /// assert_eq!(err.trap_code(), Some(wz::TrapCode::MemoryOutOfBounds));
    /// ```
    pub fn with_bounds_checks(mut self, bounds_checks: BoundsChecks) -> Self {
        self.bounds_checks = bounds_checks;
        self
    }

    /// Caps every memory at `pages` 64 KiB pages (default and most: 65536, 4 GiB): a
    /// memory's maximum becomes the smaller of its declared one and this, and a module
    /// declaring a memory whose minimum is larger fails to compile.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_memory_limit_pages(2)).unwrap();
    /// let err = runtime.compile_module(b"(module (memory 3))").unwrap_err();
    /// assert!(err.to_string().contains("exceeds the limit of 2 pages"), "{err}");
    /// let module = runtime.instantiate(b"(module (memory (export \"m\") 1))").unwrap();
    /// let memory = module.memory().unwrap();
    /// assert_eq!(memory.grow(1), Some(1));
    /// assert_eq!(memory.grow(1), None); // 3 pages would pass the limit
    /// ```
    pub fn with_memory_limit_pages(mut self, pages: u32) -> Self {
        self.memory.max_pages = pages.min(65536);
        self
    }

    /// Reserves each memory's declared maximum when it is created, so growing it never
    /// moves or copies its bytes (the interpreter and explicitly checked JIT memories;
    /// guard-page memories never move anyway). Uses more memory up front.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_memory_capacity_from_max(true)).unwrap();
    /// let memory = runtime.instantiate(b"(module (memory 1 4))").unwrap().memory().unwrap();
    /// assert_eq!(memory.grow(3), Some(1));
    /// ```
    pub fn with_memory_capacity_from_max(mut self, enabled: bool) -> Self {
        self.memory.capacity_from_max = enabled;
        self
    }

    /// Keeps custom sections so that [`crate::CompiledModule::custom_sections`] lists them
    /// (default: off; the name section is read either way).
    ///
    /// ```
    /// let bytes = [&b"\0asm\x01\0\0\0"[..], &[0, 6, 4, b'n', b'o', b't', b'e', 42]].concat();
    /// let keep = wz::Runtime::with_config(wz::RuntimeConfig::new().with_custom_sections(true))
    ///     .unwrap();
    /// let sections = keep.compile_module(&bytes).unwrap().custom_sections().to_vec();
    /// assert_eq!((sections[0].name(), sections[0].data()), ("note", &[42u8][..]));
    /// let drop = wz::Runtime::new();
    /// assert!(drop.compile_module(&bytes).unwrap().custom_sections().is_empty());
    /// ```
    pub fn with_custom_sections(mut self, enabled: bool) -> Self {
        self.custom_sections = enabled;
        self
    }

    /// Whether a failed call's error carries a wasm backtrace ([`Error::backtrace`]): the
    /// functions that were running, with their names from the name section and the byte
    /// offsets of the instructions. On by default, as in wazero; it costs nothing until a
    /// call fails, and then a walk of the wasm frames.
    ///
    /// ```
    /// let wasm = br#"(module $calc
    ///     (func $divide (export "divide") (param i32 i32) (result i32)
    ///       (i32.div_u (local.get 0) (local.get 1))))"#;
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(wasm).unwrap();
    /// let divide = module.exported_function("divide").unwrap();
    /// let err = divide.call(&[1, 0]).unwrap_err();
    /// assert_eq!(err.to_string(), "wasm trap: integer divide by zero");
    /// let frame = &err.backtrace().unwrap().frames()[0];
    /// assert_eq!((frame.module_name(), frame.func_name()), (Some("calc"), Some("divide")));
    ///
    /// let quiet = wz::Runtime::with_config(wz::RuntimeConfig::new().with_debug_info(false))
    ///     .unwrap();
    /// let divide = quiet.instantiate(wasm).unwrap().exported_function("divide").unwrap();
    /// assert!(divide.call(&[1, 0]).unwrap_err().backtrace().is_none());
    /// ```
    pub fn with_debug_info(mut self, enabled: bool) -> Self {
        self.debug_info = enabled;
        self
    }

    /// Reports every call of every function to the listeners `factory` chooses (see
    /// [`crate::experimental`], which has an example): compiles listening into the code,
    /// like [`RuntimeConfig::with_function_listeners`]. Experimental.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use wz::experimental::{FunctionListener, FunctionListenerFactory};
    /// #[derive(Default)]
    /// struct Calls(AtomicUsize);
    /// impl FunctionListener for Calls {
    ///     fn before(&self, _: &wz::FunctionDefinition, _: &[u64]) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    /// struct Count(Arc<Calls>);
    /// impl FunctionListenerFactory for Count {
    ///     fn new_listener(&self, _: &wz::FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
    ///         Some(self.0.clone())
    ///     }
    /// }
    /// let calls = Arc::new(Calls::default());
    /// let config = wz::RuntimeConfig::new().with_function_listener_factory(Arc::new(Count(calls.clone())));
    /// let runtime = wz::Runtime::with_config(config).unwrap();
    /// let module = runtime.instantiate(br#"(module (func $leaf) (func (export "f") (call $leaf) (call $leaf)))"#)
    ///     .unwrap();
    /// module.exported_function("f").unwrap().call(&[]).unwrap();
    /// assert_eq!(calls.0.load(Ordering::Relaxed), 3);
    /// ```
    pub fn with_function_listener_factory(
        mut self,
        factory: Arc<dyn FunctionListenerFactory>,
    ) -> Self {
        self.listener_factory = Some(factory);
        self.metering.listen = true;
        self
    }

    /// Compiles listening into the code without a runtime-wide listener factory, so that
    /// calls can bring their own ([`crate::CallContext::with_function_listener_factory`]).
    /// Off by default: listening costs a call per function entry and return. Experimental.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_function_listeners(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "f")))"#).unwrap();
    /// // Calls run normally; a CallContext may now bring listeners.
    /// module.exported_function("f").unwrap().call(&[]).unwrap();
    /// ```
    pub fn with_function_listeners(mut self, enabled: bool) -> Self {
        self.metering.listen = enabled || self.listener_factory.is_some();
        self
    }

    /// Compiles fuel metering into every function, so that a [`crate::CallContext`] can give
    /// a call a fuel budget: the number of wasm operators it may run, counted the same way
    /// on every engine (see [`wz_store::Metering`]). A call whose budget runs out fails with
    /// [`wz_store::ErrorKind::OutOfFuel`]. Off by default: it costs time on every function
    /// entry, block boundary and loop iteration (`docs/performance.md` has the figures).
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "f") (result i32) (i32.const 1)))"#)
    ///     .unwrap();
    /// let ctx = wz::CallContext::new().with_fuel(100);
    /// module.exported_function("f").unwrap().call_with(&ctx, &[]).unwrap();
    /// assert!(ctx.fuel_consumed() > 0);
    /// ```
    pub fn with_fuel(mut self, enabled: bool) -> Self {
        self.metering.fuel = enabled;
        self
    }

    /// Compiles interrupt checks into every function (at its entry and at each loop
    /// iteration), so that calls can be stopped by a deadline
    /// ([`crate::CallContext::with_timeout`]) or from another thread
    /// ([`crate::Runtime::interrupt_handle`]); a stopped call fails with
    /// [`wz_store::ErrorKind::Interrupted`]. Off by default (`docs/performance.md` has its
    /// cost).
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
    ///     .unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// runtime.interrupt_handle().unwrap().interrupt(); // stops the next call
    /// let err = module.exported_function("spin").unwrap().call(&[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
    /// ```
    pub fn with_interruption(mut self, enabled: bool) -> Self {
        self.metering.interrupt = enabled;
        self
    }

    /// Compiles through `cache`: runtimes with the same cache and engine options share the
    /// engine and every module compiled by any of them (see [`CompilationCache`]).
    ///
    /// ```
    /// let cache = wz::CompilationCache::new();
    /// let a = wz::Runtime::with_config(wz::RuntimeConfig::new().with_compilation_cache(&cache)).unwrap();
    /// let b = wz::Runtime::with_config(wz::RuntimeConfig::new().with_compilation_cache(&cache)).unwrap();
    /// a.compile_module(b"(module (func))").unwrap();
    /// b.compile_module(b"(module (func))").unwrap();
    /// assert_eq!(cache.stats().compiled, 1);
    /// assert_eq!(cache.stats().memory_hits, 1);
    /// ```
    pub fn with_compilation_cache(mut self, cache: &CompilationCache) -> Self {
        self.cache = Some(cache.clone());
        self
    }

    /// The store-level engine this configuration selects (shared through the compilation
    /// cache, if any), for code that drives a [`wz_store::Store`] directly.
    ///
    /// ```
    /// let engine = wz::RuntimeConfig::interpreter().engine().unwrap();
    /// let mut store = wz_store::Store::with_engine(engine);
    /// assert!(store.instance_by_name("none").is_none());
    /// ```
    pub fn engine(&self) -> Result<Engine, Error> {
        match &self.cache {
            Some(cache) => {
                let key = format!(
                    "{:?} {:?} {:?}",
                    self.engine, self.bounds_checks, self.metering
                );
                cache.engine(key, || self.make_engine())
            }
            None => {
                // One engine per configuration in the process, so modules compiled by one
                // runtime instantiate in every runtime configured the same way. (Looked up
                // on every new runtime: compared field by field, nothing formatted.)
                type Key = (EngineChoice, BoundsChecks, Metering);
                static ENGINES: std::sync::Mutex<Vec<(Key, Engine)>> =
                    std::sync::Mutex::new(Vec::new());
                let key = (self.engine, self.bounds_checks, self.metering);
                let mut engines = ENGINES.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((_, engine)) = engines.iter().find(|(k, _)| *k == key) {
                    return Ok(engine.clone());
                }
                let engine = self.make_engine()?;
                engines.push((key, engine.clone()));
                Ok(engine)
            }
        }
    }

    fn make_engine(&self) -> Result<Engine, Error> {
        let jit = || {
            if self.bounds_checks == BoundsChecks::GuardPages
                && self.metering == Metering::default()
            {
                match Engine::default_for_host() {
                    Engine::Interpreter(_) => Engine::compiler(),
                    jit => Ok(jit),
                }
            } else {
                Engine::compiler_with(JitConfig {
                    bounds_checks: self.bounds_checks,
                    metering: self.metering,
                    ..JitConfig::default()
                })
            }
        };
        let interp = Engine::Interpreter(InterpConfig {
            metering: self.metering,
        });
        match self.engine {
            EngineChoice::Interpreter => Ok(interp),
            EngineChoice::Compiler => jit(),
            EngineChoice::Auto => Ok(jit().unwrap_or(interp)),
        }
    }
}
