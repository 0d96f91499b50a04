//! The store's side of the JIT: calls into compiled code and the runtime functions
//! ([`Builtins`]) compiled code calls back; also where host functions run, for both engines
//! ([`run_host`]).
//!
//! Compiled code reaches the store through raw pointers (its vmctx leads to the
//! [`VMStoreContext`], which points back to the [`Store`]). [`call`] sets that pointer from the
//! `&mut Store` it is given and does not touch the store until the compiled code returns, so
//! the builtins' temporary `&mut Store` is the only live access while they run. Host
//! functions see the store only through [`crate::StoreMut`], never as a `&mut Store`, so no
//! safe code can move, replace or swap the store while compiled code points into it.

use wz_cranelift::Trap;
use wz_cranelift::vm::{self, Builtins, VMFuncRef, VMHostContext, VMStoreContext};
use wz_interp::Env;

use crate::exec::Exec;
use crate::objects::HostFn;
use crate::store::Store;
use crate::values::{FuncId, InstanceId};
use crate::{Engine, Error, TrapCode};

// SAFETY: the raw pointers a store holds (`vm`, `funcrefs`, the vmctx words) point into heap
// allocations the store itself owns; moving the store to another thread moves them all, and
// compiled code only runs on the thread that holds `&mut Store`.
unsafe impl Send for Store {}

impl crate::CompiledModule {
    /// Decodes and validates `bytes` and loads its machine code from `artifact` (made by
    /// [`CompiledModule::compile_artifact`](crate::CompiledModule::compile_artifact) with an
    /// engine of the same configuration) instead of compiling. An artifact of another module,
    /// engine configuration, wz version or target, or a changed one, is an error.
    ///
    /// # Safety
    /// The artifact's machine code runs in this process; the checks catch mistakes and
    /// corruption, not forgery. `artifact` must come from `compile_artifact`, for example from
    /// a cache only this program writes.
    pub unsafe fn from_artifact(
        bytes: &[u8],
        features: wz_binary::Features,
        engine: &Engine,
        artifact: &[u8],
    ) -> Result<Self, Error> {
        let Engine::Compiler(jit) = engine else {
            return Err(Error::usage(
                "artifacts hold machine code: they need the JIT",
            ));
        };
        let module = wz_binary::Module::decode(bytes, features)?;
        // SAFETY: the caller vouches for the artifact's origin.
        let code = unsafe { jit.load_artifact(&module, artifact)? };
        Ok(Self::from_jit(module, engine, code))
    }
}

/// The builtins every JIT store hands to compiled code.
pub(crate) static BUILTINS: Builtins = Builtins {
    memory_grow,
    memory_fill,
    memory_copy,
    memory_init,
    data_drop,
    table_grow,
    table_fill,
    table_copy,
    table_init,
    elem_drop,
    host_call,
    listen_enter,
    listen_exit,
};

/// Calls compiled function `func` with `slots` (parameters in, results out; at least
/// `max(params, results)` long, which the caller checked).
pub(crate) fn call(store: &mut Store, func: FuncId, slots: &mut [u64]) -> Result<(), Error> {
    let Some(entry) = store.jit_entry(func) else {
        return Err(Error::usage("function has no compiled code"));
    };
    // SAFETY: the entry was just made by this store for `func`; the caller checked the length
    // of `slots`.
    unsafe { enter(store, entry.entry, entry.vmfunc, slots) }
}

/// A compiled function's call target, resolved once by [`Store::jit_entry`] so that calls
/// from the host through [`Store::call_jit`] skip looking up the function, its kind, its
/// signature's trampolines and its reference.
///
/// ```
/// use wz_store::{CompiledModule, Engine, Store};
/// let engine = Engine::compiler().unwrap();
/// let wasm = wat::parse_str(r#"(module (func (export "inc") (param i64) (result i64)
///     (i64.add (local.get 0) (i64.const 1))))"#).unwrap();
/// let module = CompiledModule::with_engine(&wasm, Default::default(), &engine).unwrap();
/// let mut store = Store::with_engine(engine);
/// let instance = store.instantiate(&module, &[]).unwrap();
/// let inc = store.export_func(instance, "inc").unwrap();
/// let entry = store.jit_entry(inc).unwrap();
/// let mut slots = [41];
/// store.call_jit(&entry, &mut slots).unwrap();
/// assert_eq!(slots, [42]);
/// // An entry only works with the store that made it.
/// let mut other = Store::with_engine(Engine::compiler().unwrap());
/// assert!(other.call_jit(&entry, &mut slots).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct JitEntry {
    /// The [`Store::id`] of the store it belongs to.
    pub(crate) store: u64,
    pub(crate) func: FuncId,
    /// The entry trampoline of the function's signature.
    pub(crate) entry: *const u8,
    pub(crate) vmfunc: *const VMFuncRef,
    /// The slots a call needs: `max(params, results)`.
    pub(crate) slots: u32,
}

