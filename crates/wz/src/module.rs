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
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module $counter
///     (memory (export "mem") 1)
///     (global (export "count") (mut i32) (i32.const 0))
///     (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1)))))"#).unwrap();
/// assert_eq!(module.name(), Some("counter")); // from the name section
/// module.exported_function("bump").unwrap().call(&[]).unwrap();
/// assert_eq!(module.exported_global("count").unwrap().get(), Some(wz::Val::I32(1)));
/// assert_eq!(module.exported_memory("mem").unwrap().size(), 65536);
/// assert!(module.exported_function("missing").is_none());
/// ```
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (func (export "f")))"#).unwrap();
    /// assert_eq!(module.compiled().exported_functions()[0].name(), "f");
    /// ```
    pub fn compiled(&self) -> &CompiledModule {
        &self.compiled
    }

    /// The name it was instantiated under (none for an anonymous module).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(b"(module)").unwrap();
    /// let named = runtime
    ///     .instantiate_module(&compiled, wz::ModuleConfig::new().with_name("first"))
    ///     .unwrap();
    /// assert_eq!(named.name(), Some("first"));
    /// let anonymous = runtime
    ///     .instantiate_module(&compiled, wz::ModuleConfig::new().with_name(""))
    ///     .unwrap();
    /// assert_eq!(anonymous.name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn export(&self, name: &str) -> Option<Extern> {
        let store = self.rt.store().ok()?;
        store.export(self.instance, name)
    }

    /// The exported function `name`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#)
    ///     .unwrap();
    /// let add = module.exported_function("add").unwrap();
    /// assert_eq!(add.call(&[2, 3]).unwrap(), [5]);
    /// ```
    pub fn exported_function(&self, name: &str) -> Option<Function> {
        let store = self.rt.store().ok()?;
        let Some(Extern::Func(func)) = store.export(self.instance, name) else {
            return None;
        };
        let ty = store.func_type(func).clone();
        let slots = store.call_slots(func);
        // Calls with limits to apply take the general path (see `Function::run`).
        let entry = if self.rt.metering.interrupt {
            None
        } else {
            store.jit_entry(func)
        };
        let param_slots = slot_count(ty.params()) as usize;
        let result_slots = slot_count(ty.results()) as usize;
        Some(Function {
            rt: self.rt.clone(),
            state: self.state.clone(),
            func,
            def: Arc::new(self.definition(name, ty)),
            entry,
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (memory (export "heap") 1 2))"#).unwrap();
    /// let heap = module.exported_memory("heap").unwrap();
    /// assert_eq!(heap.grow(1), Some(1));
    /// assert!(module.exported_memory("other").is_none());
    /// ```
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// // Memory 0 need not be exported.
    /// let module = runtime.instantiate(br#"(module (memory 1) (data (i32.const 8) "hi"))"#).unwrap();
    /// assert_eq!(module.memory().unwrap().read(8, 2).unwrap(), b"hi");
    /// ```
    pub fn memory(&self) -> Option<Memory> {
        let store = self.rt.store().ok()?;
        let id = store.instance_memory(self.instance, 0)?;
        Some(Memory {
            rt: self.rt.clone(),
            id,
        })
    }

    /// The exported global `name`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (global (export "pi") f64 (f64.const 3.14)))"#)
    ///     .unwrap();
    /// let pi = module.exported_global("pi").unwrap();
    /// assert_eq!(pi.get(), Some(wz::Val::F64(3.14f64.to_bits())));
    /// ```
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
    ///
    /// Its memories and tables stay allocated until the runtime is dropped (other modules
    /// may have imported them). A server that runs each request in a fresh instance should
    /// give each its own runtime (creating one costs well under a microsecond; share the
    /// compiled module), so dropping the runtime frees everything.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module $m (func (export "f")))"#).unwrap();
    /// let f = module.exported_function("f").unwrap();
    /// assert!(module.close());
    /// assert!(module.is_closed());
    /// assert_eq!(f.call(&[]).unwrap_err().exit_code(), Some(0));
    /// assert!(runtime.module("m").is_none()); // the name is free again
    /// ```
    pub fn close(&self) -> bool {
        self.close_with_exit_code(0)
    }

    /// Closes the module with `exit_code`, which calls of its functions then report.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (func (export "f")))"#).unwrap();
    /// module.close_with_exit_code(3);
    /// let err = module.exported_function("f").unwrap().call(&[]).unwrap_err();
    /// assert_eq!(err.exit_code(), Some(3));
    /// ```
    pub fn close_with_exit_code(&self, exit_code: u32) -> bool {
        let closed = self.state.close(exit_code);
        if closed {
            self.rt.forget_names();
        }
        closed
    }

    /// Whether the module has been closed.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(b"(module)").unwrap();
    /// assert!(!module.is_closed());
    /// runtime.close();
    /// assert!(module.is_closed());
    /// ```
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
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module
///     (func (export "mul") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1))))"#)
///     .unwrap();
/// let mul = module.exported_function("mul").unwrap();
/// // Raw: wazero's convention.
/// assert_eq!(mul.call(&[6, 7]).unwrap(), [42]);
/// // Typed values, checked on every call.
/// assert_eq!(mul.call_values(&[wz::Val::I64(-2), wz::Val::I64(4)]).unwrap(), [wz::Val::I64(-8)]);
/// // Typed view, checked once.
/// let mul = mul.typed::<(i64, i64), i64>().unwrap();
/// assert_eq!(mul.call((3, 5)).unwrap(), 15);
/// ```
#[derive(Clone)]
pub struct Function {
    pub(crate) rt: Arc<RuntimeInner>,
    pub(crate) state: Arc<ModuleState>,
    pub(crate) func: FuncId,
    def: Arc<FunctionDefinition>,
    /// For compiled code in a runtime without an interruptible deadline: the call target,
    /// resolved once, that calls without a [`CallContext`] go straight to.
    entry: Option<wz_store::JitEntry>,
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func $area (export "area") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let def = module.exported_function("area").unwrap().definition().clone();
    /// assert_eq!(def.name(), "area");
    /// assert_eq!(def.param_names(), ["w", "h"]);
    /// assert_eq!(def.results(), [wz::ValType::F32]);
    /// ```
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
    ///
    /// ```
    /// use wz::Val;
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0)))"#)
    ///     .unwrap();
    /// let swap = module.exported_function("swap").unwrap();
    /// let out = swap.call_values(&[Val::I32(1), Val::F64(2.5f64.to_bits())]).unwrap();
    /// assert_eq!(out, [Val::F64(2.5f64.to_bits()), Val::I32(1)]);
    /// // Wrong types are refused before the call.
    /// assert!(swap.call_values(&[Val::I64(1), Val::I32(2)]).is_err());
    /// ```
    pub fn call_values(&self, args: &[Val]) -> Result<Vec<Val>, Error> {
        self.run(None, |store, func| store.call(func, args))
    }

    /// [`Function::call_values`] bounded by `ctx`: its fuel budget and deadline.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let spin = module.exported_function("spin").unwrap();
    /// let ctx = wz::CallContext::new().with_fuel(1000);
    /// let err = spin.call_values_with(&ctx, &[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::OutOfFuel));
    /// ```
    pub fn call_values_with(&self, ctx: &CallContext, args: &[Val]) -> Result<Vec<Val>, Error> {
        self.run(Some(ctx), |store, func| store.call(func, args))
    }

    /// [`Function::call`] bounded by `ctx`: its fuel budget and deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
    ///     .unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let spin = module.exported_function("spin").unwrap();
    /// let ctx = wz::CallContext::new().with_timeout(Duration::from_millis(10));
    /// let err = spin.call_with(&ctx, &[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
    /// ```
    pub fn call_with(&self, ctx: &CallContext, params: &[u64]) -> Result<Vec<u64>, Error> {
        self.call_inner(Some(ctx), params)
    }

    /// The call itself: `slots` holds at least `self.slots` values.
    pub(crate) fn call_raw(
        &self,
        ctx: Option<&CallContext>,
        slots: &mut [u64],
    ) -> Result<(), Error> {
        if ctx.is_none()
            && let Some(entry) = &self.entry
        {
            // `run` without limits, minus the function lookups. (Written out: the same
            // through `run`, with the choice in its closure, measured 284 machine
            // instructions per call of the bench's `add1` against 255.)
            self.state.check_open()?;
            let out = self.rt.store()?.call_jit(entry, slots);
            return self.after_call(out);
        }
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
        // The common case, no limits to apply or reset, skips the limit bookkeeping.
        if ctx.is_none() && !metering.interrupt {
            let out = call(&mut store, self.func);
            drop(store);
            return self.after_call(out);
        }
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module
    ///     (func (export "divmod") (param i32 i32) (result i32 i32)
    ///       (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1))))"#)
    ///     .unwrap();
    /// let f = module.exported_function("divmod").unwrap();
    /// let divmod = f.typed::<(i32, i32), (i32, i32)>().unwrap();
    /// assert_eq!(divmod.call((17, 5)).unwrap(), (3, 2));
    /// // The signature is checked here, once.
    /// assert!(f.typed::<i32, i32>().is_err());
    /// ```
    pub fn typed<P: WasmParams, R: WasmResults>(&self) -> Result<TypedFunction<P, R>, Error> {
        TypedFunction::new(self.clone())
    }
}

