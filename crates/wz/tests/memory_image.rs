//! Modules with large data segments: instances map one copy-on-write image of the initial
//! memory (on Linux) instead of copying the segments. Whatever the mechanism, every instance
//! must start with exactly the segments' bytes, and writes must stay private to it.

use wz::{ModuleConfig, Runtime, RuntimeConfig};

fn runtimes() -> Vec<Runtime> {
    [RuntimeConfig::interpreter(), RuntimeConfig::compiler()]
        .into_iter()
        .filter_map(|c| Runtime::with_config(c).ok())
        .collect()
}

/// `(offset, bytes)` segments: 200 KiB of a pattern at 64 KiB, 1 KiB at 8, and a segment at
/// 100 KiB that overwrites part of the first (later segments win).
fn segments() -> Vec<(usize, Vec<u8>)> {
    let pattern = (0..200 << 10)
        .map(|i: usize| (i * 7 + i / 251) as u8)
        .collect();
    vec![
        (64 << 10, pattern),
        (8, vec![0xab; 1024]),
        (100 << 10, b"overwritten".to_vec()),
    ]
}

fn module(pages: u32, segments: &[(usize, Vec<u8>)]) -> String {
    let mut wat = format!(
        r#"(module (memory (export "mem") {pages} 100)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
             (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))"#
    );
    for (offset, bytes) in segments {
        wat.push_str(&format!(" (data (i32.const {offset}) \""));
        for b in bytes {
            wat.push_str(&format!("\\{b:02x}"));
        }
        wat.push_str("\")");
    }
    wat.push(')');
    wat
}

/// The memory the segments describe.
fn expected(pages: u32, segments: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let mut memory = vec![0u8; pages as usize * 65536];
    for (offset, bytes) in segments {
        memory[*offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    memory
}

#[test]
fn instances_start_with_the_segments_and_write_privately() {
    let segments = segments();
    let wat = module(5, &segments);
    let want = expected(5, &segments);
    for runtime in runtimes() {
        let engine = runtime.engine_name();
        let compiled = runtime.compile_module(wat.as_bytes()).unwrap();
        let instances: Vec<_> = (0..3)
            .map(|i| {
                runtime
                    .instantiate_module(&compiled, ModuleConfig::new().with_name(&format!("m{i}")))
                    .unwrap()
            })
            .collect();
        let memory = |i: usize| {
            let mem = instances[i].exported_memory("mem").unwrap();
            mem.read(0, mem.size() as usize).unwrap()
        };
        assert!(memory(0) == want, "{engine}: first instance's memory");
        // Writes through wasm and through the host stay in their instance.
        let store = instances[0]
            .exported_function("store")
            .unwrap()
            .typed::<(i32, i32), ()>()
            .unwrap();
        store.call(((64 << 10) + 5, 0x5a)).unwrap();
        instances[1]
            .exported_memory("mem")
            .unwrap()
            .write(70_000, b"host")
            .unwrap();
        let mut first = want.clone();
        first[(64 << 10) + 5] = 0x5a;
        let mut second = want.clone();
        second[70_000..70_004].copy_from_slice(b"host");
        assert!(memory(0) == first, "{engine}: first instance after writes");
        assert!(
            memory(1) == second,
            "{engine}: second instance after writes"
        );
        assert!(memory(2) == want, "{engine}: third instance untouched");
        // A later instance still starts from the segments.
        let fourth = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("m3"))
            .unwrap();
        let load = fourth
            .exported_function("load")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        assert_eq!(
            load.call((64 << 10) + 5).unwrap(),
            want[(64 << 10) + 5] as i32
        );
        // Growing keeps the data and adds zeroed pages.
        let grow = fourth
            .exported_function("grow")
            .unwrap()
            .typed::<i32, i32>()
            .unwrap();
        assert_eq!(grow.call(3).unwrap(), 5, "{engine}");
        let mem = fourth.exported_memory("mem").unwrap();
        let grown = mem.read(0, mem.size() as usize).unwrap();
        let mut want_grown = want.clone();
        want_grown.resize(8 * 65536, 0);
        assert!(grown == want_grown, "{engine}: grown memory");
    }
}

#[test]
fn a_segment_past_the_end_still_fails_instantiation() {
    // The large segment alone would make an image; the last one does not fit in 4 pages.
    let mut segments = segments();
    segments.push((4 * 65536 - 2, vec![1, 2, 3]));
    let wat = module(4, &segments);
    for runtime in runtimes() {
        let err = runtime.instantiate(wat.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("out of bounds"),
            "{}: {err}",
            runtime.engine_name()
        );
    }
}
