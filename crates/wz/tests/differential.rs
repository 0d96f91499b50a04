//! Differential testing of the two engines: every numeric, conversion, SIMD and memory
//! instruction of Wasm 2.0, each in its own exported function, run on the interpreter and on
//! the JIT (guard pages and explicit bounds checks) with the same inputs: all pairs of edge
//! values for scalar operations, then random inputs from proptest. Results must be equal and
//! traps must have the same code.
//!
//! Floating-point results are compared by the spec's NaN rules: where an instruction may
//! produce a NaN of its choosing, both engines' NaNs must be allowed ones (canonical when every
//! NaN input was canonical, arithmetic otherwise), not necessarily the same bits. Instructions
//! that only move bits (`neg`, `abs`, `copysign`, reinterpretations, lane moves, `pmin`/`pmax`,
//! loads and stores) must agree bit for bit.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use wz::{BoundsChecks, ErrorKind, Module, ModuleConfig, Runtime, RuntimeConfig, Val, ValType};

/// How results of an instruction are compared.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// Bit for bit.
    Exact,
    /// Float lanes of width `out` may be any NaN the spec allows, given float inputs of lane
    /// width `input`.
    Nan { input: u32, out: u32 },
}

struct Op {
    /// The export name, also the instruction text for display.
    name: String,
    params: Vec<ValType>,
    result: Option<ValType>,
    /// The function body.
    body: String,
    check: Check,
}

fn ty(t: &str) -> ValType {
    match t {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        "v128" => ValType::V128,
        other => panic!("type {other}"),
    }
}

fn width(t: &str) -> u32 {
    if t.starts_with("f64") { 64 } else { 32 }
}

/// `instr` applied to the parameters, in order.
fn op(instr: &str, params: &[&str], result: &str, check: Check) -> Op {
    let gets: String = (0..params.len())
        .map(|i| format!("local.get {i} "))
        .collect();
    Op {
        name: instr.to_string(),
        params: params.iter().map(|p| ty(p)).collect(),
        result: (!result.is_empty()).then(|| ty(result)),
        body: format!("{gets}{instr}"),
        check,
    }
}

fn ops() -> Vec<Op> {
    let mut v = Vec::new();
    let exact = Check::Exact;
    for t in ["i32", "i64"] {
        v.push(op(&format!("{t}.eqz"), &[t], "i32", exact));
        let mut unary = vec!["clz", "ctz", "popcnt", "extend8_s", "extend16_s"];
        if t == "i64" {
            unary.push("extend32_s");
        }
        for u in unary {
            v.push(op(&format!("{t}.{u}"), &[t], t, exact));
        }
        for b in [
            "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl",
            "shr_s", "shr_u", "rotl", "rotr",
        ] {
            v.push(op(&format!("{t}.{b}"), &[t, t], t, exact));
        }
        for c in [
            "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
        ] {
            v.push(op(&format!("{t}.{c}"), &[t, t], "i32", exact));
        }
    }
    for t in ["f32", "f64"] {
        let w = width(t);
        let nan = Check::Nan { input: w, out: w };
        for u in ["abs", "neg"] {
            v.push(op(&format!("{t}.{u}"), &[t], t, exact));
        }
        for u in ["ceil", "floor", "trunc", "nearest", "sqrt"] {
            v.push(op(&format!("{t}.{u}"), &[t], t, nan));
        }
        for b in ["add", "sub", "mul", "div", "min", "max"] {
            v.push(op(&format!("{t}.{b}"), &[t, t], t, nan));
        }
        v.push(op(&format!("{t}.copysign"), &[t, t], t, exact));
        for c in ["eq", "ne", "lt", "gt", "le", "ge"] {
            v.push(op(&format!("{t}.{c}"), &[t, t], "i32", exact));
        }
    }
    v.push(op("i32.wrap_i64", &["i64"], "i32", exact));
    v.push(op("i64.extend_i32_s", &["i32"], "i64", exact));
    v.push(op("i64.extend_i32_u", &["i32"], "i64", exact));
    for i in ["i32", "i64"] {
        for f in ["f32", "f64"] {
            for s in ["s", "u"] {
                v.push(op(&format!("{i}.trunc_{f}_{s}"), &[f], i, exact));
                v.push(op(&format!("{i}.trunc_sat_{f}_{s}"), &[f], i, exact));
                v.push(op(&format!("{f}.convert_{i}_{s}"), &[i], f, exact));
            }
        }
    }
    v.push(op(
        "f32.demote_f64",
        &["f64"],
        "f32",
        Check::Nan { input: 64, out: 32 },
    ));
    v.push(op(
        "f64.promote_f32",
        &["f32"],
        "f64",
        Check::Nan { input: 32, out: 64 },
    ));
    v.push(op("i32.reinterpret_f32", &["f32"], "i32", exact));
    v.push(op("i64.reinterpret_f64", &["f64"], "i64", exact));
    v.push(op("f32.reinterpret_i32", &["i32"], "f32", exact));
    v.push(op("f64.reinterpret_i64", &["i64"], "f64", exact));
    simd_ops(&mut v);
    memory_ops(&mut v);
    v
}

