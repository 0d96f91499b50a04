use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use wasmparser::{
    ElementItems, ElementKind, ExternalKind, FuncValidatorAllocations, KnownCustom, Name, Parser,
    Payload, TypeRef, ValidPayload, Validator,
};

use crate::types::{
    ConstExpr, FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType,
};
use crate::{DecodeError, Features, FuncIndex, TypeIndex};

/// A decoded and validated module: every section as owned data.
///
/// Index spaces follow the specification: imported items come first, then the module's own
/// definitions. The `num_imported_*` fields say where the definitions start.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// The module's binary, shared; function bodies point into it.
    pub bytes: Arc<[u8]>,
    /// The type section.
    pub types: Vec<FuncType>,
    /// The imports, in order.
    pub imports: Vec<Import>,
    /// The type index of every function, imported ones first.
    pub funcs: Vec<TypeIndex>,
    /// How many entries of `funcs` are imports.
    pub num_imported_funcs: u32,
    /// Every table's type, imported ones first.
    pub tables: Vec<TableType>,
    /// How many entries of `tables` are imports.
    pub num_imported_tables: u32,
    /// Every memory's type, imported ones first.
    pub memories: Vec<MemoryType>,
    /// How many entries of `memories` are imports.
    pub num_imported_memories: u32,
    /// Every global's type, imported ones first.
    pub globals: Vec<GlobalType>,
    /// How many entries of `globals` are imports.
    pub num_imported_globals: u32,
    /// The initializers of the defined globals (one per global after the imported ones).
    pub global_inits: Vec<ConstExpr>,
    /// The exports, in order.
    pub exports: Vec<Export>,
    /// The start function.
    pub start: Option<FuncIndex>,
    /// The element segments.
    pub elements: Vec<ElementSegment>,
    /// The data segments.
    pub datas: Vec<DataSegment>,
    /// The bodies of the defined functions (one per function after the imported ones).
    pub bodies: Vec<FunctionBody>,
    /// Custom sections, in order, including `name`.
    pub custom_sections: Vec<CustomSection>,
    /// Names from the `name` custom section (empty if absent or malformed).
    pub names: Names,
}

/// An import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The item name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// A function of this type index.
    Func(TypeIndex),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}

/// The kind of an exported item, with its index in that kind's index space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternKind {
    /// A function index.
    Func(u32),
    /// A table index.
    Table(u32),
    /// A memory index.
    Memory(u32),
    /// A global index.
    Global(u32),
}

/// An export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The export name (unique within the module).
    pub name: String,
    /// What is exported.
    pub kind: ExternKind,
}

/// A defined global.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Global {
    /// Its type.
    pub ty: GlobalType,
    /// Its initializer.
    pub init: ConstExpr,
}

/// How an element segment is used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ElementMode {
    /// Copied into a table at instantiation.
    Active {
        /// The table.
        table: u32,
        /// Where in the table.
        offset: ConstExpr,
    },
    /// Available to `table.init`.
    Passive,
    /// Only declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementSegment {
    /// How it is used.
    pub mode: ElementMode,
    /// The element type.
    pub ty: RefType,
    /// The items, each a constant reference expression.
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataMode {
    /// Copied into a memory at instantiation.
    Active {
        /// The memory.
        memory: u32,
        /// Where in memory.
        offset: ConstExpr,
    },
    /// Available to `memory.init`.
    Passive,
}

/// A data segment.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSegment {
    /// How it is used.
    pub mode: DataMode,
    /// Its bytes, as a range of [`Module::bytes`].
    pub range: Range<usize>,
}

/// A defined function's body.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionBody {
    /// Local declarations beyond the parameters: (count, type) runs, in order.
    pub locals: Vec<(u32, ValType)>,
    /// The instruction bytes (after the local declarations) within [`Module::bytes`].
    pub code: Range<usize>,
}

/// A custom section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSection {
    /// The section name.
    pub name: String,
    /// Its payload, as a range of [`Module::bytes`].
    pub range: Range<usize>,
}

/// Names from the `name` custom section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The module's name.
    pub module: Option<String>,
    /// Function names by function index.
    pub functions: HashMap<u32, String>,
    /// Local (and parameter) names by function index, then local index.
    pub locals: HashMap<u32, HashMap<u32, String>>,
}

