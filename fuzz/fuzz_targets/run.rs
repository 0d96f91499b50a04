//! Valid Wasm 2.0 modules from wasm-smith (with fuel so loops end): they must compile (decode,
//! validate, lower), and instantiating them and calling every exported function must end in a
//! result or a typed error, never a panic or a hang.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use wz_store::{CompiledModule, Extern, Features, Store, Val};

/// The wasm-smith configuration is the differential test's.
#[path = "../../crates/wz/tests/support/smith_diff.rs"]
#[allow(dead_code)]
mod smith_diff;

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let config = smith_diff::config(u)?;
    let mut module = wasm_smith::Module::new(config, u)?;
    if module.ensure_termination(1_000).is_err() {
        return Ok(());
    }
    let bytes = module.to_bytes();
    let compiled = CompiledModule::new(&bytes, Features::default())
        .unwrap_or_else(|e| panic!("a valid module failed to compile: {e}"));
    let mut store = Store::new();
    let Ok(instance) = store.instantiate(&compiled, &[]) else {
        return Ok(());
    };
    let funcs: Vec<_> = store
        .exports(instance)
        .filter_map(|(_, e)| match e {
            Extern::Func(f) => Some(f),
            _ => None,
        })
        .collect();
    for f in funcs {
        let args: Vec<Val> = store.func_type(f).params().iter().map(|t| Val::default_for(*t)).collect();
        let _ = store.call(f, &args);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
