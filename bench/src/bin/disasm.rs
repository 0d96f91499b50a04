//! Prints the machine code wz's JIT generates for each function of a module, through
//! `objdump` (x86_64 hosts): `cargo run --release --bin disasm -- workloads/sieve.wat`.
//! With `--wasmtime`, prints wasmtime's code for the same module instead, for comparison;
//! `--interrupt`, `--fuel` and `--listen` compile wz's code with those checks (or listener calls);
//! `--trampolines` prints the entry trampoline and host adapter of each function's signature.

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: disasm FILE.wat|FILE.wasm")?;
    let wasm = wat::parse_file(&path)?;
    if std::env::args().any(|a| a == "--wasmtime") {
        let elf = wasmtime::Engine::default().precompile_module(&wasm)?;
        let file = std::env::temp_dir().join(format!("wz-disasm-{}.cwasm", std::process::id()));
        std::fs::write(&file, elf)?;
        let out = std::process::Command::new("objdump")
            .args(["-d", "-M", "intel"])
            .arg(&file)
            .output()
            .context("objdump")?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        std::fs::remove_file(&file)?;
        return Ok(());
    }
    let module = wz_binary::Module::decode(&wasm, Default::default())?;
    let has = |flag: &str| std::env::args().any(|a| a == flag);
    let engine = wz_cranelift::JitEngine::new(wz_cranelift::JitConfig {
        metering: wz_ir::Metering {
            fuel: has("--fuel"),
            interrupt: has("--interrupt"),
            listen: has("--listen"),
        },
        ..Default::default()
    })?;
    let mut listing = Vec::new();
    if has("--trampolines") {
        let mut seen = Vec::new();
        for func in &module.funcs {
            let ty = &module.types[*func as usize];
            if seen.contains(ty) {
                continue;
            }
            seen.push(ty.clone());
            let mut code = engine.trampoline_functions(ty)?.into_iter();
            for what in ["entry trampoline", "host adapter"] {
                let f = code.next().context("two trampolines")?;
                listing.push((format!("{what} of {ty}"), f));
            }
        }
    } else {
        for (i, f) in engine.compile_functions(&module)?.into_iter().enumerate() {
            listing.push((format!("function {i}"), f));
        }
    }
    for (i, (name, f)) in listing.iter().enumerate() {
        let file = std::env::temp_dir().join(format!("wz-disasm-{}-{i}.bin", std::process::id()));
        std::fs::write(&file, f.code())?;
        println!("; {name} ({} bytes)", f.code().len());
        let out = std::process::Command::new("objdump")
            .args(["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel"])
            .arg(&file)
            .output()
            .context("objdump")?;
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines().skip_while(|l| !l.contains("<.data>:")).skip(1) {
            println!("{line}");
        }
        std::fs::remove_file(&file)?;
    }
    Ok(())
}