fn simd_ops(v: &mut Vec<Op>) {
    let exact = Check::Exact;
    let vv = &["v128", "v128"][..];
    v.push(op("v128.not", &["v128"], "v128", exact));
    for b in [
        "v128.and",
        "v128.andnot",
        "v128.or",
        "v128.xor",
        "i8x16.swizzle",
    ] {
        v.push(op(b, vv, "v128", exact));
    }
    v.push(op(
        "v128.bitselect",
        &["v128", "v128", "v128"],
        "v128",
        exact,
    ));
    v.push(op("v128.any_true", &["v128"], "i32", exact));
    for (shape, lane) in [
        ("i8x16", "i32"),
        ("i16x8", "i32"),
        ("i32x4", "i32"),
        ("i64x2", "i64"),
    ] {
        v.push(op(&format!("{shape}.splat"), &[lane], "v128", exact));
        v.push(op(&format!("{shape}.abs"), &["v128"], "v128", exact));
        v.push(op(&format!("{shape}.neg"), &["v128"], "v128", exact));
        v.push(op(&format!("{shape}.all_true"), &["v128"], "i32", exact));
        v.push(op(&format!("{shape}.bitmask"), &["v128"], "i32", exact));
        for s in ["shl", "shr_s", "shr_u"] {
            v.push(op(&format!("{shape}.{s}"), &["v128", "i32"], "v128", exact));
        }
        for b in ["add", "sub", "eq", "ne", "lt_s", "gt_s", "le_s", "ge_s"] {
            v.push(op(&format!("{shape}.{b}"), vv, "v128", exact));
        }
        if shape != "i64x2" {
            for b in [
                "lt_u", "gt_u", "le_u", "ge_u", "min_s", "min_u", "max_s", "max_u",
            ] {
                v.push(op(&format!("{shape}.{b}"), vv, "v128", exact));
            }
        }
        if shape != "i8x16" {
            v.push(op(&format!("{shape}.mul"), vv, "v128", exact));
        }
    }
    let lanes = [("i8x16", 16), ("i16x8", 8), ("i32x4", 4), ("i64x2", 2)];
    for (shape, n) in lanes.into_iter().chain([("f32x4", 4), ("f64x2", 2)]) {
        let scalar = match shape {
            "i64x2" => "i64",
            "f32x4" => "f32",
            "f64x2" => "f64",
            _ => "i32",
        };
        for lane in [0, n - 1] {
            let suffixes: &[&str] = if n > 4 { &["_s", "_u"] } else { &[""] };
            for sfx in suffixes {
                let mut o = op(
                    &format!("{shape}.extract_lane{sfx} {lane}"),
                    &["v128"],
                    scalar,
                    exact,
                );
                o.name = format!("{shape}.extract_lane{sfx}_{lane}");
                v.push(o);
            }
            let mut o = op(
                &format!("{shape}.replace_lane {lane}"),
                &["v128", scalar],
                "v128",
                exact,
            );
            o.name = format!("{shape}.replace_lane_{lane}");
            v.push(o);
        }
    }
    for shape in ["i8x16", "i16x8"] {
        for b in ["add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u", "avgr_u"] {
            v.push(op(&format!("{shape}.{b}"), vv, "v128", exact));
        }
    }
    v.push(op("i8x16.popcnt", &["v128"], "v128", exact));
    for b in [
        "i8x16.narrow_i16x8_s",
        "i8x16.narrow_i16x8_u",
        "i16x8.narrow_i32x4_s",
        "i16x8.narrow_i32x4_u",
        "i16x8.q15mulr_sat_s",
        "i32x4.dot_i16x8_s",
    ] {
        v.push(op(b, vv, "v128", exact));
    }
    for (wide, narrow) in [("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")] {
        for half in ["low", "high"] {
            for s in ["s", "u"] {
                v.push(op(
                    &format!("{wide}.extend_{half}_{narrow}_{s}"),
                    &["v128"],
                    "v128",
                    exact,
                ));
                v.push(op(
                    &format!("{wide}.extmul_{half}_{narrow}_{s}"),
                    vv,
                    "v128",
                    exact,
                ));
            }
        }
        if wide != "i64x2" {
            for s in ["s", "u"] {
                v.push(op(
                    &format!("{wide}.extadd_pairwise_{narrow}_{s}"),
                    &["v128"],
                    "v128",
                    exact,
                ));
            }
        }
    }
    for (shape, scalar) in [("f32x4", "f32"), ("f64x2", "f64")] {
        let w = width(shape);
        let nan = Check::Nan { input: w, out: w };
        v.push(op(&format!("{shape}.splat"), &[scalar], "v128", exact));
        for u in ["abs", "neg"] {
            v.push(op(&format!("{shape}.{u}"), &["v128"], "v128", exact));
        }
        for u in ["ceil", "floor", "trunc", "nearest", "sqrt"] {
            v.push(op(&format!("{shape}.{u}"), &["v128"], "v128", nan));
        }
        for b in ["add", "sub", "mul", "div", "min", "max"] {
            v.push(op(&format!("{shape}.{b}"), vv, "v128", nan));
        }
        for b in ["pmin", "pmax", "eq", "ne", "lt", "gt", "le", "ge"] {
            v.push(op(&format!("{shape}.{b}"), vv, "v128", exact));
        }
    }
    for u in [
        "i32x4.trunc_sat_f32x4_s",
        "i32x4.trunc_sat_f32x4_u",
        "f32x4.convert_i32x4_s",
        "f32x4.convert_i32x4_u",
        "i32x4.trunc_sat_f64x2_s_zero",
        "i32x4.trunc_sat_f64x2_u_zero",
        "f64x2.convert_low_i32x4_s",
        "f64x2.convert_low_i32x4_u",
    ] {
        v.push(op(u, &["v128"], "v128", exact));
    }
    v.push(op(
        "f32x4.demote_f64x2_zero",
        &["v128"],
        "v128",
        Check::Nan { input: 64, out: 32 },
    ));
    v.push(op(
        "f64x2.promote_low_f32x4",
        &["v128"],
        "v128",
        Check::Nan { input: 32, out: 64 },
    ));
    for (name, lanes) in [
        ("interleave", "0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23"),
        ("reverse", "31 30 29 28 27 26 25 24 23 22 21 20 19 18 17 16"),
        ("mixed", "0 31 5 5 17 2 9 30 1 1 1 1 16 16 8 15"),
    ] {
        let mut o = op(&format!("i8x16.shuffle {lanes}"), vv, "v128", exact);
        o.name = format!("i8x16.shuffle_{name}");
        v.push(o);
    }
}

