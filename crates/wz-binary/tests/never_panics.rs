//! Decoding arbitrary or mutated bytes returns a module or an error; it never panics.

use proptest::prelude::*;
use wz_binary::{Features, Module};

fn sample() -> Vec<u8> {
    wat::parse_str(
        r#"(module
            (type (func (param i32) (result i32)))
            (import "env" "f" (func (type 0)))
            (memory 1 2) (table 2 funcref) (global (mut i64) (i64.const 7))
            (func (export "g") (param i32) (result i32)
              (block (result i32) (br_if 0 (local.get 0) (local.get 0)) (call 0)))
            (elem (i32.const 0) func 1)
            (data (i32.const 8) "hello"))"#,
    )
    .expect("sample module parses")
}

#[test]
fn sample_decodes() {
    let m = Module::decode(&sample(), Features::default()).expect("sample is valid");
    assert_eq!(m.imports.len(), 1);
    assert_eq!(m.funcs.len(), 2);
    assert_eq!(m.datas.len(), 1);
    assert_eq!(m.slice(&m.datas[0].range), b"hello");
}

#[test]
fn empty_and_garbage_are_errors() {
    assert!(Module::decode(&[], Features::default()).is_err());
    assert!(Module::decode(b"hello world", Features::default()).is_err());
    let err = Module::decode(b"\0asm\x01\0\0\0\x01", Features::default()).unwrap_err();
    assert!(err.offset() >= 8, "{err}");
}

#[test]
fn features_gate_validation() {
    let wasm = wat::parse_str("(module (func (result i32) i32.const 1 i32.extend8_s))").unwrap();
    assert!(Module::decode(&wasm, Features::default()).is_ok());
    let err = Module::decode(&wasm, Features::V1).unwrap_err();
    assert!(err.message().contains("sign extension"), "{err}");
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Module::decode(&bytes, Features::default());
    }

    #[test]
    fn mutated_modules_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = sample();
        for (at, value) in edits {
            let i = 8 + at % (bytes.len() - 8);
            bytes[i] = value;
        }
        let _ = Module::decode(&bytes, Features::default());
    }

    #[test]
    fn truncated_modules_never_panic(cut in 0usize..200) {
        let bytes = sample();
        let _ = Module::decode(&bytes[..cut % bytes.len()], Features::default());
    }

    /// The last bytes are the data segment's payload: cutting into them leaves the last section
    /// shorter than its declared size.
    #[test]
    fn cuts_inside_the_last_section_are_errors(back in 1usize..5) {
        let bytes = sample();
        let err = Module::decode(&bytes[..bytes.len() - back], Features::default()).unwrap_err();
        prop_assert!(err.offset() <= bytes.len());
    }
}
