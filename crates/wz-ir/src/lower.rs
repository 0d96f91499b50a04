//! Lowering of validated wasm function bodies to the register IR.
//!
//! One pass over the operators, keeping a compile-time model of the operand stack. Every stack
//! position has a *home* slot among the temporaries (fixed by its depth), but an entry may live
//! elsewhere until it has to move: `local.get` pushes a reference to the local's slot and a
//! constant pushes a reference to a constant slot. Entries are *materialized* (copied to their
//! home) only when a consumer needs values in consecutive slots or at a label's expected place,
//! or when the local they refer to is about to be overwritten.
//!
//! While lowering, temporaries and constants are numbered in their own ranges (tagged with
//! [`TEMP`] and [`CONST`]); [`Lowerer::finish`] relocates them once their counts are known.

use std::collections::HashMap;
use std::fmt;

use wasmparser::{BinaryReader, BlockType, Operator, OperatorsReader};
use wz_binary::{FuncType, Module, ValType};

use crate::func::Function;
use crate::metering::{FuelCounter, Metering};
use crate::op::*;
use crate::trap::TrapCode;

const TEMP: u32 = 1 << 31;
const CONST: u32 = 1 << 30;
const INDEX_MASK: u32 = CONST - 1;
/// The largest frame a function may need, in slots (128 MiB of cells).
const MAX_FRAME_SLOTS: u32 = 1 << 24;

/// Why a function body could not be lowered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    message: String,
    offset: usize,
}

impl LowerError {
    pub(crate) fn new(message: impl Into<String>, offset: u32) -> Self {
        LowerError {
            message: message.into(),
            offset: offset as usize,
        }
    }

    /// The byte offset in the module of the instruction that could not be lowered.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The description of the problem.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {:#x})", self.message, self.offset)
    }
}

impl std::error::Error for LowerError {}

impl From<wasmparser::BinaryReaderError> for LowerError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        LowerError::new(e.message(), e.offset() as u32)
    }
}

/// Lowers every defined function of a validated module, in order.
pub fn lower_module(module: &Module) -> Result<Vec<Function>, LowerError> {
    lower_module_with(module, Metering::default())
}

/// Lowers every defined function with the given run-time checks compiled in.
pub fn lower_module_with(module: &Module, metering: Metering) -> Result<Vec<Function>, LowerError> {
    (0..module.bodies.len() as u32)
        .map(|i| lower_function_with(module, i, metering))
        .collect()
}

/// Lowers defined function number `defined` (0 is the first function after the imports).
pub fn lower_function(module: &Module, defined: u32) -> Result<Function, LowerError> {
    lower_function_with(module, defined, Metering::default())
}

/// Lowers defined function number `defined` with the given run-time checks: `fuel` and
/// `check` instructions as [`Metering`] describes.
pub fn lower_function_with(
    module: &Module,
    defined: u32,
    metering: Metering,
) -> Result<Function, LowerError> {
    let body = module
        .bodies
        .get(defined as usize)
        .ok_or_else(|| LowerError::new(format!("no function body {defined}"), 0))?;
    let func_index = module.num_imported_funcs + defined;
    let ty = module
        .func_type(func_index)
        .ok_or_else(|| LowerError::new("function has no type", body.code.start as u32))?
        .clone();
    let mut lowerer = Lowerer::new(module, ty.clone(), &body.locals, body.code.start as u32)?;
    lowerer.metering = metering;
    if metering.listen {
        let len = lowerer.num_param_slots;
        lowerer.emit(Op::ListenEnter(Return { src: Slot(0), len }));
    }
    if metering.any() {
        lowerer.emit(Op::Check(Amount { amount: 0 }));
    }
    let data = &module.bytes[body.code.clone()];
    let mut reader = OperatorsReader::new(BinaryReader::new(data, body.code.start as u64));
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        let op = reader.read()?;
        lowerer.offset = offset;
        lowerer.op(op)?;
    }
    if !lowerer.controls.is_empty() {
        return Err(LowerError::new(
            "function body ends inside a block",
            body.code.end as u32,
        ));
    }
    let mut func = lowerer.finish()?;
    func.index = func_index;
    Ok(func)
}

