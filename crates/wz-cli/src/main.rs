//! The `wz` command.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use wz::experimental::{FunctionListener, FunctionListenerFactory};
use wz::{Features, FunctionDefinition, ModuleConfig, Runtime, RuntimeConfig, Val, ValType};

#[derive(Parser)]
#[command(
    name = "wz",
    version,
    about = "Run WebAssembly modules and spec scripts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    /// The JIT where it runs (Linux on x86_64 and aarch64), else the interpreter.
    Auto,
    /// The interpreter.
    Interp,
    /// The Cranelift JIT (Linux on x86_64 and aarch64).
    Jit,
}

/// How the JIT keeps memory accesses in bounds.
#[derive(Clone, Copy, ValueEnum)]
enum BoundsChecks {
    /// Reserve 8 GiB of address space per memory; faults in guard pages become traps.
    GuardPages,
    /// Compare every access against the memory's length.
    Explicit,
}

/// The engine options shared by the subcommands.
#[derive(clap::Args)]
struct EngineArgs {
    /// The engine to run on.
    #[arg(long, value_enum, default_value = "auto")]
    engine: Engine,
    /// How the JIT checks memory bounds (the interpreter always checks explicitly).
    #[arg(long, value_enum, default_value = "guard-pages")]
    bounds_checks: BoundsChecks,
}

impl EngineArgs {
    fn bounds_checks(&self) -> wz::BoundsChecks {
        match self.bounds_checks {
            BoundsChecks::GuardPages => wz::BoundsChecks::GuardPages,
            BoundsChecks::Explicit => wz::BoundsChecks::Explicit,
        }
    }