/// Loads and stores at an address parameter (chosen near the end of the one-page memory, so
/// many accesses straddle it and trap), with and without an offset.
fn memory_ops(v: &mut Vec<Op>) {
    let loads = [
        ("i32.load", "i32"),
        ("i64.load", "i64"),
        ("f32.load", "f32"),
        ("f64.load", "f64"),
        ("i32.load8_s", "i32"),
        ("i32.load8_u", "i32"),
        ("i32.load16_s", "i32"),
        ("i32.load16_u", "i32"),
        ("i64.load8_s", "i64"),
        ("i64.load8_u", "i64"),
        ("i64.load16_s", "i64"),
        ("i64.load16_u", "i64"),
        ("i64.load32_s", "i64"),
        ("i64.load32_u", "i64"),
        ("v128.load", "v128"),
        ("v128.load8x8_s", "v128"),
        ("v128.load8x8_u", "v128"),
        ("v128.load16x4_s", "v128"),
        ("v128.load16x4_u", "v128"),
        ("v128.load32x2_s", "v128"),
        ("v128.load32x2_u", "v128"),
        ("v128.load8_splat", "v128"),
        ("v128.load16_splat", "v128"),
        ("v128.load32_splat", "v128"),
        ("v128.load64_splat", "v128"),
        ("v128.load32_zero", "v128"),
        ("v128.load64_zero", "v128"),
    ];
    for (instr, t) in loads {
        for offset in [0, 7] {
            let mut o = op(
                &format!("{instr} offset={offset}"),
                &["i32"],
                t,
                Check::Exact,
            );
            o.name = format!("{instr}_offset{offset}");
            v.push(o);
        }
    }
    // Stores: store the value, then load the whole neighbourhood back as a v128 (or trap).
    let stores = [
        ("i32.store", "i32"),
        ("i64.store", "i64"),
        ("f32.store", "f32"),
        ("f64.store", "f64"),
        ("i32.store8", "i32"),
        ("i32.store16", "i32"),
        ("i64.store8", "i64"),
        ("i64.store16", "i64"),
        ("i64.store32", "i64"),
        ("v128.store", "v128"),
    ];
    for (instr, t) in stores {
        v.push(Op {
            name: instr.to_string(),
            params: vec![ValType::I32, ty(t)],
            result: Some(ValType::V128),
            body: format!(
                "local.get 0 local.get 1 {instr} offset=3 \
                 local.get 0 i32.const 65520 i32.and v128.load"
            ),
            check: Check::Exact,
        });
    }
    for (n, lanes) in [(8, 16), (16, 8), (32, 4), (64, 2)] {
        for lane in [0, lanes - 1] {
            v.push(Op {
                name: format!("v128.load{n}_lane_{lane}"),
                params: vec![ValType::I32, ValType::V128],
                result: Some(ValType::V128),
                body: format!("local.get 0 local.get 1 v128.load{n}_lane offset=1 {lane}"),
                check: Check::Exact,
            });
            v.push(Op {
                name: format!("v128.store{n}_lane_{lane}"),
                params: vec![ValType::I32, ValType::V128],
                result: Some(ValType::V128),
                body: format!(
                    "local.get 0 local.get 1 v128.store{n}_lane offset=1 {lane} \
                     local.get 0 i32.const 65520 i32.and v128.load"
                ),
                check: Check::Exact,
            });
        }
    }
}