fn width(ty: ValType) -> u32 {
    if ty == ValType::V128 { 2 } else { 1 }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Loc {
    Home,
    At(u32),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    ty: ValType,
    home: u32,
    loc: Loc,
}

impl Entry {
    fn slot(&self) -> Slot {
        match self.loc {
            Loc::Home => Slot(self.home),
            Loc::At(s) => Slot(s),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
}

struct Control {
    kind: Kind,
    ty: FuncType,
    /// Operand stack length below the block's parameters.
    height: usize,
    /// Home slot of the first parameter/result.
    base: u32,
    /// Loop header instruction.
    start: usize,
    /// The `if`'s branch to its `else`.
    cond_fixup: Option<usize>,
    /// Branches to the end of the block.
    fixups: Vec<usize>,
    entry_reachable: bool,
}

impl Control {
    fn label_types(&self) -> &[ValType] {
        if self.kind == Kind::Loop {
            self.ty.params()
        } else {
            self.ty.results()
        }
    }
}

struct Lowerer<'m> {
    module: &'m Module,
    ty: FuncType,
    ops: Vec<Op>,
    offsets: Vec<u32>,
    offset: u32,
    local_slots: Vec<u32>,
    local_types: Vec<ValType>,
    num_param_slots: u32,
    num_local_slots: u32,
    consts: Vec<u64>,
    const_map: HashMap<(u64, u64, bool), u32>,
    stack: Vec<Entry>,
    slot_top: u32,
    max_slots: u32,
    controls: Vec<Control>,
    reachable: bool,
    dead_depth: u32,
    /// The last instruction, if it writes the value on top of the stack through `result_mut`.
    last_result: Option<usize>,
    metering: Metering,
    /// Operators counted since fuel was last charged.
    fuel: FuelCounter,
    alignments: Vec<(u32, u8)>,
}

impl<'m> Lowerer<'m> {
    fn new(
        module: &'m Module,
        ty: FuncType,
        locals: &[(u32, ValType)],
        offset: u32,
    ) -> Result<Self, LowerError> {
        let mut local_slots = Vec::new();
        let mut local_types = Vec::new();
        let mut next = 0u32;
        for &t in ty.params() {
            local_slots.push(next);
            local_types.push(t);
            next += width(t);
        }
        let num_param_slots = next;
        for &(count, t) in locals {
            for _ in 0..count {
                local_slots.push(next);
                local_types.push(t);
                next += width(t);
                if next > MAX_FRAME_SLOTS {
                    return Err(LowerError::new("too many locals", offset));
                }
            }
        }
        let mut lowerer = Lowerer {
            module,
            ty: ty.clone(),
            ops: Vec::new(),
            offsets: Vec::new(),
            offset,
            local_slots,
            local_types,
            num_param_slots,
            num_local_slots: next,
            consts: Vec::new(),
            const_map: HashMap::new(),
            stack: Vec::new(),
            slot_top: 0,
            max_slots: 0,
            controls: Vec::new(),
            reachable: true,
            dead_depth: 0,
            last_result: None,
            metering: Metering::default(),
            fuel: FuelCounter::default(),
            alignments: Vec::new(),
        };
        lowerer.controls.push(Control {
            kind: Kind::Block,
            ty,
            height: 0,
            base: TEMP,
            start: 0,
            cond_fixup: None,
            fixups: Vec::new(),
            entry_reachable: true,
        });
        Ok(lowerer)
    }

    fn err(&self, message: impl Into<String>) -> LowerError {
        LowerError::new(message, self.offset)
    }

    // --- the operand stack model ------------------------------------------------------------

    fn push(&mut self, ty: ValType, loc: Loc) -> Slot {
        let home = TEMP | self.slot_top;
        self.slot_top += width(ty);
        self.max_slots = self.max_slots.max(self.slot_top);
        self.stack.push(Entry { ty, home, loc });
        Slot(home)
    }

    fn push_temp(&mut self, ty: ValType) -> Slot {
        self.push(ty, Loc::Home)
    }

    fn pop(&mut self) -> Result<Entry, LowerError> {
        let e = self
            .stack
            .pop()
            .ok_or_else(|| self.err("operand stack underflow"))?;
        self.slot_top -= width(e.ty);
        Ok(e)
    }

    fn peek(&self, depth: usize) -> Result<Entry, LowerError> {
        let len = self.stack.len();
        if depth >= len {
            return Err(self.err("operand stack underflow"));
        }
        Ok(self.stack[len - 1 - depth])
    }

    fn const_slot(&mut self, lo: u64, hi: u64, wide: bool) -> u32 {
        if let Some(&s) = self.const_map.get(&(lo, hi, wide)) {
            return s;
        }
        let s = CONST | self.consts.len() as u32;
        self.consts.push(lo);
        if wide {
            self.consts.push(hi);
        }
        self.const_map.insert((lo, hi, wide), s);
        s
    }

    fn push_const(&mut self, ty: ValType, lo: u64, hi: u64) {
        let s = self.const_slot(lo, hi, ty == ValType::V128);
        self.push(ty, Loc::At(s));
    }

    fn emit(&mut self, op: Op) -> usize {
        self.ops.push(op);
        self.offsets.push(self.offset);
        self.last_result = None;
        self.ops.len() - 1
    }

    fn emit_result(&mut self, op: Op) {
        let pc = self.emit(op);
        self.last_result = Some(pc);
    }

    fn emit_copy(&mut self, dst: Slot, src: Slot, ty: ValType) {
        if dst == src {
            return;
        }
        if width(ty) == 1 {
            self.emit(Op::Copy(Unary { dst, src }));
        } else {
            self.emit(Op::CopySpan(CopySpan { dst, src, len: 2 }));
        }
    }

    /// Moves the entry at stack index `i` to its home slot.
    fn materialize(&mut self, i: usize) {
        let e = self.stack[i];
        if let Loc::At(src) = e.loc {
            self.emit_copy(Slot(e.home), Slot(src), e.ty);
            self.stack[i].loc = Loc::Home;
        }
    }

    fn materialize_top(&mut self, n: usize) -> Result<(), LowerError> {
        let len = self.stack.len();
        if n > len {
            return Err(self.err("operand stack underflow"));
        }
        for i in len - n..len {
            self.materialize(i);
        }
        Ok(())
    }

    /// Materializes and pops the top `n` entries, returning the home of the first (or the
    /// current top when `n` is 0).
    fn pop_args(&mut self, n: usize) -> Result<Slot, LowerError> {
        self.materialize_top(n)?;
        for _ in 0..n {
            self.pop()?;
        }
        Ok(Slot(TEMP | self.slot_top))
    }

    // --- instruction shapes -----------------------------------------------------------------

    fn unary(&mut self, ty: ValType, ctor: fn(Unary) -> Op) -> Result<(), LowerError> {
        let src = self.pop()?.slot();
        let dst = self.push_temp(ty);
        self.emit_result(ctor(Unary { dst, src }));
        Ok(())
    }

    fn binary(&mut self, ty: ValType, ctor: fn(Binary) -> Op) -> Result<(), LowerError> {
        let rhs = self.pop()?.slot();
        let lhs = self.pop()?.slot();
        let dst = self.push_temp(ty);
        self.emit_result(ctor(Binary { dst, lhs, rhs }));
        Ok(())
    }

    fn load(
        &mut self,
        ty: ValType,
        memarg: wasmparser::MemArg,
        ctor: fn(Load) -> Op,
    ) -> Result<(), LowerError> {
        let offset = self.memarg_offset(memarg)?;
        let addr = self.pop()?;
        let dst = self.push_temp(ty);
        let op = ctor(Load {
            dst,
            addr: addr.slot(),
            offset,
        });
        let pc = self.emit_access(addr, op);
        self.last_result = Some(pc);
        self.note_align(pc, memarg);
        Ok(())
    }

    /// Emits the memory access `op` whose address is `addr`, fused with the instruction that
    /// just computed the address when it can be (see [`Op::fuse_address_sum`]). Returns the
    /// access's index.
    fn emit_access(&mut self, addr: Entry, op: Op) -> usize {
        if addr.loc == Loc::Home
            && let Some(pc) = self.last_result
            && pc + 1 == self.ops.len()
        {
            // The address is the temporary the last instruction wrote (no label since), and
            // the access pops it, so nothing else reads it.
            let fused = match self.ops[pc] {
                Op::I32Add(b) if b.dst.0 == addr.home => op.fuse_address_sum(b.lhs, b.rhs),
                Op::I32Shl(b) if b.dst.0 == addr.home => self
                    .const_value(b.rhs)
                    .and_then(|shift| op.fuse_address_scaled(b.lhs, shift as u32)),
                _ => None,
            };
            if let Some(fused) = fused {
                self.ops[pc] = fused;
                // Traps are reported at the access.
                self.offsets[pc] = self.offset;
                self.last_result = None;
                return pc;
            }
        }
        self.emit(op)
    }

    /// The value of a constant slot (before relocation), or `None` for other slots.
    fn const_value(&self, slot: Slot) -> Option<u64> {
        if slot.0 & (TEMP | CONST) != CONST {
            return None;
        }
        self.consts.get((slot.0 & INDEX_MASK) as usize).copied()
    }

    fn store(
        &mut self,
        memarg: wasmparser::MemArg,
        ctor: fn(Store) -> Op,
    ) -> Result<(), LowerError> {
        let offset = self.memarg_offset(memarg)?;
        let value = self.pop()?.slot();
        let addr = self.pop()?;
        let op = ctor(Store {
            addr: addr.slot(),
            value,
            offset,
        });
        let pc = self.emit_access(addr, op);
        self.note_align(pc, memarg);
        Ok(())
    }

    /// Records the alignment hint of the memory access at `pc` for [`Function::alignments`].
    fn note_align(&mut self, pc: usize, memarg: wasmparser::MemArg) {
        self.alignments.push((pc as u32, memarg.align));
    }

    fn memarg_offset(&self, memarg: wasmparser::MemArg) -> Result<u32, LowerError> {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            return Err(self.err("multiple memories are not supported"));
        }
        u32::try_from(memarg.offset).map_err(|_| self.err("memory offset out of range"))
    }

    fn retype(&mut self, ty: ValType) -> Result<(), LowerError> {
        let top = self
            .stack
            .last_mut()
            .ok_or_else(|| LowerError::new("operand stack underflow", 0))?;
        top.ty = ty;
        Ok(())
    }

    // --- locals -----------------------------------------------------------------------------

    fn local(&self, index: u32) -> Result<(u32, ValType), LowerError> {
        let i = index as usize;
        match (self.local_slots.get(i), self.local_types.get(i)) {
            (Some(&s), Some(&t)) => Ok((s, t)),
            _ => Err(self.err(format!("unknown local {index}"))),
        }
    }

    fn local_set(&mut self, index: u32) -> Result<(), LowerError> {
        let (slot, ty) = self.local(index)?;
        let top = self.peek(0)?;
        if top.loc == Loc::At(slot) {
            self.pop()?;
            return Ok(());
        }
        let below = self.stack.len() - 1;
        let referenced = self.stack[..below].iter().any(|e| e.loc == Loc::At(slot));
        if !referenced
            && top.loc == Loc::Home
            && let Some(pc) = self.last_result
            && let Some(dst) = self.ops[pc].result_mut()
            && dst.0 == top.home
        {
            *dst = Slot(slot);
            self.last_result = None;
            self.pop()?;
            return Ok(());
        }
        for i in 0..below {
            if self.stack[i].loc == Loc::At(slot) {
                self.materialize(i);
            }
        }
        let e = self.pop()?;
        self.emit_copy(Slot(slot), e.slot(), ty);
        Ok(())
    }

    // --- control ----------------------------------------------------------------------------

    fn block_type(&self, bt: BlockType) -> Result<FuncType, LowerError> {
        Ok(match bt {
            BlockType::Empty => FuncType::new([], []),
            BlockType::Type(t) => {
                let t = ValType::from_wasmparser(t, self.offset as u64)
                    .map_err(|_| self.err("unsupported block type"))?;
                FuncType::new([], [t])
            }
            BlockType::FuncType(i) => self
                .module
                .types
                .get(i as usize)
                .cloned()
                .ok_or_else(|| self.err(format!("unknown type {i}")))?,
        })
    }

    fn enter(&mut self, kind: Kind, bt: BlockType) -> Result<(), LowerError> {
        let ty = self.block_type(bt)?;
        let n = ty.params().len();
        if n > self.stack.len() {
            return Err(self.err("operand stack underflow"));
        }
        // Every deferred `local.get` on the stack becomes a copy now, params and the values
        // below them alike. A `local.set` inside the block can only materialize an outer
        // entry on its own path; a branch that left the block before it would reach the end
        // with the entry's home slot never written.
        self.materialize_top(self.stack.len())?;
        let height = self.stack.len() - n;
        let base = self
            .stack
            .get(height)
            .map(|e| e.home)
            .unwrap_or(TEMP | self.slot_top);
        self.last_result = None;
        self.controls.push(Control {
            kind,
            ty,
            height,
            base,
            start: self.ops.len(),
            cond_fixup: None,
            fixups: Vec::new(),
            entry_reachable: self.reachable,
        });
        Ok(())
    }

    fn control(&self, depth: u32) -> Result<&Control, LowerError> {
        let len = self.controls.len();
        if depth as usize >= len {
            return Err(self.err(format!("unknown label {depth}")));
        }
        Ok(&self.controls[len - 1 - depth as usize])
    }

    /// Whether the values a branch to `depth` carries are already where the label expects.
    fn branch_in_place(&self, depth: u32) -> Result<bool, LowerError> {
        let c = self.control(depth)?;
        let types = c.label_types();
        let n = types.len();
        if n > self.stack.len() {
            return Err(self.err("operand stack underflow"));
        }
        let mut dst = c.base;
        for e in &self.stack[self.stack.len() - n..] {
            if e.slot() != Slot(dst) {
                return Ok(false);
            }
            dst += width(e.ty);
        }
        Ok(true)
    }

    /// Copies the values a branch to `depth` carries to the label's slots.
    fn copy_branch_values(&mut self, depth: u32) -> Result<(), LowerError> {
        let c = self.control(depth)?;
        let n = c.label_types().len();
        let mut dst = c.base;
        if n > self.stack.len() {
            return Err(self.err("operand stack underflow"));
        }
        let start = self.stack.len() - n;
        for i in start..self.stack.len() {
            let e = self.stack[i];
            self.emit_copy(Slot(dst), e.slot(), e.ty);
            dst += width(e.ty);
        }
        Ok(())
    }

    fn patch(&mut self, pc: usize, target: usize) {
        let offset = BranchOffset(target as i32 - pc as i32);
        self.ops[pc].visit_branches(&mut |b| *b = offset);
    }

    /// Points the branch instruction at `pc` to the label `depth`.
    fn link(&mut self, pc: usize, depth: u32) -> Result<(), LowerError> {
        let len = self.controls.len();
        self.control(depth)?;
        let c = &mut self.controls[len - 1 - depth as usize];
        if c.kind == Kind::Loop {
            let start = c.start;
            self.patch(pc, start);
        } else {
            c.fixups.push(pc);
        }
        Ok(())
    }

    fn is_function_label(&self, depth: u32) -> bool {
        depth as usize + 1 == self.controls.len()
    }

    /// An unconditional branch to `depth`, moving its values.
    fn branch(&mut self, depth: u32) -> Result<(), LowerError> {
        if self.is_function_label(depth) {
            return self.emit_return();
        }
        self.copy_branch_values(depth)?;
        let pc = self.emit(Op::Br(Branch {
            offset: BranchOffset(0),
        }));
        self.link(pc, depth)
    }

    fn emit_return(&mut self) -> Result<(), LowerError> {
        let results = self.ty.results().to_vec();
        let n = results.len();
        if n == 1 {
            let e = self.peek(0)?;
            self.emit_return_of(e.slot(), width(e.ty));
            return Ok(());
        }
        // Copy into the homes without marking the entries as moved: a return can sit on a
        // side path (a `br_if` or `br_table` to the function's label) that the code after it
        // does not take.
        let start = self
            .stack
            .len()
            .checked_sub(n)
            .ok_or_else(|| self.err("operand stack underflow"))?;
        for i in start..self.stack.len() {
            let e = self.stack[i];
            self.emit_copy(Slot(e.home), e.slot(), e.ty);
        }
        let (src, len) = if n == 0 {
            (Slot(0), 0)
        } else {
            (
                Slot(self.stack[start].home),
                results.iter().map(|t| width(*t)).sum(),
            )
        };
        self.emit_return_of(src, len);
        Ok(())
    }

    /// Returns the `len` result slots from `src` (reporting them first when listening).
    fn emit_return_of(&mut self, src: Slot, len: u32) {
        if self.metering.listen {
            self.emit(Op::ListenExit(Return { src, len }));
        }
        self.emit(Op::Return(Return { src, len }));
    }

    /// Emits a branch taken when `cond` is non-zero (or zero, if `negate`), fusing a comparison
    /// that just produced `cond`. Returns the branch instruction's index.
    fn cond_branch(&mut self, cond: Entry, negate: bool) -> usize {
        if cond.loc == Loc::Home
            && let Some(pc) = self.last_result
        {
            let mut op = self.ops[pc];
            if op.result_mut().map(|d| d.0) == Some(cond.home)
                && let Some(fused) = op.fuse_compare_branch(negate, BranchOffset(0))
            {
                self.ops[pc] = fused;
                self.last_result = None;
                return pc;
            }
        }
        let branch = BranchIf {
            cond: cond.slot(),
            offset: BranchOffset(0),
        };
        self.emit(if negate {
            Op::BrIfEqz(branch)
        } else {
            Op::BrIfNez(branch)
        })
    }

    fn br_if(&mut self, depth: u32) -> Result<(), LowerError> {
        let cond = self.pop()?;
        if !self.is_function_label(depth) && self.branch_in_place(depth)? {
            let pc = self.cond_branch(cond, false);
            return self.link(pc, depth);
        }
        let skip = self.cond_branch(cond, true);
        self.branch(depth)?;
        let here = self.ops.len();
        self.patch(skip, here);
        Ok(())
    }

    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<(), LowerError> {
        let index = self.pop()?.slot();
        let mut depths = Vec::with_capacity(targets.len() as usize + 1);
        for t in targets.targets() {
            depths.push(t?);
        }
        depths.push(targets.default());
        self.emit(Op::BrTable(BranchTable {
            index,
            len: depths.len() as u32,
        }));
        let mut entries = Vec::with_capacity(depths.len());
        for &depth in &depths {
            entries.push((
                self.emit(Op::Br(Branch {
                    offset: BranchOffset(0),
                })),
                depth,
            ));
        }
        for (pc, depth) in entries {
            if !self.is_function_label(depth) && self.branch_in_place(depth)? {
                self.link(pc, depth)?;
            } else {
                let here = self.ops.len();
                self.patch(pc, here);
                self.branch(depth)?;
            }
        }
        self.set_unreachable();
        Ok(())
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        self.last_result = None;
    }

    fn else_(&mut self) -> Result<(), LowerError> {
        let n = {
            let c = self
                .controls
                .last()
                .ok_or_else(|| self.err("else outside a block"))?;
            if c.kind != Kind::If {
                return Err(self.err("else without if"));
            }
            c.ty.results().len()
        };
        if self.reachable {
            self.materialize_top(n)?;
            let pc = self.emit(Op::Br(Branch {
                offset: BranchOffset(0),
            }));
            self.controls
                .last_mut()
                .expect("checked above")
                .fixups
                .push(pc);
        }
        let here = self.ops.len();
        let c = self.controls.last_mut().expect("checked above");
        c.kind = Kind::Else;
        let cond = c.cond_fixup.take();
        let height = c.height;
        let base = c.base;
        let params = c.ty.params().to_vec();
        self.reachable = c.entry_reachable;
        if let Some(pc) = cond {
            self.patch(pc, here);
        }
        self.reset_stack(height, base, &params);
        self.last_result = None;
        Ok(())
    }

    fn reset_stack(&mut self, height: usize, base: u32, types: &[ValType]) {
        self.stack.truncate(height);
        self.slot_top = base & !TEMP;
        for &t in types {
            self.push_temp(t);
        }
    }

    fn end(&mut self) -> Result<(), LowerError> {
        let n = self
            .controls
            .last()
            .ok_or_else(|| self.err("end outside a block"))?
            .ty
            .results()
            .len();
        if self.controls.len() == 1 {
            if self.reachable {
                self.emit_return()?;
            }
            self.controls.pop();
            return Ok(());
        }
        if self.reachable {
            self.materialize_top(n)?;
        }
        let c = self.controls.pop().expect("checked above");
        let here = self.ops.len();
        if let Some(pc) = c.cond_fixup {
            self.patch(pc, here);
        }
        for &pc in &c.fixups {
            self.patch(pc, here);
        }
        self.reachable =
            self.reachable || !c.fixups.is_empty() || (c.kind == Kind::If && c.entry_reachable);
        let results = c.ty.results().to_vec();
        self.reset_stack(c.height, c.base, &results);
        self.last_result = None;
        Ok(())
    }

    fn call(&mut self, func: u32) -> Result<(), LowerError> {
        let ty = self
            .module
            .func_type(func)
            .ok_or_else(|| self.err(format!("unknown function {func}")))?
            .clone();
        let args = self.pop_args(ty.params().len())?;
        self.emit(Op::Call(Call { func, args }));
        for &t in ty.results() {
            self.push_temp(t);
        }
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32) -> Result<(), LowerError> {
        let ty = self
            .module
            .types
            .get(type_index as usize)
            .ok_or_else(|| self.err(format!("unknown type {type_index}")))?
            .clone();
        if type_index >= 1 << 24 || table >= 1 << 8 {
            return Err(self.err("call_indirect type or table index too large"));
        }
        let index = self.pop()?.slot();
        let args = self.pop_args(ty.params().len())?;
        self.emit(Op::CallIndirect(CallIndirect {
            index,
            args,
            ty_table: type_index | (table << 24),
        }));
        for &t in ty.results() {
            self.push_temp(t);
        }
        Ok(())
    }

    fn select(&mut self) -> Result<(), LowerError> {
        let cond = self.pop()?.slot();
        let other = self.pop()?.slot();
        let len = self.stack.len();
        if len == 0 {
            return Err(self.err("operand stack underflow"));
        }
        self.materialize(len - 1);
        let a = self.pop()?;
        let dst = self.push_temp(a.ty);
        let select = Select { dst, cond, other };
        self.emit(if a.ty == ValType::V128 {
            Op::SelectV128(select)
        } else {
            Op::Select(select)
        });
        Ok(())
    }

    // --- v128 lanes -------------------------------------------------------------------------

    fn extract_lane(
        &mut self,
        ty: ValType,
        lane: u8,
        ctor: fn(LaneGet) -> Op,
    ) -> Result<(), LowerError> {
        let src = self.pop()?.slot();
        let dst = self.push_temp(ty);
        self.emit_result(ctor(LaneGet {
            dst,
            src,
            lane: lane as u32,
        }));
        Ok(())
    }

    fn replace_lane(&mut self, lane: u8, ctor: fn(LaneSet) -> Op) -> Result<(), LowerError> {
        let value = self.pop()?.slot();
        let len = self.stack.len();
        if len == 0 {
            return Err(self.err("operand stack underflow"));
        }
        self.materialize(len - 1);
        self.pop()?;
        let dst = self.push_temp(ValType::V128);
        self.emit(ctor(LaneSet {
            dst,
            value,
            lane: lane as u32,
        }));
        Ok(())
    }

    /// `dst = op(top, b, c)` for an instruction that updates its first operand in place: the
    /// first operand (on top of the stack once `b` and `c` are popped) moves to its home, which
    /// is where the result goes.
    fn in_place(&mut self, ctor: fn(Ternary) -> Op, b: Slot, c: Slot) -> Result<(), LowerError> {
        let len = self.stack.len();
        if len == 0 {
            return Err(self.err("operand stack underflow"));
        }
        self.materialize(len - 1);
        let a = self.pop()?;
        let dst = self.push_temp(a.ty);
        self.emit(ctor(Ternary { dst, b, c }));
        Ok(())
    }

    /// `v128.loadN_lane`: a scalar load into a scratch slot above the operands, then a lane
    /// replacement of the vector (moved to the result's slot).
    fn load_lane(
        &mut self,
        memarg: wasmparser::MemArg,
        lane: u8,
        load: fn(Load) -> Op,
        replace: fn(LaneSet) -> Op,
    ) -> Result<(), LowerError> {
        let offset = self.memarg_offset(memarg)?;
        let addr = self.peek(1)?.slot();
        let scratch = self.push_temp(ValType::I64);
        let pc = self.emit(load(Load {
            dst: scratch,
            addr,
            offset,
        }));
        self.note_align(pc, memarg);
        self.pop()?;
        let vector = self.pop()?.slot();
        self.pop()?;
        let dst = self.push_temp(ValType::V128);
        self.emit_copy(dst, vector, ValType::V128);
        self.emit(replace(LaneSet {
            dst,
            value: scratch,
            lane: lane as u32,
        }));
        Ok(())
    }

    /// `v128.storeN_lane`: a lane extraction into a scratch slot, then a scalar store.
    fn store_lane(
        &mut self,
        memarg: wasmparser::MemArg,
        lane: u8,
        extract: fn(LaneGet) -> Op,
        store: fn(Store) -> Op,
    ) -> Result<(), LowerError> {
        let offset = self.memarg_offset(memarg)?;
        let vector = self.peek(0)?.slot();
        let addr = self.peek(1)?.slot();
        let scratch = self.push_temp(ValType::I64);
        self.emit(extract(LaneGet {
            dst: scratch,
            src: vector,
            lane: lane as u32,
        }));
        let pc = self.emit(store(Store {
            addr,
            value: scratch,
            offset,
        }));
        self.note_align(pc, memarg);
        for _ in 0..3 {
            self.pop()?;
        }
        Ok(())
    }

    // --- the operator dispatch ----------------------------------------------------------------

    fn op(&mut self, op: Operator<'_>) -> Result<(), LowerError> {
        use ValType::*;
        if !self.reachable {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.dead_depth += 1
                }
                Operator::Else if self.dead_depth == 0 => self.else_()?,
                Operator::End if self.dead_depth == 0 => self.end()?,
                Operator::End => self.dead_depth -= 1,
                _ => {}
            }
            return Ok(());
        }
        if self.metering.fuel
            && let Some(amount) = self.fuel.count(&op)
        {
            self.charge_fuel(amount);
        }
        match op {
            Operator::Unreachable => {
                self.emit(Op::Trap(TrapWith {
                    code: TrapCode::Unreachable as u32,
                }));
                self.set_unreachable();
            }
            Operator::Nop => {}
            Operator::Block { blockty } => self.enter(Kind::Block, blockty)?,
            Operator::Loop { blockty } => {
                self.enter(Kind::Loop, blockty)?;
                if self.metering.any() {
                    // At the loop's start, so every back-edge runs it.
                    self.emit(Op::Check(Amount { amount: 0 }));
                }
            }
            Operator::If { blockty } => {
                let cond = self.pop()?;
                self.enter(Kind::If, blockty)?;
                // Parameters were moved home by `enter`; the comparison is still the last
                // instruction only when there were none.
                if self.controls.last().map(|c| c.ty.params().is_empty()) == Some(true) {
                    self.last_result = self.last_result_before_enter(cond);
                }
                let pc = self.cond_branch(cond, true);
                self.controls.last_mut().expect("just entered").cond_fixup = Some(pc);
            }
            Operator::Else => self.else_()?,
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => {
                self.branch(relative_depth)?;
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => self.br_if(relative_depth)?,
            Operator::BrTable { targets } => self.br_table(&targets)?,
            Operator::Return => {
                self.emit_return()?;
                self.set_unreachable();
            }
            Operator::Call { function_index } => self.call(function_index)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            Operator::Drop => {
                self.pop()?;
            }
            Operator::Select | Operator::TypedSelect { .. } => self.select()?,
            Operator::LocalGet { local_index } => {
                let (slot, ty) = self.local(local_index)?;
                self.push(ty, Loc::At(slot));
            }
            Operator::LocalSet { local_index } => self.local_set(local_index)?,
            Operator::LocalTee { local_index } => {
                let (slot, ty) = self.local(local_index)?;
                self.local_set(local_index)?;
                self.push(ty, Loc::At(slot));
            }
            Operator::GlobalGet { global_index } => {
                let ty = self.global_type(global_index)?;
                let dst = self.push_temp(ty);
                let g = GlobalGet {
                    dst,
                    global: global_index,
                };
                self.emit_result(if ty == V128 {
                    Op::GlobalGetV128(g)
                } else {
                    Op::GlobalGet(g)
                });
            }
            Operator::GlobalSet { global_index } => {
                let ty = self.global_type(global_index)?;
                let src = self.pop()?.slot();
                let g = GlobalSet {
                    src,
                    global: global_index,
                };
                self.emit(if ty == V128 {
                    Op::GlobalSetV128(g)
                } else {
                    Op::GlobalSet(g)
                });
            }
            Operator::I32Load { memarg } => self.load(I32, memarg, Op::I32Load)?,
            Operator::I64Load { memarg } => self.load(I64, memarg, Op::I64Load)?,
            Operator::F32Load { memarg } => self.load(F32, memarg, Op::F32Load)?,
            Operator::F64Load { memarg } => self.load(F64, memarg, Op::F64Load)?,
            Operator::I32Load8S { memarg } => self.load(I32, memarg, Op::I32Load8S)?,
            Operator::I32Load8U { memarg } => self.load(I32, memarg, Op::I32Load8U)?,
            Operator::I32Load16S { memarg } => self.load(I32, memarg, Op::I32Load16S)?,
            Operator::I32Load16U { memarg } => self.load(I32, memarg, Op::I32Load16U)?,
            Operator::I64Load8S { memarg } => self.load(I64, memarg, Op::I64Load8S)?,
            Operator::I64Load8U { memarg } => self.load(I64, memarg, Op::I64Load8U)?,
            Operator::I64Load16S { memarg } => self.load(I64, memarg, Op::I64Load16S)?,
            Operator::I64Load16U { memarg } => self.load(I64, memarg, Op::I64Load16U)?,
            Operator::I64Load32S { memarg } => self.load(I64, memarg, Op::I64Load32S)?,
            Operator::I64Load32U { memarg } => self.load(I64, memarg, Op::I64Load32U)?,
            Operator::I32Store { memarg } => self.store(memarg, Op::I32Store)?,
            Operator::I64Store { memarg } => self.store(memarg, Op::I64Store)?,
            Operator::F32Store { memarg } => self.store(memarg, Op::F32Store)?,
            Operator::F64Store { memarg } => self.store(memarg, Op::F64Store)?,
            Operator::I32Store8 { memarg } => self.store(memarg, Op::I32Store8)?,
            Operator::I32Store16 { memarg } => self.store(memarg, Op::I32Store16)?,
            Operator::I64Store8 { memarg } => self.store(memarg, Op::I64Store8)?,
            Operator::I64Store16 { memarg } => self.store(memarg, Op::I64Store16)?,
            Operator::I64Store32 { memarg } => self.store(memarg, Op::I64Store32)?,
            Operator::MemorySize { mem } => {
                self.check_memory(mem)?;
                let dst = self.push_temp(I32);
                self.emit_result(Op::MemorySize(Dst { dst }));
            }
            Operator::MemoryGrow { mem } => {
                self.check_memory(mem)?;
                self.unary(I32, Op::MemoryGrow)?;
            }
            Operator::MemoryFill { mem } => {
                self.check_memory(mem)?;
                let args = self.pop_args(3)?;
                self.emit(Op::MemoryFill(Args { args }));
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                self.check_memory(dst_mem)?;
                self.check_memory(src_mem)?;
                let args = self.pop_args(3)?;
                self.emit(Op::MemoryCopy(Args { args }));
            }
            Operator::MemoryInit { data_index, mem } => {
                self.check_memory(mem)?;
                let args = self.pop_args(3)?;
                self.emit(Op::MemoryInit(ArgsIndex {
                    args,
                    index: data_index,
                }));
            }
            Operator::DataDrop { data_index } => {
                self.emit(Op::DataDrop(Index { index: data_index }));
            }
            Operator::TableGet { table } => {
                let ty = self.table_type(table)?;
                let elem = self.pop()?.slot();
                let dst = self.push_temp(ty);
                self.emit_result(Op::TableGet(TableGet { dst, elem, table }));
            }
            Operator::TableSet { table } => {
                let value = self.pop()?.slot();
                let elem = self.pop()?.slot();
                self.emit(Op::TableSet(TableSet { elem, value, table }));
            }
            Operator::TableSize { table } => {
                let dst = self.push_temp(I32);
                self.emit_result(Op::TableSize(DstIndex { dst, index: table }));
            }
            Operator::TableGrow { table } => {
                let args = self.pop_args(2)?;
                self.emit(Op::TableGrow(ArgsIndex { args, index: table }));
                self.push_temp(I32);
            }
            Operator::TableFill { table } => {
                let args = self.pop_args(3)?;
                self.emit(Op::TableFill(ArgsIndex { args, index: table }));
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let args = self.pop_args(3)?;
                self.emit(Op::TableCopy(ArgsIndex2 {
                    args,
                    index: dst_table,
                    index2: src_table,
                }));
            }
            Operator::TableInit { elem_index, table } => {
                let args = self.pop_args(3)?;
                self.emit(Op::TableInit(ArgsIndex2 {
                    args,
                    index: table,
                    index2: elem_index,
                }));
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(Op::ElemDrop(Index { index: elem_index }));
            }
            Operator::RefNull { hty } => {
                let ty = if hty == wasmparser::HeapType::EXTERN {
                    ExternRef
                } else {
                    FuncRef
                };
                self.push_const(ty, 0, 0);
            }
            Operator::RefIsNull => self.unary(I32, Op::RefIsNull)?,
            Operator::RefFunc { function_index } => {
                let dst = self.push_temp(FuncRef);
                self.emit_result(Op::RefFunc(DstIndex {
                    dst,
                    index: function_index,
                }));
            }
            Operator::I32Const { value } => self.push_const(I32, value as u32 as u64, 0),
            Operator::I64Const { value } => self.push_const(I64, value as u64, 0),
            Operator::F32Const { value } => self.push_const(F32, value.bits() as u64, 0),
            Operator::F64Const { value } => self.push_const(F64, value.bits(), 0),
            Operator::I32Eqz => self.unary(I32, Op::I32Eqz)?,
            Operator::I32Eq => self.binary(I32, Op::I32Eq)?,
            Operator::I32Ne => self.binary(I32, Op::I32Ne)?,
            Operator::I32LtS => self.binary(I32, Op::I32LtS)?,
            Operator::I32LtU => self.binary(I32, Op::I32LtU)?,
            Operator::I32GtS => self.binary(I32, Op::I32GtS)?,
            Operator::I32GtU => self.binary(I32, Op::I32GtU)?,
            Operator::I32LeS => self.binary(I32, Op::I32LeS)?,
            Operator::I32LeU => self.binary(I32, Op::I32LeU)?,
            Operator::I32GeS => self.binary(I32, Op::I32GeS)?,
            Operator::I32GeU => self.binary(I32, Op::I32GeU)?,
            Operator::I64Eqz => self.unary(I32, Op::I64Eqz)?,
            Operator::I64Eq => self.binary(I32, Op::I64Eq)?,
            Operator::I64Ne => self.binary(I32, Op::I64Ne)?,
            Operator::I64LtS => self.binary(I32, Op::I64LtS)?,
            Operator::I64LtU => self.binary(I32, Op::I64LtU)?,
            Operator::I64GtS => self.binary(I32, Op::I64GtS)?,
            Operator::I64GtU => self.binary(I32, Op::I64GtU)?,
            Operator::I64LeS => self.binary(I32, Op::I64LeS)?,
            Operator::I64LeU => self.binary(I32, Op::I64LeU)?,
            Operator::I64GeS => self.binary(I32, Op::I64GeS)?,
            Operator::I64GeU => self.binary(I32, Op::I64GeU)?,
            Operator::F32Eq => self.binary(I32, Op::F32Eq)?,
            Operator::F32Ne => self.binary(I32, Op::F32Ne)?,
            Operator::F32Lt => self.binary(I32, Op::F32Lt)?,
            Operator::F32Gt => self.binary(I32, Op::F32Gt)?,
            Operator::F32Le => self.binary(I32, Op::F32Le)?,
            Operator::F32Ge => self.binary(I32, Op::F32Ge)?,
            Operator::F64Eq => self.binary(I32, Op::F64Eq)?,
            Operator::F64Ne => self.binary(I32, Op::F64Ne)?,
            Operator::F64Lt => self.binary(I32, Op::F64Lt)?,
            Operator::F64Gt => self.binary(I32, Op::F64Gt)?,
            Operator::F64Le => self.binary(I32, Op::F64Le)?,
            Operator::F64Ge => self.binary(I32, Op::F64Ge)?,
            Operator::I32Clz => self.unary(I32, Op::I32Clz)?,
            Operator::I32Ctz => self.unary(I32, Op::I32Ctz)?,
            Operator::I32Popcnt => self.unary(I32, Op::I32Popcnt)?,
            Operator::I32Add => self.binary(I32, Op::I32Add)?,
            Operator::I32Sub => self.binary(I32, Op::I32Sub)?,
            Operator::I32Mul => self.binary(I32, Op::I32Mul)?,
            Operator::I32DivS => self.binary(I32, Op::I32DivS)?,
            Operator::I32DivU => self.binary(I32, Op::I32DivU)?,
            Operator::I32RemS => self.binary(I32, Op::I32RemS)?,
            Operator::I32RemU => self.binary(I32, Op::I32RemU)?,
            Operator::I32And => self.binary(I32, Op::I32And)?,
            Operator::I32Or => self.binary(I32, Op::I32Or)?,
            Operator::I32Xor => self.binary(I32, Op::I32Xor)?,
            Operator::I32Shl => self.binary(I32, Op::I32Shl)?,
            Operator::I32ShrS => self.binary(I32, Op::I32ShrS)?,
            Operator::I32ShrU => self.binary(I32, Op::I32ShrU)?,
            Operator::I32Rotl => self.binary(I32, Op::I32Rotl)?,
            Operator::I32Rotr => self.binary(I32, Op::I32Rotr)?,
            Operator::I64Clz => self.unary(I64, Op::I64Clz)?,
            Operator::I64Ctz => self.unary(I64, Op::I64Ctz)?,
            Operator::I64Popcnt => self.unary(I64, Op::I64Popcnt)?,
            Operator::I64Add => self.binary(I64, Op::I64Add)?,
            Operator::I64Sub => self.binary(I64, Op::I64Sub)?,
            Operator::I64Mul => self.binary(I64, Op::I64Mul)?,
            Operator::I64DivS => self.binary(I64, Op::I64DivS)?,
            Operator::I64DivU => self.binary(I64, Op::I64DivU)?,
            Operator::I64RemS => self.binary(I64, Op::I64RemS)?,
            Operator::I64RemU => self.binary(I64, Op::I64RemU)?,
            Operator::I64And => self.binary(I64, Op::I64And)?,
            Operator::I64Or => self.binary(I64, Op::I64Or)?,
            Operator::I64Xor => self.binary(I64, Op::I64Xor)?,
            Operator::I64Shl => self.binary(I64, Op::I64Shl)?,
            Operator::I64ShrS => self.binary(I64, Op::I64ShrS)?,
            Operator::I64ShrU => self.binary(I64, Op::I64ShrU)?,
            Operator::I64Rotl => self.binary(I64, Op::I64Rotl)?,
            Operator::I64Rotr => self.binary(I64, Op::I64Rotr)?,
            Operator::F32Abs => self.unary(F32, Op::F32Abs)?,
            Operator::F32Neg => self.unary(F32, Op::F32Neg)?,
            Operator::F32Ceil => self.unary(F32, Op::F32Ceil)?,
            Operator::F32Floor => self.unary(F32, Op::F32Floor)?,
            Operator::F32Trunc => self.unary(F32, Op::F32Trunc)?,
            Operator::F32Nearest => self.unary(F32, Op::F32Nearest)?,
            Operator::F32Sqrt => self.unary(F32, Op::F32Sqrt)?,
            Operator::F32Add => self.binary(F32, Op::F32Add)?,
            Operator::F32Sub => self.binary(F32, Op::F32Sub)?,
            Operator::F32Mul => self.binary(F32, Op::F32Mul)?,
            Operator::F32Div => self.binary(F32, Op::F32Div)?,
            Operator::F32Min => self.binary(F32, Op::F32Min)?,
            Operator::F32Max => self.binary(F32, Op::F32Max)?,
            Operator::F32Copysign => self.binary(F32, Op::F32Copysign)?,
            Operator::F64Abs => self.unary(F64, Op::F64Abs)?,
            Operator::F64Neg => self.unary(F64, Op::F64Neg)?,
            Operator::F64Ceil => self.unary(F64, Op::F64Ceil)?,
            Operator::F64Floor => self.unary(F64, Op::F64Floor)?,
            Operator::F64Trunc => self.unary(F64, Op::F64Trunc)?,
            Operator::F64Nearest => self.unary(F64, Op::F64Nearest)?,
            Operator::F64Sqrt => self.unary(F64, Op::F64Sqrt)?,
            Operator::F64Add => self.binary(F64, Op::F64Add)?,
            Operator::F64Sub => self.binary(F64, Op::F64Sub)?,
            Operator::F64Mul => self.binary(F64, Op::F64Mul)?,
            Operator::F64Div => self.binary(F64, Op::F64Div)?,
            Operator::F64Min => self.binary(F64, Op::F64Min)?,
            Operator::F64Max => self.binary(F64, Op::F64Max)?,
            Operator::F64Copysign => self.binary(F64, Op::F64Copysign)?,
            Operator::I32WrapI64 => self.unary(I32, Op::I32WrapI64)?,
            Operator::I32TruncF32S => self.unary(I32, Op::I32TruncF32S)?,
            Operator::I32TruncF32U => self.unary(I32, Op::I32TruncF32U)?,
            Operator::I32TruncF64S => self.unary(I32, Op::I32TruncF64S)?,
            Operator::I32TruncF64U => self.unary(I32, Op::I32TruncF64U)?,
            Operator::I64ExtendI32S => self.unary(I64, Op::I64ExtendI32S)?,
            Operator::I64ExtendI32U => self.unary(I64, Op::I64ExtendI32U)?,
            Operator::I64TruncF32S => self.unary(I64, Op::I64TruncF32S)?,
            Operator::I64TruncF32U => self.unary(I64, Op::I64TruncF32U)?,
            Operator::I64TruncF64S => self.unary(I64, Op::I64TruncF64S)?,
            Operator::I64TruncF64U => self.unary(I64, Op::I64TruncF64U)?,
            Operator::F32ConvertI32S => self.unary(F32, Op::F32ConvertI32S)?,
            Operator::F32ConvertI32U => self.unary(F32, Op::F32ConvertI32U)?,
            Operator::F32ConvertI64S => self.unary(F32, Op::F32ConvertI64S)?,
            Operator::F32ConvertI64U => self.unary(F32, Op::F32ConvertI64U)?,
            Operator::F32DemoteF64 => self.unary(F32, Op::F32DemoteF64)?,
            Operator::F64ConvertI32S => self.unary(F64, Op::F64ConvertI32S)?,
            Operator::F64ConvertI32U => self.unary(F64, Op::F64ConvertI32U)?,
            Operator::F64ConvertI64S => self.unary(F64, Op::F64ConvertI64S)?,
            Operator::F64ConvertI64U => self.unary(F64, Op::F64ConvertI64U)?,
            Operator::F64PromoteF32 => self.unary(F64, Op::F64PromoteF32)?,
            // Slots hold every value as raw bits (i32 and f32 zero-extended), so a
            // reinterpretation only changes the static type.
            Operator::I32ReinterpretF32 => self.retype(I32)?,
            Operator::I64ReinterpretF64 => self.retype(I64)?,
            Operator::F32ReinterpretI32 => self.retype(F32)?,
            Operator::F64ReinterpretI64 => self.retype(F64)?,
            Operator::I32Extend8S => self.unary(I32, Op::I32Extend8S)?,
            Operator::I32Extend16S => self.unary(I32, Op::I32Extend16S)?,
            Operator::I64Extend8S => self.unary(I64, Op::I64Extend8S)?,
            Operator::I64Extend16S => self.unary(I64, Op::I64Extend16S)?,
            Operator::I64Extend32S => self.unary(I64, Op::I64Extend32S)?,
            Operator::I32TruncSatF32S => self.unary(I32, Op::I32TruncSatF32S)?,
            Operator::I32TruncSatF32U => self.unary(I32, Op::I32TruncSatF32U)?,
            Operator::I32TruncSatF64S => self.unary(I32, Op::I32TruncSatF64S)?,
            Operator::I32TruncSatF64U => self.unary(I32, Op::I32TruncSatF64U)?,
            Operator::I64TruncSatF32S => self.unary(I64, Op::I64TruncSatF32S)?,
            Operator::I64TruncSatF32U => self.unary(I64, Op::I64TruncSatF32U)?,
            Operator::I64TruncSatF64S => self.unary(I64, Op::I64TruncSatF64S)?,
            Operator::I64TruncSatF64U => self.unary(I64, Op::I64TruncSatF64U)?,
            Operator::V128Const { value } => {
                let v = value.i128() as u128;
                self.push_const(V128, v as u64, (v >> 64) as u64);
            }
            Operator::I8x16Shuffle { lanes } => {
                let mask = u128::from_le_bytes(lanes);
                let c = Slot(self.const_slot(mask as u64, (mask >> 64) as u64, true));
                let b = self.pop()?.slot();
                self.in_place(Op::I8x16Shuffle, b, c)?;
            }
            Operator::V128Bitselect => {
                let c = self.pop()?.slot();
                let b = self.pop()?.slot();
                self.in_place(Op::V128Bitselect, b, c)?;
            }
            Operator::V128Load8Lane { memarg, lane } => {
                self.load_lane(memarg, lane, Op::I32Load8U, Op::I8x16ReplaceLane)?
            }
            Operator::V128Load16Lane { memarg, lane } => {
                self.load_lane(memarg, lane, Op::I32Load16U, Op::I16x8ReplaceLane)?
            }
            Operator::V128Load32Lane { memarg, lane } => {
                self.load_lane(memarg, lane, Op::I32Load, Op::I32x4ReplaceLane)?
            }
            Operator::V128Load64Lane { memarg, lane } => {
                self.load_lane(memarg, lane, Op::I64Load, Op::I64x2ReplaceLane)?
            }
            Operator::V128Store8Lane { memarg, lane } => {
                self.store_lane(memarg, lane, Op::I8x16ExtractLaneU, Op::I32Store8)?
            }
            Operator::V128Store16Lane { memarg, lane } => {
                self.store_lane(memarg, lane, Op::I16x8ExtractLaneU, Op::I32Store16)?
            }
            Operator::V128Store32Lane { memarg, lane } => {
                self.store_lane(memarg, lane, Op::I32x4ExtractLane, Op::I32Store)?
            }
            Operator::V128Store64Lane { memarg, lane } => {
                self.store_lane(memarg, lane, Op::I64x2ExtractLane, Op::I64Store)?
            }
            Operator::V128Load { memarg } => self.load(V128, memarg, Op::V128Load)?,
            Operator::V128Load8x8S { memarg } => self.load(V128, memarg, Op::V128Load8x8S)?,
            Operator::V128Load8x8U { memarg } => self.load(V128, memarg, Op::V128Load8x8U)?,
            Operator::V128Load16x4S { memarg } => self.load(V128, memarg, Op::V128Load16x4S)?,
            Operator::V128Load16x4U { memarg } => self.load(V128, memarg, Op::V128Load16x4U)?,
            Operator::V128Load32x2S { memarg } => self.load(V128, memarg, Op::V128Load32x2S)?,
            Operator::V128Load32x2U { memarg } => self.load(V128, memarg, Op::V128Load32x2U)?,
            Operator::V128Load8Splat { memarg } => self.load(V128, memarg, Op::V128Load8Splat)?,
            Operator::V128Load16Splat { memarg } => self.load(V128, memarg, Op::V128Load16Splat)?,
            Operator::V128Load32Splat { memarg } => self.load(V128, memarg, Op::V128Load32Splat)?,
            Operator::V128Load64Splat { memarg } => self.load(V128, memarg, Op::V128Load64Splat)?,
            Operator::V128Load32Zero { memarg } => self.load(V128, memarg, Op::V128Load32Zero)?,
            Operator::V128Load64Zero { memarg } => self.load(V128, memarg, Op::V128Load64Zero)?,
            Operator::V128Store { memarg } => self.store(memarg, Op::V128Store)?,
            Operator::I8x16ExtractLaneS { lane } => {
                self.extract_lane(I32, lane, Op::I8x16ExtractLaneS)?
            }
            Operator::I8x16ExtractLaneU { lane } => {
                self.extract_lane(I32, lane, Op::I8x16ExtractLaneU)?
            }
            Operator::I8x16ReplaceLane { lane } => self.replace_lane(lane, Op::I8x16ReplaceLane)?,
            Operator::I16x8ExtractLaneS { lane } => {
                self.extract_lane(I32, lane, Op::I16x8ExtractLaneS)?
            }
            Operator::I16x8ExtractLaneU { lane } => {
                self.extract_lane(I32, lane, Op::I16x8ExtractLaneU)?
            }
            Operator::I16x8ReplaceLane { lane } => self.replace_lane(lane, Op::I16x8ReplaceLane)?,
            Operator::I32x4ExtractLane { lane } => {
                self.extract_lane(I32, lane, Op::I32x4ExtractLane)?
            }
            Operator::I32x4ReplaceLane { lane } => self.replace_lane(lane, Op::I32x4ReplaceLane)?,
            Operator::I64x2ExtractLane { lane } => {
                self.extract_lane(I64, lane, Op::I64x2ExtractLane)?
            }
            Operator::I64x2ReplaceLane { lane } => self.replace_lane(lane, Op::I64x2ReplaceLane)?,
            Operator::F32x4ExtractLane { lane } => {
                self.extract_lane(F32, lane, Op::F32x4ExtractLane)?
            }
            Operator::F32x4ReplaceLane { lane } => self.replace_lane(lane, Op::F32x4ReplaceLane)?,
            Operator::F64x2ExtractLane { lane } => {
                self.extract_lane(F64, lane, Op::F64x2ExtractLane)?
            }
            Operator::F64x2ReplaceLane { lane } => self.replace_lane(lane, Op::F64x2ReplaceLane)?,
            Operator::I8x16Swizzle => self.binary(V128, Op::I8x16Swizzle)?,
            Operator::I8x16Splat => self.unary(V128, Op::I8x16Splat)?,
            Operator::I16x8Splat => self.unary(V128, Op::I16x8Splat)?,
            Operator::I32x4Splat => self.unary(V128, Op::I32x4Splat)?,
            Operator::I64x2Splat => self.unary(V128, Op::I64x2Splat)?,
            Operator::F32x4Splat => self.unary(V128, Op::F32x4Splat)?,
            Operator::F64x2Splat => self.unary(V128, Op::F64x2Splat)?,
            Operator::I8x16Eq => self.binary(V128, Op::I8x16Eq)?,
            Operator::I8x16Ne => self.binary(V128, Op::I8x16Ne)?,
            Operator::I8x16LtS => self.binary(V128, Op::I8x16LtS)?,
            Operator::I8x16LtU => self.binary(V128, Op::I8x16LtU)?,
            Operator::I8x16GtS => self.binary(V128, Op::I8x16GtS)?,
            Operator::I8x16GtU => self.binary(V128, Op::I8x16GtU)?,
            Operator::I8x16LeS => self.binary(V128, Op::I8x16LeS)?,
            Operator::I8x16LeU => self.binary(V128, Op::I8x16LeU)?,
            Operator::I8x16GeS => self.binary(V128, Op::I8x16GeS)?,
            Operator::I8x16GeU => self.binary(V128, Op::I8x16GeU)?,
            Operator::I16x8Eq => self.binary(V128, Op::I16x8Eq)?,
            Operator::I16x8Ne => self.binary(V128, Op::I16x8Ne)?,
            Operator::I16x8LtS => self.binary(V128, Op::I16x8LtS)?,
            Operator::I16x8LtU => self.binary(V128, Op::I16x8LtU)?,
            Operator::I16x8GtS => self.binary(V128, Op::I16x8GtS)?,
            Operator::I16x8GtU => self.binary(V128, Op::I16x8GtU)?,
            Operator::I16x8LeS => self.binary(V128, Op::I16x8LeS)?,
            Operator::I16x8LeU => self.binary(V128, Op::I16x8LeU)?,
            Operator::I16x8GeS => self.binary(V128, Op::I16x8GeS)?,
            Operator::I16x8GeU => self.binary(V128, Op::I16x8GeU)?,
            Operator::I32x4Eq => self.binary(V128, Op::I32x4Eq)?,
            Operator::I32x4Ne => self.binary(V128, Op::I32x4Ne)?,
            Operator::I32x4LtS => self.binary(V128, Op::I32x4LtS)?,
            Operator::I32x4LtU => self.binary(V128, Op::I32x4LtU)?,
            Operator::I32x4GtS => self.binary(V128, Op::I32x4GtS)?,
            Operator::I32x4GtU => self.binary(V128, Op::I32x4GtU)?,
            Operator::I32x4LeS => self.binary(V128, Op::I32x4LeS)?,
            Operator::I32x4LeU => self.binary(V128, Op::I32x4LeU)?,
            Operator::I32x4GeS => self.binary(V128, Op::I32x4GeS)?,
            Operator::I32x4GeU => self.binary(V128, Op::I32x4GeU)?,
            Operator::I64x2Eq => self.binary(V128, Op::I64x2Eq)?,
            Operator::I64x2Ne => self.binary(V128, Op::I64x2Ne)?,
            Operator::I64x2LtS => self.binary(V128, Op::I64x2LtS)?,
            Operator::I64x2GtS => self.binary(V128, Op::I64x2GtS)?,
            Operator::I64x2LeS => self.binary(V128, Op::I64x2LeS)?,
            Operator::I64x2GeS => self.binary(V128, Op::I64x2GeS)?,
            Operator::F32x4Eq => self.binary(V128, Op::F32x4Eq)?,
            Operator::F32x4Ne => self.binary(V128, Op::F32x4Ne)?,
            Operator::F32x4Lt => self.binary(V128, Op::F32x4Lt)?,
            Operator::F32x4Gt => self.binary(V128, Op::F32x4Gt)?,
            Operator::F32x4Le => self.binary(V128, Op::F32x4Le)?,
            Operator::F32x4Ge => self.binary(V128, Op::F32x4Ge)?,
            Operator::F64x2Eq => self.binary(V128, Op::F64x2Eq)?,
            Operator::F64x2Ne => self.binary(V128, Op::F64x2Ne)?,
            Operator::F64x2Lt => self.binary(V128, Op::F64x2Lt)?,
            Operator::F64x2Gt => self.binary(V128, Op::F64x2Gt)?,
            Operator::F64x2Le => self.binary(V128, Op::F64x2Le)?,
            Operator::F64x2Ge => self.binary(V128, Op::F64x2Ge)?,
            Operator::V128Not => self.unary(V128, Op::V128Not)?,
            Operator::V128And => self.binary(V128, Op::V128And)?,
            Operator::V128AndNot => self.binary(V128, Op::V128AndNot)?,
            Operator::V128Or => self.binary(V128, Op::V128Or)?,
            Operator::V128Xor => self.binary(V128, Op::V128Xor)?,
            Operator::V128AnyTrue => self.unary(I32, Op::V128AnyTrue)?,
            Operator::I8x16Abs => self.unary(V128, Op::I8x16Abs)?,
            Operator::I8x16Neg => self.unary(V128, Op::I8x16Neg)?,
            Operator::I8x16Popcnt => self.unary(V128, Op::I8x16Popcnt)?,
            Operator::I8x16AllTrue => self.unary(I32, Op::I8x16AllTrue)?,
            Operator::I8x16Bitmask => self.unary(I32, Op::I8x16Bitmask)?,
            Operator::I8x16NarrowI16x8S => self.binary(V128, Op::I8x16NarrowI16x8S)?,
            Operator::I8x16NarrowI16x8U => self.binary(V128, Op::I8x16NarrowI16x8U)?,
            Operator::I8x16Shl => self.binary(V128, Op::I8x16Shl)?,
            Operator::I8x16ShrS => self.binary(V128, Op::I8x16ShrS)?,
            Operator::I8x16ShrU => self.binary(V128, Op::I8x16ShrU)?,
            Operator::I8x16Add => self.binary(V128, Op::I8x16Add)?,
            Operator::I8x16AddSatS => self.binary(V128, Op::I8x16AddSatS)?,
            Operator::I8x16AddSatU => self.binary(V128, Op::I8x16AddSatU)?,
            Operator::I8x16Sub => self.binary(V128, Op::I8x16Sub)?,
            Operator::I8x16SubSatS => self.binary(V128, Op::I8x16SubSatS)?,
            Operator::I8x16SubSatU => self.binary(V128, Op::I8x16SubSatU)?,
            Operator::I8x16MinS => self.binary(V128, Op::I8x16MinS)?,
            Operator::I8x16MinU => self.binary(V128, Op::I8x16MinU)?,
            Operator::I8x16MaxS => self.binary(V128, Op::I8x16MaxS)?,
            Operator::I8x16MaxU => self.binary(V128, Op::I8x16MaxU)?,
            Operator::I8x16AvgrU => self.binary(V128, Op::I8x16AvgrU)?,
            Operator::I16x8ExtAddPairwiseI8x16S => {
                self.unary(V128, Op::I16x8ExtAddPairwiseI8x16S)?
            }
            Operator::I16x8ExtAddPairwiseI8x16U => {
                self.unary(V128, Op::I16x8ExtAddPairwiseI8x16U)?
            }
            Operator::I16x8Abs => self.unary(V128, Op::I16x8Abs)?,
            Operator::I16x8Neg => self.unary(V128, Op::I16x8Neg)?,
            Operator::I16x8Q15MulrSatS => self.binary(V128, Op::I16x8Q15MulrSatS)?,
            Operator::I16x8AllTrue => self.unary(I32, Op::I16x8AllTrue)?,
            Operator::I16x8Bitmask => self.unary(I32, Op::I16x8Bitmask)?,
            Operator::I16x8NarrowI32x4S => self.binary(V128, Op::I16x8NarrowI32x4S)?,
            Operator::I16x8NarrowI32x4U => self.binary(V128, Op::I16x8NarrowI32x4U)?,
            Operator::I16x8ExtendLowI8x16S => self.unary(V128, Op::I16x8ExtendLowI8x16S)?,
            Operator::I16x8ExtendHighI8x16S => self.unary(V128, Op::I16x8ExtendHighI8x16S)?,
            Operator::I16x8ExtendLowI8x16U => self.unary(V128, Op::I16x8ExtendLowI8x16U)?,
            Operator::I16x8ExtendHighI8x16U => self.unary(V128, Op::I16x8ExtendHighI8x16U)?,
            Operator::I16x8Shl => self.binary(V128, Op::I16x8Shl)?,
            Operator::I16x8ShrS => self.binary(V128, Op::I16x8ShrS)?,
            Operator::I16x8ShrU => self.binary(V128, Op::I16x8ShrU)?,
            Operator::I16x8Add => self.binary(V128, Op::I16x8Add)?,
            Operator::I16x8AddSatS => self.binary(V128, Op::I16x8AddSatS)?,
            Operator::I16x8AddSatU => self.binary(V128, Op::I16x8AddSatU)?,
            Operator::I16x8Sub => self.binary(V128, Op::I16x8Sub)?,
            Operator::I16x8SubSatS => self.binary(V128, Op::I16x8SubSatS)?,
            Operator::I16x8SubSatU => self.binary(V128, Op::I16x8SubSatU)?,
            Operator::I16x8Mul => self.binary(V128, Op::I16x8Mul)?,
            Operator::I16x8MinS => self.binary(V128, Op::I16x8MinS)?,
            Operator::I16x8MinU => self.binary(V128, Op::I16x8MinU)?,
            Operator::I16x8MaxS => self.binary(V128, Op::I16x8MaxS)?,
            Operator::I16x8MaxU => self.binary(V128, Op::I16x8MaxU)?,
            Operator::I16x8AvgrU => self.binary(V128, Op::I16x8AvgrU)?,
            Operator::I16x8ExtMulLowI8x16S => self.binary(V128, Op::I16x8ExtMulLowI8x16S)?,
            Operator::I16x8ExtMulHighI8x16S => self.binary(V128, Op::I16x8ExtMulHighI8x16S)?,
            Operator::I16x8ExtMulLowI8x16U => self.binary(V128, Op::I16x8ExtMulLowI8x16U)?,
            Operator::I16x8ExtMulHighI8x16U => self.binary(V128, Op::I16x8ExtMulHighI8x16U)?,
            Operator::I32x4ExtAddPairwiseI16x8S => {
                self.unary(V128, Op::I32x4ExtAddPairwiseI16x8S)?
            }
            Operator::I32x4ExtAddPairwiseI16x8U => {
                self.unary(V128, Op::I32x4ExtAddPairwiseI16x8U)?
            }
            Operator::I32x4Abs => self.unary(V128, Op::I32x4Abs)?,
            Operator::I32x4Neg => self.unary(V128, Op::I32x4Neg)?,
            Operator::I32x4AllTrue => self.unary(I32, Op::I32x4AllTrue)?,
            Operator::I32x4Bitmask => self.unary(I32, Op::I32x4Bitmask)?,
            Operator::I32x4ExtendLowI16x8S => self.unary(V128, Op::I32x4ExtendLowI16x8S)?,
            Operator::I32x4ExtendHighI16x8S => self.unary(V128, Op::I32x4ExtendHighI16x8S)?,
            Operator::I32x4ExtendLowI16x8U => self.unary(V128, Op::I32x4ExtendLowI16x8U)?,
            Operator::I32x4ExtendHighI16x8U => self.unary(V128, Op::I32x4ExtendHighI16x8U)?,
            Operator::I32x4Shl => self.binary(V128, Op::I32x4Shl)?,
            Operator::I32x4ShrS => self.binary(V128, Op::I32x4ShrS)?,
            Operator::I32x4ShrU => self.binary(V128, Op::I32x4ShrU)?,
            Operator::I32x4Add => self.binary(V128, Op::I32x4Add)?,
            Operator::I32x4Sub => self.binary(V128, Op::I32x4Sub)?,
            Operator::I32x4Mul => self.binary(V128, Op::I32x4Mul)?,
            Operator::I32x4MinS => self.binary(V128, Op::I32x4MinS)?,
            Operator::I32x4MinU => self.binary(V128, Op::I32x4MinU)?,
            Operator::I32x4MaxS => self.binary(V128, Op::I32x4MaxS)?,
            Operator::I32x4MaxU => self.binary(V128, Op::I32x4MaxU)?,
            Operator::I32x4DotI16x8S => self.binary(V128, Op::I32x4DotI16x8S)?,
            Operator::I32x4ExtMulLowI16x8S => self.binary(V128, Op::I32x4ExtMulLowI16x8S)?,
            Operator::I32x4ExtMulHighI16x8S => self.binary(V128, Op::I32x4ExtMulHighI16x8S)?,
            Operator::I32x4ExtMulLowI16x8U => self.binary(V128, Op::I32x4ExtMulLowI16x8U)?,
            Operator::I32x4ExtMulHighI16x8U => self.binary(V128, Op::I32x4ExtMulHighI16x8U)?,
            Operator::I64x2Abs => self.unary(V128, Op::I64x2Abs)?,
            Operator::I64x2Neg => self.unary(V128, Op::I64x2Neg)?,
            Operator::I64x2AllTrue => self.unary(I32, Op::I64x2AllTrue)?,
            Operator::I64x2Bitmask => self.unary(I32, Op::I64x2Bitmask)?,
            Operator::I64x2ExtendLowI32x4S => self.unary(V128, Op::I64x2ExtendLowI32x4S)?,
            Operator::I64x2ExtendHighI32x4S => self.unary(V128, Op::I64x2ExtendHighI32x4S)?,
            Operator::I64x2ExtendLowI32x4U => self.unary(V128, Op::I64x2ExtendLowI32x4U)?,
            Operator::I64x2ExtendHighI32x4U => self.unary(V128, Op::I64x2ExtendHighI32x4U)?,
            Operator::I64x2Shl => self.binary(V128, Op::I64x2Shl)?,
            Operator::I64x2ShrS => self.binary(V128, Op::I64x2ShrS)?,
            Operator::I64x2ShrU => self.binary(V128, Op::I64x2ShrU)?,
            Operator::I64x2Add => self.binary(V128, Op::I64x2Add)?,
            Operator::I64x2Sub => self.binary(V128, Op::I64x2Sub)?,
            Operator::I64x2Mul => self.binary(V128, Op::I64x2Mul)?,
            Operator::I64x2ExtMulLowI32x4S => self.binary(V128, Op::I64x2ExtMulLowI32x4S)?,
            Operator::I64x2ExtMulHighI32x4S => self.binary(V128, Op::I64x2ExtMulHighI32x4S)?,
            Operator::I64x2ExtMulLowI32x4U => self.binary(V128, Op::I64x2ExtMulLowI32x4U)?,
            Operator::I64x2ExtMulHighI32x4U => self.binary(V128, Op::I64x2ExtMulHighI32x4U)?,
            Operator::F32x4Ceil => self.unary(V128, Op::F32x4Ceil)?,
            Operator::F32x4Floor => self.unary(V128, Op::F32x4Floor)?,
            Operator::F32x4Trunc => self.unary(V128, Op::F32x4Trunc)?,
            Operator::F32x4Nearest => self.unary(V128, Op::F32x4Nearest)?,
            Operator::F32x4Abs => self.unary(V128, Op::F32x4Abs)?,
            Operator::F32x4Neg => self.unary(V128, Op::F32x4Neg)?,
            Operator::F32x4Sqrt => self.unary(V128, Op::F32x4Sqrt)?,
            Operator::F32x4Add => self.binary(V128, Op::F32x4Add)?,
            Operator::F32x4Sub => self.binary(V128, Op::F32x4Sub)?,
            Operator::F32x4Mul => self.binary(V128, Op::F32x4Mul)?,
            Operator::F32x4Div => self.binary(V128, Op::F32x4Div)?,
            Operator::F32x4Min => self.binary(V128, Op::F32x4Min)?,
            Operator::F32x4Max => self.binary(V128, Op::F32x4Max)?,
            Operator::F32x4PMin => self.binary(V128, Op::F32x4PMin)?,
            Operator::F32x4PMax => self.binary(V128, Op::F32x4PMax)?,
            Operator::F64x2Ceil => self.unary(V128, Op::F64x2Ceil)?,
            Operator::F64x2Floor => self.unary(V128, Op::F64x2Floor)?,
            Operator::F64x2Trunc => self.unary(V128, Op::F64x2Trunc)?,
            Operator::F64x2Nearest => self.unary(V128, Op::F64x2Nearest)?,
            Operator::F64x2Abs => self.unary(V128, Op::F64x2Abs)?,
            Operator::F64x2Neg => self.unary(V128, Op::F64x2Neg)?,
            Operator::F64x2Sqrt => self.unary(V128, Op::F64x2Sqrt)?,
            Operator::F64x2Add => self.binary(V128, Op::F64x2Add)?,
            Operator::F64x2Sub => self.binary(V128, Op::F64x2Sub)?,
            Operator::F64x2Mul => self.binary(V128, Op::F64x2Mul)?,
            Operator::F64x2Div => self.binary(V128, Op::F64x2Div)?,
            Operator::F64x2Min => self.binary(V128, Op::F64x2Min)?,
            Operator::F64x2Max => self.binary(V128, Op::F64x2Max)?,
            Operator::F64x2PMin => self.binary(V128, Op::F64x2PMin)?,
            Operator::F64x2PMax => self.binary(V128, Op::F64x2PMax)?,
            Operator::I32x4TruncSatF32x4S => self.unary(V128, Op::I32x4TruncSatF32x4S)?,
            Operator::I32x4TruncSatF32x4U => self.unary(V128, Op::I32x4TruncSatF32x4U)?,
            Operator::F32x4ConvertI32x4S => self.unary(V128, Op::F32x4ConvertI32x4S)?,
            Operator::F32x4ConvertI32x4U => self.unary(V128, Op::F32x4ConvertI32x4U)?,
            Operator::I32x4TruncSatF64x2SZero => self.unary(V128, Op::I32x4TruncSatF64x2SZero)?,
            Operator::I32x4TruncSatF64x2UZero => self.unary(V128, Op::I32x4TruncSatF64x2UZero)?,
            Operator::F64x2ConvertLowI32x4S => self.unary(V128, Op::F64x2ConvertLowI32x4S)?,
            Operator::F64x2ConvertLowI32x4U => self.unary(V128, Op::F64x2ConvertLowI32x4U)?,
            Operator::F32x4DemoteF64x2Zero => self.unary(V128, Op::F32x4DemoteF64x2Zero)?,
            Operator::F64x2PromoteLowF32x4 => self.unary(V128, Op::F64x2PromoteLowF32x4)?,
            other => {
                let name = format!("{other:?}");
                let name = name.split([' ', '{', '(']).next().unwrap_or("?");
                return Err(self.err(format!("instruction {name} is not supported yet")));
            }
        }
        Ok(())
    }

    /// Emits the charge for the operators counted since the last one. If the last instruction
    /// is a comparison a branch may still fuse with, the charge goes before it instead (it
    /// only touches the fuel counter, and a comparison cannot trap or be a branch target
    /// that skips the charge: labels start regions, which begin with nothing counted).
    fn charge_fuel(&mut self, amount: u32) {
        let fusable = self.last_result;
        let pc = self.emit(Op::Fuel(Amount { amount }));
        if let Some(prev) = fusable
            && prev + 1 == pc
            && self.ops[prev]
                .fuse_compare_branch(false, BranchOffset(0))
                .is_some()
        {
            self.ops.swap(prev, pc);
            self.offsets.swap(prev, pc);
            self.last_result = Some(pc);
        }
    }

    /// The `if` consumed its condition before `enter`; keep the fusion chance only if the
    /// condition is still the value the last instruction produced.
    fn last_result_before_enter(&self, cond: Entry) -> Option<usize> {
        let pc = self.ops.len().checked_sub(1)?;
        let mut op = self.ops[pc];
        (cond.loc == Loc::Home && op.result_mut().map(|d| d.0) == Some(cond.home)).then_some(pc)
    }

    fn check_memory(&self, mem: u32) -> Result<(), LowerError> {
        if mem != 0 {
            return Err(self.err("multiple memories are not supported"));
        }
        Ok(())
    }

    fn global_type(&self, index: u32) -> Result<ValType, LowerError> {
        self.module
            .globals
            .get(index as usize)
            .map(|g| g.content)
            .ok_or_else(|| self.err(format!("unknown global {index}")))
    }

    fn table_type(&self, index: u32) -> Result<ValType, LowerError> {
        self.module
            .tables
            .get(index as usize)
            .map(|t| t.element.into())
            .ok_or_else(|| self.err(format!("unknown table {index}")))
    }

    fn finish(mut self) -> Result<Function, LowerError> {
        let num_consts = self.consts.len() as u32;
        let temps_base = self.num_local_slots + num_consts;
        let frame_size = temps_base as u64 + self.max_slots as u64;
        if frame_size > MAX_FRAME_SLOTS as u64 {
            return Err(self.err("function frame too large"));
        }
        let locals_base = self.num_local_slots;
        for op in self.ops.iter_mut() {
            op.visit_slots(&mut |s| {
                if s.0 & TEMP != 0 {
                    s.0 = temps_base + (s.0 & !TEMP);
                } else if s.0 & CONST != 0 {
                    s.0 = locals_base + (s.0 & INDEX_MASK);
                }
            });
        }
        thread_jumps(&mut self.ops);
        invert_back_branches(&mut self.ops);
        fuse_add_branches(&mut self.ops);
        fuse_pairs(&mut self.ops);
        let mut init = vec![0u64; (self.num_local_slots - self.num_param_slots) as usize];
        init.extend_from_slice(&self.consts);
        let num_result_slots = self.ty.results().iter().map(|t| width(*t)).sum();
        Ok(Function {
            index: 0,
            ty: self.ty,
            ops: self.ops.into_boxed_slice(),
            offsets: self.offsets.into_boxed_slice(),
            alignments: self.alignments.into_boxed_slice(),
            num_param_slots: self.num_param_slots,
            num_local_slots: self.num_local_slots,
            num_result_slots,
            init: init.into_boxed_slice(),
            frame_size: frame_size as u32,
        })
    }
}

