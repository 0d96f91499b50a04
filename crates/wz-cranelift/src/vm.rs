//! The data that generated code reads and writes, with a fixed `#[repr(C)]` layout.
//!
//! Every wasm function receives two pointers: its own instance's *vmctx* and its caller's. A
//! vmctx is an array of 8-byte words laid out by [`VMOffsets`] for one module:
//!
//! ```text
//! word 0     *mut VMStoreContext   shared by every instance of a store
//! word 1     *mut VMMemoryDef      memory 0 (null without a memory)
//! word 2     instance id (u32) in the low half
//! funcs      *const VMFuncRef      per function index (imports first), for calls and ref.func
//! tables     *mut VMTableDef       per table index
//! globals    *mut u128             per global index (each global is a 16-byte cell)
//! type ids   u32 (one word each)   per type index: the store-wide interned signature id
//! ```
//!
//! The words are written by the store when it instantiates a module; generated code treats
//! all of them as read-only. What they point to (memory base and length, table base and
//! length, global values) changes as the program runs.

use std::mem::offset_of;

use wz_binary::Module;

/// A function as generated code sees it: where its code is, which vmctx to pass, and its type.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Native code with the wasm calling convention (`vmctx, caller_vmctx, params... ->
    /// results`): the function itself, or a host adapter for host functions.
    pub code: *const u8,
    /// The first argument to pass: the callee's vmctx (or a [`VMHostContext`] for a host
    /// function).
    pub vmctx: *mut u8,
    /// The store-wide interned signature id, compared by `call_indirect`.
    pub type_id: u32,
    /// The function's index in the store; reference values are this plus one.
    pub id: u32,
}

impl VMFuncRef {
    pub(crate) const CODE: i32 = offset_of!(VMFuncRef, code) as i32;
    pub(crate) const VMCTX: i32 = offset_of!(VMFuncRef, vmctx) as i32;
    pub(crate) const TYPE_ID: i32 = offset_of!(VMFuncRef, type_id) as i32;
    pub(crate) const ID: i32 = offset_of!(VMFuncRef, id) as i32;
}

// SAFETY: a VMFuncRef is plain data; the pointers it holds are only dereferenced by generated
// code running under the store that owns the pointees.
unsafe impl Send for VMFuncRef {}
// SAFETY: as above; it is never mutated through a shared reference.
unsafe impl Sync for VMFuncRef {}

/// A linear memory's current extent.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDef {
    /// The first byte.
    pub base: *mut u8,
    /// The accessible length in bytes.
    pub len: u64,
}

impl VMMemoryDef {
    pub(crate) const BASE: i32 = offset_of!(VMMemoryDef, base) as i32;
    pub(crate) const LEN: i32 = offset_of!(VMMemoryDef, len) as i32;
}

/// A table's current extent. Elements are 8-byte reference values (0 is null).
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDef {
    /// The first element.
    pub base: *mut u64,
    /// The number of elements.
    pub len: u64,
}

impl VMTableDef {
    pub(crate) const BASE: i32 = offset_of!(VMTableDef, base) as i32;
    pub(crate) const LEN: i32 = offset_of!(VMTableDef, len) as i32;
}

