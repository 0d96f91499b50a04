//! The `wz` command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

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
    /// Run a program: a WASI command's `_start` (its exit code becomes wz's), or with
    /// `--invoke`, one exported function, printing its results.
    Run(RunArgs),
    /// Compile a module ahead of time: into a cache directory (which `wz run --cache` then
    /// loads without compiling) and/or into an artifact file.
    Compile {
        /// The module, binary (.wasm) or text (.wat).
        file: PathBuf,
        /// The compilation cache directory to fill.
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
        /// Write the compiled code as an artifact (a relocatable ELF object) to this file.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Describe a module: imports, exports, memories, tables, sections and sizes.
    Inspect {
        /// The module, binary (.wasm) or text (.wat).
        file: PathBuf,
    },
    /// Print wz's version.
    Version,
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: clap's own text, on stdout.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first paragraph joined, without its "error: " prefix (and
            // without the tips and usage that follow).
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!("wz: {}", first.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run(&args),
        Command::Compile {
            file,
            cache,
            output,
            engine,
        } => compile(&file, cache.as_deref(), output.as_deref(), &engine),
        Command::Inspect { file } => inspect(&file),
        Command::Version => {
            println!("wz {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
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

#[derive(clap::Args)]
struct RunArgs {
    /// The module, binary (.wasm) or text (.wat).
    file: PathBuf,
    /// Call this exported function (ARGS are its parameters) instead of running `_start`.
    #[arg(long, value_name = "FUNC")]
    invoke: Option<String>,
    /// Mount a host directory for the guest, at GUEST (default: the same path).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Mount a host directory read-only.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    dirs_ro: Vec<String>,
    /// Set an environment variable for the guest.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Give the guest wz's own environment variables (before the --env ones).
    #[arg(long)]
    env_inherit: bool,
    /// Stop the program after this long (for example 500ms, 10s, 2m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Stop the program after it has run this many wasm operators.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Keep compiled code in this directory, to start faster next time.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Log every function call, return and abort to stderr, indented by depth.
    #[arg(long)]
    trace: bool,
    #[command(flatten)]
    engine: EngineArgs,
    /// The program's arguments (after its name), or the function's with --invoke.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<String>,
}

/// A duration like `250ms`, `10s`, `2m` or `1h` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration (try 500ms, 10s or 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit \"{unit}\" in \"{text}\" (ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("\"{text}\": {e}"))
}

/// `HOST[::GUEST]` as (host path, guest path).
fn mount(spec: &str) -> (PathBuf, String) {
    match spec.split_once("::") {
        Some((host, guest)) => (PathBuf::from(host), guest.to_string()),
        None => (PathBuf::from(spec), spec.to_string()),
    }
}

fn run(a: &RunArgs) -> anyhow::Result<ExitCode> {
    let file = &a.file;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut config = a.engine.config();
    if a.trace {
        config = config.with_function_listener_factory(Arc::new(TraceAll(Arc::default())));
    }
    if a.fuel.is_some() {
        config = config.with_fuel(true);
    }
    if a.timeout.is_some() {
        config = config.with_interruption(true);
    }
    if let Some(dir) = &a.cache {
        config = config.with_compilation_cache(&wz::CompilationCache::with_dir(dir)?);
    }
    let mut limits = wz::CallContext::new();
    if let Some(fuel) = a.fuel {
        limits = limits.with_fuel(fuel);
    }
    if let Some(timeout) = a.timeout {
        limits = limits.with_timeout(timeout);
    }
    let runtime = Runtime::with_config(config)?;
    wz_wasi::instantiate(&runtime)?;
    let compiled = runtime.compile_module(&bytes)?;
    let mut fs = wz::FsConfig::new();
    for (spec, read_only) in a
        .dirs
        .iter()
        .map(|d| (d, false))
        .chain(a.dirs_ro.iter().map(|d| (d, true)))
    {
        let (host, guest) = mount(spec);
        if !host.is_dir() {
            bail!("--dir {spec}: {} is not a directory", host.display());
        }
        fs = if read_only {
            fs.with_read_only_dir_mount(host, &guest)
        } else {
            fs.with_dir_mount(host, &guest)
        };
    }
    let mut module_config = ModuleConfig::new()
        .with_stdin(std::io::stdin())
        .with_stdout(std::io::stdout())
        .with_stderr(std::io::stderr())
        .with_sys_walltime()
        .with_sys_nanotime()
        .with_sys_nanosleep()
        .with_fs_config(fs)
        .with_call_context(limits.clone());
    if let Ok(random) = std::fs::File::open("/dev/urandom") {
        module_config = module_config.with_rand_source(random);
    }
    // wz's own variables first (with --env-inherit), each --env replacing one of the same name.
    let mut env: Vec<(String, String)> = if a.env_inherit {
        std::env::vars().collect()
    } else {
        Vec::new()
    };
    for pair in &a.env {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--env {pair}: expected KEY=VALUE"))?;
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    for (key, value) in &env {
        module_config = module_config.with_env(key, value);
    }
    let Some(name) = &a.invoke else {
        // A WASI command: `_start` runs as the module is instantiated.
        let program = file.display().to_string();
        let argv: Vec<&str> = std::iter::once(program.as_str())
            .chain(a.args.iter().map(String::as_str))
            .collect();
        return match runtime.instantiate_module(&compiled, module_config.with_args(&argv)) {
            Ok(_) => Ok(ExitCode::SUCCESS),
            Err(e) if matches!(e.kind(), wz::ErrorKind::Exit(_)) => {
                Ok(ExitCode::from(e.exit_code().unwrap_or(1) as u8))
            }
            Err(e) => Err(e.into()),
        };
    };
    // The function to call is given explicitly, so no start function runs first.
    let module = runtime.instantiate_module(
        &compiled,
        module_config
            .with_args(&[&file.display().to_string()])
            .with_start_functions(&[]),
    )?;
    let func = module
        .exported_function(name)
        .with_context(|| format!("{} exports no function named \"{name}\"", file.display()))?;
    let ty = func.definition().ty().clone();
    if ty.params().len() != a.args.len() {
        bail!(
            "\"{name}\" takes {} arguments ({}), got {}",
            ty.params().len(),
            ty,
            a.args.len()
        );
    }
    let values = ty
        .params()
        .iter()
        .zip(&a.args)
        .map(|(t, arg)| parse_arg(*t, arg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let results = match func.call_values_with(&limits, &values) {
        Err(e) if matches!(e.kind(), wz::ErrorKind::Exit(_)) => {
            return Ok(ExitCode::from(e.exit_code().unwrap_or(1) as u8));
        }
        other => other?,
    };
    let text: Vec<String> = results.iter().map(format_val).collect();
    println!("{}", text.join(" "));
    Ok(ExitCode::SUCCESS)
}

/// A module's bytes: read from `file`, text converted to binary.
fn module_bytes(file: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|b| b.into_owned())
        .map_err(|e| anyhow::anyhow!("invalid module: {}", e.to_string().replace('\n', " ")))
}

fn compile(
    file: &Path,
    cache: Option<&Path>,
    output: Option<&Path>,
    engine: &EngineArgs,
) -> anyhow::Result<ExitCode> {
    if cache.is_none() && output.is_none() {
        bail!("nothing to do: give --cache DIR and/or --output FILE");
    }
    let bytes = module_bytes(file)?;
    let config = engine.config();
    if let Some(dir) = cache {
        let cache = wz::CompilationCache::with_dir(dir)?;
        let runtime = Runtime::with_config(config.clone().with_compilation_cache(&cache))?;
        runtime.compile_module(&bytes)?;
    }
    if let Some(path) = output {
        let artifact = wz_store::CompiledModule::compile_artifact(
            &bytes,
            Features::default(),
            &config.engine()?,
        )?;
        std::fs::write(path, artifact)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn limits(l: &wz_binary::Limits) -> String {
    match l.max {
        Some(max) => format!("{}..{max}", l.min),
        None => format!("{}..", l.min),
    }
}

fn inspect(file: &Path) -> anyhow::Result<ExitCode> {
    let bytes = module_bytes(file)?;
    let m = wz_binary::Module::decode(&bytes, Features::default())?;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "module {}",
        m.names.module.as_deref().unwrap_or("(unnamed)")
    ));
    line(format!("size {} bytes", bytes.len()));
    line(format!("imports {}", m.imports.len()));
    for i in &m.imports {
        let what = match i.kind {
            wz_binary::ImportKind::Func(t) => match m.types.get(t as usize) {
                Some(ty) => format!("func {ty}"),
                None => "func".to_string(),
            },
            wz_binary::ImportKind::Table(t) => {
                format!("table {:?} {}", t.element, limits(&t.limits))
            }
            wz_binary::ImportKind::Memory(t) => format!("memory {} pages", limits(&t.limits)),
            wz_binary::ImportKind::Global(g) => {
                format!(
                    "global {}{}",
                    if g.mutable { "mut " } else { "" },
                    g.content
                )
            }
        };
        line(format!("  {}.{}: {what}", i.module, i.name));
    }
    line(format!("exports {}", m.exports.len()));
    for e in &m.exports {
        let what = match e.kind {
            wz_binary::ExternKind::Func(i) => match m.func_type(i) {
                Some(ty) => format!("func {i} {ty}"),
                None => format!("func {i}"),
            },
            wz_binary::ExternKind::Table(i) => format!("table {i}"),
            wz_binary::ExternKind::Memory(i) => format!("memory {i}"),
            wz_binary::ExternKind::Global(i) => format!("global {i}"),
        };
        line(format!("  {}: {what}", e.name));
    }
    for (i, mem) in m.memories.iter().enumerate() {
        let origin = if (i as u32) < m.num_imported_memories {
            " (imported)"
        } else {
            ""
        };
        line(format!("memory {i}: {} pages{origin}", limits(&mem.limits)));
    }
    for (i, t) in m.tables.iter().enumerate() {
        line(format!("table {i}: {:?} {}", t.element, limits(&t.limits)));
    }
    let code: usize = m.bodies.iter().map(|b| b.code.len()).sum();
    line(format!(
        "functions {} imported, {} defined ({code} bytes of code)",
        m.num_imported_funcs,
        m.bodies.len()
    ));
    line(format!("globals {}", m.globals.len()));
    let data: usize = m.datas.iter().map(|d| d.range.len()).sum();
    line(format!("data segments {} ({data} bytes)", m.datas.len()));
    line(format!("element segments {}", m.elements.len()));
    if let Some(start) = m.start {
        line(format!("start function {start}"));
    }
    line(format!("custom sections {}", m.custom_sections.len()));
    for c in &m.custom_sections {
        line(format!("  {}: {} bytes", c.name, c.range.len()));
    }
    print!("{out}");
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
