use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use std::cell::Cell;

use wz_binary::{FuncType, GlobalType, MemoryType, TableType};
use wz_cranelift::vm::VMTableDef;
use wz_cranelift::{BoundsChecks, LinearMemory};

use crate::store::Store;
use crate::values::{FuncId, GlobalId, InstanceId, MemoryId, TableId};
use crate::{Error, PAGE_SIZE};
use crate::{Extern, Val};

/// The most pages a 32-bit memory can have.
pub(crate) const MAX_PAGES: u64 = 65536;
/// The most elements a table may grow to.
pub(crate) const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// The signature of a host function's native code: parameters in `slots` on entry, results
/// written there (from slot 0) before returning.
pub type HostFn = dyn Fn(&mut Caller<'_>, &mut [u64]) -> Result<(), Error> + Send + Sync;

/// A function implemented by the host.
#[derive(Clone)]
pub struct HostFunc {
    pub(crate) ty: FuncType,
    pub(crate) f: Arc<HostFn>,
}

impl HostFunc {
    /// A host function of type `ty` running `f`.
    ///
    /// `f` receives the parameters as raw slots (one each; two for `v128`) and must write the
    /// results to the same slice, which has room for both.
    pub fn new(
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        HostFunc { ty, f: Arc::new(f) }
    }

    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

impl fmt::Debug for HostFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostFunc {}", self.ty)
    }
}

/// What a host function sees of its caller: the store and the calling instance.
pub struct Caller<'a> {
    pub(crate) store: &'a mut Store,
    pub(crate) instance: Option<InstanceId>,
}

impl Caller<'_> {
    /// The store, to read through `Deref` and change through [`StoreMut`]'s methods (the
    /// same as [`Store`]'s). Never the `&mut Store` itself: the call in progress depends
    /// on the store staying where it is, so it must not be replaced or swapped out.
    ///
    /// ```
    /// use wz_store::{Caller, CompiledModule, Engine, Extern, FuncType, HostFunc, Store, Val, ValType};
    /// let mut store = Store::default();
    /// // A host function that doubles the calling instance's global "g".
    /// let ty = FuncType::new([], []);
    /// let double = store
    ///     .alloc_host_func(HostFunc::new(ty, |caller: &mut Caller<'_>, _: &mut [u64]| {
    ///         let instance = caller.instance().unwrap();
    ///         let mut store = caller.store();
    ///         let Some(Extern::Global(g)) = store.export(instance, "g") else { unreachable!() };
    ///         let Val::I32(v) = store.global_get(g) else { unreachable!() };
    ///         store.global_set(g, Val::I32(v * 2))
    ///     }))
    ///     .unwrap();
    /// let wasm = wat::parse_str(r#"(module (import "host" "double" (func $double))
    ///     (global (export "g") (mut i32) (i32.const 21))
    ///     (func (export "run") (result i32) (call $double) (global.get 0)))"#).unwrap();
    /// let module = CompiledModule::new(&wasm, Default::default()).unwrap();
    /// let instance = store.instantiate(&module, &[Extern::Func(double)]).unwrap();
    /// let run = store.export_func(instance, "run").unwrap();
    /// assert_eq!(store.call(run, &[]).unwrap(), vec![Val::I32(42)]);
    /// ```
    pub fn store(&mut self) -> StoreMut<'_> {
        StoreMut { store: self.store }
    }

    /// The calling instance (none when called directly by the embedder).
    pub fn instance(&self) -> Option<InstanceId> {
        self.instance
    }

    /// What the embedder attached to the calling instance with
    /// [`Store::set_instance_data`], if it is a `T`.
    pub fn instance_data<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.store.instance_data(self.instance?)
    }

    /// The calling instance's memory 0.
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        let instance = self.instance?;
        let id = self.store.instance_memory(instance, 0)?;
        Some(self.store.memory_data_mut(id))
    }
}

#[derive(Debug)]
pub(crate) enum FuncKind {
    /// Interpreted: the lowered body.
    Wasm {
        instance: u32,
        code: Arc<wz_interp::Code>,
    },
    /// Compiled: native code reached through `vmfunc`.
    Jit,
    /// Host function `index` of the store's host function set `set` (a host module's
    /// functions share one set: adding them clones no reference counts per function).
    Host { set: u32, index: u32 },
}

/// What the store keeps per interned function type.
#[derive(Debug)]
pub(crate) struct TypeInfo {
    pub ty: FuncType,
    /// Slots a call needs: max(params, results).
    pub call_slots: u32,
    /// The JIT's entry trampoline and host adapter for the type, fetched from the engine (a
    /// lock and a hash) when the store's first function of the type is added.
    pub trampolines: Option<Arc<wz_cranelift::Trampolines>>,
}

#[derive(Debug)]
pub(crate) struct FuncEntity {
    pub kind: FuncKind,
    /// The interned type (an index into `Store::type_list`).
    pub type_id: u32,
    /// Slots a call needs: max(params, results).
    pub host_slots: u32,
    /// Hooks around its calls (see [`crate::Store::set_func_listener`]).
    pub listener: Option<Arc<dyn crate::FuncListener>>,
}

