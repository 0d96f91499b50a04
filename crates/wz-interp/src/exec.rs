//! The dispatch loop, and the interpreter's one `unsafe` module.
//!
//! The loop reads operands and instructions without bounds checks. That is sound because
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
//! - `regs` (the frame's first cell) is recomputed after anything that can move the slot
//!   array (a frame push, a host call) and `mem`/`mem_len` (memory 0 of the current instance)
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
}

impl Code {
    /// Checks `func` ([`Function::verify`]) and wraps it.
    pub fn new(func: Function) -> Result<Code, LowerError> {
        func.verify()?;
        Ok(Code { func })
    }
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
    ip: *const Op,
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
        (self.ip as usize).wrapping_sub(self.code().ops.as_ptr() as usize) / size_of::<Op>()
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
    fn fail(&mut self, ip: *const Op) {
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

    /// Pushes a frame for `func` (from `Arc::as_ptr`, kept alive as `Frame::func` says) at
    /// `base`, whose parameters are already in place; returns its first instruction.
    #[inline(always)]
    fn push_frame(
        &mut self,
        func: *const Code,
        base: usize,
        instance: u32,
    ) -> Result<*const Op, TrapCode> {
        if self.frames.len() >= self.limits.max_frames {
            return Err(TrapCode::StackOverflow);
        }
        // SAFETY: the caller passes a live function (see `Frame::func`).
        let code = unsafe { &*func };
        self.reserve(base + code.frame_size as usize + SPARE_SLOTS)?;
        let init_start = base + code.num_param_slots as usize;
        let init = &code.init;
        let cells = &mut self.slots[init_start..init_start + init.len()];
        if init.len() <= 4 {
            // Most functions have a few constants; a plain loop beats a `memcpy` call.
            for i in 0..init.len() {
                cells[i] = init[i];
            }
        } else {
            cells.copy_from_slice(init);
        }
        let ip = code.ops.as_ptr();
        self.frames.push(Frame {
            func,
            ip,
            base,
            instance,
        });
        Ok(ip)
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

/// Eight bytes as the low half of a `v128`.
fn wide(bytes: [u8; 8]) -> u128 {
    u64::from_le_bytes(bytes) as u128
}

/// Executes until the bottom frame returns.
fn run<E: Env>(env: &mut E, stack: &mut Stack) -> Result<(), E::Error> {
    let frame = stack.frames.last().expect("start pushed a frame");
    let mut base = frame.base;
    let mut instance = frame.instance;
    // The next instruction of the running function (kept alive as `Frame::func` says).
    let mut ip: *const Op = frame.ip;
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
    macro_rules! get {
        ($s:expr) => {
            // SAFETY: `$s` is below the running function's `frame_size` (checked by `Code`),
            // `push_frame` reserved `base + frame_size + SPARE_SLOTS` cells, and `regs` is
            // `base` cells into the current slot array (see the module docs).
            unsafe { *regs.add($s.0 as usize) }
        };
    }
    macro_rules! set {
        ($s:expr, $v:expr) => {{
            let v = $v;
            // SAFETY: as in `get!`.
            unsafe { *regs.add($s.0 as usize) = v };
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
    /// Continues at the instruction `offset` away from the current one. Branches end their
    /// arm like any other instruction (the step to the next instruction follows), not with
    /// `continue`: the loop's second entry point for calls and returns reloads state that
    /// branches do not change.
    macro_rules! jump {
        ($offset:expr) => {{
            ip = ip.wrapping_offset($offset.0 as isize - 1);
        }};
    }
    macro_rules! i32_of {
        ($s:expr) => {
            get!($s) as u32
        };
    }
    macro_rules! f32_of {
        ($s:expr) => {
            f32::from_bits(get!($s) as u32)
        };
    }
    macro_rules! f64_of {
        ($s:expr) => {
            f64::from_bits(get!($s))
        };
    }
    macro_rules! bin_i32 {
        ($b:expr, |$x:ident, $y:ident| $e:expr) => {{
            let $x = i32_of!($b.lhs);
            let $y = i32_of!($b.rhs);
            set!($b.dst, ($e) as u32 as u64);
        }};
    }
    macro_rules! bin_i64 {
        ($b:expr, |$x:ident, $y:ident| $e:expr) => {{
            let $x = get!($b.lhs);
            let $y = get!($b.rhs);
            set!($b.dst, ($e) as u64);
        }};
    }
    macro_rules! cmp {
        ($b:expr, $of:ident, $t:ty, |$x:ident, $y:ident| $e:expr) => {{
            let $x = $of!($b.lhs) as $t;
            let $y = $of!($b.rhs) as $t;
            set!($b.dst, ($e) as u64);
        }};
    }
    macro_rules! bin_f32 {
        ($b:expr, |$x:ident, $y:ident| $e:expr) => {{
            let $x = f32_of!($b.lhs);
            let $y = f32_of!($b.rhs);
            let r: f32 = $e;
            set!($b.dst, r.to_bits() as u64);
        }};
    }
    macro_rules! bin_f64 {
        ($b:expr, |$x:ident, $y:ident| $e:expr) => {{
            let $x = f64_of!($b.lhs);
            let $y = f64_of!($b.rhs);
            let r: f64 = $e;
            set!($b.dst, r.to_bits());
        }};
    }
    macro_rules! un {
        ($u:expr, |$x:ident| $e:expr) => {{
            let $x = get!($u.src);
            set!($u.dst, $e);
        }};
    }
    macro_rules! un_f32 {
        ($u:expr, |$x:ident| $e:expr) => {{
            let $x = f32::from_bits(get!($u.src) as u32);
            let r: f32 = $e;
            set!($u.dst, r.to_bits() as u64);
        }};
    }
    macro_rules! un_f64 {
        ($u:expr, |$x:ident| $e:expr) => {{
            let $x = f64::from_bits(get!($u.src));
            let r: f64 = $e;
            set!($u.dst, r.to_bits());
        }};
    }
    macro_rules! branch_cmp {
        ($b:expr, $t:ty, |$x:ident, $y:ident| $e:expr) => {{
            let $x = get!($b.lhs) as $t;
            let $y = get!($b.rhs) as $t;
            if $e {
                jump!($b.offset);
            }
        }};
    }
    /// `i32.add`, then the branch after it if that is `Op::$kind` (see `Op::I32AddBrEq`),
    /// taken when `$e` holds for its operands (or its condition).
    macro_rules! add_then_branch {
        ($a:expr, $kind:ident, |$b:ident| $e:expr) => {{
            set!($a.dst, i32_of!($a.lhs).wrapping_add(i32_of!($a.rhs)) as u64);
            // SAFETY: the add is not the last instruction (`Code` checked that the last one
            // is `return`, `br` or `trap`), so the next one exists.
            if let Op::$kind($b) = unsafe { *ip.add(1) } {
                // Now at the branch: continue after it, or at its target.
                ip = ip.wrapping_add(1);
                if $e {
                    jump!($b.offset);
                } else {
                    // Mostly a loop's exit. Saying so also keeps this a branch the CPU
                    // predicts rather than a conditional move the next fetch waits on.
                    std::hint::cold_path();
                }
            }
        }};
    }
    /// The first instruction of a pair (its operands `$a`), then the next one if that is
    /// `Op::$next` (see `Op::I32MulThenAdd`).
    macro_rules! pair {
        ($a:expr, $first:ident, $next:ident, $second:ident) => {{
            $first!($a);
            // SAFETY: the first of a pair is never last (`Code` checked that the last
            // instruction is `return`, `br` or `trap`), so the next one exists.
            if let Op::$next(b) = unsafe { *ip.add(1) } {
                ip = ip.wrapping_add(1);
                $second!(b);
            }
        }};
    }
    macro_rules! i32_add {
        ($b:expr) => {
            bin_i32!($b, |x, y| x.wrapping_add(y))
        };
    }
    macro_rules! i32_mul {
        ($b:expr) => {
            bin_i32!($b, |x, y| x.wrapping_mul(y))
        };
    }
    macro_rules! i32_shl {
        ($b:expr) => {
            bin_i32!($b, |x, y| x.wrapping_shl(y))
        };
    }
    macro_rules! i32_xor {
        ($b:expr) => {
            bin_i32!($b, |x, y| x ^ y)
        };
    }
    macro_rules! i32_rotl {
        ($b:expr) => {
            bin_i32!($b, |x, y| x.rotate_left(y))
        };
    }
    macro_rules! f64_add {
        ($b:expr) => {
            bin_f64!($b, |x, y| x + y)
        };
    }
    macro_rules! f64_sub {
        ($b:expr) => {
            bin_f64!($b, |x, y| x - y)
        };
    }
    macro_rules! f64_mul {
        ($b:expr) => {
            bin_f64!($b, |x, y| x * y)
        };
    }
    macro_rules! f64_store {
        ($s:expr) => {
            store!($s, 8, |v| v.to_le_bytes())
        };
    }
    macro_rules! i32_store {
        ($s:expr) => {
            store!($s, 4, |v| (v as u32).to_le_bytes())
        };
    }
    macro_rules! f64_load {
        ($l:expr) => {
            load!($l, 8, |b| u64::from_le_bytes(b))
        };
    }
    macro_rules! i32_load8_u {
        ($l:expr) => {
            load!($l, 1, |b| b[0] as u64)
        };
    }
    macro_rules! load8_u_sum {
        ($l:expr) => {
            load_at!($l.dst, sum_addr!($l), 1, |b| b[0] as u64)
        };
    }
    macro_rules! br_i32_eq {
        ($b:expr) => {
            branch_cmp!($b, u32, |x, y| x == y)
        };
    }
    macro_rules! br_if_eqz {
        ($b:expr) => {
            if i32_of!($b.cond) == 0 {
                jump!($b.offset);
            }
        };
    }
    /// Checks that `$n` bytes at the 64-bit address `$ea` are inside memory 0.
    macro_rules! in_bounds {
        ($ea:expr, $n:expr) => {{
            let ea: u64 = $ea;
            if ea + $n as u64 > mem_len as u64 {
                trap!(TrapCode::MemoryOutOfBounds);
            }
            ea as usize
        }};
    }
    macro_rules! read_at {
        ($ea:expr, $n:literal) => {{
            let ea = in_bounds!($ea, $n);
            // SAFETY: `ea + $n <= mem_len` was checked, and `mem`/`mem_len` describe the
            // current instance's memory 0 (see the module docs).
            unsafe { std::ptr::read_unaligned(mem.add(ea) as *const [u8; $n]) }
        }};
    }
    macro_rules! write_at {
        ($ea:expr, $n:literal, $bytes:expr) => {{
            let bytes: [u8; $n] = $bytes;
            let ea = in_bounds!($ea, $n);
            // SAFETY: as in `read_at!`.
            unsafe { std::ptr::write_unaligned(mem.add(ea) as *mut [u8; $n], bytes) };
        }};
    }
    /// The address `base + index` of the fused `*.sum` accesses.
    macro_rules! sum_addr {
        ($a:expr) => {
            (i32_of!($a.base).wrapping_add(i32_of!($a.index))) as u64
        };
    }
    /// The address `(addr << $shift) + offset` of the fused `*.scaled` accesses.
    macro_rules! scaled_addr {
        ($a:expr, $shift:literal) => {
            (i32_of!($a.addr) << $shift) as u64 + $a.offset as u64
        };
    }
    /// The address `addr + offset` of a plain load or store.
    macro_rules! plain_addr {
        ($a:expr) => {
            (get!($a.addr) as u32 as u64) + $a.offset as u64
        };
    }
    /// `$n` bytes at `$ea`, converted by `$e`, into `$dst`.
    macro_rules! load_at {
        ($dst:expr, $ea:expr, $n:literal, |$bytes:ident| $e:expr) => {{
            let $bytes: [u8; $n] = read_at!($ea, $n);
            set!($dst, $e);
        }};
    }
    macro_rules! load {
        ($l:expr, $n:literal, |$bytes:ident| $e:expr) => {
            load_at!($l.dst, plain_addr!($l), $n, |$bytes| $e)
        };
    }
    macro_rules! store {
        ($s:expr, $n:literal, |$v:ident| $e:expr) => {{
            let $v = get!($s.value);
            write_at!(plain_addr!($s), $n, $e)
        }};
    }
    macro_rules! load128 {
        ($l:expr, $n:literal, |$bytes:ident| $e:expr) => {{
            let $bytes: [u8; $n] = read_at!(plain_addr!($l), $n);
            set128!($l.dst, $e);
        }};
    }
    macro_rules! get128 {
        ($s:expr) => {{ get!($s) as u128 | (get!($s.offset(1)) as u128) << 64 }};
    }
    macro_rules! set128 {
        ($s:expr, $v:expr) => {{
            let v: u128 = $v;
            set!($s, v as u64);
            set!($s.offset(1), (v >> 64) as u64);
        }};
    }
    macro_rules! v_un {
        ($u:expr, |$a:ident| $e:expr) => {{
            let $a = get128!($u.src);
            set128!($u.dst, $e);
        }};
    }
    macro_rules! un_v {
        ($u:expr, |$x:ident| $e:expr) => {{
            let $x = get!($u.src);
            set128!($u.dst, $e);
        }};
    }
    macro_rules! v_bin {
        ($b:expr, |$x:ident, $y:ident| $e:expr) => {{
            let $x = get128!($b.lhs);
            let $y = get128!($b.rhs);
            set128!($b.dst, $e);
        }};
    }
    macro_rules! v_test {
        ($u:expr, |$a:ident| $e:expr) => {{
            let $a = get128!($u.src);
            set!($u.dst, ($e) as u64);
        }};
    }
    macro_rules! v_map {
        ($u:expr, $t:ty, |$x:ident| $e:expr) => {
            v_un!($u, |a| map::<$t>(a, |$x| $e))
        };
    }
    macro_rules! v_zip {
        ($b:expr, $t:ty, |$x:ident, $y:ident| $e:expr) => {
            v_bin!($b, |a, b| zip::<$t>(a, b, |$x, $y| $e))
        };
    }
    macro_rules! v_cmp {
        ($b:expr, $t:ty, |$x:ident, $y:ident| $e:expr) => {
            v_bin!($b, |a, b| cmp::<$t>(a, b, |$x, $y| $e))
        };
    }
    macro_rules! v_extmul {
        ($b:expr, $s:ty, $d:ty, $from:expr) => {
            v_bin!($b, |a, b| {
                convert2::<$s, $d>(a, b, $from, |x, y| (x as $d).wrapping_mul(y as $d))
            })
        };
    }
    macro_rules! v_shift {
        ($b:expr, $t:ty, |$x:ident, $n:ident| $e:expr) => {{
            let v = get128!($b.lhs);
            let $n = i32_of!($b.rhs);
            set128!($b.dst, map::<$t>(v, |$x| $e));
        }};
    }
    macro_rules! lane_get {
        ($l:expr, |$v:ident, $i:ident| $e:expr) => {{
            let $v = get128!($l.src);
            let $i = $l.lane;
            set!($l.dst, $e);
        }};
    }
    macro_rules! lane_set {
        ($l:expr, $t:ty) => {{
            let v = replace::<$t>(get128!($l.dst), $l.lane, get!($l.value) as $t);
            set128!($l.dst, v);
        }};
    }

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
        let op = unsafe { *ip };
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
            Op::Br(b) => jump!(b.offset),
            Op::BrIfEqz(b) => br_if_eqz!(b),
            Op::BrIfNez(b) => {
                if i32_of!(b.cond) != 0 {
                    jump!(b.offset);
                }
            }
            Op::BrTable(t) => {
                let index = i32_of!(t.index).min(t.len - 1);
                // Now at the chosen entry (see the loop's SAFETY comment: entries exist).
                ip = ip.wrapping_add(1 + index as usize);
                // SAFETY: as above; `ip` is at an instruction of the function.
                match unsafe { *ip } {
                    // The usual entry: follow it here rather than dispatch it.
                    Op::Br(b) => jump!(b.offset),
                    // A stub that moves values first: run it next.
                    _ => ip = ip.wrapping_sub(1),
                }
            }
            Op::BrI32Eq(b) => br_i32_eq!(b),
            Op::BrI32Ne(b) => branch_cmp!(b, u32, |x, y| x != y),
            Op::BrI32LtS(b) => branch_cmp!(b, i32, |x, y| x < y),
            Op::BrI32LtU(b) => branch_cmp!(b, u32, |x, y| x < y),
            Op::BrI32GtS(b) => branch_cmp!(b, i32, |x, y| x > y),
            Op::BrI32GtU(b) => branch_cmp!(b, u32, |x, y| x > y),
            Op::BrI32LeS(b) => branch_cmp!(b, i32, |x, y| x <= y),
            Op::BrI32LeU(b) => branch_cmp!(b, u32, |x, y| x <= y),
            Op::BrI32GeS(b) => branch_cmp!(b, i32, |x, y| x >= y),
            Op::BrI32GeU(b) => branch_cmp!(b, u32, |x, y| x >= y),
            Op::BrI64Eq(b) => branch_cmp!(b, u64, |x, y| x == y),
            Op::BrI64Ne(b) => branch_cmp!(b, u64, |x, y| x != y),
            Op::BrI64LtS(b) => branch_cmp!(b, i64, |x, y| x < y),
            Op::BrI64LtU(b) => branch_cmp!(b, u64, |x, y| x < y),
            Op::BrI64GtS(b) => branch_cmp!(b, i64, |x, y| x > y),
            Op::BrI64GtU(b) => branch_cmp!(b, u64, |x, y| x > y),
            Op::BrI64LeS(b) => branch_cmp!(b, i64, |x, y| x <= y),
            Op::BrI64LeU(b) => branch_cmp!(b, u64, |x, y| x <= y),
            Op::BrI64GeS(b) => branch_cmp!(b, i64, |x, y| x >= y),
            Op::BrI64GeU(b) => branch_cmp!(b, u64, |x, y| x >= y),
            Op::Return(r) => {
                match r.len {
                    0 => {}
                    // The common case, without a call to `memmove`.
                    1 => set!(Slot(0), get!(r.src)),
                    // SAFETY: `src + len` is inside the frame (checked by `Code`), and the
                    // destination is the frame's first `len` cells; `ptr::copy` allows
                    // overlap.
                    len => unsafe {
                        std::ptr::copy(regs.add(r.src.0 as usize), regs, len as usize)
                    },
                }
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
            Op::Select(s) => {
                if i32_of!(s.cond) == 0 {
                    set!(s.dst, get!(s.other));
                }
            }
            Op::SelectV128(s) => {
                if i32_of!(s.cond) == 0 {
                    set!(s.dst, get!(s.other));
                    set!(s.dst.offset(1), get!(s.other.offset(1)));
                }
            }
            Op::Copy(u) => {
                set!(u.dst, get!(u.src));
                // Copies come in groups (moves between blocks, call arguments): run the
                // ones that follow here.
                loop {
                    // SAFETY: a `copy` is never last (`Code` checked that the last
                    // instruction is `return`, `br` or `trap`), so the next one exists.
                    match unsafe { *ip.add(1) } {
                        Op::Copy(u) => {
                            ip = ip.wrapping_add(1);
                            set!(u.dst, get!(u.src));
                        }
                        // Moves before a jump out of a block: take the jump too.
                        Op::Br(b) => {
                            ip = ip.wrapping_add(1);
                            jump!(b.offset);
                            break;
                        }
                        _ => break,
                    }
                }
            }
            Op::CopySpan(c) => {
                // SAFETY: both spans are inside the frame (checked by `Code`); `ptr::copy`
                // allows overlap.
                unsafe {
                    std::ptr::copy(
                        regs.add(c.src.0 as usize),
                        regs.add(c.dst.0 as usize),
                        c.len as usize,
                    )
                };
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
            Op::RefIsNull(u) => un!(u, |x| (x == 0) as u64),
            Op::RefFunc(r) => set!(r.dst, env.ref_func(r.index)),

            Op::I32Load(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
            Op::I64Load(l) => load!(l, 8, |b| u64::from_le_bytes(b)),
            Op::F32Load(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
            Op::F64Load(l) => f64_load!(l),
            Op::I32Load8S(l) => load!(l, 1, |b| b[0] as i8 as i32 as u32 as u64),
            Op::I32Load8U(l) => i32_load8_u!(l),
            Op::I32Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i32 as u32 as u64),
            Op::I32Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
            Op::I64Load8S(l) => load!(l, 1, |b| b[0] as i8 as i64 as u64),
            Op::I64Load8U(l) => load!(l, 1, |b| b[0] as u64),
            Op::I64Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i64 as u64),
            Op::I64Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
            Op::I64Load32S(l) => load!(l, 4, |b| i32::from_le_bytes(b) as i64 as u64),
            Op::I64Load32U(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
            Op::I32Store(s) => i32_store!(s),
            Op::I64Store(s) => store!(s, 8, |v| v.to_le_bytes()),
            Op::F32Store(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
            Op::F64Store(s) => f64_store!(s),
            Op::I32Store8(s) => store!(s, 1, |v| [v as u8]),
            Op::I32Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
            Op::I64Store8(s) => store!(s, 1, |v| [v as u8]),
            Op::I64Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
            Op::I64Store32(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
            Op::Load32Sum(l) => {
                load_at!(l.dst, sum_addr!(l), 4, |b| u32::from_le_bytes(b) as u64)
            }
            Op::Load64Sum(l) => load_at!(l.dst, sum_addr!(l), 8, |b| u64::from_le_bytes(b)),
            Op::Load8USum(l) => load8_u_sum!(l),
            Op::Store32Sum(s) => {
                write_at!(sum_addr!(s), 4, (get!(s.value) as u32).to_le_bytes())
            }
            Op::Store64Sum(s) => write_at!(sum_addr!(s), 8, get!(s.value).to_le_bytes()),
            Op::Store8Sum(s) => write_at!(sum_addr!(s), 1, [get!(s.value) as u8]),
            Op::Load32Scaled(l) => {
                load_at!(l.dst, scaled_addr!(l, 2), 4, |b| u32::from_le_bytes(b)
                    as u64)
            }
            Op::Load64Scaled(l) => {
                load_at!(l.dst, scaled_addr!(l, 3), 8, |b| u64::from_le_bytes(b))
            }
            Op::Store32Scaled(s) => {
                write_at!(scaled_addr!(s, 2), 4, (get!(s.value) as u32).to_le_bytes())
            }
            Op::Store64Scaled(s) => {
                write_at!(scaled_addr!(s, 3), 8, get!(s.value).to_le_bytes())
            }
            Op::MemorySize(d) => set!(d.dst, env.memory_size() as u64),
            Op::MemoryGrow(u) => {
                let delta = i32_of!(u.src);
                set!(u.dst, env.memory_grow(delta) as u64);
                sync_mem!();
            }
            Op::MemoryFill(a) => {
                let dst = i32_of!(a.args) as usize;
                let value = get!(a.args.offset(1)) as u8;
                let len = i32_of!(a.args.offset(2)) as usize;
                if dst + len > mem_len {
                    trap!(TrapCode::MemoryOutOfBounds);
                }
                // SAFETY: `dst + len <= mem_len` was checked; `mem` is the current memory.
                unsafe { std::ptr::write_bytes(mem.add(dst), value, len) };
            }
            Op::MemoryCopy(a) => {
                let dst = i32_of!(a.args) as usize;
                let src = i32_of!(a.args.offset(1)) as usize;
                let len = i32_of!(a.args.offset(2)) as usize;
                if dst + len > mem_len || src + len > mem_len {
                    trap!(TrapCode::MemoryOutOfBounds);
                }
                // SAFETY: both ranges end at or below `mem_len` (checked); `ptr::copy`
                // allows overlap.
                unsafe { std::ptr::copy(mem.add(src), mem.add(dst), len) };
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

            Op::I32Eqz(u) => un!(u, |x| (x as u32 == 0) as u64),
            Op::I32Eq(b) => cmp!(b, i32_of, u32, |x, y| x == y),
            Op::I32Ne(b) => cmp!(b, i32_of, u32, |x, y| x != y),
            Op::I32LtS(b) => cmp!(b, i32_of, i32, |x, y| x < y),
            Op::I32LtU(b) => cmp!(b, i32_of, u32, |x, y| x < y),
            Op::I32GtS(b) => cmp!(b, i32_of, i32, |x, y| x > y),
            Op::I32GtU(b) => cmp!(b, i32_of, u32, |x, y| x > y),
            Op::I32LeS(b) => cmp!(b, i32_of, i32, |x, y| x <= y),
            Op::I32LeU(b) => cmp!(b, i32_of, u32, |x, y| x <= y),
            Op::I32GeS(b) => cmp!(b, i32_of, i32, |x, y| x >= y),
            Op::I32GeU(b) => cmp!(b, i32_of, u32, |x, y| x >= y),
            Op::I32Clz(u) => un!(u, |x| (x as u32).leading_zeros() as u64),
            Op::I32Ctz(u) => un!(u, |x| (x as u32).trailing_zeros() as u64),
            Op::I32Popcnt(u) => un!(u, |x| (x as u32).count_ones() as u64),
            Op::I32Add(b) => i32_add!(b),
            Op::I32MulThenAdd(a) => pair!(a, i32_mul, I32Add, i32_add),
            Op::I32AddThenAdd(a) => pair!(a, i32_add, I32Add, i32_add),
            Op::I32AddThenShl(a) => pair!(a, i32_add, I32Shl, i32_shl),
            Op::I32ShlThenAdd(a) => pair!(a, i32_shl, I32Add, i32_add),
            Op::I32RotlThenXor(a) => pair!(a, i32_rotl, I32Xor, i32_xor),
            Op::F64MulThenAdd(a) => pair!(a, f64_mul, F64Add, f64_add),
            Op::F64MulThenSub(a) => pair!(a, f64_mul, F64Sub, f64_sub),
            Op::F64MulThenMul(a) => pair!(a, f64_mul, F64Mul, f64_mul),
            Op::F64SubThenMul(a) => pair!(a, f64_sub, F64Mul, f64_mul),
            Op::I32AddThenStore(a) => pair!(a, i32_add, I32Store, i32_store),
            Op::F64AddThenStore(a) => pair!(a, f64_add, F64Store, f64_store),
            Op::F64LoadThenMul(l) => pair!(l, f64_load, F64Mul, f64_mul),
            Op::I32Load8UThenAdd(l) => pair!(l, i32_load8_u, I32Add, i32_add),
            Op::I32Load8UThenBrIfEqz(l) => pair!(l, i32_load8_u, BrIfEqz, br_if_eqz),
            Op::Load8USumThenLoad8USum(l) => pair!(l, load8_u_sum, Load8USum, load8_u_sum),
            Op::Load8USumThenBrEq(l) => pair!(l, load8_u_sum, BrI32Eq, br_i32_eq),
            Op::I32AddBrEq(a) => add_then_branch!(a, BrI32Eq, |b| i32_of!(b.lhs) == i32_of!(b.rhs)),
            Op::I32AddBrNe(a) => add_then_branch!(a, BrI32Ne, |b| i32_of!(b.lhs) != i32_of!(b.rhs)),
            Op::I32AddBrLtS(a) => {
                add_then_branch!(a, BrI32LtS, |b| (i32_of!(b.lhs) as i32)
                    < i32_of!(b.rhs) as i32)
            }
            Op::I32AddBrLtU(a) => {
                add_then_branch!(a, BrI32LtU, |b| i32_of!(b.lhs) < i32_of!(b.rhs))
            }
            Op::I32AddBrGtS(a) => {
                add_then_branch!(a, BrI32GtS, |b| i32_of!(b.lhs) as i32
                    > i32_of!(b.rhs) as i32)
            }
            Op::I32AddBrGtU(a) => {
                add_then_branch!(a, BrI32GtU, |b| i32_of!(b.lhs) > i32_of!(b.rhs))
            }
            Op::I32AddBrLeS(a) => {
                add_then_branch!(a, BrI32LeS, |b| i32_of!(b.lhs) as i32
                    <= i32_of!(b.rhs) as i32)
            }
            Op::I32AddBrLeU(a) => {
                add_then_branch!(a, BrI32LeU, |b| i32_of!(b.lhs) <= i32_of!(b.rhs))
            }
            Op::I32AddBrGeS(a) => {
                add_then_branch!(a, BrI32GeS, |b| i32_of!(b.lhs) as i32
                    >= i32_of!(b.rhs) as i32)
            }
            Op::I32AddBrGeU(a) => {
                add_then_branch!(a, BrI32GeU, |b| i32_of!(b.lhs) >= i32_of!(b.rhs))
            }
            Op::I32AddBrIfEqz(a) => add_then_branch!(a, BrIfEqz, |b| i32_of!(b.cond) == 0),
            Op::I32AddBrIfNez(a) => add_then_branch!(a, BrIfNez, |b| i32_of!(b.cond) != 0),
            Op::I32Sub(b) => bin_i32!(b, |x, y| x.wrapping_sub(y)),
            Op::I32Mul(b) => i32_mul!(b),
            Op::I32DivS(b) => {
                let (x, y) = (i32_of!(b.lhs) as i32, i32_of!(b.rhs) as i32);
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                if x == i32::MIN && y == -1 {
                    trap!(TrapCode::IntegerOverflow);
                }
                set!(b.dst, (x / y) as u32 as u64);
            }
            Op::I32DivU(b) => {
                let (x, y) = (i32_of!(b.lhs), i32_of!(b.rhs));
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, (x / y) as u64);
            }
            Op::I32RemS(b) => {
                let (x, y) = (i32_of!(b.lhs) as i32, i32_of!(b.rhs) as i32);
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, x.wrapping_rem(y) as u32 as u64);
            }
            Op::I32RemU(b) => {
                let (x, y) = (i32_of!(b.lhs), i32_of!(b.rhs));
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, (x % y) as u64);
            }
            Op::I32And(b) => bin_i32!(b, |x, y| x & y),
            Op::I32Or(b) => bin_i32!(b, |x, y| x | y),
            Op::I32Xor(b) => i32_xor!(b),
            Op::I32Shl(b) => i32_shl!(b),
            Op::I32ShrS(b) => bin_i32!(b, |x, y| (x as i32).wrapping_shr(y)),
            Op::I32ShrU(b) => bin_i32!(b, |x, y| x.wrapping_shr(y)),
            Op::I32Rotl(b) => i32_rotl!(b),
            Op::I32Rotr(b) => bin_i32!(b, |x, y| x.rotate_right(y)),
            Op::I32Extend8S(u) => un!(u, |x| x as i8 as i32 as u32 as u64),
            Op::I32Extend16S(u) => un!(u, |x| x as i16 as i32 as u32 as u64),

            Op::I64Eqz(u) => un!(u, |x| (x == 0) as u64),
            Op::I64Eq(b) => cmp!(b, get, u64, |x, y| x == y),
            Op::I64Ne(b) => cmp!(b, get, u64, |x, y| x != y),
            Op::I64LtS(b) => cmp!(b, get, i64, |x, y| x < y),
            Op::I64LtU(b) => cmp!(b, get, u64, |x, y| x < y),
            Op::I64GtS(b) => cmp!(b, get, i64, |x, y| x > y),
            Op::I64GtU(b) => cmp!(b, get, u64, |x, y| x > y),
            Op::I64LeS(b) => cmp!(b, get, i64, |x, y| x <= y),
            Op::I64LeU(b) => cmp!(b, get, u64, |x, y| x <= y),
            Op::I64GeS(b) => cmp!(b, get, i64, |x, y| x >= y),
            Op::I64GeU(b) => cmp!(b, get, u64, |x, y| x >= y),
            Op::I64Clz(u) => un!(u, |x| x.leading_zeros() as u64),
            Op::I64Ctz(u) => un!(u, |x| x.trailing_zeros() as u64),
            Op::I64Popcnt(u) => un!(u, |x| x.count_ones() as u64),
            Op::I64Add(b) => bin_i64!(b, |x, y| x.wrapping_add(y)),
            Op::I64Sub(b) => bin_i64!(b, |x, y| x.wrapping_sub(y)),
            Op::I64Mul(b) => bin_i64!(b, |x, y| x.wrapping_mul(y)),
            Op::I64DivS(b) => {
                let (x, y) = (get!(b.lhs) as i64, get!(b.rhs) as i64);
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                if x == i64::MIN && y == -1 {
                    trap!(TrapCode::IntegerOverflow);
                }
                set!(b.dst, (x / y) as u64);
            }
            Op::I64DivU(b) => {
                let (x, y) = (get!(b.lhs), get!(b.rhs));
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, x / y);
            }
            Op::I64RemS(b) => {
                let (x, y) = (get!(b.lhs) as i64, get!(b.rhs) as i64);
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, x.wrapping_rem(y) as u64);
            }
            Op::I64RemU(b) => {
                let (x, y) = (get!(b.lhs), get!(b.rhs));
                if y == 0 {
                    trap!(TrapCode::IntegerDivideByZero);
                }
                set!(b.dst, x % y);
            }
            Op::I64And(b) => bin_i64!(b, |x, y| x & y),
            Op::I64Or(b) => bin_i64!(b, |x, y| x | y),
            Op::I64Xor(b) => bin_i64!(b, |x, y| x ^ y),
            Op::I64Shl(b) => bin_i64!(b, |x, y| x.wrapping_shl(y as u32)),
            Op::I64ShrS(b) => bin_i64!(b, |x, y| (x as i64).wrapping_shr(y as u32)),
            Op::I64ShrU(b) => bin_i64!(b, |x, y| x.wrapping_shr(y as u32)),
            Op::I64Rotl(b) => bin_i64!(b, |x, y| x.rotate_left((y & 63) as u32)),
            Op::I64Rotr(b) => bin_i64!(b, |x, y| x.rotate_right((y & 63) as u32)),
            Op::I64Extend8S(u) => un!(u, |x| x as i8 as i64 as u64),
            Op::I64Extend16S(u) => un!(u, |x| x as i16 as i64 as u64),
            Op::I64Extend32S(u) => un!(u, |x| x as i32 as i64 as u64),

            Op::F32Eq(b) => cmp!(b, f32_of, f32, |x, y| x == y),
            Op::F32Ne(b) => cmp!(b, f32_of, f32, |x, y| x != y),
            Op::F32Lt(b) => cmp!(b, f32_of, f32, |x, y| x < y),
            Op::F32Gt(b) => cmp!(b, f32_of, f32, |x, y| x > y),
            Op::F32Le(b) => cmp!(b, f32_of, f32, |x, y| x <= y),
            Op::F32Ge(b) => cmp!(b, f32_of, f32, |x, y| x >= y),
            Op::F32Abs(u) => un!(u, |x| x & 0x7fff_ffff),
            Op::F32Neg(u) => un!(u, |x| (x as u32 ^ 0x8000_0000) as u64),
            Op::F32Ceil(u) => un_f32!(u, |x| num::quiet(x.ceil())),
            Op::F32Floor(u) => un_f32!(u, |x| num::quiet(x.floor())),
            Op::F32Trunc(u) => un_f32!(u, |x| num::quiet(x.trunc())),
            Op::F32Nearest(u) => un_f32!(u, |x| num::quiet(x.round_ties_even())),
            Op::F32Sqrt(u) => un_f32!(u, |x| num::quiet(x.sqrt())),
            Op::F32Add(b) => bin_f32!(b, |x, y| x + y),
            Op::F32Sub(b) => bin_f32!(b, |x, y| x - y),
            Op::F32Mul(b) => bin_f32!(b, |x, y| x * y),
            Op::F32Div(b) => bin_f32!(b, |x, y| x / y),
            Op::F32Min(b) => bin_f32!(b, |x, y| num::f32_min(x, y)),
            Op::F32Max(b) => bin_f32!(b, |x, y| num::f32_max(x, y)),
            Op::F32Copysign(b) => bin_f32!(b, |x, y| x.copysign(y)),

            Op::F64Eq(b) => cmp!(b, f64_of, f64, |x, y| x == y),
            Op::F64Ne(b) => cmp!(b, f64_of, f64, |x, y| x != y),
            Op::F64Lt(b) => cmp!(b, f64_of, f64, |x, y| x < y),
            Op::F64Gt(b) => cmp!(b, f64_of, f64, |x, y| x > y),
            Op::F64Le(b) => cmp!(b, f64_of, f64, |x, y| x <= y),
            Op::F64Ge(b) => cmp!(b, f64_of, f64, |x, y| x >= y),
            Op::F64Abs(u) => un!(u, |x| x & 0x7fff_ffff_ffff_ffff),
            Op::F64Neg(u) => un!(u, |x| x ^ 0x8000_0000_0000_0000),
            Op::F64Ceil(u) => un_f64!(u, |x| num::quiet(x.ceil())),
            Op::F64Floor(u) => un_f64!(u, |x| num::quiet(x.floor())),
            Op::F64Trunc(u) => un_f64!(u, |x| num::quiet(x.trunc())),
            Op::F64Nearest(u) => un_f64!(u, |x| num::quiet(x.round_ties_even())),
            Op::F64Sqrt(u) => un_f64!(u, |x| num::quiet(x.sqrt())),
            Op::F64Add(b) => f64_add!(b),
            Op::F64Sub(b) => f64_sub!(b),
            Op::F64Mul(b) => f64_mul!(b),
            Op::F64Div(b) => bin_f64!(b, |x, y| x / y),
            Op::F64Min(b) => bin_f64!(b, |x, y| num::f64_min(x, y)),
            Op::F64Max(b) => bin_f64!(b, |x, y| num::f64_max(x, y)),
            Op::F64Copysign(b) => bin_f64!(b, |x, y| x.copysign(y)),

            Op::I32WrapI64(u) => un!(u, |x| x as u32 as u64),
            Op::I32TruncF32S(u) => {
                set!(
                    u.dst,
                    tri!(num::trunc_i32(f32_of!(u.src) as f64)) as u32 as u64
                )
            }
            Op::I32TruncF32U(u) => set!(u.dst, tri!(num::trunc_u32(f32_of!(u.src) as f64)) as u64),
            Op::I32TruncF64S(u) => set!(u.dst, tri!(num::trunc_i32(f64_of!(u.src))) as u32 as u64),
            Op::I32TruncF64U(u) => set!(u.dst, tri!(num::trunc_u32(f64_of!(u.src))) as u64),
            Op::I64ExtendI32S(u) => un!(u, |x| x as i32 as i64 as u64),
            Op::I64ExtendI32U(u) => un!(u, |x| x as u32 as u64),
            Op::I64TruncF32S(u) => set!(u.dst, tri!(num::trunc_i64(f32_of!(u.src) as f64)) as u64),
            Op::I64TruncF32U(u) => set!(u.dst, tri!(num::trunc_u64(f32_of!(u.src) as f64))),
            Op::I64TruncF64S(u) => set!(u.dst, tri!(num::trunc_i64(f64_of!(u.src))) as u64),
            Op::I64TruncF64U(u) => set!(u.dst, tri!(num::trunc_u64(f64_of!(u.src)))),
            Op::F32ConvertI32S(u) => un!(u, |x| (x as i32 as f32).to_bits() as u64),
            Op::F32ConvertI32U(u) => un!(u, |x| (x as u32 as f32).to_bits() as u64),
            Op::F32ConvertI64S(u) => un!(u, |x| (x as i64 as f32).to_bits() as u64),
            Op::F32ConvertI64U(u) => un!(u, |x| (x as f32).to_bits() as u64),
            Op::F32DemoteF64(u) => un!(u, |x| (f64::from_bits(x) as f32).to_bits() as u64),
            Op::F64ConvertI32S(u) => un!(u, |x| (x as i32 as f64).to_bits()),
            Op::F64ConvertI32U(u) => un!(u, |x| (x as u32 as f64).to_bits()),
            Op::F64ConvertI64S(u) => un!(u, |x| (x as i64 as f64).to_bits()),
            Op::F64ConvertI64U(u) => un!(u, |x| (x as f64).to_bits()),
            Op::F64PromoteF32(u) => un!(u, |x| (f32::from_bits(x as u32) as f64).to_bits()),
            Op::I32TruncSatF32S(u) => un!(u, |x| f32::from_bits(x as u32) as i32 as u32 as u64),
            Op::I32TruncSatF32U(u) => un!(u, |x| f32::from_bits(x as u32) as u32 as u64),
            Op::I32TruncSatF64S(u) => un!(u, |x| f64::from_bits(x) as i32 as u32 as u64),
            Op::I32TruncSatF64U(u) => un!(u, |x| f64::from_bits(x) as u32 as u64),
            Op::I64TruncSatF32S(u) => un!(u, |x| f32::from_bits(x as u32) as i64 as u64),
            Op::I64TruncSatF32U(u) => un!(u, |x| f32::from_bits(x as u32) as u64),
            Op::I64TruncSatF64S(u) => un!(u, |x| f64::from_bits(x) as i64 as u64),
            Op::I64TruncSatF64U(u) => un!(u, |x| f64::from_bits(x) as u64),

            Op::V128Load(l) => load128!(l, 16, |b| u128::from_le_bytes(b)),
            Op::V128Load8x8S(l) => load128!(l, 8, |b| convert::<i8, i16>(wide(b), 0, |x| x as i16)),
            Op::V128Load8x8U(l) => load128!(l, 8, |b| convert::<u8, u16>(wide(b), 0, |x| x as u16)),
            Op::V128Load16x4S(l) => {
                load128!(l, 8, |b| convert::<i16, i32>(wide(b), 0, |x| x as i32))
            }
            Op::V128Load16x4U(l) => {
                load128!(l, 8, |b| convert::<u16, u32>(wide(b), 0, |x| x as u32))
            }
            Op::V128Load32x2S(l) => {
                load128!(l, 8, |b| convert::<i32, i64>(wide(b), 0, |x| x as i64))
            }
            Op::V128Load32x2U(l) => {
                load128!(l, 8, |b| convert::<u32, u64>(wide(b), 0, |x| x as u64))
            }
            Op::V128Load8Splat(l) => load128!(l, 1, |b| splat::<u8>(b[0])),
            Op::V128Load16Splat(l) => load128!(l, 2, |b| splat(u16::from_le_bytes(b))),
            Op::V128Load32Splat(l) => load128!(l, 4, |b| splat(u32::from_le_bytes(b))),
            Op::V128Load64Splat(l) => load128!(l, 8, |b| splat(u64::from_le_bytes(b))),
            Op::V128Load32Zero(l) => load128!(l, 4, |b| u32::from_le_bytes(b) as u128),
            Op::V128Load64Zero(l) => load128!(l, 8, |b| u64::from_le_bytes(b) as u128),
            Op::V128Store(s) => write_at!(plain_addr!(s), 16, get128!(s.value).to_le_bytes()),
            Op::I8x16Shuffle(t) => {
                let r = simd::shuffle(get128!(t.dst), get128!(t.b), get128!(t.c));
                set128!(t.dst, r);
            }
            Op::V128Bitselect(t) => {
                let (a, b, c) = (get128!(t.dst), get128!(t.b), get128!(t.c));
                set128!(t.dst, (a & c) | (b & !c));
            }
            Op::I8x16ExtractLaneS(l) => lane_get!(l, |v, i| get::<i8>(v, i) as u32 as u64),
            Op::I8x16ExtractLaneU(l) => lane_get!(l, |v, i| get::<u8>(v, i) as u64),
            Op::I16x8ExtractLaneS(l) => lane_get!(l, |v, i| get::<i16>(v, i) as u32 as u64),
            Op::I16x8ExtractLaneU(l) => lane_get!(l, |v, i| get::<u16>(v, i) as u64),
            Op::I32x4ExtractLane(l) | Op::F32x4ExtractLane(l) => {
                lane_get!(l, |v, i| get::<u32>(v, i) as u64)
            }
            Op::I64x2ExtractLane(l) | Op::F64x2ExtractLane(l) => {
                lane_get!(l, |v, i| get::<u64>(v, i))
            }
            Op::I8x16ReplaceLane(l) => lane_set!(l, u8),
            Op::I16x8ReplaceLane(l) => lane_set!(l, u16),
            Op::I32x4ReplaceLane(l) | Op::F32x4ReplaceLane(l) => lane_set!(l, u32),
            Op::I64x2ReplaceLane(l) | Op::F64x2ReplaceLane(l) => lane_set!(l, u64),
            Op::I8x16Swizzle(b) => v_bin!(b, |x, y| simd::swizzle(x, y)),
            Op::I8x16Splat(u) => un_v!(u, |x| splat(x as u8)),
            Op::I16x8Splat(u) => un_v!(u, |x| splat(x as u16)),
            Op::I32x4Splat(u) | Op::F32x4Splat(u) => un_v!(u, |x| splat(x as u32)),
            Op::I64x2Splat(u) | Op::F64x2Splat(u) => un_v!(u, |x| splat(x)),

            Op::I8x16Eq(b) => v_cmp!(b, u8, |x, y| x == y),
            Op::I8x16Ne(b) => v_cmp!(b, u8, |x, y| x != y),
            Op::I8x16LtS(b) => v_cmp!(b, i8, |x, y| x < y),
            Op::I8x16LtU(b) => v_cmp!(b, u8, |x, y| x < y),
            Op::I8x16GtS(b) => v_cmp!(b, i8, |x, y| x > y),
            Op::I8x16GtU(b) => v_cmp!(b, u8, |x, y| x > y),
            Op::I8x16LeS(b) => v_cmp!(b, i8, |x, y| x <= y),
            Op::I8x16LeU(b) => v_cmp!(b, u8, |x, y| x <= y),
            Op::I8x16GeS(b) => v_cmp!(b, i8, |x, y| x >= y),
            Op::I8x16GeU(b) => v_cmp!(b, u8, |x, y| x >= y),
            Op::I16x8Eq(b) => v_cmp!(b, u16, |x, y| x == y),
            Op::I16x8Ne(b) => v_cmp!(b, u16, |x, y| x != y),
            Op::I16x8LtS(b) => v_cmp!(b, i16, |x, y| x < y),
            Op::I16x8LtU(b) => v_cmp!(b, u16, |x, y| x < y),
            Op::I16x8GtS(b) => v_cmp!(b, i16, |x, y| x > y),
            Op::I16x8GtU(b) => v_cmp!(b, u16, |x, y| x > y),
            Op::I16x8LeS(b) => v_cmp!(b, i16, |x, y| x <= y),
            Op::I16x8LeU(b) => v_cmp!(b, u16, |x, y| x <= y),
            Op::I16x8GeS(b) => v_cmp!(b, i16, |x, y| x >= y),
            Op::I16x8GeU(b) => v_cmp!(b, u16, |x, y| x >= y),
            Op::I32x4Eq(b) => v_cmp!(b, u32, |x, y| x == y),
            Op::I32x4Ne(b) => v_cmp!(b, u32, |x, y| x != y),
            Op::I32x4LtS(b) => v_cmp!(b, i32, |x, y| x < y),
            Op::I32x4LtU(b) => v_cmp!(b, u32, |x, y| x < y),
            Op::I32x4GtS(b) => v_cmp!(b, i32, |x, y| x > y),
            Op::I32x4GtU(b) => v_cmp!(b, u32, |x, y| x > y),
            Op::I32x4LeS(b) => v_cmp!(b, i32, |x, y| x <= y),
            Op::I32x4LeU(b) => v_cmp!(b, u32, |x, y| x <= y),
            Op::I32x4GeS(b) => v_cmp!(b, i32, |x, y| x >= y),
            Op::I32x4GeU(b) => v_cmp!(b, u32, |x, y| x >= y),
            Op::I64x2Eq(b) => v_cmp!(b, u64, |x, y| x == y),
            Op::I64x2Ne(b) => v_cmp!(b, u64, |x, y| x != y),
            Op::I64x2LtS(b) => v_cmp!(b, i64, |x, y| x < y),
            Op::I64x2GtS(b) => v_cmp!(b, i64, |x, y| x > y),
            Op::I64x2LeS(b) => v_cmp!(b, i64, |x, y| x <= y),
            Op::I64x2GeS(b) => v_cmp!(b, i64, |x, y| x >= y),
            Op::F32x4Eq(b) => v_cmp!(b, f32, |x, y| x == y),
            Op::F32x4Ne(b) => v_cmp!(b, f32, |x, y| x != y),
            Op::F32x4Lt(b) => v_cmp!(b, f32, |x, y| x < y),
            Op::F32x4Gt(b) => v_cmp!(b, f32, |x, y| x > y),
            Op::F32x4Le(b) => v_cmp!(b, f32, |x, y| x <= y),
            Op::F32x4Ge(b) => v_cmp!(b, f32, |x, y| x >= y),
            Op::F64x2Eq(b) => v_cmp!(b, f64, |x, y| x == y),
            Op::F64x2Ne(b) => v_cmp!(b, f64, |x, y| x != y),
            Op::F64x2Lt(b) => v_cmp!(b, f64, |x, y| x < y),
            Op::F64x2Gt(b) => v_cmp!(b, f64, |x, y| x > y),
            Op::F64x2Le(b) => v_cmp!(b, f64, |x, y| x <= y),
            Op::F64x2Ge(b) => v_cmp!(b, f64, |x, y| x >= y),

            Op::V128Not(u) => v_un!(u, |a| !a),
            Op::V128And(b) => v_bin!(b, |x, y| x & y),
            Op::V128AndNot(b) => v_bin!(b, |x, y| x & !y),
            Op::V128Or(b) => v_bin!(b, |x, y| x | y),
            Op::V128Xor(b) => v_bin!(b, |x, y| x ^ y),
            Op::V128AnyTrue(u) => v_test!(u, |a| a != 0),

            Op::I8x16Abs(u) => v_map!(u, i8, |x| x.wrapping_abs()),
            Op::I8x16Neg(u) => v_map!(u, i8, |x| x.wrapping_neg()),
            Op::I8x16Popcnt(u) => v_map!(u, u8, |x| x.count_ones() as u8),
            Op::I8x16AllTrue(u) => v_test!(u, |a| all_true::<u8>(a)),
            Op::I8x16Bitmask(u) => v_test!(u, |a| bitmask::<u8>(a)),
            Op::I8x16NarrowI16x8S(b) => {
                v_bin!(b, |x, y| narrow::<i16, i8>(x, y, |v| v.clamp(-128, 127)
                    as i8))
            }
            Op::I8x16NarrowI16x8U(b) => {
                v_bin!(b, |x, y| narrow::<i16, u8>(x, y, |v| v.clamp(0, 255) as u8))
            }
            Op::I8x16Shl(b) => v_shift!(b, u8, |x, n| x.wrapping_shl(n)),
            Op::I8x16ShrS(b) => v_shift!(b, i8, |x, n| x.wrapping_shr(n)),
            Op::I8x16ShrU(b) => v_shift!(b, u8, |x, n| x.wrapping_shr(n)),
            Op::I8x16Add(b) => v_zip!(b, u8, |x, y| x.wrapping_add(y)),
            Op::I8x16AddSatS(b) => v_zip!(b, i8, |x, y| x.saturating_add(y)),
            Op::I8x16AddSatU(b) => v_zip!(b, u8, |x, y| x.saturating_add(y)),
            Op::I8x16Sub(b) => v_zip!(b, u8, |x, y| x.wrapping_sub(y)),
            Op::I8x16SubSatS(b) => v_zip!(b, i8, |x, y| x.saturating_sub(y)),
            Op::I8x16SubSatU(b) => v_zip!(b, u8, |x, y| x.saturating_sub(y)),
            Op::I8x16MinS(b) => v_zip!(b, i8, |x, y| x.min(y)),
            Op::I8x16MinU(b) => v_zip!(b, u8, |x, y| x.min(y)),
            Op::I8x16MaxS(b) => v_zip!(b, i8, |x, y| x.max(y)),
            Op::I8x16MaxU(b) => v_zip!(b, u8, |x, y| x.max(y)),
            Op::I8x16AvgrU(b) => v_zip!(b, u8, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8),

            Op::I16x8ExtAddPairwiseI8x16S(u) => {
                v_un!(u, |a| pairwise::<i8, i16>(a, |x, y| x as i16 + y as i16))
            }
            Op::I16x8ExtAddPairwiseI8x16U(u) => {
                v_un!(u, |a| pairwise::<u8, u16>(a, |x, y| x as u16 + y as u16))
            }
            Op::I16x8Abs(u) => v_map!(u, i16, |x| x.wrapping_abs()),
            Op::I16x8Neg(u) => v_map!(u, i16, |x| x.wrapping_neg()),
            Op::I16x8Q15MulrSatS(b) => v_zip!(b, i16, |x, y| simd::q15mulr(x, y)),
            Op::I16x8AllTrue(u) => v_test!(u, |a| all_true::<u16>(a)),
            Op::I16x8Bitmask(u) => v_test!(u, |a| bitmask::<u16>(a)),
            Op::I16x8NarrowI32x4S(b) => v_bin!(b, |x, y| {
                narrow::<i32, i16>(x, y, |v| v.clamp(i16::MIN as i32, i16::MAX as i32) as i16)
            }),
            Op::I16x8NarrowI32x4U(b) => {
                v_bin!(b, |x, y| narrow::<i32, u16>(x, y, |v| v.clamp(0, 65535)
                    as u16))
            }
            Op::I16x8ExtendLowI8x16S(u) => v_un!(u, |a| convert::<i8, i16>(a, 0, |x| x as i16)),
            Op::I16x8ExtendHighI8x16S(u) => v_un!(u, |a| convert::<i8, i16>(a, 8, |x| x as i16)),
            Op::I16x8ExtendLowI8x16U(u) => v_un!(u, |a| convert::<u8, u16>(a, 0, |x| x as u16)),
            Op::I16x8ExtendHighI8x16U(u) => v_un!(u, |a| convert::<u8, u16>(a, 8, |x| x as u16)),
            Op::I16x8Shl(b) => v_shift!(b, u16, |x, n| x.wrapping_shl(n)),
            Op::I16x8ShrS(b) => v_shift!(b, i16, |x, n| x.wrapping_shr(n)),
            Op::I16x8ShrU(b) => v_shift!(b, u16, |x, n| x.wrapping_shr(n)),
            Op::I16x8Add(b) => v_zip!(b, u16, |x, y| x.wrapping_add(y)),
            Op::I16x8AddSatS(b) => v_zip!(b, i16, |x, y| x.saturating_add(y)),
            Op::I16x8AddSatU(b) => v_zip!(b, u16, |x, y| x.saturating_add(y)),
            Op::I16x8Sub(b) => v_zip!(b, u16, |x, y| x.wrapping_sub(y)),
            Op::I16x8SubSatS(b) => v_zip!(b, i16, |x, y| x.saturating_sub(y)),
            Op::I16x8SubSatU(b) => v_zip!(b, u16, |x, y| x.saturating_sub(y)),
            Op::I16x8Mul(b) => v_zip!(b, u16, |x, y| x.wrapping_mul(y)),
            Op::I16x8MinS(b) => v_zip!(b, i16, |x, y| x.min(y)),
            Op::I16x8MinU(b) => v_zip!(b, u16, |x, y| x.min(y)),
            Op::I16x8MaxS(b) => v_zip!(b, i16, |x, y| x.max(y)),
            Op::I16x8MaxU(b) => v_zip!(b, u16, |x, y| x.max(y)),
            Op::I16x8AvgrU(b) => v_zip!(b, u16, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16),
            Op::I16x8ExtMulLowI8x16S(b) => v_extmul!(b, i8, i16, 0),
            Op::I16x8ExtMulHighI8x16S(b) => v_extmul!(b, i8, i16, 8),
            Op::I16x8ExtMulLowI8x16U(b) => v_extmul!(b, u8, u16, 0),
            Op::I16x8ExtMulHighI8x16U(b) => v_extmul!(b, u8, u16, 8),

            Op::I32x4ExtAddPairwiseI16x8S(u) => {
                v_un!(u, |a| pairwise::<i16, i32>(a, |x, y| x as i32 + y as i32))
            }
            Op::I32x4ExtAddPairwiseI16x8U(u) => {
                v_un!(u, |a| pairwise::<u16, u32>(a, |x, y| x as u32 + y as u32))
            }
            Op::I32x4Abs(u) => v_map!(u, i32, |x| x.wrapping_abs()),
            Op::I32x4Neg(u) => v_map!(u, i32, |x| x.wrapping_neg()),
            Op::I32x4AllTrue(u) => v_test!(u, |a| all_true::<u32>(a)),
            Op::I32x4Bitmask(u) => v_test!(u, |a| bitmask::<u32>(a)),
            Op::I32x4ExtendLowI16x8S(u) => v_un!(u, |a| convert::<i16, i32>(a, 0, |x| x as i32)),
            Op::I32x4ExtendHighI16x8S(u) => v_un!(u, |a| convert::<i16, i32>(a, 4, |x| x as i32)),
            Op::I32x4ExtendLowI16x8U(u) => v_un!(u, |a| convert::<u16, u32>(a, 0, |x| x as u32)),
            Op::I32x4ExtendHighI16x8U(u) => v_un!(u, |a| convert::<u16, u32>(a, 4, |x| x as u32)),
            Op::I32x4Shl(b) => v_shift!(b, u32, |x, n| x.wrapping_shl(n)),
            Op::I32x4ShrS(b) => v_shift!(b, i32, |x, n| x.wrapping_shr(n)),
            Op::I32x4ShrU(b) => v_shift!(b, u32, |x, n| x.wrapping_shr(n)),
            Op::I32x4Add(b) => v_zip!(b, u32, |x, y| x.wrapping_add(y)),
            Op::I32x4Sub(b) => v_zip!(b, u32, |x, y| x.wrapping_sub(y)),
            Op::I32x4Mul(b) => v_zip!(b, u32, |x, y| x.wrapping_mul(y)),
            Op::I32x4MinS(b) => v_zip!(b, i32, |x, y| x.min(y)),
            Op::I32x4MinU(b) => v_zip!(b, u32, |x, y| x.min(y)),
            Op::I32x4MaxS(b) => v_zip!(b, i32, |x, y| x.max(y)),
            Op::I32x4MaxU(b) => v_zip!(b, u32, |x, y| x.max(y)),
            Op::I32x4DotI16x8S(b) => v_bin!(b, |x, y| simd::dot(x, y)),
            Op::I32x4ExtMulLowI16x8S(b) => v_extmul!(b, i16, i32, 0),
            Op::I32x4ExtMulHighI16x8S(b) => v_extmul!(b, i16, i32, 4),
            Op::I32x4ExtMulLowI16x8U(b) => v_extmul!(b, u16, u32, 0),
            Op::I32x4ExtMulHighI16x8U(b) => v_extmul!(b, u16, u32, 4),

            Op::I64x2Abs(u) => v_map!(u, i64, |x| x.wrapping_abs()),
            Op::I64x2Neg(u) => v_map!(u, i64, |x| x.wrapping_neg()),
            Op::I64x2AllTrue(u) => v_test!(u, |a| all_true::<u64>(a)),
            Op::I64x2Bitmask(u) => v_test!(u, |a| bitmask::<u64>(a)),
            Op::I64x2ExtendLowI32x4S(u) => v_un!(u, |a| convert::<i32, i64>(a, 0, |x| x as i64)),
            Op::I64x2ExtendHighI32x4S(u) => v_un!(u, |a| convert::<i32, i64>(a, 2, |x| x as i64)),
            Op::I64x2ExtendLowI32x4U(u) => v_un!(u, |a| convert::<u32, u64>(a, 0, |x| x as u64)),
            Op::I64x2ExtendHighI32x4U(u) => v_un!(u, |a| convert::<u32, u64>(a, 2, |x| x as u64)),
            Op::I64x2Shl(b) => v_shift!(b, u64, |x, n| x.wrapping_shl(n)),
            Op::I64x2ShrS(b) => v_shift!(b, i64, |x, n| x.wrapping_shr(n)),
            Op::I64x2ShrU(b) => v_shift!(b, u64, |x, n| x.wrapping_shr(n)),
            Op::I64x2Add(b) => v_zip!(b, u64, |x, y| x.wrapping_add(y)),
            Op::I64x2Sub(b) => v_zip!(b, u64, |x, y| x.wrapping_sub(y)),
            Op::I64x2Mul(b) => v_zip!(b, u64, |x, y| x.wrapping_mul(y)),
            Op::I64x2ExtMulLowI32x4S(b) => v_extmul!(b, i32, i64, 0),
            Op::I64x2ExtMulHighI32x4S(b) => v_extmul!(b, i32, i64, 2),
            Op::I64x2ExtMulLowI32x4U(b) => v_extmul!(b, u32, u64, 0),
            Op::I64x2ExtMulHighI32x4U(b) => v_extmul!(b, u32, u64, 2),

            Op::F32x4Ceil(u) => v_map!(u, f32, |x| x.ceil_q()),
            Op::F32x4Floor(u) => v_map!(u, f32, |x| x.floor_q()),
            Op::F32x4Trunc(u) => v_map!(u, f32, |x| x.trunc_q()),
            Op::F32x4Nearest(u) => v_map!(u, f32, |x| x.nearest_q()),
            Op::F32x4Abs(u) => v_map!(u, u32, |x| x & 0x7fff_ffff),
            Op::F32x4Neg(u) => v_map!(u, u32, |x| x ^ 0x8000_0000),
            Op::F32x4Sqrt(u) => v_map!(u, f32, |x| x.sqrt_q()),
            Op::F32x4Add(b) => v_zip!(b, f32, |x, y| x + y),
            Op::F32x4Sub(b) => v_zip!(b, f32, |x, y| x - y),
            Op::F32x4Mul(b) => v_zip!(b, f32, |x, y| x * y),
            Op::F32x4Div(b) => v_zip!(b, f32, |x, y| x / y),
            Op::F32x4Min(b) => v_zip!(b, f32, |x, y| x.wasm_min(y)),
            Op::F32x4Max(b) => v_zip!(b, f32, |x, y| x.wasm_max(y)),
            Op::F32x4PMin(b) => v_zip!(b, f32, |x, y| pmin(x, y)),
            Op::F32x4PMax(b) => v_zip!(b, f32, |x, y| pmax(x, y)),
            Op::F64x2Ceil(u) => v_map!(u, f64, |x| x.ceil_q()),
            Op::F64x2Floor(u) => v_map!(u, f64, |x| x.floor_q()),
            Op::F64x2Trunc(u) => v_map!(u, f64, |x| x.trunc_q()),
            Op::F64x2Nearest(u) => v_map!(u, f64, |x| x.nearest_q()),
            Op::F64x2Abs(u) => v_map!(u, u64, |x| x & 0x7fff_ffff_ffff_ffff),
            Op::F64x2Neg(u) => v_map!(u, u64, |x| x ^ 0x8000_0000_0000_0000),
            Op::F64x2Sqrt(u) => v_map!(u, f64, |x| x.sqrt_q()),
            Op::F64x2Add(b) => v_zip!(b, f64, |x, y| x + y),
            Op::F64x2Sub(b) => v_zip!(b, f64, |x, y| x - y),
            Op::F64x2Mul(b) => v_zip!(b, f64, |x, y| x * y),
            Op::F64x2Div(b) => v_zip!(b, f64, |x, y| x / y),
            Op::F64x2Min(b) => v_zip!(b, f64, |x, y| x.wasm_min(y)),
            Op::F64x2Max(b) => v_zip!(b, f64, |x, y| x.wasm_max(y)),
            Op::F64x2PMin(b) => v_zip!(b, f64, |x, y| pmin(x, y)),
            Op::F64x2PMax(b) => v_zip!(b, f64, |x, y| pmax(x, y)),

            Op::I32x4TruncSatF32x4S(u) => v_un!(u, |a| convert::<f32, i32>(a, 0, |x| x as i32)),
            Op::I32x4TruncSatF32x4U(u) => v_un!(u, |a| convert::<f32, u32>(a, 0, |x| x as u32)),
            Op::F32x4ConvertI32x4S(u) => v_un!(u, |a| convert::<i32, f32>(a, 0, |x| x as f32)),
            Op::F32x4ConvertI32x4U(u) => v_un!(u, |a| convert::<u32, f32>(a, 0, |x| x as f32)),
            Op::I32x4TruncSatF64x2SZero(u) => {
                v_un!(u, |a| convert::<f64, i32>(a, 0, |x| x as i32))
            }
            Op::I32x4TruncSatF64x2UZero(u) => {
                v_un!(u, |a| convert::<f64, u32>(a, 0, |x| x as u32))
            }
            Op::F64x2ConvertLowI32x4S(u) => v_un!(u, |a| convert::<i32, f64>(a, 0, |x| x as f64)),
            Op::F64x2ConvertLowI32x4U(u) => v_un!(u, |a| convert::<u32, f64>(a, 0, |x| x as f64)),
            Op::F32x4DemoteF64x2Zero(u) => v_un!(u, |a| convert::<f64, f32>(a, 0, |x| x as f32)),
            Op::F64x2PromoteLowF32x4(u) => v_un!(u, |a| convert::<f32, f64>(a, 0, |x| x as f64)),
        }
        ip = ip.wrapping_add(1);
    }
}
