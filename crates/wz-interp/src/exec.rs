//! The dispatch loop, and the interpreter's one `unsafe` module (with its child `fast`).
//!
//! The loop runs calls, returns and the instructions that reach the environment; every other
//! instruction runs in `fast`'s chain of per-instruction handlers, which the loop enters and
//! which returns to it (see that module). Both are written with the macros of `accessors!`.
//!
//! The loop and the handlers read operands and instructions without bounds checks. That is sound because
//! every function it runs is a [`Code`], checked once by [`wz_ir::Function::verify`] when it
//! was made:
//!
//! - every slot operand is below the function's `frame_size`, and every frame is reserved with
//!   [`SPARE_SLOTS`] cells past its `frame_size`, which covers the second cell of a `v128` and
//!   the consecutive operands of `memory.fill` and the like; spans (`return`, `copy_span`) end
//!   inside the frame;
//! - every branch target is an instruction of the function, `br_table` entries exist, and the
//!   last instruction does not fall through, so the instruction pointer stays in the function
//!   (and a fused instruction, never the last, can read the one after it);
//! - frames point at their function's `Code` without a reference count: `invoke`'s caller
//!   keeps the first alive, and [`Env`] promises the same for every callee and for the
//!   function lists it hands out (`Env::defined_functions`), until `invoke` returns;
//! - instructions are `repr(u16)` with their `Opcode` first, which indexes the handler table;
//! - `regs` (the frame's first cell) is recomputed after anything that can move the slot
//!   array (a frame push, in the loop or in a handler; a host call) and `mem`/`mem_len` (memory 0 of the current instance)
//!   after anything that can move, resize or replace that memory (entering another instance,
//!   a host call, `memory.grow`, `memory.init`, listener hooks). Memory accesses are still
//!   checked against `mem_len`.

use std::ops::Deref;
use std::sync::Arc;

use wz_ir::op::*;
use wz_ir::{Function, LowerError, TrapCode};

use crate::env::{Callee, Env};
use crate::num;
use crate::simd::float::{FloatLane, pmax, pmin};
use crate::simd::{
    self, all_true, bitmask, cmp, convert, convert2, get, map, narrow, pairwise, replace, splat,
    zip,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bounds on the interpreter's stack; exceeding either traps with
/// [`TrapCode::StackOverflow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackLimits {
    /// The most 64-bit value slots all active frames may use together.
    pub max_slots: usize,
    /// The most nested calls.
    pub max_frames: usize,
}

impl Default for StackLimits {
    fn default() -> Self {
        StackLimits {
            max_slots: 1 << 20,
            max_frames: 100_000,
        }
    }
}

/// Cells every frame has past its `frame_size`: the highest extra cell an instruction reads
/// from one slot operand is its third (`memory.fill`, `table.copy` and the like take three
/// consecutive operands; a `v128` takes two cells).
const SPARE_SLOTS: usize = 2;

/// A function body the interpreter has checked ([`Function::verify`]) and can run; it
/// dereferences to the [`Function`].
///
/// ```
/// use wz_binary::{Features, Module};
///
/// let wasm = wat::parse_str("(module (func (result i32) i32.const 7))").unwrap();
/// let module = Module::decode(&wasm, Features::default()).unwrap();
/// let mut func = wz_ir::lower_function(&module, 0).unwrap();
/// let code = wz_interp::Code::new(func.clone()).unwrap();
/// assert_eq!(code.num_result_slots, 1);
///
/// func.ops = Box::new([]); // no instructions: refused
/// assert!(wz_interp::Code::new(func).is_err());
/// ```
#[derive(Debug)]
pub struct Code {
    func: Function,
    /// `func.ops`, each with the handler that runs it in the chain (see `fast`).
    insts: Box<[Inst]>,
}

impl Code {
    /// Checks `func` ([`Function::verify`]) and wraps it.
    pub fn new(func: Function) -> Result<Code, LowerError> {
        func.verify()?;
        let acc_in = accumulator_operands(&func.ops);
        // Instructions since the last one whose handler checks the stack (see `fast`).
        let mut unchecked = 0;
        let ops = &func.ops;
        let insts = (0..ops.len())
            .map(|pc| {
                let op = ops[pc];
                let mut handler = fast::handler(op, acc_in[pc]);
                // The second of a fused pair mostly runs inside the first's handler, so a
                // checkpoint goes elsewhere.
                let absorbed = pc > 0 && fuses(ops[pc - 1], op);
                if fast::checks_stack(op.code()) {
                    unchecked = 0;
                } else if unchecked + 1 >= fast::CHECKPOINT_EVERY && !absorbed {
                    handler = fast::checkpoint;
                    unchecked = 0;
                } else {
                    unchecked += 1;
                }
                Inst { handler, op }
            })
            .collect();
        Ok(Code { func, insts })
    }
}

/// Which operand of each instruction its handler can take from the accumulator instead of
/// its slot: 1 for the first, 2 for the second (as [`acc_operands`] orders them), 0 for none.
///
/// Every slot write also leaves the value in the accumulator, which the chain passes from
/// handler to handler in a register; an operand read from there does not wait for the
/// previous instruction's store to reach memory. That is valid only where the accumulator
/// surely holds that slot: when the instruction runs only right after the one before it
/// (it is no branch target or `br_table` entry), and every handler that can run that one
/// leaves the slot there ([`produces`] for one instruction, [`pair_produces`] for a fused
/// pair ending with it).
fn accumulator_operands(ops: &[Op]) -> Vec<u8> {
    let n = ops.len();
    let mut entered = vec![false; n];
    for (pc, op) in ops.iter().enumerate() {
        let mut op = *op;
        op.visit_branches(&mut |b| {
            if let Some(t) = entered.get_mut(b.target(pc)) {
                *t = true;
            }
        });
        if let Op::BrTable(t) = op {
            for e in entered.iter_mut().skip(pc + 1).take(t.len as usize) {
                *e = true;
            }
        }
    }
    let mut out = vec![0; n];
    for j in 1..n {
        if entered[j] {
            continue;
        }
        // The handlers that can run right before `j`: a fused pair ending at `j - 1`, and
        // `j - 1` on its own unless it is surely that pair's second half.
        let pair = j >= 2 && fuses(ops[j - 2], ops[j - 1]);
        let produced = if pair {
            let both = pair_produces(ops[j - 2], ops[j - 1]);
            if entered[j - 1] && produces(ops[j - 1]) != both {
                continue;
            }
            both
        } else {
            produces(ops[j - 1])
        };
        let Some(s) = produced else {
            continue;
        };
        let [first, second] = acc_operands(ops[j]);
        out[j] = if first == Some(s) {
            1
        } else if second == Some(s) {
            2
        } else {
            0
        };
    }
    out
}

/// For each opcode that is the first of a fused pair (named `first+second`), the opcode of
/// the second, which its handler runs too when it follows; read from the names once.
static PARTNERS: std::sync::LazyLock<Box<[Option<Opcode>]>> = std::sync::LazyLock::new(|| {
    let ops = every_opcode();
    let by_name: std::collections::HashMap<&str, Opcode> =
        ops.iter().map(|op| (op.mnemonic(), op.code())).collect();
    ops.iter()
        .map(|op| {
            let (_, second) = op.mnemonic().split_once('+')?;
            by_name.get(second).copied()
        })
        .collect()
});

