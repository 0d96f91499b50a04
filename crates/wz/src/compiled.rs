//! [`CompiledModule`]: a module ready to instantiate, and what it imports and exports.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use wz_store::{ExternKind, FuncType, HostFunc, ImportKind, ValType};

/// A module decoded, validated and compiled by [`crate::Runtime::compile_module`] (or a host
/// module from [`crate::HostModuleBuilder::compile`]), ready to be instantiated any number of
/// times. Cheap to clone, `Send + Sync`.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let compiled = runtime.compile_module(br#"(module $calc
///     (import "env" "log" (func $log (param $value i32)))
///     (memory (export "mem") 1 4)
///     (func (export "add") (param $a i32) (param $b i32) (result i32)
///       (i32.add (local.get $a) (local.get $b))))"#).unwrap();
/// assert_eq!(compiled.name(), Some("calc"));
/// let import = &compiled.imported_functions()[0];
/// assert_eq!(import.import(), Some(("env", "log")));
/// assert_eq!(import.param_names(), ["value"]);
/// let add = &compiled.exported_functions()[0];
/// assert_eq!(add.export_names(), ["add"]);
/// assert_eq!(add.params(), [wz::ValType::I32, wz::ValType::I32]);
/// assert_eq!(add.param_names(), ["a", "b"]);
/// let mem = &compiled.exported_memories()[0];
/// assert_eq!((mem.min_pages(), mem.max_pages()), (1, Some(4)));
/// ```
#[derive(Clone)]
pub struct CompiledModule {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) kind: Kind,
    custom_sections: bool,
    meta: OnceLock<Meta>,
}

/// What a compiled module holds.
pub(crate) enum Kind {
    /// A wasm module.
    Wasm(wz_store::CompiledModule),
    /// A host module: its name and its functions with their export names.
    Host {
        name: String,
        funcs: Vec<HostExport>,
        /// The functions' export names, shared by the module's instances in every runtime.
        names: Arc<wz_store::ExportNames>,
        /// The functions themselves, as one set every instance shares.
        set: Arc<[wz_store::HostFunc]>,
    },
}

/// One function of a host module.
#[derive(Clone)]
pub(crate) struct HostExport {
    pub name: String,
    pub func: HostFunc,
    pub param_names: Vec<String>,
    pub result_names: Vec<String>,
}

#[derive(Default)]
struct Meta {
    imported_functions: Vec<FunctionDefinition>,
    exported_functions: Vec<FunctionDefinition>,
    imported_memories: Vec<MemoryDefinition>,
    exported_memories: Vec<MemoryDefinition>,
    custom_sections: Vec<CustomSection>,
}

impl fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledModule")
            .field("name", &self.name())
            .field("host", &matches!(self.inner.kind, Kind::Host { .. }))
            .finish()
    }
}

impl CompiledModule {
    pub(crate) fn wasm(module: wz_store::CompiledModule, custom_sections: bool) -> Self {
        CompiledModule {
            inner: Arc::new(Inner {
                kind: Kind::Wasm(module),
                custom_sections,
                meta: OnceLock::new(),
            }),
        }
    }

    pub(crate) fn host(name: String, funcs: Vec<HostExport>) -> Self {
        CompiledModule {
            inner: Arc::new(Inner {
                kind: Kind::Host {
                    names: Arc::new(wz_store::ExportNames::new(
                        funcs.iter().map(|f| f.name.as_str()),
                    )),
                    set: funcs.iter().map(|f| f.func.clone()).collect(),
                    name,
                    funcs,
                },
                custom_sections: false,
                meta: OnceLock::new(),
            }),
        }
    }

    /// The store-level module, for a wasm module.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let store_module = compiled.store_module().unwrap();
    /// assert_eq!(store_module.module().exports.len(), 3);
    /// ```
    pub fn store_module(&self) -> Option<&wz_store::CompiledModule> {
        match &self.inner.kind {
            Kind::Wasm(m) => Some(m),
            Kind::Host { .. } => None,
        }
    }

