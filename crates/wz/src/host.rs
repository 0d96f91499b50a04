//! Host modules: functions written in Rust that wasm modules import.

use std::marker::PhantomData;

use wz_store::{Error, FuncType, HostFunc};

use crate::compiled::{CompiledModule, HostExport};
use crate::module::Module;
use crate::runtime::{ModuleConfig, Runtime};
use crate::typed::{WasmResults, WasmTy, WasmValues};

pub use wz_store::{Caller, StoreMut};

/// What a host closure may return: results, or `Result` of results (an error becomes a trap
/// in the calling wasm code, or an exit with [`Error::exit`](wz_store::Error)).
///
/// ```
/// let runtime = wz::Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|x: i32| x * 2) // plain results
///     .export("double")
///     .new_function_builder()
///     .with_func(|x: i32| -> Result<i32, wz::Error> { // or a Result: errors trap
///         if x == 0 { Err(wz::Error::usage("zero")) } else { Ok(100 / x) }
///     })
///     .export("hundredth")
///     .instantiate()
///     .unwrap();
/// let module = runtime.instantiate(br#"(module
///     (import "env" "hundredth" (func $h (param i32) (result i32)))
///     (func (export "h") (param i32) (result i32) (call $h (local.get 0))))"#).unwrap();
/// let h = module.exported_function("h").unwrap();
/// assert_eq!(h.call(&[4]).unwrap(), [25]);
/// assert_eq!(h.call(&[0]).unwrap_err().to_string(), "zero");
/// ```
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
///
/// ```
/// fn register<M>(runtime: &wz::Runtime, f: impl wz::IntoHostFunc<M>) {
///     runtime.new_host_module_builder("env").new_function_builder()
///         .with_func(f).export("f").instantiate().unwrap();
/// }
/// register(&wz::Runtime::new(), |a: f64, b: f64| a.max(b));
/// register(&wz::Runtime::new(), |_caller: &mut wz::Caller<'_>| ());
/// ```
pub trait IntoHostFunc<Marker>: Send + Sync + 'static {
    /// The store-level host function.
    fn into_host_func(self) -> HostFunc;
}

/// Marks closures whose first parameter is the [`Caller`].
///
/// ```
/// let runtime = wz::Runtime::new();
/// // A closure taking `&mut Caller` first is told apart by this marker; it is inferred.
/// runtime.new_host_module_builder("env").new_function_builder()
///     .with_func(|caller: &mut wz::Caller<'_>, x: i32| {
///         caller.memory().map_or(x, |m| m.len() as i32)
///     })
///     .export("size_or").instantiate().unwrap();
/// ```
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
into_host_func!(A B C D E F G H I);
into_host_func!(A B C D E F G H I J);
into_host_func!(A B C D E F G H I J K);
into_host_func!(A B C D E F G H I J K L);
into_host_func!(A B C D E F G H I J K L M);
into_host_func!(A B C D E F G H I J K L M N);
into_host_func!(A B C D E F G H I J K L M N O);
into_host_func!(A B C D E F G H I J K L M N O P);

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
///
/// ```
/// let runtime = wz::Runtime::new();
/// let env = runtime
///     .new_host_module_builder("env")
///     .new_function_builder() // a HostFunctionBuilder
///     .with_func(|a: i32, b: i32| a.max(b))
///     .with_param_names(&["a", "b"])
///     .export("max")
///     .instantiate()
///     .unwrap();
/// assert_eq!(env.compiled().exported_functions()[0].param_names(), ["a", "b"]);
/// ```
#[must_use = "a function is added to its module by `export`"]
pub struct HostFunctionBuilder<'r> {
    module: HostModuleBuilder<'r>,
    func: Option<HostFunc>,
    param_names: Vec<String>,
    result_names: Vec<String>,
}

