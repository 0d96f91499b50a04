//! The instructions that need nothing but the frame's slots, memory 0, the stack (calls and
//! returns inside the instance) and the fuel counter, each in its own handler function that
//! ends by calling the next instruction's handler.
//!
//! The dispatch loop in [`super::run`] runs everything that reaches the environment (host
//! and cross-instance calls, globals, tables, `memory.grow`, listeners, and fuel when the
//! environment gives no [`Meter`](crate::Meter)) itself, and hands every other instruction
//! to [`run_chain`]. A handler meeting a case it does not take (a call out of the instance,
//! say) ends the chain at that instruction, and the loop runs it.
//!
//! Each handler ends by calling the handler of the next instruction as its last act.
//! `Code::new` stores each instruction's handler next to it (taken from [`HANDLERS`], indexed
//! by the `u16` [`Opcode`] every [`Op`] starts with), so finding it is one load (direct
//! threading). An optimizing build turns that call into a jump, so every handler has its own
//! indirect jump, which the CPU predicts per handler, where the loop's single shared `match`
//! jump mispredicts far more (callgrind's branch simulation on the sieve workload: 99.9% of
//! the loop's indirect jumps mispredicted against 0.0% for per-handler jumps).
//!
//! Handlers also pass an accumulator: every slot write leaves the value in the last handler
//! parameter too, and `Code::new` gives an instruction that surely runs right after the one
//! producing its operand the variant (`ACC` 1 or 2) that reads that operand from there, not
//! waiting for the store to reach memory and the load to read it back.
//!
//! Rust does not guarantee that the call becomes a jump (debug builds never do it). So the
//! chain's stack is bounded instead: the handlers of instructions that can jump, call or
//! return ([`checks_stack`]), and a [`checkpoint`] at least every [`CHECKPOINT_EVERY`]
//! instructions of a run without one, compare the stack pointer with a floor [`CHAIN_STACK`]
//! bytes below where the chain started, and past it return to the loop, which starts a new
//! chain at the same instruction. Either way the host's stack is never exhausted, and the
//! result is the same; only the speed differs. Targets without a stack pointer reading here
//! return to the loop at every check.
//!
//! A handler that traps records the failing instruction in [`Chain::ip`] and returns the
//! [`TrapCode`]; the loop turns it into the call's error with the usual trace.

use super::*;

/// What a handler gets besides the instruction pointer, frame and memory: where the chain
/// stopped, the stack floor it must not run below, and what calls and returns inside the
/// current instance need (the loop's state of the same names).
pub(super) struct Chain<'a> {
    /// Set when the chain stops: the instruction the loop continues with (or that trapped).
    pub(super) ip: *const Inst,
    pub(super) stack: &'a mut Stack,
    /// The running frame's first cell in the slot array (updated by calls and returns).
    pub(super) base: usize,
    pub(super) instance: u32,
    pub(super) first_defined: u32,
    pub(super) defined: *const Arc<Code>,
    pub(super) defined_len: usize,
    /// `Env::meter`'s counters, null without them (the loop then charges fuel and checks
    /// limits through the environment).
    pub(super) fuel: *mut i64,
    pub(super) interrupt: *const AtomicU64,
    /// The lowest stack pointer at which a handler may still call the next one (set by
    /// [`run_chain`]).
    pub(super) floor: usize,
    /// The accumulator when the chain stops at the stack floor, and when it starts.
    pub(super) acc: u64,
}

/// One instruction's handler: runs the instruction at `ip` in the frame at `regs` with memory
/// 0 at `mem`/`mem_len`, then the rest of the chain; the last parameter is the accumulator
/// (the last value written to a slot). The six parameters travel in registers on x86_64 and
/// aarch64. (The stack floor as a parameter, tried before the accumulator took that place,
/// measured no faster and made larger handlers save and restore a register.)
pub(super) type Handler =
    fn(*const Inst, *mut u64, *mut u8, usize, &mut Chain<'_>, u64) -> Result<(), TrapCode>;

/// The most stack a chain may use before it returns to the loop (it uses one frame when the
/// handlers' calls to each other become jumps, as in optimized builds).
const CHAIN_STACK: usize = 16 * 1024;

/// The current stack pointer, or 0 where it is not read (which makes every chain one
/// instruction long).
#[inline(always)]
fn stack_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: copies the stack pointer register; reads and writes no memory.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: as above.
        unsafe {
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        0
    }
}

/// Runs the chain from `ip` (an instruction of the running function that the loop does not
/// run itself) until it reaches one the loop runs, traps, or uses up its stack; `cx.ip` is
/// then where it stopped and `cx.base` the running frame.
#[inline]
pub(super) fn run_chain(
    ip: *const Inst,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Chain<'_>,
) -> Result<(), TrapCode> {
    cx.floor = stack_pointer().wrapping_sub(CHAIN_STACK);
    let acc = cx.acc;
    dispatch(ip, regs, mem, mem_len, cx, acc)
}

/// Calls the handler of the instruction at `ip`.
#[inline(always)]
fn dispatch(
    ip: *const Inst,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Chain<'_>,
    acc: u64,
) -> Result<(), TrapCode> {
    // SAFETY: `ip` points at an instruction of the running function (see the module docs of
    // `exec`), whose handler `Code::new` chose for it: one of `HANDLERS`' for its opcode, or
    // `checkpoint`.
    let handler = unsafe { (*ip).handler };
    handler(ip, regs, mem, mem_len, cx, acc)
}

/// The handler of `op`: with `acc_in` 0 it reads its operands from their slots; with 1 or 2
/// it takes its first or second operand (see `Code::new`) from the accumulator instead.
pub(super) fn handler(op: Op, acc_in: u8) -> Handler {
    HANDLERS[op.opcode() as usize][acc_in as usize]
}

/// Whether `op`'s handler checks the stack floor before it calls the next handler: those of
/// every instruction that can jump (branches, fused pairs ending in one, `br_table`, a
/// group of `copy` instructions, which takes a `br` after it), calls and returns. Other
/// handlers go on unchecked; `Code::new` puts a [`checkpoint`] at least every
/// [`CHECKPOINT_EVERY`] instructions of a run without such an instruction, so that no path
/// runs more than that many handlers between two checks.
pub(super) const fn checks_stack(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        Br | BrIfEqz
            | BrIfNez
            | BrTable
            | BrI32Eq
            | BrI32Ne
            | BrI32LtS
            | BrI32LtU
            | BrI32GtS
            | BrI32GtU
            | BrI32LeS
            | BrI32LeU
            | BrI32GeS
            | BrI32GeU
            | BrI64Eq
            | BrI64Ne
            | BrI64LtS
            | BrI64LtU
            | BrI64GtS
            | BrI64GtU
            | BrI64LeS
            | BrI64LeU
            | BrI64GeS
            | BrI64GeU
            | I32AddBrEq
            | I32AddBrNe
            | I32AddBrLtS
            | I32AddBrLtU
            | I32AddBrGtS
            | I32AddBrGtU
            | I32AddBrLeS
            | I32AddBrLeU
            | I32AddBrGeS
            | I32AddBrGeU
            | I32AddBrIfEqz
            | I32AddBrIfNez
            | I32Load8UThenBrIfEqz
            | Load8USumThenBrEq
            | Copy
            | Call
            | Return
    )
}

/// The longest run of instructions without a stack check (see [`checks_stack`]).
pub(super) const CHECKPOINT_EVERY: usize = 16;

/// The handler `Code::new` gives an instruction in the middle of a long run without stack
/// checks: checks the floor, then runs the instruction's own handler (the variant that reads
/// its operands from their slots, which is always right).
pub(super) fn checkpoint(
    ip: *const Inst,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Chain<'_>,
    acc: u64,
) -> Result<(), TrapCode> {
    if stack_pointer() < cx.floor {
        cx.ip = ip;
        cx.acc = acc;
        return Ok(());
    }
    // SAFETY: `ip` points at an instruction of the running function (see `dispatch`).
    let op = unsafe { (*ip).op };
    handler(op, 0)(ip, regs, mem, mem_len, cx, acc)
}