    /// The module's own name: the name section's module name (a host module's builder
    /// name).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.name(), Some("shapes"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Wasm(m) => m.module().names.module.as_deref(),
            Kind::Host { name, .. } => Some(name),
        }
    }

    /// The functions it imports, in import order.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let log = &compiled.imported_functions()[0];
    /// assert_eq!(log.import(), Some(("env", "log")));
    /// assert_eq!(log.param_names(), ["code"]);
    /// ```
    pub fn imported_functions(&self) -> &[FunctionDefinition] {
        &self.meta().imported_functions
    }

    /// The functions it exports, in function index order (a function exported under several
    /// names appears once, with all of them).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let area = &compiled.exported_functions()[0];
    /// assert_eq!(area.export_names(), ["area", "surface"]);
    /// assert_eq!(area.index(), 1); // after the imported function
    /// ```
    pub fn exported_functions(&self) -> &[FunctionDefinition] {
        &self.meta().exported_functions
    }

    /// The memories it imports.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let mem = &compiled.imported_memories()[0];
    /// assert_eq!((mem.import(), mem.min_pages()), (Some(("env", "mem")), 2));
    /// ```
    pub fn imported_memories(&self) -> &[MemoryDefinition] {
        &self.meta().imported_memories
    }

    /// The memories it exports.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// let scratch = &compiled.exported_memories()[0];
    /// assert_eq!((scratch.index(), scratch.min_pages(), scratch.max_pages()), (0, 2, Some(4)));
    /// ```
    pub fn exported_memories(&self) -> &[MemoryDefinition] {
        &self.meta().exported_memories
    }

    /// Its custom sections, in order (the `name` section too). Empty unless the runtime was
    /// configured with [`crate::RuntimeConfig::with_custom_sections`].
    ///
    /// ```
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_custom_sections(true))
    ///     .unwrap();
    /// let compiled = runtime.compile_module(b"(module $named)").unwrap();
    /// // The text format's `$named` becomes a name section.
    /// assert_eq!(compiled.custom_sections()[0].name(), "name");
    /// ```
    pub fn custom_sections(&self) -> &[CustomSection] {
        &self.meta().custom_sections
    }

    /// The definition of the function exported as `name`.
    pub(crate) fn exported_function(&self, name: &str) -> Option<&FunctionDefinition> {
        self.meta()
            .exported_functions
            .iter()
            .find(|f| f.export_names.iter().any(|n| n == name))
    }

    fn meta(&self) -> &Meta {
        self.inner.meta.get_or_init(|| match &self.inner.kind {
            Kind::Wasm(m) => wasm_meta(m.module(), self.inner.custom_sections),
            Kind::Host { name, funcs, .. } => host_meta(name, funcs),
        })
    }
}

fn wasm_meta(m: &wz_store::Module, custom_sections: bool) -> Meta {
    let module_name: Option<Arc<str>> = m.names.module.as_deref().map(Arc::from);
    let mut meta = Meta::default();
    let exports_of = |kind: ExternKind| -> Vec<String> {
        m.exports
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.name.clone())
            .collect()
    };
    let mut func_imports = m.imports.iter().filter_map(|i| match i.kind {
        ImportKind::Func(_) => Some((i.module.clone(), i.name.clone())),
        _ => None,
    });
    let mut memory_imports = m.imports.iter().filter_map(|i| match i.kind {
        ImportKind::Memory(_) => Some((i.module.clone(), i.name.clone())),
        _ => None,
    });
    for index in 0..m.funcs.len() as u32 {
        let import = if index < m.num_imported_funcs {
            func_imports.next()
        } else {
            None
        };
        let export_names = exports_of(ExternKind::Func(index));
        if import.is_none() && export_names.is_empty() {
            continue;
        }
        let def = wasm_function(m, index, module_name.clone(), import, export_names);
        if def.import.is_some() {
            meta.imported_functions.push(def.clone());
        }
        if !def.export_names.is_empty() {
            meta.exported_functions.push(def);
        }
    }
    for (index, ty) in m.memories.iter().enumerate() {
        let index = index as u32;
        let import = if index < m.num_imported_memories {
            memory_imports.next()
        } else {
            None
        };
        let def = MemoryDefinition {
            module_name: module_name.clone(),
            index,
            import,
            export_names: exports_of(ExternKind::Memory(index)),
            min: ty.limits.min as u32,
            max: ty.limits.max.map(|m| m as u32),
        };
        if def.import.is_some() {
            meta.imported_memories.push(def.clone());
        }
        if !def.export_names.is_empty() {
            meta.exported_memories.push(def);
        }
    }
    if custom_sections {
        meta.custom_sections = m
            .custom_sections
            .iter()
            .map(|s| CustomSection {
                name: s.name.clone(),
                bytes: m.bytes.clone(),
                range: s.range.clone(),
            })
            .collect();
    }
    meta
}

/// The definition of function `index` of `m`, given its import and export names.
fn wasm_function(
    m: &wz_store::Module,
    index: u32,
    module_name: Option<Arc<str>>,
    import: Option<(String, String)>,
    export_names: Vec<String>,
) -> FunctionDefinition {
    let ty = m
        .func_type(index)
        .cloned()
        .unwrap_or_else(|| FuncType::new([], []));
    let param_names = match m.names.locals.get(&index) {
        Some(names) => (0..ty.params().len() as u32)
            .map(|i| names.get(&i).cloned().unwrap_or_default())
            .collect(),
        None => Vec::new(),
    };
    FunctionDefinition {
        module_name,
        index,
        debug_name: m.func_name(index).map(str::to_string),
        import,
        export_names,
        ty,
        param_names,
        result_names: Vec::new(),
    }
}