fn module_text(ops: &[Op]) -> String {
    let mut text = String::from(
        "(module (memory 1)\n  (data (i32.const 65000) \"\\01\\02\\03\\04\\05\\06\\07\\08\\f0\\f1\\f2\\f3\\f4\\f5\\f6\\f7\\80\\7f\\ff\\00\")\n",
    );
    for o in ops {
        let params: Vec<String> = o.params.iter().map(|p| format!("(param {p})")).collect();
        let result = o
            .result
            .map(|r| format!("(result {r})"))
            .unwrap_or_default();
        text.push_str(&format!(
            "  (func (export \"{}\") {} {} {})\n",
            o.name,
            params.join(" "),
            result,
            o.body
        ));
    }
    text.push(')');
    text
}

/// One engine with the module instantiated.
struct Side {
    name: &'static str,
    module: Module,
}

fn sides(text: &str) -> Vec<Side> {
    let configs = [
        ("interp", RuntimeConfig::interpreter()),
        ("jit", RuntimeConfig::compiler()),
        (
            "jit-explicit",
            RuntimeConfig::compiler().with_bounds_checks(BoundsChecks::Explicit),
        ),
    ];
    let mut out = Vec::new();
    for (name, config) in configs {
        let Ok(runtime) = Runtime::with_config(config) else {
            println!("{name}: not available on this host; compared engines are fewer");
            continue;
        };
        let compiled = runtime
            .compile_module(text.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let module = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        out.push(Side { name, module });
    }
    out
}

fn is_nan(bits: u64, w: u32) -> bool {
    if w == 32 {
        f32::from_bits(bits as u32).is_nan()
    } else {
        f64::from_bits(bits).is_nan()
    }
}

/// Whether a NaN is canonical (only the quiet bit of the payload set).
fn is_canonical(bits: u64, w: u32) -> bool {
    if w == 32 {
        bits as u32 & 0x7fff_ffff == 0x7fc0_0000
    } else {
        bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
    }
}

/// Whether a NaN is arithmetic (quiet bit set).
fn is_arithmetic(bits: u64, w: u32) -> bool {
    if w == 32 {
        bits & 0x0040_0000 != 0
    } else {
        bits & 0x0008_0000_0000_0000 != 0
    }
}

/// The float lanes (of width `w`) of a value, as bits.
fn float_lanes(v: &Val, w: u32) -> Vec<u64> {
    match (v, w) {
        (Val::F32(b), _) => vec![*b as u64],
        (Val::F64(b), _) => vec![*b],
        (Val::V128(b), 32) => (0..4).map(|i| (b >> (32 * i)) as u32 as u64).collect(),
        (Val::V128(b), _) => (0..2).map(|i| (b >> (64 * i)) as u64).collect(),
        _ => Vec::new(),
    }
}

/// Checks one engine's result against the reference, under `check`.
fn agree(check: Check, args: &[Val], reference: &Val, other: &Val) -> Result<(), String> {
    let Check::Nan { input, out } = check else {
        return if reference == other {
            Ok(())
        } else {
            Err(format!("{reference:?} != {other:?}"))
        };
    };
    let inputs: Vec<u64> = args.iter().flat_map(|a| float_lanes(a, input)).collect();
    let all_canonical = inputs
        .iter()
        .all(|&b| !is_nan(b, input) || is_canonical(b, input));
    let (ra, oa) = (float_lanes(reference, out), float_lanes(other, out));
    for (lane, (&r, &o)) in ra.iter().zip(&oa).enumerate() {
        if r == o && !is_nan(r, out) {
            continue;
        }
        for (which, bits) in [("reference", r), ("other", o)] {
            let allowed = is_nan(bits, out)
                && if all_canonical {
                    is_canonical(bits, out)
                } else {
                    is_arithmetic(bits, out)
                };
            if !allowed {
                return Err(format!(
                    "lane {lane}: {reference:?} vs {other:?} ({which} lane {bits:#x} is not an allowed result)"
                ));
            }
        }
    }
    Ok(())
}

/// Runs `op` with `args` on every side and compares each with the first (the interpreter).
fn compare(sides: &mut [Side], o: &Op, args: &[Val]) -> Result<(), String> {
    let mut outcomes = Vec::new();
    for side in sides.iter_mut() {
        let r = side
            .module
            .exported_function(&o.name)
            .expect("exported")
            .call_values(args);
        outcomes.push((side.name, r));
    }
    let (ref_name, reference) = &outcomes[0];
    for (name, outcome) in &outcomes[1..] {
        let context = || format!("{} {args:?}: {ref_name} vs {name}", o.name);
        match (reference, outcome) {
            (Ok(a), Ok(b)) => {
                for (x, y) in a.iter().zip(b) {
                    agree(o.check, args, x, y).map_err(|e| format!("{}: {e}", context()))?;
                }
            }
            (Err(a), Err(b)) => match (a.kind(), b.kind()) {
                (ErrorKind::Trap(x), ErrorKind::Trap(y)) if x == y => {}
                _ => return Err(format!("{}: errors differ: {a} / {b}", context())),
            },
            (a, b) => return Err(format!("{}: {a:?} / {b:?}", context())),
        }
    }
    Ok(())
}

const F32_EDGES: &[u32] = &[
    0x0000_0000, // 0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x3f00_0000, // 0.5
    0x3fc0_0000, // 1.5
    0xc020_0000, // -2.5
    0x7f7f_ffff, // max
    0x0080_0000, // min normal
    0x0000_0001, // min subnormal
    0x7f80_0000, // inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical NaN
    0xffc0_0000, // -canonical NaN
    0x7fa0_0001, // signalling NaN
    0x7fc0_1234, // arithmetic NaN with payload
    0x4f00_0000, // 2^31
    0xcf00_0000, // -2^31
    0x4f80_0000, // 2^32
    0x5f00_0000, // 2^63
    0x5f80_0000, // 2^64
];

const F64_EDGES: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0xc004_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff4_0000_0000_0001,
    0x7ff8_0000_0000_1234,
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0000_0000, // -2^31
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
    0x43f0_0000_0000_0000, // 2^64
    0x47ef_ffff_e000_0000, // f32 max
    0x36a0_0000_0000_0000, // f32 min subnormal
];

