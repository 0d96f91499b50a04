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
pub type SharedReader = Arc<Mutex<dyn Read + Send>>;
/// A writable stream shared by the instances created from one [`crate::ModuleConfig`].
pub type SharedWriter = Arc<Mutex<dyn Write + Send>>;
/// A wall clock: seconds and nanoseconds since the Unix epoch.
pub type Walltime = Arc<dyn Fn() -> (i64, u32) + Send + Sync>;
/// A monotonic clock in nanoseconds.
pub type Nanotime = Arc<dyn Fn() -> i64 + Send + Sync>;
/// Sleeps for the given nanoseconds.
pub type Nanosleep = Arc<dyn Fn(i64) + Send + Sync>;

/// The fake wall clock's start: 2022-01-01T00:00:00Z, in seconds since the epoch.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    host: PathBuf,
    guest: String,
    read_only: bool,
}

impl Mount {
    /// The directory on the host.
    pub fn host_path(&self) -> &Path {
        &self.host
    }
    /// Where the guest sees it.
    pub fn guest_path(&self) -> &str {
        &self.guest
    }
    /// Whether writes through it are refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

impl FsConfig {
    /// No directories.
    pub fn new() -> Self {
        FsConfig::default()
    }

    /// Mounts host directory `host` at `guest`, readable and writable.
    pub fn with_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount {
            host: host.into(),
            guest: guest.to_string(),
            read_only: false,
        });
        self
    }

    /// Mounts host directory `host` at `guest`, read-only.
    pub fn with_read_only_dir_mount(mut self, host: impl Into<PathBuf>, guest: &str) -> Self {
        self.mounts.push(Mount {
            host: host.into(),
            guest: guest.to_string(),
            read_only: true,
        });
        self
    }

    /// The mounts, in the order given.
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
            stdin: config
                .stdin
                .clone()
                .unwrap_or_else(|| Arc::new(Mutex::new(io::empty()))),
            stdout: config
                .stdout
                .clone()
                .unwrap_or_else(|| Arc::new(Mutex::new(io::sink()))),
            stderr: config
                .stderr
                .clone()
                .unwrap_or_else(|| Arc::new(Mutex::new(io::sink()))),
            fs: config.fs.clone(),
            walltime,
            walltime_resolution,
            nanotime,
            nanotime_resolution,
            nanosleep: config.nanosleep.clone().unwrap_or_else(|| Arc::new(|_| {})),
            rand: config
                .rand
                .clone()
                .unwrap_or_else(|| Arc::new(Mutex::new(FixedSeedRandom::default()))),
        }
    }

    /// The arguments (the first is conventionally the program name).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The environment variables, in the order given.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Standard input.
    pub fn stdin(&self) -> &SharedReader {
        &self.stdin
    }

    /// Standard output.
    pub fn stdout(&self) -> &SharedWriter {
        &self.stdout
    }

    /// Standard error.
    pub fn stderr(&self) -> &SharedWriter {
        &self.stderr
    }

    /// The mounted directories.
    pub fn fs(&self) -> &FsConfig {
        &self.fs
    }

    /// The wall clock: seconds and nanoseconds since the Unix epoch.
    pub fn walltime(&self) -> (i64, u32) {
        (self.walltime)()
    }

    /// The wall clock's resolution.
    pub fn walltime_resolution(&self) -> Duration {
        self.walltime_resolution
    }

    /// The monotonic clock, in nanoseconds.
    pub fn nanotime(&self) -> i64 {
        (self.nanotime)()
    }

    /// The monotonic clock's resolution.
    pub fn nanotime_resolution(&self) -> Duration {
        self.nanotime_resolution
    }

    /// Sleeps `nanos` nanoseconds (by default: returns at once).
    pub fn nanosleep(&self, nanos: i64) {
        (self.nanosleep)(nanos)
    }

    /// Fills `buf` from the random source.
    pub fn random(&self, buf: &mut [u8]) -> io::Result<()> {
        self.rand
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read_exact(buf)
    }
}

/// A wall clock starting at [`FAKE_EPOCH_SECONDS`] that advances 1 ms per reading.
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
