//! Golden tests: each `tests/golden/NAME.wat` is lowered and printed; the text must equal
//! `tests/golden/NAME.ir`. Run with `WZ_BLESS=1` to rewrite the expectations after an intended
//! change, then review the diff.

use std::path::Path;

use wz_binary::{Features, Module};
use wz_ir::{Op, lower_module};

fn lower_text(wat: &str) -> String {
    let wasm = wat::parse_str(wat).expect("golden input parses");
    let module = Module::decode(&wasm, Features::default()).expect("golden input is valid");
    let funcs = lower_module(&module).expect("golden input lowers");
    funcs
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("WZ_BLESS").is_some();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
    {
        let actual = lower_text(&std::fs::read_to_string(path).unwrap());
        let expected_path = path.with_extension("ir");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "{} is missing; run with WZ_BLESS=1",
                    expected_path.display()
                )
            });
            assert_eq!(
                actual,
                expected,
                "{} changed; run with WZ_BLESS=1 if intended",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "expected golden inputs in {}", dir.display());
}

#[test]
fn instructions_stay_small() {
    assert_eq!(std::mem::size_of::<Op>(), 16);
}

#[test]
fn encoding_round_trips() {
    let wat = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/control.wat"),
    )
    .unwrap();
    let wasm = wat::parse_str(&wat).unwrap();
    let module = Module::decode(&wasm, Features::default()).unwrap();
    for f in lower_module(&module).unwrap() {
        let mut bytes = Vec::new();
        for op in f.ops.iter() {
            op.encode(&mut bytes);
        }
        let mut input = bytes.as_slice();
        let mut decoded = Vec::new();
        while !input.is_empty() {
            decoded.push(Op::decode(&mut input).unwrap());
        }
        assert_eq!(&decoded[..], &f.ops[..]);
    }
    assert!(Op::decode(&mut &[0xff, 0xff][..]).is_err());
    assert!(Op::decode(&mut &[0x00][..]).is_err());
}
