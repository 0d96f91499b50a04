//! Host modules: functions written in Rust that wasm modules import.

use std::marker::PhantomData;

use wz_store::{Error, FuncType, HostFunc};

use crate::compiled::{CompiledModule, HostExport};
use crate::module::Module;
use crate::runtime::{ModuleConfig, Runtime};
use crate::typed::{WasmResults, WasmTy, WasmValues};

pub use wz_store::Caller;

/// What a host closure may return: results, or `Result` of results (an error becomes a trap
/// in the calling wasm code, or an exit with [`Error::exit`](wz_store::Error)).
pub trait HostResult: Send + 'static {
    /// The wasm results.
    type Results: WasmResults;
    /// The results, or the error that ends the call.
    fn into_result(self) -> Result<Self::Results, Error>;
}

impl<R: WasmResults> HostResult for R {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResult for Result<R, Error> {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        self
    }
}

/// A Rust closure usable as a host function; `Marker` tells the closure shapes apart
/// (with or without a leading `&mut Caller`).
pub trait IntoHostFunc<Marker>: Send + Sync + 'static {
    /// The store-level host function.
    fn into_host_func(self) -> HostFunc;
}

/// Marks closures whose first parameter is the [`Caller`].
pub struct WithCaller<T>(PhantomData<T>);

/// A host function of parameters `P` and results `R::Results` running `f`.
fn host_func<P, R>(f: impl Fn(&mut Caller<'_>, P) -> R + Send + Sync + 'static) -> HostFunc
where
    P: WasmValues,
    R: HostResult,
{
    let ty = FuncType::new(P::types(), R::Results::types());
    HostFunc::new(ty, move |caller, slots| {
        let results = f(caller, P::from_slots(slots)).into_result()?;
        results.to_slots(slots);
        Ok(())
    })
}

macro_rules! into_host_func {
    ($($a:ident)*) => {
        #[allow(non_snake_case)]
        impl<Func, R, $($a: WasmTy,)*> IntoHostFunc<fn($($a,)*) -> R> for Func
        where
            Func: Fn($($a),*) -> R + Send + Sync + 'static,
            R: HostResult,
        {
            fn into_host_func(self) -> HostFunc {
                host_func(move |_, ($($a,)*): ($($a,)*)| (self)($($a),*))
            }
        }

        #[allow(non_snake_case)]
        impl<Func, R, $($a: WasmTy,)*> IntoHostFunc<WithCaller<fn($($a,)*) -> R>> for Func
        where
            Func: Fn(&mut Caller<'_>, $($a),*) -> R + Send + Sync + 'static,
            R: HostResult,
        {
            fn into_host_func(self) -> HostFunc {
                host_func(move |caller, ($($a,)*): ($($a,)*)| (self)(caller, $($a),*))
            }
        }
    };
}

into_host_func!();
into_host_func!(A);
into_host_func!(A B);
into_host_func!(A B C);
into_host_func!(A B C D);
into_host_func!(A B C D E);
into_host_func!(A B C D E F);
into_host_func!(A B C D E F G);
into_host_func!(A B C D E F G H);

/// Builds a host module: name its functions, then instantiate it so wasm modules can
/// import them.
///
/// ```
/// let runtime = wz::Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|a: i32, b: i32| a * b)
///     .with_param_names(&["a", "b"])
///     .export("mul")
///     .new_function_builder()
///     .with_func(|caller: &mut wz::Caller<'_>, ptr: i32| -> Result<i32, wz::Error> {
///         // Read a byte of the calling module's memory.
///         let memory = caller.memory().ok_or_else(|| wz::Error::usage("no memory"))?;
///         Ok(memory.get(ptr as usize).copied().unwrap_or(0) as i32)
///     })
///     .export("peek")
///     .instantiate()
///     .unwrap();
/// let app = runtime.instantiate(br#"(module
///     (import "env" "mul" (func $mul (param i32 i32) (result i32)))
///     (import "env" "peek" (func $peek (param i32) (result i32)))
///     (memory 1) (data (i32.const 5) "\07")
///     (func (export "run") (result i32) (call $mul (call $peek (i32.const 5)) (i32.const 6))))"#)
///     .unwrap();
/// let run = app.exported_function("run").unwrap().typed::<(), i32>().unwrap();
/// assert_eq!(run.call(()).unwrap(), 42);
/// ```
#[must_use = "a host module exists once it is instantiated"]
pub struct HostModuleBuilder<'r> {
    runtime: &'r Runtime,
    name: String,
    funcs: Vec<HostExport>,
    /// The first mistake made while building, reported by `instantiate`.
    error: Option<Error>,
}

/// Builds one function of a [`HostModuleBuilder`].
#[must_use = "a function is added to its module by `export`"]
pub struct HostFunctionBuilder<'r> {
    module: HostModuleBuilder<'r>,
    func: Option<HostFunc>,
    param_names: Vec<String>,
    result_names: Vec<String>,
}

