//! Any bytes: decode + validate, then lower every function of a valid module. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(module) = wz_binary::Module::decode(data, wz_binary::Features::default()) {
        let _ = wz_ir::lower_module(&module);
    }
});
