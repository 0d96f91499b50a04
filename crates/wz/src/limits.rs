//! Bounding calls: fuel budgets, deadlines and interrupt handles ([`CallContext`],
//! [`InterruptHandle`]), and the one background thread that enforces deadlines.
//!
//! Metered code (see [`crate::RuntimeConfig::with_fuel`] and
//! [`crate::RuntimeConfig::with_interruption`]) polls a per-store *interrupt word* at every
//! function entry and loop iteration. Its low bit means "interrupted"; the bits above count
//! the runtime's calls, so a deadline set for one call can never stop a later one: the
//! watchdog sets the bit only if the word still holds the generation the deadline was set in.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use wz_store::{Error, Metering, Store};

use crate::experimental::{FunctionListenerFactory, Listening};

/// Limits for calls made with it: a fuel budget and a deadline. Pass it to
/// [`crate::Function::call_with`], [`crate::TypedFunction::call_with`] or
/// [`crate::ModuleConfig::with_call_context`] (for start functions). Cheap to clone; clones
/// share the fuel total.
///
/// ```
/// use std::time::Duration;
/// let runtime = wz::Runtime::with_config(
///     wz::RuntimeConfig::new().with_fuel(true).with_interruption(true)).unwrap();
/// let module = runtime.instantiate(br#"(module
///     (func (export "spin") (loop (br 0)))
///     (func (export "sum") (param i32) (result i32) (local i32)
///       (loop (local.set 1 (i32.add (local.get 1) (local.get 0)))
///             (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
///       (local.get 1)))"#).unwrap();
/// let spin = module.exported_function("spin").unwrap();
/// // An endless loop ends at its deadline...
/// let ctx = wz::CallContext::new().with_timeout(Duration::from_millis(20));
/// let err = spin.call_with(&ctx, &[]).unwrap_err();
/// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
/// // ...or when its fuel runs out.
/// let ctx = wz::CallContext::new().with_fuel(10_000);
/// let err = spin.call_with(&ctx, &[]).unwrap_err();
/// assert!(matches!(err.kind(), wz::ErrorKind::OutOfFuel));
/// // Fuel counts operators, identically on every engine.
/// let sum = module.exported_function("sum").unwrap().typed::<i32, i32>().unwrap();
/// let ctx = wz::CallContext::new().with_fuel(1_000_000);
/// assert_eq!(sum.call_with(&ctx, 10).unwrap(), 55);
/// assert!(ctx.fuel_consumed() > 10 * 8, "{}", ctx.fuel_consumed());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    fuel: Option<u64>,
    deadline: Option<Deadline>,
    consumed: Arc<AtomicU64>,
    listeners: Option<Arc<dyn FunctionListenerFactory>>,
}

#[derive(Debug, Clone, Copy)]
enum Deadline {
    After(Duration),
    At(Instant),
}

impl CallContext {
    /// No limits.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.instantiate(br#"(module (func (export "f")))"#).unwrap();
    /// // No limits: the same as a plain call.
    /// module.exported_function("f").unwrap().call_with(&wz::CallContext::new(), &[]).unwrap();
    /// ```
    pub fn new() -> Self {
        CallContext::default()
    }

