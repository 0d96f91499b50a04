//! Handles to what a module instance exports: [`Module`], [`Function`], [`Memory`],
//! [`Global`]. All are cheap to clone, `Send + Sync`, and keep their runtime alive.

use std::fmt;
use std::sync::Arc;

use wz_store::{
    Error, ErrorKind, Extern, FuncId, FuncType, GlobalId, GlobalType, InstanceId, MemoryId, Val,
    slot_count,
};

use crate::compiled::{CompiledModule, FunctionDefinition};
use crate::limits::{self, CallContext};
use crate::runtime::{ModuleState, RuntimeInner};
use crate::typed::{TypedFunction, WasmParams, WasmResults};

/// An instantiated module.
#[derive(Clone)]
pub struct Module {
    rt: Arc<RuntimeInner>,
    instance: InstanceId,
    name: Option<Arc<str>>,
    state: Arc<ModuleState>,
    compiled: CompiledModule,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Module {
    pub(crate) fn new(
        rt: Arc<RuntimeInner>,
        instance: InstanceId,
        name: Option<String>,
        state: Arc<ModuleState>,
        compiled: CompiledModule,
    ) -> Self {
        Module {
            rt,
            instance,
            name: name.map(Arc::from),
            state,
            compiled,
        }
    }

    /// The compiled module it is an instance of.
    pub fn compiled(&self) -> &CompiledModule {
        &self.compiled
    }

    /// The name it was instantiated under (none for an anonymous module).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn export(&self, name: &str) -> Option<Extern> {
        let store = self.rt.store().ok()?;
        store.export(self.instance, name)
    }

    /// The exported function `name`.
    pub fn exported_function(&self, name: &str) -> Option<Function> {
        let store = self.rt.store().ok()?;
        let Some(Extern::Func(func)) = store.export(self.instance, name) else {
            return None;
        };
        let ty = store.func_type(func).clone();
        let slots = store.call_slots(func);
        let param_slots = slot_count(ty.params()) as usize;
        let result_slots = slot_count(ty.results()) as usize;
        Some(Function {
            rt: self.rt.clone(),
            state: self.state.clone(),
            func,
            def: Arc::new(self.definition(name, ty)),
            slots,
            param_slots,
            result_slots,
        })
    }

    /// The definition of export `name`, named after this instance and with `name` first.
    fn definition(&self, name: &str, ty: FuncType) -> FunctionDefinition {
        let mut def = self
            .compiled
            .exported_function(name)
            .cloned()
            .unwrap_or_else(|| FunctionDefinition::exported(name, ty));
        def.module_name = self.name.clone();
        if let Some(i) = def.export_names.iter().position(|n| n == name) {
            def.export_names[..=i].rotate_right(1);
        }
        def
    }

    /// The exported memory `name`.
    pub fn exported_memory(&self, name: &str) -> Option<Memory> {
        match self.export(name)? {
            Extern::Memory(id) => Some(Memory {
                rt: self.rt.clone(),
                id,
            }),
            _ => None,
        }
    }

    /// The module's memory (memory 0, exported or not).
    pub fn memory(&self) -> Option<Memory> {
        let store = self.rt.store().ok()?;
        let id = store.instance_memory(self.instance, 0)?;
        Some(Memory {
            rt: self.rt.clone(),
            id,
        })
    }

    /// The exported global `name`.
    pub fn exported_global(&self, name: &str) -> Option<Global> {
        match self.export(name)? {
            Extern::Global(id) => Some(Global {
                rt: self.rt.clone(),
                id,
            }),
            _ => None,
        }
    }

    /// Closes the module (exit code 0): later calls of its functions fail with
    /// [`wz_store::ErrorKind::Closed`], and its name can be taken again. Returns false if
    /// it was already closed.
    pub fn close(&self) -> bool {
        self.close_with_exit_code(0)
    }

    /// Closes the module with `exit_code`, which calls of its functions then report.
    pub fn close_with_exit_code(&self, exit_code: u32) -> bool {
        let closed = self.state.close(exit_code);
        if closed {
            self.rt.forget_names();
        }
        closed
    }

