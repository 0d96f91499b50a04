//! The store's side of the engine interface: [`wz_interp::Env`] over the store's arenas, for
//! one current instance at a time.

use wz_interp::{Callee, Env};

use crate::objects::FuncKind;
use crate::store::Store;
use crate::values::InstanceId;
use crate::{Error, TrapCode};

const NONE: u32 = u32::MAX;

pub(crate) struct Exec<'s> {
    store: &'s mut Store,
    instance: u32,
    /// Store index of the current instance's memory 0, or `NONE`.
    memory: u32,
}

impl<'s> Exec<'s> {
    pub fn new(store: &'s mut Store, instance: u32) -> Self {
        let mut exec = Exec {
            store,
            instance,
            memory: NONE,
        };
        exec.enter(instance);
        exec
    }

    fn table_index(&self, table: u32) -> usize {
        self.store.instances[self.instance as usize].tables[table as usize] as usize
    }

    fn callee_of(&self, func: u32) -> Callee<'_> {
        let f = &self.store.funcs[func as usize];
        match &f.kind {
            FuncKind::Wasm { instance, code } => Callee::Wasm {
                instance: *instance,
                func: code,
            },
            // An interpreter store holds no compiled functions; were one reached, calling it
            // through the host path reports a trap instead of running it.
            FuncKind::Jit => Callee::Host { func, slots: 0 },
            FuncKind::Host { .. } => Callee::Host {
                func,
                slots: f.host_slots,
            },
        }
    }
}

fn range_ok(start: u32, len: u32, size: usize) -> bool {
    start as u64 + len as u64 <= size as u64
}