    /// Each call may run at most `fuel` wasm operators (needs
    /// [`crate::RuntimeConfig::with_fuel`]); one that tries to run more fails with
    /// [`wz_store::ErrorKind::OutOfFuel`] at its next function entry or loop iteration.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let spin = module.exported_function("spin").unwrap();
    /// let err = spin.call_with(&wz::CallContext::new().with_fuel(64), &[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::OutOfFuel));
    /// // Without fuel metering compiled in, a budget is refused.
    /// let plain = wz::Runtime::new();
    /// let spin = plain.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap()
    ///     .exported_function("spin").unwrap();
    /// assert!(spin.call_with(&wz::CallContext::new().with_fuel(64), &[]).is_err());
    /// ```
    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// Each call may run for at most `timeout`, counted from its start (needs
    /// [`crate::RuntimeConfig::with_interruption`]); one still running then fails with
    /// [`wz_store::ErrorKind::Interrupted`].
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
    ///     .unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let start = Instant::now();
    /// let ctx = wz::CallContext::new().with_timeout(Duration::from_millis(20));
    /// assert!(module.exported_function("spin").unwrap().call_with(&ctx, &[]).is_err());
    /// assert!(start.elapsed() >= Duration::from_millis(20));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Some(Deadline::After(timeout));
        self
    }

    /// Calls must end by `deadline` (needs [`crate::RuntimeConfig::with_interruption`]).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
    ///     .unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
    /// let ctx = wz::CallContext::new().with_deadline(Instant::now() + Duration::from_millis(10));
    /// let err = module.exported_function("spin").unwrap().call_with(&ctx, &[]).unwrap_err();
    /// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
    /// ```
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(Deadline::At(deadline));
        self
    }

    /// Reports the calls made with this context to the listeners `factory` chooses, instead
    /// of the runtime's (see [`crate::experimental`]). Needs a runtime configured with
    /// [`crate::RuntimeConfig::with_function_listeners`]. Experimental.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// use wz::experimental::{FunctionListener, FunctionListenerFactory};
    ///
    /// struct Count(AtomicUsize);
    /// impl FunctionListener for Count {
    ///     fn before(&self, _: &wz::FunctionDefinition, _: &[u64]) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    /// struct All(Arc<Count>);
    /// impl FunctionListenerFactory for All {
    ///     fn new_listener(&self, _: &wz::FunctionDefinition) -> Option<Arc<dyn FunctionListener>> {
    ///         Some(self.0.clone())
    ///     }
    /// }
    ///
    /// let runtime = wz::Runtime::with_config(
    ///     wz::RuntimeConfig::new().with_function_listeners(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module
    ///     (func $f (export "f") (param i32) (result i32)
    ///       (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    ///         (else (call $f (i32.sub (local.get 0) (i32.const 1)))))))"#).unwrap();
    /// let f = module.exported_function("f").unwrap();
    /// let count = Arc::new(Count(AtomicUsize::new(0)));
    /// let ctx = wz::CallContext::new().with_function_listener_factory(Arc::new(All(count.clone())));
    /// f.call_with(&ctx, &[4]).unwrap();
    /// assert_eq!(count.0.load(Ordering::Relaxed), 5);
    /// f.call(&[4]).unwrap(); // calls without the context are not reported
    /// assert_eq!(count.0.load(Ordering::Relaxed), 5);
    /// ```
    pub fn with_function_listener_factory(
        mut self,
        factory: Arc<dyn FunctionListenerFactory>,
    ) -> Self {
        self.listeners = Some(factory);
        self
    }

    /// The fuel the calls made with this context (and its clones) have used so far.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_fuel(true)).unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "f") (result i32)
    ///     (i32.add (i32.const 1) (i32.const 2))))"#).unwrap();
    /// let f = module.exported_function("f").unwrap();
    /// let ctx = wz::CallContext::new().with_fuel(1_000);
    /// f.call_with(&ctx, &[]).unwrap();
    /// let once = ctx.fuel_consumed();
    /// f.call_with(&ctx, &[]).unwrap();
    /// assert_eq!(ctx.fuel_consumed(), 2 * once); // the same operators each time
    /// ```
    pub fn fuel_consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }
}

/// Stops the current call of a runtime from any thread: see
/// [`crate::Runtime::interrupt_handle`].
///
/// ```
/// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
///     .unwrap();
/// let module = runtime.instantiate(br#"(module (func (export "spin") (loop (br 0))))"#).unwrap();
/// let handle = runtime.interrupt_handle().unwrap();
/// let stopper = std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(10));
///     handle.interrupt();
/// });
/// let err = module.exported_function("spin").unwrap().call(&[]).unwrap_err();
/// assert!(matches!(err.kind(), wz::ErrorKind::Interrupted));
/// stopper.join().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct InterruptHandle {
    word: Weak<AtomicU64>,
}

impl InterruptHandle {
    pub(crate) fn new(word: &Arc<AtomicU64>) -> Self {
        InterruptHandle {
            word: Arc::downgrade(word),
        }
    }

    /// Interrupts the call running in the runtime, or, if none is, the next one: it fails
    /// with [`wz_store::ErrorKind::Interrupted`] at its next function entry or loop
    /// iteration. The calls after that one run normally. Does nothing once the runtime is
    /// gone.
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_interruption(true))
    ///     .unwrap();
    /// let module = runtime.instantiate(br#"(module (func (export "f")))"#).unwrap();
    /// let f = module.exported_function("f").unwrap();
    /// runtime.interrupt_handle().unwrap().interrupt();
    /// assert!(f.call(&[]).is_err()); // the next call is stopped...
    /// assert!(f.call(&[]).is_ok()); // ...and only that one
    /// ```
    pub fn interrupt(&self) {
        if let Some(word) = self.word.upgrade() {
            word.fetch_or(1, Ordering::AcqRel);
        }
    }
}

/// What [`begin`] set up for one call, undone by [`end`].
pub(crate) struct CallGuard {
    fuel: Option<u64>,
    deadline: Option<(Instant, u64)>,
    listening: Option<Arc<Listening>>,
}