impl FuncEntity {
    /// A function whose compiled-code parts [`crate::Store`] fills in as it adds it.
    pub fn new(kind: FuncKind, type_id: u32, host_slots: u32) -> Self {
        FuncEntity {
            kind,
            type_id,
            host_slots,
            listener: None,
        }
    }
}

/// Values at stable addresses, allocated a chunk at a time and freed with the arena: one
/// allocation per [`Chunks::CHUNK`] function references instead of one each. A chunk is a
/// `Vec` made with room for `CHUNK` values and never pushed past it, so it never moves its
/// values; it is filled as values come, not all at once.
#[derive(Debug)]
pub(crate) struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunks<T> {
    const CHUNK: usize = 64;

    /// Appends `value` (at index `len()`); its address never changes.
    pub fn push(&mut self, value: T) -> &mut T {
        if self.len.is_multiple_of(Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        self.len += 1;
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        debug_assert!(chunk.len() < chunk.capacity(), "a full chunk would move");
        chunk.push(value);
        chunk.last_mut().expect("just pushed")
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks
            .get(index / Self::CHUNK)?
            .get(index % Self::CHUNK)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(index / Self::CHUNK)?
            .get_mut(index % Self::CHUNK)
    }
}

/// What a store allows its memories (see [`crate::Store::set_memory_limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimits {
    /// No memory grows beyond this many 64 KiB pages; one whose minimum is larger cannot be
    /// created.
    pub max_pages: u32,
    /// Reserve a memory's declared maximum when it is created, so growing it never moves it
    /// (explicitly checked memories; guard-page memories never move).
    pub capacity_from_max: bool,
}

impl Default for MemoryLimits {
    fn default() -> Self {
        MemoryLimits {
            max_pages: MAX_PAGES as u32,
            capacity_from_max: false,
        }
    }
}

#[derive(Debug)]
pub(crate) struct MemoryEntity {
    pub ty: MemoryType,
    pub data: LinearMemory,
    pub max_pages: u64,
}

impl MemoryEntity {
    /// A memory of type `ty`, zero-filled or (with `image`) holding the image.
    pub fn new(
        ty: MemoryType,
        strategy: BoundsChecks,
        limits: MemoryLimits,
        image: Option<&wz_cranelift::MemoryImage>,
    ) -> Result<Self, Error> {
        let max_pages = ty
            .limits
            .max
            .unwrap_or(MAX_PAGES)
            .min(MAX_PAGES)
            .min(limits.max_pages as u64);
        if ty.limits.min > max_pages {
            return Err(Error::usage(format!(
                "memory minimum of {} pages exceeds the limit of {max_pages} pages",
                ty.limits.min
            )));
        }
        let bytes = ty.limits.min as usize * PAGE_SIZE;
        let capacity = match (limits.capacity_from_max, ty.limits.max) {
            (true, Some(_)) => max_pages as usize * PAGE_SIZE,
            _ => bytes,
        };
        let data = LinearMemory::with_image(bytes, capacity, strategy, image)
            .map_err(|e| Error::usage(e.to_string()))?;
        Ok(MemoryEntity {
            ty,
            data,
            max_pages,
        })
    }

    pub fn pages(&self) -> u32 {
        (self.data.len() / PAGE_SIZE) as u32
    }

    /// Grows by `delta` pages; the old size, or `None`.
    pub fn grow(&mut self, delta: u64) -> Option<u32> {
        let old = self.pages() as u64;
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        self.data.grow_to(new as usize * PAGE_SIZE).ok()?;
        Some(old as u32)
    }
}

#[derive(Debug)]
pub(crate) struct TableEntity {
    pub ty: TableType,
    pub elems: Vec<u64>,
    /// What compiled code reads: kept equal to `elems`' pointer and length.
    pub def: Box<VMTableDef>,
}

impl TableEntity {
    pub fn new(ty: TableType, init: u64) -> Result<Self, Error> {
        if ty.limits.min > MAX_TABLE_ELEMENTS {
            return Err(Error::usage("table is too large"));
        }
        let mut t = TableEntity {
            ty,
            elems: vec![init; ty.limits.min as usize],
            def: Box::new(VMTableDef {
                base: std::ptr::null_mut(),
                len: 0,
            }),
        };
        t.sync();
        Ok(t)
    }

    /// Updates `def` after `elems` changed size.
    pub fn sync(&mut self) {
        self.def.base = self.elems.as_mut_ptr();
        self.def.len = self.elems.len() as u64;
    }

    pub fn max(&self) -> u64 {
        self.ty
            .limits
            .max
            .unwrap_or(u32::MAX as u64)
            .min(MAX_TABLE_ELEMENTS)
    }

    pub fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        let old = self.elems.len() as u64;
        let new = old + delta as u64;
        if new > self.max() {
            return None;
        }
        self.elems.resize(new as usize, init);
        self.sync();
        Some(old as u32)
    }
}