/// A linear memory. Every access is bounds-checked: out-of-range reads give `None`,
/// out-of-range writes an error, never a panic.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(b"(module (memory 1))").unwrap();
/// let memory = module.memory().unwrap();
/// memory.write(16, b"wasm").unwrap();
/// memory.write_u32_le(32, 0xdead_beef).unwrap();
/// assert_eq!(memory.read(16, 4).unwrap(), b"wasm");
/// assert_eq!(memory.read_u32_le(32), Some(0xdead_beef));
/// // Out of range: None or an error, never a panic.
/// assert_eq!(memory.read_u64_le(65532), None);
/// assert!(memory.write(65535, b"ab").is_err());
/// ```
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
        ///
        #[doc = concat!("```\nlet runtime = wz::Runtime::new();\n",
            "let memory = runtime.instantiate(b\"(module (memory 1))\").unwrap().memory().unwrap();\n",
            "memory.", stringify!($write), "(8, 3 as ", stringify!($t), ").unwrap();\n",
            "assert_eq!(memory.", stringify!($read), "(8), Some(3 as ", stringify!($t), "));\n",
            "assert_eq!(memory.", stringify!($read), "(65536), None);\n```")]
        pub fn $read(&self, offset: u64) -> Option<$t> {
            let mut buf = [0u8; std::mem::size_of::<$t>()];
            self.read_into(offset, &mut buf).then(|| <$t>::from_le_bytes(buf))
        }

        #[doc = concat!("Writes a little-endian `", stringify!($t), "` at `offset`.")]
        ///
        #[doc = concat!("```\nlet runtime = wz::Runtime::new();\n",
            "let memory = runtime.instantiate(b\"(module (memory 1))\").unwrap().memory().unwrap();\n",
            "memory.", stringify!($write), "(0, 5 as ", stringify!($t), ").unwrap();\n",
            "assert_eq!(memory.", stringify!($read), "(0), Some(5 as ", stringify!($t), "));\n",
            "assert!(memory.", stringify!($write), "(65536, 5 as ", stringify!($t), ").is_err());\n```")]
        pub fn $write(&self, offset: u64, value: $t) -> Result<(), Error> {
            self.write(offset, &value.to_le_bytes())
        }
    )*};
}

