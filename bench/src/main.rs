//! wz against wasmtime and wasmi, side by side in one run.
//!
//! `cargo run --release` (from `bench/`) measures, per workload, the phases validate (decode
//! and validate only), compile (decode, validate and compile), instantiate (a new store and
//! an instance) and execute (one call of the workload's `run` export) on wz's interpreter,
//! wz's JIT, wasmi and wasmtime, checks that all four computed the same result, then the
//! instantiation workloads (an empty module, one page of memory, 1 MB of data segments, 100
//! imported host functions), typed calls both ways and the compile time of a large module,
//! and prints a markdown table with the ratios wz-jit/wasmtime and wz-interp/wasmi. `--write` also puts the table into
//! `docs/performance.md`. `--scaling` compiles generated modules of growing size to show how
//! compile time grows with module size; `--cache` measures the compilation cache; `--limits`
//! measures what fuel metering and interrupt checks cost wz's engines. Workload names as
//! arguments (`fib sieve large`) limit the run to those. `--once WORKLOAD [ARG]` runs one
//! workload once per engine, untimed, for profilers.

mod large;
mod peers;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use peers::{Engine, all_engines};

/// A program in `workloads/` and the argument its `run` export is called with.
struct Workload {
    name: &'static str,
    /// The module: text (`.wat`) or binary (`.wasm`, built from C by `workloads/build.sh`).
    source: &'static [u8],
    arg: i32,
    /// What `run(arg)` returns, when known independently of the engines.
    expected: Option<i64>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "fib",
        source: include_bytes!("../workloads/fib.wat"),
        arg: 30,
        expected: Some(832_040),
    },
    Workload {
        name: "sieve",
        source: include_bytes!("../workloads/sieve.wat"),
        arg: 10_000_000,
        expected: Some(664_579),
    },
    Workload {
        name: "matmul",
        source: include_bytes!("../workloads/matmul.wat"),
        arg: 200,
        expected: None,
    },
    Workload {
        name: "sort",
        source: include_bytes!("../workloads/sort.wat"),
        arg: 1_000_000,
        expected: None,
    },
    Workload {
        name: "vm",
        source: include_bytes!("../workloads/vm.wat"),
        arg: 3_000_000,
        expected: None,
    },
    Workload {
        name: "sha256",
        source: include_bytes!("../workloads/sha256.wasm"),
        arg: 4_000_000,
        expected: None,
    },
    Workload {
        name: "nbody",
        source: include_bytes!("../workloads/nbody.wasm"),
        arg: 500_000,
        expected: None,
    },
    Workload {
        name: "lz",
        source: include_bytes!("../workloads/lz.wasm"),
        arg: 2_000_000,
        expected: None,
    },
    Workload {
        name: "json",
        source: include_bytes!("../workloads/json.wasm"),
        arg: 100_000,
        expected: None,
    },
    Workload {
        name: "simd",
        source: include_bytes!("../workloads/simd.wat"),
        arg: 65_536,
        expected: None,
    },
];

/// Timed executions per engine and workload.
const EXECUTE_ROUNDS: usize = 7;

/// The median of `runs` timings of `f`, running it at least `min` times and until `budget`
/// is spent (at most `max` times).
fn measure(
    min: usize,
    max: usize,
    budget: Duration,
    f: impl FnMut() -> Result<()>,
) -> Result<Duration> {
    let mut times = Vec::new();
    sample(min, max, budget, f, &mut times)?;
    Ok(median(times))
}

/// Adds timings of `f` to `times`: at least `min` runs, then more until `budget` is spent
/// (at most `max` in all).
fn sample(
    min: usize,
    max: usize,
    budget: Duration,
    mut f: impl FnMut() -> Result<()>,
    times: &mut Vec<Duration>,
) -> Result<()> {
    let start = Instant::now();
    let mut runs = 0;
    while runs < min || (runs < max && start.elapsed() < budget) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
        runs += 1;
    }
    Ok(())
}