#[derive(Debug)]
pub(crate) struct GlobalEntity {
    pub ty: GlobalType,
    /// The value, at a stable address compiled code reads and writes.
    pub cell: Box<Cell<u128>>,
}

impl GlobalEntity {
    pub fn new(ty: GlobalType, value: u128) -> Self {
        GlobalEntity {
            ty,
            cell: Box::new(Cell::new(value)),
        }
    }

    pub fn get(&self) -> u128 {
        self.cell.get()
    }

    pub fn set(&self, value: u128) {
        self.cell.set(value)
    }
}

#[derive(Debug)]
pub(crate) struct InstanceEntity {
    pub module: Option<crate::CompiledModule>,
    pub funcs: Vec<u32>,
    pub memories: Vec<u32>,
    pub tables: Vec<u32>,
    pub globals: Vec<u32>,
    pub type_ids: Vec<u32>,
    /// Data segments still available to `memory.init` (empty once dropped).
    pub datas: Vec<Range<usize>>,
    /// Element segments as reference values (empty once dropped).
    pub elems: Vec<Vec<u64>>,
    /// The export names (shared with every instance of the module) and, position by
    /// position, what they are.
    pub export_names: Arc<crate::ExportNames>,
    pub exports: Vec<crate::Extern>,
    /// The vmctx of a compiled instance.
    pub vmctx: Option<wz_cranelift::vm::InstanceContext>,
    /// What the embedder attached (see [`crate::Store::set_instance_data`]).
    pub data: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

/// The store as a host function changes it (see [`Caller::store`]): [`Store`]'s methods,
/// those that read through `Deref` and those that change it forwarded, but no `&mut Store`
/// (with one, safe code could replace the store under the running call).
///
/// ```compile_fail
/// // Replacing the store from a host function does not compile.
/// fn replace(caller: &mut wz_store::Caller<'_>) {
///     *caller.store() = wz_store::Store::default();
/// }
/// ```
///
/// ```compile_fail
/// fn swap(caller: &mut wz_store::Caller<'_>, other: &mut wz_store::Store) {
///     std::mem::swap(&mut *caller.store(), other);
/// }
/// ```
pub struct StoreMut<'a> {
    store: &'a mut Store,
}

impl std::ops::Deref for StoreMut<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

impl fmt::Debug for StoreMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreMut").field(&self.store).finish()
    }
}

/// Forwards `&mut self` methods to the store, each documented as the one it forwards to.
macro_rules! forward {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        impl StoreMut<'_> {
            $(
                #[doc = concat!("As [`Store::", stringify!($name), "`].")]
                pub fn $name(&mut self, $($arg: $ty),*) $(-> $ret)? {
                    self.store.$name($($arg),*)
                }
            )*
        }
    };
}

forward! {
    fn call(func: FuncId, args: &[Val]) -> Result<Vec<Val>, Error>;
    fn call_raw(func: FuncId, slots: &mut [u64]) -> Result<(), Error>;
    fn call_jit(entry: &crate::JitEntry, slots: &mut [u64]) -> Result<(), Error>;
    fn global_set(global: GlobalId, value: Val) -> Result<(), Error>;
    fn memory_data_mut(memory: MemoryId) -> &mut [u8];
    fn memory_grow(memory: MemoryId, delta: u32) -> Option<u32>;
    fn instantiate(module: &crate::CompiledModule, imports: &[Extern]) -> Result<InstanceId, Error>;
    fn instantiate_with_data(
        module: &crate::CompiledModule,
        imports: &[Extern],
        data: Option<Arc<dyn std::any::Any + Send + Sync>>
    ) -> Result<InstanceId, Error>;
    fn set_instance_data(instance: InstanceId, data: Arc<dyn std::any::Any + Send + Sync>);
    fn register(name: &str, instance: InstanceId) -> Result<(), Error>;
    fn unregister(name: &str) -> Option<InstanceId>;
    fn alloc_host_func(func: HostFunc) -> Result<FuncId, Error>;
    fn alloc_host_funcs(funcs: Arc<[HostFunc]>) -> Result<Vec<FuncId>, Error>;
    fn alloc_host_instance(exports: Vec<(String, Extern)>) -> InstanceId;
    fn alloc_host_instance_with(names: Arc<crate::ExportNames>, exports: Vec<Extern>) -> InstanceId;
    fn alloc_memory(ty: MemoryType) -> Result<MemoryId, Error>;
    fn alloc_table(ty: TableType, init: Val) -> Result<TableId, Error>;
    fn alloc_global(ty: GlobalType, value: Val) -> Result<GlobalId, Error>;
    fn set_fuel(fuel: Option<u64>);
    fn set_memory_limits(limits: MemoryLimits);
    fn set_backtraces(enabled: bool);
    fn set_func_listener(func: FuncId, listener: Option<Arc<dyn crate::FuncListener>>);
    fn set_listener_factory(factory: Option<Arc<crate::ListenerFactory>>);
}
