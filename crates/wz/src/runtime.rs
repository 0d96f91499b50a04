//! [`Runtime`]: compiles modules and owns every module it instantiates.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use wz_store::{
    Engine, Error, ErrorKind, Extern, Features, InstanceId, MemoryLimits, Metering, Store,
};

use crate::RuntimeConfig;
use crate::compiled::{CompiledModule, FunctionDefinition, Kind};
use crate::experimental::Listening;
use crate::limits::{CallContext, InterruptHandle};
use crate::module::Module;
use crate::sys::{FsConfig, SysConfig, System};

/// Compiles and instantiates WebAssembly modules and owns what they create.
///
/// A runtime is `Send + Sync`: its modules may be called from several threads. Calls into one
/// runtime take turns (each holds the runtime's store for its duration; compiling does not
/// wait for them); give threads separate runtimes, sharing compiled modules through a
/// [`crate::CompilationCache`], to run them in parallel.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let module = runtime.instantiate(br#"(module
///     (func (export "add") (param i32 i32) (result i32)
///       (i32.add (local.get 0) (local.get 1))))"#).unwrap();
/// let add = module.exported_function("add").unwrap().typed::<(i32, i32), i32>().unwrap();
/// assert_eq!(add.call((2, 3)).unwrap(), 5);
/// ```
#[derive(Debug)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

/// The state behind a runtime and every handle it gives out.
#[derive(Debug)]
pub(crate) struct RuntimeInner {
    store: Mutex<Store>,
    /// The store's engine, kept outside the lock so compiling never waits for a call.
    engine: Engine,
    features: Features,
    cache: Option<crate::CompilationCache>,
    memory: MemoryLimits,
    custom_sections: bool,
    /// The fuel and interrupt checks compiled code has.
    pub(crate) metering: Metering,
    /// The store's interrupt word, reachable without the store's lock.
    interrupt: Arc<std::sync::atomic::AtomicU64>,
    /// Function listeners, when the code reports calls ([`RuntimeConfig::with_function_listeners`]).
    pub(crate) listening: Option<Arc<Listening>>,
    /// Modules by name, and every module ever instantiated (for `close`).
    modules: Mutex<Modules>,
}

#[derive(Debug, Default)]
struct Modules {
    by_name: HashMap<String, (InstanceId, Arc<ModuleState>, CompiledModule)>,
    all: Vec<Arc<ModuleState>>,
}

/// Whether a module is closed, shared by all of its handles.
#[derive(Debug, Default)]
pub(crate) struct ModuleState {
    closed: AtomicBool,
    exit_code: AtomicU32,
}

impl ModuleState {
    /// Marks the module closed with `exit_code`; false if it already was.
    pub(crate) fn close(&self, exit_code: u32) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.exit_code.store(exit_code, Ordering::Release);
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The error calls of a closed module end with.
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        if self.is_closed() {
            Err(Error::new(ErrorKind::Closed(
                self.exit_code.load(Ordering::Acquire),
            )))
        } else {
            Ok(())
        }
    }
}

thread_local! {
    /// The runtime whose store this thread holds, if any (to refuse re-entrant calls, which
    /// would deadlock).
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// A locked store; releases the thread's claim on drop.
pub(crate) struct StoreGuard<'a> {
    guard: MutexGuard<'a, Store>,
    previous: usize,
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.guard
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.guard
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        HELD.with(|h| h.set(self.previous));
    }
}

/// `bytes` as a binary module; text (with the `wat` feature) is translated first.
fn to_binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Error> {
    #[cfg(feature = "wat")]
    if !bytes.starts_with(b"\0asm") {
        return wat::parse_bytes(bytes)
            .map_err(|e| Error::usage(format!("invalid text module: {e}")));
    }
    Ok(std::borrow::Cow::Borrowed(bytes))
}