/// An `i32.add` right before an i32 conditional branch becomes the instruction that runs
/// both (`Op::fuse_add_branch`): a loop's counter step and exit test in one dispatch. The
/// branch stays in place, so code that jumps to it directly is unchanged.
fn fuse_add_branches(ops: &mut [Op]) {
    for pc in 1..ops.len() {
        if let Some(fused) = ops[pc - 1].fuse_add_branch(&ops[pc]) {
            ops[pc - 1] = fused;
        }
    }
}

/// Frequent pairs of instructions become one instruction that runs both
/// (`Op::fuse_pair`), left to right without overlap: the second of a pair stays a plain
/// instruction, so the first's check of what follows it holds.
fn fuse_pairs(ops: &mut [Op]) {
    let mut pc = 1;
    while pc < ops.len() {
        if let Some(fused) = ops[pc - 1].fuse_pair(&ops[pc]) {
            ops[pc - 1] = fused;
            pc += 1;
        }
        pc += 1;
    }
}

/// Calls `f(ops, pc, branch)` for every `br` that is not one of a `br_table`'s entries (which
/// must stay unconditional jumps), in order; `f` may rewrite `ops[pc]`.
fn for_each_plain_br(ops: &mut [Op], mut f: impl FnMut(&mut [Op], usize, Branch)) {
    let mut table_entries = 0usize;
    for pc in 0..ops.len() {
        if table_entries > 0 {
            table_entries -= 1;
            continue;
        }
        match ops[pc] {
            Op::BrTable(t) => table_entries = t.len as usize,
            Op::Br(b) => f(ops, pc, b),
            _ => {}
        }
    }
}