impl Runtime {
    /// Starts a host module that wasm modules will import as `name`.
    pub fn new_host_module_builder(&self, name: &str) -> HostModuleBuilder<'_> {
        HostModuleBuilder {
            runtime: self,
            name: name.to_string(),
            funcs: Vec::new(),
            error: None,
        }
    }
}

impl<'r> HostModuleBuilder<'r> {
    /// Starts a function of this module.
    pub fn new_function_builder(self) -> HostFunctionBuilder<'r> {
        HostFunctionBuilder {
            module: self,
            func: None,
            param_names: Vec::new(),
            result_names: Vec::new(),
        }
    }

    /// Adds the module to the runtime under its name.
    pub fn instantiate(self) -> Result<Module, Error> {
        let runtime = self.runtime;
        let compiled = self.compile()?;
        runtime.instantiate_module(&compiled, ModuleConfig::new())
    }

    /// The module, ready to be instantiated any number of times (under the builder's name,
    /// or another one given by [`ModuleConfig::with_name`]), in any runtime.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|x: i64| x + 1)
    ///     .with_param_names(&["x"])
    ///     .with_result_names(&["next"])
    ///     .export("inc")
    ///     .compile()
    ///     .unwrap();
    /// assert_eq!(compiled.exported_functions()[0].result_names(), ["next"]);
    /// let a = runtime.instantiate_module(&compiled, wz::ModuleConfig::new()).unwrap();
    /// let b = runtime
    ///     .instantiate_module(&compiled, wz::ModuleConfig::new().with_name("env2"))
    ///     .unwrap();
    /// assert_eq!((a.name(), b.name()), (Some("env"), Some("env2")));
    /// let inc = b.exported_function("inc").unwrap().typed::<i64, i64>().unwrap();
    /// assert_eq!(inc.call(41).unwrap(), 42);
    /// ```
    pub fn compile(self) -> Result<CompiledModule, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(CompiledModule::host(self.name, self.funcs))
    }
}

impl<'r> HostFunctionBuilder<'r> {
    /// The function: a closure taking and returning wasm values (`i32`, `i64`, `f32`,
    /// `f64`, `u128` for `v128`; several results as a tuple), optionally taking the
    /// [`Caller`] first and optionally returning `Result<_, wz::Error>`.
    pub fn with_func<M>(mut self, f: impl IntoHostFunc<M>) -> Self {
        self.func = Some(f.into_host_func());
        self
    }

    /// The function in its raw form, for bridges without per-call conversions: parameters
    /// arrive in `slots` (one `u64` each, two for `v128`) and results go back there.
    pub fn with_raw_func(
        mut self,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        self.func = Some(HostFunc::new(ty, f));
        self
    }

    /// Names the parameters (for documentation and listings).
    pub fn with_param_names(mut self, names: &[&str]) -> Self {
        self.param_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Names the results (for documentation and listings).
    pub fn with_result_names(mut self, names: &[&str]) -> Self {
        self.result_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Exports the function as `name` and returns to the module builder.
    pub fn export(self, name: &str) -> HostModuleBuilder<'r> {
        let mut module = self.module;
        match self.func {
            Some(func) if module.error.is_none() => {
                if !self.param_names.is_empty()
                    && self.param_names.len() != func.ty().params().len()
                {
                    module.error = Some(Error::usage(format!(
                        "{name}: {} parameter names for {} parameters",
                        self.param_names.len(),
                        func.ty().params().len()
                    )));
                } else if !self.result_names.is_empty()
                    && self.result_names.len() != func.ty().results().len()
                {
                    module.error = Some(Error::usage(format!(
                        "{name}: {} result names for {} results",
                        self.result_names.len(),
                        func.ty().results().len()
                    )));
                } else if module.funcs.iter().any(|f| f.name == name) {
                    module.error = Some(Error::usage(format!("{name} is exported twice")));
                } else {
                    module.funcs.push(HostExport {
                        name: name.to_string(),
                        func,
                        param_names: self.param_names,
                        result_names: self.result_names,
                    });
                }
            }
            Some(_) => {}
            None => {
                module.error.get_or_insert_with(|| {
                    Error::usage(format!("{name}: no function given (with_func)"))
                });
            }
        }
        module
    }
}
