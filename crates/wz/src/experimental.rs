//! APIs that may change in any release.
//!
//! **Function listeners** observe calls: a [`FunctionListenerFactory`] chooses a
//! [`FunctionListener`] for each function (by its [`FunctionDefinition`]), whose hooks run
//! when the function is called ([`FunctionListener::before`], with the parameters), when it
//! returns ([`FunctionListener::after`], with the results) and when a call fails through it
//! ([`FunctionListener::abort`], innermost function first). Calls between wasm functions,
//! from the host into wasm and from wasm into host functions are all reported, on every
//! engine, in the same order.
//!
//! A factory is set for a whole runtime ([`crate::RuntimeConfig::with_function_listener_factory`])
//! or for one call ([`crate::CallContext::with_function_listener_factory`], on a runtime
//! configured with [`crate::RuntimeConfig::with_function_listeners`]). Listening is compiled
//! into the code, so a runtime without it pays nothing; one with it pays a call per function
//! entry and return.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use wz::experimental::{FunctionListener, FunctionListenerFactory};
//! use wz::FunctionDefinition;
//!
//! /// Records "name(params) -> results" for every call.
//! #[derive(Default)]
//! struct Log(Mutex<Vec<String>>);
//!
//! impl FunctionListener for Log {
//!     fn before(&self, def: &FunctionDefinition, params: &[u64]) {
//!         self.0.lock().unwrap().push(format!("{}{params:?}", def.name()));
//!     }
//!     fn after(&self, def: &FunctionDefinition, results: &[u64]) {
//!         self.0.lock().unwrap().push(format!("{} -> {results:?}", def.name()));
//!     }
//! }
//!
//! struct Everything(Arc<Log>);
//! impl FunctionListenerFactory for Everything {
//!     fn new_listener(&self, _def: &FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
//!         Some(self.0.clone())
//!     }
//! }
//!
//! let log = Arc::new(Log::default());
//! let config = wz::RuntimeConfig::new()
//!     .with_function_listener_factory(Arc::new(Everything(log.clone())));
//! let runtime = wz::Runtime::with_config(config).unwrap();
//! let module = runtime.instantiate(br#"(module
//!     (func $double (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
//!     (func (export "quad") (param i32) (result i32) (call $double (call $double (local.get 0)))))"#)
//!     .unwrap();
//! module.exported_function("quad").unwrap().call(&[5]).unwrap();
//! assert_eq!(*log.0.lock().unwrap(), [
//!     "quad[5]", "double[5]", "double -> [10]", "double[10]", "double -> [20]", "quad -> [20]",
//! ]);
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wz_store::{Error, FuncListener};

use crate::FunctionDefinition;

/// Chooses the listener of each function; see the [module docs](self).
///
/// ```
/// use std::sync::Arc;
/// use wz::experimental::{FunctionListener, FunctionListenerFactory};
/// struct Quiet;
/// impl FunctionListener for Quiet {}
/// /// Listens to exported functions only.
/// struct ExportsOnly;
/// impl FunctionListenerFactory for ExportsOnly {
///     fn new_listener(&self, def: &wz::FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
///         (!def.export_names().is_empty()).then(|| Arc::new(Quiet) as Arc<dyn FunctionListener>)
///     }
/// }
/// let config = wz::RuntimeConfig::new().with_function_listener_factory(Arc::new(ExportsOnly));
/// wz::Runtime::with_config(config).unwrap();
/// ```
pub trait FunctionListenerFactory: Send + Sync {
    /// The listener for the function `definition` describes, or `None` to leave it alone.
    /// Called once per function of each module instantiated (or, for a per-call factory,
    /// once per function the call reaches).
    fn new_listener(&self, definition: &FunctionDefinition) -> Option<Arc<dyn FunctionListener>>;
}

