//! Catching traps in generated code.
//!
//! Generated code traps with a faulting instruction: an undefined opcode for explicit traps
//! (`unreachable`, failed checks), or an access to a guard page for out-of-bounds memory. The
//! process-wide signal handler installed here checks that the faulting program counter lies in
//! code this crate generated *and* that the current thread is running wasm (an [`Activation`]
//! is active). Only then does it look up the trap code recorded for that instruction and
//! resume the thread in [`unwind`], which restores the registers saved when the host called
//! into wasm and returns the trap code from that call. Every other signal goes to the handler
//! that was installed before ours.
//!
//! The frames that unwinding skips are generated code and one small entry function that owns
//! nothing, so no destructor is skipped. Host functions called from wasm never unwind this
//! way: they return an error status that the generated code turns into a trap.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::{Arc, Once, RwLock};

use cranelift_codegen::ir;

/// Registers saved on entry to wasm, restored by [`unwind`].
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub(crate) struct JmpBuf([u64; 24]);

impl JmpBuf {
    /// The stack pointer saved on entry: every wasm frame of the call lies below it.
    fn entry_stack_pointer(&self) -> usize {
        #[cfg(target_arch = "aarch64")]
        let sp = self.0[12];
        #[cfg(not(target_arch = "aarch64"))]
        let sp = self.0[6];
        sp as usize
    }
}

/// The most frames a trap's trace records (it counts the rest).
pub(crate) const MAX_TRACE: usize = 64;

/// One host-to-wasm call in progress on this thread.
struct Activation {
    /// Filled by `wz_cranelift_enter` before any generated code runs (left uninitialized
    /// until then: zeroing it would cost every call).
    buf: std::mem::MaybeUninit<JmpBuf>,
    prev: *const Activation,
    /// Written by the signal handler when the call traps: the program counters of the frames
    /// (see [`Trapped::pcs`]); only the first `trace_len` are initialized.
    trace: [std::mem::MaybeUninit<usize>; MAX_TRACE],
    trace_len: usize,
    /// How many frames the handler's walk found, recorded or not.
    trace_frames: usize,
}

/// A trap caught by [`catch_traps`].
#[derive(Debug)]
pub(crate) struct Trapped {
    /// The raw trap code.
    pub code: u8,
    /// Innermost first: the faulting instruction, then for each calling frame its return
    /// address minus one (an address inside the call instruction). At most [`MAX_TRACE`].
    pub pcs: Vec<usize>,
    /// How many frames the walk found in all.
    pub frames: usize,
}

thread_local! {
    static CURRENT: Cell<*const Activation> = const { Cell::new(std::ptr::null()) };
}

/// A registered range of generated code and its trap sites.
#[derive(Debug)]
pub(crate) struct CodeTraps {
    pub start: usize,
    pub len: usize,
    /// Sorted `(code offset, trap code)` pairs.
    pub traps: Vec<(u32, ir::TrapCode)>,
}

static REGISTRY: RwLock<BTreeMap<usize, Arc<CodeTraps>>> = RwLock::new(BTreeMap::new());

/// Makes the trap sites of a code range known to the signal handler.
pub(crate) fn register(code: Arc<CodeTraps>) {
    install_handlers();
    REGISTRY
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(code.start, code);
}

/// Forgets a code range (before its memory is released).
pub(crate) fn unregister(start: usize) {
    REGISTRY
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&start);
}

type Registry = BTreeMap<usize, Arc<CodeTraps>>;

/// Runs `f` with the registry read-locked, from a signal handler: `None` if the lock could
/// not be taken.
fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> Option<R> {
    // `try_read`: a signal handler must not block. The registry is only written outside
    // generated code, so on the thread that faulted it is never held for writing.
    // Spin while another thread registers code; give up only after a long time.
    let mut registry = None;
    for _ in 0..100_000_000u32 {
        match REGISTRY.try_read() {
            Ok(r) => {
                registry = Some(r);
                break;
            }
            Err(std::sync::TryLockError::Poisoned(p)) => {
                registry = Some(p.into_inner());
                break;
            }
            Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
        }
    }
    let registry = registry?;
    Some(f(&registry))
}