impl Memory {
    /// The size in bytes.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let memory = runtime.instantiate(b"(module (memory 2))").unwrap().memory().unwrap();
    /// assert_eq!(memory.size(), 2 * 65536);
    /// ```
    pub fn size(&self) -> u64 {
        self.rt
            .store()
            .map_or(0, |s| s.memory_data(self.id).len() as u64)
    }

    /// Grows the memory by `pages` (64 KiB each); the previous size in pages, or `None` if
    /// it cannot grow that much.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let memory = runtime.instantiate(b"(module (memory 1 3))").unwrap().memory().unwrap();
    /// assert_eq!(memory.grow(2), Some(1)); // was 1 page
    /// assert_eq!(memory.grow(1), None); // past the maximum of 3
    /// ```
    pub fn grow(&self, pages: u32) -> Option<u32> {
        self.rt.store().ok()?.memory_grow(self.id, pages)
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`; false (and `buf` untouched) when
    /// out of range.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (memory 1) (data (i32.const 0) "abc"))"#).unwrap();
    /// let memory = module.memory().unwrap();
    /// let mut buf = [0u8; 3];
    /// assert!(memory.read_into(0, &mut buf));
    /// assert_eq!(&buf, b"abc");
    /// assert!(!memory.read_into(65534, &mut buf));
    /// ```
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (memory 1) (data (i32.const 4) "xyz"))"#).unwrap();
    /// let memory = module.memory().unwrap();
    /// assert_eq!(memory.read(4, 3).unwrap(), b"xyz");
    /// assert!(memory.read(65535, 2).is_none());
    /// ```
    pub fn read(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let store = self.rt.store().ok()?;
        let data = store.memory_data(self.id);
        range(offset, len, data.len()).map(|r| data[r].to_vec())
    }