// SAFETY: `memory` returns the current instance's memory 0. Of the methods below only
// `enter` (switches the instance), `memory_grow`, `memory_init` and `call_host` (host code may
// grow or write any memory) and the listener hooks reach a memory's bytes or size; the others
// touch globals, tables, segments, function entities and limits only. The `Code` that
// `callee` and `indirect_callee` hand out is held by a function entity, and the store only
// ever appends function entities (never drops or replaces one before the store itself goes),
// so it stays alive for as long as the interpreter runs it. `defined_functions` returns the
// function list of an instance's compiled module, which the instance holds (instances are
// never dropped before the store either) and which never changes after compilation; it is
// what instantiation made the instance's function entities from, in the same order.
#[allow(unsafe_code)]
unsafe impl Env for Exec<'_> {
    type Error = Error;

    fn consume_fuel(&mut self, amount: u32) {
        let fuel = &mut self.store.vm.fuel;
        *fuel = fuel.wrapping_add(amount as i64);
    }

    fn meter(&mut self) -> Option<wz_interp::Meter> {
        // What `consume_fuel` and `check_limits` work on; `vm` is boxed, so the addresses
        // hold while the store is borrowed for the call.
        Some(wz_interp::Meter {
            fuel: &mut self.store.vm.fuel,
            interrupt: self.store.vm.interrupt,
        })
    }

    fn check_limits(&mut self) -> Result<(), TrapCode> {
        if self.store.vm.fuel > 0 {
            return Err(TrapCode::OutOfFuel);
        }
        if self
            .store
            .interrupt
            .load(std::sync::atomic::Ordering::Relaxed)
            & 1
            != 0
        {
            return Err(TrapCode::Interrupted);
        }
        Ok(())
    }

    fn memory(&mut self) -> &mut [u8] {
        if self.memory == NONE {
            return &mut [];
        }
        self.store.memories[self.memory as usize]
            .data
            .as_mut_slice()
    }

    fn memory_size(&mut self) -> u32 {
        if self.memory == NONE {
            return 0;
        }
        self.store.memories[self.memory as usize].pages()
    }

    fn memory_grow(&mut self, delta: u32) -> u32 {
        if self.memory == NONE {
            return u32::MAX;
        }
        self.store.memories[self.memory as usize]
            .grow(delta as u64)
            .unwrap_or(u32::MAX)
    }

    fn memory_init(&mut self, segment: u32, dst: u32, src: u32, len: u32) -> Result<(), TrapCode> {
        let inst = &self.store.instances[self.instance as usize];
        let range = inst.datas[segment as usize].clone();
        let module = inst
            .module
            .as_ref()
            .expect("wasm instances keep their module");
        let bytes = &module.module().bytes[range];
        if !range_ok(src, len, bytes.len()) {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        let bytes = &bytes[src as usize..(src + len) as usize];
        if self.memory == NONE {
            return if len == 0 && dst == 0 {
                Ok(())
            } else {
                Err(TrapCode::MemoryOutOfBounds)
            };
        }
        let mem = self.store.memories[self.memory as usize]
            .data
            .as_mut_slice();
        if !range_ok(dst, len, mem.len()) {
            return Err(TrapCode::MemoryOutOfBounds);
        }
        mem[dst as usize..(dst + len) as usize].copy_from_slice(bytes);
        Ok(())
    }

    fn data_drop(&mut self, segment: u32) {
        self.store.instances[self.instance as usize].datas[segment as usize] = 0..0;
    }

    fn global_get(&mut self, index: u32) -> u128 {
        let g = self.store.instances[self.instance as usize].globals[index as usize];
        self.store.globals[g as usize].get()
    }

    fn global_set(&mut self, index: u32, value: u128) {
        let g = self.store.instances[self.instance as usize].globals[index as usize];
        self.store.globals[g as usize].set(value);
    }

    fn table_get(&mut self, table: u32, index: u32) -> Result<u64, TrapCode> {
        let t = self.table_index(table);
        self.store.tables[t]
            .elems
            .get(index as usize)
            .copied()
            .ok_or(TrapCode::TableOutOfBounds)
    }

    fn table_set(&mut self, table: u32, index: u32, value: u64) -> Result<(), TrapCode> {
        let t = self.table_index(table);
        let slot = self.store.tables[t]
            .elems
            .get_mut(index as usize)
            .ok_or(TrapCode::TableOutOfBounds)?;
        *slot = value;
        Ok(())
    }

    fn table_size(&mut self, table: u32) -> u32 {
        let t = self.table_index(table);
        self.store.tables[t].elems.len() as u32
    }

    fn table_grow(&mut self, table: u32, delta: u32, init: u64) -> u32 {
        let t = self.table_index(table);
        self.store.tables[t].grow(delta, init).unwrap_or(u32::MAX)
    }

    fn table_fill(&mut self, table: u32, dst: u32, value: u64, len: u32) -> Result<(), TrapCode> {
        let t = self.table_index(table);
        let elems = &mut self.store.tables[t].elems;
        if !range_ok(dst, len, elems.len()) {
            return Err(TrapCode::TableOutOfBounds);
        }
        elems[dst as usize..(dst + len) as usize].fill(value);
        Ok(())
    }

    fn table_copy(
        &mut self,
        dst_table: u32,
        src_table: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let d = self.table_index(dst_table);
        let s = self.table_index(src_table);
        if !range_ok(src, len, self.store.tables[s].elems.len())
            || !range_ok(dst, len, self.store.tables[d].elems.len())
        {
            return Err(TrapCode::TableOutOfBounds);
        }
        let (src, dst, len) = (src as usize, dst as usize, len as usize);
        if d == s {
            self.store.tables[d].elems.copy_within(src..src + len, dst);
        } else {
            let tmp: Vec<u64> = self.store.tables[s].elems[src..src + len].to_vec();
            self.store.tables[d].elems[dst..dst + len].copy_from_slice(&tmp);
        }
        Ok(())
    }

    fn table_init(
        &mut self,
        table: u32,
        elem: u32,
        dst: u32,
        src: u32,
        len: u32,
    ) -> Result<(), TrapCode> {
        let t = self.table_index(table);
        let inst = &self.store.instances[self.instance as usize];
        let items = &inst.elems[elem as usize];
        let elems = &self.store.tables[t].elems;
        if !range_ok(src, len, items.len()) || !range_ok(dst, len, elems.len()) {
            return Err(TrapCode::TableOutOfBounds);
        }
        let (src, dst, len) = (src as usize, dst as usize, len as usize);
        let items =
            &self.store.instances[self.instance as usize].elems[elem as usize][src..src + len];
        self.store.tables[t].elems[dst..dst + len].copy_from_slice(items);
        Ok(())
    }

    fn elem_drop(&mut self, elem: u32) {
        self.store.instances[self.instance as usize].elems[elem as usize] = Vec::new();
    }

    fn ref_func(&mut self, func: u32) -> u64 {
        self.store.instances[self.instance as usize].funcs[func as usize] as u64 + 1
    }

    fn callee(&mut self, func: u32) -> Callee<'_> {
        let f = self.store.instances[self.instance as usize].funcs[func as usize];
        self.callee_of(f)
    }

    fn defined_functions(&mut self) -> (u32, &[std::sync::Arc<wz_interp::Code>]) {
        match &self.store.instances[self.instance as usize].module {
            Some(module) => (module.module().num_imported_funcs, module.functions()),
            None => (0, &[]),
        }
    }

    fn indirect_callee(
        &mut self,
        table: u32,
        index: u32,
        type_index: u32,
    ) -> Result<Callee<'_>, TrapCode> {
        let t = self.table_index(table);
        let r = *self.store.tables[t]
            .elems
            .get(index as usize)
            .ok_or(TrapCode::TableOutOfBounds)?;
        if r == 0 {
            return Err(TrapCode::NullReference);
        }
        let func = (r - 1) as u32;
        let expected = self.store.instances[self.instance as usize].type_ids[type_index as usize];
        if self.store.funcs[func as usize].type_id != expected {
            return Err(TrapCode::IndirectCallTypeMismatch);
        }
        Ok(self.callee_of(func))
    }

    fn enter(&mut self, instance: u32) {
        self.instance = instance;
        self.memory = self.store.instances[instance as usize]
            .memories
            .first()
            .copied()
            .unwrap_or(NONE);
    }

    fn listen_enter(&mut self, func: u32, params: &[u64]) -> Result<(), Error> {
        self.store.listen_enter(self.instance, func, params)
    }

    fn listen_exit(&mut self, func: u32, results: &[u64]) -> Result<(), Error> {
        self.store.listen_exit(self.instance, func, results)
    }

    fn call_host(&mut self, func: u32, slots: &mut [u64]) -> Result<(), Error> {
        self.store
            .call_host(func, Some(InstanceId(self.instance)), slots)
    }
}
