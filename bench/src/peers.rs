//! The four engines behind one interface: compile a module, instantiate it in a new store,
//! call its `run` export.

use anyhow::{Context, Result};

/// One engine under measurement. `compile` keeps the last compiled module, `instantiate` a
/// new store with an instance of it.
pub trait Engine {
    fn name(&self) -> &'static str;
    fn compile(&mut self, wasm: &[u8]) -> Result<()>;
    fn instantiate(&mut self) -> Result<()>;
    fn run(&mut self, arg: i32) -> Result<i64>;
}

/// Every engine, or those named in `WZ_BENCH_ENGINES` (comma-separated), for profiling one.
pub fn all_engines() -> Result<Vec<Box<dyn Engine>>> {
    let all: Vec<Box<dyn Engine>> = vec![
        Box::new(Wz::new("wz-interp", wz::RuntimeConfig::interpreter())?),
        Box::new(Wz::new("wz-jit", wz::RuntimeConfig::compiler())?),
        Box::new(Wasmi::default()),
        Box::new(Wasmtime::default()),
    ];
    Ok(match std::env::var("WZ_BENCH_ENGINES") {
        Ok(names) => all
            .into_iter()
            .filter(|e| names.split(',').any(|n| n == e.name()))
            .collect(),
        Err(_) => all,
    })
}

pub struct Wz {
    name: &'static str,
    config: wz::RuntimeConfig,
    /// Limits every call runs with (a fuel budget, for metered configurations).
    ctx: Option<wz::CallContext>,
    compiler: wz::Runtime,
    module: Option<wz::CompiledModule>,
    instance: Option<(wz::Runtime, Option<wz::TypedFunction<i32, i64>>)>,
}

impl Wz {
    pub fn new(name: &'static str, config: wz::RuntimeConfig) -> Result<Self> {
        Ok(Wz {
            name,
            compiler: wz::Runtime::with_config(config.clone())?,
            config,
            ctx: None,
            module: None,
            instance: None,
        })
    }
}

impl Engine for Wz {
    fn name(&self) -> &'static str {
        self.name
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<()> {
        self.module = Some(self.compiler.compile_module(wasm)?);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<()> {
        let module = self.module.as_ref().context("nothing compiled")?;
        // Drop the previous store first, as the other engines do.
        self.instance = None;
        let runtime = wz::Runtime::with_config(self.config.clone())?;
        let config = wz::ModuleConfig::new().with_name("");
        let instance = runtime.instantiate_module(module, config)?;
        let run = instance
            .exported_function("run")
            .and_then(|f| f.typed::<i32, i64>().ok());
        self.instance = Some((runtime, run));
        Ok(())
    }

    fn run(&mut self, arg: i32) -> Result<i64> {
        let (_, run) = self.instance.as_ref().context("not instantiated")?;
        let run = run.as_ref().context("no run export")?;
        Ok(match &self.ctx {
            Some(ctx) => run.call_with(ctx, arg)?,
            None => run.call(arg)?,
        })
    }
}

impl Wz {
    /// Runs every call with `ctx`.
    pub fn with_context(mut self, ctx: wz::CallContext) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

#[derive(Default)]
struct Wasmtime {
    engine: wasmtime::Engine,
    module: Option<wasmtime::Module>,
    instance: Option<(wasmtime::Store<()>, wasmtime::TypedFunc<i32, i64>)>,
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<()> {
        self.module = Some(wasmtime::Module::new(&self.engine, wasm)?);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<()> {
        let module = self.module.as_ref().context("nothing compiled")?;
        self.instance = None;
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = wasmtime::Instance::new(&mut store, module, &[])?;
        // Modules without a `run` export (the large one) are only instantiated.
        let run = instance.get_typed_func::<i32, i64>(&mut store, "run");
        if let Ok(run) = run {
            self.instance = Some((store, run));
        }
        Ok(())
    }

    fn run(&mut self, arg: i32) -> Result<i64> {
        let (store, run) = self.instance.as_mut().context("not instantiated")?;
        Ok(run.call(store, arg)?)
    }
}

#[derive(Default)]
struct Wasmi {
    engine: wasmi::Engine,
    module: Option<wasmi::Module>,
    instance: Option<(wasmi::Store<()>, wasmi::TypedFunc<i32, i64>)>,
}

impl Engine for Wasmi {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<()> {
        self.module = Some(wasmi::Module::new(&self.engine, wasm)?);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<()> {
        let module = self.module.as_ref().context("nothing compiled")?;
        self.instance = None;
        let mut store = wasmi::Store::new(&self.engine, ());
        let linker = wasmi::Linker::<()>::new(&self.engine);
        let instance = linker.instantiate_and_start(&mut store, module)?;
        if let Ok(run) = instance.get_typed_func::<i32, i64>(&store, "run") {
            self.instance = Some((store, run));
        }
        Ok(())
    }

    fn run(&mut self, arg: i32) -> Result<i64> {
        let (store, run) = self.instance.as_mut().context("not instantiated")?;
        Ok(run.call(store, arg)?)
    }
}
