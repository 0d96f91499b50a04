//! [`CompilationCache`]: compiled modules kept in memory, and optionally on disk.
//!
//! The one `unsafe` block of the facade is here: loading machine code from the cache
//! directory.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wz_store::{CompiledModule, Engine, Error, Features};

/// Compiled modules shared between runtimes, as in wazero: runtimes configured with the same
/// cache (and the same engine options) share one engine, so a module compiled by one of
/// them is not compiled again by another.
///
/// With a directory ([`CompilationCache::with_dir`]), JIT-compiled code is also stored as
/// artifacts (relocatable objects) named by a SHA-256 of the module bytes, the enabled
/// features, the wz version and the engine's fingerprint (target, CPU features, settings).
/// An entry that does not load (corrupt, truncated, from another version or machine) is
/// ignored and replaced; entries are written to a temporary file and renamed into place,
/// so processes sharing the directory never see half an entry.
///
/// ```
/// let cache = wz::CompilationCache::new();
/// let config = wz::RuntimeConfig::new().with_compilation_cache(&cache);
/// let a = wz::Runtime::with_config(config.clone()).unwrap();
/// let b = wz::Runtime::with_config(config).unwrap();
/// let wat = br#"(module (func (export "one") (result i32) i32.const 1))"#;
/// a.compile_module(wat).unwrap();
/// b.compile_module(wat).unwrap(); // served from the cache
/// assert_eq!(cache.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct CompilationCache {
    inner: Arc<CacheInner>,
}

impl std::fmt::Debug for CompilationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompilationCache")
            .field("dir", &self.inner.dir)
            .field("stats", &self.stats())
            .finish()
    }
}

#[derive(Default)]
struct CacheInner {
    dir: Option<PathBuf>,
    engines: Mutex<HashMap<String, Engine>>,
    modules: Mutex<HashMap<[u8; 32], CompiledModule>>,
    stats: Mutex<CacheStats>,
}

/// What a [`CompilationCache`] did so far.
///
/// ```
/// let cache = wz::CompilationCache::new();
/// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_compilation_cache(&cache))
///     .unwrap();
/// runtime.compile_module(b"(module)").unwrap();
/// runtime.compile_module(b"(module)").unwrap();
/// let stats = cache.stats();
/// assert_eq!((stats.compiled, stats.memory_hits, stats.disk_hits), (1, 1, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Compilations answered from memory.
    pub memory_hits: u64,
    /// Compilations answered by loading an entry of the cache directory.
    pub disk_hits: u64,
    /// Modules actually compiled.
    pub compiled: u64,
}

impl CompilationCache {
    /// A cache in memory only.
    ///
    /// ```
    /// let cache = wz::CompilationCache::new();
    /// assert!(cache.is_empty());
    /// ```
    pub fn new() -> Self {
        CompilationCache::default()
    }