impl RuntimeInner {
    /// Takes the store. A host function that calls back into its own runtime through a
    /// handle gets an error (it must use its `Caller`) instead of a deadlock.
    #[inline]
    pub(crate) fn store(&self) -> Result<StoreGuard<'_>, Error> {
        let me = self as *const RuntimeInner as usize;
        let previous = HELD.with(|h| h.get());
        if previous == me {
            return Err(Error::usage(
                "re-entrant call: a host function must use its Caller to reach its own runtime",
            ));
        }
        // A panic in a host function poisons the lock; the store itself stays consistent
        // (calls unwind through it), so keep using it.
        let guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        HELD.with(|h| h.set(me));
        Ok(StoreGuard { guard, previous })
    }
}

/// How a module is instantiated: its name and the functions run right after.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let compiled = runtime.compile_module(br#"(module
///     (global (export "ran") (mut i32) (i32.const 0))
///     (func (export "init") (global.set 0 (i32.const 1))))"#).unwrap();
/// let config = wz::ModuleConfig::new()
///     .with_name("app")
///     .with_start_functions(&["init"])
///     .with_args(&["app", "--verbose"])
///     .with_env("LANG", "C");
/// let module = runtime.instantiate_module(&compiled, config).unwrap();
/// assert_eq!(module.name(), Some("app"));
/// assert_eq!(module.exported_global("ran").unwrap().get(), Some(wz::Val::I32(1)));
/// ```
#[derive(Debug, Clone)]
pub struct ModuleConfig {
    /// `Some("")` means anonymous; `None`, the module's own name.
    name: Option<String>,
    start_functions: Vec<String>,
    call_context: Option<CallContext>,
    sys: SysConfig,
}

impl Default for ModuleConfig {
    fn default() -> Self {
        ModuleConfig::new()
    }
}

impl ModuleConfig {
    /// The defaults: the name from the module's name section (if any), and `_start` run
    /// after instantiation if the module exports it.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// // `_start` runs by default when the module exports it.
    /// let module = runtime
    ///     .instantiate_module(
    ///         &runtime.compile_module(br#"(module (global (export "g") (mut i32) (i32.const 0))
    ///             (func (export "_start") (global.set 0 (i32.const 5))))"#).unwrap(),
    ///         wz::ModuleConfig::new(),
    ///     )
    ///     .unwrap();
    /// assert_eq!(module.exported_global("g").unwrap().get(), Some(wz::Val::I32(5)));
    /// ```
    pub fn new() -> Self {
        ModuleConfig {
            name: None,
            start_functions: vec!["_start".to_string()],
            call_context: None,
            sys: SysConfig::default(),
        }
    }