const I32_EDGES: &[i32] = &[
    0,
    1,
    -1,
    2,
    31,
    32,
    33,
    63,
    64,
    127,
    128,
    255,
    32767,
    -32768,
    65535,
    i32::MAX,
    i32::MIN,
    0x7fff_0000,
    65520,
    65528,
    65531,
    65532,
    65535,
    65536,
];

const I64_EDGES: &[i64] = &[
    0,
    1,
    -1,
    2,
    63,
    64,
    65,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    i64::MAX,
    i64::MIN,
    0x1234_5678_9abc_def0,
];

fn edges(t: ValType) -> Vec<Val> {
    match t {
        ValType::I32 => I32_EDGES.iter().map(|&x| Val::I32(x)).collect(),
        ValType::I64 => I64_EDGES.iter().map(|&x| Val::I64(x)).collect(),
        ValType::F32 => F32_EDGES.iter().map(|&x| Val::F32(x)).collect(),
        ValType::F64 => F64_EDGES.iter().map(|&x| Val::F64(x)).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn scalar_edge_values_agree() {
    let ops = ops();
    let text = module_text(&ops);
    let mut sides = sides(&text);
    let mut calls = 0;
    let mut failures = Vec::new();
    for o in ops.iter().filter(|o| !o.params.contains(&ValType::V128)) {
        let sets: Vec<Vec<Val>> = o.params.iter().map(|p| edges(*p)).collect();
        let mut combos: Vec<Vec<Val>> = vec![Vec::new()];
        for set in &sets {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    set.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(*v);
                        c
                    })
                })
                .collect();
        }
        for args in combos {
            calls += 1;
            if let Err(e) = compare(&mut sides, o, &args)
                && failures.len() < 30
            {
                failures.push(e);
            }
        }
    }
    println!("{calls} edge-value calls on {} engines", sides.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(calls > 10_000, "only {calls} calls");
}