    /// A cache that also keeps JIT-compiled code in `dir` (created if missing), across
    /// processes. Whoever can write to `dir` can choose the machine code this process runs:
    /// give it a directory only this program writes, as for any cache of executables.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("wz-doc-cache-{}", std::process::id()));
    /// let cache = wz::CompilationCache::with_dir(&dir).unwrap();
    /// let config = wz::RuntimeConfig::new().with_compilation_cache(&cache);
    /// wz::Runtime::with_config(config).unwrap().compile_module(b"(module (func))").unwrap();
    /// // A second cache over the same directory (another process, say) loads instead of compiling
    /// // when the JIT wrote an artifact there.
    /// let again = wz::CompilationCache::with_dir(&dir).unwrap();
    /// let config = wz::RuntimeConfig::new().with_compilation_cache(&again);
    /// let runtime = wz::Runtime::with_config(config).unwrap();
    /// runtime.compile_module(b"(module (func))").unwrap();
    /// if runtime.engine_name() == "jit" {
    ///     assert_eq!(again.stats().disk_hits, 1);
    /// }
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn with_dir(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::usage(format!(
                "cannot create cache directory {}: {e}",
                dir.display()
            ))
        })?;
        Ok(CompilationCache {
            inner: Arc::new(CacheInner {
                dir: Some(dir),
                ..CacheInner::default()
            }),
        })
    }

    /// Counts of hits and compilations.
    ///
    /// ```
    /// let cache = wz::CompilationCache::new();
    /// assert_eq!(cache.stats().compiled, 0);
    /// ```
    pub fn stats(&self) -> CacheStats {
        *self.inner.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut CacheStats)) {
        f(&mut self.inner.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// How many compiled modules are held in memory.
    ///
    /// ```
    /// let cache = wz::CompilationCache::new();
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_compilation_cache(&cache))
    ///     .unwrap();
    /// runtime.compile_module(b"(module $a)").unwrap();
    /// runtime.compile_module(b"(module $b)").unwrap();
    /// assert_eq!(cache.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.inner
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether no compiled module is held in memory.
    ///
    /// ```
    /// assert!(wz::CompilationCache::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The engine for `key`, created by `make` on first use.
    pub(crate) fn engine(
        &self,
        key: String,
        make: impl FnOnce() -> Result<Engine, Error>,
    ) -> Result<Engine, Error> {
        let mut engines = self.inner.engines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = engines.get(&key) {
            return Ok(e.clone());
        }
        let engine = make()?;
        engines.insert(key, engine.clone());
        Ok(engine)
    }

    /// `bytes` compiled for `engine`, from the cache or compiled now (and cached).
    pub(crate) fn compile(
        &self,
        bytes: &[u8],
        features: Features,
        engine: &Engine,
    ) -> Result<CompiledModule, Error> {
        let key = key(bytes, features, engine);
        if let Some(m) = self
            .inner
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            let m = m.clone();
            self.count(|s| s.memory_hits += 1);
            return Ok(m);
        }
        let module = match (&self.inner.dir, engine) {
            (Some(dir), Engine::Compiler(_)) => {
                let path = dir.join(format!("{}.wzc", hex(&key)));
                match load(&path, bytes, features, engine) {
                    Some(m) => {
                        self.count(|s| s.disk_hits += 1);
                        m
                    }
                    None => {
                        self.count(|s| s.compiled += 1);
                        let artifact = CompiledModule::compile_artifact(bytes, features, engine)?;
                        store(&path, &artifact);
                        // SAFETY: the artifact was produced just now by this engine.
                        match unsafe {
                            CompiledModule::from_artifact(bytes, features, engine, &artifact)
                        } {
                            Ok(m) => m,
                            Err(_) => CompiledModule::with_engine(bytes, features, engine)?,
                        }
                    }
                }
            }
            _ => {
                self.count(|s| s.compiled += 1);
                CompiledModule::with_engine(bytes, features, engine)?
            }
        };
        self.inner
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, module.clone());
        Ok(module)
    }
}

/// The cache key: everything the compiled form depends on.
fn key(bytes: &[u8], features: Features, engine: &Engine) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"wz ");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    match engine {
        Engine::Interpreter(config) => h.update(format!(" interp {config:?}").as_bytes()),
        Engine::Compiler(jit) => {
            h.update(b" jit ");
            h.update(jit.fingerprint().to_le_bytes());
        }
    }
    h.update(features.bits().to_le_bytes());
    h.update(bytes);
    h.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The module from the cache entry at `path`, if there is one and it loads.
fn load(
    path: &std::path::Path,
    bytes: &[u8],
    features: Features,
    engine: &Engine,
) -> Option<CompiledModule> {
    let artifact = std::fs::read(path).ok()?;
    // SAFETY: entries in the cache directory are written only by `store` below (the
    // directory's owner vouched for it in `with_dir`); `from_artifact` refuses entries of
    // another engine, module or version and any changed byte, so a damaged entry is an
    // error here, and is then recompiled and replaced.
    unsafe { CompiledModule::from_artifact(bytes, features, engine, &artifact) }.ok()
}

/// Writes a cache entry atomically (temporary file, then rename); failures only cost a
/// recompilation later.
fn store(path: &std::path::Path, artifact: &[u8]) {
    let tmp = path.with_extension(format!(
        "tmp{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    if std::fs::write(&tmp, artifact).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
