//! The system interface a module sees: arguments, environment, standard streams, mounted
//! directories, clocks and randomness. Set on [`crate::ModuleConfig`]; host modules such as
//! WASI read it through [`System::of`].
//!
//! As in wazero, the defaults are deterministic: no arguments or environment, empty stdin,
//! discarded stdout and stderr, no directories, a wall clock that starts at
//! 2022-01-01T00:00:00Z, a monotonic clock that starts at 0 (both advance 1 ms per reading),
//! a sleep that returns at once, and a fixed-seed random source. Real clocks and sleep are
//! opt-in (`with_sys_walltime`, `with_sys_nanotime`, `with_sys_nanosleep`).

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Caller;

/// A stream shared by the instances created from one [`crate::ModuleConfig`].
///
/// ```
/// # use std::sync::{Arc, Mutex};
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
/// let sys = system(wz::ModuleConfig::new().with_stdin(&b"abc"[..]));
/// let stdin: &wz::SharedReader = sys.stdin();
/// let mut first = [0u8; 1];
/// stdin.lock().unwrap().read_exact(&mut first).unwrap();
/// assert_eq!(&first, b"a");
/// ```
pub type SharedReader = Arc<Mutex<dyn Read + Send>>;
/// A writable stream shared by the instances created from one [`crate::ModuleConfig`].
///
/// ```
/// # use std::sync::{Arc, Mutex};
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
/// use std::io::Write;
/// let sys = system(wz::ModuleConfig::new());
/// let stdout: &wz::SharedWriter = sys.stdout();
/// stdout.lock().unwrap().write_all(b"discarded by default").unwrap();
/// ```
pub type SharedWriter = Arc<Mutex<dyn Write + Send>>;
/// A wall clock: seconds and nanoseconds since the Unix epoch.
///
/// ```
/// let clock: wz::Walltime = std::sync::Arc::new(|| (wz::FAKE_EPOCH_SECONDS, 0));
/// assert_eq!(clock(), (1_640_995_200, 0));
/// ```
pub type Walltime = Arc<dyn Fn() -> (i64, u32) + Send + Sync>;
/// A monotonic clock in nanoseconds.
///
/// ```
/// let clock: wz::Nanotime = std::sync::Arc::new(|| 5);
/// assert_eq!(clock(), 5);
/// ```
pub type Nanotime = Arc<dyn Fn() -> i64 + Send + Sync>;
/// Sleeps for the given nanoseconds.
///
/// ```
/// let sleep: wz::Nanosleep = std::sync::Arc::new(|_nanos| {});
/// sleep(1_000);
/// ```
pub type Nanosleep = Arc<dyn Fn(i64) + Send + Sync>;

/// The fake wall clock's start: 2022-01-01T00:00:00Z, in seconds since the epoch.
///
/// ```
/// # use std::sync::{Arc, Mutex};
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
/// let sys = system(wz::ModuleConfig::new());
/// let (secs, nanos) = sys.walltime();
/// assert_eq!(secs, wz::FAKE_EPOCH_SECONDS);
/// assert!(nanos < 1_000_000_000);
/// ```
pub const FAKE_EPOCH_SECONDS: i64 = 1_640_995_200;

/// Directories the module may use, each mounted at a guest path.
///
/// ```
/// let fs = wz::FsConfig::new()
///     .with_dir_mount("/srv/data", "/data")
///     .with_read_only_dir_mount("/usr/share/dict", "/dict");
/// assert_eq!(fs.mounts()[1].guest_path(), "/dict");
/// assert!(fs.mounts()[1].is_read_only());
/// ```
#[derive(Debug, Clone, Default)]
pub struct FsConfig {
    mounts: Vec<Mount>,
}

/// One mounted directory.
///
/// ```
/// let fs = wz::FsConfig::new().with_dir_mount("/tmp", "/scratch");
/// let mount: &wz::Mount = &fs.mounts()[0];
/// assert_eq!(mount.host_path(), std::path::Path::new("/tmp"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    host: PathBuf,
    guest: String,
    read_only: bool,
}

