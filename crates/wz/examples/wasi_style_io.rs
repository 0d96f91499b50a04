//! Giving a module a system interface: arguments, environment, stdout and deterministic
//! clocks, read by a host module the way WASI reads them.
//!
//! `cargo run -p wz --example wasi_style_io -- one two`

use anyhow::Result;
use wz::{ModuleConfig, Runtime, System};

fn main() -> Result<()> {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("sys")
        .new_function_builder()
        .with_func(|caller: &mut wz::Caller<'_>| -> Result<i32, wz::Error> {
            let sys = System::of(caller).ok_or_else(|| wz::Error::usage("no system"))?;
            let (secs, _) = sys.walltime();
            let mut out = sys.stdout().lock().unwrap_or_else(|e| e.into_inner());
            writeln!(
                out,
                "args {:?}, env {:?}, clock {secs}",
                sys.args(),
                sys.env()
            )
            .map_err(|e| wz::Error::usage(e.to_string()))?;
            Ok(sys.args().len() as i32)
        })
        .export("report")
        .instantiate()?;
    let compiled = runtime.compile_module(
        br#"(module (import "sys" "report" (func $report (result i32)))
          (func (export "_start") (drop (call $report))))"#,
    )?;
    let args: Vec<String> = std::env::args().collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // `_start` runs during instantiation, as WASI programs expect.
    runtime.instantiate_module(
        &compiled,
        ModuleConfig::new()
            .with_args(&args)
            .with_env("GREETING", "hi")
            .with_stdout(std::io::stdout()),
    )?;
    Ok(())
}