/// The runtime functions generated code calls for operations too large to inline. The store
/// provides them. Each receives the calling instance's vmctx first; those returning `u32`
/// status return 0 on success, or non-zero after recording the error for the store, in which
/// case the generated code traps with [`crate::PENDING_TRAP`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Builtins {
    /// `memory.grow`: the old size in pages, or `u32::MAX`.
    pub memory_grow: unsafe extern "C" fn(vmctx: *mut u8, delta: u32) -> u32,
    /// `memory.fill`.
    pub memory_fill: unsafe extern "C" fn(vmctx: *mut u8, dst: u32, value: u32, len: u32) -> u32,
    /// `memory.copy`.
    pub memory_copy: unsafe extern "C" fn(vmctx: *mut u8, dst: u32, src: u32, len: u32) -> u32,
    /// `memory.init`.
    pub memory_init:
        unsafe extern "C" fn(vmctx: *mut u8, segment: u32, dst: u32, src: u32, len: u32) -> u32,
    /// `data.drop`.
    pub data_drop: unsafe extern "C" fn(vmctx: *mut u8, segment: u32),
    /// `table.grow`: the old size, or `u32::MAX`.
    pub table_grow: unsafe extern "C" fn(vmctx: *mut u8, table: u32, init: u64, delta: u32) -> u32,
    /// `table.fill`.
    pub table_fill:
        unsafe extern "C" fn(vmctx: *mut u8, table: u32, dst: u32, value: u64, len: u32) -> u32,
    /// `table.copy`.
    pub table_copy: unsafe extern "C" fn(
        vmctx: *mut u8,
        dst_table: u32,
        src_table: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> u32,
    /// `table.init`.
    pub table_init: unsafe extern "C" fn(
        vmctx: *mut u8,
        table: u32,
        segment: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> u32,
    /// `elem.drop`.
    pub elem_drop: unsafe extern "C" fn(vmctx: *mut u8, segment: u32),
    /// A call to a host function: `host` is its [`VMHostContext`], `caller` the calling
    /// instance's vmctx, `slots` its parameters on entry and its results on return.
    pub host_call: unsafe extern "C" fn(host: *mut u8, caller: *mut u8, slots: *mut u64) -> u32,
    /// Code compiled with listening ([`wz_ir::Metering::listen`]) entered function `func` of
    /// the instance with these parameters (8 bytes per value, 16 per `v128`).
    pub listen_enter: unsafe extern "C" fn(vmctx: *mut u8, func: u32, params: *const u64) -> u32,
    /// Function `func` of the instance returns these results (laid out as the parameters).
    pub listen_exit: unsafe extern "C" fn(vmctx: *mut u8, func: u32, results: *const u64) -> u32,
}

macro_rules! builtin_offsets {
    ($($name:ident => $field:ident,)*) => {
        impl Builtins {
            $( pub(crate) const $name: i32 = offset_of!(Builtins, $field) as i32; )*
        }
    };
}

builtin_offsets! {
    MEMORY_GROW => memory_grow,
    MEMORY_FILL => memory_fill,
    MEMORY_COPY => memory_copy,
    MEMORY_INIT => memory_init,
    DATA_DROP => data_drop,
    TABLE_GROW => table_grow,
    TABLE_FILL => table_fill,
    TABLE_COPY => table_copy,
    TABLE_INIT => table_init,
    ELEM_DROP => elem_drop,
    HOST_CALL => host_call,
    LISTEN_ENTER => listen_enter,
    LISTEN_EXIT => listen_exit,
}

/// State shared by every instance of one store.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// The lowest stack address wasm code may use; function prologues trap with "call stack
    /// exhausted" below it. Set when the host first calls into wasm.
    pub stack_limit: usize,
    /// Every function of the store by id (see [`VMFuncRef::id`]), for `call_indirect`.
    pub funcrefs: *const *const VMFuncRef,
    /// The runtime functions.
    pub builtins: *const Builtins,
    /// The store itself, for the builtins (opaque here).
    pub store: *mut u8,
    /// Fuel consumed minus the call's budget: metered code adds what it runs and traps with
    /// "all fuel consumed" at a check that finds it above zero.
    pub fuel: i64,
    /// The interrupt word metered code polls: the call is interrupted once its low bit is set.
    /// Never null (the store points it at its own word).
    pub interrupt: *const std::sync::atomic::AtomicU64,
}

impl VMStoreContext {
    pub(crate) const FUEL: i32 = offset_of!(VMStoreContext, fuel) as i32;
    pub(crate) const INTERRUPT: i32 = offset_of!(VMStoreContext, interrupt) as i32;
    pub(crate) const STACK_LIMIT: i32 = offset_of!(VMStoreContext, stack_limit) as i32;
    pub(crate) const FUNCREFS: i32 = offset_of!(VMStoreContext, funcrefs) as i32;
    pub(crate) const BUILTINS: i32 = offset_of!(VMStoreContext, builtins) as i32;
}

/// What a host function's [`VMFuncRef::vmctx`] points to. Starts like a vmctx (the store
/// context first), so the host adapter finds the builtins the same way wasm code does.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMHostContext {
    /// The store's shared context.
    pub store: *mut VMStoreContext,
    /// The host function's id in the store.
    pub func: u32,
}