impl Mount {
    /// The directory on the host.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_dir_mount("/var/data", "/data");
    /// assert_eq!(fs.mounts()[0].host_path().to_str(), Some("/var/data"));
    /// ```
    pub fn host_path(&self) -> &Path {
        &self.host
    }
    /// Where the guest sees it.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_dir_mount("/var/data", "/data");
    /// assert_eq!(fs.mounts()[0].guest_path(), "/data");
    /// ```
    pub fn guest_path(&self) -> &str {
        &self.guest
    }
    /// Whether writes through it are refused.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_dir_mount("/a", "/a").with_read_only_dir_mount("/b", "/b");
    /// assert_eq!(fs.mounts().iter().map(|m| m.is_read_only()).collect::<Vec<_>>(), [false, true]);
    /// ```
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

impl FsConfig {
    /// No directories.
    ///
    /// ```
    /// assert!(wz::FsConfig::new().mounts().is_empty());
    /// ```
    pub fn new() -> Self {
        FsConfig::default()
    }

    /// Mounts host directory `host` at `guest`, readable and writable.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_dir_mount("/home/me/project", "/work");
    /// assert!(!fs.mounts()[0].is_read_only());
    /// ```
    pub fn with_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount {
            host: host.into(),
            guest: guest.to_string(),
            read_only: false,
        });
        self
    }

    /// Mounts host directory `host` at `guest`, read-only.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_read_only_dir_mount("/etc/ssl", "/certs");
    /// assert!(fs.mounts()[0].is_read_only());
    /// ```
    pub fn with_read_only_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount {
            host: host.into(),
            guest: guest.to_string(),
            read_only: true,
        });
        self
    }

    /// The mounts, in the order given.
    ///
    /// ```
    /// let fs = wz::FsConfig::new().with_dir_mount("/x", "/x").with_dir_mount("/y", "/y");
    /// assert_eq!(fs.mounts().len(), 2);
    /// ```
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }
}

/// What [`crate::ModuleConfig`] says about the system; turned into a [`System`] per instance.
#[derive(Clone, Default)]
pub(crate) struct SysConfig {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Option<SharedReader>,
    pub stdout: Option<SharedWriter>,
    pub stderr: Option<SharedWriter>,
    pub fs: FsConfig,
    pub walltime: Option<(Walltime, Duration)>,
    pub nanotime: Option<(Nanotime, Duration)>,
    pub nanosleep: Option<Nanosleep>,
    pub rand: Option<SharedReader>,
}

impl fmt::Debug for SysConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SysConfig")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("fs", &self.fs)
            .finish_non_exhaustive()
    }
}

/// The system interface of one module instance, as its [`crate::ModuleConfig`] set it up.
/// Host functions reach it through [`System::of`].
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let out = Arc::new(Mutex::new(Vec::<u8>::new()));
/// let runtime = wz::Runtime::new();
/// runtime
///     .new_host_module_builder("sys")
///     .new_function_builder()
///     .with_func(|caller: &mut wz::Caller<'_>| -> Result<i32, wz::Error> {
///         let sys = wz::System::of(caller).ok_or_else(|| wz::Error::usage("no system"))?;
///         writeln!(sys.stdout().lock().unwrap(), "args: {:?}", sys.args()).unwrap();
///         Ok(sys.args().len() as i32)
///     })
///     .export("argc")
///     .instantiate()
///     .unwrap();
/// let compiled = runtime.compile_module(br#"(module
///     (import "sys" "argc" (func $argc (result i32)))
///     (func (export "run") (result i32) (call $argc)))"#).unwrap();
/// let config = wz::ModuleConfig::new()
///     .with_args(&["prog", "--fast"])
///     .with_stdout(SharedVec(out.clone()));
/// let module = runtime.instantiate_module(&compiled, config).unwrap();
/// let run = module.exported_function("run").unwrap().typed::<(), i32>().unwrap();
/// assert_eq!(run.call(()).unwrap(), 2);
/// assert_eq!(String::from_utf8(out.lock().unwrap().clone()).unwrap(),
///            "args: [\"prog\", \"--fast\"]\n");
///
/// struct SharedVec(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for SharedVec {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
/// ```
pub struct System {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: SharedReader,
    stdout: SharedWriter,
    stderr: SharedWriter,
    fs: FsConfig,
    walltime: Walltime,
    walltime_resolution: Duration,
    nanotime: Nanotime,
    nanotime_resolution: Duration,
    nanosleep: Nanosleep,
    rand: SharedReader,
    /// State host modules keep per instance (see [`System::state`]), one value per type.
    states: Mutex<Vec<Arc<dyn std::any::Any + Send + Sync>>>,
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("fs", &self.fs)
            .finish_non_exhaustive()
    }
}