fn median(mut times: Vec<Duration>) -> Duration {
    if std::env::var_os("WZ_BENCH_TRACE").is_some() {
        eprintln!("  times: {times:?}");
    }
    times.sort();
    times[times.len() / 2]
}

fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// One row: a phase of a workload on every engine (`None`: not measured).
struct Row {
    workload: String,
    phase: &'static str,
    times: Vec<Option<Duration>>,
}

fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64()),
        _ => "–".into(),
    }
}

fn table(engines: &[Box<dyn Engine>], rows: &[Row]) -> String {
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    let index = |n: &str| names.iter().position(|x| *x == n);
    let mut out = format!(
        "| workload | phase | {} | wz-jit / wasmtime | wz-interp / wasmi |\n|---|---|{}---|---|\n",
        names.join(" | "),
        "---|".repeat(names.len())
    );
    let mut jit_ratios = Vec::new();
    let mut interp_ratios = Vec::new();
    for row in rows {
        let cell = |n: &str| index(n).and_then(|i| row.times[i]);
        let times: Vec<String> = row
            .times
            .iter()
            .map(|t| t.map_or("–".into(), format_duration))
            .collect();
        if row.phase == "execute" {
            if let (Some(a), Some(b)) = (cell("wz-jit"), cell("wasmtime")) {
                jit_ratios.push(a.as_secs_f64() / b.as_secs_f64());
            }
            if let (Some(a), Some(b)) = (cell("wz-interp"), cell("wasmi")) {
                interp_ratios.push(a.as_secs_f64() / b.as_secs_f64());
            }
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.workload,
            row.phase,
            times.join(" | "),
            ratio(cell("wz-jit"), cell("wasmtime")),
            ratio(cell("wz-interp"), cell("wasmi")),
        ));
    }
    let geomean = |r: &[f64]| {
        if r.is_empty() {
            "–".to_string()
        } else {
            format!(
                "{:.2}×",
                (r.iter().map(|x| x.ln()).sum::<f64>() / r.len() as f64).exp()
            )
        }
    };
    if !jit_ratios.is_empty() || !interp_ratios.is_empty() {
        out.push_str(&format!(
            "\nExecution geomean: wz-jit / wasmtime {}, wz-interp / wasmi {}.\n",
            geomean(&jit_ratios),
            geomean(&interp_ratios)
        ));
    }
    out
}

fn run_workloads(
    engines: &mut [Box<dyn Engine>],
    selected: impl Fn(&str) -> bool,
    notes: &mut Vec<String>,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for w in WORKLOADS.iter().filter(|w| selected(w.name)) {
        let wasm = wat::parse_bytes(w.source)
            .with_context(|| format!("workload {}", w.name))?
            .into_owned();
        let mut validate = Vec::new();
        let mut compile = Vec::new();
        let mut instantiate = Vec::new();
        let mut execute: Vec<Option<Vec<Duration>>> = Vec::new();
        let mut results = Vec::new();
        for e in engines.iter_mut() {
            eprintln!("{} on {}", w.name, e.name());
            // An engine whose default configuration rejects the workload sits it out.
            if let Err(why) = e.compile(&wasm) {
                notes.push(format!("{} does not run `{}`: {why}", e.name(), w.name));
                validate.push(None);
                compile.push(None);
                instantiate.push(None);
                execute.push(None);
                continue;
            }
            validate.push(Some(measure(3, 20, Duration::from_secs(1), || {
                e.validate(&wasm)
            })?));
            compile.push(Some(measure(3, 20, Duration::from_secs(1), || {
                e.compile(&wasm)
            })?));
            instantiate.push(Some(measure(10, 2000, Duration::from_millis(500), || {
                e.instantiate()
            })?));
            // Every workload initializes the memory it uses, so one instance serves all runs.
            e.instantiate()?;
            // A first run (page faults, caches) that is not timed.
            results.push((e.name(), e.run(w.arg)?));
            execute.push(Some(Vec::new()));
        }
        // Executions are timed in rounds that run every engine once, so drift in the
        // machine's state (frequency, caches, neighbours) affects all engines alike.
        for _ in 0..EXECUTE_ROUNDS {
            for (e, times) in engines.iter_mut().zip(execute.iter_mut()) {
                let Some(times) = times else { continue };
                let t = Instant::now();
                let r = e.run(w.arg)?;
                times.push(t.elapsed());
                if let Some((_, first)) = results.iter().find(|(n, _)| *n == e.name())
                    && *first != r
                {
                    bail!("{} on {} gave {r}, then {first}", w.name, e.name());
                }
            }
        }
        let execute: Vec<Option<Duration>> = execute
            .into_iter()
            .map(|t| {
                t.map(|mut t| {
                    t.sort();
                    t[t.len() / 2]
                })
            })
            .collect();
        let first = results[0].1;
        if results.iter().any(|(_, r)| *r != first) || w.expected.is_some_and(|x| x != first) {
            bail!(
                "{}: the engines disagree: {results:?} (expected {:?})",
                w.name,
                w.expected
            );
        }
        for (phase, times) in [
            ("validate", validate),
            ("compile", compile),
            ("instantiate", instantiate),
            ("execute", execute),
        ] {
            rows.push(Row {
                workload: w.name.to_string(),
                phase,
                times,
            });
        }
    }
    Ok(rows)
}

