use std::sync::Arc;

use wz_binary::{Features, Module};
use wz_cranelift::{JitConfig, JitEngine, JitModule};
use wz_ir::Metering;

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
    /// The initial contents of the module's own memory, built on first instantiation.
    image: std::sync::OnceLock<Option<Arc<wz_cranelift::MemoryImage>>>,
    export_names: Arc<crate::ExportNames>,
    import_plan: std::sync::Mutex<ImportPlan>,
}

/// Where a module's imports were found in the export lists of the instances they were
/// resolved against, by export list: instantiating again against instances of the same
/// modules skips every lookup by name. Holds the lists (so their addresses stay unique).
#[derive(Debug, Default)]
pub(crate) struct ImportPlan {
    lists: Vec<(Arc<crate::ExportNames>, Box<[u32]>)>,
}

impl ImportPlan {
    /// Lists remembered at most; more are forgotten all at once.
    const MAX_LISTS: usize = 8;
    const UNKNOWN: u32 = u32::MAX;

    /// The position of import `import` (of `count`) in `names`, from memory or `find`.
    pub(crate) fn position(
        &mut self,
        import: usize,
        count: usize,
        names: &Arc<crate::ExportNames>,
        find: impl FnOnce() -> Option<usize>,
    ) -> Option<usize> {
        let list = match self.lists.iter().position(|(n, _)| Arc::ptr_eq(n, names)) {
            Some(l) => l,
            None => {
                if self.lists.len() == Self::MAX_LISTS {
                    self.lists.clear();
                }
                self.lists
                    .push((names.clone(), vec![Self::UNKNOWN; count].into_boxed_slice()));
                self.lists.len() - 1
            }
        };
        let slot = &mut self.lists[list].1[import];
        if *slot != Self::UNKNOWN {
            return Some(*slot as usize);
        }
        let found = find()?;
        *slot = found as u32;
        Some(found)
    }
}

impl Inner {
    fn new(module: Module, engine: &Engine, code: Code) -> Arc<Self> {
        let export_names = Arc::new(crate::ExportNames::new(
            module.exports.iter().map(|e| e.name.as_str()),
        ));
        Arc::new(Inner {
            module,
            engine: engine.clone(),
            code,
            image: Default::default(),
            export_names,
            import_plan: Default::default(),
        })
    }
}

#[derive(Debug)]
enum Code {
    Interp(Vec<Arc<wz_interp::Code>>),
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
                    .map(|f| wz_interp::Code::new(f).map(Arc::new))
                    .collect::<Result<_, _>>()?,
            ),
            Engine::Compiler(jit) => Code::Jit(jit.compile(&module)?),
        };
        Ok(CompiledModule {
            inner: Inner::new(module, engine, code),
        })
    }

    /// A module of `engine` whose code is already compiled.
    pub(crate) fn from_jit(module: Module, engine: &Engine, code: JitModule) -> Self {
        CompiledModule {
            inner: Inner::new(module, engine, Code::Jit(code)),
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

    /// The remembered import positions (see [`ImportPlan`]).
    pub(crate) fn import_plan(&self) -> std::sync::MutexGuard<'_, ImportPlan> {
        self.inner
            .import_plan
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The names of the module's exports, with an index.
    pub fn export_names(&self) -> &Arc<crate::ExportNames> {
        &self.inner.export_names
    }

    /// The engine the module was prepared for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The lowered bodies of the defined functions (empty when compiled for the JIT).
    pub fn functions(&self) -> &[Arc<wz_interp::Code>] {
        match &self.inner.code {
            Code::Interp(f) => f,
            Code::Jit(_) => &[],
        }
    }

    /// The copy-on-write image of the module's own memory 0 with every active data segment
    /// applied, when the module defines that memory, every active segment has a constant
    /// offset inside its initial size, and the data is large enough to be worth mapping.
    /// Instances map it instead of copying the segments.
    pub(crate) fn memory_image(&self) -> Option<&wz_cranelift::MemoryImage> {
        self.inner
            .image
            .get_or_init(|| {
                let m = &self.inner.module;
                if m.num_imported_memories != 0 || m.memories.is_empty() {
                    return None;
                }
                let len = (m.memories[0].limits.min as usize).checked_mul(crate::PAGE_SIZE)?;
                let mut segments = Vec::new();
                for d in &m.datas {
                    if let wz_binary::DataMode::Active { memory, offset } = &d.mode {
                        let (0, wz_binary::ConstExpr::I32(offset)) = (*memory, offset) else {
                            return None;
                        };
                        let bytes = &m.bytes[d.range.clone()];
                        // An out-of-bounds segment fails instantiation: the ordinary path
                        // reports it.
                        if (*offset as u32 as usize).checked_add(bytes.len())? > len {
                            return None;
                        }
                        segments.push((*offset as u32 as usize, bytes));
                    }
                }
                wz_cranelift::MemoryImage::new(&segments, len)
                    .ok()
                    .flatten()
                    .map(Arc::new)
            })
            .as_deref()
    }

    pub(crate) fn jit(&self) -> Option<&JitModule> {
        match &self.inner.code {
            Code::Jit(j) => Some(j),
            Code::Interp(_) => None,
        }
    }
}