fn float32() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), proptest::sample::select(F32_EDGES)]
}

fn float64() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), proptest::sample::select(F64_EDGES)]
}

/// A v128 made of random or edge lanes of a random shape.
fn v128() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>(),
        proptest::collection::vec(float32(), 4).prop_map(|l| l
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &x)| acc | (x as u128) << (32 * i))),
        proptest::collection::vec(float64(), 2).prop_map(|l| l[0] as u128 | (l[1] as u128) << 64),
        proptest::collection::vec(
            proptest::sample::select(&[0u8, 1, 0x7f, 0x80, 0xff, 0x10, 0x1f][..]),
            16
        )
        .prop_map(|b| u128::from_le_bytes(b.try_into().expect("16 bytes"))),
        proptest::collection::vec(
            proptest::sample::select(&[0u16, 1, 0x7fff, 0x8000, 0xffff, 0x00ff][..]),
            8
        )
        .prop_map(|l| l
            .iter()
            .enumerate()
            .fold(0u128, |acc, (i, &x)| acc | (x as u128) << (16 * i))),
    ]
}

fn value(t: ValType) -> BoxedStrategy<Val> {
    match t {
        ValType::I32 => prop_oneof![any::<i32>(), proptest::sample::select(I32_EDGES)]
            .prop_map(Val::I32)
            .boxed(),
        ValType::I64 => prop_oneof![any::<i64>(), proptest::sample::select(I64_EDGES)]
            .prop_map(Val::I64)
            .boxed(),
        ValType::F32 => float32().prop_map(Val::F32).boxed(),
        ValType::F64 => float64().prop_map(Val::F64).boxed(),
        ValType::V128 => v128().prop_map(Val::V128).boxed(),
        other => panic!("no values of {other}"),
    }
}

#[test]
fn random_inputs_agree() {
    let ops = ops();
    let text = module_text(&ops);
    let sides = std::cell::RefCell::new(sides(&text));
    assert!(ops.len() > 350, "{} operations", ops.len());
    for o in &ops {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy: Vec<BoxedStrategy<Val>> = o.params.iter().map(|p| value(*p)).collect();
        let result = runner.run(&strategy, |args| {
            compare(&mut sides.borrow_mut(), o, &args).map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            panic!("{}: {e}", o.name);
        }
    }
}

#[test]
fn the_nan_rules_reject_wrong_results() {
    let nan = Check::Nan { input: 32, out: 32 };
    let one = Val::F32(0x3f80_0000);
    let canonical = Val::F32(0x7fc0_0000);
    let payload = Val::F32(0x7fc0_1234);
    let signalling = Val::F32(0x7fa0_0000);
    // Non-NaN results must be equal.
    assert!(agree(nan, &[one], &one, &Val::F32(0x3f80_0001)).is_err());
    // Canonical inputs only: any canonical NaN, of either sign, but no payload.
    assert!(agree(nan, &[one], &canonical, &Val::F32(0xffc0_0000)).is_ok());
    assert!(agree(nan, &[one], &canonical, &payload).is_err());
    // A NaN input with a payload allows any arithmetic NaN, never a signalling one.
    assert!(agree(nan, &[payload], &canonical, &payload).is_ok());
    assert!(agree(nan, &[payload], &canonical, &signalling).is_err());
    // Bit-moving instructions must agree exactly.
    assert!(agree(Check::Exact, &[], &canonical, &Val::F32(0xffc0_0000)).is_err());
}
