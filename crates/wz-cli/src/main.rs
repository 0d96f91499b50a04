//! The `wz` command.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use wz::{Features, ModuleConfig, Runtime, RuntimeConfig, Val, ValType};

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
            engine,
        } => run(&file, &invoke, &args, &engine),
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
    engine: &EngineArgs,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let runtime = Runtime::with_config(engine.config())?;
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
