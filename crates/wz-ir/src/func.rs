use std::fmt;

use wz_binary::FuncType;

use crate::op::{Op, Slot};

/// A function body lowered to wz's register IR: what an engine executes or compiles.
///
/// The frame of one activation is `frame_size` 64-bit cells:
///
/// ```text
/// [ params | locals | constants | temporaries ]
///   0        num_param_slots      num_local_slots ...
/// ```
///
/// On entry the caller has written the parameters to slots `0..num_param_slots`; the engine then
/// copies [`Function::init`] over the slots that follow (zeroed locals, then the constant
/// values), so every operand of every instruction is a plain slot read.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The function's index in its module's function index space (imports first), for
    /// backtraces and names.
    pub index: u32,
    /// The function's signature.
    pub ty: FuncType,
    /// The instructions.
    pub ops: Box<[Op]>,
    /// For each instruction, the byte offset in the module of the wasm instruction it came from.
    pub offsets: Box<[u32]>,
    /// The alignment hint (log2 of bytes) of every memory access, as `(pc, align)` sorted by
    /// instruction index. Hints carry no semantics (a misaligned access is still correct), so
    /// engines may ignore them; they are kept for code generators that can use them.
    pub alignments: Box<[(u32, u8)]>,
    /// Slots taken by the parameters.
    pub num_param_slots: u32,
    /// Slots taken by the parameters and the declared locals.
    pub num_local_slots: u32,
    /// Slots taken by the results when the function returns (written from slot 0).
    pub num_result_slots: u32,
    /// Initial values of the slots `num_param_slots..num_param_slots + init.len()`: zeros for the
    /// declared locals, then the constants.
    pub init: Box<[u64]>,
    /// Total slots one activation uses.
    pub frame_size: u32,
}

impl Function {
    /// The constant slots' values (the tail of [`Function::init`]).
    pub fn constants(&self) -> &[u64] {
        &self.init[(self.num_local_slots - self.num_param_slots) as usize..]
    }

    /// The alignment hint (log2 of bytes) of the memory access at `pc`, if it is one.
    pub fn alignment(&self, pc: usize) -> Option<u8> {
        let i = self
            .alignments
            .binary_search_by_key(&(pc as u32), |&(p, _)| p)
            .ok()?;
        Some(self.alignments[i].1)
    }

    /// The first constant slot.
    pub fn first_constant_slot(&self) -> Slot {
        Slot(self.num_local_slots)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "func {}", self.ty)?;
        let consts = self.constants();
        writeln!(
            f,
            "  frame: params s0..s{}, locals ..s{}, consts ..s{}, size {}",
            self.num_param_slots,
            self.num_local_slots,
            self.num_local_slots as usize + consts.len(),
            self.frame_size
        )?;
        for (i, c) in consts.iter().enumerate() {
            writeln!(
                f,
                "  const s{} = {:#x}",
                self.num_local_slots as usize + i,
                c
            )?;
        }
        for (pc, op) in self.ops.iter().enumerate() {
            write!(f, "  {pc:4}: ")?;
            op.print(pc, f)?;
            if let Some(align) = self.alignment(pc) {
                write!(f, " align={}", 1u32 << align.min(31))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