impl Runtime {
    /// Starts a host module that wasm modules will import as `name`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// runtime.new_host_module_builder("math").new_function_builder()
    ///     .with_func(|x: f64| x.sqrt()).export("sqrt").instantiate().unwrap();
    /// let module = runtime.instantiate(br#"(module
    ///     (import "math" "sqrt" (func $sqrt (param f64) (result f64)))
    ///     (func (export "root") (param f64) (result f64) (call $sqrt (local.get 0))))"#).unwrap();
    /// let root = module.exported_function("root").unwrap().typed::<f64, f64>().unwrap();
    /// assert_eq!(root.call(81.0).unwrap(), 9.0);
    /// ```
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
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let module = runtime.new_host_module_builder("env")
    ///     .new_function_builder().with_func(|| 1i32).export("one")
    ///     .new_function_builder().with_func(|| 2i32).export("two")
    ///     .instantiate().unwrap();
    /// assert_eq!(module.compiled().exported_functions().len(), 2);
    /// ```
    pub fn new_function_builder(self) -> HostFunctionBuilder<'r> {
        HostFunctionBuilder {
            module: self,
            func: None,
            param_names: Vec::new(),
            result_names: Vec::new(),
        }
    }

    /// Adds the module to the runtime under its name.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let env = runtime.new_host_module_builder("env")
    ///     .new_function_builder().with_func(|| 7i32).export("seven")
    ///     .instantiate().unwrap();
    /// assert_eq!(env.name(), Some("env"));
    /// assert_eq!(env.exported_function("seven").unwrap().call(&[]).unwrap(), [7]);
    /// // The name is taken now.
    /// assert!(runtime.new_host_module_builder("env").instantiate().is_err());
    /// ```
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
    /// [`Caller`] first and optionally returning `Result<_, wz::Error>`. Up to 16
    /// parameters and 16 results; [`HostFunctionBuilder::with_raw_func`] takes any
    /// signature.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// runtime.new_host_module_builder("env").new_function_builder()
    ///     // Several results as a tuple; v128 as u128.
    ///     .with_func(|x: i64| (x / 10, x % 10))
    ///     .export("divmod10")
    ///     .instantiate().unwrap();
    /// let module = runtime.instantiate(br#"(module
    ///     (import "env" "divmod10" (func $d (param i64) (result i64 i64)))
    ///     (func (export "digits") (param i64) (result i64 i64) (call $d (local.get 0))))"#).unwrap();
    /// let digits = module.exported_function("digits").unwrap();
    /// assert_eq!(digits.typed::<i64, (i64, i64)>().unwrap().call(42).unwrap(), (4, 2));
    /// ```
    pub fn with_func<M>(mut self, f: impl IntoHostFunc<M>) -> Self {
        self.func = Some(f.into_host_func());
        self
    }

    /// The function in its raw form, for bridges without per-call conversions: parameters
    /// arrive in `slots` (one `u64` each, two for `v128`) and results go back there.
    ///
    /// ```
    /// use wz::{FuncType, ValType};
    /// let runtime = wz::Runtime::new();
    /// runtime.new_host_module_builder("env").new_function_builder()
    ///     .with_raw_func(FuncType::new([ValType::I32, ValType::I32], [ValType::I32]), |_caller, slots| {
    ///         slots[0] = (slots[0] as u32).wrapping_sub(slots[1] as u32) as u64;
    ///         Ok(())
    ///     })
    ///     .export("sub")
    ///     .instantiate().unwrap();
    /// let module = runtime.instantiate(br#"(module (import "env" "sub" (func $sub (param i32 i32) (result i32)))
    ///     (func (export "f") (result i32) (call $sub (i32.const 10) (i32.const 3))))"#).unwrap();
    /// assert_eq!(module.exported_function("f").unwrap().call(&[]).unwrap(), [7]);
    /// ```
    pub fn with_raw_func(
        mut self,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        self.func = Some(HostFunc::new(ty, f));
        self
    }

    /// Names the parameters (for documentation and listings).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let env = runtime.new_host_module_builder("env").new_function_builder()
    ///     .with_func(|path_ptr: i32, path_len: i32| path_ptr + path_len)
    ///     .with_param_names(&["path_ptr", "path_len"])
    ///     .export("open").instantiate().unwrap();
    /// let def = env.exported_function("open").unwrap().definition().clone();
    /// assert_eq!(def.param_names(), ["path_ptr", "path_len"]);
    /// ```
    pub fn with_param_names(mut self, names: &[&str]) -> Self {
        self.param_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Names the results (for documentation and listings).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let env = runtime.new_host_module_builder("env").new_function_builder()
    ///     .with_func(|| (0i32, 1i32))
    ///     .with_result_names(&["errno", "fd"])
    ///     .export("open").instantiate().unwrap();
    /// assert_eq!(env.compiled().exported_functions()[0].result_names(), ["errno", "fd"]);
    /// ```
    pub fn with_result_names(mut self, names: &[&str]) -> Self {
        self.result_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Exports the function as `name` and returns to the module builder.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let env = runtime.new_host_module_builder("env").new_function_builder()
    ///     .with_func(|| ()).export("nothing").instantiate().unwrap();
    /// assert!(env.exported_function("nothing").is_some());
    /// ```
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