/// `--once WORKLOAD [ARG]`: compiles, instantiates and runs one workload once on each engine
/// (`WZ_BENCH_ENGINES` narrows them), untimed, for profilers such as callgrind.
fn run_once(args: &[&String]) -> Result<()> {
    let name = args.first().context("usage: --once WORKLOAD [ARG]")?;
    let w = WORKLOADS
        .iter()
        .find(|w| w.name == name.as_str())
        .with_context(|| format!("no workload {name}"))?;
    let arg = match args.get(1) {
        Some(a) => a.parse().context("ARG")?,
        None => w.arg,
    };
    let wasm = wat::parse_bytes(w.source)?.into_owned();
    for mut e in all_engines()? {
        e.compile(&wasm)?;
        e.instantiate()?;
        println!("{} {}({arg}) = {}", e.name(), w.name, e.run(arg)?);
    }
    Ok(())
}

/// The instantiation workloads: modules that only get instantiated, and how many `env`
/// imports each needs.
fn instantiation_workloads() -> Vec<(&'static str, Vec<u8>, usize)> {
    // 1 MB of data in 16 segments of 64 KiB, bytes that no engine can elide as zeroes.
    let mut data = String::from("(module (memory 17)");
    let mut seed = 0x2545_f491_u32;
    for segment in 0..16 {
        data.push_str(&format!(" (data (i32.const {}) \"", segment * 65_536));
        for _ in 0..65_536 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            data.push_str(&format!("\\{:02x}", (seed as u8) | 1));
        }
        data.push('"');
        data.push(')');
    }
    data.push(')');
    let mut imports = String::from("(module");
    for i in 0..IMPORTS {
        imports.push_str(&format!(
            " (import \"env\" \"f{i}\" (func (param i32) (result i32)))"
        ));
    }
    imports.push(')');
    let binary = |text: &str| wat::parse_str(text).expect("valid instantiation workload");
    vec![
        ("empty module", binary("(module)"), 0),
        ("1 page memory", binary("(module (memory 1))"), 0),
        ("1 MB data", binary(&data), 0),
        ("100 imports", binary(&imports), IMPORTS),
    ]
}

/// Host functions the import workload links against.
const IMPORTS: usize = 100;

