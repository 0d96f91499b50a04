//! The four engines behind one interface: compile a module, instantiate it in a new store,
//! call its `run` export.

use anyhow::{Context, Result};

/// One engine under measurement. `compile` keeps the last compiled module, `instantiate` a
/// new store with an instance of it.
pub trait Engine {
    fn name(&self) -> &'static str;
    /// Decodes and validates `wasm` without compiling it.
    fn validate(&mut self, wasm: &[u8]) -> Result<()>;
    /// Defines the host functions `env.f0` .. `env.f{n-1}` (each `(i32) -> i32`; none for
    /// 0) that modules compiled afterwards are instantiated against, resolved the engine's fastest
    /// documented way (wasmtime: `InstancePre`; wz: a compiled host module instantiated in
    /// every new runtime; wasmi: its `Linker`).
    fn define_imports(&mut self, n: usize) -> Result<()>;
    fn compile(&mut self, wasm: &[u8]) -> Result<()>;
    fn instantiate(&mut self) -> Result<()>;
    fn run(&mut self, arg: i32) -> Result<i64>;
    /// Prepares [`CALLS`]: an instance whose `add1` export the host calls and whose
    /// `call_host(n)` calls the host's `env.add1` n times.
    fn setup_calls(&mut self) -> Result<()>;
    /// One typed host-to-wasm call of `add1(x)`.
    fn call_wasm(&mut self, x: i32) -> Result<i32>;
    /// `call_host(n)`: n wasm-to-host calls in a wasm loop; returns their sum.
    fn call_host(&mut self, n: i32) -> Result<i32>;
}

/// A peer's store with the `add1` and `call_host` functions of [`CALLS`].
type Calls<Store, Func> = (Store, Func, Func);

/// The module of the call benchmarks.
pub const CALLS: &str = r#"(module
  (import "env" "add1" (func $add1 (param i32) (result i32)))
  (func (export "add1") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "call_host") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $add1 (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))"#;

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
    /// The `env` host module of [`Engine::define_imports`].
    imports: Option<wz::CompiledModule>,
    instance: Option<(wz::Runtime, Option<wz::TypedFunction<i32, i64>>)>,
    calls: Option<WzCalls>,
}

struct WzCalls {
    _runtime: wz::Runtime,
    add1: wz::TypedFunction<i32, i32>,
    call_host: wz::TypedFunction<i32, i32>,
}

impl Wz {
    pub fn new(name: &'static str, config: wz::RuntimeConfig) -> Result<Self> {
        Ok(Wz {
            name,
            compiler: wz::Runtime::with_config(config.clone())?,
            config,
            ctx: None,
            module: None,
            imports: None,
            instance: None,
            calls: None,
        })
    }
}

impl Engine for Wz {
    fn name(&self) -> &'static str {
        self.name
    }

    fn validate(&mut self, wasm: &[u8]) -> Result<()> {
        Ok(self.compiler.validate(wasm)?)
    }

    fn define_imports(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            self.imports = None;
            return Ok(());
        }
        let mut builder = self.compiler.new_host_module_builder("env");
        for i in 0..n {
            builder = builder
                .new_function_builder()
                .with_func(move |x: i32| x.wrapping_add(i as i32))
                .export(&format!("f{i}"));
        }
        self.imports = Some(builder.compile()?);
        Ok(())
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
        if let Some(env) = &self.imports {
            runtime.instantiate_module(env, wz::ModuleConfig::new().with_name("env"))?;
        }
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

    fn setup_calls(&mut self) -> Result<()> {
        let runtime = wz::Runtime::with_config(self.config.clone())?;
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|x: i32| x.wrapping_add(1))
            .export("add1")
            .instantiate()?;
        let module = runtime.instantiate(CALLS.as_bytes())?;
        let add1 = module.exported_function("add1").context("add1")?.typed()?;
        let call_host = module
            .exported_function("call_host")
            .context("call_host")?
            .typed()?;
        self.calls = Some(WzCalls {
            _runtime: runtime,
            add1,
            call_host,
        });
        Ok(())
    }

    fn call_wasm(&mut self, x: i32) -> Result<i32> {
        Ok(self.calls.as_ref().context("no setup")?.add1.call(x)?)
    }

    fn call_host(&mut self, n: i32) -> Result<i32> {
        Ok(self.calls.as_ref().context("no setup")?.call_host.call(n)?)
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
    /// The linker of [`Engine::define_imports`] and the module pre-linked with it.
    linker: Option<wasmtime::Linker<()>>,
    pre: Option<wasmtime::InstancePre<()>>,
    instance: Option<(wasmtime::Store<()>, wasmtime::TypedFunc<i32, i64>)>,
    calls: Option<Calls<wasmtime::Store<()>, wasmtime::TypedFunc<i32, i32>>>,
}

