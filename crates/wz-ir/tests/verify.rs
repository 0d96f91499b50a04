//! `Function::verify`: lowered code passes; each kind of damage an engine could not survive
//! without checks is refused.

use wz_binary::{Features, Module};
use wz_ir::op::{BranchOffset, Op, Slot};
use wz_ir::{Function, lower_module};

/// A function with a loop, a `br_table`, memory access, a call and SIMD lanes.
fn sample() -> Function {
    let wasm = wat::parse_str(
        r#"(module
          (memory 1)
          (func $f (param i32) (result i32)
            (local $v v128)
            (local.set $v (i32x4.splat (local.get 0)))
            (block $a (block $b
              (br_table $a $b (local.get 0))))
            (loop $l
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (br_if $l (local.get 0)))
            (i32.store (i32.const 8) (i32x4.extract_lane 2 (local.get $v)))
            (i32.add (call $g) (i32.load (i32.const 8))))
          (func $g (result i32) i32.const 1))"#,
    )
    .unwrap();
    let module = Module::decode(&wasm, Features::default()).unwrap();
    lower_module(&module).unwrap().remove(0)
}

fn refused(f: &Function, what: &str) {
    let err = f.verify().expect_err(what);
    assert!(
        err.message().contains("invalid lowered code"),
        "{what}: {err}"
    );
}

/// The first instruction matching `pick`, with its index.
fn find(f: &Function, pick: impl Fn(&Op) -> bool) -> usize {
    f.ops
        .iter()
        .position(pick)
        .unwrap_or_else(|| panic!("no such instruction in\n{f}"))
}

#[test]
fn lowered_code_passes() {
    let f = sample();
    f.verify().unwrap();
}

#[test]
fn a_slot_outside_the_frame_is_refused() {
    let mut f = sample();
    let at = find(&f, |op| matches!(op, Op::I32Sub(_)));
    let Op::I32Sub(mut b) = f.ops[at] else {
        unreachable!()
    };
    b.lhs = Slot(f.frame_size);
    f.ops[at] = Op::I32Sub(b);
    refused(&f, "slot == frame_size");

    let mut f = sample();
    f.frame_size = f.num_local_slots; // the temporaries no longer fit
    refused(&f, "a shrunk frame");
}

#[test]
fn a_span_past_the_frame_is_refused() {
    let mut f = sample();
    let at = find(&f, |op| matches!(op, Op::Return(_)));
    let Op::Return(mut r) = f.ops[at] else {
        unreachable!()
    };
    r.len = f.frame_size - r.src.0 + 1;
    f.ops[at] = Op::Return(r);
    refused(&f, "return span");

    let mut f = sample();
    let at = find(&f, |op| matches!(op, Op::Call(_)));
    let Op::Call(mut c) = f.ops[at] else {
        unreachable!()
    };
    c.args = Slot(f.frame_size + 1);
    f.ops[at] = Op::Call(c);
    refused(&f, "call arguments past the frame");
}

#[test]
fn a_branch_out_of_the_code_is_refused() {
    for target in [-1i64, 0] {
        let mut f = sample();
        let at = find(&f, |op| {
            op.conditional_target(0).is_some() || matches!(op, Op::Br(_))
        });
        let len = f.ops.len() as i64;
        let offset = if target < 0 {
            -(at as i64) - 1
        } else {
            len - at as i64
        };
        f.ops[at] = Op::Br(wz_ir::op::Branch {
            offset: BranchOffset(offset as i32),
        });
        refused(&f, "branch target");
    }
}

#[test]
fn a_br_table_without_its_entries_is_refused() {
    let mut f = sample();
    let at = find(&f, |op| matches!(op, Op::BrTable(_)));
    let Op::BrTable(mut t) = f.ops[at] else {
        unreachable!()
    };
    t.len = (f.ops.len() - at) as u32;
    f.ops[at] = Op::BrTable(t);
    refused(&f, "br_table entries past the end");
    t.len = 0;
    f.ops[at] = Op::BrTable(t);
    refused(&f, "br_table with no entries");
}

#[test]
fn code_that_can_run_off_its_end_is_refused() {
    let mut f = sample();
    let mut ops = f.ops.to_vec();
    ops.pop();
    f.ops = ops.into_boxed_slice();
    assert!(!matches!(
        f.ops.last(),
        Some(Op::Return(_) | Op::Br(_) | Op::Trap(_))
    ));
    refused(&f, "no terminator");
    f.ops = Box::new([]);
    refused(&f, "no instructions");
}

#[test]
fn a_lane_past_its_shape_is_refused() {
    let mut f = sample();
    let at = find(&f, |op| matches!(op, Op::I32x4ExtractLane(_)));
    let Op::I32x4ExtractLane(mut l) = f.ops[at] else {
        unreachable!()
    };
    l.lane = 4;
    f.ops[at] = Op::I32x4ExtractLane(l);
    refused(&f, "lane 4 of i32x4");
}

#[test]
fn an_inconsistent_layout_is_refused() {
    let mut f = sample();
    f.num_param_slots = f.num_local_slots + 1;
    refused(&f, "params past locals");
}