/// Instantiation time of [`instantiation_workloads`]: a new store and an instance, the
/// imports linked the way [`Engine::define_imports`] says.
fn run_instantiation(engines: &mut [Box<dyn Engine>]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (name, wasm, imports) in instantiation_workloads() {
        for e in engines.iter_mut() {
            e.define_imports(imports)?;
            e.compile(&wasm)?;
        }
        // Like executions, timed in rounds that give every engine a slice of the time in
        // turn, so that the machine's drift (which moves these microsecond timings by 30 %
        // from one second to the next here) reaches all of them alike.
        let mut samples = vec![Vec::new(); engines.len()];
        for round in 0..EXECUTE_ROUNDS {
            for (e, times) in engines.iter_mut().zip(&mut samples) {
                if round == 0 {
                    eprintln!("instantiate {name} on {}", e.name());
                }
                sample(
                    8,
                    3_000,
                    Duration::from_millis(70),
                    || e.instantiate(),
                    times,
                )?;
            }
        }
        for e in engines.iter_mut() {
            e.define_imports(0)?;
        }
        rows.push(Row {
            workload: format!("instantiate: {name}"),
            phase: "instantiate",
            times: samples.into_iter().map(|t| Some(median(t))).collect(),
        });
    }
    Ok(rows)
}

/// Per-call time of a typed host-to-wasm call (`add1(x)`, a million in a Rust loop, through
/// the harness's `dyn Engine`, which every engine pays alike) and of a wasm-to-host call (a
/// wasm loop calling the host's `add1` a million times).
fn run_calls(engines: &mut [Box<dyn Engine>]) -> Result<Vec<Row>> {
    const N: i32 = 1_000_000;
    for e in engines.iter_mut() {
        eprintln!("calls on {}", e.name());
        e.setup_calls()?;
        if e.call_wasm(41)? != 42 || e.call_host(1000)? != 1000 {
            bail!(
                "{}: the call benchmark module computes the wrong values",
                e.name()
            );
        }
    }
    // Rounds that run every engine in turn, as for executions.
    let mut wasm_times = vec![Vec::new(); engines.len()];
    let mut host_times = vec![Vec::new(); engines.len()];
    for _ in 0..EXECUTE_ROUNDS {
        for (i, e) in engines.iter_mut().enumerate() {
            let t = Instant::now();
            let mut x = 0;
            for _ in 0..N {
                x = e.call_wasm(x)?;
            }
            wasm_times[i].push(t.elapsed() / N as u32);
            if x != N {
                bail!("{}: {N} calls of add1 gave {x}", e.name());
            }
            let t = Instant::now();
            let sum = e.call_host(N)?;
            host_times[i].push(t.elapsed() / N as u32);
            if sum != N {
                bail!("{}: {N} host calls gave {sum}", e.name());
            }
        }
    }
    let to_wasm = wasm_times.into_iter().map(|t| Some(median(t))).collect();
    let to_host = host_times.into_iter().map(|t| Some(median(t))).collect();
    Ok(vec![
        Row {
            workload: "calls".into(),
            phase: "host→wasm call",
            times: to_wasm,
        },
        Row {
            workload: "calls".into(),
            phase: "wasm→host call",
            times: to_host,
        },
    ])
}

/// Compile time of the generated large module (and, with `scaling`, of 1/4, 1/2 and 2× it).
fn run_large(engines: &mut [Box<dyn Engine>], scaling: bool) -> Result<Vec<Row>> {
    let sizes: &[u32] = if scaling {
        &[2_500, 10_000, 40_000, 160_000]
    } else {
        &[20_000]
    };
    let mut rows = Vec::new();
    for &functions in sizes {
        let wasm = large::module(functions);
        let mut times = Vec::new();
        for e in engines.iter_mut() {
            eprintln!("large ({} bytes) on {}", wasm.len(), e.name());
            times.push(Some(measure(1, 3, Duration::from_secs(5), || {
                e.compile(&wasm)
            })?));
        }
        rows.push(Row {
            workload: format!(
                "large ({functions} functions, {:.1} MB)",
                wasm.len() as f64 / 1e6
            ),
            phase: "compile",
            times,
        });
    }
    Ok(rows)
}