    /// Whether the module has been closed.
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }
}

/// An exported function.
///
/// [`Function::call`] uses wazero's raw convention: every value is a `u64` (the helpers in
/// [`crate::raw`] encode them; a `v128` takes two, low half first).
/// [`Function::typed`] checks the signature once and then calls without checks or
/// allocation.
#[derive(Clone)]
pub struct Function {
    pub(crate) rt: Arc<RuntimeInner>,
    pub(crate) state: Arc<ModuleState>,
    pub(crate) func: FuncId,
    def: Arc<FunctionDefinition>,
    /// Raw slots a call needs: the larger of the next two.
    pub(crate) slots: usize,
    param_slots: usize,
    result_slots: usize,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Function {} {}", self.def.name(), self.def.ty())
    }
}

impl Function {
    /// Its name and type.
    pub fn definition(&self) -> &FunctionDefinition {
        &self.def
    }

    /// Calls the function with raw parameters (one `u64` per value, two per `v128`) and
    /// returns the raw results.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2))))"#)
    ///     .unwrap();
    /// let half = module.exported_function("half").unwrap();
    /// let out = half.call(&[wz::raw::encode_f64(5.0)]).unwrap();
    /// assert_eq!(wz::raw::decode_f64(out[0]), 2.5);
    /// ```
    pub fn call(&self, params: &[u64]) -> Result<Vec<u64>, Error> {
        self.call_inner(None, params)
    }

    fn call_inner(&self, ctx: Option<&CallContext>, params: &[u64]) -> Result<Vec<u64>, Error> {
        let n = self.param_slots;
        if params.len() != n {
            return Err(Error::usage(format!(
                "{} takes {n} raw parameters, got {}",
                self.def.name(),
                params.len()
            )));
        }
        let mut slots = vec![0u64; self.slots];
        slots[..n].copy_from_slice(params);
        self.call_raw(ctx, &mut slots)?;
        slots.truncate(self.result_slots);
        Ok(slots)
    }

    /// Calls the function with typed values, checking their types.
    pub fn call_values(&self, args: &[Val]) -> Result<Vec<Val>, Error> {
        self.run(None, |store, func| store.call(func, args))
    }

    /// [`Function::call_values`] bounded by `ctx`: its fuel budget and deadline.
    pub fn call_values_with(&self, ctx: &CallContext, args: &[Val]) -> Result<Vec<Val>, Error> {
        self.run(Some(ctx), |store, func| store.call(func, args))
    }

    /// [`Function::call`] bounded by `ctx`: its fuel budget and deadline.
    pub fn call_with(&self, ctx: &CallContext, params: &[u64]) -> Result<Vec<u64>, Error> {
        self.call_inner(Some(ctx), params)
    }

    /// The call itself: `slots` holds at least `self.slots` values.
    pub(crate) fn call_raw(
        &self,
        ctx: Option<&CallContext>,
        slots: &mut [u64],
    ) -> Result<(), Error> {
        self.run(ctx, |store, func| store.call_raw(func, slots))
    }

    /// Runs `call` on the store with `ctx`'s limits applied.
    #[inline]
    fn run<T>(
        &self,
        ctx: Option<&CallContext>,
        call: impl FnOnce(&mut wz_store::Store, FuncId) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.state.check_open()?;
        let mut store = self.rt.store()?;
        let metering = self.rt.metering;
        let guard = limits::begin(&mut store, metering, self.rt.listening.as_ref(), ctx)?;
        let out = call(&mut store, self.func);
        limits::end(&mut store, metering, ctx, guard);
        drop(store);
        self.after_call(out)
    }

    /// An exit (a host function returned [`Error::exit`]) closes the module with its code,
    /// as WASI's `proc_exit` does; a module closed during the call reports the close.
    fn after_call<T>(&self, out: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &out
            && let ErrorKind::Exit(code) = e.kind()
        {
            if self.state.close(*code) {
                self.rt.forget_names();
            }
            return out;
        }
        self.state.check_open()?;
        out
    }

