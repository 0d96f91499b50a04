use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use wz_ir::TrapCode;

use crate::Code;

/// What a call instruction reaches.
#[derive(Debug, Clone, Copy)]
pub enum Callee<'a> {
    /// A wasm function of some instance.
    Wasm {
        /// The instance the function belongs to (made current while it runs).
        instance: u32,
        /// Its checked body. The interpreter keeps a pointer to it for as long as the call
        /// runs, without holding a reference count (see the safety contract of [`Env`]).
        func: &'a Arc<Code>,
    },
    /// A host function.
    Host {
        /// The environment's handle for it, passed back to [`Env::call_host`].
        func: u32,
        /// How many slots it reads parameters from and writes results to.
        slots: u32,
    },
}

/// Where metered code's limits live, for an interpreter that checks them without calling the
/// environment (see [`Env::meter`]).
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    /// The fuel counter: charging adds to it, and the call is out of fuel once it is above 0.
    pub fuel: *mut i64,
    /// The interrupt word: the call is interrupted once its lowest bit is set.
    pub interrupt: *const AtomicU64,
}

/// Everything the interpreter reaches outside its own stack: the *current* instance's memory,
/// globals, tables and segments, and the functions it can call.
///
/// The store implements this. Every method has a default that behaves as if the instance had no
/// such item, so small embeddings (and tests) implement only what they use; defaults that would
/// have to invent an item trap instead.
///
/// # Safety
///
/// The interpreter keeps the address and length of the slice [`Env::memory`] returns and
/// reads and writes memory through them (within that length) until it next calls one of
/// [`Env::enter`], [`Env::call_host`], [`Env::memory_grow`], [`Env::memory_init`],
/// [`Env::listen_enter`] or [`Env::listen_exit`]; after each of those it calls
/// [`Env::memory`] again. An implementation must keep those bytes valid in between: no other
/// method may move, shrink, free or replace that memory or hand out another reference to it.
///
/// The interpreter also keeps a pointer to the [`Code`] of every [`Callee::Wasm`] it was given
/// and runs it, without holding a reference count, until [`invoke`](crate::invoke) returns;
/// likewise it keeps the address and length of each slice [`Env::defined_functions`] returns
/// and reads from it until then. An implementation must keep each such `Arc<Code>` alive, and
/// each such slice in place and unchanged, until then (the store never drops a function or a
/// module's function list while it may run).
///
/// When [`Env::meter`] returns a [`Meter`], the interpreter charges fuel and checks limits
/// through its pointers instead of [`Env::consume_fuel`] and [`Env::check_limits`], which
/// must mean exactly what [`Meter`] describes; it uses the pointers only until it next calls
/// any method of the environment, and they must be valid (and `fuel` not otherwise
/// referenced) until then.
#[allow(unsafe_code)] // declaring the contract above; the crate's other `unsafe` is in exec.rs
pub unsafe trait Env {
    /// The error a call can end with. Traps convert into it; host functions may return others.
    type Error: From<TrapCode>;