/// The code range `pc` lies in, if it is generated code.
fn code_at(registry: &Registry, pc: usize) -> Option<&CodeTraps> {
    let (_, code) = registry.range(..=pc).next_back()?;
    (pc < code.start + code.len).then_some(&**code)
}

/// The trap code recorded for the instruction at `pc`, if `pc` is in generated code.
fn lookup(registry: &Registry, pc: usize) -> Option<ir::TrapCode> {
    let code = code_at(registry, pc)?;
    let offset = (pc - code.start) as u32;
    let i = code.traps.binary_search_by_key(&offset, |&(o, _)| o).ok()?;
    Some(code.traps[i].1)
}

/// Records in `activation` the frames of the trapping call: the faulting `pc`, then each
/// caller found by following the frame-pointer chain from `fp` (every generated function
/// keeps one), while the frames lie between `sp` and the call's entry stack pointer and
/// return into generated code.
///
/// # Safety
/// `activation` must be the live activation of the thread, and `sp`/`fp` the registers of
/// the faulting context: then every address read lies in this thread's stack between the
/// faulting frame and the call's entry, which is mapped.
unsafe fn record_trace(
    registry: &Registry,
    activation: *mut Activation,
    pc: usize,
    sp: usize,
    fp: usize,
) {
    // SAFETY: per the contract, the activation is live and only this handler touches it
    // while the call is stopped.
    let a = unsafe { &mut *activation };
    // SAFETY: `wz_cranelift_enter` filled `buf` before the code that trapped ran.
    let limit = unsafe { a.buf.assume_init_ref() }.entry_stack_pointer();
    a.trace[0].write(pc);
    let mut len = 1;
    let mut frames = 1;
    let (mut fp, mut low) = (fp, sp);
    while fp >= low && fp % 8 == 0 && fp.checked_add(16).is_some_and(|end| end <= limit) {
        // SAFETY: `[fp, fp + 16)` lies between the faulting stack pointer and the entry
        // stack pointer (checked above), which is this thread's live stack.
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if code_at(registry, ret).is_none() {
            break;
        }
        if len < MAX_TRACE {
            a.trace[len].write(ret - 1);
            len += 1;
        }
        frames += 1;
        // Callers' frames are above their callees'; requiring it ends any cycle.
        low = fp + 16;
        fp = next;
    }
    a.trace_len = len;
    a.trace_frames = frames;
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
std::arch::global_asm!(
    ".text",
    ".globl wz_cranelift_enter",
    ".type wz_cranelift_enter,@function",
    "wz_cranelift_enter:",
    // rdi = buf, rsi = entry, rdx = code, rcx = vmctx, r8 = caller, r9 = slots
    "mov [rdi], rbx",
    "mov [rdi + 8], rbp",
    "mov [rdi + 16], r12",
    "mov [rdi + 24], r13",
    "mov [rdi + 32], r14",
    "mov [rdi + 40], r15",
    "lea rax, [rsp + 8]",
    "mov [rdi + 48], rax",
    "mov rax, [rsp]",
    "mov [rdi + 56], rax",
    "sub rsp, 8",
    "mov rax, rsi",
    "mov rdi, rdx",
    "mov rsi, rcx",
    "mov rdx, r8",
    "mov rcx, r9",
    "call rax",
    "add rsp, 8",
    "xor eax, eax",
    "ret",
    ".size wz_cranelift_enter, . - wz_cranelift_enter",
    ".globl wz_cranelift_unwind",
    ".type wz_cranelift_unwind,@function",
    "wz_cranelift_unwind:",
    // rdi = buf, rsi = code
    "mov rbx, [rdi]",
    "mov rbp, [rdi + 8]",
    "mov r12, [rdi + 16]",
    "mov r13, [rdi + 24]",
    "mov r14, [rdi + 32]",
    "mov r15, [rdi + 40]",
    "mov rsp, [rdi + 48]",
    "mov rax, rsi",
    "jmp qword ptr [rdi + 56]",
    ".size wz_cranelift_unwind, . - wz_cranelift_unwind",
);

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
std::arch::global_asm!(
    ".text",
    ".globl wz_cranelift_enter",
    ".type wz_cranelift_enter,%function",
    "wz_cranelift_enter:",
    // x0 = buf, x1 = entry, x2 = code, x3 = vmctx, x4 = caller, x5 = slots
    "stp x19, x20, [x0, #0]",
    "stp x21, x22, [x0, #16]",
    "stp x23, x24, [x0, #32]",
    "stp x25, x26, [x0, #48]",
    "stp x27, x28, [x0, #64]",
    "stp x29, x30, [x0, #80]",
    "mov x9, sp",
    "str x9, [x0, #96]",
    "stp d8, d9, [x0, #104]",
    "stp d10, d11, [x0, #120]",
    "stp d12, d13, [x0, #136]",
    "stp d14, d15, [x0, #152]",
    "stp x29, x30, [sp, #-16]!",
    "mov x29, sp",
    "mov x10, x1",
    "mov x0, x2",
    "mov x1, x3",
    "mov x2, x4",
    "mov x3, x5",
    "blr x10",
    "ldp x29, x30, [sp], #16",
    "mov w0, #0",
    "ret",
    ".size wz_cranelift_enter, . - wz_cranelift_enter",
    ".globl wz_cranelift_unwind",
    ".type wz_cranelift_unwind,%function",
    "wz_cranelift_unwind:",
    // x0 = buf, x1 = code
    "ldp x19, x20, [x0, #0]",
    "ldp x21, x22, [x0, #16]",
    "ldp x23, x24, [x0, #32]",
    "ldp x25, x26, [x0, #48]",
    "ldp x27, x28, [x0, #64]",
    "ldp x29, x30, [x0, #80]",
    "ldr x9, [x0, #96]",
    "mov sp, x9",
    "ldp d8, d9, [x0, #104]",
    "ldp d10, d11, [x0, #120]",
    "ldp d12, d13, [x0, #136]",
    "ldp d14, d15, [x0, #152]",
    "mov x0, x1",
    "ret",
    ".size wz_cranelift_unwind, . - wz_cranelift_unwind",
);

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
unsafe extern "C" {
    /// Saves the callee-saved registers, stack pointer and return address in `buf`, calls
    /// `entry(code, vmctx, caller, slots)` (an entry trampoline) and returns 0; or returns
    /// the code passed to [`wz_cranelift_unwind`].
    fn wz_cranelift_enter(
        buf: *mut JmpBuf,
        entry: *const u8,
        code: *const u8,
        vmctx: *mut u8,
        caller: *mut u8,
        slots: *mut u64,
    ) -> u32;
    fn wz_cranelift_unwind(buf: *const JmpBuf, code: u32) -> !;
}

/// Whether generated code can run (and trap) on this host.
pub const SUPPORTED: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

/// Calls `entry(code, vmctx, caller, slots)`, an entry trampoline (see
/// `Trampolines::entry`), so that a trap in the generated code it runs returns here.
///
/// Returns `Ok(())` when the call returned, or the trap with the frames it stopped. Inlined
/// into its one caller: every host-to-wasm call passes through it.
///
/// # Safety
/// `entry` must be an entry trampoline and `code`, `vmctx`, `caller` and `slots` valid
/// arguments for it. The caller's frame must not own anything that needs dropping while
/// the generated code runs: on a trap, everything between here and the trap is abandoned.
#[inline(always)]
pub(crate) unsafe fn catch_traps(
    entry: *const u8,
    code: *const u8,
    vmctx: *mut u8,
    caller: *mut u8,
    slots: *mut u64,
) -> Result<(), Trapped> {
    // The signal handlers are already in place: `entry` and `code` lie in generated code,
    // and mapping any (`CodeMemory::new`) installs them.
    if !SUPPORTED {
        return Err(unsupported());
    }
    let mut activation = Activation {
        buf: std::mem::MaybeUninit::uninit(),
        prev: CURRENT.with(|c| c.get()),
        trace: [const { std::mem::MaybeUninit::uninit() }; MAX_TRACE],
        trace_len: 0,
        trace_frames: 0,
    };
    let this: *mut Activation = &mut activation;
    CURRENT.with(|c| c.set(this));
    // SAFETY: `buf` lives in this frame for the whole call; the arguments are valid per the
    // caller. If the code traps, `unwind` returns here through the saved registers.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    let code =
        unsafe { wz_cranelift_enter((*this).buf.as_mut_ptr(), entry, code, vmctx, caller, slots) };
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    let code = {
        let _ = (entry, code, vmctx, caller, slots);
        0xffu32
    };
    CURRENT.with(|c| c.set(activation.prev));
    if code == 0 {
        return Ok(());
    }
    // SAFETY: `this` is the activation the handler wrote through; it is still live.
    Err(unsafe { trapped(this, code) })
}

/// The trap a call stopped with: its code and the frames the handler recorded (off the hot
/// path).
///
/// # Safety
/// `this` must be the activation of a call that trapped with `code`.
#[cold]
#[inline(never)]
unsafe fn trapped(this: *const Activation, code: u32) -> Trapped {
    // SAFETY: the handler initialized the first `trace_len` entries before unwinding (reads
    // go through `this`, the pointer it wrote through).
    let a = unsafe { &*this };
    let pcs = a.trace[..a.trace_len.min(MAX_TRACE)]
        .iter()
        // SAFETY: as above.
        .map(|pc| unsafe { pc.assume_init() })
        .collect();
    Trapped {
        code: code as u8,
        pcs,
        frames: a.trace_frames,
    }
}

/// The answer on hosts where generated code cannot run.
#[cold]
fn unsupported() -> Trapped {
    Trapped {
        code: 0xff,
        pcs: Vec::new(),
        frames: 0,
    }
}

/// The raw trap code a faulting instruction is reported with.
pub(crate) fn raw_code(code: ir::TrapCode) -> u8 {
    code.as_raw().get()
}

static INSTALL: Once = Once::new();

fn install_handlers() {
    if !SUPPORTED {
        return;
    }
    INSTALL.call_once(|| {
        for &sig in SIGNALS {
            // SAFETY: installs our handler and saves the previous one in PREVIOUS, before any
            // generated code can run (this runs under a Once before the first call).
            unsafe { install(sig) };
        }
    });
}

const SIGNALS: &[libc::c_int] = &[libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

static mut PREVIOUS: [std::mem::MaybeUninit<libc::sigaction>; 4] =
    [const { std::mem::MaybeUninit::uninit() }; 4];

/// # Safety
/// Must run once per signal, before our handler can be invoked.
unsafe fn install(sig: libc::c_int) {
    let index = SIGNALS
        .iter()
        .position(|&s| s == sig)
        .expect("known signal");
    // SAFETY: plain libc calls with valid pointers; PREVIOUS[index] is written once, here,
    // before the handler that reads it is installed.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let previous = (&raw mut PREVIOUS[index]).cast::<libc::sigaction>();
        libc::sigaction(sig, &action, previous);
    }
}

unsafe extern "C" fn handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    let activation = CURRENT.with(|c| c.get());
    if !activation.is_null() {
        // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
        let (pc, sp, fp) = unsafe { registers_of(context) };
        let code = with_registry(|registry| {
            let code = lookup(registry, pc)?;
            // SAFETY: the activation is live (it is popped only after the call returns) and
            // these are the faulting context's registers.
            unsafe { record_trace(registry, activation.cast_mut(), pc, sp, fp) };
            Some(code)
        })
        .flatten();
        if let Some(code) = code {
            // SAFETY: the activation is live and the context is valid; resuming in
            // `wz_cranelift_unwind` restores that activation's registers.
            unsafe { resume_in_unwind(context, (*activation).buf.as_ptr(), raw_code(code)) };
            return;
        }
    }
    // Not ours: hand over to the previous handler, as if ours were not installed.
    // SAFETY: PREVIOUS was filled when the handler was installed.
    unsafe { chain(sig, info, context) }
}