/// Compile time of the large module through a compilation cache directory: cold (compile
/// and write the entry), from the directory (a fresh cache, as a new process would see it),
/// and from memory.
fn run_cache() -> Result<String> {
    let wasm = large::module(20_000);
    let dir = std::env::temp_dir().join(format!("wz-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let compile = |cache: &wz::CompilationCache| -> Result<Duration> {
        let config = wz::RuntimeConfig::compiler().with_compilation_cache(cache);
        let runtime = wz::Runtime::with_config(config)?;
        let t = Instant::now();
        runtime.compile_module(&wasm)?;
        Ok(t.elapsed())
    };
    let uncached = {
        let runtime = wz::Runtime::with_config(wz::RuntimeConfig::compiler())?;
        let t = Instant::now();
        runtime.compile_module(&wasm)?;
        t.elapsed()
    };
    let cache = wz::CompilationCache::with_dir(&dir)?;
    let cold = compile(&cache)?;
    let memory = compile(&cache)?;
    let mut disk = Vec::new();
    for _ in 0..5 {
        disk.push(compile(&wz::CompilationCache::with_dir(&dir)?)?);
    }
    disk.sort();
    let disk = disk[disk.len() / 2];
    let size: u64 = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)))
        .sum::<std::io::Result<u64>>()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "| large ({:.1} MB wasm, {:.1} MB entry) | wz-jit |\n|---|---|\n\
         | no cache | {} |\n| cold (compile + write entry) | {} |\n\
         | from the directory (fresh cache) | {} ({:.1} % of no cache) |\n\
         | from memory | {} |\n",
        wasm.len() as f64 / 1e6,
        size as f64 / 1e6,
        format_duration(uncached),
        format_duration(cold),
        format_duration(disk),
        100.0 * disk.as_secs_f64() / uncached.as_secs_f64(),
        format_duration(memory),
    ))
}

/// Execution time of each workload on wz's engines with interrupt checks, fuel metering and
/// both, as ratios to the same engine without them.
fn run_limits(selected: impl Fn(&str) -> bool) -> Result<String> {
    use peers::Wz;
    use wz::RuntimeConfig;
    let mut out = String::from(
        "| workload | engine | plain | interruption | fuel | both | listener |\n|---|---|---|---|---|---|---|\n",
    );
    /// A listener on every function that does nothing: the cost of the hooks themselves.
    struct Quiet;
    impl wz::experimental::FunctionListener for Quiet {}
    impl wz::experimental::FunctionListenerFactory for Quiet {
        fn new_listener(
            &self,
            _: &wz::FunctionDefinition,
        ) -> Option<std::sync::Arc<dyn wz::experimental::FunctionListener>> {
            Some(std::sync::Arc::new(Quiet))
        }
    }
    let budget = || wz::CallContext::new().with_fuel(u64::MAX / 4);
    for (engine, base) in [
        ("wz-interp", RuntimeConfig::interpreter()),
        ("wz-jit", RuntimeConfig::compiler()),
    ] {
        for w in WORKLOADS.iter().filter(|w| selected(w.name)) {
            eprintln!("{} on {engine} with limits", w.name);
            let wasm = wat::parse_bytes(w.source)?.into_owned();
            let mut variants: Vec<Box<dyn Engine>> = vec![
                Box::new(Wz::new("plain", base.clone())?),
                Box::new(Wz::new(
                    "interruption",
                    base.clone().with_interruption(true),
                )?),
                Box::new(Wz::new("fuel", base.clone().with_fuel(true))?.with_context(budget())),
                Box::new(
                    Wz::new("both", base.clone().with_fuel(true).with_interruption(true))?
                        .with_context(budget()),
                ),
                Box::new(Wz::new(
                    "listener",
                    base.clone()
                        .with_function_listener_factory(std::sync::Arc::new(Quiet)),
                )?),
            ];
            let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
            for v in variants.iter_mut() {
                v.compile(&wasm)?;
                v.instantiate()?;
                v.run(w.arg)?;
            }
            for _ in 0..EXECUTE_ROUNDS {
                for (v, t) in variants.iter_mut().zip(times.iter_mut()) {
                    let start = Instant::now();
                    v.run(w.arg)?;
                    t.push(start.elapsed());
                }
            }
            let medians: Vec<Duration> = times
                .into_iter()
                .map(|mut t| {
                    t.sort();
                    t[t.len() / 2]
                })
                .collect();
            out.push_str(&format!(
                "| {} | {engine} | {} | {} | {} | {} | {} |\n",
                w.name,
                format_duration(medians[0]),
                ratio(Some(medians[1]), Some(medians[0])),
                ratio(Some(medians[2]), Some(medians[0])),
                ratio(Some(medians[3]), Some(medians[0])),
                ratio(Some(medians[4]), Some(medians[0])),
            ));
        }
    }
    Ok(out)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}

