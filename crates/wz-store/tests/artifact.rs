//! JIT artifacts: a module compiled to a relocatable object, loaded back without compiling,
//! runs like the freshly compiled one; artifacts of anything else are refused, and damaged
//! ones never panic.

use object::read::elf::ElfFile64;
use object::read::{Object as _, ObjectSection as _, ObjectSymbol as _};
use proptest::prelude::*;
use wz_store::{
    BoundsChecks, CompiledModule, Engine, ErrorKind, Features, JitConfig, Store, TrapCode, Val,
};

const MODULE: &str = r#"(module
  (memory 1)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "floor") (param f64) (result f64) (f64.floor (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "splat_sum") (param i32) (result i32)
    (i32x4.extract_lane 3 (i32x4.add (i32x4.splat (local.get 0)) (v128.const i32x4 1 2 3 4)))))"#;

fn jit() -> Option<Engine> {
    Engine::compiler().ok()
}

fn bytes() -> Vec<u8> {
    wat::parse_str(MODULE).unwrap()
}

fn run_all(module: &CompiledModule) -> Vec<String> {
    let mut store = Store::with_engine(module.engine().clone());
    let instance = store.instantiate(module, &[]).unwrap();
    let mut call = |name: &str, args: &[Val]| {
        let f = store.export_func(instance, name).unwrap();
        match store.call(f, args) {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("error {:?}", e.kind()),
        }
    };
    vec![
        call("fib", &[Val::I32(20)]),
        call("floor", &[Val::F64((-2.5f64).to_bits())]),
        call("div", &[Val::I32(7), Val::I32(0)]),
        call("div", &[Val::I32(i32::MIN), Val::I32(-1)]),
        call("div", &[Val::I32(-7), Val::I32(2)]),
        call("load", &[Val::I32(65533)]),
        call("load", &[Val::I32(0)]),
        call("splat_sum", &[Val::I32(10)]),
    ]
}

#[test]
fn an_artifact_runs_like_the_compiled_module() {
    let Some(engine) = jit() else { return };
    let wasm = bytes();
    let artifact = CompiledModule::compile_artifact(&wasm, Features::default(), &engine).unwrap();
    // SAFETY: the artifact was just made by this engine.
    let loaded =
        unsafe { CompiledModule::from_artifact(&wasm, Features::default(), &engine, &artifact) }
            .unwrap();
    let compiled = CompiledModule::with_engine(&wasm, Features::default(), &engine).unwrap();
    let expected = run_all(&compiled);
    assert_eq!(run_all(&loaded), expected);
    assert_eq!(expected[0], format!("{:?}", vec![Val::I32(6765)]));
    assert_eq!(
        expected[2],
        format!("error {:?}", ErrorKind::Trap(TrapCode::IntegerDivideByZero))
    );
    assert_eq!(
        expected[5],
        format!("error {:?}", ErrorKind::Trap(TrapCode::MemoryOutOfBounds))
    );
}

#[test]
fn an_artifact_is_a_relocatable_elf_object() {
    let Some(engine) = jit() else { return };
    let artifact =
        CompiledModule::compile_artifact(&bytes(), Features::default(), &engine).unwrap();
    let file = ElfFile64::<object::Endianness>::parse(artifact.as_slice()).unwrap();
    assert_eq!(file.kind(), object::ObjectKind::Relocatable);
    let names: Vec<String> = file
        .symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .collect();
    for i in 0..5 {
        assert!(names.contains(&format!("wz_func_{i}")), "{names:?}");
    }
    let text = file.section_by_name(".text").unwrap();
    // fib calls itself twice: two relocations at least.
    assert!(text.relocations().count() >= 2);
    assert!(file.section_by_name(".wz.traps").is_some());
}

#[test]
fn artifacts_of_anything_else_are_refused() {
    let Some(engine) = jit() else { return };
    let wasm = bytes();
    let features = Features::default();
    let artifact = CompiledModule::compile_artifact(&wasm, features, &engine).unwrap();
    let load = |wasm: &[u8], engine: &Engine, artifact: &[u8]| {
        // SAFETY: every artifact here is refused before its code could run, which is what
        // this test checks; none is ever called.
        unsafe { CompiledModule::from_artifact(wasm, features, engine, artifact) }
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let other = wat::parse_str(r#"(module (func (export "f")))"#).unwrap();
    let err = load(&other, &engine, &artifact).unwrap_err();
    assert!(err.contains("different module"), "{err}");
    let explicit = Engine::compiler_with(JitConfig {
        bounds_checks: BoundsChecks::Explicit,
        ..JitConfig::default()
    })
    .unwrap();
    let err = load(&wasm, &explicit, &artifact).unwrap_err();
    assert!(err.contains("engine configuration"), "{err}");
    let err = load(&wasm, &Engine::interpreter(), &artifact).unwrap_err();
    assert!(err.contains("need the JIT"), "{err}");
    let mut changed = artifact.clone();
    let text = {
        let file = ElfFile64::<object::Endianness>::parse(artifact.as_slice()).unwrap();
        file.section_by_name(".text")
            .unwrap()
            .file_range()
            .unwrap()
            .0 as usize
    };
    changed[text + 3] ^= 0x10;
    let err = load(&wasm, &engine, &changed).unwrap_err();
    assert!(err.contains("recorded hash"), "{err}");
    assert!(load(&wasm, &engine, &artifact[..artifact.len() / 2]).is_err());
    assert!(load(&wasm, &engine, b"").is_err());
    // The untouched artifact still loads.
    load(&wasm, &engine, &artifact).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any damage (a changed, removed or added byte anywhere) is an error, never a panic and
    /// never a loaded module.
    #[test]
    fn damaged_artifacts_are_errors(at in any::<prop::sample::Index>(), byte in any::<u8>(), how in 0..3u8) {
        let Some(engine) = jit() else { return Ok(()) };
        let wasm = bytes();
        let artifact = CompiledModule::compile_artifact(&wasm, Features::default(), &engine).unwrap();
        let mut damaged = artifact.clone();
        let i = at.index(damaged.len());
        match how {
            0 => damaged[i] ^= byte.max(1),
            1 => { damaged.remove(i); }
            _ => damaged.insert(i, byte),
        }
        // SAFETY: a damaged artifact must be refused before anything runs; nothing is called.
        let loaded = unsafe { CompiledModule::from_artifact(&wasm, Features::default(), &engine, &damaged) };
        prop_assert!(loaded.is_err());
    }
}