// SAFETY: a `JitEntry` is a few addresses into the store that made it; they are dereferenced
// only by `call_entry`, on that same store (checked by id) and under its `&mut`, so sending
// or sharing the addresses themselves is harmless.
unsafe impl Send for JitEntry {}
// SAFETY: as above; `JitEntry` has no interior mutability.
unsafe impl Sync for JitEntry {}

impl JitEntry {
    /// The function it calls.
    pub fn func(&self) -> FuncId {
        self.func
    }

    /// The slots a call needs (as [`Store::call_slots`]).
    pub fn slots(&self) -> usize {
        self.slots as usize
    }
}

/// Calls through `entry` with `slots` (see [`Store::call_jit`]).
#[inline]
pub(crate) fn call_entry(
    store: &mut Store,
    entry: &JitEntry,
    slots: &mut [u64],
) -> Result<(), Error> {
    if entry.store != store.id || slots.len() < entry.slots as usize {
        return Err(refused(entry, store.id, slots.len()));
    }
    // SAFETY: the entry was made by this store (same id; ids are never reused), whose
    // trampolines and function references stay at their addresses for its whole life, and
    // `slots` is as long as the signature needs.
    unsafe { enter(store, entry.entry, entry.vmfunc, slots) }
}

/// Why [`call_entry`] refused a call (off the hot path).
#[cold]
#[inline(never)]
fn refused(entry: &JitEntry, store: u64, slots: usize) -> Error {
    if entry.store != store {
        Error::usage("the function belongs to another store")
    } else {
        Error::usage(format!("the call needs {} slots, got {slots}", entry.slots))
    }
}

/// Runs compiled function `vmfunc` through entry trampoline `entry`.
///
/// # Safety
/// `entry` and `vmfunc` must belong to `store`: the entry trampoline of the function's
/// signature and its reference; `slots` must hold at least `max(params, results)` slots.
#[inline]
unsafe fn enter(
    store: &mut Store,
    entry: *const u8,
    vmfunc: *const VMFuncRef,
    slots: &mut [u64],
) -> Result<(), Error> {
    let Engine::Compiler(jit) = &store.engine else {
        return Err(Error::usage("not a JIT store"));
    };
    // A raw pointer to the engine, not a clone of its `Arc` (an atomic increment and
    // decrement per call): the store keeps it alive for the whole call, and it is not part
    // of the `Store` value the builtins borrow mutably. The trampolines (kept per type by
    // the store) and the function reference (in a chunk of the store's `vmfuncs` arena,
    // which only ever adds chunks) are not in that value either.
    let jit: *const wz_cranelift::JitEngine = &**jit;
    let vm: *mut VMStoreContext = &mut *store.vm;
    let store_ptr: *mut Store = store;
    // SAFETY: every pointer involved is owned by the store, which `&mut` keeps alive and
    // unaliased for the whole call; `store` is not used until the call returns. `entry`
    // matches `vmfunc` and `slots` is long enough (the caller's contract).
    let outcome = unsafe {
        (*vm).store = store_ptr.cast();
        let caller = (*vmfunc).vmctx;
        (*jit).call(entry, vmfunc, caller, slots.as_mut_ptr(), vm)
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(trapped) => Err(trap_error(store, trapped)),
    }
}

/// The error of a call that trapped, with its backtrace when the store keeps them (off the
/// hot path).
#[cold]
#[inline(never)]
fn trap_error(store: &mut Store, trapped: wz_cranelift::CallTrap) -> Error {
    let mut error = match trapped.trap {
        Trap::Wasm(code) => code.into(),
        Trap::Pending => store
            .pending
            .take()
            .unwrap_or_else(|| TrapCode::Unreachable.into()),
    };
    if store.backtraces && error.wants_backtrace() {
        // Addresses outside every module (trampolines, host adapters) are not wasm frames.
        let frames: Vec<_> = trapped
            .pcs
            .iter()
            .filter_map(|&pc| store.jit_frame_info(pc))
            .collect();
        let omitted = trapped.frames.saturating_sub(trapped.pcs.len());
        error.add_frames(frames, omitted);
    }
    error
}

/// The store and the calling instance of a builtin.
///
/// # Safety
/// `vmctx` must be the vmctx compiled code passed to a builtin, during a [`call`].
unsafe fn context<'a>(vmctx: *mut u8) -> (&'a mut Store, u32) {
    // SAFETY: word 0 of a vmctx is its store context, whose `store` was set by `call`, which
    // is still running (compiled code only calls builtins while it runs).
    unsafe {
        let vm = *(vmctx as *const *mut VMStoreContext);
        let store = &mut *((*vm).store as *mut Store);
        (store, vm::instance_of(vmctx))
    }
}

fn fail(store: &mut Store, error: Error) -> u32 {
    store.pending = Some(error);
    1
}

fn status(store: &mut Store, r: Result<(), TrapCode>) -> u32 {
    match r {
        Ok(()) => 0,
        Err(code) => fail(store, code.into()),
    }
}

unsafe extern "C" fn memory_grow(vmctx: *mut u8, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    Exec::new(store, instance).memory_grow(delta)
}