fn host_meta(name: &str, funcs: &[HostExport]) -> Meta {
    let module_name: Option<Arc<str>> = Some(Arc::from(name));
    Meta {
        exported_functions: funcs
            .iter()
            .enumerate()
            .map(|(index, f)| FunctionDefinition {
                module_name: module_name.clone(),
                index: index as u32,
                debug_name: Some(f.name.clone()),
                import: None,
                export_names: vec![f.name.clone()],
                ty: f.func.ty().clone(),
                param_names: f.param_names.clone(),
                result_names: f.result_names.clone(),
            })
            .collect(),
        ..Meta::default()
    }
}

/// What a function is: where it comes from, what it is called, its signature.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let compiled = runtime.compile_module(br#"(module $shapes
///     (import "env" "log" (func $log (param $code i32)))
///     (import "env" "mem" (memory 2 4))
///     (export "scratch" (memory 0))
///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
/// let area = &compiled.exported_functions()[0];
/// assert_eq!(area.module_name(), Some("shapes"));
/// assert_eq!(area.name(), "area");
/// assert_eq!(area.debug_name(), Some("area"));
/// assert_eq!(area.params(), [wz::ValType::F32, wz::ValType::F32]);
/// assert_eq!(area.ty().to_string(), "(func (param f32 f32) (result f32))");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDefinition {
    pub(crate) module_name: Option<Arc<str>>,
    index: u32,
    debug_name: Option<String>,
    import: Option<(String, String)>,
    pub(crate) export_names: Vec<String>,
    ty: FuncType,
    param_names: Vec<String>,
    result_names: Vec<String>,
}

impl FunctionDefinition {
    /// The definition of defined function `index` of `m` (any function, exported or not).
    pub(crate) fn of_defined(m: &wz_store::Module, index: u32) -> Self {
        let export_names = m
            .exports
            .iter()
            .filter(|e| e.kind == ExternKind::Func(index))
            .map(|e| e.name.clone())
            .collect();
        let module_name = m.names.module.as_deref().map(Arc::from);
        wasm_function(m, index, module_name, None, export_names)
    }

    /// A definition known only by its export name and type.
    pub(crate) fn exported(name: &str, ty: FuncType) -> Self {
        FunctionDefinition {
            module_name: None,
            index: 0,
            debug_name: None,
            import: None,
            export_names: vec![name.to_string()],
            ty,
            param_names: Vec::new(),
            result_names: Vec::new(),
        }
    }

    /// The name of the module it belongs to (an instance's name once instantiated; the name
    /// section's module name before; none for an anonymous module).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_functions()[0].module_name(), Some("shapes"));
    /// ```
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }

    /// Its index in the module's function index space (imports first).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_functions()[0].index(), 0);
    /// ```
    pub fn index(&self) -> u32 {
        self.index
    }

    /// What it is called: its first export name, else its import name, else its name in the
    /// name section, else `""`.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_functions()[0].name(), "log"); // its import name
    /// ```
    pub fn name(&self) -> &str {
        if let Some(name) = self.export_names.first() {
            name
        } else if let Some((_, name)) = &self.import {
            name
        } else {
            self.debug_name.as_deref().unwrap_or("")
        }
    }

    /// Its name in the module's name section (the host function's export name for host
    /// functions).
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_functions()[0].debug_name(), Some("log"));
    /// ```
    pub fn debug_name(&self) -> Option<&str> {
        self.debug_name.as_deref()
    }

    /// The `(module, name)` it is imported from, for an imported function.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_functions()[0].import(), None);
    /// ```
    pub fn import(&self) -> Option<(&str, &str)> {
        self.import.as_ref().map(|(m, n)| (m.as_str(), n.as_str()))
    }

    /// Every name it is exported under.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert!(compiled.imported_functions()[0].export_names().is_empty());
    /// ```
    pub fn export_names(&self) -> &[String] {
        &self.export_names
    }

    /// The parameter types.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_functions()[0].params(), [wz::ValType::I32]);
    /// ```
    pub fn params(&self) -> &[ValType] {
        self.ty.params()
    }

    /// The result types.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_functions()[0].results(), [wz::ValType::F32]);
    /// ```
    pub fn results(&self) -> &[ValType] {
        self.ty.results()
    }

    /// The parameter names (from the name section, or a host function's
    /// [`crate::HostFunctionBuilder::with_param_names`]); empty if unknown, `""` for an
    /// unnamed parameter among named ones.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_functions()[0].param_names(), ["w", "h"]);
    /// ```
    pub fn param_names(&self) -> &[String] {
        &self.param_names
    }

    /// The result names (host functions'
    /// [`crate::HostFunctionBuilder::with_result_names`]); empty if unknown.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert!(compiled.exported_functions()[0].result_names().is_empty()); // wasm has none
    /// ```
    pub fn result_names(&self) -> &[String] {
        &self.result_names
    }

    /// The whole signature.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_functions()[0].ty().params(), [wz::ValType::I32]);
    /// ```
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

