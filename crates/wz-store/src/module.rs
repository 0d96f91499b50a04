use std::sync::Arc;

use wz_binary::{Features, Module};
use wz_cranelift::{JitConfig, JitEngine, JitModule};
use wz_ir::{Function, Metering};

use crate::Error;

/// Which engine runs a store's code.
///
/// ```
/// use wz_store::{CompiledModule, Engine, Store};
/// let engine = Engine::default_for_host();
/// let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
/// // Modules are compiled for one engine and instantiated in stores of the same engine.
/// let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
/// let mut store = Store::with_engine(engine);
/// store.instantiate(&module, &[]).unwrap();
/// ```
#[derive(Debug, Clone)]
pub enum Engine {
    /// The interpreter (wz-interp): runs everywhere, compiles fast.
    Interpreter(InterpConfig),
    /// The Cranelift JIT (wz-cranelift): native code.
    Compiler(Arc<JitEngine>),
}

/// Options of the interpreter engine.
///
/// ```
/// use wz_store::{Engine, InterpConfig, Metering};
/// let engine = Engine::Interpreter(InterpConfig {
///     metering: Metering { fuel: true, ..Metering::default() },
/// });
/// assert!(engine.metering().fuel);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct InterpConfig {
    /// The fuel and interrupt checks lowered into every function.
    pub metering: Metering,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::interpreter()
    }
}

impl Engine {
    /// The interpreter with default options.
    ///
    /// ```
    /// assert_eq!(wz_store::Engine::interpreter().name(), "interp");
    /// ```
    pub fn interpreter() -> Engine {
        Engine::Interpreter(InterpConfig::default())
    }

    /// The fuel and interrupt checks this engine compiles in.
    ///
    /// ```
    /// assert!(!wz_store::Engine::interpreter().metering().any());
    /// ```
    pub fn metering(&self) -> Metering {
        match self {
            Engine::Interpreter(config) => config.metering,
            Engine::Compiler(jit) => jit.config().metering,
        }
    }

    /// The JIT with default options, or an error where it cannot run.
    ///
    /// ```
    /// match wz_store::Engine::compiler() {
    ///     Ok(engine) => assert_eq!(engine.name(), "jit"),
    ///     Err(err) => assert!(err.to_string().contains("cannot run code")),
    /// }
    /// ```
    pub fn compiler() -> Result<Engine, Error> {
        Ok(Engine::Compiler(Arc::new(JitEngine::new(
            Default::default(),
        )?)))
    }

    /// The JIT with the given options, or an error where it cannot run.
    ///
    /// ```
    /// use wz_store::{BoundsChecks, Engine, JitConfig};
    /// let config = JitConfig { bounds_checks: BoundsChecks::Explicit, ..JitConfig::default() };
    /// if let Ok(engine) = Engine::compiler_with(config) {
    ///     assert_eq!(engine.name(), "jit");
    /// }
    /// ```
    pub fn compiler_with(config: JitConfig) -> Result<Engine, Error> {
        Ok(Engine::Compiler(Arc::new(JitEngine::new(config)?)))
    }

    /// The JIT where this host supports it (Linux on x86_64 and aarch64), else the
    /// interpreter. The JIT engine is created once per process and shared, so its
    /// per-signature trampolines are compiled once.
    ///
    /// ```
    /// let name = wz_store::Engine::default_for_host().name();
    /// assert!(name == "jit" || name == "interp");
    /// ```
    pub fn default_for_host() -> Engine {
        static DEFAULT: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| Engine::compiler().unwrap_or_else(|_| Engine::interpreter()))
            .clone()
    }

    /// A short name: `interp` or `jit`.
    ///
    /// ```
    /// assert_eq!(wz_store::Engine::interpreter().name(), "interp");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Interpreter(_) => "interp",
            Engine::Compiler(_) => "jit",
        }
    }

    pub(crate) fn same(&self, other: &Engine) -> bool {
        match (self, other) {
            (Engine::Interpreter(a), Engine::Interpreter(b)) => a == b,
            (Engine::Compiler(a), Engine::Compiler(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A module decoded, validated and prepared for one engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CompiledModule {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    module: Module,
    engine: Engine,
    code: Code,
}

#[derive(Debug)]
enum Code {
    Interp(Vec<Arc<Function>>),
    Jit(JitModule),
}

impl CompiledModule {
    /// Decodes, validates and lowers `bytes` for the interpreter.
    pub fn new(bytes: &[u8], features: Features) -> Result<Self, Error> {
        Self::with_engine(bytes, features, &Engine::interpreter())
    }

    /// Decodes, validates and compiles `bytes` for `engine`.
    pub fn with_engine(bytes: &[u8], features: Features, engine: &Engine) -> Result<Self, Error> {
        let module = Module::decode(bytes, features)?;
        let code = match engine {
            Engine::Interpreter(config) => Code::Interp(
                wz_ir::lower_module_with(&module, config.metering)?
                    .into_iter()
                    .map(Arc::new)
                    .collect(),
            ),
            Engine::Compiler(jit) => Code::Jit(jit.compile(&module)?),
        };
        Ok(CompiledModule {
            inner: Arc::new(Inner {
                module,
                engine: engine.clone(),
                code,
            }),
        })
    }

    /// A module of `engine` whose code is already compiled.
    pub(crate) fn from_jit(module: Module, engine: &Engine, code: JitModule) -> Self {
        CompiledModule {
            inner: Arc::new(Inner {
                module,
                engine: engine.clone(),
                code: Code::Jit(code),
            }),
        }
    }

    /// Decodes, validates and compiles `bytes` for the JIT `engine` into an artifact: a
    /// relocatable object that [`CompiledModule::from_artifact`] loads without compiling.
    /// Fails for the interpreter, whose compiled form is not machine code.
    pub fn compile_artifact(
        bytes: &[u8],
        features: Features,
        engine: &Engine,
    ) -> Result<Vec<u8>, Error> {
        let Engine::Compiler(jit) = engine else {
            return Err(Error::usage(
                "artifacts hold machine code: they need the JIT",
            ));
        };
        let module = Module::decode(bytes, features)?;
        Ok(jit.compile_artifact(&module)?)
    }

    /// The decoded module description.
    pub fn module(&self) -> &Module {
        &self.inner.module
    }

    /// The engine the module was prepared for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The lowered bodies of the defined functions (empty when compiled for the JIT).
    pub fn functions(&self) -> &[Arc<Function>] {
        match &self.inner.code {
            Code::Interp(f) => f,
            Code::Jit(_) => &[],
        }
    }

    pub(crate) fn jit(&self) -> Option<&JitModule> {
        match &self.inner.code {
            Code::Jit(j) => Some(j),
            Code::Interp(_) => None,
        }
    }
}