    /// Instantiates under `name` (other modules import from it by that name); an empty
    /// name makes the module anonymous, so the same compiled module can be instantiated
    /// many times.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(b"(module $lib)").unwrap();
    /// runtime.instantiate_module(&compiled, wz::ModuleConfig::new().with_name("a")).unwrap();
    /// runtime.instantiate_module(&compiled, wz::ModuleConfig::new().with_name("b")).unwrap();
    /// // A name in use is an error.
    /// assert!(runtime.instantiate_module(&compiled, wz::ModuleConfig::new().with_name("a")).is_err());
    /// assert!(runtime.module("a").is_some() && runtime.module("b").is_some());
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The exported functions to call, in order, after instantiation (each one that the
    /// module exports; missing ones are skipped). A trap or exit in one fails the
    /// instantiation and closes the module.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module
    ///     (func (export "_start") unreachable)
    ///     (func (export "setup")))"#).unwrap();
    /// // `_start` traps, so the default configuration fails...
    /// assert!(runtime.instantiate_module(&compiled, wz::ModuleConfig::new()).is_err());
    /// // ...but this one runs only `setup`.
    /// let config = wz::ModuleConfig::new().with_start_functions(&["setup"]);
    /// assert!(runtime.instantiate_module(&compiled, config).is_ok());
    /// ```
    pub fn with_start_functions(mut self, names: &[&str]) -> Self {
        self.start_functions = names.iter().map(|n| n.to_string()).collect();
        self
    }
}

impl ModuleConfig {
    /// Runs the start functions bounded by `ctx` (fuel, deadline), like
    /// [`crate::Function::call_with`].
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let compiled = runtime.compile_module(br#"(module (func (export "_start") (loop (br 0))))"#)
    ///     .unwrap();
    /// let config = wz::ModuleConfig::new().with_call_context(wz::CallContext::new().with_fuel(500));
    /// let err = runtime.instantiate_module(&compiled, config).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::OutOfFuel));
    /// ```
    pub fn with_call_context(mut self, ctx: CallContext) -> Self {
        self.call_context = Some(ctx);
        self
    }

    /// The arguments the module sees (WASI's `args_get`); the first is conventionally the
    /// program name. Default: none.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_args(&["prog", "input.txt"]));
    /// assert_eq!(sys.args(), ["prog", "input.txt"]);
    /// ```
    pub fn with_args(mut self, args: &[&str]) -> Self {
        self.sys.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    /// Adds an environment variable the module sees. Default: none.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_env("HOME", "/").with_env("TERM", "dumb"));
    /// assert_eq!(sys.env()[1], ("TERM".to_string(), "dumb".to_string()));
    /// ```
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.sys.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Standard input (default: empty).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// use std::io::Read;
    /// let sys = system(wz::ModuleConfig::new().with_stdin(&b"typed input"[..]));
    /// let mut text = String::new();
    /// sys.stdin().lock().unwrap().read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "typed input");
    /// ```
    pub fn with_stdin(mut self, stdin: impl Read + Send + 'static) -> Self {
        self.sys.stdin = Some(Arc::new(Mutex::new(stdin)));
        self
    }

    /// Standard output (default: discarded).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// #[derive(Clone, Default)]
    /// struct Buffer(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Buffer {
    ///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    /// let out = Buffer::default();
    /// let sys = system(wz::ModuleConfig::new().with_stdout(out.clone()));
    /// sys.stdout().lock().unwrap().write_all(b"hello").unwrap();
    /// assert_eq!(*out.0.lock().unwrap(), b"hello");
    /// ```
    pub fn with_stdout(mut self, stdout: impl Write + Send + 'static) -> Self {
        self.sys.stdout = Some(Arc::new(Mutex::new(stdout)));
        self
    }

    /// Standard error (default: discarded).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_stderr(std::io::sink()));
    /// use std::io::Write;
    /// sys.stderr().lock().unwrap().write_all(b"discarded").unwrap();
    /// ```
    pub fn with_stderr(mut self, stderr: impl Write + Send + 'static) -> Self {
        self.sys.stderr = Some(Arc::new(Mutex::new(stderr)));
        self
    }

    /// The directories the module may use (default: none).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let dir = std::env::temp_dir();
    /// let fs = wz::FsConfig::new().with_read_only_dir_mount(&dir, "/data");
    /// let sys = system(wz::ModuleConfig::new().with_fs_config(fs));
    /// assert_eq!(sys.fs().mounts()[0].guest_path(), "/data");
    /// assert!(sys.fs().mounts()[0].is_read_only());
    /// ```
    pub fn with_fs_config(mut self, fs: FsConfig) -> Self {
        self.sys.fs = fs;
        self
    }

    /// The wall clock: `clock()` gives seconds and nanoseconds since the Unix epoch.
    /// Default: a fake one starting at 2022-01-01T00:00:00Z, advancing 1 ms per reading.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// use std::time::Duration;
    /// let config = wz::ModuleConfig::new().with_walltime(|| (1_700_000_000, 5), Duration::from_secs(1));
    /// let sys = system(config);
    /// assert_eq!(sys.walltime(), (1_700_000_000, 5));
    /// assert_eq!(sys.walltime_resolution(), Duration::from_secs(1));
    /// ```
    pub fn with_walltime(
        mut self,
        clock: impl Fn() -> (i64, u32) + Send + Sync + 'static,
        resolution: Duration,
    ) -> Self {
        self.sys.walltime = Some((Arc::new(clock), resolution));
        self
    }

    /// The host's real wall clock.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_sys_walltime());
    /// let (secs, _) = sys.walltime();
    /// assert!(secs > wz::FAKE_EPOCH_SECONDS); // today, not the fake clock's 2022-01-01
    /// ```
    pub fn with_sys_walltime(mut self) -> Self {
        self.sys.walltime = Some((crate::sys::sys_walltime(), Duration::from_micros(1)));
        self
    }

    /// The monotonic clock, in nanoseconds. Default: a fake one starting at 0, advancing
    /// 1 ms per reading.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// use std::time::Duration;
    /// let sys = system(wz::ModuleConfig::new().with_nanotime(|| 42, Duration::from_nanos(1)));
    /// assert_eq!(sys.nanotime(), 42);
    /// ```
    pub fn with_nanotime(
        mut self,
        clock: impl Fn() -> i64 + Send + Sync + 'static,
        resolution: Duration,
    ) -> Self {
        self.sys.nanotime = Some((Arc::new(clock), resolution));
        self
    }

    /// The host's real monotonic clock.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_sys_nanotime());
    /// let (a, b) = (sys.nanotime(), sys.nanotime());
    /// assert!(b >= a);
    /// ```
    pub fn with_sys_nanotime(mut self) -> Self {
        self.sys.nanotime = Some((crate::sys::sys_nanotime(), Duration::from_nanos(1)));
        self
    }

    /// How the module sleeps (`sleep(nanoseconds)`). Default: returns at once.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// use std::sync::atomic::{AtomicI64, Ordering};
    /// let slept = Arc::new(AtomicI64::new(0));
    /// let total = slept.clone();
    /// let sys = system(wz::ModuleConfig::new()
    ///     .with_nanosleep(move |nanos| { total.fetch_add(nanos, Ordering::Relaxed); }));
    /// sys.nanosleep(1_000);
    /// assert_eq!(slept.load(Ordering::Relaxed), 1_000);
    /// ```
    pub fn with_nanosleep(mut self, sleep: impl Fn(i64) + Send + Sync + 'static) -> Self {
        self.sys.nanosleep = Some(Arc::new(sleep));
        self
    }

    /// The host's real sleep.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_sys_nanosleep());
    /// let start = std::time::Instant::now();
    /// sys.nanosleep(2_000_000);
    /// assert!(start.elapsed() >= std::time::Duration::from_millis(2));
    /// ```
    pub fn with_sys_nanosleep(mut self) -> Self {
        self.sys.nanosleep = Some(crate::sys::sys_nanosleep());
        self
    }

    /// Where random bytes come from. Default: a fixed-seed generator (the same bytes on every
    /// run); pass a reader of the OS's randomness for real entropy.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
    /// # /// The System a module instantiated with `config` sees (read by a host function).
    /// # fn system(config: wz::ModuleConfig) -> Arc<wz::System> {
    /// #     let runtime = wz::Runtime::new();
    /// #     let seen = Arc::new(Mutex::new(None));
    /// #     let slot = seen.clone();
    /// #     runtime.new_host_module_builder("probe").new_function_builder()
    /// #         .with_func(move |caller: &mut wz::Caller<'_>| {
    /// #             *slot.lock().unwrap() = wz::System::of(caller);
    /// #         })
    /// #         .export("see").instantiate().unwrap();
    /// #     let compiled = runtime.compile_module(br#"(module (import "probe" "see" (func $see))
    /// #         (func (export "_start") (call $see)))"#).unwrap();
    /// #     runtime.instantiate_module(&compiled, config).unwrap();
    /// #     let system = seen.lock().unwrap().take().unwrap();
    /// #     system
    /// # }
    /// let sys = system(wz::ModuleConfig::new().with_rand_source(std::io::repeat(7)));
    /// let mut buf = [0u8; 4];
    /// sys.random(&mut buf).unwrap();
    /// assert_eq!(buf, [7; 4]);
    /// ```
    pub fn with_rand_source(mut self, source: impl Read + Send + 'static) -> Self {
        self.sys.rand = Some(Arc::new(Mutex::new(source)));
        self
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Runtime {
    /// A runtime with the default [`RuntimeConfig`]: the JIT where it runs, every Wasm 2.0
    /// feature.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (func (export "one") (result i32) (i32.const 1)))"#)
    ///     .unwrap();
    /// assert_eq!(module.exported_function("one").unwrap().call(&[]).unwrap(), [1]);
    /// ```
    pub fn new() -> Self {
        Runtime::with_config(RuntimeConfig::new()).expect("the default configuration always works")
    }

    /// A runtime configured by `config`. Fails only when the config asks for the JIT on a
    /// host where it cannot run.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::interpreter()).unwrap();
    /// assert_eq!(runtime.engine_name(), "interp");
    /// ```
    pub fn with_config(config: RuntimeConfig) -> Result<Self, Error> {
        let engine = config.engine()?;
        let mut store = Store::with_engine(engine.clone());
        store.set_memory_limits(config.memory);
        store.set_backtraces(config.debug_info);
        let listening = engine
            .metering()
            .listen
            .then(|| Listening::new(config.listener_factory.clone()));
        if let Some(listening) = &listening {
            let listening = listening.clone();
            store.set_listener_factory(Some(Arc::new(move |module, index| {
                Some(listening.hook(FunctionDefinition::of_defined(module, index)))
            })));
        }
        let interrupt = store.interrupt_word().clone();
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                store: Mutex::new(store),
                metering: engine.metering(),
                interrupt,
                listening,
                engine,
                features: config.features,
                cache: config.cache.clone(),
                memory: config.memory,
                custom_sections: config.custom_sections,
                modules: Mutex::new(Modules::default()),
            }),
        })
    }