/// Jump threading, as a peephole on finished code: a `br` whose target (after following
/// any `br`s there, a few at most) is a `return` becomes that `return`, since the values it
/// returns were moved into place before the `br`; a `br` to a `br` goes straight to where the
/// second one leads. (The `if` arms of a function that meet at its end now return from each
/// arm, one dispatch fewer.) Nothing is skipped: a `br` does nothing but jump, and metering's
/// charges, checks and listener hooks are instructions of their own, which a `br` landing on
/// them is not threaded through.
fn thread_jumps(ops: &mut [Op]) {
    for_each_plain_br(ops, |ops, pc, _| {
        let mut target = pc;
        for _ in 0..8 {
            match ops.get(target) {
                Some(Op::Br(b)) => target = b.offset.target(target),
                _ => break,
            }
        }
        match ops.get(target) {
            Some(&Op::Return(r)) => ops[pc] = Op::Return(r),
            // A cycle of `br`s (or a long chain): left alone.
            Some(Op::Br(_)) | None => {}
            Some(_) => {
                let offset = BranchOffset((target as i64 - pc as i64) as i32);
                ops[pc] = Op::Br(Branch { offset });
            }
        }
    });
}

/// Loop inversion, as a peephole on finished code: a `br` to a conditional branch whose
/// taken target is the instruction right after the `br` (a loop whose exit test is at its
/// top, closed by `br` just before its block's end) becomes that condition negated,
/// branching to the instruction after the test. Same length, same behaviour, one dispatch
/// per iteration instead of two.
fn invert_back_branches(ops: &mut [Op]) {
    for_each_plain_br(ops, |ops, pc, b| {
        let test = b.offset.target(pc);
        let Some(op) = ops.get(test) else { return };
        if op.conditional_target(test) != Some(pc + 1) {
            return;
        }
        let past_test = BranchOffset((test as i64 + 1 - pc as i64) as i32);
        if let Some(inverted) = op.negated_branch(past_test) {
            ops[pc] = inverted;
        }
    });
}
