//! The dispatch loop.

use std::sync::Arc;

use wz_ir::op::*;
use wz_ir::{Function, TrapCode};

use crate::env::{Callee, Env};
use crate::num;

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

#[derive(Debug)]
struct Frame {
    func: Arc<Function>,
    /// Where to continue when this frame is resumed.
    pc: usize,
    base: usize,
    instance: u32,
}

/// The interpreter's value slots and call frames, reused from call to call.
#[derive(Debug, Default)]
pub struct Stack {
    slots: Vec<u64>,
    frames: Vec<Frame>,
    limits: StackLimits,
}

impl Stack {
    /// An empty stack with the given limits.
    pub fn new(limits: StackLimits) -> Self {
        Stack {
            slots: Vec::new(),
            frames: Vec::new(),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> StackLimits {
        self.limits
    }

    fn reserve(&mut self, end: usize) -> Result<(), TrapCode> {
        if end > self.limits.max_slots {
            return Err(TrapCode::StackOverflow);
        }
        if end > self.slots.len() {
            let new_len = end
                .max(self.slots.len() * 2)
                .clamp(256, self.limits.max_slots);
            self.slots.resize(new_len, 0);
        }
        Ok(())
    }

    /// Pushes a frame for `func` at `base`, whose parameters are already in place.
    fn push_frame(
        &mut self,
        func: Arc<Function>,
        base: usize,
        instance: u32,
    ) -> Result<(), TrapCode> {
        if self.frames.len() >= self.limits.max_frames {
            return Err(TrapCode::StackOverflow);
        }
        self.reserve(base + func.frame_size as usize)?;
        let init_start = base + func.num_param_slots as usize;
        self.slots[init_start..init_start + func.init.len()].copy_from_slice(&func.init);
        self.frames.push(Frame {
            func,
            pc: 0,
            base,
            instance,
        });
        Ok(())
    }
}

/// Runs `func` of `instance` with `args` (one slot each; two for `v128`) and writes its results
/// to `results`.
///
/// The stack is left empty whether the call returns or traps, so it can be reused.
pub fn invoke<E: Env>(
    env: &mut E,
    stack: &mut Stack,
    instance: u32,
    func: &Arc<Function>,
    args: &[u64],
    results: &mut [u64],
) -> Result<(), E::Error> {
    stack.frames.clear();
    let outcome = start(env, stack, instance, func, args).and_then(|()| run(env, stack));
    stack.frames.clear();
    outcome?;
    let n = results.len().min(func.num_result_slots as usize);
    results[..n].copy_from_slice(&stack.slots[..n]);
    Ok(())
}

fn start<E: Env>(
    env: &mut E,
    stack: &mut Stack,
    instance: u32,
    func: &Arc<Function>,
    args: &[u64],
) -> Result<(), E::Error> {
    let params = func.num_param_slots as usize;
    stack.reserve(params.max(func.num_result_slots as usize))?;
    let n = args.len().min(params);
    stack.slots[..n].copy_from_slice(&args[..n]);
    stack.slots[n..params].fill(0);
    stack.push_frame(func.clone(), 0, instance)?;
    env.enter(instance);
    Ok(())
}

/// Executes until the bottom frame returns.
fn run<E: Env>(env: &mut E, stack: &mut Stack) -> Result<(), E::Error> {
    let frame = stack.frames.last().expect("start pushed a frame");
    let mut func = frame.func.clone();
    let mut base = frame.base;
    let mut instance = frame.instance;
    let mut pc = 0usize;

    macro_rules! get {
        ($s:expr) => {
            stack.slots[base + $s.0 as usize]
        };
    }
    macro_rules! set {
        ($s:expr, $v:expr) => {{
            let v = $v;
            stack.slots[base + $s.0 as usize] = v;
        }};
    }
    macro_rules! trap {
        ($code:expr) => {
            return Err(E::Error::from($code))
        };
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
                pc = $b.offset.target(pc);
                continue;
            }
        }};
    }
    macro_rules! effective {
        ($addr:expr, $offset:expr, $n:expr, $len:expr) => {{
            let ea = (get!($addr) as u32 as u64) + $offset as u64;
            if ea + $n as u64 > $len as u64 {
                trap!(TrapCode::MemoryOutOfBounds);
            }
            ea as usize
        }};
    }
    macro_rules! load {
        ($l:expr, $n:literal, |$bytes:ident| $e:expr) => {{
            let mem = env.memory();
            let ea = effective!($l.addr, $l.offset, $n, mem.len());
            let $bytes: [u8; $n] = mem[ea..ea + $n].try_into().expect("length checked");
            set!($l.dst, $e);
        }};
    }
    macro_rules! store {
        ($s:expr, $n:literal, |$v:ident| $e:expr) => {{
            let $v = get!($s.value);
            let bytes: [u8; $n] = $e;
            let addr = get!($s.addr);
            let mem = env.memory();
            let ea = (addr as u32 as u64) + $s.offset as u64;
            if ea + $n > mem.len() as u64 {
                trap!(TrapCode::MemoryOutOfBounds);
            }
            mem[ea as usize..ea as usize + $n].copy_from_slice(&bytes);
        }};
    }

    /// Enters a wasm callee (continuing the loop in its frame) or runs a host callee in place.
    macro_rules! call {
        ($callee:expr, $args:expr) => {{
            let args = base + $args.0 as usize;
            if let Some(frame) = stack.frames.last_mut() {
                frame.pc = pc + 1;
            }
            match $callee {
                Callee::Wasm {
                    instance: i,
                    func: f,
                } => {
                    stack.push_frame(f.clone(), args, i)?;
                    func = f;
                    base = args;
                    pc = 0;
                    if i != instance {
                        instance = i;
                        env.enter(i);
                    }
                    continue;
                }
                Callee::Host { func: h, slots } => {
                    let end = args + slots as usize;
                    stack.reserve(end)?;
                    env.call_host(h, &mut stack.slots[args..end])?;
                    env.enter(instance);
                }
            }
        }};
    }

    loop {
        let op = func.ops[pc];
        match op {
            Op::Trap(t) => trap!(TrapCode::from_u8(t.code as u8).unwrap_or(TrapCode::Unreachable)),
            Op::Br(b) => {
                pc = b.offset.target(pc);
                continue;
            }
            Op::BrIfEqz(b) => {
                if i32_of!(b.cond) == 0 {
                    pc = b.offset.target(pc);
                    continue;
                }
            }
            Op::BrIfNez(b) => {
                if i32_of!(b.cond) != 0 {
                    pc = b.offset.target(pc);
                    continue;
                }
            }
            Op::BrTable(t) => {
                let index = i32_of!(t.index).min(t.len - 1);
                pc += 1 + index as usize;
                continue;
            }
            Op::BrI32Eq(b) => branch_cmp!(b, u32, |x, y| x == y),
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
                let src = base + r.src.0 as usize;
                stack.slots.copy_within(src..src + r.len as usize, base);
                stack.frames.pop();
                match stack.frames.last() {
                    None => return Ok(()),
                    Some(caller) => {
                        func = caller.func.clone();
                        pc = caller.pc;
                        base = caller.base;
                        if caller.instance != instance {
                            instance = caller.instance;
                            env.enter(instance);
                        }
                        continue;
                    }
                }
            }
            Op::Call(c) => {
                let callee = env.callee(c.func);
                call!(callee, c.args);
            }
            Op::CallIndirect(c) => {
                let index = i32_of!(c.index);
                let callee =
                    env.indirect_callee(c.ty_table >> 24, index, c.ty_table & 0xff_ffff)?;
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
            Op::Copy(u) => set!(u.dst, get!(u.src)),
            Op::CopySpan(c) => {
                let src = base + c.src.0 as usize;
                stack
                    .slots
                    .copy_within(src..src + c.len as usize, base + c.dst.0 as usize);
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
            Op::F64Load(l) => load!(l, 8, |b| u64::from_le_bytes(b)),
            Op::I32Load8S(l) => load!(l, 1, |b| b[0] as i8 as i32 as u32 as u64),
            Op::I32Load8U(l) => load!(l, 1, |b| b[0] as u64),
            Op::I32Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i32 as u32 as u64),
            Op::I32Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
            Op::I64Load8S(l) => load!(l, 1, |b| b[0] as i8 as i64 as u64),
            Op::I64Load8U(l) => load!(l, 1, |b| b[0] as u64),
            Op::I64Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i64 as u64),
            Op::I64Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
            Op::I64Load32S(l) => load!(l, 4, |b| i32::from_le_bytes(b) as i64 as u64),
            Op::I64Load32U(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
            Op::I32Store(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
            Op::I64Store(s) => store!(s, 8, |v| v.to_le_bytes()),
            Op::F32Store(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
            Op::F64Store(s) => store!(s, 8, |v| v.to_le_bytes()),
            Op::I32Store8(s) => store!(s, 1, |v| [v as u8]),
            Op::I32Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
            Op::I64Store8(s) => store!(s, 1, |v| [v as u8]),
            Op::I64Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
            Op::I64Store32(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
            Op::MemorySize(d) => set!(d.dst, env.memory_size() as u64),
            Op::MemoryGrow(u) => {
                let delta = i32_of!(u.src);
                set!(u.dst, env.memory_grow(delta) as u64);
            }
            Op::MemoryFill(a) => {
                let dst = i32_of!(a.args) as usize;
                let value = get!(a.args.offset(1)) as u8;
                let len = i32_of!(a.args.offset(2)) as usize;
                let mem = env.memory();
                if dst + len > mem.len() {
                    trap!(TrapCode::MemoryOutOfBounds);
                }
                mem[dst..dst + len].fill(value);
            }
            Op::MemoryCopy(a) => {
                let dst = i32_of!(a.args) as usize;
                let src = i32_of!(a.args.offset(1)) as usize;
                let len = i32_of!(a.args.offset(2)) as usize;
                let mem = env.memory();
                if dst + len > mem.len() || src + len > mem.len() {
                    trap!(TrapCode::MemoryOutOfBounds);
                }
                mem.copy_within(src..src + len, dst);
            }
            Op::MemoryInit(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                env.memory_init(a.index, dst, src, len)?;
            }
            Op::DataDrop(d) => env.data_drop(d.index),

            Op::TableGet(t) => {
                let v = env.table_get(t.table, i32_of!(t.elem))?;
                set!(t.dst, v);
            }
            Op::TableSet(t) => env.table_set(t.table, i32_of!(t.elem), get!(t.value))?,
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
                env.table_fill(a.index, dst, value, len)?;
            }
            Op::TableCopy(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                env.table_copy(a.index, a.index2, dst, src, len)?;
            }
            Op::TableInit(a) => {
                let dst = i32_of!(a.args);
                let src = i32_of!(a.args.offset(1));
                let len = i32_of!(a.args.offset(2));
                env.table_init(a.index, a.index2, dst, src, len)?;
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
            Op::I32Add(b) => bin_i32!(b, |x, y| x.wrapping_add(y)),
            Op::I32Sub(b) => bin_i32!(b, |x, y| x.wrapping_sub(y)),
            Op::I32Mul(b) => bin_i32!(b, |x, y| x.wrapping_mul(y)),
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
            Op::I32Xor(b) => bin_i32!(b, |x, y| x ^ y),
            Op::I32Shl(b) => bin_i32!(b, |x, y| x.wrapping_shl(y)),
            Op::I32ShrS(b) => bin_i32!(b, |x, y| (x as i32).wrapping_shr(y)),
            Op::I32ShrU(b) => bin_i32!(b, |x, y| x.wrapping_shr(y)),
            Op::I32Rotl(b) => bin_i32!(b, |x, y| x.rotate_left(y)),
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
            Op::F64Add(b) => bin_f64!(b, |x, y| x + y),
            Op::F64Sub(b) => bin_f64!(b, |x, y| x - y),
            Op::F64Mul(b) => bin_f64!(b, |x, y| x * y),
            Op::F64Div(b) => bin_f64!(b, |x, y| x / y),
            Op::F64Min(b) => bin_f64!(b, |x, y| num::f64_min(x, y)),
            Op::F64Max(b) => bin_f64!(b, |x, y| num::f64_max(x, y)),
            Op::F64Copysign(b) => bin_f64!(b, |x, y| x.copysign(y)),

            Op::I32WrapI64(u) => un!(u, |x| x as u32 as u64),
            Op::I32TruncF32S(u) => {
                set!(u.dst, num::trunc_i32(f32_of!(u.src) as f64)? as u32 as u64)
            }
            Op::I32TruncF32U(u) => set!(u.dst, num::trunc_u32(f32_of!(u.src) as f64)? as u64),
            Op::I32TruncF64S(u) => set!(u.dst, num::trunc_i32(f64_of!(u.src))? as u32 as u64),
            Op::I32TruncF64U(u) => set!(u.dst, num::trunc_u32(f64_of!(u.src))? as u64),
            Op::I64ExtendI32S(u) => un!(u, |x| x as i32 as i64 as u64),
            Op::I64ExtendI32U(u) => un!(u, |x| x as u32 as u64),
            Op::I64TruncF32S(u) => set!(u.dst, num::trunc_i64(f32_of!(u.src) as f64)? as u64),
            Op::I64TruncF32U(u) => set!(u.dst, num::trunc_u64(f32_of!(u.src) as f64)?),
            Op::I64TruncF64S(u) => set!(u.dst, num::trunc_i64(f64_of!(u.src))? as u64),
            Op::I64TruncF64U(u) => set!(u.dst, num::trunc_u64(f64_of!(u.src))?),
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
        }
        pc += 1;
    }
}