/// One instruction of each opcode, in opcode order, with all-zero operands (every operand
/// field decodes from zero bytes).
fn every_opcode() -> Vec<Op> {
    (0..Op::COUNT as u16)
        .map(|code| {
            let mut bytes = code.to_le_bytes().to_vec();
            bytes.resize(64, 0);
            Op::decode(&mut &bytes[..]).expect("every opcode decodes")
        })
        .collect()
}

/// Whether `op` is the first of a fused pair, whose handler may run the instruction after it
/// too.
fn is_fused(op: Op) -> bool {
    PARTNERS[op.opcode() as usize].is_some()
}

/// Whether `first`'s handler runs `second` too (when `second` follows it): `first` is a
/// fused pair `a+b` and `second` is a `b`.
fn fuses(first: Op, second: Op) -> bool {
    PARTNERS[first.opcode() as usize] == Some(second.code())
}

/// The slot a fused pair's handler leaves in the accumulator after running both: its
/// second instruction's result, or the first's when the second has none (a store or a
/// branch, not taken).
fn pair_produces(mut first: Op, mut second: Op) -> Option<Slot> {
    if !fast::IN_CHAIN[first.opcode() as usize] {
        return None;
    }
    second.result_mut().or(first.result_mut()).map(|s| *s)
}

/// The slot whose value `op`'s handler leaves in the accumulator when it continues with the
/// next instruction: the result of a plain `dst = f(operands)` instruction the chain runs
/// (its last write; `v128` results write their low cell last). A group of `copy`
/// instructions runs in one handler, whose last write is the last copy's, so each `copy`
/// still qualifies.
fn produces(mut op: Op) -> Option<Slot> {
    if !fast::IN_CHAIN[op.opcode() as usize] || is_fused(op) {
        return None;
    }
    op.result_mut().map(|s| *s)
}

/// The first two slot operands of `op` after its result, in field order: `lhs`, `rhs` of a
/// binary instruction, `src` of a unary one, `addr` and `value` of loads and stores, `base`
/// and `index` of the `.sum` forms, `cond` of `br_if`. These are the operands the shared
/// instruction macros read with `in1!` and `in2!`; a handler that reads an operand
/// otherwise reads its slot, which is always right.
fn acc_operands(mut op: Op) -> [Option<Slot>; 2] {
    // The result, when there is one, is the first field.
    let skip = op.result_mut().is_some() as usize;
    let mut slots = [None; 2];
    let mut i: usize = 0;
    op.visit_slots(&mut |s| {
        if let Some(cell) = i.checked_sub(skip).and_then(|k| slots.get_mut(k)) {
            *cell = Some(*s);
        }
        i += 1;
    });
    slots
}

/// An instruction as the interpreter runs it: its handler in the chain next to it, so that
/// moving on to an instruction takes one load of its handler (see `fast`).
#[derive(Debug, Clone, Copy)]
struct Inst {
    handler: fast::Handler,
    op: Op,
}

impl Deref for Code {
    type Target = Function;

    fn deref(&self) -> &Function {
        &self.func
    }
}

/// An active call: which function, where it resumes, where its slots start.
#[derive(Debug)]
struct Frame {
    /// The running function. It stays alive until `invoke` returns: `invoke`'s caller holds
    /// the first one, and [`Env`] promises the same for every callee it hands out.
    func: *const Code,
    /// Where to continue when this frame is resumed (while it runs: not kept up to date).
    ip: *const Inst,
    base: usize,
    instance: u32,
}

impl Frame {
    fn code(&self) -> &Code {
        // SAFETY: see the `func` field: the function outlives the frame, which exists only
        // while `invoke` runs (frames are cleared when it fails or starts).
        unsafe { &*self.func }
    }

    /// The index in `ops` of the instruction `ip` points at.
    fn pc(&self) -> usize {
        (self.ip as usize).wrapping_sub(self.code().insts.as_ptr() as usize) / size_of::<Inst>()
    }
}

/// A frame kept for [`Stack::trace`] after a failed call.
#[derive(Debug)]
struct TraceEntry {
    func: Arc<Code>,
    pc: usize,
    instance: u32,
}

/// One frame of [`Stack::trace`].
#[derive(Debug, Clone, Copy)]
pub struct TraceFrame<'a> {
    /// The instance the function ran in.
    pub instance: u32,
    /// The function.
    pub func: &'a Arc<Code>,
    /// The instruction it was executing (an index into `func.ops` and `func.offsets`).
    pub pc: usize,
}

impl TraceFrame<'_> {
    /// The byte offset in the module of the wasm instruction the frame was executing.
    pub fn module_offset(&self) -> Option<u32> {
        self.func.offsets.get(self.pc).copied()
    }
}

/// The interpreter's value slots and call frames, reused from call to call.
#[derive(Debug, Default)]
pub struct Stack {
    slots: Vec<u64>,
    frames: Vec<Frame>,
    trace: Vec<TraceEntry>,
    limits: StackLimits,
}

// SAFETY: the only non-`Send`/`Sync` parts are the frames' pointers to `Code` (itself `Send`
// and `Sync`) and to its instructions. They are dereferenced only inside `invoke`, which
// holds the stack mutably, and only while the functions they point to are alive; between
// calls no frame is left (a returning call pops them all, a failing one moves them to the
// trace as owned `Arc`s, and `invoke` clears any left by a panic before it starts).
unsafe impl Send for Stack {}
// SAFETY: as above; a shared `&Stack` reads only the limits and the owned trace.
unsafe impl Sync for Stack {}

