//! Valid Wasm 2.0 modules from wasm-smith (with fuel so loops end): they must compile (decode,
//! validate, lower), and instantiating them and calling every exported function must end in a
//! result or a typed error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use wz_store::{CompiledModule, Extern, Features, Store, Val};

fn config(u: &mut Unstructured<'_>) -> Result<wasm_smith::Config> {
    let mut c: wasm_smith::Config = u.arbitrary()?;
    // Wasm 2.0 only.
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.compact_imports_enabled = false;
    c.custom_descriptors_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.memory64_enabled = false;
    c.relaxed_simd_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.tail_call_enabled = false;
    c.threads_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.extended_const_enabled = false;
    c.max_memories = c.max_memories.min(1);
    c.max_tables = c.max_tables.min(8);
    c.max_imports = 0;
    // Keep memories small so one input stays fast.
    c.max_memory32_bytes = c.max_memory32_bytes.min(16 << 20);
    Ok(c)
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let config = config(u)?;
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
        .iter()
        .filter_map(|(_, e)| match e {
            Extern::Func(f) => Some(*f),
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
