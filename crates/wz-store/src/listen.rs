//! Function listeners: hooks the store calls around the calls of chosen functions.
//!
//! Code compiled with listening ([`wz_ir::Metering::listen`]) reports every function entry and
//! return to the store (the interpreter through [`wz_interp::Env`], the JIT through two
//! builtins); host functions are reported as the store calls them. The store forwards the
//! reports of functions that have a [`FuncListener`] and keeps a stack of the listened calls
//! in progress, so that when a call fails, every listened function it unwinds gets
//! [`FuncListener::abort`], innermost first. Code compiled without listening reports nothing
//! and costs nothing.

use std::sync::Arc;

use crate::objects::FuncKind;
use crate::store::Store;
use crate::values::{FuncId, InstanceId};
use crate::{Error, ErrorKind};

/// Hooks around the calls of one function. Values are raw slots (one per value, two per
/// `v128`, low half first), as in [`Store::call_raw`].
pub trait FuncListener: Send + Sync {
    /// The function was called with `params`.
    fn before(&self, params: &[u64]);
    /// The function returns `results`.
    fn after(&self, results: &[u64]);
    /// The call failed with `error` (a trap, or an error passing through the function).
    fn abort(&self, error: &Error);
}

impl std::fmt::Debug for dyn FuncListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FuncListener")
    }
}

/// Runs a listener hook; a panic in it becomes an error that fails the call.
fn guarded(hook: impl FnOnce()) -> Result<(), Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook))
        .map_err(|_| Error::new(ErrorKind::Host("function listener panicked".into())))
}

/// Chooses the listener of each defined function of a module as it is instantiated: called
/// with the module and the function's index (imports first).
pub type ListenerFactory =
    dyn Fn(&wz_binary::Module, u32) -> Option<Arc<dyn FuncListener>> + Send + Sync;

/// A [`ListenerFactory`] the store holds.
#[derive(Clone)]
pub(crate) struct Factory(pub Arc<ListenerFactory>);

impl std::fmt::Debug for Factory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenerFactory")
    }
}

impl Store {
    /// Gives every defined function of the instances created from now on the listener
    /// `factory` chooses for it, before their start functions run (`None`: no listeners).
    pub fn set_listener_factory(&mut self, factory: Option<Arc<ListenerFactory>>) {
        self.listener_factory = factory.map(Factory);
    }

    /// Sets (or removes) the listener of `func`. Wasm functions are reported only when their
    /// code was compiled with listening ([`wz_ir::Metering::listen`]); host functions always.
    pub fn set_func_listener(&mut self, func: FuncId, listener: Option<Arc<dyn FuncListener>>) {
        if let Some(entity) = self.funcs.get_mut(func.0 as usize) {
            entity.listener = listener;
        }
    }

    /// Function `index` of `instance` was entered with `params`.
    pub(crate) fn listen_enter(
        &mut self,
        instance: u32,
        index: u32,
        params: &[u64],
    ) -> Result<(), Error> {
        let func = self.instances[instance as usize].funcs[index as usize];
        self.enter_listened(func, params)
    }

    /// Function `index` of `instance` returns `results`.
    pub(crate) fn listen_exit(
        &mut self,
        instance: u32,
        index: u32,
        results: &[u64],
    ) -> Result<(), Error> {
        let func = self.instances[instance as usize].funcs[index as usize];
        self.exit_listened(func, results)
    }

    fn enter_listened(&mut self, func: u32, params: &[u64]) -> Result<(), Error> {
        if self.funcs[func as usize].listener.is_none() {
            return Ok(());
        }
        self.listened.push(func);
        match &self.funcs[func as usize].listener {
            Some(listener) => guarded(|| listener.before(params)),
            None => Ok(()),
        }
    }

    fn exit_listened(&mut self, func: u32, results: &[u64]) -> Result<(), Error> {
        if self.funcs[func as usize].listener.is_none() {
            return Ok(());
        }
        if self.listened.last() == Some(&func) {
            self.listened.pop();
        }
        match &self.funcs[func as usize].listener {
            Some(listener) => guarded(|| listener.after(results)),
            None => Ok(()),
        }
    }

    /// Aborts the listened calls above `depth` with `error`, innermost first.
    pub(crate) fn abort_listened(&mut self, depth: usize, error: &Error) {
        while self.listened.len() > depth {
            let func = self.listened.pop().expect("above depth");
            if let Some(listener) = self.funcs[func as usize].listener.clone() {
                // A panicking abort hook changes nothing: the call has failed already.
                let _ = guarded(|| listener.abort(error));
            }
        }
    }

    /// Calls host function `func` for `instance` (none: called by the embedder), reporting
    /// it to its listener.
    #[inline]
    pub(crate) fn call_host(
        &mut self,
        func: u32,
        instance: Option<InstanceId>,
        slots: &mut [u64],
    ) -> Result<(), Error> {
        let entity = &self.funcs[func as usize];
        let FuncKind::Host { set, index } = entity.kind else {
            return Err(wz_ir::TrapCode::Unreachable.into());
        };
        if entity.listener.is_none() {
            return crate::jit::run_host(self, set, index, instance, slots);
        }
        self.call_listened_host(func, (set, index), instance, slots)
    }

    /// [`Store::call_host`] of a function with a listener: the hooks around the call.
    #[inline(never)]
    fn call_listened_host(
        &mut self,
        func: u32,
        (set, index): (u32, u32),
        instance: Option<InstanceId>,
        slots: &mut [u64],
    ) -> Result<(), Error> {
        let entity = &self.funcs[func as usize];
        let ty = &self.type_list[entity.type_id as usize].ty;
        let params = crate::store::slot_count(ty.params()) as usize;
        let results = crate::store::slot_count(ty.results()) as usize;
        let depth = self.listened.len();
        self.enter_listened(func, &slots[..params])?;
        let outcome = crate::jit::run_host(self, set, index, instance, slots)
            .and_then(|()| self.exit_listened(func, &slots[..results]));
        if let Err(error) = &outcome {
            self.abort_listened(depth, error);
        }
        outcome
    }
}