impl Stack {
    /// An empty stack with the given limits.
    pub fn new(limits: StackLimits) -> Self {
        Stack {
            slots: Vec::new(),
            frames: Vec::new(),
            trace: Vec::new(),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> StackLimits {
        self.limits
    }

    /// After [`invoke`] failed: the wasm frames that were active, innermost first, each with
    /// the instruction it was executing (the failing one, or the call it was waiting on).
    /// Empty after a call that returned.
    pub fn trace(&self) -> impl ExactSizeIterator<Item = TraceFrame<'_>> + '_ {
        self.trace.iter().map(|t| TraceFrame {
            instance: t.instance,
            func: &t.func,
            pc: t.pc,
        })
    }

    /// Drops the frames [`Stack::trace`] lists.
    pub fn clear_trace(&mut self) {
        self.trace.clear();
    }

    /// Ends a failed call: the innermost frame failed at `ip`; the frames move to the trace.
    #[cold]
    fn fail(&mut self, ip: *const Inst) {
        if let Some(frame) = self.frames.last_mut() {
            frame.ip = ip;
        }
        let last = self.frames.len().wrapping_sub(1);
        self.trace.clear();
        for (i, frame) in self.frames.iter().enumerate().rev() {
            // SAFETY: `frame.func` came from `Arc::as_ptr` of an `Arc<Code>` that is still
            // alive (see `Frame::func`); taking one more count and building an `Arc` from the
            // pointer yields an owned clone of it.
            let func = unsafe {
                Arc::increment_strong_count(frame.func);
                Arc::from_raw(frame.func)
            };
            // Callers are saved at the instruction after their call.
            let pc = if i == last {
                frame.pc()
            } else {
                frame.pc().saturating_sub(1)
            };
            self.trace.push(TraceEntry {
                func,
                pc,
                instance: frame.instance,
            });
        }
        self.frames.clear();
    }

    #[cold]
    fn grow(&mut self, end: usize) -> Result<(), TrapCode> {
        if end > self.limits.max_slots {
            return Err(TrapCode::StackOverflow);
        }
        // At least `end` (which is within the limit), doubling, never past the limit (which
        // may be below the 256-cell minimum a stack otherwise starts with).
        let new_len = end
            .max(self.slots.len() * 2)
            .max(256)
            .min(self.limits.max_slots);
        self.slots.resize(new_len, 0);
        Ok(())
    }

    /// Makes the slot array at least `end` cells long, within the limits.
    #[inline(always)]
    fn reserve(&mut self, end: usize) -> Result<(), TrapCode> {
        // `slots.len()` never exceeds `max_slots`.
        if end > self.slots.len() {
            self.grow(end)?;
        }
        Ok(())
    }

    /// The chain's call (see `fast`): [`Stack::push_frame`] that also records where the
    /// caller resumes, but gives `None` where `push_frame` would grow the frame list or the
    /// slot array or fail at the frame limit, keeping those calls out of the handler; the
    /// loop then makes the call with `push_frame`.
    #[inline(always)]
    fn try_push_call(
        &mut self,
        func: *const Code,
        base: usize,
        instance: u32,
        resume: *const Inst,
    ) -> Option<*const Inst> {
        // SAFETY: the caller passes a live function (see `Frame::func`).
        let code = unsafe { &*func };
        let n = self.frames.len();
        if n == 0
            || n >= self.frames.capacity()
            || n >= self.limits.max_frames
            || base + code.frame_size as usize + SPARE_SLOTS > self.slots.len()
        {
            return None;
        }
        // SAFETY: frame `n - 1` exists; the checks above are `write_frame`'s contract.
        unsafe {
            (*self.frames.as_mut_ptr().add(n - 1)).ip = resume;
            Some(self.write_frame(func, base, instance))
        }
    }

    /// Pushes a frame for `func` (from `Arc::as_ptr`, kept alive as `Frame::func` says) at
    /// `base`, whose parameters are already in place; returns its first instruction.
    #[inline(always)]
    fn push_frame(
        &mut self,
        func: *const Code,
        base: usize,
        instance: u32,
    ) -> Result<*const Inst, TrapCode> {
        if self.frames.len() >= self.limits.max_frames {
            return Err(TrapCode::StackOverflow);
        }
        // SAFETY: the caller passes a live function (see `Frame::func`).
        let code = unsafe { &*func };
        self.reserve(base + code.frame_size as usize + SPARE_SLOTS)?;
        self.frames.reserve(1);
        // SAFETY: room for the frame and its slots was just made.
        Ok(unsafe { self.write_frame(func, base, instance) })
    }

    /// Writes the initial cells of `func`'s frame at `base` and pushes the frame; returns its
    /// first instruction.
    ///
    /// # Safety
    /// `func` must be live (see `Frame::func`), the slot array must hold
    /// `base + frame_size` cells and the frame list must have room for one more frame.
    #[inline(always)]
    unsafe fn write_frame(&mut self, func: *const Code, base: usize, instance: u32) -> *const Inst {
        // SAFETY: the caller passes a live function.
        let code = unsafe { &*func };
        let init: &[u64] = &code.init;
        let ip = code.insts.as_ptr();
        let n = self.frames.len();
        // SAFETY: `Code::new` verified that the parameters and `init` fit in `frame_size`
        // cells, which the slot array holds from `base`; frame `n` is within the list's
        // capacity, so writing it and then counting it is in bounds (`Frame` has no
        // destructor to skip).
        unsafe {
            let cells = self
                .slots
                .as_mut_ptr()
                .add(base + code.num_param_slots as usize);
            if init.len() <= 8 {
                copy_cells(init.as_ptr(), cells, init.len());
            } else {
                // Many constants (clang's big functions have dozens): `memcpy` is faster,
                // and the call handler saves registers anyway.
                std::ptr::copy_nonoverlapping(init.as_ptr(), cells, init.len());
            }
            self.frames.as_mut_ptr().add(n).write(Frame {
                func,
                ip,
                base,
                instance,
            });
            self.frames.set_len(n + 1);
        }
        ip
    }
}

/// Copies `len` cells from `src` to `dst`, first to last (so `dst` may overlap `src` when it
/// is below it), as a loop of its own: LLVM would turn a plain copy loop into a call of
/// `memcpy`, and a handler that calls anything saves and restores registers on every run.
///
/// # Safety
/// `src..src + len` must be readable and `dst..dst + len` writable, with `dst <= src` if they
/// overlap.
#[inline(always)]
unsafe fn copy_cells(src: *const u64, dst: *mut u64, len: usize) {
    let mut i = 0;
    while i < len {
        // SAFETY: `i < len`, and the caller vouches for both ranges.
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
        // An empty `asm!` is opaque to LLVM's loop idiom recognition, which would otherwise
        // make this loop a `memcpy` call.
        // SAFETY: it runs no instructions.
        unsafe { std::arch::asm!("", options(nostack, preserves_flags)) };
    }
}

/// Runs `func` of `instance` with `args` (one slot each; two for `v128`) and writes its results
/// to `results`.
///
/// The stack can be reused for the next call either way. When the call fails, the frames
/// that were active are kept until the next call or [`Stack::clear_trace`], so
/// [`Stack::trace`] can list them.
pub fn invoke<E: Env>(
    env: &mut E,
    stack: &mut Stack,
    instance: u32,
    func: &Arc<Code>,
    args: &[u64],
    results: &mut [u64],
) -> Result<(), E::Error> {
    stack.frames.clear();
    stack.trace.clear();
    start(env, stack, instance, func, args).and_then(|()| run(env, stack))?;
    let n = results.len().min(func.num_result_slots as usize);
    results[..n].copy_from_slice(&stack.slots[..n]);
    Ok(())
}

fn start<E: Env>(
    env: &mut E,
    stack: &mut Stack,
    instance: u32,
    func: &Arc<Code>,
    args: &[u64],
) -> Result<(), E::Error> {
    let params = func.num_param_slots as usize;
    stack.reserve(params.max(func.num_result_slots as usize))?;
    let n = args.len().min(params);
    stack.slots[..n].copy_from_slice(&args[..n]);
    stack.slots[n..params].fill(0);
    // `invoke`'s caller keeps `func` alive until it returns.
    stack.push_frame(Arc::as_ptr(func), 0, instance)?;
    env.enter(instance);
    Ok(())
}

/// A call target with its borrow of the environment ended.
enum Target {
    Wasm { instance: u32, func: *const Code },
    Host { func: u32, slots: u32 },
}

impl From<Callee<'_>> for Target {
    #[inline(always)]
    fn from(callee: Callee<'_>) -> Target {
        match callee {
            Callee::Wasm { instance, func } => Target::Wasm {
                instance,
                func: Arc::as_ptr(func),
            },
            Callee::Host { func, slots } => Target::Host { func, slots },
        }
    }
}

/// A value type of fused pairs, and its bits in a slot.
trait Bits: Sized {
    fn from_slot(bits: u64) -> Self;
    fn to_slot(self) -> u64;
}

impl Bits for u32 {
    #[inline(always)]
    fn from_slot(bits: u64) -> u32 {
        bits as u32
    }
    #[inline(always)]
    fn to_slot(self) -> u64 {
        self as u64
    }
}

impl Bits for f64 {
    #[inline(always)]
    fn from_slot(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
    #[inline(always)]
    fn to_slot(self) -> u64 {
        self.to_bits()
    }
}

/// Marks the taken side of a conditional branch, so that the compiler keeps it a branch
/// (which the CPU predicts) instead of choosing the next instruction with a conditional move,
/// which makes the fetch of the next handler wait for the comparison. Emits no instruction.
#[inline(always)]
fn taken() {
    // SAFETY: an empty assembly block: it touches no register, memory or flag. The compiler
    // must keep it on its path, which is the point.
    unsafe { std::arch::asm!("", options(nomem, nostack, preserves_flags)) };
}

/// Eight bytes as the low half of a `v128`.
fn wide(bytes: [u8; 8]) -> u128 {
    u64::from_le_bytes(bytes) as u128
}

/// Defines the macros instruction bodies are written in (slot access, arithmetic shapes,
/// memory access, branches), over the given instruction pointer, frame, and memory
/// variables; `$dol` is `$`, for the inner macros' own parameters. Each context defines
/// `trap!` (and `tri!`) itself.
macro_rules! accessors {
    ($dol:tt $ip:ident $regs:ident $mem:ident $mem_len:ident $acc:ident $acc_in:ident) => {
        macro_rules! get {
            ($dol s:expr) => {
                // SAFETY: `$s` is below the running function's `frame_size` (checked by `Code`),
                // `push_frame` reserved `base + frame_size + SPARE_SLOTS` cells, and `regs` is
                // `base` cells into the current slot array (see the module docs).
                unsafe { *$regs.add($dol s.0 as usize) }
            };
        }
        /// Moves a `return`'s values to the first cells of the frame.
        macro_rules! return_values {
            ($dol r:expr) => {
                match $dol r.len {
                    0 => {}
                    1 => set!(Slot(0), get!($dol r.src)),
                    // SAFETY: `src + len` is inside the frame (checked by `Code`), and the
                    // destination is the frame's first `len` cells, at or below the source.
                    len => unsafe {
                        copy_cells($regs.add($dol r.src.0 as usize), $regs, len as usize)
                    },
                }
            };
        }
        /// Writes a slot; the value also stays in `acc` (see `fast`'s accumulator).
        macro_rules! set {
            ($dol s:expr, $dol v:expr) => {{
                let v = $dol v;
                // SAFETY: as in `get!`.
                unsafe { *$regs.add($dol s.0 as usize) = v };
                $acc = v;
            }};
        }
        /// The first operand slot of an instruction (see `Code::new`'s `acc_operands`):
        /// `acc` when this handler is the variant that takes it from there (`acc_in` 1).
        macro_rules! in1 {
            ($dol s:expr) => {
                if $acc_in == 1 { $acc } else { get!($dol s) }
            };
        }
        /// The second operand slot, from `acc` when `acc_in` is 2.
        macro_rules! in2 {
            ($dol s:expr) => {
                if $acc_in == 2 { $acc } else { get!($dol s) }
            };
        }
        /// Continues at the instruction `offset` away from the current one. Branches end their
        /// body like any other instruction (the step to the next instruction follows).
        macro_rules! jump {
            ($dol offset:expr) => {{
                $ip = $ip.wrapping_offset($dol offset.0 as isize - 1);
                taken();
            }};
        }
        macro_rules! i32_of {
            ($dol s:expr) => {
                get!($dol s) as u32
            };
        }
        /// The bits of a slot as each type (the conversions `cmp!` applies to its operands).
        macro_rules! u32_bits {
            ($dol v:expr) => {
                $dol v as u32
            };
        }
        macro_rules! u64_bits {
            ($dol v:expr) => {
                $dol v
            };
        }
        macro_rules! f32_bits {
            ($dol v:expr) => {
                f32::from_bits($dol v as u32)
            };
        }
        macro_rules! f64_bits {
            ($dol v:expr) => {
                f64::from_bits($dol v)
            };
        }
        macro_rules! bin_i32 {
            ($dol b:expr, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = in1!($dol b.lhs) as u32;
                let $dol y = in2!($dol b.rhs) as u32;
                set!($dol b.dst, ($dol e) as u32 as u64);
            }};
        }
        macro_rules! bin_i64 {
            ($dol b:expr, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = in1!($dol b.lhs);
                let $dol y = in2!($dol b.rhs);
                set!($dol b.dst, ($dol e) as u64);
            }};
        }
        macro_rules! cmp {
            ($dol b:expr, $dol of:ident, $dol t:ty, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = $dol of!(in1!($dol b.lhs)) as $dol t;
                let $dol y = $dol of!(in2!($dol b.rhs)) as $dol t;
                set!($dol b.dst, ($dol e) as u64);
            }};
        }
        macro_rules! bin_f32 {
            ($dol b:expr, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = f32::from_bits(in1!($dol b.lhs) as u32);
                let $dol y = f32::from_bits(in2!($dol b.rhs) as u32);
                let r: f32 = $dol e;
                set!($dol b.dst, r.to_bits() as u64);
            }};
        }
        macro_rules! bin_f64 {
            ($dol b:expr, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = f64::from_bits(in1!($dol b.lhs));
                let $dol y = f64::from_bits(in2!($dol b.rhs));
                let r: f64 = $dol e;
                set!($dol b.dst, r.to_bits());
            }};
        }
        macro_rules! un {
            ($dol u:expr, |$dol x:ident| $dol e:expr) => {{
                let $dol x = in1!($dol u.src);
                set!($dol u.dst, $dol e);
            }};
        }
        macro_rules! un_f32 {
            ($dol u:expr, |$dol x:ident| $dol e:expr) => {{
                let $dol x = f32::from_bits(in1!($dol u.src) as u32);
                let r: f32 = $dol e;
                set!($dol u.dst, r.to_bits() as u64);
            }};
        }
        macro_rules! un_f64 {
            ($dol u:expr, |$dol x:ident| $dol e:expr) => {{
                let $dol x = f64::from_bits(in1!($dol u.src));
                let r: f64 = $dol e;
                set!($dol u.dst, r.to_bits());
            }};
        }
        macro_rules! branch_cmp {
            ($dol b:expr, $dol t:ty, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = in1!($dol b.lhs) as $dol t;
                let $dol y = in2!($dol b.rhs) as $dol t;
                if $dol e {
                    jump!($dol b.offset);
                }
            }};
        }
        /// Slot `$s` of the second instruction of a fused pair, whose first one just wrote
        /// the bits `$v` to `$dst`: taken from `$v` when `$s` is `$dst`, so the second does
        /// not wait for the first's store to reach its load (in nbody's f64 chains that wait
        /// was about a seventh of the run time).
        macro_rules! fwd {
            ($dol s:expr, $dol dst:expr, $dol v:expr) => {
                if $dol s == $dol dst {
                    taken();
                    $dol v
                } else {
                    get!($dol s)
                }
            };
        }
        /// The second half of a fused pair whose first instruction wrote the bits `$v` to
        /// `$dst`: if the next instruction is `Op::$next` (operands `lhs`, `rhs`, `dst`),
        /// runs it on `|p, q|` of type `$t` (`u32` or `f64`), read through `fwd!`.
        macro_rules! then_binary {
            (
                $dol dst:expr, $dol v:expr, $dol next:ident, $dol t:ident,
                |$dol p:ident, $dol q:ident| $dol e:expr
            ) => {{
                // SAFETY: the first of a pair is never last (`Code` checked that the last
                // instruction is `return`, `br` or `trap`), so the next one exists.
                if let Op::$dol next(b) = unsafe { (*$ip.add(1)).op } {
                    $ip = $ip.wrapping_add(1);
                    let $dol p = <$dol t as Bits>::from_slot(fwd!(b.lhs, $dol dst, $dol v));
                    let $dol q = <$dol t as Bits>::from_slot(fwd!(b.rhs, $dol dst, $dol v));
                    let r: $dol t = $dol e;
                    set!(b.dst, r.to_slot());
                }
            }};
        }
        /// Two binary instructions of type `$t` fused (`|x, y| first`, then `Op::$next` as
        /// `|p, q| second`; see `Op::F64MulThenAdd`).
        macro_rules! binary_pair {
            (
                $dol a:expr, $dol t:ident, |$dol x:ident, $dol y:ident| $dol first:expr,
                $dol next:ident, |$dol p:ident, $dol q:ident| $dol second:expr
            ) => {{
                let $dol x = <$dol t as Bits>::from_slot(in1!($dol a.lhs));
                let $dol y = <$dol t as Bits>::from_slot(in2!($dol a.rhs));
                let v: $dol t = $dol first;
                let v = v.to_slot();
                set!($dol a.dst, v);
                then_binary!($dol a.dst, v, $dol next, $dol t, |$dol p, $dol q| $dol second);
            }};
        }
        /// `i32.add`, then the branch after it if that is `Op::$kind` (see `Op::I32AddBrEq`),
        /// taken when `$e` holds for its operands (or its condition). The branch reads its
        /// operands from their slots: its outcome is predicted, so it waits for no load.
        macro_rules! add_then_branch {
            ($dol a:expr, $dol kind:ident, |$dol b:ident| $dol e:expr) => {{
                set!($dol a.dst, (in1!($dol a.lhs) as u32).wrapping_add(in2!($dol a.rhs) as u32) as u64);
                // SAFETY: the add is not the last instruction (`Code` checked that the last one
                // is `return`, `br` or `trap`), so the next one exists.
                if let Op::$dol kind($dol b) = unsafe { (*$ip.add(1)).op } {
                    // Now at the branch: continue after it, or at its target.
                    $ip = $ip.wrapping_add(1);
                    if $dol e {
                        jump!($dol b.offset);
                    } else {
                        // Mostly a loop's exit. Saying so also keeps this a branch the CPU
                        // predicts rather than a conditional move the next fetch waits on.
                        std::hint::cold_path();
                    }
                }
            }};
        }
        /// The first instruction of a pair (its operands `$a`), then the next one if that is
        /// `Op::$next` (see `Op::I32AddThenStore`).
        macro_rules! pair {
            ($dol a:expr, $dol first:ident, $dol next:ident, $dol second:ident) => {{
                $dol first!($dol a);
                // SAFETY: the first of a pair is never last (`Code` checked that the last
                // instruction is `return`, `br` or `trap`), so the next one exists.
                if let Op::$dol next(b) = unsafe { (*$ip.add(1)).op } {
                    $ip = $ip.wrapping_add(1);
                    // The second instruction reads its operands from their slots. (An
                    // assignment: a `let` here would bind a name `in1!` does not see.)
                    $acc_in = 0;
                    $dol second!(b);
                }
            }};
        }
        macro_rules! i32_add {
            ($dol b:expr) => {
                bin_i32!($dol b, |x, y| x.wrapping_add(y))
            };
        }
        macro_rules! f64_add {
            ($dol b:expr) => {
                bin_f64!($dol b, |x, y| x + y)
            };
        }
        macro_rules! f64_store {
            ($dol s:expr) => {
                store!($dol s, 8, |v| v.to_le_bytes())
            };
        }
        macro_rules! i32_store {
            ($dol s:expr) => {
                store!($dol s, 4, |v| (v as u32).to_le_bytes())
            };
        }
        macro_rules! i32_load8_u {
            ($dol l:expr) => {
                load!($dol l, 1, |b| b[0] as u64)
            };
        }
        macro_rules! load8_u_sum {
            ($dol l:expr) => {
                load_at!($dol l.dst, sum_addr!($dol l), 1, |b| b[0] as u64)
            };
        }
        macro_rules! br_i32_eq {
            ($dol b:expr) => {
                branch_cmp!($dol b, u32, |x, y| x == y)
            };
        }
        macro_rules! br_if_eqz {
            ($dol b:expr) => {
                if in1!($dol b.cond) as u32 == 0 {
                    jump!($dol b.offset);
                }
            };
        }
        /// Checks that `$n` bytes at the 64-bit address `$ea` are inside memory 0.
        macro_rules! in_bounds {
            ($dol ea:expr, $dol n:expr) => {{
                let ea: u64 = $dol ea;
                if ea + $dol n as u64 > $mem_len as u64 {
                    trap!(TrapCode::MemoryOutOfBounds);
                }
                ea as usize
            }};
        }
        macro_rules! read_at {
            ($dol ea:expr, $dol n:literal) => {{
                let ea = in_bounds!($dol ea, $dol n);
                // SAFETY: `ea + $n <= mem_len` was checked, and `mem`/`mem_len` describe the
                // current instance's memory 0 (see the module docs).
                unsafe { std::ptr::read_unaligned($mem.add(ea) as *const [u8; $dol n]) }
            }};
        }
        macro_rules! write_at {
            ($dol ea:expr, $dol n:literal, $dol bytes:expr) => {{
                let bytes: [u8; $dol n] = $dol bytes;
                let ea = in_bounds!($dol ea, $dol n);
                // SAFETY: as in `read_at!`.
                unsafe { std::ptr::write_unaligned($mem.add(ea) as *mut [u8; $dol n], bytes) };
            }};
        }
        /// The address `base + index` of the fused `*.sum` accesses.
        macro_rules! sum_addr {
            ($dol a:expr) => {
                ((in1!($dol a.base) as u32).wrapping_add(in2!($dol a.index) as u32)) as u64
            };
        }
        /// The address `(addr << $shift) + offset` of the fused `*.scaled` accesses.
        macro_rules! scaled_addr {
            ($dol a:expr, $dol shift:literal) => {
                ((in1!($dol a.addr) as u32) << $dol shift) as u64 + $dol a.offset as u64
            };
        }
        /// The address `addr + offset` of a plain load or store.
        macro_rules! plain_addr {
            ($dol a:expr) => {
                (in1!($dol a.addr) as u32 as u64) + $dol a.offset as u64
            };
        }
        /// `$n` bytes at `$ea`, converted by `$e`, into `$dst`.
        macro_rules! load_at {
            ($dol dst:expr, $dol ea:expr, $dol n:literal, |$dol bytes:ident| $dol e:expr) => {{
                let $dol bytes: [u8; $dol n] = read_at!($dol ea, $dol n);
                set!($dol dst, $dol e);
            }};
        }
        macro_rules! load {
            ($dol l:expr, $dol n:literal, |$dol bytes:ident| $dol e:expr) => {
                load_at!($dol l.dst, plain_addr!($dol l), $dol n, |$dol bytes| $dol e)
            };
        }
        macro_rules! store {
            ($dol s:expr, $dol n:literal, |$dol v:ident| $dol e:expr) => {{
                let $dol v = in2!($dol s.value);
                write_at!(plain_addr!($dol s), $dol n, $dol e)
            }};
        }
        macro_rules! load128 {
            ($dol l:expr, $dol n:literal, |$dol bytes:ident| $dol e:expr) => {{
                let $dol bytes: [u8; $dol n] = read_at!(plain_addr!($dol l), $dol n);
                set128!($dol l.dst, $dol e);
            }};
        }
        macro_rules! get128 {
            ($dol s:expr) => {{ get!($dol s) as u128 | (get!($dol s.offset(1)) as u128) << 64 }};
        }
        macro_rules! set128 {
            ($dol s:expr, $dol v:expr) => {{
                let v: u128 = $dol v;
                set!($dol s.offset(1), (v >> 64) as u64);
                // The low half last: `acc` holds what the result slot does.
                set!($dol s, v as u64);
            }};
        }
        macro_rules! v_un {
            ($dol u:expr, |$dol a:ident| $dol e:expr) => {{
                let $dol a = get128!($dol u.src);
                set128!($dol u.dst, $dol e);
            }};
        }
        macro_rules! un_v {
            ($dol u:expr, |$dol x:ident| $dol e:expr) => {{
                let $dol x = get!($dol u.src);
                set128!($dol u.dst, $dol e);
            }};
        }
        macro_rules! v_bin {
            ($dol b:expr, |$dol x:ident, $dol y:ident| $dol e:expr) => {{
                let $dol x = get128!($dol b.lhs);
                let $dol y = get128!($dol b.rhs);
                set128!($dol b.dst, $dol e);
            }};
        }
        macro_rules! v_test {
            ($dol u:expr, |$dol a:ident| $dol e:expr) => {{
                let $dol a = get128!($dol u.src);
                set!($dol u.dst, ($dol e) as u64);
            }};
        }
        macro_rules! v_map {
            ($dol u:expr, $dol t:ty, |$dol x:ident| $dol e:expr) => {
                v_un!($dol u, |a| map::<$dol t>(a, |$dol x| $dol e))
            };
        }
        macro_rules! v_zip {
            ($dol b:expr, $dol t:ty, |$dol x:ident, $dol y:ident| $dol e:expr) => {
                v_bin!($dol b, |a, b| zip::<$dol t>(a, b, |$dol x, $dol y| $dol e))
            };
        }
        macro_rules! v_cmp {
            ($dol b:expr, $dol t:ty, |$dol x:ident, $dol y:ident| $dol e:expr) => {
                v_bin!($dol b, |a, b| cmp::<$dol t>(a, b, |$dol x, $dol y| $dol e))
            };
        }
        macro_rules! v_extmul {
            ($dol b:expr, $dol s:ty, $dol d:ty, $dol from:expr) => {
                v_bin!($dol b, |a, b| {
                    convert2::<$dol s, $dol d>(a, b, $dol from, |x, y| (x as $dol d).wrapping_mul(y as $dol d))
                })
            };
        }
        macro_rules! v_shift {
            ($dol b:expr, $dol t:ty, |$dol x:ident, $dol n:ident| $dol e:expr) => {{
                let v = get128!($dol b.lhs);
                let $dol n = i32_of!($dol b.rhs);
                set128!($dol b.dst, map::<$dol t>(v, |$dol x| $dol e));
            }};
        }
        macro_rules! lane_get {
            ($dol l:expr, |$dol v:ident, $dol i:ident| $dol e:expr) => {{
                let $dol v = get128!($dol l.src);
                let $dol i = $dol l.lane;
                set!($dol l.dst, $dol e);
            }};
        }
        macro_rules! lane_set {
            ($dol l:expr, $dol t:ty) => {{
                let v = replace::<$dol t>(get128!($dol l.dst), $dol l.lane, get!($dol l.value) as $dol t);
                set128!($dol l.dst, v);
            }};
        }
    };
}