/// Ends a handler: on to the next instruction's handler, unless `CHECK` says to look at the
/// stack and the chain has used its share (see [`checks_stack`]).
#[inline(always)]
fn next<const CHECK: bool>(
    ip: *const Inst,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Chain<'_>,
    acc: u64,
) -> Result<(), TrapCode> {
    if CHECK && stack_pointer() < cx.floor {
        cx.ip = ip;
        cx.acc = acc;
        return Ok(());
    }
    dispatch(ip, regs, mem, mem_len, cx, acc)
}

/// The handler of the instructions the loop runs itself: ends the chain there.
fn leave(
    ip: *const Inst,
    _regs: *mut u64,
    _mem: *mut u8,
    _mem_len: usize,
    cx: &mut Chain<'_>,
    _acc: u64,
) -> Result<(), TrapCode> {
    cx.ip = ip;
    Ok(())
}

/// Defines a handler per `Variant(operands) => body` (the body written with the macros of
/// `accessors!`, `trap!` and `tri!`) and the table [`HANDLERS`] that maps each opcode to
/// its handler, or to [`leave`]. `$dol` is `$`, for the macros defined inside each handler.
macro_rules! handlers {
    (
        $dol:tt [$ip:ident $regs:ident $mem:ident $mem_len:ident $cx:ident $acc:ident $acc_in:ident]
        $( $name:ident($b:ident) => $body:expr ),* $(,)?
    ) => {
        $(
            // A handler may not read its accumulator variant (`acc_in`) or its own last write to
            // `acc` (the next one reads it).
            #[allow(
                non_snake_case,
                unused_mut,
                unreachable_code,
                unused_macros,
                unused_variables,
                unused_assignments
            )]
            fn $name<const ACC: u8>(
                mut $ip: *const Inst,
                mut $regs: *mut u64,
                $mem: *mut u8,
                $mem_len: usize,
                $cx: &mut Chain<'_>,
                mut $acc: u64,
            ) -> Result<(), TrapCode> {
                // Which operand comes from `acc` (see `accessors!`'s `in1!`, `in2!`).
                let mut $acc_in: u8 = ACC;
                macro_rules! trap {
                    ($dol code:expr) => {{
                        $cx.ip = $ip;
                        return Err($dol code);
                    }};
                }
                macro_rules! tri {
                    ($dol e:expr) => {
                        match $dol e {
                            Ok(v) => v,
                            Err(code) => trap!(code),
                        }
                    };
                }
                accessors!($dol $ip $regs $mem $mem_len $acc $acc_in);
                // SAFETY: `HANDLERS` calls this handler only for `Op::$name` instructions,
                // at an `ip` inside the running function.
                let Op::$name($b) = (unsafe { (*$ip).op }) else {
                    // SAFETY: as above.
                    unsafe { std::hint::unreachable_unchecked() }
                };
                $body;
                $ip = $ip.wrapping_add(1);
                next::<{ checks_stack(Opcode::$name) }>($ip, $regs, $mem, $mem_len, $cx, $acc)
            }
        )*

        /// The handler of each opcode.
        /// The handler of each opcode: reading its operands from their slots, its first
        /// operand from the accumulator, its second from the accumulator.
        static HANDLERS: [[Handler; 3]; Op::COUNT] = {
            let mut table = [[leave as Handler; 3]; Op::COUNT];
            $( table[Opcode::$name as usize] = [$name::<0>, $name::<1>, $name::<2>]; )*
            table
        };

        /// Whether each opcode has a handler (calls and returns have one and are also run by
        /// the loop, which runs all others).
        pub(super) static IN_CHAIN: [bool; Op::COUNT] = {
            let mut table = [false; Op::COUNT];
            $( table[Opcode::$name as usize] = true; )*
            table
        };
    };
}