/// Where each field of a module's vmctx lives, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VMOffsets {
    num_funcs: u32,
    num_tables: u32,
    num_globals: u32,
    num_types: u32,
}

impl VMOffsets {
    /// The store context pointer.
    pub const STORE: i32 = 0;
    /// The memory 0 definition pointer.
    pub const MEMORY0: i32 = 8;
    /// The instance id.
    pub const INSTANCE: i32 = 16;
    const HEADER: u32 = 24;

    /// The layout for `module`.
    pub fn new(module: &Module) -> Self {
        VMOffsets {
            num_funcs: module.funcs.len() as u32,
            num_tables: module.tables.len() as u32,
            num_globals: module.globals.len() as u32,
            num_types: module.types.len() as u32,
        }
    }

    /// The slot of function `index`'s [`VMFuncRef`] pointer.
    pub fn func(&self, index: u32) -> u32 {
        Self::HEADER + 8 * index
    }

    /// The slot of table `index`'s [`VMTableDef`] pointer.
    pub fn table(&self, index: u32) -> u32 {
        self.func(self.num_funcs) + 8 * index
    }

    /// The slot of global `index`'s cell pointer.
    pub fn global(&self, index: u32) -> u32 {
        self.table(self.num_tables) + 8 * index
    }

    /// The slot of type `index`'s interned id.
    pub fn type_id(&self, index: u32) -> u32 {
        self.global(self.num_globals) + 8 * index
    }

    /// The vmctx size in bytes.
    pub fn size(&self) -> u32 {
        self.type_id(self.num_types)
    }
}

/// A module instance's vmctx: an owned, 8-byte aligned block at a stable address.
#[derive(Debug)]
pub struct InstanceContext {
    words: Box<[u64]>,
    offsets: VMOffsets,
}

impl InstanceContext {
    /// A zeroed vmctx with the given layout.
    pub fn new(offsets: VMOffsets) -> Self {
        InstanceContext {
            words: vec![0u64; offsets.size() as usize / 8].into_boxed_slice(),
            offsets,
        }
    }

    /// The layout.
    pub fn offsets(&self) -> &VMOffsets {
        &self.offsets
    }

    /// The pointer generated code receives.
    pub fn as_ptr(&mut self) -> *mut u8 {
        self.words.as_mut_ptr().cast()
    }

    fn set(&mut self, byte_offset: u32, value: u64) {
        self.words[byte_offset as usize / 8] = value;
    }

    /// Sets the store context.
    pub fn set_store(&mut self, store: *mut VMStoreContext) {
        self.set(VMOffsets::STORE as u32, store as u64);
    }

    /// Sets memory 0.
    pub fn set_memory(&mut self, memory: *mut VMMemoryDef) {
        self.set(VMOffsets::MEMORY0 as u32, memory as u64);
    }

    /// Sets the instance id.
    pub fn set_instance(&mut self, id: u32) {
        self.set(VMOffsets::INSTANCE as u32, id as u64);
    }

    /// Sets function `index`.
    pub fn set_func(&mut self, index: u32, func: *const VMFuncRef) {
        self.set(self.offsets.func(index), func as u64);
    }

    /// Sets table `index`.
    pub fn set_table(&mut self, index: u32, table: *mut VMTableDef) {
        self.set(self.offsets.table(index), table as u64);
    }

    /// Sets global `index`'s cell.
    pub fn set_global(&mut self, index: u32, cell: *mut u128) {
        self.set(self.offsets.global(index), cell as u64);
    }

    /// Sets type `index`'s interned id.
    pub fn set_type_id(&mut self, index: u32, id: u32) {
        self.set(self.offsets.type_id(index), id as u64);
    }
}

/// The instance id stored in a vmctx.
///
/// # Safety
/// `vmctx` must point to a live [`InstanceContext`].
pub unsafe fn instance_of(vmctx: *const u8) -> u32 {
    // SAFETY: the caller guarantees a live vmctx, whose word 2 is the instance id.
    unsafe { vmctx.add(VMOffsets::INSTANCE as usize).cast::<u64>().read() as u32 }
}