    /// The engine that runs this runtime's code: `"jit"` or `"interp"`.
    ///
    /// ```
    /// let name = wz::Runtime::new().engine_name();
    /// assert!(name == "jit" || name == "interp");
    /// ```
    pub fn engine_name(&self) -> &'static str {
        self.inner.engine.name()
    }

    /// Decodes and validates a module (binary, or text with the `wat` feature) against this
    /// runtime's features without compiling it: the check [`Runtime::compile_module`] makes
    /// first, for embedders that only need to vet a module.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// runtime.validate(b"(module (func (export \"f\") (result i32) (i32.const 1)))").unwrap();
    /// // A function returning nothing may not leave a value on the stack.
    /// let err = runtime.validate(b"(module (func (i32.const 1)))").unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Invalid(_)));
    /// ```
    pub fn validate(&self, bytes: &[u8]) -> Result<(), Error> {
        wz_binary::Module::decode(&to_binary(bytes)?, self.inner.features)?;
        Ok(())
    }

    /// Decodes, validates and compiles a module from its binary (or, with the `wat` feature,
    /// text) form. The result can be instantiated many times, in this runtime or another of
    /// the same configuration.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// // Text (with the default `wat` feature) or binary.
    /// let text = runtime.compile_module(b"(module $m (func (export \"f\")))").unwrap();
    /// assert_eq!(text.name(), Some("m"));
    /// let binary = runtime.compile_module(b"\0asm\x01\0\0\0").unwrap();
    /// assert!(binary.exported_functions().is_empty());
    /// let err = runtime.compile_module(b"\0asm\x02\0\0\0").unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Invalid(_)));
    /// ```
    pub fn compile_module(&self, bytes: &[u8]) -> Result<CompiledModule, Error> {
        let engine = &self.inner.engine;
        let compile = |bytes: &[u8]| {
            let module = match &self.inner.cache {
                Some(cache) => cache.compile(bytes, self.inner.features, engine)?,
                None => wz_store::CompiledModule::with_engine(bytes, self.inner.features, engine)?,
            };
            let limit = self.inner.memory.max_pages as u64;
            for (index, ty) in module.module().memories.iter().enumerate() {
                if ty.limits.min > limit {
                    return Err(Error::usage(format!(
                        "invalid module: memory[{index}] has a minimum of {} pages, which \
                         exceeds the limit of {limit} pages",
                        ty.limits.min
                    )));
                }
            }
            Ok(CompiledModule::wasm(module, self.inner.custom_sections))
        };
        compile(&to_binary(bytes)?)
    }