/// # Safety
/// Called from our handler with the handler's arguments.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let index = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    // SAFETY: written in `install` before this handler could run.
    let previous = unsafe { &*(&raw const PREVIOUS[index]).cast::<libc::sigaction>() };
    let h = previous.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction runs again and the
        // default action (terminate) happens, as it would have without us.
        // SAFETY: resetting a signal's disposition.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler expects exactly these arguments.
        unsafe {
            let f: unsafe extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(h);
            f(sig, info, context)
        }
    } else {
        // SAFETY: a plain handler takes the signal number.
        unsafe {
            let f: unsafe extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(sig)
        }
    }
}

/// The program counter, stack pointer and frame pointer of a signal's context.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn registers_of(context: *mut libc::c_void) -> (usize, usize, usize) {
    // SAFETY: `context` is the handler's ucontext.
    unsafe {
        let gregs = &(*(context as *const libc::ucontext_t)).uc_mcontext.gregs;
        (
            gregs[libc::REG_RIP as usize] as usize,
            gregs[libc::REG_RSP as usize] as usize,
            gregs[libc::REG_RBP as usize] as usize,
        )
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn resume_in_unwind(context: *mut libc::c_void, buf: *const JmpBuf, code: u8) {
    // SAFETY: `context` is the handler's ucontext; the registers set here make the thread
    // call `wz_cranelift_unwind(buf, code)` when the handler returns.
    unsafe {
        let uc = &mut *(context as *mut libc::ucontext_t);
        let gregs = &mut uc.uc_mcontext.gregs;
        gregs[libc::REG_RIP as usize] = wz_cranelift_unwind as *const () as i64;
        gregs[libc::REG_RDI as usize] = buf as i64;
        gregs[libc::REG_RSI as usize] = code as i64;
    }
}

/// The program counter, stack pointer and frame pointer of a signal's context.
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn registers_of(context: *mut libc::c_void) -> (usize, usize, usize) {
    // SAFETY: `context` is the handler's ucontext.
    unsafe {
        let mc = &(*(context as *const libc::ucontext_t)).uc_mcontext;
        (mc.pc as usize, mc.sp as usize, mc.regs[29] as usize)
    }
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn resume_in_unwind(context: *mut libc::c_void, buf: *const JmpBuf, code: u8) {
    // SAFETY: as for x86_64: the thread resumes in `wz_cranelift_unwind(buf, code)`.
    unsafe {
        let uc = &mut *(context as *mut libc::ucontext_t);
        uc.uc_mcontext.pc = wz_cranelift_unwind as *const () as u64;
        uc.uc_mcontext.regs[0] = buf as u64;
        uc.uc_mcontext.regs[1] = code as u64;
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
unsafe fn registers_of(_context: *mut libc::c_void) -> (usize, usize, usize) {
    (0, 0, 0)
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
unsafe fn resume_in_unwind(_context: *mut libc::c_void, _buf: *const JmpBuf, _code: u8) {}

/// The current stack pointer (read from the register where the JIT runs; elsewhere the
/// address of a local, which is close enough for a stack limit).
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory is touched.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory is touched.
        unsafe {
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}

/// The lowest usable address of the current thread's stack (just above its guard page), or
/// `None` where it cannot be found. Looked up once per thread.
pub(crate) fn stack_low() -> Option<usize> {
    thread_local! {
        /// The thread's stack end, found on the first call: 0 not yet looked up, `usize::MAX`
        /// unknown. Constant-initialized, so reading it is one load (every host-to-wasm call
        /// does).
        static LOW: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    LOW.with(|l| {
        let mut low = l.get();
        if low == 0 {
            low = thread_stack_low().unwrap_or(usize::MAX);
            l.set(low);
        }
        (low != usize::MAX).then_some(low)
    })
}

#[cfg(target_os = "linux")]
fn thread_stack_low() -> Option<usize> {
    // SAFETY: `attr` is initialized by pthread_getattr_np before it is read and destroyed
    // after; the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let mut guard: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0
            && libc::pthread_attr_getguardsize(&attr, &mut guard) == 0;
        libc::pthread_attr_destroy(&mut attr);
        // glibc reports the stack including its guard area for new threads; skipping the
        // guard size is safe either way.
        ok.then(|| addr as usize + guard)
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_stack_low() -> Option<usize> {
    None
}