impl Module {
    /// Decodes and validates `bytes` with the given features.
    ///
    /// Every function body is validated too, so a module returned here is valid.
    pub fn decode(bytes: &[u8], features: Features) -> Result<Module, DecodeError> {
        if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
            return Err(DecodeError::new(
                "not a WebAssembly binary: missing magic header",
                0,
            ));
        }
        let shared: Arc<[u8]> = Arc::from(bytes);
        let mut module = Module {
            bytes: shared.clone(),
            ..Module::default()
        };
        let wasm_features = features.to_wasmparser();
        let mut validator = Validator::new_with_features(wasm_features);
        let mut allocs = FuncValidatorAllocations::default();
        // The parser's features decide how some fields are read (e.g. 64-bit memory limits), so
        // it must see the same set as the validator.
        let mut parser = Parser::new(0);
        parser.set_features(wasm_features);
        for payload in parser.parse_all(&shared) {
            let payload = payload?;
            let valid = validator.payload(&payload)?;
            module.read_payload(&payload)?;
            if let ValidPayload::Func(to_validate, body) = valid {
                let mut func_validator = to_validate.into_validator(allocs);
                func_validator.validate(&body)?;
                allocs = func_validator.into_allocations();
                module.read_body(&body)?;
            }
        }
        Ok(module)
    }

    /// The signature of function `func` (in the function index space).
    pub fn func_type(&self, func: FuncIndex) -> Option<&FuncType> {
        let ty = *self.funcs.get(func as usize)?;
        self.types.get(ty as usize)
    }

    /// The bytes of a custom section or data segment range.
    pub fn slice(&self, range: &Range<usize>) -> &[u8] {
        &self.bytes[range.clone()]
    }

    /// The name of function `func`, from the name section or an export.
    pub fn func_name(&self, func: FuncIndex) -> Option<&str> {
        self.names.functions.get(&func).map(String::as_str)
    }

    fn read_payload(&mut self, payload: &Payload<'_>) -> Result<(), DecodeError> {
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader.clone().into_iter_with_offsets() {
                    let (offset, group) = group?;
                    for sub in group.into_types() {
                        match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => {
                                let params = convert_types(f.params(), offset)?;
                                let results = convert_types(f.results(), offset)?;
                                self.types.push(FuncType::new(params, results));
                            }
                            _ => {
                                return Err(DecodeError::new(
                                    "only function types are supported",
                                    offset,
                                ));
                            }
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let kind = match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            self.funcs.push(ty);
                            self.num_imported_funcs += 1;
                            ImportKind::Func(ty)
                        }
                        TypeRef::Table(t) => {
                            let t = convert_table(&t, offset)?;
                            self.tables.push(t);
                            self.num_imported_tables += 1;
                            ImportKind::Table(t)
                        }
                        TypeRef::Memory(m) => {
                            let m = convert_memory(&m);
                            self.memories.push(m);
                            self.num_imported_memories += 1;
                            ImportKind::Memory(m)
                        }
                        TypeRef::Global(g) => {
                            let g = convert_global(&g, offset)?;
                            self.globals.push(g);
                            self.num_imported_globals += 1;
                            ImportKind::Global(g)
                        }
                        TypeRef::Tag(_) => {
                            return Err(DecodeError::new("tag imports are not supported", offset));
                        }
                    };
                    self.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader.clone() {
                    self.funcs.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.clone().into_iter_with_offsets() {
                    let (offset, table) = table?;
                    if let wasmparser::TableInit::Expr(_) = table.init {
                        return Err(DecodeError::new(
                            "table initializer expressions are not supported",
                            offset,
                        ));
                    }
                    self.tables.push(convert_table(&table.ty, offset)?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.clone() {
                    self.memories.push(convert_memory(&memory?));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.clone().into_iter_with_offsets() {
                    let (offset, global) = global?;
                    self.globals.push(convert_global(&global.ty, offset)?);
                    self.global_inits
                        .push(ConstExpr::from_wasmparser(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.clone().into_iter_with_offsets() {
                    let (offset, export) = export?;
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            ExternKind::Func(export.index)
                        }
                        ExternalKind::Table => ExternKind::Table(export.index),
                        ExternalKind::Memory => ExternKind::Memory(export.index),
                        ExternalKind::Global => ExternKind::Global(export.index),
                        ExternalKind::Tag => {
                            return Err(DecodeError::new("tag exports are not supported", offset));
                        }
                    };
                    self.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::StartSection { func, .. } => self.start = Some(*func),
            Payload::ElementSection(reader) => {
                for element in reader.clone().into_iter_with_offsets() {
                    let (offset, element) = element?;
                    let mode = match &element.kind {
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElementMode::Active {
                            table: table_index.unwrap_or(0),
                            offset: ConstExpr::from_wasmparser(offset_expr)?,
                        },
                        ElementKind::Passive => ElementMode::Passive,
                        ElementKind::Declared => ElementMode::Declared,
                    };
                    let (ty, items) = match &element.items {
                        ElementItems::Functions(funcs) => {
                            let items = funcs
                                .clone()
                                .into_iter()
                                .map(|f| f.map(ConstExpr::RefFunc))
                                .collect::<Result<Vec<_>, _>>()?;
                            (RefType::FuncRef, items)
                        }
                        ElementItems::Expressions(ty, exprs) => {
                            let ty = RefType::from_wasmparser(*ty, offset)?;
                            let mut items = Vec::new();
                            for expr in exprs.clone() {
                                items.push(ConstExpr::from_wasmparser(&expr?)?);
                            }
                            (ty, items)
                        }
                    };
                    self.elements.push(ElementSegment { mode, ty, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader.clone() {
                    let data = data?;
                    let mode = match &data.kind {
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: *memory_index,
                            offset: ConstExpr::from_wasmparser(offset_expr)?,
                        },
                        wasmparser::DataKind::Passive => DataMode::Passive,
                    };
                    let end = data.range.end as usize;
                    self.datas.push(DataSegment {
                        mode,
                        range: end - data.data.len()..end,
                    });
                }
            }
            Payload::CustomSection(reader) => {
                let start = reader.data_offset() as usize;
                self.custom_sections.push(CustomSection {
                    name: reader.name().to_string(),
                    range: start..start + reader.data().len(),
                });
                if let KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is not an error (spec, appendix 7.4); keep what
                    // could be read.
                    self.read_names(names);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn read_body(&mut self, body: &wasmparser::FunctionBody<'_>) -> Result<(), DecodeError> {
        let mut locals = Vec::new();
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let offset = reader.original_position();
            let (count, ty) = reader.read()?;
            locals.push((count, ValType::from_wasmparser(ty, offset)?));
        }
        let start = reader.original_position() as usize;
        let end = body.range().end as usize;
        self.bodies.push(FunctionBody {
            locals,
            code: start..end,
        });
        Ok(())
    }

    fn read_names(&mut self, reader: wasmparser::NameSectionReader<'_>) {
        for name in reader {
            let Ok(name) = name else { return };
            match name {
                Name::Module { name, .. } => self.names.module = Some(name.to_string()),
                Name::Function(map) => {
                    for naming in map {
                        let Ok(naming) = naming else { return };
                        self.names
                            .functions
                            .insert(naming.index, naming.name.to_string());
                    }
                }
                Name::Local(map) => {
                    for indirect in map {
                        let Ok(indirect) = indirect else { return };
                        let names = self.names.locals.entry(indirect.index).or_default();
                        for naming in indirect.names {
                            let Ok(naming) = naming else { return };
                            names.insert(naming.index, naming.name.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn convert_types(types: &[wasmparser::ValType], offset: u64) -> Result<Vec<ValType>, DecodeError> {
    types
        .iter()
        .map(|t| ValType::from_wasmparser(*t, offset))
        .collect()
}

fn convert_table(t: &wasmparser::TableType, offset: u64) -> Result<TableType, DecodeError> {
    if t.table64 {
        return Err(DecodeError::new("64-bit tables are not supported", offset));
    }
    Ok(TableType {
        element: RefType::from_wasmparser(t.element_type, offset)?,
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
    })
}

fn convert_memory(m: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        limits: Limits {
            min: m.initial,
            max: m.maximum,
        },
        shared: m.shared,
    }
}

fn convert_global(g: &wasmparser::GlobalType, offset: u64) -> Result<GlobalType, DecodeError> {
    Ok(GlobalType {
        content: ValType::from_wasmparser(g.content_type, offset)?,
        mutable: g.mutable,
    })
}