/// Applies `ctx` to the store for one outermost call.
pub(crate) fn begin(
    store: &mut Store,
    metering: Metering,
    listening: Option<&Arc<Listening>>,
    ctx: Option<&CallContext>,
) -> Result<CallGuard, Error> {
    let mut guard = CallGuard {
        fuel: None,
        deadline: None,
        listening: None,
    };
    let Some(ctx) = ctx else { return Ok(guard) };
    if ctx.listeners.is_some() && listening.is_none() {
        return Err(Error::usage(
            "a call's function listeners need a runtime configured with \
             RuntimeConfig::with_function_listeners(true)",
        ));
    }
    if let Some(fuel) = ctx.fuel {
        if !metering.fuel {
            return Err(Error::usage(
                "a fuel budget needs a runtime configured with RuntimeConfig::with_fuel(true)",
            ));
        }
        store.set_fuel(Some(fuel));
        guard.fuel = Some(fuel);
    }
    if let Some(deadline) = ctx.deadline {
        if !metering.interrupt {
            store.set_fuel(None);
            return Err(Error::usage(
                "a deadline needs a runtime configured with RuntimeConfig::with_interruption(true)",
            ));
        }
        let at = match deadline {
            Deadline::After(timeout) => Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(far_future),
            Deadline::At(at) => at,
        };
        let word = store.interrupt_word();
        let generation = word.load(Ordering::Acquire) >> 1;
        match watchdog() {
            Some(w) => guard.deadline = Some((at, w.watch(at, word, generation))),
            None => {
                store.set_fuel(None);
                return Err(Error::usage(
                    "cannot start the deadline thread; calls cannot have deadlines",
                ));
            }
        }
    }
    if let (Some(factory), Some(listening)) = (&ctx.listeners, listening) {
        listening.begin_call(factory.clone());
        guard.listening = Some(listening.clone());
    }
    Ok(guard)
}

/// Ends one outermost call: records the fuel it used, forgets its deadline and starts a new
/// interrupt generation (clearing an interrupt that was meant for this call).
pub(crate) fn end(
    store: &mut Store,
    metering: Metering,
    ctx: Option<&CallContext>,
    guard: CallGuard,
) {
    if let Some(listening) = &guard.listening {
        listening.end_call();
    }
    if let (Some(budget), Some(ctx)) = (guard.fuel, ctx) {
        let left = store.fuel().unwrap_or(0);
        ctx.consumed
            .fetch_add(budget.saturating_sub(left), Ordering::Relaxed);
        store.set_fuel(None);
    }
    if let Some((at, id)) = guard.deadline
        && let Some(w) = watchdog()
    {
        w.forget(at, id);
    }
    if metering.interrupt {
        let word = store.interrupt_word();
        let generation = word.load(Ordering::Acquire) >> 1;
        word.store(generation.wrapping_add(1) << 1, Ordering::Release);
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// A running call's deadline: when, and an id that tells equal instants apart.
type DeadlineKey = (Instant, u64);

/// The interrupt word of the call's store, and the generation the call runs in.
type Watched = (Weak<AtomicU64>, u64);

/// Deadlines of running calls, earliest first; one thread sleeps until the next.
struct Watchdog {
    deadlines: Mutex<BTreeMap<DeadlineKey, Watched>>,
    next_id: AtomicU64,
    wake: Condvar,
}

/// The process's watchdog, started on first use; `None` if its thread cannot start.
fn watchdog() -> Option<&'static Watchdog> {
    static WATCHDOG: OnceLock<Option<&'static Watchdog>> = OnceLock::new();
    *WATCHDOG.get_or_init(|| {
        let w: &'static Watchdog = Box::leak(Box::new(Watchdog {
            deadlines: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("wz-deadlines".into())
            .spawn(move || w.run())
            .ok()
            .map(|_| w)
    })
}

impl Watchdog {
    /// Interrupts `word` at `at` if it is still in `generation` then; returns the entry's
    /// id for [`Watchdog::forget`].
    fn watch(&self, at: Instant, word: &Arc<AtomicU64>, generation: u64) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut deadlines = self.deadlines.lock().unwrap_or_else(|e| e.into_inner());
        let earliest = deadlines.first_key_value().is_none_or(|(k, _)| at < k.0);
        deadlines.insert((at, id), (Arc::downgrade(word), generation));
        drop(deadlines);
        if earliest {
            self.wake.notify_one();
        }
        id
    }

    fn forget(&self, at: Instant, id: u64) {
        let mut deadlines = self.deadlines.lock().unwrap_or_else(|e| e.into_inner());
        deadlines.remove(&(at, id));
    }

    fn run(&self) {
        let mut deadlines = self.deadlines.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            match deadlines.first_key_value() {
                Some((&(at, _), _)) if at <= now => {
                    let (_, (word, generation)) =
                        deadlines.pop_first().expect("an entry was just seen");
                    if let Some(word) = word.upgrade() {
                        // Only the call that set the deadline: a later generation is another
                        // call.
                        let _ = word.compare_exchange(
                            generation << 1,
                            (generation << 1) | 1,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        );
                    }
                }
                Some((&(at, _), _)) => {
                    deadlines = self
                        .wake
                        .wait_timeout(deadlines, at - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                None => {
                    deadlines = self.wake.wait(deadlines).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }
}