    fn config(&self) -> RuntimeConfig {
        let config = match self.engine {
            Engine::Auto => RuntimeConfig::new(),
            Engine::Interp => RuntimeConfig::interpreter(),
            Engine::Jit => RuntimeConfig::compiler(),
        };
        config.with_bounds_checks(self.bounds_checks())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Instantiate a module and call one exported function, printing its results.
    Run {
        /// The module, binary (.wasm) or text (.wat).
        file: PathBuf,
        /// The exported function to call.
        #[arg(long)]
        invoke: String,
        /// Arguments for the function, one per parameter.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        /// Log every function call, return and abort to stderr, indented by depth.
        #[arg(long)]
        trace: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Run WebAssembly spec scripts and report, per file and in total, what passed.
    Wast {
        #[command(flatten)]
        engine: EngineArgs,
        /// The scripts.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run {
            file,
            invoke,
            args,
            trace,
            engine,
        } => run(&file, &invoke, &args, trace, &engine),
        Command::Wast { engine, files } => wast(&engine, &files),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wz: {e:#}");
            if let Some(backtrace) = e.downcast_ref::<wz::Error>().and_then(wz::Error::backtrace) {
                eprintln!("wasm backtrace:\n{backtrace}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(
    file: &PathBuf,
    name: &str,
    args: &[String],
    trace: bool,
    engine: &EngineArgs,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut config = engine.config();
    if trace {
        config = config.with_function_listener_factory(Arc::new(TraceAll(Arc::default())));
    }
    let runtime = Runtime::with_config(config)?;
    let compiled = runtime.compile_module(&bytes)?;
    // The function to call is given explicitly, so no start function runs first.
    let config = ModuleConfig::new().with_start_functions(&[]);
    let module = runtime.instantiate_module(&compiled, config)?;
    let func = module
        .exported_function(name)
        .with_context(|| format!("{} exports no function named \"{name}\"", file.display()))?;
    let ty = func.definition().ty().clone();
    if ty.params().len() != args.len() {
        bail!(
            "\"{name}\" takes {} arguments ({}), got {}",
            ty.params().len(),
            ty,
            args.len()
        );
    }
    let values = ty
        .params()
        .iter()
        .zip(args)
        .map(|(t, a)| parse_arg(*t, a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let results = func.call_values(&values)?;
    let text: Vec<String> = results.iter().map(format_val).collect();
    println!("{}", text.join(" "));
    Ok(ExitCode::SUCCESS)
}

fn parse_arg(ty: ValType, arg: &str) -> anyhow::Result<Val> {
    let bad = || format!("argument \"{arg}\" is not a valid {ty}");
    Ok(match ty {
        ValType::I32 => Val::I32(
            arg.parse::<i32>()
                .or_else(|_| arg.parse::<u32>().map(|v| v as i32))
                .with_context(bad)?,
        ),
        ValType::I64 => Val::I64(
            arg.parse::<i64>()
                .or_else(|_| arg.parse::<u64>().map(|v| v as i64))
                .with_context(bad)?,
        ),
        ValType::F32 => Val::F32(arg.parse::<f32>().with_context(bad)?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>().with_context(bad)?.to_bits()),
        other => bail!("parameters of type {other} cannot be given on the command line"),
    })
}

fn format_val(v: &Val) -> String {
    match v {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(v) => format!("{v:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(f)) => format!("funcref({f:?})"),
        Val::ExternRef(Some(e)) => format!("externref({e})"),
    }
}

/// `--trace`: logs calls to stderr as `--> module.func(args)`, returns as
/// `<-- module.func = results` and aborts as `<-- module.func aborted: error`, indented two
/// spaces per level of nesting.
#[derive(Default)]
struct Tracer {
    depth: AtomicUsize,
}

impl Tracer {
    fn line(&self, depth: usize, text: std::fmt::Arguments<'_>) {
        let indent = "  ".repeat(depth.min(64));
        let _ = writeln!(std::io::stderr().lock(), "{indent}{text}");
    }
}

fn traced_name(def: &FunctionDefinition) -> String {
    let name = match def.name() {
        "" => format!("func[{}]", def.index()),
        name => name.to_string(),
    };
    match def.module_name() {
        Some(module) => format!("{module}.{name}"),
        None => name,
    }
}

/// Raw slots as values of `types`, formatted like results.
fn traced_values(types: &[ValType], slots: &[u64]) -> String {
    let mut values = Vec::with_capacity(types.len());
    let mut i = 0;
    for &ty in types {
        let width = if ty == ValType::V128 { 2 } else { 1 };
        let Some(raw) = slots.get(i..i + width) else {
            break;
        };
        let bits = raw[0] as u128 | raw.get(1).map_or(0, |&hi| (hi as u128) << 64);
        values.push(format_val(&Val::from_bits(ty, bits)));
        i += width;
    }
    values.join(", ")
}

impl FunctionListener for Tracer {
    fn before(&self, def: &FunctionDefinition, params: &[u64]) {
        let depth = self.depth.fetch_add(1, Ordering::Relaxed);
        let args = traced_values(def.params(), params);
        self.line(depth, format_args!("--> {}({args})", traced_name(def)));
    }

    fn after(&self, def: &FunctionDefinition, results: &[u64]) {
        let depth = self.depth.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
        let name = traced_name(def);
        if def.results().is_empty() {
            self.line(depth, format_args!("<-- {name}"));
        } else {
            let values = traced_values(def.results(), results);
            self.line(depth, format_args!("<-- {name} = {values}"));
        }
    }

    fn abort(&self, def: &FunctionDefinition, error: &wz::Error) {
        let depth = self.depth.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
        self.line(
            depth,
            format_args!("<-- {} aborted: {error}", traced_name(def)),
        );
    }
}

/// Gives every function the one [`Tracer`].
struct TraceAll(Arc<Tracer>);

impl FunctionListenerFactory for TraceAll {
    fn new_listener(&self, _def: &FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
        Some(self.0.clone())
    }
}

fn wast(engine: &EngineArgs, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let engine = engine.config().engine()?;
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let name = file.display().to_string();
        let report = wz_cli::wast::run_on(&name, &text, Features::default(), &engine);
        for failure in &report.failures {
            println!("  FAIL {failure}");
        }
        println!(
            "{name}: {} passed, {} failed",
            report.passed,
            report.failed()
        );
        passed += report.passed;
        failed += report.failed();
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
