use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wz_binary::{
    ConstExpr, DataMode, ElementMode, ExternKind, FuncType, GlobalType, ImportKind, MemoryType,
    TableType, ValType,
};
use wz_cranelift::BoundsChecks;
use wz_cranelift::vm::{InstanceContext, VMFuncRef, VMHostContext, VMStoreContext};
use wz_interp::{Stack, StackLimits};

use crate::exec::Exec;
use crate::objects::*;
use crate::values::*;
use crate::{CompiledModule, Engine, Error, ErrorKind, ExportNames, HostFunc, TrapCode};

/// `vm.fuel` without a budget: far enough below zero never to be reached.
const UNLIMITED_FUEL: i64 = i64::MIN / 2;

/// The id of the next store made.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// How deeply host functions may re-enter wasm (each level uses some host stack).
const MAX_REENTRY: u32 = 200;

/// Owns every runtime object: functions, memories, tables, globals and instances.
#[derive(Debug)]
pub struct Store {
    /// Unique among the process's stores (see [`Store::id`]).
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    /// State shared with compiled code (JIT stores).
    pub(crate) vm: Box<VMStoreContext>,
    /// Every function's [`VMFuncRef`] by id (JIT stores); `vm.funcrefs` points here.
    pub(crate) funcrefs: Vec<*const VMFuncRef>,
    /// The error a builtin or host function reported to compiled code.
    pub(crate) pending: Option<Error>,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    types: HashMap<FuncType, u32>,
    /// Every interned type by id: functions name their type by id only.
    pub(crate) type_list: Vec<TypeInfo>,
    /// Host functions in sets (see `FuncKind::Host`).
    pub(crate) host_sets: Vec<Arc<[HostFunc]>>,
    /// The type [`Store::intern`] saw last, and its id.
    last_interned: Option<(FuncType, u32)>,
    /// Every function's reference, by id (JIT stores), and the contexts host functions'
    /// references point to; both at stable addresses.
    vmfuncs: Chunks<VMFuncRef>,
    host_contexts: Chunks<VMHostContext>,
    names: HashMap<String, InstanceId>,
    stacks: Vec<Stack>,
    depth: u32,
    limits: StackLimits,
    memory_limits: MemoryLimits,
    /// Polled by metered code through `vm.interrupt` (see [`Store::interrupt_word`]).
    pub(crate) interrupt: Arc<AtomicU64>,
    /// Whether calls have a fuel budget (`vm.fuel` counts toward it).
    fuel_limited: bool,
    /// Whether failed calls record a backtrace (see [`Store::set_backtraces`]).
    pub(crate) backtraces: bool,
    /// The listened calls in progress, innermost last (see [`crate::FuncListener`]).
    pub(crate) listened: Vec<u32>,
    /// Gives the functions of new instances their listeners.
    pub(crate) listener_factory: Option<crate::listen::Factory>,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_engine(Engine::interpreter())
    }
}

impl Store {
    /// An empty interpreter store with default stack limits.
    pub fn new() -> Self {
        Store::default()
    }

    /// An empty store running code on `engine`. Modules instantiated in it must have been
    /// compiled for the same engine.
    pub fn with_engine(engine: Engine) -> Self {
        let interrupt = Arc::new(AtomicU64::new(0));
        Store {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine,
            vm: Box::new(VMStoreContext {
                stack_limit: 0,
                funcrefs: std::ptr::null(),
                builtins: &crate::jit::BUILTINS,
                store: std::ptr::null_mut(),
                fuel: UNLIMITED_FUEL,
                interrupt: Arc::as_ptr(&interrupt),
            }),
            interrupt,
            fuel_limited: false,
            backtraces: true,
            listened: Vec::new(),
            listener_factory: None,
            funcrefs: Vec::new(),
            pending: None,
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            types: HashMap::new(),
            type_list: Vec::new(),
            host_sets: Vec::new(),
            last_interned: None,
            vmfuncs: Chunks::default(),
            host_contexts: Chunks::default(),
            names: HashMap::new(),
            stacks: Vec::new(),
            depth: 0,
            limits: StackLimits::default(),
            memory_limits: MemoryLimits::default(),
        }
    }

