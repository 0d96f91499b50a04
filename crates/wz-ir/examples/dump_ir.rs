//! Prints the lowered IR of every function of a module: `cargo run -p wz-ir --example dump_ir
//! FILE.(wat|wasm)`.
use wz_binary::{Features, Module};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: dump_ir FILE.(wat|wasm)"))?;
    let bytes = wat::parse_file(&path)?;
    let module = Module::decode(&bytes, Features::default())?;
    for (i, f) in wz_ir::lower_module(&module)?.iter().enumerate() {
        println!("; function {i}\n{f}");
    }
    Ok(())
}