    /// A typed view of the function, checked once against `P` (parameters) and `R`
    /// (results): `i32`, `i64`, `f32`, `f64`, `u128` (for `v128`), tuples of them, or `()`.
    pub fn typed<P: WasmParams, R: WasmResults>(&self) -> Result<TypedFunction<P, R>, Error> {
        TypedFunction::new(self.clone())
    }
}

/// A linear memory. Every access is bounds-checked: out-of-range reads give `None`,
/// out-of-range writes an error, never a panic.
#[derive(Clone)]
pub struct Memory {
    rt: Arc<RuntimeInner>,
    id: MemoryId,
}

impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Memory of {} bytes", self.size())
    }
}

fn out_of_range(offset: u64, len: usize) -> Error {
    Error::usage(format!(
        "memory access of {len} bytes at {offset} is out of range"
    ))
}

macro_rules! le_accessors {
    ($($read:ident $write:ident $t:ty),* $(,)?) => {$(
        #[doc = concat!("Reads a little-endian `", stringify!($t), "` at `offset`.")]
        pub fn $read(&self, offset: u64) -> Option<$t> {
            let mut buf = [0u8; std::mem::size_of::<$t>()];
            self.read_into(offset, &mut buf).then(|| <$t>::from_le_bytes(buf))
        }

        #[doc = concat!("Writes a little-endian `", stringify!($t), "` at `offset`.")]
        pub fn $write(&self, offset: u64, value: $t) -> Result<(), Error> {
            self.write(offset, &value.to_le_bytes())
        }
    )*};
}

impl Memory {
    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.rt
            .store()
            .map_or(0, |s| s.memory_data(self.id).len() as u64)
    }

    /// Grows the memory by `pages` (64 KiB each); the previous size in pages, or `None` if
    /// it cannot grow that much.
    pub fn grow(&self, pages: u32) -> Option<u32> {
        self.rt.store().ok()?.memory_grow(self.id, pages)
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`; false (and `buf` untouched) when
    /// out of range.
    pub fn read_into(&self, offset: u64, buf: &mut [u8]) -> bool {
        let Ok(store) = self.rt.store() else {
            return false;
        };
        let data = store.memory_data(self.id);
        match range(offset, buf.len(), data.len()) {
            Some(r) => {
                buf.copy_from_slice(&data[r]);
                true
            }
            None => false,
        }
    }

    /// The `len` bytes at `offset`, copied.
    pub fn read(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let store = self.rt.store().ok()?;
        let data = store.memory_data(self.id);
        range(offset, len, data.len()).map(|r| data[r].to_vec())
    }

    /// Writes `bytes` at `offset`.
    pub fn write(&self, offset: u64, bytes: &[u8]) -> Result<(), Error> {
        let mut store = self.rt.store()?;
        let data = store.memory_data_mut(self.id);
        let r = range(offset, bytes.len(), data.len())
            .ok_or_else(|| out_of_range(offset, bytes.len()))?;
        data[r].copy_from_slice(bytes);
        Ok(())
    }

    le_accessors! {
        read_u8 write_u8 u8,
        read_u16_le write_u16_le u16,
        read_u32_le write_u32_le u32,
        read_u64_le write_u64_le u64,
        read_f32_le write_f32_le f32,
        read_f64_le write_f64_le f64,
    }
}

/// `offset..offset + len` when it lies within `size`.
fn range(offset: u64, len: usize, size: usize) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(len)?;
    (end <= size).then_some(start..end)
}

/// A global variable.
#[derive(Clone)]
pub struct Global {
    rt: Arc<RuntimeInner>,
    id: GlobalId,
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Global {:?}", self.get())
    }
}

impl Global {
    /// Its type: value type and mutability.
    pub fn ty(&self) -> Option<GlobalType> {
        Some(self.rt.store().ok()?.global_type(self.id))
    }

    /// The current value (`None` only inside a host function of the same runtime, which
    /// must use its `Caller`).
    pub fn get(&self) -> Option<Val> {
        Some(self.rt.store().ok()?.global_get(self.id))
    }

    /// Sets a mutable global; an error for immutable globals and values of another type.
    pub fn set(&self, value: Val) -> Result<(), Error> {
        self.rt.store()?.global_set(self.id, value)
    }
}