fn today() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown date".into())
}

/// Writes `report` between `<!-- {section}:begin -->` and `<!-- {section}:end -->` in
/// `docs/performance.md`.
fn write_docs(section: &str, report: &str) -> Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/performance.md");
    let doc = std::fs::read_to_string(path)?;
    let (begin, end) = (
        format!("<!-- {section}:begin -->"),
        format!("<!-- {section}:end -->"),
    );
    let (Some(b), Some(e)) = (doc.find(&begin), doc.find(&end)) else {
        bail!("docs/performance.md has no {begin} ... {end} section");
    };
    let new = format!("{}{begin}\n{report}{}", &doc[..b], &doc[e..]);
    std::fs::write(path, new)?;
    eprintln!("wrote {path}");
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write = args.iter().any(|a| a == "--write");
    let scaling = args.iter().any(|a| a == "--scaling");
    if args.iter().any(|a| a == "--cache") {
        let report = format!(
            "Measured {} on {} (`cargo run --release -- --cache` in `bench/`).\n\n{}",
            today(),
            machine(),
            run_cache()?
        );
        println!("{report}");
        if write {
            write_docs("cache", &report)?;
        }
        return Ok(());
    }
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if args.iter().any(|a| a == "--once") {
        return run_once(&only);
    }
    if args.iter().any(|a| a == "--limits") {
        let selected = |name: &str| only.is_empty() || only.iter().any(|o| o.as_str() == name);
        let report = format!(
            "Measured {} on {} (`cargo run --release -- --limits` in `bench/`); medians of {} \
             runs; each ratio is to the same engine without the checks.\n\n{}",
            today(),
            machine(),
            EXECUTE_ROUNDS,
            run_limits(selected)?
        );
        println!("{report}");
        if write {
            write_docs("limits", &report)?;
        }
        return Ok(());
    }
    let mut engines = all_engines()?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if scaling {
        rows.extend(run_large(&mut engines, true)?);
    } else {
        let selected = |name: &str| only.is_empty() || only.iter().any(|o| o.as_str() == name);
        rows.extend(run_workloads(&mut engines, selected, &mut notes)?);
        if selected("instantiate") {
            rows.extend(run_instantiation(&mut engines)?);
        }
        if selected("calls") {
            rows.extend(run_calls(&mut engines)?);
        }
        if selected("large") {
            rows.extend(run_large(&mut engines, false)?);
        }
    }
    let mut report = format!(
        "Measured {} on {} (`cargo run --release{}` in `bench/`); medians.\n\n{}",
        today(),
        machine(),
        if scaling { " -- --scaling" } else { "" },
        table(&engines, &rows)
    );
    for note in &notes {
        report.push_str(&format!("\n- {note}"));
    }
    if !notes.is_empty() {
        report.push('\n');
    }
    println!("{report}");
    if write {
        write_docs(if scaling { "scaling" } else { "bench" }, &report)?;
    }
    Ok(())
}
