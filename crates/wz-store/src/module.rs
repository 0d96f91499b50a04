use std::sync::Arc;

use wz_binary::{Features, Module};
use wz_ir::Function;

use crate::Error;

/// A module decoded, validated and lowered for execution. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CompiledModule {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    module: Module,
    funcs: Vec<Arc<Function>>,
}

impl CompiledModule {
    /// Decodes, validates and lowers `bytes`.
    pub fn new(bytes: &[u8], features: Features) -> Result<Self, Error> {
        let module = Module::decode(bytes, features)?;
        let funcs = wz_ir::lower_module(&module)?
            .into_iter()
            .map(Arc::new)
            .collect();
        Ok(CompiledModule {
            inner: Arc::new(Inner { module, funcs }),
        })
    }

    /// The decoded module description.
    pub fn module(&self) -> &Module {
        &self.inner.module
    }

    /// The lowered bodies of the defined functions.
    pub fn functions(&self) -> &[Arc<Function>] {
        &self.inner.funcs
    }
}