impl System {
    /// The system of the instance that called the host function running now (`None` for
    /// calls made directly by the embedder).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|caller: &mut wz::Caller<'_>| -> i32 {
    ///         wz::System::of(caller).map_or(-1, |sys| sys.args().len() as i32)
    ///     })
    ///     .export("argc")
    ///     .instantiate()
    ///     .unwrap();
    /// let compiled = runtime.compile_module(br#"(module (import "env" "argc" (func $argc (result i32)))
    ///     (func (export "count") (result i32) (call $argc)))"#).unwrap();
    /// let module = runtime
    ///     .instantiate_module(&compiled, wz::ModuleConfig::new().with_args(&["a", "b"]))
    ///     .unwrap();
    /// assert_eq!(module.exported_function("count").unwrap().call(&[]).unwrap(), [2]);
    /// ```
    pub fn of(caller: &Caller<'_>) -> Option<Arc<System>> {
        caller.instance_data::<System>()
    }

    pub(crate) fn new(config: &SysConfig) -> System {
        let (walltime, walltime_resolution) = config
            .walltime
            .clone()
            .unwrap_or_else(|| (fake_walltime(), Duration::from_micros(1)));
        let (nanotime, nanotime_resolution) = config
            .nanotime
            .clone()
            .unwrap_or_else(|| (fake_nanotime(), Duration::from_nanos(1)));
        System {
            args: config.args.clone(),
            env: config.env.clone(),
            // The stateless defaults are shared by every instance: fewer allocations per
            // instantiation.
            stdin: config.stdin.clone().unwrap_or_else(|| EMPTY.clone()),
            stdout: config.stdout.clone().unwrap_or_else(|| SINK.clone()),
            stderr: config.stderr.clone().unwrap_or_else(|| SINK.clone()),
            fs: config.fs.clone(),
            walltime,
            walltime_resolution,
            nanotime,
            nanotime_resolution,
            nanosleep: config.nanosleep.clone().unwrap_or_else(|| NO_SLEEP.clone()),
            rand: config
                .rand
                .clone()
                .unwrap_or_else(|| Arc::new(Mutex::new(FixedSeedRandom::default()))),
            states: Mutex::new(Vec::new()),
        }
    }

    /// The arguments (the first is conventionally the program name).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new().with_args(&["tool"]));
    /// assert_eq!(sys.args(), ["tool"]);
    /// ```
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The environment variables, in the order given.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new().with_env("K", "V"));
    /// assert_eq!(sys.env(), [("K".to_string(), "V".to_string())]);
    /// ```
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Standard input.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// let mut buf = Vec::new();
    /// sys.stdin().lock().unwrap().read_to_end(&mut buf).unwrap();
    /// assert!(buf.is_empty()); // empty by default
    /// ```
    pub fn stdin(&self) -> &SharedReader {
        &self.stdin
    }

    /// Standard output.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// use std::io::Write;
    /// let sys = system(wz::ModuleConfig::new().with_stdout(std::io::sink()));
    /// sys.stdout().lock().unwrap().write_all(b"out").unwrap();
    /// ```
    pub fn stdout(&self) -> &SharedWriter {
        &self.stdout
    }

    /// Standard error.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// use std::io::Write;
    /// let sys = system(wz::ModuleConfig::new());
    /// sys.stderr().lock().unwrap().write_all(b"err").unwrap();
    /// ```
    pub fn stderr(&self) -> &SharedWriter {
        &self.stderr
    }

    /// The mounted directories.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// assert!(sys.fs().mounts().is_empty());
    /// ```
    pub fn fs(&self) -> &FsConfig {
        &self.fs
    }

    /// The wall clock: seconds and nanoseconds since the Unix epoch.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// let (a, b) = (sys.walltime(), sys.walltime());
    /// // The fake clock advances 1 ms per reading.
    /// assert_eq!((b.0 - a.0) * 1_000_000_000 + (b.1 as i64 - a.1 as i64), 1_000_000);
    /// ```
    pub fn walltime(&self) -> (i64, u32) {
        (self.walltime)()
    }

    /// The wall clock's resolution.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// assert!(sys.walltime_resolution() <= std::time::Duration::from_millis(1));
    /// ```
    pub fn walltime_resolution(&self) -> Duration {
        self.walltime_resolution
    }

    /// The monotonic clock, in nanoseconds.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// assert_eq!(sys.nanotime() + 1_000_000, sys.nanotime());
    /// ```
    pub fn nanotime(&self) -> i64 {
        (self.nanotime)()
    }

    /// The monotonic clock's resolution.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// assert!(sys.nanotime_resolution() > std::time::Duration::ZERO);
    /// ```
    pub fn nanotime_resolution(&self) -> Duration {
        self.nanotime_resolution
    }

    /// Sleeps `nanos` nanoseconds (by default: returns at once).
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let sys = system(wz::ModuleConfig::new());
    /// let start = std::time::Instant::now();
    /// sys.nanosleep(10_000_000_000); // the default sleep returns at once
    /// assert!(start.elapsed() < std::time::Duration::from_secs(5));
    /// ```
    pub fn nanosleep(&self, nanos: i64) {
        (self.nanosleep)(nanos)
    }

    /// The instance's value of type `T`, created by `init` on first use: where a host module
    /// keeps what it tracks per instance (WASI its open file descriptors). One value per type
    /// per instance; it lives as long as the instance's system.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// #[derive(Default)]
    /// struct Calls(AtomicU32);
    /// let sys = system(wz::ModuleConfig::new());
    /// sys.state(Calls::default).0.fetch_add(1, Ordering::Relaxed);
    /// // The same value the next time.
    /// assert_eq!(sys.state(Calls::default).0.load(Ordering::Relaxed), 1);
    /// ```
    pub fn state<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = states.iter().find(|s| s.is::<T>()) {
            return found.clone().downcast::<T>().expect("checked by is::<T>()");
        }
        let value = Arc::new(init());
        states.push(value.clone());
        value
    }

    /// Fills `buf` from the random source.
    ///
    /// ```
    /// # use std::sync::{Arc, Mutex};
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
    /// let (a, b) = (system(wz::ModuleConfig::new()), system(wz::ModuleConfig::new()));
    /// let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
    /// a.random(&mut x).unwrap();
    /// b.random(&mut y).unwrap();
    /// assert_eq!(x, y); // the default source is deterministic
    /// ```
    pub fn random(&self, buf: &mut [u8]) -> io::Result<()> {
        self.rand
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read_exact(buf)
    }
}

