use std::collections::HashMap;

use wz_binary::{
    ConstExpr, DataMode, ElementMode, ExternKind, FuncType, GlobalType, ImportKind, MemoryType,
    TableType, ValType,
};
use wz_interp::{Stack, StackLimits};

use crate::exec::Exec;
use crate::objects::*;
use crate::values::*;
use crate::{CompiledModule, Error, ErrorKind, HostFunc, TrapCode};

/// How deeply host functions may re-enter wasm (each level uses some host stack).
const MAX_REENTRY: u32 = 200;

/// Owns every runtime object: functions, memories, tables, globals and instances.
#[derive(Debug, Default)]
pub struct Store {
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    types: HashMap<FuncType, u32>,
    names: HashMap<String, InstanceId>,
    stacks: Vec<Stack>,
    depth: u32,
    limits: StackLimits,
}

impl Store {
    /// An empty store with default stack limits.
    pub fn new() -> Self {
        Store::default()
    }

    /// An empty store whose calls run with the given stack limits.
    pub fn with_limits(limits: StackLimits) -> Self {
        Store {
            limits,
            ..Store::default()
        }
    }

    fn intern(&mut self, ty: &FuncType) -> u32 {
        let next = self.types.len() as u32;
        *self.types.entry(ty.clone()).or_insert(next)
    }

    // --- allocation -----------------------------------------------------------------------

    /// Adds a host function to the store.
    pub fn alloc_host_func(&mut self, func: HostFunc) -> FuncId {
        let ty = func.ty.clone();
        let type_id = self.intern(&ty);
        let host_slots = slot_count(ty.params()).max(slot_count(ty.results()));
        self.funcs.push(FuncEntity {
            kind: FuncKind::Host(func),
            ty,
            type_id,
            host_slots,
        });
        FuncId(self.funcs.len() as u32 - 1)
    }

    /// Adds a memory of the given type, zero-filled.
    pub fn alloc_memory(&mut self, ty: MemoryType) -> Result<MemoryId, Error> {
        self.memories.push(MemoryEntity::new(ty)?);
        Ok(MemoryId(self.memories.len() as u32 - 1))
    }

    /// Adds a table of the given type, every element set to `init`.
    pub fn alloc_table(&mut self, ty: TableType, init: Val) -> Result<TableId, Error> {
        self.tables
            .push(TableEntity::new(ty, init.to_bits() as u64)?);
        Ok(TableId(self.tables.len() as u32 - 1))
    }

    /// Adds a global with an initial value.
    pub fn alloc_global(&mut self, ty: GlobalType, value: Val) -> Result<GlobalId, Error> {
        if value.ty() != ty.content {
            return Err(Error::usage("global initial value has the wrong type"));
        }
        self.globals.push(GlobalEntity {
            ty,
            value: value.to_bits(),
        });
        Ok(GlobalId(self.globals.len() as u32 - 1))
    }

    /// Creates an instance that only exports the given items (a host module).
    pub fn alloc_host_instance(&mut self, exports: Vec<(String, Extern)>) -> InstanceId {
        self.instances.push(InstanceEntity {
            module: None,
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            type_ids: Vec::new(),
            datas: Vec::new(),
            elems: Vec::new(),
            exports,
        });
        InstanceId(self.instances.len() as u32 - 1)
    }

    // --- names ----------------------------------------------------------------------------