/// What a memory is: where it comes from and its limits in 64 KiB pages.
///
/// ```
/// let runtime = wz::Runtime::new();
/// let compiled = runtime.compile_module(br#"(module $shapes
///     (import "env" "log" (func $log (param $code i32)))
///     (import "env" "mem" (memory 2 4))
///     (export "scratch" (memory 0))
///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
/// let scratch = &compiled.exported_memories()[0];
/// assert_eq!(scratch.export_names(), ["scratch"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryDefinition {
    module_name: Option<Arc<str>>,
    index: u32,
    import: Option<(String, String)>,
    export_names: Vec<String>,
    min: u32,
    max: Option<u32>,
}

impl MemoryDefinition {
    /// The name of the module that declares it.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_memories()[0].module_name(), Some("shapes"));
    /// ```
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }

    /// Its index in the module's memory index space.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_memories()[0].index(), 0);
    /// ```
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The `(module, name)` it is imported from, for an imported memory.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_memories()[0].import(), Some(("env", "mem")));
    /// ```
    pub fn import(&self) -> Option<(&str, &str)> {
        self.import.as_ref().map(|(m, n)| (m.as_str(), n.as_str()))
    }

    /// Every name it is exported under.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_memories()[0].export_names(), ["scratch"]);
    /// ```
    pub fn export_names(&self) -> &[String] {
        &self.export_names
    }

    /// Its initial size in pages.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.exported_memories()[0].min_pages(), 2);
    /// ```
    pub fn min_pages(&self) -> u32 {
        self.min
    }

    /// Its declared maximum in pages.
    ///
    /// ```
    /// let runtime = wz::Runtime::new();
    /// let compiled = runtime.compile_module(br#"(module $shapes
    ///     (import "env" "log" (func $log (param $code i32)))
    ///     (import "env" "mem" (memory 2 4))
    ///     (export "scratch" (memory 0))
    ///     (func $area (export "area") (export "surface") (param $w f32) (param $h f32) (result f32)
    ///       (f32.mul (local.get $w) (local.get $h))))"#).unwrap();
    /// assert_eq!(compiled.imported_memories()[0].max_pages(), Some(4));
    /// ```
    pub fn max_pages(&self) -> Option<u32> {
        self.max
    }
}

/// A custom section: a name and uninterpreted bytes (kept only with
/// [`crate::RuntimeConfig::with_custom_sections`]).
///
/// ```
/// let bytes = [&b"\0asm\x01\0\0\0"[..], &[0, 5, 3, b'r', b'e', b'v', 1]].concat();
/// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_custom_sections(true))
///     .unwrap();
/// let compiled = runtime.compile_module(&bytes).unwrap();
/// let section = &compiled.custom_sections()[0];
/// assert_eq!((section.name(), section.data()), ("rev", &[1u8][..]));
/// ```
#[derive(Clone)]
pub struct CustomSection {
    name: String,
    bytes: Arc<[u8]>,
    range: Range<usize>,
}

impl CustomSection {
    /// The section name.
    ///
    /// ```
    /// let bytes = [&b"\0asm\x01\0\0\0"[..], &[0, 5, 3, b'r', b'e', b'v', 1]].concat();
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_custom_sections(true))
    ///     .unwrap();
    /// let compiled = runtime.compile_module(&bytes).unwrap();
    /// let section = &compiled.custom_sections()[0];
    /// assert_eq!(section.name(), "rev");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The section's payload.
    ///
    /// ```
    /// let bytes = [&b"\0asm\x01\0\0\0"[..], &[0, 5, 3, b'r', b'e', b'v', 1]].concat();
    /// let runtime = wz::Runtime::with_config(wz::RuntimeConfig::new().with_custom_sections(true))
    ///     .unwrap();
    /// let compiled = runtime.compile_module(&bytes).unwrap();
    /// let section = &compiled.custom_sections()[0];
    /// assert_eq!(section.data(), [1]);
    /// ```
    pub fn data(&self) -> &[u8] {
        &self.bytes[self.range.clone()]
    }
}

impl fmt::Debug for CustomSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomSection")
            .field("name", &self.name)
            .field("len", &self.range.len())
            .finish()
    }
}