/// Hooks around the calls of a function. Values are raw slots, as in
/// [`crate::Function::call`] (decode them with [`crate::raw`] and the definition's types).
///
/// Hooks run on the calling thread while the runtime is busy with the call: they must not
/// call into the same runtime. A panic in `before` or `after` fails the call with a host
/// error.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use wz::experimental::{FunctionListener, FunctionListenerFactory};
/// #[derive(Default)]
/// struct Aborts(Mutex<Vec<String>>);
/// impl FunctionListener for Aborts {
///     fn abort(&self, def: &wz::FunctionDefinition, error: &wz::Error) {
///         self.0.lock().unwrap().push(format!("{}: {error}", def.name()));
///     }
/// }
/// struct All(Arc<Aborts>);
/// impl FunctionListenerFactory for All {
///     fn new_listener(&self, _: &wz::FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
///         Some(self.0.clone())
///     }
/// }
/// let aborts = Arc::new(Aborts::default());
/// let config = wz::RuntimeConfig::new().with_function_listener_factory(Arc::new(All(aborts.clone())));
/// let runtime = wz::Runtime::with_config(config).unwrap();
/// let module = runtime.instantiate(br#"(module (func (export "boom") unreachable))"#).unwrap();
/// module.exported_function("boom").unwrap().call(&[]).unwrap_err();
/// assert_eq!(*aborts.0.lock().unwrap(), ["boom: wasm trap: unreachable"]);
/// ```
pub trait FunctionListener: Send + Sync {
    /// The function was called with `params`.
    fn before(&self, definition: &FunctionDefinition, params: &[u64]) {
        let _ = (definition, params);
    }
    /// The function returns `results`.
    fn after(&self, definition: &FunctionDefinition, results: &[u64]) {
        let _ = (definition, results);
    }
    /// A call of the function failed with `error`: a trap in it, or an error passing
    /// through it from a function it called.
    fn abort(&self, definition: &FunctionDefinition, error: &Error) {
        let _ = (definition, error);
    }
}

impl fmt::Debug for dyn FunctionListenerFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FunctionListenerFactory")
    }
}

/// A listening runtime's shared state: its factory and the current call's.
pub(crate) struct Listening {
    runtime: Option<Arc<dyn FunctionListenerFactory>>,
    /// Whether `call` holds a factory: checked first, so that runtime-wide listeners do not
    /// take the lock on every event.
    call_active: AtomicBool,
    call: Mutex<Option<CallListeners>>,
}

/// The listeners of one call with its own factory, chosen as the call reaches functions.
struct CallListeners {
    factory: Arc<dyn FunctionListenerFactory>,
    chosen: HashMap<usize, Option<Arc<dyn FunctionListener>>>,
}

impl fmt::Debug for Listening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listening")
            .field("runtime", &self.runtime.is_some())
            .finish_non_exhaustive()
    }
}

impl Listening {
    pub(crate) fn new(runtime: Option<Arc<dyn FunctionListenerFactory>>) -> Arc<Self> {
        Arc::new(Listening {
            runtime,
            call_active: AtomicBool::new(false),
            call: Mutex::new(None),
        })
    }

    /// The store-level listener of a function of this runtime.
    pub(crate) fn hook(self: &Arc<Self>, definition: FunctionDefinition) -> Arc<dyn FuncListener> {
        let runtime = self
            .runtime
            .as_ref()
            .and_then(|f| f.new_listener(&definition));
        Arc::new(Hook {
            definition,
            runtime,
            listening: self.clone(),
        })
    }

    /// Makes `factory` choose the listeners until [`Listening::end_call`].
    pub(crate) fn begin_call(&self, factory: Arc<dyn FunctionListenerFactory>) {
        *self.call.lock().unwrap_or_else(|e| e.into_inner()) = Some(CallListeners {
            factory,
            chosen: HashMap::new(),
        });
        self.call_active.store(true, Ordering::Release);
    }

    pub(crate) fn end_call(&self) {
        self.call_active.store(false, Ordering::Release);
        *self.call.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// What the store calls for one function: the runtime's listener, or the current call's.
struct Hook {
    definition: FunctionDefinition,
    runtime: Option<Arc<dyn FunctionListener>>,
    listening: Arc<Listening>,
}

impl Hook {
    /// Runs `event` on this function's listener: the current call's, if it brought a
    /// factory, else the runtime's.
    #[inline]
    fn with_listener(&self, event: impl FnOnce(&dyn FunctionListener)) {
        if !self.listening.call_active.load(Ordering::Acquire) {
            if let Some(l) = &self.runtime {
                event(&**l);
            }
            return;
        }
        let listener = {
            let mut call = self
                .listening
                .call
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match call.as_mut() {
                Some(call) => {
                    let key = self as *const Hook as usize;
                    let factory = &call.factory;
                    call.chosen
                        .entry(key)
                        .or_insert_with(|| factory.new_listener(&self.definition))
                        .clone()
                }
                None => self.runtime.clone(),
            }
        };
        // The lock is released: the listener may take its time.
        if let Some(l) = listener {
            event(&*l);
        }
    }
}

impl FuncListener for Hook {
    fn before(&self, params: &[u64]) {
        self.with_listener(|l| l.before(&self.definition, params));
    }

    fn after(&self, results: &[u64]) {
        self.with_listener(|l| l.after(&self.definition, results));
    }

    fn abort(&self, error: &Error) {
        self.with_listener(|l| l.abort(&self.definition, error));
    }
}