    /// The current instance's memory 0 (empty if it has none).
    fn memory(&mut self) -> &mut [u8] {
        &mut []
    }
    /// The size of memory 0 in 64 KiB pages.
    fn memory_size(&mut self) -> u32 {
        0
    }
    /// Grows memory 0 by `delta` pages; the old size, or `u32::MAX` if it cannot grow.
    fn memory_grow(&mut self, _delta: u32) -> u32 {
        u32::MAX
    }
    /// `memory.init`: copies `len` bytes of data segment `segment` from `src` to memory at `dst`.
    fn memory_init(
        &mut self,
        _segment: u32,
        _dst: u32,
        _src: u32,
        _len: u32,
    ) -> Result<(), TrapCode> {
        Err(TrapCode::MemoryOutOfBounds)
    }
    /// `data.drop`.
    fn data_drop(&mut self, _segment: u32) {}
    /// The raw bits of global `index` (low 64 bits for scalars, all 128 for `v128`).
    fn global_get(&mut self, _index: u32) -> u128 {
        0
    }
    /// Sets global `index` from raw bits.
    fn global_set(&mut self, _index: u32, _value: u128) {}
    /// `table.get`.
    fn table_get(&mut self, _table: u32, _index: u32) -> Result<u64, TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// `table.set`.
    fn table_set(&mut self, _table: u32, _index: u32, _value: u64) -> Result<(), TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// `table.size`.
    fn table_size(&mut self, _table: u32) -> u32 {
        0
    }
    /// `table.grow`: the old size, or `u32::MAX` if it cannot grow.
    fn table_grow(&mut self, _table: u32, _delta: u32, _init: u64) -> u32 {
        u32::MAX
    }
    /// `table.fill`.
    fn table_fill(
        &mut self,
        _table: u32,
        _dst: u32,
        _value: u64,
        _len: u32,
    ) -> Result<(), TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// `table.copy`.
    fn table_copy(
        &mut self,
        _dst_table: u32,
        _src_table: u32,
        _dst: u32,
        _src: u32,
        _len: u32,
    ) -> Result<(), TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// `table.init`.
    fn table_init(
        &mut self,
        _table: u32,
        _elem: u32,
        _dst: u32,
        _src: u32,
        _len: u32,
    ) -> Result<(), TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// `elem.drop`.
    fn elem_drop(&mut self, _elem: u32) {}
    /// `ref.func`: the reference value of function `func` of the current instance.
    fn ref_func(&mut self, _func: u32) -> u64 {
        0
    }
    /// The target of `call func` in the current instance.
    fn callee(&mut self, func: u32) -> Callee<'_>;
    /// The functions the current instance defines, after the `imported` ones it imports:
    /// `(imported, defined)`. The interpreter calls `defined[func - imported]` in the current
    /// instance for `call func` whenever that index exists, without asking [`Env::callee`],
    /// so both must agree. The default (no functions) sends every call through
    /// [`Env::callee`].
    ///
    /// The interpreter keeps the slice's address (see the safety contract of [`Env`]).
    fn defined_functions(&mut self) -> (u32, &[Arc<Code>]) {
        (0, &[])
    }
    /// The target of `call_indirect` through element `index` of `table`, checked against type
    /// `type_index` of the current instance.
    fn indirect_callee(
        &mut self,
        _table: u32,
        _index: u32,
        _type_index: u32,
    ) -> Result<Callee<'_>, TrapCode> {
        Err(TrapCode::TableOutOfBounds)
    }
    /// The counters [`Env::consume_fuel`] and [`Env::check_limits`] work on, if the
    /// interpreter may use them directly (see the safety contract). The default: none.
    fn meter(&mut self) -> Option<Meter> {
        None
    }
    /// Charges `amount` fuel (code lowered with fuel metering; see [`wz_ir::Metering`]).
    fn consume_fuel(&mut self, _amount: u32) {}
    /// Whether the call may go on: [`TrapCode::OutOfFuel`] once its fuel is spent,
    /// [`TrapCode::Interrupted`] once it was interrupted (function entry and loop headers of
    /// metered code).
    fn check_limits(&mut self) -> Result<(), TrapCode> {
        Ok(())
    }
    /// The current instance's function `func` was called with `params` (one slot per value,
    /// two per `v128`): code lowered with listening ([`wz_ir::Metering::listen`]) reports
    /// every call here. An error fails the call.
    fn listen_enter(&mut self, _func: u32, _params: &[u64]) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Function `func` of the current instance returns `results`; see
    /// [`Env::listen_enter`].
    fn listen_exit(&mut self, _func: u32, _results: &[u64]) -> Result<(), Self::Error> {
        Ok(())
    }
    /// Makes `instance` the current instance.
    fn enter(&mut self, _instance: u32) {}
    /// Calls host function `func`: parameters are in `slots`, results are written there.
    fn call_host(&mut self, _func: u32, _slots: &mut [u64]) -> Result<(), Self::Error> {
        Err(TrapCode::Unreachable.into())
    }
}