    /// Compiles and instantiates `bytes` with the default [`ModuleConfig`].
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module $util (func (export "seven") (result i32) (i32.const 7)))"#)
    ///     .unwrap();
    /// assert_eq!(module.name(), Some("util"));
    /// ```
    pub fn instantiate(&self, bytes: &[u8]) -> Result<Module, Error> {
        let compiled = self.compile_module(bytes)?;
        self.instantiate_module(&compiled, ModuleConfig::new())
    }

    /// Instantiates `module`: resolves its imports by module name against the modules of
    /// this runtime, runs its start section and then `config`'s start functions. The name
    /// is `config`'s, else the module's own (name section), else none; a name in use is an
    /// error.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module (global (export "g") (mut i32) (i32.const 0)))"#)
    ///     .unwrap();
    /// // One compiled module, two independent instances.
    /// let a = runtime.instantiate_module(&compiled, wz::ModuleConfig::new().with_name("a")).unwrap();
    /// let b = runtime.instantiate_module(&compiled, wz::ModuleConfig::new().with_name("b")).unwrap();
    /// a.exported_global("g").unwrap().set(wz::Val::I32(1)).unwrap();
    /// assert_eq!(b.exported_global("g").unwrap().get(), Some(wz::Val::I32(0)));
    /// ```
    pub fn instantiate_module(
        &self,
        module: &CompiledModule,
        config: ModuleConfig,
    ) -> Result<Module, Error> {
        let name = match config.name {
            Some(name) if name.is_empty() => None,
            Some(name) => Some(name),
            None => module.name().map(str::to_string),
        };
        let wasm = match &module.inner.kind {
            Kind::Wasm(wasm) => wasm,
            Kind::Host { names, set, .. } => {
                let name = name.ok_or_else(|| Error::usage("a host module needs a name"))?;
                return self.instantiate_host(module, name, set, names);
            }
        };
        let state = Arc::new(ModuleState::default());
        let instance = {
            let mut store = self.inner.store()?;
            let mut modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(name) = &name
                && modules.by_name.contains_key(name)
            {
                return Err(Error::usage(format!(
                    "module[{name}] has already been instantiated"
                )));
            }
            let imports = store.resolve_imports(wasm)?;
            let system: Arc<dyn std::any::Any + Send + Sync> = Arc::new(System::new(&config.sys));
            let instance = store.instantiate_with_data(wasm, &imports, Some(system))?;
            if let Some(name) = &name {
                store.register(name, instance)?;
                modules
                    .by_name
                    .insert(name.clone(), (instance, state.clone(), module.clone()));
            }
            modules.all.push(state.clone());
            instance
        };
        let handle = Module::new(self.inner.clone(), instance, name, state, module.clone());
        for start in &config.start_functions {
            let result = match (handle.exported_function(start), &config.call_context) {
                (None, _) => continue,
                (Some(f), Some(ctx)) => f.call_with(ctx, &[]).map(drop),
                (Some(f), None) => f.call(&[]).map(drop),
            };
            if let Err(e) = result {
                let code = e.exit_code().unwrap_or(0);
                handle.close_with_exit_code(code);
                return Err(e);
            }
        }
        Ok(handle)
    }

    /// Registers a host module's functions under `name`.
    fn instantiate_host(
        &self,
        module: &CompiledModule,
        name: String,
        set: &Arc<[wz_store::HostFunc]>,
        names: &Arc<wz_store::ExportNames>,
    ) -> Result<Module, Error> {
        let state = Arc::new(ModuleState::default());
        {
            let mut store = self.inner.store()?;
            let mut modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
            if modules.by_name.contains_key(&name) || store.instance_by_name(&name).is_some() {
                return Err(Error::usage(format!(
                    "module[{name}] has already been instantiated"
                )));
            }
            let ids = store.alloc_host_funcs(set.clone())?;
            if let Some(listening) = &self.inner.listening {
                for (&id, definition) in ids.iter().zip(module.exported_functions()) {
                    store.set_func_listener(id, Some(listening.hook(definition.clone())));
                }
            }
            let exports: Vec<Extern> = ids.into_iter().map(Extern::Func).collect();
            let instance = store.alloc_host_instance_with(names.clone(), exports);
            store.register(&name, instance)?;
            modules
                .by_name
                .insert(name.clone(), (instance, state.clone(), module.clone()));
            modules.all.push(state.clone());
            drop(modules);
            drop(store);
            Ok(Module::new(
                self.inner.clone(),
                instance,
                Some(name),
                state,
                module.clone(),
            ))
        }
    }

    /// The open module instantiated under `name`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// runtime.instantiate(b"(module $named)").unwrap();
    /// assert!(runtime.module("named").is_some());
    /// assert!(runtime.module("other").is_none());
    /// ```
    pub fn module(&self, name: &str) -> Option<Module> {
        let modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
        let (instance, state, compiled) = modules.by_name.get(name)?;
        if state.is_closed() {
            return None;
        }
        Some(Module::new(
            self.inner.clone(),
            *instance,
            Some(name.to_string()),
            state.clone(),
            compiled.clone(),
        ))
    }

    /// A handle that stops this runtime's running call (or, if none runs, its next one) from
    /// any thread; the call fails with [`ErrorKind::Interrupted`]. Needs
    /// [`RuntimeConfig::with_interruption`].
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_interruption(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let handle = runtime.interrupt_handle().unwrap();
    /// let stopper = std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(20));
    ///     handle.interrupt();
    /// });
    /// let err = module.exported_function("spin").unwrap().call(&[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
    /// stopper.join().unwrap();
    /// ```
    pub fn interrupt_handle(&self) -> Result<InterruptHandle, Error> {
        if !self.inner.metering.interrupt {
            return Err(Error::usage(
                "interrupt handles need a runtime configured with RuntimeConfig::with_interruption(true)",
            ));
        }
        Ok(InterruptHandle::new(&self.inner.interrupt))
    }

    /// Closes every module of this runtime (exit code 0).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(b"(module $m (func (export \"f\")))").unwrap();
    /// runtime.close();
    /// assert!(module.is_closed());
    /// assert!(module.exported_function("f").unwrap().call(&[]).is_err());
    /// ```
    pub fn close(&self) {
        self.close_with_exit_code(0);
    }

    /// Closes every module of this runtime; calls into them fail with
    /// [`ErrorKind::Closed`] carrying `exit_code`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(b"(module (func (export \"f\")))").unwrap();
    /// runtime.close_with_exit_code(2);
    /// let err = module.exported_function("f").unwrap().call(&[]).unwrap_err();
    /// assert_eq!(err.exit_code(), Some(2));
    /// ```
    pub fn close_with_exit_code(&self, exit_code: u32) {
        let all: Vec<Arc<ModuleState>> = {
            let modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
            modules.all.clone()
        };
        for state in all {
            state.close(exit_code);
        }
        self.inner.forget_names();
    }
}

impl RuntimeInner {
    /// Frees the names of closed modules.
    pub(crate) fn forget_names(&self) {
        let modules = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        let closed: Vec<String> = modules
            .by_name
            .iter()
            .filter(|(_, (_, s, _))| s.is_closed())
            .map(|(n, _)| n.clone())
            .collect();
        if closed.is_empty() {
            return;
        }
        drop(modules);
        // Called from a host function (which holds the store) the names stay taken until a
        // later close; the two registries never disagree.
        let Ok(mut store) = self.store() else { return };
        for name in &closed {
            store.unregister(name);
        }
        let mut modules = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        for name in &closed {
            modules.by_name.remove(name);
        }
    }
}
