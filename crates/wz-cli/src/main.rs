//! The `wz` command.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use wz::{Features, Runtime, Val, ValType};

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

impl Engine {
    fn store_engine(self, bounds: BoundsChecks) -> anyhow::Result<wz_store::Engine> {
        Ok(match self {
            Engine::Interp => wz_store::Engine::Interpreter,
            Engine::Jit => wz_store::Engine::compiler_with(wz_store::JitConfig {
                bounds_checks: match bounds {
                    BoundsChecks::GuardPages => wz_store::BoundsChecks::GuardPages,
                    BoundsChecks::Explicit => wz_store::BoundsChecks::Explicit,
                },
                ..wz_store::JitConfig::default()
            })?,
        })
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
    },
    /// Run WebAssembly spec scripts and report, per file and in total, what passed.
    Wast {
        /// The engine to run on.
        #[arg(long, value_enum, default_value = "interp")]
        engine: Engine,
        /// How the JIT checks memory bounds (ignored by the interpreter).
        #[arg(long, value_enum, default_value = "guard-pages")]
        bounds_checks: BoundsChecks,
        /// The scripts.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run { file, invoke, args } => run(&file, &invoke, &args),
        Command::Wast {
            engine,
            bounds_checks,
            files,
        } => wast(engine, bounds_checks, &files),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wz: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(file: &PathBuf, name: &str, args: &[String]) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut runtime = Runtime::new();
    let module = runtime.compile_module(&bytes)?;
    let instance = runtime.instantiate_module(&module, None)?;
    let ty = runtime
        .exported_func_type(instance, name)
        .with_context(|| format!("{} exports no function named \"{name}\"", file.display()))?
        .clone();
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
    let results = runtime.call(instance, name, &values)?;
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

fn wast(engine: Engine, bounds: BoundsChecks, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let engine = engine.store_engine(bounds)?;
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