    /// Writes `bytes` at `offset`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let memory = runtime.instantiate(b"(module (memory 1))").unwrap().memory().unwrap();
    /// memory.write(100, &[1, 2, 3]).unwrap();
    /// assert_eq!(memory.read_u8(101), Some(2));
    /// assert!(memory.write(u64::MAX, &[1]).is_err());
    /// ```
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
///
/// ```
/// use wz::Val;
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module
///     (global (export "limit") i64 (i64.const 10))
///     (global (export "used") (mut i64) (i64.const 0)))"#).unwrap();
/// let used = module.exported_global("used").unwrap();
/// used.set(Val::I64(4)).unwrap();
/// assert_eq!(used.get(), Some(Val::I64(4)));
/// let limit = module.exported_global("limit").unwrap();
/// assert!(limit.set(Val::I64(11)).is_err()); // immutable
/// assert!(used.set(Val::I32(1)).is_err()); // wrong type
/// ```
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (global (export "g") (mut f32) (f32.const 1)))"#)
    ///     .unwrap();
    /// let ty = module.exported_global("g").unwrap().ty().unwrap();
    /// assert_eq!(ty.content, wz::ValType::F32);
    /// assert!(ty.mutable);
    /// ```
    pub fn ty(&self) -> Option<GlobalType> {
        Some(self.rt.store().ok()?.global_type(self.id))
    }

    /// The current value (`None` only inside a host function of the same runtime, which
    /// must use its `Caller`).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (global (export "g") i32 (i32.const 7)))"#).unwrap();
    /// assert_eq!(module.exported_global("g").unwrap().get(), Some(wz::Val::I32(7)));
    /// ```
    pub fn get(&self) -> Option<Val> {
        Some(self.rt.store().ok()?.global_get(self.id))
    }

    /// Sets a mutable global; an error for immutable globals and values of another type.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (global (export "g") (mut i32) (i32.const 0))
    ///     (func (export "read") (result i32) (global.get 0)))"#).unwrap();
    /// module.exported_global("g").unwrap().set(wz::Val::I32(9)).unwrap();
    /// assert_eq!(module.exported_function("read").unwrap().call(&[]).unwrap(), [9]);
    /// ```
    pub fn set(&self, value: Val) -> Result<(), Error> {
        self.rt.store()?.global_set(self.id, value)
    }
}
