//! The structural check of a lowered function: what an engine may rely on without checking
//! it again per instruction.

use crate::func::Function;
use crate::lower::LowerError;
use crate::op::{Op, Slot};

impl Function {
    /// Checks that the function is well formed, so an engine can execute it without per-step
    /// checks:
    ///
    /// - the frame layout is consistent (`num_param_slots <= num_local_slots <= frame_size`,
    ///   the initial values fit in the frame);
    /// - every slot operand is inside the frame, every span (`return`, `copy_span`, the
    ///   listener reports) ends inside it, and a call's arguments start at most at its end;
    /// - every branch target is an instruction of the function, and each `br_table` is
    ///   followed by its entries;
    /// - the last instruction does not fall through (`return`, `br` or `trap`), so running off
    ///   the end is impossible;
    /// - lane indices are below the lane count of their shape.
    ///
    /// Slots of `v128` values and of multi-operand instructions (`memory.fill` and the like)
    /// take up to three consecutive cells from their first slot; only the first is checked
    /// here, so an engine relying on this must give every frame two spare cells past
    /// `frame_size`.
    ///
    /// The interpreter checks every function it is given (`wz_interp::Code`). The error names
    /// the instruction and its module offset.
    ///
    /// ```
    /// use wz_binary::{Features, Module};
    ///
    /// let wasm = wat::parse_str("(module (func (param i32) (result i32) local.get 0))").unwrap();
    /// let module = Module::decode(&wasm, Features::default()).unwrap();
    /// let mut func = wz_ir::lower_function(&module, 0).unwrap();
    /// assert!(func.verify().is_ok());
    /// func.frame_size = 0; // now slot 0 is outside the frame
    /// assert!(func.verify().is_err());
    /// ```
    pub fn verify(&self) -> Result<(), LowerError> {
        let frame = self.frame_size as u64;
        let fail = |pc: usize, what: String| {
            let offset = self.offsets.get(pc).copied().unwrap_or(0);
            Err(LowerError::new(
                format!("invalid lowered code at instruction {pc}: {what}"),
                offset,
            ))
        };
        let params = self.num_param_slots as u64;
        let locals = self.num_local_slots as u64;
        if params > locals || locals > frame || params + self.init.len() as u64 > frame {
            return fail(0, format!("inconsistent frame layout (size {frame})"));
        }
        let len = self.ops.len();
        match self.ops.last() {
            Some(Op::Return(_) | Op::Br(_) | Op::Trap(_)) => {}
            _ => return fail(len.saturating_sub(1), "the code may run off its end".into()),
        }
        for (pc, op) in self.ops.iter().enumerate() {
            let mut op = *op;
            // Spans may be empty and start at the frame's end; so may the argument slots of
            // a call without parameters (the callee's frame starts there). Every other slot
            // operand must be a cell of the frame.
            let span_end = match op {
                Op::Return(r) | Op::ListenEnter(r) | Op::ListenExit(r) => {
                    Some(r.src.0 as u64 + r.len as u64)
                }
                Op::CopySpan(c) => Some(c.src.0.max(c.dst.0) as u64 + c.len as u64),
                Op::Call(c) => Some(c.args.0 as u64),
                Op::CallIndirect(c) if c.index.0 as u64 >= frame => {
                    return fail(pc, format!("slot s{} is outside the frame", c.index.0));
                }
                Op::CallIndirect(c) => Some(c.args.0 as u64),
                _ => None,
            };
            match span_end {
                Some(end) if end > frame => {
                    return fail(pc, format!("a span ends outside the frame (size {frame})"));
                }
                Some(_) => {}
                None => {
                    let mut bad_slot = None;
                    op.visit_slots(&mut |s: &mut Slot| {
                        if s.0 as u64 >= frame {
                            bad_slot = Some(s.0);
                        }
                    });
                    if let Some(s) = bad_slot {
                        return fail(pc, format!("slot s{s} is outside the frame (size {frame})"));
                    }
                }
            }
            let mut bad_target = None;
            op.visit_branches(&mut |b| {
                let target = pc as i64 + b.0 as i64;
                if target < 0 || target >= len as i64 {
                    bad_target = Some(target);
                }
            });
            if let Some(t) = bad_target {
                return fail(pc, format!("branch target {t} is outside the code"));
            }
            if let Op::BrTable(t) = op
                && (t.len == 0 || pc as u64 + t.len as u64 >= len as u64)
            {
                return fail(pc, "br_table without its entries".into());
            }
            if let Some((lane, lanes)) = lane_of(&op)
                && lane >= lanes
            {
                return fail(pc, format!("lane {lane} of {lanes}"));
            }
        }
        Ok(())
    }
}

/// The lane index of a lane instruction and the lane count of its shape.
fn lane_of(op: &Op) -> Option<(u32, u32)> {
    Some(match op {
        Op::I8x16ExtractLaneS(l) | Op::I8x16ExtractLaneU(l) => (l.lane, 16),
        Op::I16x8ExtractLaneS(l) | Op::I16x8ExtractLaneU(l) => (l.lane, 8),
        Op::I32x4ExtractLane(l) | Op::F32x4ExtractLane(l) => (l.lane, 4),
        Op::I64x2ExtractLane(l) | Op::F64x2ExtractLane(l) => (l.lane, 2),
        Op::I8x16ReplaceLane(l) => (l.lane, 16),
        Op::I16x8ReplaceLane(l) => (l.lane, 8),
        Op::I32x4ReplaceLane(l) | Op::F32x4ReplaceLane(l) => (l.lane, 4),
        Op::I64x2ReplaceLane(l) | Op::F64x2ReplaceLane(l) => (l.lane, 2),
        _ => return None,
    })
}