impl Engine for Wasmtime {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn validate(&mut self, wasm: &[u8]) -> Result<()> {
        Ok(wasmtime::Module::validate(&self.engine, wasm)?)
    }

    fn define_imports(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            self.linker = None;
            return Ok(());
        }
        let mut linker = wasmtime::Linker::new(&self.engine);
        for i in 0..n {
            linker.func_wrap("env", &format!("f{i}"), move |x: i32| {
                x.wrapping_add(i as i32)
            })?;
        }
        self.linker = Some(linker);
        Ok(())
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<()> {
        let module = wasmtime::Module::new(&self.engine, wasm)?;
        self.pre = match &self.linker {
            Some(linker) => Some(linker.instantiate_pre(&module)?),
            None => None,
        };
        self.module = Some(module);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<()> {
        let module = self.module.as_ref().context("nothing compiled")?;
        self.instance = None;
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = match &self.pre {
            Some(pre) => pre.instantiate(&mut store)?,
            None => wasmtime::Instance::new(&mut store, module, &[])?,
        };
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

    fn setup_calls(&mut self) -> Result<()> {
        let module = wasmtime::Module::new(&self.engine, CALLS)?;
        let mut linker = wasmtime::Linker::<()>::new(&self.engine);
        linker.func_wrap("env", "add1", |x: i32| x.wrapping_add(1))?;
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = linker.instantiate(&mut store, &module)?;
        let add1 = instance.get_typed_func::<i32, i32>(&mut store, "add1")?;
        let call_host = instance.get_typed_func::<i32, i32>(&mut store, "call_host")?;
        self.calls = Some((store, add1, call_host));
        Ok(())
    }

    fn call_wasm(&mut self, x: i32) -> Result<i32> {
        let (store, add1, _) = self.calls.as_mut().context("no setup")?;
        Ok(add1.call(store, x)?)
    }

    fn call_host(&mut self, n: i32) -> Result<i32> {
        let (store, _, call_host) = self.calls.as_mut().context("no setup")?;
        Ok(call_host.call(store, n)?)
    }
}

#[derive(Default)]
struct Wasmi {
    engine: wasmi::Engine,
    module: Option<wasmi::Module>,
    /// The linker of [`Engine::define_imports`].
    linker: Option<wasmi::Linker<()>>,
    instance: Option<(wasmi::Store<()>, wasmi::TypedFunc<i32, i64>)>,
    calls: Option<Calls<wasmi::Store<()>, wasmi::TypedFunc<i32, i32>>>,
}

impl Engine for Wasmi {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn validate(&mut self, wasm: &[u8]) -> Result<()> {
        Ok(wasmi::Module::validate(&self.engine, wasm)?)
    }

    fn define_imports(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            self.linker = None;
            return Ok(());
        }
        let mut linker = wasmi::Linker::new(&self.engine);
        for i in 0..n {
            linker.func_wrap("env", &format!("f{i}"), move |x: i32| {
                x.wrapping_add(i as i32)
            })?;
        }
        self.linker = Some(linker);
        Ok(())
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<()> {
        self.module = Some(wasmi::Module::new(&self.engine, wasm)?);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<()> {
        let module = self.module.as_ref().context("nothing compiled")?;
        self.instance = None;
        let mut store = wasmi::Store::new(&self.engine, ());
        let instance = match &self.linker {
            Some(linker) => linker.instantiate_and_start(&mut store, module)?,
            None => {
                wasmi::Linker::<()>::new(&self.engine).instantiate_and_start(&mut store, module)?
            }
        };
        if let Ok(run) = instance.get_typed_func::<i32, i64>(&store, "run") {
            self.instance = Some((store, run));
        }
        Ok(())
    }

    fn run(&mut self, arg: i32) -> Result<i64> {
        let (store, run) = self.instance.as_mut().context("not instantiated")?;
        Ok(run.call(store, arg)?)
    }

    fn setup_calls(&mut self) -> Result<()> {
        let module = wasmi::Module::new(&self.engine, wat::parse_str(CALLS)?)?;
        let mut linker = wasmi::Linker::<()>::new(&self.engine);
        linker.func_wrap("env", "add1", |x: i32| x.wrapping_add(1))?;
        let mut store = wasmi::Store::new(&self.engine, ());
        let instance = linker.instantiate_and_start(&mut store, &module)?;
        let add1 = instance.get_typed_func::<i32, i32>(&store, "add1")?;
        let call_host = instance.get_typed_func::<i32, i32>(&store, "call_host")?;
        self.calls = Some((store, add1, call_host));
        Ok(())
    }

    fn call_wasm(&mut self, x: i32) -> Result<i32> {
        let (store, add1, _) = self.calls.as_mut().context("no setup")?;
        Ok(add1.call(store, x)?)
    }

    fn call_host(&mut self, n: i32) -> Result<i32> {
        let (store, _, call_host) = self.calls.as_mut().context("no setup")?;
        Ok(call_host.call(store, n)?)
    }
}
