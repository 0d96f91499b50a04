//! WebAssembly function bodies to Cranelift IR.
//!
//! A direct translation of the (already validated) operator stream, in one pass: wasm locals
//! become Cranelift variables (Cranelift builds SSA form), the operand stack is a stack of SSA
//! values, and each structured control construct becomes blocks whose parameters carry the
//! block results. Unreachable code is skipped. `v128` values are `i8x16` at block boundaries
//! and on the operand stack, bitcast to the lane type each instruction needs.
//!
//! Runtime state is reached through the callee's vmctx (see [`crate::vm`]): pointers that never
//! change while an instance lives are loaded with `readonly` + `can_move` flags, so Cranelift
//! may hoist and share those loads.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::Offset32;
use cranelift_codegen::ir::{
    self, AbiParam, ArgumentPurpose, BlockArg, Endianness, ExtFuncData, ExternalName, InstBuilder,
    JumpTableData, MemFlagsData, Signature, Type, UserExternalName, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use wasmparser::{BinaryReader, BlockType, Operator, OperatorsReader};
use wz_binary::{FuncType, Module, ValType};
use wz_ir::TrapCode;

use crate::memory::BoundsChecks;
use crate::vm::{Builtins, VMFuncRef, VMMemoryDef, VMOffsets, VMStoreContext, VMTableDef};
use crate::{CompileError, trap_code};

mod simd;

const PTR: Type = types::I64;

/// The Cranelift type of a wasm value type.
pub(crate) fn clif_type(t: ValType) -> Type {
    match t {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef => types::I64,
    }
}

/// The native signature of a wasm function of type `ty`: `(vmctx, caller_vmctx, params...) ->
/// results`.
pub(crate) fn wasm_signature(ty: &FuncType, call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params
        .push(AbiParam::special(PTR, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(PTR));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig.returns
        .extend(ty.results().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig
}

/// What function translation needs to know about the module and the engine.
pub(crate) struct ModuleEnv<'a> {
    pub module: &'a Module,
    pub offsets: VMOffsets,
    pub bounds: BoundsChecks,
    /// Calling convention of wasm functions.
    pub call_conv: CallConv,
    /// Calling convention of the builtins (the host's C convention).
    pub host_call_conv: CallConv,
    /// The target's pointer width and the like.
    pub frontend: cranelift_codegen::isa::TargetFrontendConfig,
    /// Fuel and interrupt checks to compile in.
    pub metering: wz_ir::Metering,
}

/// Sets up `func` as the stack-limit-checked wasm function with signature `sig`: declares the
/// vmctx-based stack limit.
pub(crate) fn set_stack_limit(func: &mut ir::Function) {
    let ro = func
        .dfg
        .mem_flags
        .insert_unchecked(MemFlagsData::trusted().with_readonly());
    let plain = func.dfg.mem_flags.insert_unchecked(MemFlagsData::trusted());
    let vmctx = func.create_global_value(ir::GlobalValueData::VMContext);
    let store = func.create_global_value(ir::GlobalValueData::Load {
        base: vmctx,
        offset: Offset32::new(VMOffsets::STORE),
        global_type: PTR,
        flags: ro,
    });
    let limit = func.create_global_value(ir::GlobalValueData::Load {
        base: store,
        offset: Offset32::new(VMStoreContext::STACK_LIMIT),
        global_type: PTR,
        flags: plain,
    });
    func.stack_limit = Some(limit);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
}

struct Frame {
    kind: Kind,
    /// Where `br` to this label goes: the block after (block/if) or the header (loop).
    dest: Block,
    /// The block after the construct; its parameters are the results.
    next: Block,
    params: Vec<ValType>,
    results: Vec<ValType>,
    /// Operand stack height below the parameters.
    height: usize,
    /// Whether any branch targets `next` (or the if's else path falls through to it).
    exit_reachable: bool,
    /// For an `if`: the else block, until `else` is seen.
    else_block: Option<Block>,
    /// Whether the construct's entry was reachable.
    entry_reachable: bool,
}

type Block = ir::Block;

impl Frame {
    fn label_types(&self) -> &[ValType] {
        if self.kind == Kind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

/// Loads of vmctx words that never change while the instance lives.
fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Lowers one defined function into `b`.
pub(crate) fn translate(
    env: &ModuleEnv<'_>,
    defined: u32,
    b: FunctionBuilder<'_>,
) -> Result<(), CompileError> {
    let module = env.module;
    let body = module
        .bodies
        .get(defined as usize)
        .ok_or_else(|| CompileError::new(format!("no function body {defined}")))?;
    let index = module.num_imported_funcs + defined;
    let ty = module
        .func_type(index)
        .ok_or_else(|| CompileError::new("function has no type"))?
        .clone();
    let mut t = Translator {
        env,
        b,
        stack: Vec::new(),
        frames: Vec::new(),
        locals: Vec::new(),
        local_types: Vec::new(),
        vmctx: Value::from_u32(0),
        reachable: true,
        dead_depth: 0,
        ty: ty.clone(),
        memory_def: None,
        fuel: wz_ir::FuelCounter::default(),
        func_index: index,
    };
    // Code before the first instruction (locals, the entry check) is the function's entry,
    // reported at its first instruction, as the interpreter does.
    t.b.set_srcloc(ir::SourceLoc::new(body.code.start as u32));
    t.prologue(&body.locals)?;
    if env.metering.listen {
        let params: Vec<Value> = (0..ty.params().len())
            .map(|i| t.b.use_var(t.locals[i]))
            .collect();
        t.listen(crate::vm::Builtins::LISTEN_ENTER, index, &params);
    }
    t.check_limits();
    let data = &module.bytes[body.code.clone()];
    let mut reader = OperatorsReader::new(BinaryReader::new(data, body.code.start as u64));
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader
            .read()
            .map_err(|e| CompileError::at(e.message(), e.offset() as usize))?;
        t.b.set_srcloc(ir::SourceLoc::new(offset as u32));
        t.op(op).map_err(|e| {
            if e.offset.is_none() {
                e.with_offset(offset as usize)
            } else {
                e
            }
        })?;
    }
    t.b.finalize(env.frontend);
    Ok(())
}

struct Translator<'e, 'b> {
    env: &'e ModuleEnv<'e>,
    /// The function's index in the module (imports first).
    func_index: u32,
    b: FunctionBuilder<'b>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    locals: Vec<Variable>,
    local_types: Vec<ValType>,
    vmctx: Value,
    reachable: bool,
    dead_depth: u32,
    ty: FuncType,
    /// The memory definition pointer, loaded once in the entry block.
    memory_def: Option<Value>,
    /// Operators counted since fuel was last charged (see [`wz_ir::Metering`]).
    fuel: wz_ir::FuelCounter,
}

/// Ends the current operator with an unsupported-feature error.
fn unsupported(what: &str) -> CompileError {
    CompileError::new(format!("{what} is not supported by the compiler"))
}

impl<'e, 'b> Translator<'e, 'b> {
    // --- setup ----------------------------------------------------------------------------

    fn prologue(&mut self, locals: &[(u32, ValType)]) -> Result<(), CompileError> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params: Vec<Value> = self.b.block_params(entry).to_vec();
        self.vmctx = params[0];
        for (i, &t) in self.ty.clone().params().iter().enumerate() {
            let var = self.b.declare_var(clif_type(t));
            self.b.def_var(var, params[2 + i]);
            self.locals.push(var);
            self.local_types.push(t);
        }
        for &(count, t) in locals {
            if self.locals.len() as u64 + count as u64 > 50_000 {
                return Err(CompileError::new("too many locals"));
            }
            for _ in 0..count {
                let var = self.b.declare_var(clif_type(t));
                let zero = self.zero(t);
                self.b.def_var(var, zero);
                self.locals.push(var);
                self.local_types.push(t);
            }
        }
        if !self.env.module.memories.is_empty() {
            let def = self
                .b
                .ins()
                .load(PTR, readonly(), self.vmctx, VMOffsets::MEMORY0);
            self.memory_def = Some(def);
        }
        let next = self.b.create_block();
        for &r in self.ty.clone().results() {
            self.b.append_block_param(next, clif_type(r));
        }
        self.frames.push(Frame {
            kind: Kind::Block,
            dest: next,
            next,
            params: Vec::new(),
            results: self.ty.results().to_vec(),
            height: 0,
            exit_reachable: false,
            else_block: None,
            entry_reachable: true,
        });
        Ok(())
    }

    fn zero(&mut self, t: ValType) -> Value {
        match t {
            ValType::I32 => self.b.ins().iconst(types::I32, 0),
            ValType::I64 | ValType::FuncRef | ValType::ExternRef => {
                self.b.ins().iconst(types::I64, 0)
            }
            ValType::F32 => self.b.ins().f32const(0.0),
            ValType::F64 => self.b.ins().f64const(0.0),
            ValType::V128 => {
                let c = self.b.func.dfg.constants.insert(vec![0u8; 16].into());
                self.b.ins().vconst(types::I8X16, c)
            }
        }
    }

    // --- the operand stack ----------------------------------------------------------------

    fn pop(&mut self) -> Result<Value, CompileError> {
        self.stack
            .pop()
            .ok_or_else(|| CompileError::new("operand stack underflow"))
    }

    fn pop2(&mut self) -> Result<(Value, Value), CompileError> {
        let b = self.pop()?;
        let a = self.pop()?;
        Ok((a, b))
    }

    fn popn(&mut self, n: usize) -> Result<Vec<Value>, CompileError> {
        if n > self.stack.len() {
            return Err(CompileError::new("operand stack underflow"));
        }
        Ok(self.stack.split_off(self.stack.len() - n))
    }

    fn peekn(&self, n: usize) -> Result<&[Value], CompileError> {
        if n > self.stack.len() {
            return Err(CompileError::new("operand stack underflow"));
        }
        Ok(&self.stack[self.stack.len() - n..])
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn unop(
        &mut self,
        f: impl FnOnce(&mut FunctionBuilder<'b>, Value) -> Value,
    ) -> Result<(), CompileError> {
        let a = self.pop()?;
        let r = f(&mut self.b, a);
        self.push(r);
        Ok(())
    }

    fn binop(
        &mut self,
        f: impl FnOnce(&mut FunctionBuilder<'b>, Value, Value) -> Value,
    ) -> Result<(), CompileError> {
        let (a, b) = self.pop2()?;
        let r = f(&mut self.b, a, b);
        self.push(r);
        Ok(())
    }

    fn icmp(&mut self, cc: IntCC) -> Result<(), CompileError> {
        self.binop(|b, x, y| {
            let c = b.ins().icmp(cc, x, y);
            b.ins().uextend(types::I32, c)
        })
    }

    fn fcmp(&mut self, cc: FloatCC) -> Result<(), CompileError> {
        self.binop(|b, x, y| {
            let c = b.ins().fcmp(cc, x, y);
            b.ins().uextend(types::I32, c)
        })
    }

    // --- control --------------------------------------------------------------------------

    fn block_type(&self, bt: BlockType) -> Result<(Vec<ValType>, Vec<ValType>), CompileError> {
        Ok(match bt {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => {
                let t =
                    ValType::from_wasmparser(t, 0).map_err(|_| unsupported("this block type"))?;
                (Vec::new(), vec![t])
            }
            BlockType::FuncType(i) => {
                let ty = self
                    .env
                    .module
                    .types
                    .get(i as usize)
                    .ok_or_else(|| CompileError::new(format!("unknown type {i}")))?;
                (ty.params().to_vec(), ty.results().to_vec())
            }
        })
    }

    fn block_with_params(&mut self, types: &[ValType]) -> Block {
        let block = self.b.create_block();
        for &t in types {
            self.b.append_block_param(block, clif_type(t));
        }
        block
    }

    fn jump(&mut self, dest: Block, args: &[Value]) {
        let args: Vec<BlockArg> = args.iter().map(|v| BlockArg::Value(*v)).collect();
        self.b.ins().jump(dest, &args);
    }

    fn frame(&self, depth: u32) -> Result<&Frame, CompileError> {
        let len = self.frames.len();
        if depth as usize >= len {
            return Err(CompileError::new(format!("unknown label {depth}")));
        }
        Ok(&self.frames[len - 1 - depth as usize])
    }

    /// The target block and argument count of a branch to `depth`; marks the target as
    /// reached.
    fn branch_target(&mut self, depth: u32) -> Result<(Block, usize), CompileError> {
        let len = self.frames.len();
        self.frame(depth)?;
        let frame = &mut self.frames[len - 1 - depth as usize];
        if frame.kind != Kind::Loop {
            frame.exit_reachable = true;
        }
        Ok((frame.dest, frame.label_types().len()))
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
    }

    fn enter(&mut self, kind: Kind, bt: BlockType) -> Result<(), CompileError> {
        let (params, results) = self.block_type(bt)?;
        let next = self.block_with_params(&results);
        let height = self
            .stack
            .len()
            .checked_sub(params.len())
            .ok_or_else(|| CompileError::new("operand stack underflow"))?;
        let mut frame = Frame {
            kind,
            dest: next,
            next,
            params: params.clone(),
            results,
            height,
            exit_reachable: false,
            else_block: None,
            entry_reachable: true,
        };
        match kind {
            Kind::Block => {}
            Kind::Loop => {
                let header = self.block_with_params(&params);
                let args = self.popn(params.len())?;
                self.jump(header, &args);
                self.b.switch_to_block(header);
                let values = self.b.block_params(header).to_vec();
                self.stack.extend(values);
                frame.dest = header;
                self.check_limits();
            }
            Kind::If | Kind::Else => {
                let cond = self.pop()?;
                frame.height = self
                    .stack
                    .len()
                    .checked_sub(params.len())
                    .ok_or_else(|| CompileError::new("operand stack underflow"))?;
                let then_block = self.block_with_params(&params);
                let else_block = self.block_with_params(&params);
                let args: Vec<BlockArg> = self
                    .peekn(params.len())?
                    .iter()
                    .map(|v| BlockArg::Value(*v))
                    .collect();
                self.b
                    .ins()
                    .brif(cond, then_block, &args, else_block, &args);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                self.b.switch_to_block(then_block);
                self.stack.truncate(frame.height);
                let values = self.b.block_params(then_block).to_vec();
                self.stack.extend(values);
                frame.else_block = Some(else_block);
            }
        }
        self.frames.push(frame);
        Ok(())
    }

    fn else_(&mut self) -> Result<(), CompileError> {
        let frame = self
            .frames
            .last_mut()
            .ok_or_else(|| CompileError::new("else outside a block"))?;
        if frame.kind != Kind::If {
            return Err(CompileError::new("else without if"));
        }
        frame.kind = Kind::Else;
        let else_block = frame
            .else_block
            .take()
            .expect("if frames have an else block");
        let (next, n, height) = (frame.next, frame.results.len(), frame.height);
        let entry_reachable = frame.entry_reachable;
        if self.reachable {
            self.frames.last_mut().expect("checked").exit_reachable = true;
            let args = self.popn(n)?;
            self.jump(next, &args);
        }
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        let values = self.b.block_params(else_block).to_vec();
        self.stack.extend(values);
        self.reachable = entry_reachable;
        Ok(())
    }

    fn end(&mut self) -> Result<(), CompileError> {
        let mut frame = self
            .frames
            .pop()
            .ok_or_else(|| CompileError::new("end outside a block"))?;
        if self.reachable {
            frame.exit_reachable = true;
            let args = self.popn(frame.results.len())?;
            if self.frames.is_empty() {
                self.emit_return(&args);
            } else {
                self.jump(frame.next, &args);
            }
        }
        if let Some(else_block) = frame.else_block.take() {
            // An `if` without `else`: the else path passes the parameters through.
            self.b.switch_to_block(else_block);
            if frame.entry_reachable {
                let params = self.b.block_params(else_block).to_vec();
                self.jump(frame.next, &params);
                frame.exit_reachable = true;
            } else {
                self.b.ins().trap(trap_code(TrapCode::Unreachable));
            }
        }
        if frame.kind == Kind::Loop {
            self.b.seal_block(frame.dest);
        }
        self.stack.truncate(frame.height);
        if self.frames.is_empty() {
            // The function's own block: its `next` block is never used.
            self.b.switch_to_block(frame.next);
            self.b.seal_block(frame.next);
            self.b.ins().trap(trap_code(TrapCode::Unreachable));
            self.reachable = false;
            return Ok(());
        }
        self.b.switch_to_block(frame.next);
        self.b.seal_block(frame.next);
        if frame.exit_reachable {
            let values = self.b.block_params(frame.next).to_vec();
            self.stack.extend(values);
            self.reachable = true;
        } else {
            // Nothing reaches the code after this construct.
            self.b.ins().trap(trap_code(TrapCode::Unreachable));
            self.reachable = false;
        }
        Ok(())
    }

    fn br(&mut self, depth: u32) -> Result<(), CompileError> {
        if depth as usize + 1 == self.frames.len() {
            return self.return_();
        }
        let (dest, n) = self.branch_target(depth)?;
        let args = self.peekn(n)?.to_vec();
        self.jump(dest, &args);
        Ok(())
    }

    fn return_(&mut self) -> Result<(), CompileError> {
        let n = self.ty.results().len();
        let args = self.peekn(n)?.to_vec();
        self.emit_return(&args);
        Ok(())
    }

    /// Returns `results` (reporting them to the listener first when listening).
    fn emit_return(&mut self, results: &[Value]) {
        if self.env.metering.listen {
            self.listen(crate::vm::Builtins::LISTEN_EXIT, self.func_index, results);
        }
        self.b.ins().return_(results);
    }

    /// Calls listener builtin `offset` with function index `func` and `values` written to a
    /// slot array (8 bytes per value, 16 per `v128`), as the interpreter's frames hold them.
    fn listen(&mut self, offset: i32, func: u32, values: &[Value]) {
        let bytes: u32 = values
            .iter()
            .map(|&v| self.b.func.dfg.value_type(v).bytes().max(8))
            .sum();
        let slot = self.b.create_sized_stack_slot(ir::StackSlotData::new(
            ir::StackSlotKind::ExplicitSlot,
            bytes.max(8),
            3,
        ));
        let mut at = 0i32;
        for &v in values {
            let bytes = self.b.func.dfg.value_type(v).bytes().max(8) as i32;
            let v = crate::widen_to_slot(&mut self.b, v);
            self.b.ins().stack_store(PTR, v, slot, at);
            at += bytes;
        }
        let addr = self.b.ins().stack_addr(PTR, slot, 0);
        let func = self.b.ins().iconst(types::I32, func as i64);
        self.call_checked(offset, &[func, addr]);
    }

    fn br_if(&mut self, depth: u32) -> Result<(), CompileError> {
        let cond = self.pop()?;
        let cont = self.b.create_block();
        if depth as usize + 1 == self.frames.len() {
            let taken = self.b.create_block();
            self.b.ins().brif(cond, taken, &[], cont, &[]);
            self.b.seal_block(taken);
            self.b.switch_to_block(taken);
            self.return_()?;
        } else {
            let (dest, n) = self.branch_target(depth)?;
            let args: Vec<BlockArg> = self.peekn(n)?.iter().map(|v| BlockArg::Value(*v)).collect();
            self.b.ins().brif(cond, dest, &args, cont, &[]);
        }
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
        Ok(())
    }

    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<(), CompileError> {
        let index = self.pop()?;
        let mut depths = Vec::with_capacity(targets.len() as usize + 1);
        for t in targets.targets() {
            depths.push(t.map_err(|e| CompileError::new(e.message()))?);
        }
        let default = targets.default();
        let mut calls = Vec::with_capacity(depths.len());
        let mut default_call = None;
        let mut return_block = None;
        for (i, &depth) in depths.iter().chain(std::iter::once(&default)).enumerate() {
            let (dest, n) = if depth as usize + 1 == self.frames.len() {
                // A return: through one block that returns, filled after the `br_table`.
                (
                    *return_block.get_or_insert_with(|| self.b.create_block()),
                    0,
                )
            } else {
                self.branch_target(depth)?
            };
            let args: Vec<BlockArg> = self.peekn(n)?.iter().map(|v| BlockArg::Value(*v)).collect();
            let call = self.b.func.dfg.block_call(dest, &args);
            if i == depths.len() {
                default_call = Some(call);
            } else {
                calls.push(call);
            }
        }
        let jt = self.b.create_jump_table(JumpTableData::new(
            default_call.expect("default target"),
            &calls,
        ));
        self.b.ins().br_table(index, jt);
        if let Some(ret) = return_block {
            self.b.switch_to_block(ret);
            self.b.seal_block(ret);
            self.return_()?;
        }
        Ok(())
    }

    // --- memory ---------------------------------------------------------------------------

    fn memory_def(&self) -> Result<Value, CompileError> {
        self.memory_def
            .ok_or_else(|| CompileError::new("memory access without a memory"))
    }

    fn memory_base_flags(&self) -> MemFlagsData {
        if self.env.bounds == BoundsChecks::GuardPages {
            readonly()
        } else {
            MemFlagsData::trusted()
        }
    }

    /// The native address of a `size`-byte access at wasm address `index` + `offset`, and the
    /// flags for the access.
    fn address(
        &mut self,
        memarg: &wasmparser::MemArg,
        index: Value,
        size: u32,
    ) -> Result<(Value, MemFlagsData), CompileError> {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            return Err(unsupported("multiple memories"));
        }
        let def = self.memory_def()?;
        let flags = self.memory_base_flags();
        let base = self.b.ins().load(PTR, flags, def, VMMemoryDef::BASE);
        let index = self.b.ins().uextend(PTR, index);
        let offset = memarg.offset;
        let access = MemFlagsData::new().with_endianness(Endianness::Little);
        if self.env.bounds == BoundsChecks::GuardPages {
            let mut ea = self.b.ins().iadd(base, index);
            if offset != 0 {
                ea = self.b.ins().iadd_imm_u(ea, offset as i64);
            }
            Ok((
                ea,
                access.with_trap_code(Some(ir::TrapCode::HEAP_OUT_OF_BOUNDS)),
            ))
        } else {
            let len = self
                .b
                .ins()
                .load(PTR, MemFlagsData::trusted(), def, VMMemoryDef::LEN);
            let end = self
                .b
                .ins()
                .iadd_imm_u(index, (offset + size as u64) as i64);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.b.ins().trapnz(oob, ir::TrapCode::HEAP_OUT_OF_BOUNDS);
            let mut ea = self.b.ins().iadd(base, index);
            if offset != 0 {
                ea = self.b.ins().iadd_imm_u(ea, offset as i64);
            }
            Ok((ea, access.with_notrap()))
        }
    }

    fn load(
        &mut self,
        memarg: &wasmparser::MemArg,
        ty: Type,
        size: u32,
        extend: Option<(Type, bool)>,
    ) -> Result<(), CompileError> {
        let index = self.pop()?;
        let (ea, flags) = self.address(memarg, index, size)?;
        let v = match (extend, size) {
            (None, _) => self.b.ins().load(ty, flags, ea, 0),
            (Some((to, signed)), 1) => {
                if signed {
                    self.b.ins().sload8(to, flags, ea, 0)
                } else {
                    self.b.ins().uload8(to, flags, ea, 0)
                }
            }
            (Some((to, signed)), 2) => {
                if signed {
                    self.b.ins().sload16(to, flags, ea, 0)
                } else {
                    self.b.ins().uload16(to, flags, ea, 0)
                }
            }
            (Some((to, signed)), _) => {
                if signed {
                    self.b.ins().sload32(flags, ea, 0)
                } else {
                    let _ = to;
                    self.b.ins().uload32(flags, ea, 0)
                }
            }
        };
        self.push(v);
        Ok(())
    }

    fn store(&mut self, memarg: &wasmparser::MemArg, size: u32) -> Result<(), CompileError> {
        let value = self.pop()?;
        let index = self.pop()?;
        let (ea, flags) = self.address(memarg, index, size)?;
        let ty = self.b.func.dfg.value_type(value);
        match (size, ty.bytes()) {
            (s, t) if s == t => {
                self.b.ins().store(flags, value, ea, 0);
            }
            (1, _) => {
                self.b.ins().istore8(flags, value, ea, 0);
            }
            (2, _) => {
                self.b.ins().istore16(flags, value, ea, 0);
            }
            _ => {
                self.b.ins().istore32(flags, value, ea, 0);
            }
        }
        Ok(())
    }

    // --- fuel and interruption ------------------------------------------------------------

    /// Traps if the call's fuel is spent or it was interrupted (function entry and loop
    /// headers of metered code).
    fn check_limits(&mut self) {
        let metering = self.env.metering;
        if !metering.any() {
            return;
        }
        let store = self.store_context();
        if metering.fuel {
            let fuel = self.b.ins().load(
                types::I64,
                MemFlagsData::trusted(),
                store,
                VMStoreContext::FUEL,
            );
            let spent = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, fuel, 0);
            self.b.ins().trapnz(spent, trap_code(TrapCode::OutOfFuel));
        }
        if metering.interrupt {
            let word = self
                .b
                .ins()
                .load(PTR, readonly(), store, VMStoreContext::INTERRUPT);
            // An atomic load: a plain one would be merged with the identical load at
            // function entry (nothing in a loop stores to the word), and the loop would
            // never see the flag change.
            let flags = self
                .b
                .ins()
                .atomic_load(types::I64, MemFlagsData::trusted(), word);
            let raised = self.b.ins().band_imm_u(flags, 1);
            self.b
                .ins()
                .trapnz(raised, trap_code(TrapCode::Interrupted));
        }
    }

    /// Adds `amount` (operators counted since the last charge) to the consumed fuel.
    fn charge_fuel(&mut self, amount: u32) {
        let store = self.store_context();
        let flags = MemFlagsData::trusted();
        let fuel = self
            .b
            .ins()
            .load(types::I64, flags, store, VMStoreContext::FUEL);
        let fuel = self.b.ins().iadd_imm_s(fuel, amount as i64);
        self.b.ins().store(flags, fuel, store, VMStoreContext::FUEL);
    }

    // --- runtime calls --------------------------------------------------------------------

    fn store_context(&mut self) -> Value {
        self.b
            .ins()
            .load(PTR, readonly(), self.vmctx, VMOffsets::STORE)
    }

    /// Calls builtin at `offset` in [`Builtins`] with `(vmctx, args...)`.
    fn call_builtin(
        &mut self,
        offset: i32,
        args: &[Value],
        returns: Option<Type>,
    ) -> Option<Value> {
        let store = self.store_context();
        let builtins = self
            .b
            .ins()
            .load(PTR, readonly(), store, VMStoreContext::BUILTINS);
        let f = self.b.ins().load(PTR, readonly(), builtins, offset);
        let mut sig = Signature::new(self.env.host_call_conv);
        sig.params.push(AbiParam::new(PTR));
        for &a in args {
            let ty = self.b.func.dfg.value_type(a);
            sig.params.push(AbiParam::new(ty));
        }
        if let Some(r) = returns {
            sig.returns.push(AbiParam::new(r));
        }
        let sig = self.b.import_signature(sig);
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &all);
        self.b.inst_results(call).first().copied()
    }

    /// Calls a status-returning builtin and traps when it reports an error.
    fn call_checked(&mut self, offset: i32, args: &[Value]) {
        let status = self
            .call_builtin(offset, args, Some(types::I32))
            .expect("status result");
        self.b.ins().trapnz(status, crate::pending_trap());
    }

    fn func_ref(&mut self, index: u32) -> Value {
        let off = self.env.offsets.func(index) as i32;
        self.b.ins().load(PTR, readonly(), self.vmctx, off)
    }

    fn table_def(&mut self, index: u32) -> Value {
        let off = self.env.offsets.table(index) as i32;
        self.b.ins().load(PTR, readonly(), self.vmctx, off)
    }

    fn global_cell(&mut self, index: u32) -> Value {
        let off = self.env.offsets.global(index) as i32;
        self.b.ins().load(PTR, readonly(), self.vmctx, off)
    }

    fn call(&mut self, index: u32) -> Result<(), CompileError> {
        let module = self.env.module;
        let ty = module
            .func_type(index)
            .ok_or_else(|| CompileError::new(format!("unknown function {index}")))?
            .clone();
        let sig = wasm_signature(&ty, self.env.call_conv);
        let args = self.popn(ty.params().len())?;
        let results = if index >= module.num_imported_funcs {
            let sigref = self.b.import_signature(sig);
            let name = self
                .b
                .func
                .declare_imported_user_function(UserExternalName::new(
                    0,
                    index - module.num_imported_funcs,
                ));
            let fref = self.b.import_function(ExtFuncData {
                name: ExternalName::user(name),
                signature: sigref,
                colocated: true,
                patchable: false,
            });
            let mut all = vec![self.vmctx, self.vmctx];
            all.extend(args);
            let call = self.b.ins().call(fref, &all);
            self.b.inst_results(call).to_vec()
        } else {
            let fr = self.func_ref(index);
            let code = self.b.ins().load(PTR, readonly(), fr, VMFuncRef::CODE);
            let callee = self.b.ins().load(PTR, readonly(), fr, VMFuncRef::VMCTX);
            let sigref = self.b.import_signature(sig);
            let mut all = vec![callee, self.vmctx];
            all.extend(args);
            let call = self.b.ins().call_indirect(sigref, code, &all);
            self.b.inst_results(call).to_vec()
        };
        self.stack.extend(results);
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table: u32) -> Result<(), CompileError> {
        let ty = self
            .env
            .module
            .types
            .get(type_index as usize)
            .ok_or_else(|| CompileError::new(format!("unknown type {type_index}")))?
            .clone();
        let elem_index = self.pop()?;
        let args = self.popn(ty.params().len())?;
        let def = self.table_def(table);
        let len = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, VMTableDef::LEN);
        let idx = self.b.ins().uextend(PTR, elem_index);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, idx, len);
        self.b
            .ins()
            .trapnz(oob, trap_code(TrapCode::TableOutOfBounds));
        let base = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, VMTableDef::BASE);
        let offset = self.b.ins().ishl_imm_u(idx, 3);
        let slot = self.b.ins().iadd(base, offset);
        let elem = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), slot, 0);
        self.b.ins().trapz(elem, trap_code(TrapCode::NullReference));
        let store = self.store_context();
        let funcrefs = self.b.ins().load(
            PTR,
            MemFlagsData::trusted(),
            store,
            VMStoreContext::FUNCREFS,
        );
        let id = self.b.ins().iadd_imm_s(elem, -1);
        let offset = self.b.ins().ishl_imm_u(id, 3);
        let at = self.b.ins().iadd(funcrefs, offset);
        let fr = self.b.ins().load(PTR, MemFlagsData::trusted(), at, 0);
        let actual = self
            .b
            .ins()
            .load(types::I32, MemFlagsData::trusted(), fr, VMFuncRef::TYPE_ID);
        let off = self.env.offsets.type_id(type_index) as i32;
        let expected = self.b.ins().load(types::I32, readonly(), self.vmctx, off);
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.b
            .ins()
            .trapnz(mismatch, trap_code(TrapCode::IndirectCallTypeMismatch));
        let code = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), fr, VMFuncRef::CODE);
        let callee = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), fr, VMFuncRef::VMCTX);
        let sig = self
            .b
            .import_signature(wasm_signature(&ty, self.env.call_conv));
        let mut all = vec![callee, self.vmctx];
        all.extend(args);
        let call = self.b.ins().call_indirect(sig, code, &all);
        let results = self.b.inst_results(call).to_vec();
        self.stack.extend(results);
        Ok(())
    }

    // --- tables ---------------------------------------------------------------------------

    /// The address of element `index` of `table`, trapping when out of bounds.
    fn table_slot(&mut self, table: u32, index: Value) -> Value {
        let def = self.table_def(table);
        let len = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, VMTableDef::LEN);
        let idx = self.b.ins().uextend(PTR, index);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, idx, len);
        self.b
            .ins()
            .trapnz(oob, trap_code(TrapCode::TableOutOfBounds));
        let base = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), def, VMTableDef::BASE);
        let offset = self.b.ins().ishl_imm_u(idx, 3);
        self.b.ins().iadd(base, offset)
    }

    // --- the operator dispatch ------------------------------------------------------------

    fn op(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        use types::{F32, F64, I32, I64};
        if !self.reachable {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.dead_depth += 1
                }
                Operator::Else if self.dead_depth == 0 => self.else_()?,
                Operator::End if self.dead_depth == 0 => self.end()?,
                Operator::End => self.dead_depth -= 1,
                _ => {}
            }
            return Ok(());
        }
        if self.env.metering.fuel
            && let Some(amount) = self.fuel.count(&op)
        {
            self.charge_fuel(amount);
        }
        match op {
            Operator::Unreachable => {
                self.b.ins().trap(trap_code(TrapCode::Unreachable));
                self.set_unreachable();
            }
            Operator::Nop => {}
            Operator::Block { blockty } => self.enter(Kind::Block, blockty)?,
            Operator::Loop { blockty } => self.enter(Kind::Loop, blockty)?,
            Operator::If { blockty } => self.enter(Kind::If, blockty)?,
            Operator::Else => self.else_()?,
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => {
                self.br(relative_depth)?;
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => self.br_if(relative_depth)?,
            Operator::BrTable { targets } => {
                self.br_table(&targets)?;
                self.set_unreachable();
            }
            Operator::Return => {
                self.return_()?;
                self.set_unreachable();
            }
            Operator::Call { function_index } => self.call(function_index)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            Operator::Drop => {
                self.pop()?;
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let cond = self.pop()?;
                let (a, b) = self.pop2()?;
                let r = self.b.ins().select(cond, a, b);
                self.push(r);
            }
            Operator::LocalGet { local_index } => {
                let var = self.local(local_index)?;
                let v = self.b.use_var(var);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let var = self.local(local_index)?;
                let v = self.pop()?;
                self.b.def_var(var, v);
            }
            Operator::LocalTee { local_index } => {
                let var = self.local(local_index)?;
                let v = *self
                    .stack
                    .last()
                    .ok_or_else(|| CompileError::new("operand stack underflow"))?;
                self.b.def_var(var, v);
            }
            Operator::GlobalGet { global_index } => {
                let ty = self.global_type(global_index)?;
                let cell = self.global_cell(global_index);
                let flags = MemFlagsData::trusted().with_endianness(Endianness::Little);
                let v = self.b.ins().load(clif_type(ty), flags, cell, 0);
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop()?;
                let cell = self.global_cell(global_index);
                let flags = MemFlagsData::trusted().with_endianness(Endianness::Little);
                self.b.ins().store(flags, v, cell, 0);
            }
            Operator::I32Load { memarg } => self.load(&memarg, I32, 4, None)?,
            Operator::I64Load { memarg } => self.load(&memarg, I64, 8, None)?,
            Operator::F32Load { memarg } => self.load(&memarg, F32, 4, None)?,
            Operator::F64Load { memarg } => self.load(&memarg, F64, 8, None)?,
            Operator::I32Load8S { memarg } => self.load(&memarg, I32, 1, Some((I32, true)))?,
            Operator::I32Load8U { memarg } => self.load(&memarg, I32, 1, Some((I32, false)))?,
            Operator::I32Load16S { memarg } => self.load(&memarg, I32, 2, Some((I32, true)))?,
            Operator::I32Load16U { memarg } => self.load(&memarg, I32, 2, Some((I32, false)))?,
            Operator::I64Load8S { memarg } => self.load(&memarg, I64, 1, Some((I64, true)))?,
            Operator::I64Load8U { memarg } => self.load(&memarg, I64, 1, Some((I64, false)))?,
            Operator::I64Load16S { memarg } => self.load(&memarg, I64, 2, Some((I64, true)))?,
            Operator::I64Load16U { memarg } => self.load(&memarg, I64, 2, Some((I64, false)))?,
            Operator::I64Load32S { memarg } => self.load(&memarg, I64, 4, Some((I64, true)))?,
            Operator::I64Load32U { memarg } => self.load(&memarg, I64, 4, Some((I64, false)))?,
            Operator::I32Store { memarg } | Operator::F32Store { memarg } => {
                self.store(&memarg, 4)?
            }
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => {
                self.store(&memarg, 8)?
            }
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(&memarg, 1)?
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(&memarg, 2)?
            }
            Operator::I64Store32 { memarg } => self.store(&memarg, 4)?,
            Operator::MemorySize { mem } => {
                check_memory(mem)?;
                let def = self.memory_def()?;
                let len = self
                    .b
                    .ins()
                    .load(PTR, MemFlagsData::trusted(), def, VMMemoryDef::LEN);
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let pages = self.b.ins().ireduce(I32, pages);
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                check_memory(mem)?;
                let delta = self.pop()?;
                let r = self
                    .call_builtin(Builtins::MEMORY_GROW, &[delta], Some(I32))
                    .expect("result");
                self.push(r);
            }
            Operator::MemoryFill { mem } => {
                check_memory(mem)?;
                let args = self.popn(3)?;
                self.call_checked(Builtins::MEMORY_FILL, &args);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                check_memory(dst_mem)?;
                check_memory(src_mem)?;
                let args = self.popn(3)?;
                self.call_checked(Builtins::MEMORY_COPY, &args);
            }
            Operator::MemoryInit { data_index, mem } => {
                check_memory(mem)?;
                let mut args = vec![self.b.ins().iconst(I32, data_index as i64)];
                args.extend(self.popn(3)?);
                self.call_checked(Builtins::MEMORY_INIT, &args);
            }
            Operator::DataDrop { data_index } => {
                let seg = self.b.ins().iconst(I32, data_index as i64);
                self.call_builtin(Builtins::DATA_DROP, &[seg], None);
            }
            Operator::TableGet { table } => {
                let index = self.pop()?;
                let slot = self.table_slot(table, index);
                let v = self.b.ins().load(I64, MemFlagsData::trusted(), slot, 0);
                self.push(v);
            }
            Operator::TableSet { table } => {
                let value = self.pop()?;
                let index = self.pop()?;
                let slot = self.table_slot(table, index);
                self.b.ins().store(MemFlagsData::trusted(), value, slot, 0);
            }
            Operator::TableSize { table } => {
                let def = self.table_def(table);
                let len = self
                    .b
                    .ins()
                    .load(PTR, MemFlagsData::trusted(), def, VMTableDef::LEN);
                let len = self.b.ins().ireduce(I32, len);
                self.push(len);
            }
            Operator::TableGrow { table } => {
                let delta = self.pop()?;
                let init = self.pop()?;
                let t = self.b.ins().iconst(I32, table as i64);
                let r = self
                    .call_builtin(Builtins::TABLE_GROW, &[t, init, delta], Some(I32))
                    .expect("result");
                self.push(r);
            }
            Operator::TableFill { table } => {
                let len = self.pop()?;
                let value = self.pop()?;
                let dst = self.pop()?;
                let t = self.b.ins().iconst(I32, table as i64);
                self.call_checked(Builtins::TABLE_FILL, &[t, dst, value, len]);
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let mut args = vec![
                    self.b.ins().iconst(I32, dst_table as i64),
                    self.b.ins().iconst(I32, src_table as i64),
                ];
                args.extend(self.popn(3)?);
                self.call_checked(Builtins::TABLE_COPY, &args);
            }
            Operator::TableInit { elem_index, table } => {
                let mut args = vec![
                    self.b.ins().iconst(I32, table as i64),
                    self.b.ins().iconst(I32, elem_index as i64),
                ];
                args.extend(self.popn(3)?);
                self.call_checked(Builtins::TABLE_INIT, &args);
            }
            Operator::ElemDrop { elem_index } => {
                let seg = self.b.ins().iconst(I32, elem_index as i64);
                self.call_builtin(Builtins::ELEM_DROP, &[seg], None);
            }
            Operator::RefNull { .. } => {
                let v = self.b.ins().iconst(I64, 0);
                self.push(v);
            }
            Operator::RefIsNull => self.unop(|b, x| {
                let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                b.ins().uextend(I32, c)
            })?,
            Operator::RefFunc { function_index } => {
                let fr = self.func_ref(function_index);
                let id = self.b.ins().uload32(readonly(), fr, VMFuncRef::ID);
                let r = self.b.ins().iadd_imm_u(id, 1);
                self.push(r);
            }
            Operator::I32Const { value } => {
                let v = self.b.ins().iconst(I32, value as i64);
                self.push(v);
            }
            Operator::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            Operator::F32Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            Operator::F64Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.push(v);
            }
            Operator::I32Eqz | Operator::I64Eqz => self.unop(|b, x| {
                let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                b.ins().uextend(I32, c)
            })?,
            Operator::I32Eq | Operator::I64Eq => self.icmp(IntCC::Equal)?,
            Operator::I32Ne | Operator::I64Ne => self.icmp(IntCC::NotEqual)?,
            Operator::I32LtS | Operator::I64LtS => self.icmp(IntCC::SignedLessThan)?,
            Operator::I32LtU | Operator::I64LtU => self.icmp(IntCC::UnsignedLessThan)?,
            Operator::I32GtS | Operator::I64GtS => self.icmp(IntCC::SignedGreaterThan)?,
            Operator::I32GtU | Operator::I64GtU => self.icmp(IntCC::UnsignedGreaterThan)?,
            Operator::I32LeS | Operator::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual)?,
            Operator::I32LeU | Operator::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual)?,
            Operator::I32GeS | Operator::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual)?,
            Operator::I32GeU | Operator::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::F32Eq | Operator::F64Eq => self.fcmp(FloatCC::Equal)?,
            Operator::F32Ne | Operator::F64Ne => self.fcmp(FloatCC::NotEqual)?,
            Operator::F32Lt | Operator::F64Lt => self.fcmp(FloatCC::LessThan)?,
            Operator::F32Gt | Operator::F64Gt => self.fcmp(FloatCC::GreaterThan)?,
            Operator::F32Le | Operator::F64Le => self.fcmp(FloatCC::LessThanOrEqual)?,
            Operator::F32Ge | Operator::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual)?,
            Operator::I32Clz | Operator::I64Clz => self.unop(|b, x| b.ins().clz(x))?,
            Operator::I32Ctz | Operator::I64Ctz => self.unop(|b, x| b.ins().ctz(x))?,
            Operator::I32Popcnt | Operator::I64Popcnt => self.unop(|b, x| b.ins().popcnt(x))?,
            Operator::I32Add | Operator::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y))?,
            Operator::I32Sub | Operator::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y))?,
            Operator::I32Mul | Operator::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y))?,
            Operator::I32DivS | Operator::I64DivS => self.binop(|b, x, y| b.ins().sdiv(x, y))?,
            Operator::I32DivU | Operator::I64DivU => self.binop(|b, x, y| b.ins().udiv(x, y))?,
            Operator::I32RemS | Operator::I64RemS => self.binop(|b, x, y| b.ins().srem(x, y))?,
            Operator::I32RemU | Operator::I64RemU => self.binop(|b, x, y| b.ins().urem(x, y))?,
            Operator::I32And | Operator::I64And => self.binop(|b, x, y| b.ins().band(x, y))?,
            Operator::I32Or | Operator::I64Or => self.binop(|b, x, y| b.ins().bor(x, y))?,
            Operator::I32Xor | Operator::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y))?,
            Operator::I32Shl | Operator::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y))?,
            Operator::I32ShrS | Operator::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y))?,
            Operator::I32ShrU | Operator::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y))?,
            Operator::I32Rotl | Operator::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y))?,
            Operator::I32Rotr | Operator::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y))?,
            Operator::F32Abs | Operator::F64Abs => self.unop(|b, x| b.ins().fabs(x))?,
            Operator::F32Neg | Operator::F64Neg => self.unop(|b, x| b.ins().fneg(x))?,
            Operator::F32Ceil | Operator::F64Ceil => self.unop(|b, x| b.ins().ceil(x))?,
            Operator::F32Floor | Operator::F64Floor => self.unop(|b, x| b.ins().floor(x))?,
            Operator::F32Trunc | Operator::F64Trunc => self.unop(|b, x| b.ins().trunc(x))?,
            Operator::F32Nearest | Operator::F64Nearest => self.unop(|b, x| b.ins().nearest(x))?,
            Operator::F32Sqrt | Operator::F64Sqrt => self.unop(|b, x| b.ins().sqrt(x))?,
            Operator::F32Add | Operator::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y))?,
            Operator::F32Sub | Operator::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y))?,
            Operator::F32Mul | Operator::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y))?,
            Operator::F32Div | Operator::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y))?,
            Operator::F32Min | Operator::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y))?,
            Operator::F32Max | Operator::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y))?,
            Operator::F32Copysign | Operator::F64Copysign => {
                self.binop(|b, x, y| b.ins().fcopysign(x, y))?
            }
            Operator::I32WrapI64 => self.unop(|b, x| b.ins().ireduce(I32, x))?,
            Operator::I32TruncF32S | Operator::I32TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(I32, x))?
            }
            Operator::I32TruncF32U | Operator::I32TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(I32, x))?
            }
            Operator::I64TruncF32S | Operator::I64TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(I64, x))?
            }
            Operator::I64TruncF32U | Operator::I64TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(I64, x))?
            }
            Operator::I32TruncSatF32S | Operator::I32TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(I32, x))?
            }
            Operator::I32TruncSatF32U | Operator::I32TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(I32, x))?
            }
            Operator::I64TruncSatF32S | Operator::I64TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(I64, x))?
            }
            Operator::I64TruncSatF32U | Operator::I64TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(I64, x))?
            }
            Operator::I64ExtendI32S => self.unop(|b, x| b.ins().sextend(I64, x))?,
            Operator::I64ExtendI32U => self.unop(|b, x| b.ins().uextend(I64, x))?,
            Operator::F32ConvertI32S | Operator::F32ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(F32, x))?
            }
            Operator::F32ConvertI32U | Operator::F32ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(F32, x))?
            }
            Operator::F64ConvertI32S | Operator::F64ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(F64, x))?
            }
            Operator::F64ConvertI32U | Operator::F64ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(F64, x))?
            }
            Operator::F32DemoteF64 => self.unop(|b, x| b.ins().fdemote(F32, x))?,
            Operator::F64PromoteF32 => self.unop(|b, x| b.ins().fpromote(F64, x))?,
            Operator::I32ReinterpretF32 => {
                self.unop(|b, x| b.ins().bitcast(I32, MemFlagsData::new(), x))?
            }
            Operator::I64ReinterpretF64 => {
                self.unop(|b, x| b.ins().bitcast(I64, MemFlagsData::new(), x))?
            }
            Operator::F32ReinterpretI32 => {
                self.unop(|b, x| b.ins().bitcast(F32, MemFlagsData::new(), x))?
            }
            Operator::F64ReinterpretI64 => {
                self.unop(|b, x| b.ins().bitcast(F64, MemFlagsData::new(), x))?
            }
            Operator::I32Extend8S => self.unop(|b, x| {
                let n = b.ins().ireduce(types::I8, x);
                b.ins().sextend(I32, n)
            })?,
            Operator::I32Extend16S => self.unop(|b, x| {
                let n = b.ins().ireduce(types::I16, x);
                b.ins().sextend(I32, n)
            })?,
            Operator::I64Extend8S => self.unop(|b, x| {
                let n = b.ins().ireduce(types::I8, x);
                b.ins().sextend(I64, n)
            })?,
            Operator::I64Extend16S => self.unop(|b, x| {
                let n = b.ins().ireduce(types::I16, x);
                b.ins().sextend(I64, n)
            })?,
            Operator::I64Extend32S => self.unop(|b, x| {
                let n = b.ins().ireduce(I32, x);
                b.ins().sextend(I64, n)
            })?,
            other => {
                if self.simd_op(&other)? {
                    return Ok(());
                }
                let name = format!("{other:?}");
                let name = name
                    .split([' ', '{', '('])
                    .next()
                    .unwrap_or("?")
                    .to_string();
                return Err(unsupported(&format!("instruction {name}")));
            }
        }
        Ok(())
    }

    fn local(&self, index: u32) -> Result<Variable, CompileError> {
        self.locals
            .get(index as usize)
            .copied()
            .ok_or_else(|| CompileError::new(format!("unknown local {index}")))
    }

    fn global_type(&self, index: u32) -> Result<ValType, CompileError> {
        self.env
            .module
            .globals
            .get(index as usize)
            .map(|g| g.content)
            .ok_or_else(|| CompileError::new(format!("unknown global {index}")))
    }
}

fn check_memory(mem: u32) -> Result<(), CompileError> {
    if mem != 0 {
        return Err(unsupported("multiple memories"));
    }
    Ok(())
}