// After `accessors!`, which it uses.
mod fast;

/// Executes until the bottom frame returns.
// `accessors!` defines more than the loop's own instructions use, and writes the accumulator,
// which only handlers read.
#[allow(unused_macros, unused_variables, unused_assignments)]
fn run<E: Env>(env: &mut E, stack: &mut Stack) -> Result<(), E::Error> {
    let frame = stack.frames.last().expect("start pushed a frame");
    let mut base = frame.base;
    let mut instance = frame.instance;
    // The next instruction of the running function (kept alive as `Frame::func` says).
    let mut ip: *const Inst = frame.ip;
    let mut regs: *mut u64 = stack.slots.as_mut_ptr().wrapping_add(base);
    let memory = env.memory();
    let mut mem_len = memory.len();
    let mut mem: *mut u8 = memory.as_mut_ptr();
    // The current instance's own functions (see `Env::defined_functions`).
    let (imported, defined) = env.defined_functions();
    let mut first_defined = imported;
    let mut defined_len = defined.len();
    let mut defined: *const Arc<Code> = defined.as_ptr();

    /// Recomputes `regs` after the slot array may have moved or `base` changed.
    macro_rules! sync_regs {
        () => {
            regs = stack.slots.as_mut_ptr().wrapping_add(base)
        };
    }
    /// Re-reads the current instance's functions after entering another instance.
    macro_rules! sync_funcs {
        () => {{
            let (imported, funcs) = env.defined_functions();
            first_defined = imported;
            defined_len = funcs.len();
            defined = funcs.as_ptr();
        }};
    }
    /// Re-reads memory 0 of the current instance after it may have moved, grown or changed.
    macro_rules! sync_mem {
        () => {{
            let m = env.memory();
            mem_len = m.len();
            mem = m.as_mut_ptr();
        }};
    }
    // Failing moves the frames to the stack's trace, the innermost one at the failing
    // instruction, so the embedder can read a backtrace from the stack.
    macro_rules! trap {
        ($code:expr) => {{
            stack.fail(ip);
            return Err(E::Error::from($code));
        }};
    }
    macro_rules! tri {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => {
                    stack.fail(ip);
                    return Err(e.into());
                }
            }
        };
    }
    // The accumulator: the last value written, handed to the chain (whose handlers may read
    // an operand from it, see `fast`) and back. The loop itself never reads it.
    let mut acc: u64 = 0;
    let acc_in = 0u8;
    accessors!($ ip regs mem mem_len acc acc_in);

    /// Pushes the frame of wasm function `f` (kept alive as `Frame::func` says) whose
    /// arguments start at frame cell `args` and makes it the running one.
    macro_rules! enter_wasm {
        ($f:expr, $args:expr, $instance:expr) => {{
            // The caller resumes after the call.
            if let Some(frame) = stack.frames.last_mut() {
                frame.ip = ip.wrapping_add(1);
            }
            ip = tri!(stack.push_frame($f, $args, $instance));
            base = $args;
            sync_regs!();
        }};
    }
    /// Enters a wasm callee (continuing the loop in its frame) or runs a host callee in place.
    macro_rules! call {
        ($callee:expr, $args:expr) => {{
            let args = base + $args.0 as usize;
            match Target::from($callee) {
                Target::Wasm {
                    instance: i,
                    func: f,
                } => {
                    enter_wasm!(f, args, i);
                    if i != instance {
                        instance = i;
                        env.enter(i);
                        sync_mem!();
                        sync_funcs!();
                    }
                    continue;
                }
                Target::Host { func: h, slots } => {
                    let end = args + slots as usize;
                    tri!(stack.reserve(end));
                    tri!(env.call_host(h, &mut stack.slots[args..end]));
                    env.enter(instance);
                    sync_regs!();
                    sync_mem!();
                }
            }
        }};
    }

    loop {
        // SAFETY: `ip` points into the innermost frame's function, which outlives the frame
        // (see `Frame::func`): it starts at the first instruction and moves to the next one,
        // to branch targets and to `br_table` entries, all of which `Code` checked exist
        // (and the last instruction does not fall through).
        let op = unsafe { (*ip).op };
        match op {
            Op::Trap(t) => trap!(TrapCode::from_u8(t.code as u8).unwrap_or(TrapCode::Unreachable)),
            Op::Fuel(f) => env.consume_fuel(f.amount),
            Op::Check(f) => {
                env.consume_fuel(f.amount);
                if let Err(code) = env.check_limits() {
                    trap!(code);
                }
            }
            Op::ListenEnter(r) => {
                let start = base + r.src.0 as usize;
                let index = stack.frames.last().map_or(0, |f| f.code().index);
                tri!(env.listen_enter(index, &stack.slots[start..start + r.len as usize]));
                sync_regs!();
                sync_mem!();
            }
            Op::ListenExit(r) => {
                let start = base + r.src.0 as usize;
                let index = stack.frames.last().map_or(0, |f| f.code().index);
                tri!(env.listen_exit(index, &stack.slots[start..start + r.len as usize]));
                sync_regs!();
                sync_mem!();
            }
            Op::Return(r) => {
                return_values!(r);
                stack.frames.pop();
                match stack.frames.last() {
                    None => return Ok(()),
                    Some(caller) => {
                        ip = caller.ip;
                        base = caller.base;
                        sync_regs!();
                        if caller.instance != instance {
                            instance = caller.instance;
                            env.enter(instance);
                            sync_mem!();
                            sync_funcs!();
                        }
                        continue;
                    }
                }
            }
            Op::Call(c) => {
                let d = c.func.wrapping_sub(first_defined) as usize;
                if d < defined_len {
                    // A function of the current instance, without asking the environment.
                    // SAFETY: `d` is inside the slice `defined_functions` returned, which the
                    // environment keeps in place until `invoke` returns (its contract).
                    let f = Arc::as_ptr(unsafe { &*defined.add(d) });
                    enter_wasm!(f, base + c.args.0 as usize, instance);
                    continue;
                }
                let callee = env.callee(c.func);
                call!(callee, c.args);
            }
            Op::CallIndirect(c) => {
                let index = i32_of!(c.index);
                let callee =
                    tri!(env.indirect_callee(c.ty_table >> 24, index, c.ty_table & 0xff_ffff));
                call!(callee, c.args);
            }
            Op::GlobalGet(g) => set!(g.dst, env.global_get(g.global) as u64),
            Op::GlobalSet(g) => env.global_set(g.global, get!(g.src) as u128),
            Op::GlobalGetV128(g) => {
                let v = env.global_get(g.global);
                set!(g.dst, v as u64);
                set!(g.dst.offset(1), (v >> 64) as u64);
            }
            Op::GlobalSetV128(g) => {
                let v = get!(g.src) as u128 | (get!(g.src.offset(1)) as u128) << 64;
                env.global_set(g.global, v);
            }
            Op::RefFunc(r) => set!(r.dst, env.ref_func(r.index)),

            Op::MemorySize(d) => set!(d.dst, env.memory_size() as u64),
            Op::MemoryGrow(u) => {
                let delta = i32_of!(u.src);
                set!(u.dst, env.memory_grow(delta) as u64);
                sync_mem!();
            }
            Op::MemoryInit(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                tri!(env.memory_init(a.index, dst, src, len));
                sync_mem!();
            }
            Op::DataDrop(d) => env.data_drop(d.index),

            Op::TableGet(t) => {
                let v = tri!(env.table_get(t.table, i32_of!(t.elem)));
                set!(t.dst, v);
            }
            Op::TableSet(t) => tri!(env.table_set(t.table, i32_of!(t.elem), get!(t.value))),
            Op::TableSize(t) => set!(t.dst, env.table_size(t.index) as u64),
            Op::TableGrow(a) => {
                let init = get!(a.args);
                let delta = i32_of!(a.args.offset(1));
                set!(a.args, env.table_grow(a.index, delta, init) as u64);
            }
            Op::TableFill(a) => {
                let dst = i32_of!(a.args);
                let value = get!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                tri!(env.table_fill(a.index, dst, value, len));
            }
            Op::TableCopy(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                tri!(env.table_copy(a.index, a.index2, dst, src, len));
            }
            Op::TableInit(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                tri!(env.table_init(a.index, a.index2, dst, src, len));
            }
            Op::ElemDrop(e) => env.elem_drop(e.index),
            // Every other instruction runs in a chain of handlers (see `fast`).
            _ => {
                // Every instruction without an arm above has a handler; were one missing,
                // the chain would return at once and this would repeat forever.
                if !fast::IN_CHAIN[op.opcode() as usize] {
                    unreachable!("wz-interp runs no `{}` instruction", op.mnemonic());
                }
                let meter = env.meter();
                let mut chain = fast::Chain {
                    ip,
                    fuel: meter.map_or(std::ptr::null_mut(), |m| m.fuel),
                    interrupt: meter.map_or(std::ptr::null(), |m| m.interrupt),
                    stack: &mut *stack,
                    base,
                    instance,
                    first_defined,
                    defined,
                    defined_len,
                    floor: 0,
                    acc,
                };
                let r = fast::run_chain(ip, regs, mem, mem_len, &mut chain);
                ip = chain.ip;
                acc = chain.acc;
                // Calls and returns inside the chain stay in the instance.
                base = chain.base;
                sync_regs!();
                if let Err(code) = r {
                    trap!(code);
                }
                continue;
            }
        }
        ip = ip.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(dst: u32, lhs: u32, rhs: u32) -> Binary {
        Binary {
            dst: Slot(dst),
            lhs: Slot(lhs),
            rhs: Slot(rhs),
        }
    }

    fn ret() -> Op {
        Op::Return(Return {
            src: Slot(0),
            len: 1,
        })
    }

    #[test]
    fn operands_follow_the_result_in_field_order() {
        assert_eq!(
            acc_operands(Op::I32Add(bin(1, 2, 3))),
            [Some(Slot(2)), Some(Slot(3))]
        );
        let unary = Unary {
            dst: Slot(1),
            src: Slot(2),
        };
        assert_eq!(acc_operands(Op::Copy(unary)), [Some(Slot(2)), None]);
        let store = Store {
            addr: Slot(4),
            value: Slot(5),
            offset: 0,
        };
        assert_eq!(
            acc_operands(Op::I32Store(store)),
            [Some(Slot(4)), Some(Slot(5))]
        );
        let sum = LoadSum {
            dst: Slot(1),
            base: Slot(6),
            index: Slot(7),
        };
        assert_eq!(
            acc_operands(Op::Load8USum(sum)),
            [Some(Slot(6)), Some(Slot(7))]
        );
        let cond = BranchIf {
            cond: Slot(3),
            offset: BranchOffset(1),
        };
        assert_eq!(acc_operands(Op::BrIfNez(cond)), [Some(Slot(3)), None]);
    }

    #[test]
    fn only_an_instruction_that_follows_its_producer_reads_the_accumulator() {
        let ops = [
            Op::I32Add(bin(5, 0, 1)),
            // Reads s5 first: right after the add that wrote it.
            Op::I32Mul(bin(6, 5, 2)),
            // Reads s6 second.
            Op::I32Sub(bin(7, 2, 6)),
            // Reads neither of s7's operands from the one before (s7 is not read).
            Op::I32Sub(bin(8, 2, 3)),
            ret(),
        ];
        assert_eq!(accumulator_operands(&ops), [0, 1, 2, 0, 0]);
    }

    #[test]
    fn branch_targets_and_the_loop_s_instructions_end_the_accumulator() {
        let ops = [
            Op::I32Add(bin(5, 0, 1)),
            // A branch target: also entered from the `br` below.
            Op::I32Mul(bin(6, 5, 2)),
            Op::GlobalGet(GlobalGet {
                dst: Slot(10),
                global: 0,
            }),
            // After an instruction the loop runs.
            Op::I32Add(bin(11, 10, 2)),
            Op::Br(Branch {
                offset: BranchOffset(-3),
            }),
        ];
        assert_eq!(accumulator_operands(&ops), [0, 0, 0, 0, 0]);
    }

    #[test]
    fn a_fused_pair_leaves_its_last_result() {
        let store = Store {
            addr: Slot(1),
            value: Slot(7),
            offset: 0,
        };
        let ops = [
            // 0, 1: a pair; 2 reads the second's result.
            Op::I32AddThenAdd(bin(7, 0, 1)),
            Op::I32Add(bin(8, 7, 2)),
            Op::I32Sub(bin(9, 8, 2)),
            // 3, 4: a pair whose second half has no result; 5 reads the first's.
            Op::I32AddThenStore(bin(7, 0, 1)),
            Op::I32Store(store),
            Op::I32Sub(bin(9, 7, 2)),
            // 6, 7: the same, but the store is also a branch target (from 12), where it
            // runs alone and leaves no result: 8 reads its slot.
            Op::I32AddThenStore(bin(7, 0, 1)),
            Op::I32Store(store),
            Op::I32Sub(bin(9, 7, 2)),
            // 9, 10: a pair whose second half is a branch target (from 12) with the same
            // result alone: 11 reads it.
            Op::I32MulThenAdd(bin(7, 0, 1)),
            Op::I32Add(bin(8, 7, 2)),
            Op::I32Sub(bin(9, 2, 8)),
            Op::BrTable(BranchTable {
                index: Slot(0),
                len: 2,
            }),
            Op::Br(Branch {
                offset: BranchOffset(-6),
            }),
            Op::Br(Branch {
                offset: BranchOffset(-4),
            }),
        ];
        let acc = accumulator_operands(&ops);
        assert_eq!(acc[..12], [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn every_instruction_that_can_jump_call_or_return_checks_the_stack() {
        for mut op in every_opcode() {
            let mut jumps = false;
            op.visit_branches(&mut |_| jumps = true);
            let name = op.mnemonic();
            let pair_with_branch = name
                .split_once('+')
                .is_some_and(|(_, b)| b.starts_with("br"));
            let moves_on = matches!(
                op,
                Op::BrTable(_) | Op::Copy(_) | Op::Call(_) | Op::Return(_)
            );
            if jumps || pair_with_branch || moves_on {
                assert!(fast::checks_stack(op.code()), "{name}");
            }
        }
    }

    #[test]
    fn every_fused_pair_names_its_second_instruction() {
        let mut pairs = 0;
        for op in every_opcode() {
            if op.mnemonic().contains('+') {
                assert!(is_fused(op), "{}", op.mnemonic());
                pairs += 1;
            }
        }
        assert!(pairs >= 28, "{pairs} fused pairs");
        let add = Op::I32Add(bin(1, 2, 3));
        assert!(fuses(Op::I32MulThenAdd(bin(1, 2, 3)), add));
        assert!(!fuses(
            Op::I32MulThenAdd(bin(1, 2, 3)),
            Op::I32Sub(bin(1, 2, 3))
        ));
        assert!(!fuses(add, add));
    }

    #[test]
    fn long_runs_without_a_check_get_checkpoints() {
        let mut ops = vec![Op::I32Add(bin(1, 1, 2)); 40];
        // A pair at 14 and 15: 15 runs in 14's handler.
        ops[14] = Op::I32AddThenAdd(bin(1, 1, 2));
        ops[20] = Op::Br(Branch {
            offset: BranchOffset(1),
        });
        ops.push(ret());
        let wasm = wat::parse_str("(module (func (param i32 i32)))").unwrap();
        let module = wz_binary::Module::decode(&wasm, Default::default()).unwrap();
        let mut func = wz_ir::lower_function(&module, 0).unwrap();
        func.offsets = vec![0; ops.len()].into();
        func.ops = ops.into();
        func.frame_size = func.frame_size.max(4);
        let code = Code::new(func).unwrap();
        let at: Vec<usize> = (0..code.insts.len())
            .filter(|&i| {
                std::ptr::fn_addr_eq(code.insts[i].handler, fast::checkpoint as fast::Handler)
            })
            .collect();
        // 16 instructions from the start (past the pair), and again 16 after the branch.
        assert_eq!(at, [16, 36]);
    }

    #[test]
    fn br_table_entries_read_their_slots() {
        let ops = [
            Op::I32Add(bin(5, 0, 1)),
            Op::BrTable(BranchTable {
                index: Slot(5),
                len: 2,
            }),
            Op::Br(Branch {
                offset: BranchOffset(2),
            }),
            Op::Br(Branch {
                offset: BranchOffset(1),
            }),
            ret(),
        ];
        // The table reads s5 from the accumulator (it does not take it from there, which is
        // also right); its entries are entered only through it.
        let acc = accumulator_operands(&ops);
        assert_eq!(acc[2..], [0, 0, 0]);
    }
}