/// A wall clock starting at [`FAKE_EPOCH_SECONDS`] that advances 1 ms per reading.
/// Standard input that is always at its end, standard output and error that discard, and a
/// sleep that returns at once: the defaults, shared by every instance.
static EMPTY: std::sync::LazyLock<SharedReader> =
    std::sync::LazyLock::new(|| Arc::new(Mutex::new(io::empty())));
static SINK: std::sync::LazyLock<SharedWriter> =
    std::sync::LazyLock::new(|| Arc::new(Mutex::new(io::sink())));
static NO_SLEEP: std::sync::LazyLock<Nanosleep> = std::sync::LazyLock::new(|| Arc::new(|_| {}));

fn fake_walltime() -> Walltime {
    let nanos = AtomicI64::new(0);
    Arc::new(move || {
        let n = nanos.fetch_add(1_000_000, Ordering::Relaxed);
        (
            FAKE_EPOCH_SECONDS + n / 1_000_000_000,
            (n % 1_000_000_000) as u32,
        )
    })
}

/// A monotonic clock starting at 0 that advances 1 ms per reading.
fn fake_nanotime() -> Nanotime {
    let nanos = AtomicI64::new(0);
    Arc::new(move || nanos.fetch_add(1_000_000, Ordering::Relaxed))
}

/// The host's wall clock.
pub(crate) fn sys_walltime() -> Walltime {
    Arc::new(|| {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_secs() as i64, d.subsec_nanos())
    })
}

/// The host's monotonic clock, counted from its first reading.
pub(crate) fn sys_nanotime() -> Nanotime {
    let start = Instant::now();
    Arc::new(move || start.elapsed().as_nanos().min(i64::MAX as u128) as i64)
}

/// The host's sleep.
pub(crate) fn sys_nanosleep() -> Nanosleep {
    Arc::new(|nanos| {
        if nanos > 0 {
            std::thread::sleep(Duration::from_nanos(nanos as u64))
        }
    })
}

/// A deterministic random source (xorshift64*, fixed seed): the same bytes every run.
#[derive(Debug)]
struct FixedSeedRandom {
    state: u64,
}

impl Default for FixedSeedRandom {
    fn default() -> Self {
        FixedSeedRandom {
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

impl Read for FixedSeedRandom {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let state = &mut self.state;
        for chunk in buf.chunks_mut(8) {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            let bytes = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(buf.len())
    }
}