    /// Makes `instance` importable under `name`. A name can be registered once.
    pub fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), Error> {
        if self.names.contains_key(name) {
            return Err(Error::usage(format!(
                "module[{name}] has already been instantiated"
            )));
        }
        self.names.insert(name.to_string(), instance);
        Ok(())
    }

    /// The instance registered under `name`.
    pub fn instance_by_name(&self, name: &str) -> Option<InstanceId> {
        self.names.get(name).copied()
    }

    /// Resolves each import of `module` against the registered instances' exports.
    pub fn resolve_imports(&self, module: &CompiledModule) -> Result<Vec<Extern>, Error> {
        module
            .module()
            .imports
            .iter()
            .map(|import| {
                let instance = self.instance_by_name(&import.module).ok_or_else(|| {
                    Error::link(format!(
                        "unknown import: module \"{}\" is not instantiated",
                        import.module
                    ))
                })?;
                self.export(instance, &import.name).ok_or_else(|| {
                    Error::link(format!(
                        "unknown import: \"{}\" \"{}\" is not exported",
                        import.module, import.name
                    ))
                })
            })
            .collect()
    }

    // --- instances ------------------------------------------------------------------------

    /// An export of `instance` by name.
    pub fn export(&self, instance: InstanceId, name: &str) -> Option<Extern> {
        self.instances
            .get(instance.0 as usize)?
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }

    /// The exports of `instance`, in order.
    pub fn exports(&self, instance: InstanceId) -> &[(String, Extern)] {
        self.instances
            .get(instance.0 as usize)
            .map_or(&[], |i| &i.exports)
    }

    /// An exported function of `instance` by name.
    pub fn export_func(&self, instance: InstanceId, name: &str) -> Option<FuncId> {
        match self.export(instance, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Memory number `index` of `instance`.
    pub fn instance_memory(&self, instance: InstanceId, index: u32) -> Option<MemoryId> {
        let m = *self
            .instances
            .get(instance.0 as usize)?
            .memories
            .get(index as usize)?;
        Some(MemoryId(m))
    }

    /// Instantiates `module` with `imports` (one per import, in order): checks their types,
    /// allocates the module's own items, evaluates initializers, applies active segments, and
    /// runs the start function.
    ///
    /// Segment application and the start function may trap; writes they made to imported
    /// tables and memories stay, as the specification requires.
    pub fn instantiate(
        &mut self,
        module: &CompiledModule,
        imports: &[Extern],
    ) -> Result<InstanceId, Error> {
        let m = module.module();
        if imports.len() != m.imports.len() {
            return Err(Error::link(format!(
                "expected {} imports, got {}",
                m.imports.len(),
                imports.len()
            )));
        }
        let id = self.instances.len() as u32;
        let mut inst = InstanceEntity {
            module: Some(module.clone()),
            funcs: Vec::with_capacity(m.funcs.len()),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            type_ids: Vec::with_capacity(m.types.len()),
            datas: Vec::new(),
            elems: Vec::new(),
            exports: Vec::new(),
        };
        for ty in &m.types {
            let t = self.intern(ty);
            inst.type_ids.push(t);
        }
        for (import, ext) in m.imports.iter().zip(imports) {
            self.check_import(m, &import.kind, *ext).map_err(|why| {
                Error::link(format!(
                    "incompatible import type for \"{}\" \"{}\": {why}",
                    import.module, import.name
                ))
            })?;
            match *ext {
                Extern::Func(f) => inst.funcs.push(f.0),
                Extern::Table(t) => inst.tables.push(t.0),
                Extern::Memory(mem) => inst.memories.push(mem.0),
                Extern::Global(g) => inst.globals.push(g.0),
            }
        }
        for (i, code) in module.functions().iter().enumerate() {
            let ty = code.ty.clone();
            let type_id = inst.type_ids[m.funcs[m.num_imported_funcs as usize + i] as usize];
            self.funcs.push(FuncEntity {
                kind: FuncKind::Wasm {
                    instance: id,
                    code: code.clone(),
                },
                ty,
                type_id,
                host_slots: 0,
            });
            inst.funcs.push(self.funcs.len() as u32 - 1);
        }
        for ty in &m.tables[m.num_imported_tables as usize..] {
            let t = self.alloc_table(*ty, Val::FuncRef(None))?;
            inst.tables.push(t.0);
        }
        for ty in &m.memories[m.num_imported_memories as usize..] {
            let mem = self.alloc_memory(*ty)?;
            inst.memories.push(mem.0);
        }
        for (ty, init) in m.globals[m.num_imported_globals as usize..]
            .iter()
            .zip(&m.global_inits)
        {
            let value = self.eval(&inst, init);
            self.globals.push(GlobalEntity { ty: *ty, value });
            inst.globals.push(self.globals.len() as u32 - 1);
        }
        for export in &m.exports {
            let ext = match export.kind {
                ExternKind::Func(i) => Extern::Func(FuncId(inst.funcs[i as usize])),
                ExternKind::Table(i) => Extern::Table(TableId(inst.tables[i as usize])),
                ExternKind::Memory(i) => Extern::Memory(MemoryId(inst.memories[i as usize])),
                ExternKind::Global(i) => Extern::Global(GlobalId(inst.globals[i as usize])),
            };
            inst.exports.push((export.name.clone(), ext));
        }
        for seg in &m.elements {
            let items = seg
                .items
                .iter()
                .map(|e| self.eval(&inst, e) as u64)
                .collect();
            inst.elems.push(items);
        }
        inst.datas = m.datas.iter().map(|d| d.range.clone()).collect();
        self.instances.push(inst);

        for (i, seg) in m.elements.iter().enumerate() {
            match seg.mode {
                ElementMode::Active { table, offset } => {
                    let offset = self.eval(&self.instances[id as usize], &offset) as u32;
                    let len = seg.items.len() as u32;
                    let mut exec = Exec::new(self, id);
                    wz_interp::Env::table_init(&mut exec, table, i as u32, offset, 0, len)?;
                    self.instances[id as usize].elems[i] = Vec::new();
                }
                ElementMode::Declared => self.instances[id as usize].elems[i] = Vec::new(),
                ElementMode::Passive => {}
            }
        }
        for (i, seg) in m.datas.iter().enumerate() {
            if let DataMode::Active { memory: _, offset } = seg.mode {
                let offset = self.eval(&self.instances[id as usize], &offset) as u32;
                let len = seg.range.len() as u32;
                let mut exec = Exec::new(self, id);
                wz_interp::Env::memory_init(&mut exec, i as u32, offset, 0, len)?;
                self.instances[id as usize].datas[i] = 0..0;
            }
        }
        if let Some(start) = m.start {
            let f = FuncId(self.instances[id as usize].funcs[start as usize]);
            self.call(f, &[])?;
        }
        Ok(InstanceId(id))
    }

    fn eval(&self, inst: &InstanceEntity, expr: &ConstExpr) -> u128 {
        match *expr {
            ConstExpr::I32(v) => v as u32 as u128,
            ConstExpr::I64(v) => v as u64 as u128,
            ConstExpr::F32(v) => v as u128,
            ConstExpr::F64(v) => v as u128,
            ConstExpr::V128(v) => v,
            ConstExpr::RefNull(_) => 0,
            ConstExpr::RefFunc(f) => inst.funcs.get(f as usize).map_or(0, |h| *h as u128 + 1),
            ConstExpr::GlobalGet(g) => inst
                .globals
                .get(g as usize)
                .map_or(0, |h| self.globals[*h as usize].value),
        }
    }

    fn check_import(
        &self,
        m: &wz_binary::Module,
        kind: &ImportKind,
        ext: Extern,
    ) -> Result<(), &'static str> {
        match (kind, ext) {
            (ImportKind::Func(ty), Extern::Func(f)) => {
                let expected = m.types.get(*ty as usize).ok_or("unknown type")?;
                if &self.funcs[f.0 as usize].ty != expected {
                    return Err("function types differ");
                }
            }
            (ImportKind::Table(ty), Extern::Table(t)) => {
                let actual = &self.tables[t.0 as usize];
                if actual.ty.element != ty.element {
                    return Err("table element types differ");
                }
                limits_match(actual.elems.len() as u64, actual.ty.limits.max, ty.limits)?;
            }
            (ImportKind::Memory(ty), Extern::Memory(mem)) => {
                let actual = &self.memories[mem.0 as usize];
                limits_match(actual.pages() as u64, actual.ty.limits.max, ty.limits)?;
            }
            (ImportKind::Global(ty), Extern::Global(g)) => {
                if self.globals[g.0 as usize].ty != *ty {
                    return Err("global types differ");
                }
            }
            _ => return Err("the export is a different kind of item"),
        }
        Ok(())
    }

    // --- calls ----------------------------------------------------------------------------

    /// The type of a function.
    pub fn func_type(&self, func: FuncId) -> &FuncType {
        &self.funcs[func.0 as usize].ty
    }

    /// Calls `func` with `args`, returning its results.
    pub fn call(&mut self, func: FuncId, args: &[Val]) -> Result<Vec<Val>, Error> {
        let entity = self
            .funcs
            .get(func.0 as usize)
            .ok_or_else(|| Error::usage("unknown function"))?;
        let ty = entity.ty.clone();
        if args.len() != ty.params().len() {
            return Err(Error::usage(format!(
                "function expects {} arguments, got {}",
                ty.params().len(),
                args.len()
            )));
        }
        let mut slots = Vec::with_capacity(slot_count(ty.params()) as usize);
        for (arg, expected) in args.iter().zip(ty.params()) {
            if arg.ty() != *expected {
                return Err(Error::usage(format!(
                    "argument type mismatch: expected {expected}, got {}",
                    arg.ty()
                )));
            }
            push_slots(&mut slots, *arg);
        }
        let result_slots = slot_count(ty.results()) as usize;
        let mut results = vec![0u64; result_slots];
        if self.depth >= MAX_REENTRY {
            return Err(TrapCode::StackOverflow.into());
        }
        self.depth += 1;
        let outcome = match &self.funcs[func.0 as usize].kind {
            FuncKind::Wasm { instance, code } => {
                let (instance, code) = (*instance, code.clone());
                let mut stack = self.stacks.pop().unwrap_or_else(|| Stack::new(self.limits));
                let outcome = {
                    let mut exec = Exec::new(self, instance);
                    wz_interp::invoke(&mut exec, &mut stack, instance, &code, &slots, &mut results)
                };
                self.stacks.push(stack);
                outcome
            }
            FuncKind::Host(host) => {
                let f = host.f.clone();
                slots.resize(slots.len().max(result_slots), 0);
                let outcome = f(
                    &mut Caller {
                        store: self,
                        instance: None,
                    },
                    &mut slots,
                );
                results.copy_from_slice(&slots[..result_slots]);
                outcome
            }
        };
        self.depth -= 1;
        outcome?;
        let mut out = Vec::with_capacity(ty.results().len());
        let mut i = 0;
        for &t in ty.results() {
            let bits = if t == ValType::V128 {
                let v = results[i] as u128 | (results[i + 1] as u128) << 64;
                i += 2;
                v
            } else {
                i += 1;
                results[i - 1] as u128
            };
            out.push(Val::from_bits(t, bits));
        }
        Ok(out)
    }

    // --- globals, memories, tables ----------------------------------------------------------

    /// A global's current value.
    pub fn global_get(&self, global: GlobalId) -> Val {
        let g = &self.globals[global.0 as usize];
        Val::from_bits(g.ty.content, g.value)
    }

    /// A global's type.
    pub fn global_type(&self, global: GlobalId) -> GlobalType {
        self.globals[global.0 as usize].ty
    }

    /// Sets a mutable global.
    pub fn global_set(&mut self, global: GlobalId, value: Val) -> Result<(), Error> {
        let g = &mut self.globals[global.0 as usize];
        if !g.ty.mutable {
            return Err(Error::usage("global is immutable"));
        }
        if g.ty.content != value.ty() {
            return Err(Error::usage("global value has the wrong type"));
        }
        g.value = value.to_bits();
        Ok(())
    }

    /// A memory's bytes.
    pub fn memory_data(&self, memory: MemoryId) -> &[u8] {
        &self.memories[memory.0 as usize].data
    }

    /// A memory's bytes, writable.
    pub fn memory_data_mut(&mut self, memory: MemoryId) -> &mut [u8] {
        &mut self.memories[memory.0 as usize].data
    }

    /// A memory's size in pages.
    pub fn memory_pages(&self, memory: MemoryId) -> u32 {
        self.memories[memory.0 as usize].pages()
    }

    /// Grows a memory; the old size in pages, or `None` if it cannot grow.
    pub fn memory_grow(&mut self, memory: MemoryId, delta: u32) -> Option<u32> {
        self.memories[memory.0 as usize].grow(delta as u64)
    }

    /// A table's current size.
    pub fn table_size(&self, table: TableId) -> u32 {
        self.tables[table.0 as usize].elems.len() as u32
    }
}

fn limits_match(
    actual_min: u64,
    actual_max: Option<u64>,
    expected: wz_binary::Limits,
) -> Result<(), &'static str> {
    if actual_min < expected.min {
        return Err("size is below the import's minimum");
    }
    if let Some(max) = expected.max {
        match actual_max {
            Some(am) if am <= max => {}
            _ => return Err("maximum is above the import's maximum"),
        }
    }
    Ok(())
}

pub(crate) fn slot_count(types: &[ValType]) -> u32 {
    types
        .iter()
        .map(|t| if *t == ValType::V128 { 2 } else { 1 })
        .sum()
}

fn push_slots(slots: &mut Vec<u64>, v: Val) {
    let bits = v.to_bits();
    slots.push(bits as u64);
    if v.ty() == ValType::V128 {
        slots.push((bits >> 64) as u64);
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}