handlers! { $ [ip regs mem mem_len cx acc acc_in]
    Fuel(f) => {
        if cx.fuel.is_null() {
            return leave(ip, regs, mem, mem_len, cx, acc);
        }
        // SAFETY: `Env::meter` gave the counter for use until the next call of the
        // environment, and the chain calls none.
        unsafe { *cx.fuel = (*cx.fuel).wrapping_add(f.amount as i64) };
    },
    // `Env::consume_fuel` then `Env::check_limits`, as `Meter` defines them.
    Check(f) => {
        if cx.fuel.is_null() {
            return leave(ip, regs, mem, mem_len, cx, acc);
        }
        // SAFETY: as for `Fuel`; the interrupt word is valid as long as the counter.
        let (fuel, interrupted) = unsafe {
            *cx.fuel = (*cx.fuel).wrapping_add(f.amount as i64);
            (*cx.fuel, (*cx.interrupt).load(Ordering::Relaxed) & 1 != 0)
        };
        if fuel > 0 {
            trap!(TrapCode::OutOfFuel);
        }
        if interrupted {
            trap!(TrapCode::Interrupted);
        }
    },
    // A call of a function of the current instance; the loop makes the others.
    Call(c) => {
        let d = c.func.wrapping_sub(cx.first_defined) as usize;
        if d >= cx.defined_len {
            return leave(ip, regs, mem, mem_len, cx, acc);
        }
        // SAFETY: `d` is inside the slice `Env::defined_functions` returned, which the
        // environment keeps in place until `invoke` returns (its contract).
        let f = Arc::as_ptr(unsafe { &*cx.defined.add(d) });
        let args = cx.base + c.args.0 as usize;
        // The caller resumes after the call. Without room for the frame the loop makes the
        // call (growing the stack, or failing at its limit).
        let Some(callee) = cx.stack.try_push_call(f, args, cx.instance, ip.wrapping_add(1))
        else {
            return leave(ip, regs, mem, mem_len, cx, acc);
        };
        ip = callee;
        cx.base = args;
        regs = cx.stack.slots.as_mut_ptr().wrapping_add(args);
        return next::<true>(ip, regs, mem, mem_len, cx, acc);
    },
    // A return to a caller in the same instance; the loop makes the others.
    Return(r) => {
        let frames = &cx.stack.frames;
        let Some(caller) = frames.len().checked_sub(2).map(|i| &frames[i]) else {
            return leave(ip, regs, mem, mem_len, cx, acc);
        };
        if caller.instance != cx.instance {
            return leave(ip, regs, mem, mem_len, cx, acc);
        }
        let (caller_ip, caller_base) = (caller.ip, caller.base);
        return_values!(r);
        cx.stack.frames.pop();
        cx.base = caller_base;
        regs = cx.stack.slots.as_mut_ptr().wrapping_add(caller_base);
        return next::<true>(caller_ip, regs, mem, mem_len, cx, acc);
    },
    Br(b) => jump!(b.offset),
    BrIfEqz(b) => br_if_eqz!(b),
    BrIfNez(b) => {
        if in1!(b.cond) as u32 != 0 {
            jump!(b.offset);
        }
    },
    BrTable(t) => {
        let index = (in1!(t.index) as u32).min(t.len - 1);
        // Now at the chosen entry (see the loop's SAFETY comment: entries exist).
        ip = ip.wrapping_add(1 + index as usize);
        // SAFETY: as above; `ip` is at an instruction of the function.
        match unsafe { (*ip).op } {
            // The usual entry: follow it here rather than dispatch it.
            Op::Br(b) => jump!(b.offset),
            // A stub that moves values first: run it next.
            _ => ip = ip.wrapping_sub(1),
        }
    },
    BrI32Eq(b) => br_i32_eq!(b),
    BrI32Ne(b) => branch_cmp!(b, u32, |x, y| x != y),
    BrI32LtS(b) => branch_cmp!(b, i32, |x, y| x < y),
    BrI32LtU(b) => branch_cmp!(b, u32, |x, y| x < y),
    BrI32GtS(b) => branch_cmp!(b, i32, |x, y| x > y),
    BrI32GtU(b) => branch_cmp!(b, u32, |x, y| x > y),
    BrI32LeS(b) => branch_cmp!(b, i32, |x, y| x <= y),
    BrI32LeU(b) => branch_cmp!(b, u32, |x, y| x <= y),
    BrI32GeS(b) => branch_cmp!(b, i32, |x, y| x >= y),
    BrI32GeU(b) => branch_cmp!(b, u32, |x, y| x >= y),
    BrI64Eq(b) => branch_cmp!(b, u64, |x, y| x == y),
    BrI64Ne(b) => branch_cmp!(b, u64, |x, y| x != y),
    BrI64LtS(b) => branch_cmp!(b, i64, |x, y| x < y),
    BrI64LtU(b) => branch_cmp!(b, u64, |x, y| x < y),
    BrI64GtS(b) => branch_cmp!(b, i64, |x, y| x > y),
    BrI64GtU(b) => branch_cmp!(b, u64, |x, y| x > y),
    BrI64LeS(b) => branch_cmp!(b, i64, |x, y| x <= y),
    BrI64LeU(b) => branch_cmp!(b, u64, |x, y| x <= y),
    BrI64GeS(b) => branch_cmp!(b, i64, |x, y| x >= y),
    BrI64GeU(b) => branch_cmp!(b, u64, |x, y| x >= y),
    Select(s) => {
        if i32_of!(s.cond) == 0 {
            set!(s.dst, get!(s.other));
        }
    },
    SelectV128(s) => {
        if i32_of!(s.cond) == 0 {
            set!(s.dst, get!(s.other));
            set!(s.dst.offset(1), get!(s.other.offset(1)));
        }
    },
    Copy(u) => {
        set!(u.dst, in1!(u.src));
        // Copies come in groups (moves between blocks, call arguments): run the
        // ones that follow here.
        loop {
            // SAFETY: a `copy` is never last (`Code` checked that the last
            // instruction is `return`, `br` or `trap`), so the next one exists.
            match unsafe { (*ip.add(1)).op } {
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
    },
    CopySpan(c) => {
        // SAFETY: both spans are inside the frame (checked by `Code`); `ptr::copy`
        // allows overlap.
        unsafe {
            std::ptr::copy(
                regs.add(c.src.0 as usize),
                regs.add(c.dst.0 as usize),
                c.len as usize,
            )
        };
    },
    RefIsNull(u) => un!(u, |x| (x == 0) as u64),
    I32Load(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
    I64Load(l) => load!(l, 8, |b| u64::from_le_bytes(b)),
    F32Load(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
    F64Load(l) => load!(l, 8, |b| u64::from_le_bytes(b)),
    I32Load8S(l) => load!(l, 1, |b| b[0] as i8 as i32 as u32 as u64),
    I32Load8U(l) => i32_load8_u!(l),
    I32Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i32 as u32 as u64),
    I32Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
    I64Load8S(l) => load!(l, 1, |b| b[0] as i8 as i64 as u64),
    I64Load8U(l) => load!(l, 1, |b| b[0] as u64),
    I64Load16S(l) => load!(l, 2, |b| i16::from_le_bytes(b) as i64 as u64),
    I64Load16U(l) => load!(l, 2, |b| u16::from_le_bytes(b) as u64),
    I64Load32S(l) => load!(l, 4, |b| i32::from_le_bytes(b) as i64 as u64),
    I64Load32U(l) => load!(l, 4, |b| u32::from_le_bytes(b) as u64),
    I32Store(s) => i32_store!(s),
    I64Store(s) => store!(s, 8, |v| v.to_le_bytes()),
    F32Store(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
    F64Store(s) => f64_store!(s),
    I32Store8(s) => store!(s, 1, |v| [v as u8]),
    I32Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
    I64Store8(s) => store!(s, 1, |v| [v as u8]),
    I64Store16(s) => store!(s, 2, |v| (v as u16).to_le_bytes()),
    I64Store32(s) => store!(s, 4, |v| (v as u32).to_le_bytes()),
    Load32Sum(l) => {
        load_at!(l.dst, sum_addr!(l), 4, |b| u32::from_le_bytes(b) as u64)
    },
    Load64Sum(l) => load_at!(l.dst, sum_addr!(l), 8, |b| u64::from_le_bytes(b)),
    Load8USum(l) => load8_u_sum!(l),
    Store32Sum(s) => {
        write_at!(sum_addr!(s), 4, (get!(s.value) as u32).to_le_bytes())
    },
    Store64Sum(s) => write_at!(sum_addr!(s), 8, get!(s.value).to_le_bytes()),
    Store8Sum(s) => write_at!(sum_addr!(s), 1, [get!(s.value) as u8]),
    Load32Scaled(l) => {
        load_at!(l.dst, scaled_addr!(l, 2), 4, |b| u32::from_le_bytes(b)
            as u64)
    },
    Load64Scaled(l) => {
        load_at!(l.dst, scaled_addr!(l, 3), 8, |b| u64::from_le_bytes(b))
    },
    Store32Scaled(s) => {
        write_at!(scaled_addr!(s, 2), 4, (get!(s.value) as u32).to_le_bytes())
    },
    Store64Scaled(s) => {
        write_at!(scaled_addr!(s, 3), 8, get!(s.value).to_le_bytes())
    },
    MemoryFill(a) => {
        let dst = i32_of!(a.args) as usize;
        let value = get!(a.args.offset(1)) as u8;
        let len = i32_of!(a.args.offset(2)) as usize;
        if dst + len > mem_len {
            trap!(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: `dst + len <= mem_len` was checked; `mem` is the current memory.
        unsafe { std::ptr::write_bytes(mem.add(dst), value, len) };
    },
    MemoryCopy(a) => {
        let dst = i32_of!(a.args) as usize;
        let src = i32_of!(a.args.offset(1)) as usize;
        let len = i32_of!(a.args.offset(2)) as usize;
        if dst + len > mem_len || src + len > mem_len {
            trap!(TrapCode::MemoryOutOfBounds);
        }
        // SAFETY: both ranges end at or below `mem_len` (checked); `ptr::copy`
        // allows overlap.
        unsafe { std::ptr::copy(mem.add(src), mem.add(dst), len) };
    },
    I32Eqz(u) => un!(u, |x| (x as u32 == 0) as u64),
    I32Eq(b) => cmp!(b, u32_bits, u32, |x, y| x == y),
    I32Ne(b) => cmp!(b, u32_bits, u32, |x, y| x != y),
    I32LtS(b) => cmp!(b, u32_bits, i32, |x, y| x < y),
    I32LtU(b) => cmp!(b, u32_bits, u32, |x, y| x < y),
    I32GtS(b) => cmp!(b, u32_bits, i32, |x, y| x > y),
    I32GtU(b) => cmp!(b, u32_bits, u32, |x, y| x > y),
    I32LeS(b) => cmp!(b, u32_bits, i32, |x, y| x <= y),
    I32LeU(b) => cmp!(b, u32_bits, u32, |x, y| x <= y),
    I32GeS(b) => cmp!(b, u32_bits, i32, |x, y| x >= y),
    I32GeU(b) => cmp!(b, u32_bits, u32, |x, y| x >= y),
    I32Clz(u) => un!(u, |x| (x as u32).leading_zeros() as u64),
    I32Ctz(u) => un!(u, |x| (x as u32).trailing_zeros() as u64),
    I32Popcnt(u) => un!(u, |x| (x as u32).count_ones() as u64),
    I32Add(b) => i32_add!(b),
    I32MulThenAdd(a) => {
        binary_pair!(a, u32, |x, y| x.wrapping_mul(y), I32Add, |p, q| p.wrapping_add(q))
    },
    I32AddThenAdd(a) => {
        binary_pair!(a, u32, |x, y| x.wrapping_add(y), I32Add, |p, q| p.wrapping_add(q))
    },
    I32AddThenShl(a) => {
        binary_pair!(a, u32, |x, y| x.wrapping_add(y), I32Shl, |p, q| p.wrapping_shl(q))
    },
    I32ShlThenAdd(a) => {
        binary_pair!(a, u32, |x, y| x.wrapping_shl(y), I32Add, |p, q| p.wrapping_add(q))
    },
    I32RotlThenXor(a) => binary_pair!(a, u32, |x, y| x.rotate_left(y), I32Xor, |p, q| p ^ q),
    F64MulThenAdd(a) => binary_pair!(a, f64, |x, y| x * y, F64Add, |p, q| p + q),
    F64MulThenSub(a) => binary_pair!(a, f64, |x, y| x * y, F64Sub, |p, q| p - q),
    F64MulThenMul(a) => binary_pair!(a, f64, |x, y| x * y, F64Mul, |p, q| p * q),
    F64SubThenMul(a) => binary_pair!(a, f64, |x, y| x - y, F64Mul, |p, q| p * q),
    I32AddThenStore(a) => pair!(a, i32_add, I32Store, i32_store),
    F64AddThenStore(a) => pair!(a, f64_add, F64Store, f64_store),
    F64LoadThenMul(l) => {
        let v = u64::from_le_bytes(read_at!(plain_addr!(l), 8));
        set!(l.dst, v);
        then_binary!(l.dst, v, F64Mul, f64, |p, q| p * q);
    },
    I32Load8UThenAdd(l) => {
        let v = read_at!(plain_addr!(l), 1)[0] as u64;
        set!(l.dst, v);
        then_binary!(l.dst, v, I32Add, u32, |p, q| p.wrapping_add(q));
    },
    I32Load8UThenBrIfEqz(l) => pair!(l, i32_load8_u, BrIfEqz, br_if_eqz),
    Load8USumThenLoad8USum(l) => pair!(l, load8_u_sum, Load8USum, load8_u_sum),
    Load8USumThenBrEq(l) => pair!(l, load8_u_sum, BrI32Eq, br_i32_eq),
    I32AddBrEq(a) => add_then_branch!(a, BrI32Eq, |b| i32_of!(b.lhs) == i32_of!(b.rhs)),
    I32AddBrNe(a) => add_then_branch!(a, BrI32Ne, |b| i32_of!(b.lhs) != i32_of!(b.rhs)),
    I32AddBrLtS(a) => {
        add_then_branch!(a, BrI32LtS, |b| (i32_of!(b.lhs) as i32) < i32_of!(b.rhs) as i32)
    },
    I32AddBrLtU(a) => add_then_branch!(a, BrI32LtU, |b| i32_of!(b.lhs) < i32_of!(b.rhs)),
    I32AddBrGtS(a) => {
        add_then_branch!(a, BrI32GtS, |b| i32_of!(b.lhs) as i32 > i32_of!(b.rhs) as i32)
    },
    I32AddBrGtU(a) => add_then_branch!(a, BrI32GtU, |b| i32_of!(b.lhs) > i32_of!(b.rhs)),
    I32AddBrLeS(a) => {
        add_then_branch!(a, BrI32LeS, |b| i32_of!(b.lhs) as i32 <= i32_of!(b.rhs) as i32)
    },
    I32AddBrLeU(a) => add_then_branch!(a, BrI32LeU, |b| i32_of!(b.lhs) <= i32_of!(b.rhs)),
    I32AddBrGeS(a) => {
        add_then_branch!(a, BrI32GeS, |b| i32_of!(b.lhs) as i32 >= i32_of!(b.rhs) as i32)
    },
    I32AddBrGeU(a) => add_then_branch!(a, BrI32GeU, |b| i32_of!(b.lhs) >= i32_of!(b.rhs)),
    I32AddBrIfEqz(a) => add_then_branch!(a, BrIfEqz, |b| i32_of!(b.cond) == 0),
    I32AddBrIfNez(a) => add_then_branch!(a, BrIfNez, |b| i32_of!(b.cond) != 0),
    I32Sub(b) => bin_i32!(b, |x, y| x.wrapping_sub(y)),
    I32Mul(b) => bin_i32!(b, |x, y| x.wrapping_mul(y)),
    I32DivS(b) => {
        let (x, y) = (in1!(b.lhs) as u32 as i32, in2!(b.rhs) as u32 as i32);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        if x == i32::MIN && y == -1 {
            trap!(TrapCode::IntegerOverflow);
        }
        set!(b.dst, (x / y) as u32 as u64);
    },
    I32DivU(b) => {
        let (x, y) = (in1!(b.lhs) as u32, in2!(b.rhs) as u32);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, (x / y) as u64);
    },
    I32RemS(b) => {
        let (x, y) = (in1!(b.lhs) as u32 as i32, in2!(b.rhs) as u32 as i32);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, x.wrapping_rem(y) as u32 as u64);
    },
    I32RemU(b) => {
        let (x, y) = (in1!(b.lhs) as u32, in2!(b.rhs) as u32);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, (x % y) as u64);
    },
    I32And(b) => bin_i32!(b, |x, y| x & y),
    I32Or(b) => bin_i32!(b, |x, y| x | y),
    I32Xor(b) => bin_i32!(b, |x, y| x ^ y),
    I32Shl(b) => bin_i32!(b, |x, y| x.wrapping_shl(y)),
    I32ShrS(b) => bin_i32!(b, |x, y| (x as i32).wrapping_shr(y)),
    I32ShrU(b) => bin_i32!(b, |x, y| x.wrapping_shr(y)),
    I32Rotl(b) => bin_i32!(b, |x, y| x.rotate_left(y)),
    I32Rotr(b) => bin_i32!(b, |x, y| x.rotate_right(y)),
    I32Extend8S(u) => un!(u, |x| x as i8 as i32 as u32 as u64),
    I32Extend16S(u) => un!(u, |x| x as i16 as i32 as u32 as u64),
    I64Eqz(u) => un!(u, |x| (x == 0) as u64),
    I64Eq(b) => cmp!(b, u64_bits, u64, |x, y| x == y),
    I64Ne(b) => cmp!(b, u64_bits, u64, |x, y| x != y),
    I64LtS(b) => cmp!(b, u64_bits, i64, |x, y| x < y),
    I64LtU(b) => cmp!(b, u64_bits, u64, |x, y| x < y),
    I64GtS(b) => cmp!(b, u64_bits, i64, |x, y| x > y),
    I64GtU(b) => cmp!(b, u64_bits, u64, |x, y| x > y),
    I64LeS(b) => cmp!(b, u64_bits, i64, |x, y| x <= y),
    I64LeU(b) => cmp!(b, u64_bits, u64, |x, y| x <= y),
    I64GeS(b) => cmp!(b, u64_bits, i64, |x, y| x >= y),
    I64GeU(b) => cmp!(b, u64_bits, u64, |x, y| x >= y),
    I64Clz(u) => un!(u, |x| x.leading_zeros() as u64),
    I64Ctz(u) => un!(u, |x| x.trailing_zeros() as u64),
    I64Popcnt(u) => un!(u, |x| x.count_ones() as u64),
    I64Add(b) => bin_i64!(b, |x, y| x.wrapping_add(y)),
    I64Sub(b) => bin_i64!(b, |x, y| x.wrapping_sub(y)),
    I64Mul(b) => bin_i64!(b, |x, y| x.wrapping_mul(y)),
    I64DivS(b) => {
        let (x, y) = (in1!(b.lhs) as i64, in2!(b.rhs) as i64);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        if x == i64::MIN && y == -1 {
            trap!(TrapCode::IntegerOverflow);
        }
        set!(b.dst, (x / y) as u64);
    },
    I64DivU(b) => {
        let (x, y) = (in1!(b.lhs), in2!(b.rhs));
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, x / y);
    },
    I64RemS(b) => {
        let (x, y) = (in1!(b.lhs) as i64, in2!(b.rhs) as i64);
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, x.wrapping_rem(y) as u64);
    },
    I64RemU(b) => {
        let (x, y) = (in1!(b.lhs), in2!(b.rhs));
        if y == 0 {
            trap!(TrapCode::IntegerDivideByZero);
        }
        set!(b.dst, x % y);
    },
    I64And(b) => bin_i64!(b, |x, y| x & y),
    I64Or(b) => bin_i64!(b, |x, y| x | y),
    I64Xor(b) => bin_i64!(b, |x, y| x ^ y),
    I64Shl(b) => bin_i64!(b, |x, y| x.wrapping_shl(y as u32)),
    I64ShrS(b) => bin_i64!(b, |x, y| (x as i64).wrapping_shr(y as u32)),
    I64ShrU(b) => bin_i64!(b, |x, y| x.wrapping_shr(y as u32)),
    I64Rotl(b) => bin_i64!(b, |x, y| x.rotate_left((y & 63) as u32)),
    I64Rotr(b) => bin_i64!(b, |x, y| x.rotate_right((y & 63) as u32)),
    I64Extend8S(u) => un!(u, |x| x as i8 as i64 as u64),
    I64Extend16S(u) => un!(u, |x| x as i16 as i64 as u64),
    I64Extend32S(u) => un!(u, |x| x as i32 as i64 as u64),
    F32Eq(b) => cmp!(b, f32_bits, f32, |x, y| x == y),
    F32Ne(b) => cmp!(b, f32_bits, f32, |x, y| x != y),
    F32Lt(b) => cmp!(b, f32_bits, f32, |x, y| x < y),
    F32Gt(b) => cmp!(b, f32_bits, f32, |x, y| x > y),
    F32Le(b) => cmp!(b, f32_bits, f32, |x, y| x <= y),
    F32Ge(b) => cmp!(b, f32_bits, f32, |x, y| x >= y),
    F32Abs(u) => un!(u, |x| x & 0x7fff_ffff),
    F32Neg(u) => un!(u, |x| (x as u32 ^ 0x8000_0000) as u64),
    F32Ceil(u) => un_f32!(u, |x| num::quiet(x.ceil())),
    F32Floor(u) => un_f32!(u, |x| num::quiet(x.floor())),
    F32Trunc(u) => un_f32!(u, |x| num::quiet(x.trunc())),
    F32Nearest(u) => un_f32!(u, |x| num::quiet(x.round_ties_even())),
    F32Sqrt(u) => un_f32!(u, |x| num::quiet(x.sqrt())),
    F32Add(b) => bin_f32!(b, |x, y| x + y),
    F32Sub(b) => bin_f32!(b, |x, y| x - y),
    F32Mul(b) => bin_f32!(b, |x, y| x * y),
    F32Div(b) => bin_f32!(b, |x, y| x / y),
    F32Min(b) => bin_f32!(b, |x, y| num::f32_min(x, y)),
    F32Max(b) => bin_f32!(b, |x, y| num::f32_max(x, y)),
    F32Copysign(b) => bin_f32!(b, |x, y| x.copysign(y)),
    F64Eq(b) => cmp!(b, f64_bits, f64, |x, y| x == y),
    F64Ne(b) => cmp!(b, f64_bits, f64, |x, y| x != y),
    F64Lt(b) => cmp!(b, f64_bits, f64, |x, y| x < y),
    F64Gt(b) => cmp!(b, f64_bits, f64, |x, y| x > y),
    F64Le(b) => cmp!(b, f64_bits, f64, |x, y| x <= y),
    F64Ge(b) => cmp!(b, f64_bits, f64, |x, y| x >= y),
    F64Abs(u) => un!(u, |x| x & 0x7fff_ffff_ffff_ffff),
    F64Neg(u) => un!(u, |x| x ^ 0x8000_0000_0000_0000),
    F64Ceil(u) => un_f64!(u, |x| num::quiet(x.ceil())),
    F64Floor(u) => un_f64!(u, |x| num::quiet(x.floor())),
    F64Trunc(u) => un_f64!(u, |x| num::quiet(x.trunc())),
    F64Nearest(u) => un_f64!(u, |x| num::quiet(x.round_ties_even())),
    F64Sqrt(u) => un_f64!(u, |x| num::quiet(x.sqrt())),
    F64Add(b) => f64_add!(b),
    F64Sub(b) => bin_f64!(b, |x, y| x - y),
    F64Mul(b) => bin_f64!(b, |x, y| x * y),
    F64Div(b) => bin_f64!(b, |x, y| x / y),
    F64Min(b) => bin_f64!(b, |x, y| num::f64_min(x, y)),
    F64Max(b) => bin_f64!(b, |x, y| num::f64_max(x, y)),
    F64Copysign(b) => bin_f64!(b, |x, y| x.copysign(y)),
    I32WrapI64(u) => un!(u, |x| x as u32 as u64),
    I32TruncF32S(u) => {
        set!(
            u.dst,
            tri!(num::trunc_i32(f32::from_bits(in1!(u.src) as u32) as f64)) as u32 as u64
        )
    },
    I32TruncF32U(u) => set!(u.dst, tri!(num::trunc_u32(f32::from_bits(in1!(u.src) as u32) as f64)) as u64),
    I32TruncF64S(u) => set!(u.dst, tri!(num::trunc_i32(f64::from_bits(in1!(u.src)))) as u32 as u64),
    I32TruncF64U(u) => set!(u.dst, tri!(num::trunc_u32(f64::from_bits(in1!(u.src)))) as u64),
    I64ExtendI32S(u) => un!(u, |x| x as i32 as i64 as u64),
    I64ExtendI32U(u) => un!(u, |x| x as u32 as u64),
    I64TruncF32S(u) => set!(u.dst, tri!(num::trunc_i64(f32::from_bits(in1!(u.src) as u32) as f64)) as u64),
    I64TruncF32U(u) => set!(u.dst, tri!(num::trunc_u64(f32::from_bits(in1!(u.src) as u32) as f64))),
    I64TruncF64S(u) => set!(u.dst, tri!(num::trunc_i64(f64::from_bits(in1!(u.src)))) as u64),
    I64TruncF64U(u) => set!(u.dst, tri!(num::trunc_u64(f64::from_bits(in1!(u.src))))),
    F32ConvertI32S(u) => un!(u, |x| (x as i32 as f32).to_bits() as u64),
    F32ConvertI32U(u) => un!(u, |x| (x as u32 as f32).to_bits() as u64),
    F32ConvertI64S(u) => un!(u, |x| (x as i64 as f32).to_bits() as u64),
    F32ConvertI64U(u) => un!(u, |x| (x as f32).to_bits() as u64),
    F32DemoteF64(u) => un!(u, |x| (f64::from_bits(x) as f32).to_bits() as u64),
    F64ConvertI32S(u) => un!(u, |x| (x as i32 as f64).to_bits()),
    F64ConvertI32U(u) => un!(u, |x| (x as u32 as f64).to_bits()),
    F64ConvertI64S(u) => un!(u, |x| (x as i64 as f64).to_bits()),
    F64ConvertI64U(u) => un!(u, |x| (x as f64).to_bits()),
    F64PromoteF32(u) => un!(u, |x| (f32::from_bits(x as u32) as f64).to_bits()),
    I32TruncSatF32S(u) => un!(u, |x| f32::from_bits(x as u32) as i32 as u32 as u64),
    I32TruncSatF32U(u) => un!(u, |x| f32::from_bits(x as u32) as u32 as u64),
    I32TruncSatF64S(u) => un!(u, |x| f64::from_bits(x) as i32 as u32 as u64),
    I32TruncSatF64U(u) => un!(u, |x| f64::from_bits(x) as u32 as u64),
    I64TruncSatF32S(u) => un!(u, |x| f32::from_bits(x as u32) as i64 as u64),
    I64TruncSatF32U(u) => un!(u, |x| f32::from_bits(x as u32) as u64),
    I64TruncSatF64S(u) => un!(u, |x| f64::from_bits(x) as i64 as u64),
    I64TruncSatF64U(u) => un!(u, |x| f64::from_bits(x) as u64),
    V128Load(l) => load128!(l, 16, |b| u128::from_le_bytes(b)),
    V128Load8x8S(l) => load128!(l, 8, |b| convert::<i8, i16>(wide(b), 0, |x| x as i16)),
    V128Load8x8U(l) => load128!(l, 8, |b| convert::<u8, u16>(wide(b), 0, |x| x as u16)),
    V128Load16x4S(l) => {
        load128!(l, 8, |b| convert::<i16, i32>(wide(b), 0, |x| x as i32))
    },
    V128Load16x4U(l) => {
        load128!(l, 8, |b| convert::<u16, u32>(wide(b), 0, |x| x as u32))
    },
    V128Load32x2S(l) => {
        load128!(l, 8, |b| convert::<i32, i64>(wide(b), 0, |x| x as i64))
    },
    V128Load32x2U(l) => {
        load128!(l, 8, |b| convert::<u32, u64>(wide(b), 0, |x| x as u64))
    },
    V128Load8Splat(l) => load128!(l, 1, |b| splat::<u8>(b[0])),
    V128Load16Splat(l) => load128!(l, 2, |b| splat(u16::from_le_bytes(b))),
    V128Load32Splat(l) => load128!(l, 4, |b| splat(u32::from_le_bytes(b))),
    V128Load64Splat(l) => load128!(l, 8, |b| splat(u64::from_le_bytes(b))),
    V128Load32Zero(l) => load128!(l, 4, |b| u32::from_le_bytes(b) as u128),
    V128Load64Zero(l) => load128!(l, 8, |b| u64::from_le_bytes(b) as u128),
    V128Store(s) => write_at!(plain_addr!(s), 16, get128!(s.value).to_le_bytes()),
    I8x16Shuffle(t) => {
        let r = simd::shuffle(get128!(t.dst), get128!(t.b), get128!(t.c));
        set128!(t.dst, r);
    },
    V128Bitselect(t) => {
        let (a, b, c) = (get128!(t.dst), get128!(t.b), get128!(t.c));
        set128!(t.dst, (a & c) | (b & !c));
    },
    I8x16ExtractLaneS(l) => lane_get!(l, |v, i| get::<i8>(v, i) as u32 as u64),
    I8x16ExtractLaneU(l) => lane_get!(l, |v, i| get::<u8>(v, i) as u64),
    I16x8ExtractLaneS(l) => lane_get!(l, |v, i| get::<i16>(v, i) as u32 as u64),
    I16x8ExtractLaneU(l) => lane_get!(l, |v, i| get::<u16>(v, i) as u64),
    I32x4ExtractLane(l) => {
        lane_get!(l, |v, i| get::<u32>(v, i) as u64)
    },
    F32x4ExtractLane(l) => {
        lane_get!(l, |v, i| get::<u32>(v, i) as u64)
    },
    I64x2ExtractLane(l) => {
        lane_get!(l, |v, i| get::<u64>(v, i))
    },
    F64x2ExtractLane(l) => {
        lane_get!(l, |v, i| get::<u64>(v, i))
    },
    I8x16ReplaceLane(l) => lane_set!(l, u8),
    I16x8ReplaceLane(l) => lane_set!(l, u16),
    I32x4ReplaceLane(l) => lane_set!(l, u32),
    F32x4ReplaceLane(l) => lane_set!(l, u32),
    I64x2ReplaceLane(l) => lane_set!(l, u64),
    F64x2ReplaceLane(l) => lane_set!(l, u64),
    I8x16Swizzle(b) => v_bin!(b, |x, y| simd::swizzle(x, y)),
    I8x16Splat(u) => un_v!(u, |x| splat(x as u8)),
    I16x8Splat(u) => un_v!(u, |x| splat(x as u16)),
    I32x4Splat(u) => un_v!(u, |x| splat(x as u32)),
    F32x4Splat(u) => un_v!(u, |x| splat(x as u32)),
    I64x2Splat(u) => un_v!(u, |x| splat(x)),
    F64x2Splat(u) => un_v!(u, |x| splat(x)),
    I8x16Eq(b) => v_cmp!(b, u8, |x, y| x == y),
    I8x16Ne(b) => v_cmp!(b, u8, |x, y| x != y),
    I8x16LtS(b) => v_cmp!(b, i8, |x, y| x < y),
    I8x16LtU(b) => v_cmp!(b, u8, |x, y| x < y),
    I8x16GtS(b) => v_cmp!(b, i8, |x, y| x > y),
    I8x16GtU(b) => v_cmp!(b, u8, |x, y| x > y),
    I8x16LeS(b) => v_cmp!(b, i8, |x, y| x <= y),
    I8x16LeU(b) => v_cmp!(b, u8, |x, y| x <= y),
    I8x16GeS(b) => v_cmp!(b, i8, |x, y| x >= y),
    I8x16GeU(b) => v_cmp!(b, u8, |x, y| x >= y),
    I16x8Eq(b) => v_cmp!(b, u16, |x, y| x == y),
    I16x8Ne(b) => v_cmp!(b, u16, |x, y| x != y),
    I16x8LtS(b) => v_cmp!(b, i16, |x, y| x < y),
    I16x8LtU(b) => v_cmp!(b, u16, |x, y| x < y),
    I16x8GtS(b) => v_cmp!(b, i16, |x, y| x > y),
    I16x8GtU(b) => v_cmp!(b, u16, |x, y| x > y),
    I16x8LeS(b) => v_cmp!(b, i16, |x, y| x <= y),
    I16x8LeU(b) => v_cmp!(b, u16, |x, y| x <= y),
    I16x8GeS(b) => v_cmp!(b, i16, |x, y| x >= y),
    I16x8GeU(b) => v_cmp!(b, u16, |x, y| x >= y),
    I32x4Eq(b) => v_cmp!(b, u32, |x, y| x == y),
    I32x4Ne(b) => v_cmp!(b, u32, |x, y| x != y),
    I32x4LtS(b) => v_cmp!(b, i32, |x, y| x < y),
    I32x4LtU(b) => v_cmp!(b, u32, |x, y| x < y),
    I32x4GtS(b) => v_cmp!(b, i32, |x, y| x > y),
    I32x4GtU(b) => v_cmp!(b, u32, |x, y| x > y),
    I32x4LeS(b) => v_cmp!(b, i32, |x, y| x <= y),
    I32x4LeU(b) => v_cmp!(b, u32, |x, y| x <= y),
    I32x4GeS(b) => v_cmp!(b, i32, |x, y| x >= y),
    I32x4GeU(b) => v_cmp!(b, u32, |x, y| x >= y),
    I64x2Eq(b) => v_cmp!(b, u64, |x, y| x == y),
    I64x2Ne(b) => v_cmp!(b, u64, |x, y| x != y),
    I64x2LtS(b) => v_cmp!(b, i64, |x, y| x < y),
    I64x2GtS(b) => v_cmp!(b, i64, |x, y| x > y),
    I64x2LeS(b) => v_cmp!(b, i64, |x, y| x <= y),
    I64x2GeS(b) => v_cmp!(b, i64, |x, y| x >= y),
    F32x4Eq(b) => v_cmp!(b, f32, |x, y| x == y),
    F32x4Ne(b) => v_cmp!(b, f32, |x, y| x != y),
    F32x4Lt(b) => v_cmp!(b, f32, |x, y| x < y),
    F32x4Gt(b) => v_cmp!(b, f32, |x, y| x > y),
    F32x4Le(b) => v_cmp!(b, f32, |x, y| x <= y),
    F32x4Ge(b) => v_cmp!(b, f32, |x, y| x >= y),
    F64x2Eq(b) => v_cmp!(b, f64, |x, y| x == y),
    F64x2Ne(b) => v_cmp!(b, f64, |x, y| x != y),
    F64x2Lt(b) => v_cmp!(b, f64, |x, y| x < y),
    F64x2Gt(b) => v_cmp!(b, f64, |x, y| x > y),
    F64x2Le(b) => v_cmp!(b, f64, |x, y| x <= y),
    F64x2Ge(b) => v_cmp!(b, f64, |x, y| x >= y),
    V128Not(u) => v_un!(u, |a| !a),
    V128And(b) => v_bin!(b, |x, y| x & y),
    V128AndNot(b) => v_bin!(b, |x, y| x & !y),
    V128Or(b) => v_bin!(b, |x, y| x | y),
    V128Xor(b) => v_bin!(b, |x, y| x ^ y),
    V128AnyTrue(u) => v_test!(u, |a| a != 0),
    I8x16Abs(u) => v_map!(u, i8, |x| x.wrapping_abs()),
    I8x16Neg(u) => v_map!(u, i8, |x| x.wrapping_neg()),
    I8x16Popcnt(u) => v_map!(u, u8, |x| x.count_ones() as u8),
    I8x16AllTrue(u) => v_test!(u, |a| all_true::<u8>(a)),
    I8x16Bitmask(u) => v_test!(u, |a| bitmask::<u8>(a)),
    I8x16NarrowI16x8S(b) => {
        v_bin!(b, |x, y| narrow::<i16, i8>(x, y, |v| v.clamp(-128, 127)
            as i8))
    },
    I8x16NarrowI16x8U(b) => {
        v_bin!(b, |x, y| narrow::<i16, u8>(x, y, |v| v.clamp(0, 255) as u8))
    },
    I8x16Shl(b) => v_shift!(b, u8, |x, n| x.wrapping_shl(n)),
    I8x16ShrS(b) => v_shift!(b, i8, |x, n| x.wrapping_shr(n)),
    I8x16ShrU(b) => v_shift!(b, u8, |x, n| x.wrapping_shr(n)),
    I8x16Add(b) => v_zip!(b, u8, |x, y| x.wrapping_add(y)),
    I8x16AddSatS(b) => v_zip!(b, i8, |x, y| x.saturating_add(y)),
    I8x16AddSatU(b) => v_zip!(b, u8, |x, y| x.saturating_add(y)),
    I8x16Sub(b) => v_zip!(b, u8, |x, y| x.wrapping_sub(y)),
    I8x16SubSatS(b) => v_zip!(b, i8, |x, y| x.saturating_sub(y)),
    I8x16SubSatU(b) => v_zip!(b, u8, |x, y| x.saturating_sub(y)),
    I8x16MinS(b) => v_zip!(b, i8, |x, y| x.min(y)),
    I8x16MinU(b) => v_zip!(b, u8, |x, y| x.min(y)),
    I8x16MaxS(b) => v_zip!(b, i8, |x, y| x.max(y)),
    I8x16MaxU(b) => v_zip!(b, u8, |x, y| x.max(y)),
    I8x16AvgrU(b) => v_zip!(b, u8, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8),
    I16x8ExtAddPairwiseI8x16S(u) => {
        v_un!(u, |a| pairwise::<i8, i16>(a, |x, y| x as i16 + y as i16))
    },
    I16x8ExtAddPairwiseI8x16U(u) => {
        v_un!(u, |a| pairwise::<u8, u16>(a, |x, y| x as u16 + y as u16))
    },
    I16x8Abs(u) => v_map!(u, i16, |x| x.wrapping_abs()),
    I16x8Neg(u) => v_map!(u, i16, |x| x.wrapping_neg()),
    I16x8Q15MulrSatS(b) => v_zip!(b, i16, |x, y| simd::q15mulr(x, y)),
    I16x8AllTrue(u) => v_test!(u, |a| all_true::<u16>(a)),
    I16x8Bitmask(u) => v_test!(u, |a| bitmask::<u16>(a)),
    I16x8NarrowI32x4S(b) => v_bin!(b, |x, y| {
        narrow::<i32, i16>(x, y, |v| v.clamp(i16::MIN as i32, i16::MAX as i32) as i16)
    }),
    I16x8NarrowI32x4U(b) => {
        v_bin!(b, |x, y| narrow::<i32, u16>(x, y, |v| v.clamp(0, 65535)
            as u16))
    },
    I16x8ExtendLowI8x16S(u) => v_un!(u, |a| convert::<i8, i16>(a, 0, |x| x as i16)),
    I16x8ExtendHighI8x16S(u) => v_un!(u, |a| convert::<i8, i16>(a, 8, |x| x as i16)),
    I16x8ExtendLowI8x16U(u) => v_un!(u, |a| convert::<u8, u16>(a, 0, |x| x as u16)),
    I16x8ExtendHighI8x16U(u) => v_un!(u, |a| convert::<u8, u16>(a, 8, |x| x as u16)),
    I16x8Shl(b) => v_shift!(b, u16, |x, n| x.wrapping_shl(n)),
    I16x8ShrS(b) => v_shift!(b, i16, |x, n| x.wrapping_shr(n)),
    I16x8ShrU(b) => v_shift!(b, u16, |x, n| x.wrapping_shr(n)),
    I16x8Add(b) => v_zip!(b, u16, |x, y| x.wrapping_add(y)),
    I16x8AddSatS(b) => v_zip!(b, i16, |x, y| x.saturating_add(y)),
    I16x8AddSatU(b) => v_zip!(b, u16, |x, y| x.saturating_add(y)),
    I16x8Sub(b) => v_zip!(b, u16, |x, y| x.wrapping_sub(y)),
    I16x8SubSatS(b) => v_zip!(b, i16, |x, y| x.saturating_sub(y)),
    I16x8SubSatU(b) => v_zip!(b, u16, |x, y| x.saturating_sub(y)),
    I16x8Mul(b) => v_zip!(b, u16, |x, y| x.wrapping_mul(y)),
    I16x8MinS(b) => v_zip!(b, i16, |x, y| x.min(y)),
    I16x8MinU(b) => v_zip!(b, u16, |x, y| x.min(y)),
    I16x8MaxS(b) => v_zip!(b, i16, |x, y| x.max(y)),
    I16x8MaxU(b) => v_zip!(b, u16, |x, y| x.max(y)),
    I16x8AvgrU(b) => v_zip!(b, u16, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16),
    I16x8ExtMulLowI8x16S(b) => v_extmul!(b, i8, i16, 0),
    I16x8ExtMulHighI8x16S(b) => v_extmul!(b, i8, i16, 8),
    I16x8ExtMulLowI8x16U(b) => v_extmul!(b, u8, u16, 0),
    I16x8ExtMulHighI8x16U(b) => v_extmul!(b, u8, u16, 8),
    I32x4ExtAddPairwiseI16x8S(u) => {
        v_un!(u, |a| pairwise::<i16, i32>(a, |x, y| x as i32 + y as i32))
    },
    I32x4ExtAddPairwiseI16x8U(u) => {
        v_un!(u, |a| pairwise::<u16, u32>(a, |x, y| x as u32 + y as u32))
    },
    I32x4Abs(u) => v_map!(u, i32, |x| x.wrapping_abs()),
    I32x4Neg(u) => v_map!(u, i32, |x| x.wrapping_neg()),
    I32x4AllTrue(u) => v_test!(u, |a| all_true::<u32>(a)),
    I32x4Bitmask(u) => v_test!(u, |a| bitmask::<u32>(a)),
    I32x4ExtendLowI16x8S(u) => v_un!(u, |a| convert::<i16, i32>(a, 0, |x| x as i32)),
    I32x4ExtendHighI16x8S(u) => v_un!(u, |a| convert::<i16, i32>(a, 4, |x| x as i32)),
    I32x4ExtendLowI16x8U(u) => v_un!(u, |a| convert::<u16, u32>(a, 0, |x| x as u32)),
    I32x4ExtendHighI16x8U(u) => v_un!(u, |a| convert::<u16, u32>(a, 4, |x| x as u32)),
    I32x4Shl(b) => v_shift!(b, u32, |x, n| x.wrapping_shl(n)),
    I32x4ShrS(b) => v_shift!(b, i32, |x, n| x.wrapping_shr(n)),
    I32x4ShrU(b) => v_shift!(b, u32, |x, n| x.wrapping_shr(n)),
    I32x4Add(b) => v_zip!(b, u32, |x, y| x.wrapping_add(y)),
    I32x4Sub(b) => v_zip!(b, u32, |x, y| x.wrapping_sub(y)),
    I32x4Mul(b) => v_zip!(b, u32, |x, y| x.wrapping_mul(y)),
    I32x4MinS(b) => v_zip!(b, i32, |x, y| x.min(y)),
    I32x4MinU(b) => v_zip!(b, u32, |x, y| x.min(y)),
    I32x4MaxS(b) => v_zip!(b, i32, |x, y| x.max(y)),
    I32x4MaxU(b) => v_zip!(b, u32, |x, y| x.max(y)),
    I32x4DotI16x8S(b) => v_bin!(b, |x, y| simd::dot(x, y)),
    I32x4ExtMulLowI16x8S(b) => v_extmul!(b, i16, i32, 0),
    I32x4ExtMulHighI16x8S(b) => v_extmul!(b, i16, i32, 4),
    I32x4ExtMulLowI16x8U(b) => v_extmul!(b, u16, u32, 0),
    I32x4ExtMulHighI16x8U(b) => v_extmul!(b, u16, u32, 4),
    I64x2Abs(u) => v_map!(u, i64, |x| x.wrapping_abs()),
    I64x2Neg(u) => v_map!(u, i64, |x| x.wrapping_neg()),
    I64x2AllTrue(u) => v_test!(u, |a| all_true::<u64>(a)),
    I64x2Bitmask(u) => v_test!(u, |a| bitmask::<u64>(a)),
    I64x2ExtendLowI32x4S(u) => v_un!(u, |a| convert::<i32, i64>(a, 0, |x| x as i64)),
    I64x2ExtendHighI32x4S(u) => v_un!(u, |a| convert::<i32, i64>(a, 2, |x| x as i64)),
    I64x2ExtendLowI32x4U(u) => v_un!(u, |a| convert::<u32, u64>(a, 0, |x| x as u64)),
    I64x2ExtendHighI32x4U(u) => v_un!(u, |a| convert::<u32, u64>(a, 2, |x| x as u64)),
    I64x2Shl(b) => v_shift!(b, u64, |x, n| x.wrapping_shl(n)),
    I64x2ShrS(b) => v_shift!(b, i64, |x, n| x.wrapping_shr(n)),
    I64x2ShrU(b) => v_shift!(b, u64, |x, n| x.wrapping_shr(n)),
    I64x2Add(b) => v_zip!(b, u64, |x, y| x.wrapping_add(y)),
    I64x2Sub(b) => v_zip!(b, u64, |x, y| x.wrapping_sub(y)),
    I64x2Mul(b) => v_zip!(b, u64, |x, y| x.wrapping_mul(y)),
    I64x2ExtMulLowI32x4S(b) => v_extmul!(b, i32, i64, 0),
    I64x2ExtMulHighI32x4S(b) => v_extmul!(b, i32, i64, 2),
    I64x2ExtMulLowI32x4U(b) => v_extmul!(b, u32, u64, 0),
    I64x2ExtMulHighI32x4U(b) => v_extmul!(b, u32, u64, 2),
    F32x4Ceil(u) => v_map!(u, f32, |x| x.ceil_q()),
    F32x4Floor(u) => v_map!(u, f32, |x| x.floor_q()),
    F32x4Trunc(u) => v_map!(u, f32, |x| x.trunc_q()),
    F32x4Nearest(u) => v_map!(u, f32, |x| x.nearest_q()),
    F32x4Abs(u) => v_map!(u, u32, |x| x & 0x7fff_ffff),
    F32x4Neg(u) => v_map!(u, u32, |x| x ^ 0x8000_0000),
    F32x4Sqrt(u) => v_map!(u, f32, |x| x.sqrt_q()),
    F32x4Add(b) => v_zip!(b, f32, |x, y| x + y),
    F32x4Sub(b) => v_zip!(b, f32, |x, y| x - y),
    F32x4Mul(b) => v_zip!(b, f32, |x, y| x * y),
    F32x4Div(b) => v_zip!(b, f32, |x, y| x / y),
    F32x4Min(b) => v_zip!(b, f32, |x, y| x.wasm_min(y)),
    F32x4Max(b) => v_zip!(b, f32, |x, y| x.wasm_max(y)),
    F32x4PMin(b) => v_zip!(b, f32, |x, y| pmin(x, y)),
    F32x4PMax(b) => v_zip!(b, f32, |x, y| pmax(x, y)),
    F64x2Ceil(u) => v_map!(u, f64, |x| x.ceil_q()),
    F64x2Floor(u) => v_map!(u, f64, |x| x.floor_q()),
    F64x2Trunc(u) => v_map!(u, f64, |x| x.trunc_q()),
    F64x2Nearest(u) => v_map!(u, f64, |x| x.nearest_q()),
    F64x2Abs(u) => v_map!(u, u64, |x| x & 0x7fff_ffff_ffff_ffff),
    F64x2Neg(u) => v_map!(u, u64, |x| x ^ 0x8000_0000_0000_0000),
    F64x2Sqrt(u) => v_map!(u, f64, |x| x.sqrt_q()),
    F64x2Add(b) => v_zip!(b, f64, |x, y| x + y),
    F64x2Sub(b) => v_zip!(b, f64, |x, y| x - y),
    F64x2Mul(b) => v_zip!(b, f64, |x, y| x * y),
    F64x2Div(b) => v_zip!(b, f64, |x, y| x / y),
    F64x2Min(b) => v_zip!(b, f64, |x, y| x.wasm_min(y)),
    F64x2Max(b) => v_zip!(b, f64, |x, y| x.wasm_max(y)),
    F64x2PMin(b) => v_zip!(b, f64, |x, y| pmin(x, y)),
    F64x2PMax(b) => v_zip!(b, f64, |x, y| pmax(x, y)),
    I32x4TruncSatF32x4S(u) => v_un!(u, |a| convert::<f32, i32>(a, 0, |x| x as i32)),
    I32x4TruncSatF32x4U(u) => v_un!(u, |a| convert::<f32, u32>(a, 0, |x| x as u32)),
    F32x4ConvertI32x4S(u) => v_un!(u, |a| convert::<i32, f32>(a, 0, |x| x as f32)),
    F32x4ConvertI32x4U(u) => v_un!(u, |a| convert::<u32, f32>(a, 0, |x| x as f32)),
    I32x4TruncSatF64x2SZero(u) => {
        v_un!(u, |a| convert::<f64, i32>(a, 0, |x| x as i32))
    },
    I32x4TruncSatF64x2UZero(u) => {
        v_un!(u, |a| convert::<f64, u32>(a, 0, |x| x as u32))
    },
    F64x2ConvertLowI32x4S(u) => v_un!(u, |a| convert::<i32, f64>(a, 0, |x| x as f64)),
    F64x2ConvertLowI32x4U(u) => v_un!(u, |a| convert::<u32, f64>(a, 0, |x| x as f64)),
    F32x4DemoteF64x2Zero(u) => v_un!(u, |a| convert::<f64, f32>(a, 0, |x| x as f32)),
    F64x2PromoteLowF32x4(u) => v_un!(u, |a| convert::<f32, f64>(a, 0, |x| x as f64)),
}