unsafe extern "C" fn memory_fill(vmctx: *mut u8, dst: u32, value: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let mut exec = Exec::new(store, instance);
    let mem = exec.memory();
    let r = if dst as usize + len as usize > mem.len() {
        Err(TrapCode::MemoryOutOfBounds)
    } else {
        mem[dst as usize..dst as usize + len as usize].fill(value as u8);
        Ok(())
    };
    status(store, r)
}

unsafe extern "C" fn memory_copy(vmctx: *mut u8, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let mut exec = Exec::new(store, instance);
    let mem = exec.memory();
    let (dst, src, len) = (dst as usize, src as usize, len as usize);
    let r = if dst + len > mem.len() || src + len > mem.len() {
        Err(TrapCode::MemoryOutOfBounds)
    } else {
        mem.copy_within(src..src + len, dst);
        Ok(())
    };
    status(store, r)
}

unsafe extern "C" fn memory_init(vmctx: *mut u8, seg: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let r = Exec::new(store, instance).memory_init(seg, dst, src, len);
    status(store, r)
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    Exec::new(store, instance).data_drop(seg)
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    Exec::new(store, instance).table_grow(table, delta, init)
}

unsafe extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u32, value: u64, len: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let r = Exec::new(store, instance).table_fill(table, dst, value, len);
    status(store, r)
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let r = Exec::new(store, instance).table_copy(dst_table, src_table, dst, src, len);
    status(store, r)
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    seg: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let r = Exec::new(store, instance).table_init(table, seg, dst, src, len);
    status(store, r)
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, seg: u32) {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    Exec::new(store, instance).elem_drop(seg)
}

unsafe extern "C" fn host_call(host: *mut u8, caller: *mut u8, slots: *mut u64) -> u32 {
    // SAFETY: `host` is the VMHostContext of a host function's reference, whose store context
    // points to the running store (see `context`); `caller` is null or a live vmctx.
    let (store, func, instance) = unsafe {
        let ctx = &*(host as *const VMHostContext);
        let store = &mut *((*ctx.store).store as *mut Store);
        let instance = if caller.is_null() {
            None
        } else {
            Some(InstanceId(vm::instance_of(caller)))
        };
        (store, ctx.func, instance)
    };
    let n = store.funcs[func as usize].host_slots as usize;
    // SAFETY: the host adapter reserves `max(params, results)` slots, which is `host_slots`.
    let slots = unsafe { std::slice::from_raw_parts_mut(slots, n) };
    match store.call_host(func, instance, slots) {
        Ok(()) => 0,
        Err(e) => fail(store, e),
    }
}

/// Runs host function `index` of the store's host function set `set` for `instance` (none:
/// called by the embedder); a panic in it becomes an [`crate::ErrorKind::Host`] error, so the
/// store and the engines stay usable. Every host call of either engine ends here (in this
/// module for its `unsafe`: the function stays borrowed while the store is lent to it,
/// without a reference count taken per call).
#[inline]
pub(crate) fn run_host(
    store: &mut Store,
    set: u32,
    index: u32,
    instance: Option<InstanceId>,
    slots: &mut [u64],
) -> Result<(), Error> {
    let f: *const HostFn = &*store.host_sets[set as usize][index as usize].f;
    // SAFETY: the function lives in an `Arc<[HostFunc]>` the store keeps in `host_sets`,
    // which only grows, until the store is dropped; that cannot happen while the function
    // runs, as host functions see the store only through `StoreMut`.
    let f = unsafe { &*f };
    let mut caller = crate::Caller { store, instance };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut caller, slots))) {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::new(crate::ErrorKind::Host(
            "host function panicked".into(),
        ))),
    }
}

/// The `n` slots a listener builtin receives.
///
/// # Safety
/// `values` must point to `n` initialized slots (or `n` must be 0).
unsafe fn listened_values<'a>(values: *const u64, n: u32) -> &'a [u64] {
    if n == 0 {
        return &[];
    }
    // SAFETY: per the contract.
    unsafe { std::slice::from_raw_parts(values, n as usize) }
}

unsafe extern "C" fn listen_enter(vmctx: *mut u8, func: u32, params: *const u64) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let id = store.instances[instance as usize].funcs[func as usize];
    let n = crate::store::slot_count(store.func_type(FuncId(id)).params());
    // SAFETY: generated code passes the function's parameters, one slot each (two for v128).
    let params = unsafe { listened_values(params, n) };
    match store.listen_enter(instance, func, params) {
        Ok(()) => 0,
        Err(e) => fail(store, e),
    }
}

unsafe extern "C" fn listen_exit(vmctx: *mut u8, func: u32, results: *const u64) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    let (store, instance) = unsafe { context(vmctx) };
    let id = store.instances[instance as usize].funcs[func as usize];
    let n = crate::store::slot_count(store.func_type(FuncId(id)).results());
    // SAFETY: generated code passes the function's results, laid out as the parameters.
    let results = unsafe { listened_values(results, n) };
    match store.listen_exit(instance, func, results) {
        Ok(()) => 0,
        Err(e) => fail(store, e),
    }
}