    /// An empty interpreter store whose calls run with the given stack limits.
    pub fn with_limits(limits: StackLimits) -> Self {
        Store {
            limits,
            ..Store::default()
        }
    }

    /// Gives the calls that follow a budget of `fuel` wasm operators, shared by all of them
    /// until it is set again (`None`: no limit). Only code compiled with fuel metering
    /// ([`crate::Metering`]) counts; it traps with [`TrapCode::OutOfFuel`] at the first check
    /// after the budget is spent.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.fuel_limited = fuel.is_some();
        self.vm.fuel = match fuel {
            Some(fuel) => -(fuel.min(i64::MAX as u64) as i64),
            None => UNLIMITED_FUEL,
        };
    }

    /// What is left of the budget set by [`Store::set_fuel`] (`None` without one).
    pub fn fuel(&self) -> Option<u64> {
        self.fuel_limited
            .then(|| self.vm.fuel.min(0).unsigned_abs())
    }

    /// The word metered code polls for interruption: setting its low bit makes the running
    /// call (and every later one, until the bit is cleared) trap with
    /// [`TrapCode::Interrupted`] at its next function entry or loop iteration. Any thread may
    /// set it; the owner of the store clears it.
    pub fn interrupt_word(&self) -> &Arc<AtomicU64> {
        &self.interrupt
    }

    /// Attaches `data` to `instance`; host functions it calls reach it through
    /// [`crate::Caller::instance_data`].
    pub fn set_instance_data(
        &mut self,
        instance: InstanceId,
        data: Arc<dyn std::any::Any + Send + Sync>,
    ) {
        if let Some(entity) = self.instances.get_mut(instance.0 as usize) {
            entity.data = Some(data);
        }
    }

    /// The data attached to `instance`, if it is a `T`.
    pub fn instance_data<T: std::any::Any + Send + Sync>(
        &self,
        instance: InstanceId,
    ) -> Option<Arc<T>> {
        let data = self.instances.get(instance.0 as usize)?.data.clone()?;
        data.downcast::<T>().ok()
    }

    /// Limits every memory created from now on: a cap on its pages and whether its maximum
    /// is reserved up front.
    pub fn set_memory_limits(&mut self, limits: MemoryLimits) {
        self.memory_limits = limits;
    }

    /// The limits set by [`Store::set_memory_limits`].
    pub fn memory_limits(&self) -> MemoryLimits {
        self.memory_limits
    }

    /// The engine running this store's code.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Adds a function entity and, in a JIT store, its function reference (whose index in
    /// `vmfuncs` is the function's id).
    fn push_func(&mut self, kind: FuncKind, type_id: u32) -> Result<FuncId, Error> {
        let info = &mut self.type_list[type_id as usize];
        let entity = FuncEntity::new(kind, type_id, info.call_slots);
        let id = self.funcs.len() as u32;
        if let Engine::Compiler(jit) = &self.engine {
            if info.trampolines.is_none() {
                info.trampolines = Some(jit.trampolines(&info.ty)?);
            }
            let trampolines = info.trampolines.as_deref().expect("set above");
            let vm: *mut VMStoreContext = &mut *self.vm;
            let mut func = VMFuncRef {
                code: std::ptr::null(),
                vmctx: std::ptr::null_mut(),
                type_id: entity.type_id,
                id,
            };
            if let FuncKind::Host { .. } = &entity.kind {
                let ctx = self.host_contexts.push(VMHostContext {
                    store: vm,
                    func: id,
                });
                func.code = trampolines.host_adapter();
                func.vmctx = (ctx as *mut VMHostContext).cast();
            }
            debug_assert_eq!(self.vmfuncs.len(), id as usize);
            let func: *const VMFuncRef = self.vmfuncs.push(func);
            self.funcrefs.push(func);
            self.vm.funcrefs = self.funcrefs.as_ptr();
        }
        self.funcs.push(entity);
        Ok(FuncId(id))
    }

    /// The entry trampoline and host adapter of functions of interned type `type_id` (JIT
    /// stores; every function's type has them).
    pub(crate) fn trampolines(&self, type_id: u32) -> Option<&Arc<wz_cranelift::Trampolines>> {
        self.type_list.get(type_id as usize)?.trampolines.as_ref()
    }

    /// The reference compiled code sees of function `id` (JIT stores only).
    pub(crate) fn vmfunc(&self, id: u32) -> Option<&VMFuncRef> {
        self.vmfuncs.get(id as usize)
    }

    fn intern(&mut self, ty: &FuncType) -> u32 {
        // Functions added in a row often share a type (a host module's, a module's types
        // in order): compare with the last one before hashing.
        if let Some((last, id)) = &self.last_interned
            && last == ty
        {
            return *id;
        }
        let id = match self.types.get(ty) {
            Some(&id) => id,
            None => {
                let next = self.types.len() as u32;
                self.types.insert(ty.clone(), next);
                self.type_list.push(TypeInfo {
                    ty: ty.clone(),
                    call_slots: slot_count(ty.params()).max(slot_count(ty.results())),
                    trampolines: None,
                });
                next
            }
        };
        self.last_interned = Some((ty.clone(), id));
        id
    }

    // --- allocation -----------------------------------------------------------------------

    /// Makes room for `additional` more functions.
    fn reserve_funcs(&mut self, additional: usize) {
        self.funcs.reserve(additional);
        if matches!(self.engine, Engine::Compiler(_)) {
            self.funcrefs.reserve(additional);
        }
    }

    /// Adds a host function to the store. Fails only if the JIT cannot compile the adapter
    /// for its signature.
    pub fn alloc_host_func(&mut self, func: HostFunc) -> Result<FuncId, Error> {
        let ids = self.alloc_host_funcs(Arc::from(vec![func]))?;
        Ok(ids[0])
    }

    /// Adds host functions sharing one set (a host module's, instantiated in many stores):
    /// their ids, in order. Fails only if the JIT cannot compile an adapter.
    pub fn alloc_host_funcs(&mut self, funcs: Arc<[HostFunc]>) -> Result<Vec<FuncId>, Error> {
        let set = self.host_sets.len() as u32;
        self.reserve_funcs(funcs.len());
        let mut ids = Vec::with_capacity(funcs.len());
        for (index, func) in funcs.iter().enumerate() {
            let type_id = self.intern(&func.ty);
            ids.push(self.push_func(
                FuncKind::Host {
                    set,
                    index: index as u32,
                },
                type_id,
            )?);
        }
        self.host_sets.push(funcs);
        Ok(ids)
    }

    fn bounds_checks(&self) -> BoundsChecks {
        match &self.engine {
            Engine::Compiler(jit) => jit.config().bounds_checks,
            Engine::Interpreter(_) => BoundsChecks::Explicit,
        }
    }

    /// Adds a memory of the given type, zero-filled.
    pub fn alloc_memory(&mut self, ty: MemoryType) -> Result<MemoryId, Error> {
        self.alloc_memory_with_image(ty, None)
    }

    fn alloc_memory_with_image(
        &mut self,
        ty: MemoryType,
        image: Option<&wz_cranelift::MemoryImage>,
    ) -> Result<MemoryId, Error> {
        let strategy = self.bounds_checks();
        self.memories
            .push(MemoryEntity::new(ty, strategy, self.memory_limits, image)?);
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
        self.globals.push(GlobalEntity::new(ty, value.to_bits()));
        Ok(GlobalId(self.globals.len() as u32 - 1))
    }

    /// Creates an instance that only exports the given items (a host module).
    pub fn alloc_host_instance(&mut self, exports: Vec<(String, Extern)>) -> InstanceId {
        let (names, exports): (Vec<String>, Vec<Extern>) = exports.into_iter().unzip();
        self.alloc_host_instance_with(Arc::new(ExportNames::new(names)), exports)
    }

    /// [`Store::alloc_host_instance`] with names prepared once (for a host module
    /// instantiated in many stores): `exports[i]` is exported as `names`' name `i`.
    pub fn alloc_host_instance_with(
        &mut self,
        names: Arc<ExportNames>,
        exports: Vec<Extern>,
    ) -> InstanceId {
        debug_assert_eq!(names.len(), exports.len());
        self.instances.push(InstanceEntity {
            module: None,
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            type_ids: Vec::new(),
            datas: Vec::new(),
            elems: Vec::new(),
            export_names: names,
            exports,
            vmctx: None,
            data: None,
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

    /// Removes the registration of `name`, so it can be taken again; the instance stays.
    pub fn unregister(&mut self, name: &str) -> Option<InstanceId> {
        self.names.remove(name)
    }

    /// The instance registered under `name`.
    pub fn instance_by_name(&self, name: &str) -> Option<InstanceId> {
        self.names.get(name).copied()
    }

    /// Resolves each import of `module` against the registered instances' exports. Where
    /// an import was found in the same export list before (another instance of the same
    /// host or wasm module, in any store), its position is remembered: no name is looked
    /// up twice.
    pub fn resolve_imports(&self, module: &CompiledModule) -> Result<Vec<Extern>, Error> {
        let imports = &module.module().imports;
        let mut out = Vec::with_capacity(imports.len());
        let mut plan = module.import_plan();
        // Imports come grouped by module name; look each name up once per run.
        let mut current: Option<(&str, &InstanceEntity)> = None;
        for (i, import) in imports.iter().enumerate() {
            let instance = match current {
                Some((name, inst)) if name == import.module => inst,
                _ => {
                    let inst = self
                        .instance_by_name(&import.module)
                        .and_then(|id| self.instances.get(id.0 as usize))
                        .ok_or_else(|| {
                            Error::link(format!(
                                "unknown import \"{}\" \"{}\": no module \"{}\" is instantiated",
                                import.module, import.name, import.module
                            ))
                        })?;
                    current = Some((&import.module, inst));
                    inst
                }
            };
            let position = plan
                .position(i, imports.len(), &instance.export_names, || {
                    instance.export_names.position(&import.name)
                })
                .ok_or_else(|| {
                    Error::link(format!(
                        "unknown import: \"{}\" \"{}\" is not exported",
                        import.module, import.name
                    ))
                })?;
            out.push(instance.exports[position]);
        }
        Ok(out)
    }

    // --- instances ------------------------------------------------------------------------

    /// An export of `instance` by name.
    pub fn export(&self, instance: InstanceId, name: &str) -> Option<Extern> {
        let inst = self.instances.get(instance.0 as usize)?;
        Some(inst.exports[inst.export_names.position(name)?])
    }

    /// The exports of `instance`, in order.
    pub fn exports(&self, instance: InstanceId) -> impl Iterator<Item = (&str, Extern)> {
        self.instances
            .get(instance.0 as usize)
            .into_iter()
            .flat_map(|i| {
                (0..i.exports.len()).map(|p| (i.export_names.name(p).unwrap_or(""), i.exports[p]))
            })
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
        self.instantiate_with_data(module, imports, None)
    }

    /// [`Store::instantiate`] with `data` attached to the instance before its start function
    /// runs (see [`Store::set_instance_data`]).
    pub fn instantiate_with_data(
        &mut self,
        module: &CompiledModule,
        imports: &[Extern],
        data: Option<Arc<dyn std::any::Any + Send + Sync>>,
    ) -> Result<InstanceId, Error> {
        let m = module.module();
        if !module.engine().same(&self.engine) {
            return Err(Error::usage(format!(
                "module was compiled for the {} engine, but the store runs the {} engine",
                module.engine().name(),
                self.engine.name()
            )));
        }
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
            export_names: module.export_names().clone(),
            exports: Vec::with_capacity(m.exports.len()),
            vmctx: module.jit().map(|j| InstanceContext::new(j.vm_offsets())),
            data,
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
        self.reserve_funcs(m.bodies.len());
        for (i, code) in module.functions().iter().enumerate() {
            let type_id = inst.type_ids[m.funcs[m.num_imported_funcs as usize + i] as usize];
            let kind = FuncKind::Wasm {
                instance: id,
                code: code.clone(),
            };
            let f = self.push_func(kind, type_id)?;
            inst.funcs.push(f.0);
        }
        if let Some(jit) = module.jit() {
            let vmctx = inst
                .vmctx
                .as_mut()
                .expect("compiled instances have a vmctx")
                .as_ptr();
            for defined in 0..m.bodies.len() as u32 {
                let index = m.num_imported_funcs + defined;
                let type_id = inst.type_ids[m.funcs[index as usize] as usize];
                let f = self.push_func(FuncKind::Jit, type_id)?;
                let vmfunc = self
                    .vmfuncs
                    .get_mut(f.0 as usize)
                    .expect("JIT stores give every function a reference");
                vmfunc.code = jit.function(defined);
                vmfunc.vmctx = vmctx;
                inst.funcs.push(f.0);
            }
        }
        for ty in &m.tables[m.num_imported_tables as usize..] {
            let t = self.alloc_table(*ty, Val::FuncRef(None))?;
            inst.tables.push(t.0);
        }
        // The active data segments are already in the image, when there is one.
        let image = module.memory_image();
        for ty in &m.memories[m.num_imported_memories as usize..] {
            let image = if inst.memories.is_empty() {
                image
            } else {
                None
            };
            let mem = self.alloc_memory_with_image(*ty, image)?;
            inst.memories.push(mem.0);
        }
        for (ty, init) in m.globals[m.num_imported_globals as usize..]
            .iter()
            .zip(&m.global_inits)
        {
            let value = self.eval(&inst, init);
            self.globals.push(GlobalEntity::new(*ty, value));
            inst.globals.push(self.globals.len() as u32 - 1);
        }
        for export in &m.exports {
            let ext = match export.kind {
                ExternKind::Func(i) => Extern::Func(FuncId(inst.funcs[i as usize])),
                ExternKind::Table(i) => Extern::Table(TableId(inst.tables[i as usize])),
                ExternKind::Memory(i) => Extern::Memory(MemoryId(inst.memories[i as usize])),
                ExternKind::Global(i) => Extern::Global(GlobalId(inst.globals[i as usize])),
            };
            inst.exports.push(ext);
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
        if let Some(vmctx) = inst.vmctx.as_mut() {
            self.fill_vmctx(
                vmctx,
                &inst.funcs,
                &inst.memories,
                &inst.tables,
                &inst.globals,
                &inst.type_ids,
                id,
            );
        }
        if let Some(crate::listen::Factory(factory)) = self.listener_factory.clone() {
            for index in m.num_imported_funcs..m.funcs.len() as u32 {
                let func = inst.funcs[index as usize] as usize;
                self.funcs[func].listener = factory(m, index);
            }
        }
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
                if image.is_some() {
                    self.instances[id as usize].datas[i] = 0..0;
                    continue;
                }
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

    /// Points a compiled instance's vmctx at its functions, memory, tables and globals.
    #[allow(clippy::too_many_arguments)]
    fn fill_vmctx(
        &mut self,
        vmctx: &mut InstanceContext,
        funcs: &[u32],
        memories: &[u32],
        tables: &[u32],
        globals: &[u32],
        type_ids: &[u32],
        id: u32,
    ) {
        vmctx.set_store(&mut *self.vm);
        vmctx.set_instance(id);
        if let Some(&m) = memories.first() {
            vmctx.set_memory(self.memories[m as usize].data.def_ptr());
        }
        for (i, &f) in funcs.iter().enumerate() {
            if let Some(r) = self.vmfuncs.get(f as usize) {
                vmctx.set_func(i as u32, r);
            }
        }
        for (i, &t) in tables.iter().enumerate() {
            vmctx.set_table(i as u32, &mut *self.tables[t as usize].def);
        }
        for (i, &g) in globals.iter().enumerate() {
            vmctx.set_global(i as u32, self.globals[g as usize].cell.as_ptr());
        }
        for (i, &t) in type_ids.iter().enumerate() {
            vmctx.set_type_id(i as u32, t);
        }
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
                .map_or(0, |h| self.globals[*h as usize].get()),
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
                if self.func_type(f) != expected {
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
        &self.type_list[self.funcs[func.0 as usize].type_id as usize].ty
    }

    /// The number of raw slots a call of `func` needs: the larger of its parameter and result
    /// slots (one per value, two per `v128`).
    pub fn call_slots(&self, func: FuncId) -> usize {
        self.funcs
            .get(func.0 as usize)
            .map_or(0, |f| f.host_slots as usize)
    }

    /// The error of a raw call with fewer than the `slots` `func` needs (off the hot path).
    #[cold]
    #[inline(never)]
    fn too_few_slots(&self, func: FuncId, slots: usize) -> Error {
        let entity = &self.funcs[func.0 as usize];
        Error::usage(format!(
            "a call of {} needs {} slots, got {slots}",
            self.type_list[entity.type_id as usize].ty, entity.host_slots,
        ))
    }

    /// The store's id: no two stores of the process share one.
    ///
    /// ```
    /// use wz_store::Store;
    /// assert_ne!(Store::default().id(), Store::default().id());
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The resolved call target of `func` when it is compiled code of this (JIT) store:
    /// [`Store::call_jit`] calls it with less work than [`Store::call_raw`]. `None` for
    /// interpreted and host functions and unknown ids.
    pub fn jit_entry(&self, func: FuncId) -> Option<crate::JitEntry> {
        let entity = self.funcs.get(func.0 as usize)?;
        if !matches!(entity.kind, FuncKind::Jit) {
            return None;
        }
        let entry = self.trampolines(entity.type_id)?.entry();
        let vmfunc = self.vmfunc(func.0)?;
        Some(crate::JitEntry {
            store: self.id,
            func,
            entry,
            vmfunc,
            slots: entity.host_slots,
        })
    }

    /// Calls the function of `entry` (made by [`Store::jit_entry`] of this store) as
    /// [`Store::call_raw`] does: the parameters in `slots`, at least [`JitEntry::slots`]
    /// long, are replaced by the results. An entry of another store is an error.
    ///
    /// [`JitEntry::slots`]: crate::JitEntry::slots
    #[inline]
    pub fn call_jit(&mut self, entry: &crate::JitEntry, slots: &mut [u64]) -> Result<(), Error> {
        self.nested(|store| crate::jit::call_entry(store, entry, slots))
    }

    /// Runs `call` one call level deeper: refused past [`MAX_REENTRY`] levels (host functions
    /// calling back into wasm), and a failure ends the listened calls it left open.
    #[inline(always)]
    fn nested(&mut self, call: impl FnOnce(&mut Store) -> Result<(), Error>) -> Result<(), Error> {
        if self.depth >= MAX_REENTRY {
            return Err(TrapCode::StackOverflow.into());
        }
        self.depth += 1;
        let listened = self.listened.len();
        let outcome = call(self);
        self.depth -= 1;
        if let Err(error) = &outcome {
            self.abort_listened(listened, error);
        }
        outcome
    }

    /// Calls `func` with raw values, without allocating: the parameters are in `slots` on
    /// entry (one slot per value, two for a `v128`, low half first) and the results replace
    /// them. `slots` must hold at least [`Store::call_slots`] values; types are not checked.
    pub fn call_raw(&mut self, func: FuncId, slots: &mut [u64]) -> Result<(), Error> {
        let Some(entity) = self.funcs.get(func.0 as usize) else {
            return Err(unknown_function());
        };
        if slots.len() < entity.host_slots as usize {
            return Err(self.too_few_slots(func, slots.len()));
        }
        self.nested(|store| match &store.funcs[func.0 as usize].kind {
            FuncKind::Jit => crate::jit::call(store, func, slots),
            FuncKind::Wasm { instance, code } => {
                let (instance, code) = (*instance, code.clone());
                store.call_interpreted(instance, &code, slots)
            }
            FuncKind::Host { .. } => store.call_host(func.0, None, slots),
        })
    }

    /// Runs interpreted function `code` of `instance` with `slots` on a pooled stack, adding
    /// the wasm frames to a trap's error.
    fn call_interpreted(
        &mut self,
        instance: u32,
        code: &Arc<wz_interp::Code>,
        slots: &mut [u64],
    ) -> Result<(), Error> {
        let params = code.num_param_slots as usize;
        let mut stack = self.stacks.pop().unwrap_or_else(|| Stack::new(self.limits));
        let mut small = [0u64; 16];
        let mut large = Vec::new();
        let args: &[u64] = if params <= small.len() {
            small[..params].copy_from_slice(&slots[..params]);
            &small[..params]
        } else {
            large.extend_from_slice(&slots[..params]);
            &large
        };
        let mut outcome = {
            let mut exec = Exec::new(self, instance);
            wz_interp::invoke(&mut exec, &mut stack, instance, code, args, slots)
        };
        if let Err(error) = &mut outcome
            && self.backtraces
            && error.wants_backtrace()
        {
            let trace = stack.trace();
            let omitted = trace.len().saturating_sub(crate::backtrace::MAX_FRAMES);
            let frames: Vec<_> = trace
                .take(crate::backtrace::MAX_FRAMES)
                .map(|f| self.frame_info(f.instance, f.func.index, f.module_offset()))
                .collect();
            error.add_frames(frames, omitted);
        }
        stack.clear_trace();
        self.stacks.push(stack);
        outcome
    }

    /// Calls `func` with `args`, returning its results. Checks the argument types;
    /// [`Store::call_raw`] is the allocation-free form.
    pub fn call(&mut self, func: FuncId, args: &[Val]) -> Result<Vec<Val>, Error> {
        let entity = self
            .funcs
            .get(func.0 as usize)
            .ok_or_else(|| Error::usage("unknown function"))?;
        let ty = self.type_list[entity.type_id as usize].ty.clone();
        if args.len() != ty.params().len() {
            return Err(Error::usage(format!(
                "function expects {} arguments, got {}",
                ty.params().len(),
                args.len()
            )));
        }
        let mut slots = Vec::with_capacity(entity.host_slots as usize);
        for (arg, expected) in args.iter().zip(ty.params()) {
            if arg.ty() != *expected {
                return Err(Error::usage(format!(
                    "argument type mismatch: expected {expected}, got {}",
                    arg.ty()
                )));
            }
            push_slots(&mut slots, *arg);
        }
        slots.resize(entity.host_slots as usize, 0);
        self.call_raw(func, &mut slots)?;
        let mut out = Vec::with_capacity(ty.results().len());
        let mut i = 0;
        for &t in ty.results() {
            let bits = if t == ValType::V128 {
                let v = slots[i] as u128 | (slots[i + 1] as u128) << 64;
                i += 2;
                v
            } else {
                i += 1;
                slots[i - 1] as u128
            };
            out.push(Val::from_bits(t, bits));
        }
        Ok(out)
    }

    // --- globals, memories, tables ----------------------------------------------------------

    /// A global's current value.
    pub fn global_get(&self, global: GlobalId) -> Val {
        let g = &self.globals[global.0 as usize];
        Val::from_bits(g.ty.content, g.get())
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
        g.set(value.to_bits());
        Ok(())
    }

    /// A memory's bytes.
    pub fn memory_data(&self, memory: MemoryId) -> &[u8] {
        self.memories[memory.0 as usize].data.as_slice()
    }

    /// A memory's bytes, writable.
    pub fn memory_data_mut(&mut self, memory: MemoryId) -> &mut [u8] {
        self.memories[memory.0 as usize].data.as_mut_slice()
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

/// The raw slots values of `types` take: one each, two per `v128`.
pub fn slot_count(types: &[ValType]) -> u32 {
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

/// The error of a call of a function the store does not have (off the hot path).
#[cold]
#[inline(never)]
fn unknown_function() -> Error {
    Error::usage("unknown function")
}
