use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use wz_binary::{FuncType, GlobalType, MemoryType, TableType};
use wz_ir::Function;

use crate::store::Store;
use crate::values::InstanceId;
use crate::{Error, PAGE_SIZE};

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
    /// The store.
    pub fn store(&mut self) -> &mut Store {
        self.store
    }

    /// The calling instance (none when called directly by the embedder).
    pub fn instance(&self) -> Option<InstanceId> {
        self.instance
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
    Wasm { instance: u32, code: Arc<Function> },
    Host(HostFunc),
}

#[derive(Debug)]
pub(crate) struct FuncEntity {
    pub kind: FuncKind,
    pub ty: FuncType,
    pub type_id: u32,
    /// Slots a host call needs: max(params, results).
    pub host_slots: u32,
}

#[derive(Debug)]
pub(crate) struct MemoryEntity {
    pub ty: MemoryType,
    pub data: Vec<u8>,
    pub max_pages: u64,
}

impl MemoryEntity {
    pub fn new(ty: MemoryType) -> Result<Self, Error> {
        let max_pages = ty.limits.max.unwrap_or(MAX_PAGES).min(MAX_PAGES);
        if ty.limits.min > max_pages {
            return Err(Error::usage("memory minimum exceeds its maximum"));
        }
        let bytes = ty.limits.min as usize * PAGE_SIZE;
        let mut data = Vec::new();
        data.try_reserve_exact(bytes)
            .map_err(|_| Error::usage(format!("cannot allocate {bytes} bytes of linear memory")))?;
        data.resize(bytes, 0);
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
        let bytes = new as usize * PAGE_SIZE;
        if self
            .data
            .try_reserve_exact(bytes - self.data.len())
            .is_err()
        {
            return None;
        }
        self.data.resize(bytes, 0);
        Some(old as u32)
    }
}

#[derive(Debug)]
pub(crate) struct TableEntity {
    pub ty: TableType,
    pub elems: Vec<u64>,
}

impl TableEntity {
    pub fn new(ty: TableType, init: u64) -> Result<Self, Error> {
        if ty.limits.min > MAX_TABLE_ELEMENTS {
            return Err(Error::usage("table is too large"));
        }
        Ok(TableEntity {
            ty,
            elems: vec![init; ty.limits.min as usize],
        })
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
        Some(old as u32)
    }
}

#[derive(Debug)]
pub(crate) struct GlobalEntity {
    pub ty: GlobalType,
    pub value: u128,
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
    pub exports: Vec<(String, crate::Extern)>,
}
