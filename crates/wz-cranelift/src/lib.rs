//! The JIT engine of wz: WebAssembly to native code with Cranelift.
//!
//! Most users want the `wz` facade instead. This crate compiles a validated
//! [`wz_binary::Module`] into native code ([`JitEngine::compile`]) and runs it
//! ([`JitEngine::call`]). It owns no runtime objects: the store lays out each instance's
//! *vmctx* ([`vm`]) with pointers to its memories, tables, globals and functions, provides the
//! [`vm::Builtins`] generated code calls for large operations, and keeps linear memories in
//! [`LinearMemory`].
//!
//! Functions are translated straight from wasm operators rather than from wz-ir: Cranelift
//! builds its own SSA form and allocates registers, so the register IR's slot assignment would
//! only be undone, and wasm's exact operand types (which the IR's raw slots erase) are what
//! Cranelift needs. Translation and compilation of a module's functions run on all cores.
//!
//! Traps: explicit checks and guard-page faults stop the thread in generated code; a signal
//! handler ([`traps`](crate::traps)) that only acts on faults inside code this crate generated
//! resumes the host at the point it called into wasm, with the trap code. The unsafe code of
//! the crate lives in `code` (executable memory), `traps` (signals and the entry/unwind
//! routines), `memory` (address space reservations) and [`JitEngine::call`].
//!
//! Supported hosts for running code: Linux on x86_64 and aarch64 ([`JitEngine::new`] fails
//! elsewhere). Any Cranelift target can be compiled for with [`JitEngine::for_target`].
//!
//! Compiling for another target (here aarch64, from any host) needs no runtime:
//!
//! ```
//! use wz_cranelift::{JitConfig, JitEngine, Triple};
//!
//! let wasm = wat::parse_str(r#"(module (func (export "inc") (param i32) (result i32)
//!     local.get 0 i32.const 1 i32.add))"#).unwrap();
//! let module = wz_binary::Module::decode(&wasm, Default::default()).unwrap();
//! let aarch64: Triple = "aarch64-unknown-linux-gnu".parse().unwrap();
//! let engine = JitEngine::for_target(aarch64, JitConfig::default()).unwrap();
//! let funcs = engine.compile_functions(&module).unwrap();
//! assert_eq!(funcs.len(), 1);
//! assert!(!funcs[0].code().is_empty());
//! ```
#![deny(unsafe_code)]

mod artifact;
#[allow(unsafe_code)]
mod code;
mod link;
#[allow(unsafe_code)]
mod memory;
mod translate;
#[allow(unsafe_code)]
mod traps;
#[allow(unsafe_code)]
pub mod vm;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{
    self, AbiParam, InstBuilder, MemFlagsData, Signature, UserFuncName, types,
};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wz_binary::{FuncType, Module, ValType};
use wz_ir::TrapCode;

pub use code::CodeMemory;
pub use memory::{BoundsChecks, LinearMemory, MemoryError, MemoryImage};
pub use target_lexicon::Triple;

use link::{Image, RelocTarget};
use translate::{ModuleEnv, clif_type, wasm_signature};
use vm::{VMOffsets, VMStoreContext};

/// Why compilation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    message: String,
    offset: Option<u64>,
}

impl CompileError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        CompileError {
            message: message.into(),
            offset: None,
        }
    }

    pub(crate) fn at(message: impl Into<String>, offset: usize) -> Self {
        CompileError {
            message: message.into(),
            offset: Some(offset as u64),
        }
    }

    pub(crate) fn with_offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset as u64);
        self
    }

    /// The description of the problem.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the module of the instruction involved, if known.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{} (at offset {o:#x})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CompileError {}

/// How a call into generated code ended abnormally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// A wasm trap.
    Wasm(TrapCode),
    /// A builtin or host function recorded an error with the store; the store reports it.
    Pending,
}

/// A trap of a call into generated code, with the frames it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTrap {
    /// Why the call stopped.
    pub trap: Trap,
    /// Where, innermost frame first (at most 64 frames): the faulting instruction, then for
    /// each calling frame an address inside its call instruction. Addresses outside every
    /// module's code (trampolines, host adapters) are included; [`JitModule::frame_at`] maps
    /// the others to wasm functions and instructions.
    pub pcs: Vec<usize>,
    /// How many frames there were in all (more than `pcs` holds when the stack was deeper).
    pub frames: usize,
}

const USER_BASE: u8 = 10;
const PENDING: u8 = 100;

/// The Cranelift trap code generated code uses for `code`.
pub(crate) fn trap_code(code: TrapCode) -> ir::TrapCode {
    match code {
        TrapCode::MemoryOutOfBounds => ir::TrapCode::HEAP_OUT_OF_BOUNDS,
        TrapCode::IntegerDivideByZero => ir::TrapCode::INTEGER_DIVISION_BY_ZERO,
        TrapCode::IntegerOverflow => ir::TrapCode::INTEGER_OVERFLOW,
        TrapCode::InvalidConversionToInteger => ir::TrapCode::BAD_CONVERSION_TO_INTEGER,
        TrapCode::StackOverflow => ir::TrapCode::STACK_OVERFLOW,
        other => ir::TrapCode::unwrap_user(USER_BASE + other as u8),
    }
}

/// The trap code for "an error is pending in the store".
pub(crate) fn pending_trap() -> ir::TrapCode {
    ir::TrapCode::unwrap_user(PENDING)
}

fn trap_from_raw(raw: u8) -> Trap {
    if raw == traps::raw_code(pending_trap()) {
        return Trap::Pending;
    }
    TrapCode::ALL
        .iter()
        .copied()
        .find(|&c| traps::raw_code(trap_code(c)) == raw)
        .map_or(Trap::Wasm(TrapCode::Unreachable), Trap::Wasm)
}

/// The version of the artifact layout (part of every engine fingerprint).
const ARTIFACT_FORMAT: u32 = 2;

/// Options of the JIT engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitConfig {
    /// How memory accesses are kept in bounds.
    pub bounds_checks: BoundsChecks,
    /// The most host stack wasm code may use, in bytes, before "call stack exhausted".
    pub max_wasm_stack: usize,
    /// Run Cranelift's IR verifier on every function (slow; for debugging).
    pub verify: bool,
    /// The fuel and interrupt checks compiled into every function.
    pub metering: wz_ir::Metering,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            bounds_checks: if BoundsChecks::guard_pages_supported() {
                BoundsChecks::GuardPages
            } else {
                BoundsChecks::Explicit
            },
            max_wasm_stack: 512 * 1024,
            verify: false,
            metering: wz_ir::Metering::default(),
        }
    }
}

/// The per-signature entry points every function of that type needs.
#[derive(Debug)]
pub struct Trampolines {
    code: Arc<CodeMemory>,
    entry: usize,
    host_adapter: usize,
}

impl Trampolines {
    /// The host adapter: code with the wasm calling convention that forwards a call to
    /// [`vm::Builtins::host_call`] (the `code` of a host function's [`vm::VMFuncRef`]).
    pub fn host_adapter(&self) -> *const u8 {
        self.code.ptr(self.host_adapter)
    }

    /// The entry trampoline: host-callable code (`extern "C" fn(code, vmctx, caller_vmctx,
    /// slots)`) that loads the parameters from the slots, calls `code` with the wasm calling
    /// convention and stores the results back. [`JitEngine::call`] runs it.
    pub fn entry(&self) -> *const u8 {
        self.code.ptr(self.entry)
    }
}

/// Compiles modules for one target and runs them on this host.
pub struct JitEngine {
    isa: OwnedTargetIsa,
    config: JitConfig,
    trampolines: Mutex<HashMap<FuncType, Arc<Trampolines>>>,
    native: bool,
}

impl fmt::Debug for JitEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitEngine")
            .field("target", &self.isa.triple().to_string())
            .field("config", &self.config)
            .finish()
    }
}

fn flags(config: &JitConfig) -> Result<settings::Flags, CompileError> {
    let mut b = settings::builder();
    let set = |b: &mut settings::Builder, k: &str, v: &str| {
        b.set(k, v)
            .map_err(|e| CompileError::new(format!("cranelift setting {k}: {e}")))
    };
    set(&mut b, "opt_level", "speed")?;
    set(
        &mut b,
        "enable_verifier",
        if config.verify { "true" } else { "false" },
    )?;
    set(&mut b, "enable_probestack", "true")?;
    // Every frame links to its caller's, so a trap can list the wasm frames above it
    // (see `traps`): a walk that needs no unwind tables.
    set(&mut b, "preserve_frame_pointers", "true")?;
    set(&mut b, "probestack_strategy", "inline")?;
    // Wasm functions may return more values than the target has return registers (aarch64's
    // tail convention runs out sooner than x86_64's); both ends of such calls are generated
    // here, so the implicit return area is safe.
    set(&mut b, "enable_multi_ret_implicit_sret", "true")?;
    // Block offsets and edges, to place each function so its small loops stay inside one
    // 64-byte line (see `link::loop_friendly_start`).
    set(&mut b, "machine_code_cfg_info", "true")?;
    Ok(settings::Flags::new(b))
}

impl JitEngine {
    /// An engine for this host. Fails where generated code cannot run (see the crate docs).
    pub fn new(config: JitConfig) -> Result<Self, CompileError> {
        if !traps::SUPPORTED {
            return Err(CompileError::new(
                "the JIT cannot run code on this host (Linux on x86_64 or aarch64 only)",
            ));
        }
        let builder = cranelift_native::builder()
            .map_err(|e| CompileError::new(format!("host not supported by Cranelift: {e}")))?;
        let isa = builder
            .finish(flags(&config)?)
            .map_err(|e| CompileError::new(format!("cannot configure Cranelift: {e}")))?;
        Ok(JitEngine {
            isa,
            config,
            trampolines: Mutex::new(HashMap::new()),
            native: true,
        })
    }

    /// An engine that compiles for `triple` (for example `aarch64-unknown-linux-gnu`). Code it
    /// compiles for another target cannot be run.
    pub fn for_target(triple: Triple, config: JitConfig) -> Result<Self, CompileError> {
        let builder = cranelift_codegen::isa::lookup(triple.clone())
            .map_err(|e| CompileError::new(format!("target {triple}: {e}")))?;
        let isa = builder
            .finish(flags(&config)?)
            .map_err(|e| CompileError::new(format!("cannot configure Cranelift: {e}")))?;
        let native = traps::SUPPORTED && triple == Triple::host();
        Ok(JitEngine {
            isa,
            config,
            trampolines: Mutex::new(HashMap::new()),
            native,
        })
    }

    /// The options in force.
    pub fn config(&self) -> &JitConfig {
        &self.config
    }

    /// The target triple code is compiled for.
    pub fn triple(&self) -> &Triple {
        self.isa.triple()
    }

    fn env<'m>(&self, module: &'m Module) -> ModuleEnv<'m> {
        ModuleEnv {
            module,
            offsets: VMOffsets::new(module),
            bounds: self.config.bounds_checks,
            call_conv: CallConv::Tail,
            host_call_conv: CallConv::triple_default(self.isa.triple()),
            frontend: self.isa.frontend_config(),
            metering: self.config.metering,
        }
    }

    /// Compiles every defined function of `module` to machine code, on all cores.
    pub fn compile_functions(
        &self,
        module: &Module,
    ) -> Result<Vec<CompiledFunction>, CompileError> {
        let env = self.env(module);
        let n = module.bodies.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .min(n.max(1));
        if threads <= 1 || n < 4 {
            let mut ctx = Context::new();
            let mut fctx = FunctionBuilderContext::new();
            return (0..n as u32)
                .map(|i| self.compile_one(&env, i, &mut ctx, &mut fctx))
                .collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Vec<(usize, Result<CompiledFunction, CompileError>)>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut ctx = Context::new();
                            let mut fctx = FunctionBuilderContext::new();
                            let mut out = Vec::new();
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if i >= n {
                                    break;
                                }
                                out.push((
                                    i,
                                    self.compile_one(&env, i as u32, &mut ctx, &mut fctx),
                                ));
                            }
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
        let mut slots: Vec<Option<CompiledFunction>> = (0..n).map(|_| None).collect();
        for (i, r) in results.into_iter().flatten() {
            slots[i] = Some(r?);
        }
        slots
            .into_iter()
            .map(|s| s.ok_or_else(|| CompileError::new("a compiler thread failed")))
            .collect()
    }

    /// Compiles one function; a panic inside Cranelift becomes an error, never a crash.
    fn compile_one(
        &self,
        env: &ModuleEnv<'_>,
        defined: u32,
        ctx: &mut Context,
        fctx: &mut FunctionBuilderContext,
    ) -> Result<CompiledFunction, CompileError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.compile_one_inner(env, defined, ctx, fctx)
        }))
        .unwrap_or_else(|_| {
            *fctx = FunctionBuilderContext::new();
            Err(CompileError::new(format!(
                "internal compiler error in function {defined}"
            )))
        })
    }

    fn compile_one_inner(
        &self,
        env: &ModuleEnv<'_>,
        defined: u32,
        ctx: &mut Context,
        fctx: &mut FunctionBuilderContext,
    ) -> Result<CompiledFunction, CompileError> {
        let module = env.module;
        let ty = module
            .func_type(module.num_imported_funcs + defined)
            .ok_or_else(|| CompileError::new("function has no type"))?;
        ctx.clear();
        ctx.func.signature = wasm_signature(ty, env.call_conv);
        ctx.func.name = UserFuncName::user(0, defined);
        translate::set_stack_limit(&mut ctx.func);
        let translated =
            translate::translate(env, defined, FunctionBuilder::new(&mut ctx.func, fctx));
        if translated.is_err() {
            // The builder was abandoned mid-function; start the next one from a clean context.
            *fctx = FunctionBuilderContext::new();
        }
        translated?;
        self.finish(ctx, "code generation")
    }

    /// Compiles `module` and loads it into executable memory.
    pub fn compile(&self, module: &Module) -> Result<JitModule, CompileError> {
        if !self.native {
            return Err(CompileError::new(
                "this engine compiles for another target; its code cannot be loaded here",
            ));
        }
        let funcs = self.compile_functions(module)?;
        JitModule::from_image(Image::layout(&funcs)?, module)
    }

    /// Everything about this engine that shapes the code it generates (wz version, artifact
    /// format, target and CPU features, Cranelift settings, options), hashed: artifacts
    /// record it and only load into an engine with the same one; caches key on it.
    pub fn fingerprint(&self) -> u64 {
        let isa_flags: Vec<String> = self
            .isa
            .isa_flags()
            .iter()
            .map(ToString::to_string)
            .collect();
        let description = format!(
            "wz-cranelift {} artifact {}|{}|{}|{}|{:?}",
            env!("CARGO_PKG_VERSION"),
            ARTIFACT_FORMAT,
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(","),
            self.config,
        );
        artifact::fnv1a(description.as_bytes())
    }

    fn identity(&self, module: &Module) -> artifact::Identity {
        artifact::Identity {
            fingerprint: self.fingerprint(),
            module_hash: artifact::fnv1a(&module.bytes),
            functions: module.bodies.len() as u32,
        }
    }

    /// Compiles `module` into an *artifact*: a relocatable ELF object holding the machine code
    /// of every defined function, its relocations and trap sites, tied to this engine's
    /// configuration and to the module's bytes. Works for any target the engine compiles for
    /// (x86_64 and aarch64); [`JitEngine::load_artifact`] turns it back into runnable code
    /// without compiling.
    pub fn compile_artifact(&self, module: &Module) -> Result<Vec<u8>, CompileError> {
        let arch = artifact::architecture(self.isa.triple())?;
        let image = Image::layout(&self.compile_functions(module)?)?;
        artifact::write(&image, arch, self.identity(module))
    }

    /// Loads an artifact made by [`JitEngine::compile_artifact`] for `module`. Artifacts of
    /// another module, wz version, target or engine configuration, and artifacts whose code
    /// bytes changed, are refused with an error.
    ///
    /// # Safety
    /// The artifact's machine code will run in this process. The checks above catch mistakes
    /// and corruption, not a forged artifact: `artifact` must come from `compile_artifact`
    /// (for example, from a cache only this program writes).
    #[allow(unsafe_code)]
    pub unsafe fn load_artifact(
        &self,
        module: &Module,
        artifact: &[u8],
    ) -> Result<JitModule, CompileError> {
        if !self.native {
            return Err(CompileError::new(
                "this engine compiles for another target; its code cannot be loaded here",
            ));
        }
        let arch = artifact::architecture(self.isa.triple())?;
        let image = artifact::read(artifact, arch, self.identity(module))?;
        JitModule::from_image(image, module)
    }

    /// The entry trampoline and host adapter for signature `ty`, compiled on first use.
    pub fn trampolines(&self, ty: &FuncType) -> Result<Arc<Trampolines>, CompileError> {
        if let Some(t) = self
            .trampolines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(ty)
        {
            return Ok(t.clone());
        }
        let t = Arc::new(self.compile_trampolines(ty)?);
        self.trampolines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ty.clone(), t.clone());
        Ok(t)
    }

    fn compile_trampolines(&self, ty: &FuncType) -> Result<Trampolines, CompileError> {
        let image = Image::layout(&self.trampoline_functions(ty)?)?;
        Ok(Trampolines {
            code: image.load()?,
            entry: image.offsets[0],
            host_adapter: image.offsets[1],
        })
    }

    /// The machine code of signature `ty`'s entry trampoline and host adapter (in that
    /// order), not yet loaded: what [`JitEngine::trampolines`] loads, for inspection.
    pub fn trampoline_functions(
        &self,
        ty: &FuncType,
    ) -> Result<Vec<CompiledFunction>, CompileError> {
        let host_cc = CallConv::triple_default(self.isa.triple());
        let mut ctx = Context::new();
        let mut fctx = FunctionBuilderContext::new();
        let mut funcs = Vec::new();
        // Entry: (code, vmctx, caller, slots) with the host convention.
        {
            let mut sig = Signature::new(host_cc);
            for _ in 0..4 {
                sig.params.push(AbiParam::new(types::I64));
            }
            ctx.func = ir::Function::with_name_signature(UserFuncName::user(1, 0), sig);
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            b.seal_block(block);
            let p = b.block_params(block).to_vec();
            let (code, vmctx, caller, slots) = (p[0], p[1], p[2], p[3]);
            let mut args = vec![vmctx, caller];
            // Slots are 8-byte aligned; a v128 in them need not be 16-byte aligned.
            let flags = MemFlagsData::new().with_notrap();
            let mut off = 0i32;
            for &t in ty.params() {
                args.push(b.ins().load(clif_type(t), flags, slots, off));
                off += slot_bytes(t);
            }
            let wsig = b.import_signature(wasm_signature(ty, CallConv::Tail));
            let call = b.ins().call_indirect(wsig, code, &args);
            let results = b.inst_results(call).to_vec();
            let mut off = 0i32;
            for (&t, v) in ty.results().iter().zip(results) {
                let v = widen_to_slot(&mut b, v);
                b.ins().store(flags, v, slots, off);
                off += slot_bytes(t);
            }
            b.ins().return_(&[]);
            b.finalize(self.isa.frontend_config());
            funcs.push(self.finish(&mut ctx, "trampoline generation")?);
        }
        // Host adapter: the wasm convention, forwarding to `host_call`.
        {
            ctx.clear();
            ctx.func = ir::Function::with_name_signature(
                UserFuncName::user(1, 1),
                wasm_signature(ty, CallConv::Tail),
            );
            translate::set_stack_limit(&mut ctx.func);
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            b.seal_block(block);
            let p = b.block_params(block).to_vec();
            let (vmctx, caller) = (p[0], p[1]);
            let words = slot_count(ty.params()).max(slot_count(ty.results())).max(1);
            let slot = b.create_sized_stack_slot(ir::StackSlotData::new(
                ir::StackSlotKind::ExplicitSlot,
                words * 8,
                4,
            ));
            let mut off = 0i32;
            for (&t, &v) in ty.params().iter().zip(&p[2..]) {
                let v = widen_to_slot(&mut b, v);
                b.ins().stack_store(types::I64, v, slot, off);
                off += slot_bytes(t);
            }
            let flags = MemFlagsData::trusted().with_readonly();
            let store = b.ins().load(types::I64, flags, vmctx, VMOffsets::STORE);
            let builtins = b
                .ins()
                .load(types::I64, flags, store, VMStoreContext::BUILTINS);
            let host_call = b
                .ins()
                .load(types::I64, flags, builtins, vm::Builtins::HOST_CALL);
            let addr = b.ins().stack_addr(types::I64, slot, 0);
            let mut hsig = Signature::new(host_cc);
            for _ in 0..3 {
                hsig.params.push(AbiParam::new(types::I64));
            }
            hsig.returns.push(AbiParam::new(types::I32));
            let hsig = b.import_signature(hsig);
            let call = b
                .ins()
                .call_indirect(hsig, host_call, &[vmctx, caller, addr]);
            let status = b.inst_results(call)[0];
            b.ins().trapnz(status, pending_trap());
            let mut results = Vec::new();
            let mut off = 0i32;
            for &t in ty.results() {
                results.push(b.ins().stack_load(types::I64, clif_type(t), slot, off));
                off += slot_bytes(t);
            }
            b.ins().return_(&results);
            b.finalize(self.isa.frontend_config());
            funcs.push(self.finish(&mut ctx, "trampoline generation")?);
        }
        Ok(funcs)
    }

    /// Generates machine code for the function in `ctx` and records its relocations (calls
    /// to other functions of the module by defined index) and trap sites.
    fn finish(&self, ctx: &mut Context, what: &str) -> Result<CompiledFunction, CompileError> {
        let names: Vec<(ir::UserExternalNameRef, u32)> = ctx
            .func
            .params
            .user_named_funcs()
            .iter()
            .map(|(r, n)| (r, n.index))
            .collect();
        let compiled = ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| CompileError::new(format!("{what} failed: {:?}", e.inner)))?;
        let mut relocs = Vec::new();
        for r in compiled.buffer.relocs() {
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)) => {
                    let index = names
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, i)| *i)
                        .ok_or_else(|| CompileError::new("unknown call target"))?;
                    RelocTarget::Function(index)
                }
                FinalizedRelocTarget::ExternalName(ir::ExternalName::LibCall(lc)) => {
                    RelocTarget::LibCall(*lc)
                }
                FinalizedRelocTarget::Func(offset) => RelocTarget::Own(*offset),
                other => {
                    return Err(CompileError::new(format!(
                        "unsupported relocation target {other:?}"
                    )));
                }
            };
            relocs.push((r.offset, r.kind, target, r.addend));
        }
        // Which wasm instruction each stretch of machine code came from, for backtraces:
        // `(code offset, module offset)` from that offset on; `NO_SRCLOC` where none did.
        let mut srclocs: Vec<(u32, u32)> = Vec::new();
        let mut end = 0;
        for loc in compiled.buffer.get_srclocs_sorted() {
            if loc.start != end {
                push_srcloc(&mut srclocs, end, NO_SRCLOC);
            }
            let wasm = if loc.loc.is_default() {
                NO_SRCLOC
            } else {
                loc.loc.bits()
            };
            push_srcloc(&mut srclocs, loc.start, wasm);
            end = loc.end;
        }
        push_srcloc(&mut srclocs, end, NO_SRCLOC);
        let start = link::loop_friendly_start(
            &compiled.bb_starts,
            &compiled.bb_edges,
            compiled.code_buffer().len() as u32,
        );
        Ok(CompiledFunction {
            start,
            code: compiled.code_buffer().to_vec(),
            srclocs,
            relocs,
            traps: compiled
                .buffer
                .traps()
                .iter()
                .map(|t| (t.offset, t.code))
                .collect(),
        })
    }

    /// Calls the wasm function `func` (a [`vm::VMFuncRef`]) from the host through `entry`,
    /// the [entry trampoline](Trampolines::entry) of its signature, with `slots` holding the
    /// parameters (one 8-byte slot each, two for `v128`) and receiving the results. `caller`
    /// is the vmctx reported to host functions as the caller (may be the callee's own).
    ///
    /// # Safety
    /// `func` must be a live function reference of a store whose context is `store`, all of
    /// whose objects stay alive and unaliased by Rust references during the call; `entry`
    /// must be the entry trampoline of `func`'s signature, from trampolines that stay alive
    /// during the call; `slots` must hold at least `max(params, results)` slots of that
    /// signature.
    #[allow(unsafe_code)]
    #[inline]
    pub unsafe fn call(
        &self,
        entry: *const u8,
        func: *const vm::VMFuncRef,
        caller: *mut u8,
        slots: *mut u64,
        store: *mut VMStoreContext,
    ) -> Result<(), CallTrap> {
        // SAFETY: `func` and `store` are live per the caller's contract.
        let (code, vmctx, outermost) = unsafe {
            let f = &*func;
            let outermost = (*store).stack_limit == 0;
            if outermost {
                (*store).stack_limit = stack_limit(self.config.max_wasm_stack);
            }
            (f.code, f.vmctx, outermost)
        };
        // SAFETY: `entry` is the entry trampoline of `func`'s signature and the other
        // arguments are what it expects (the caller's contract); this frame owns nothing
        // that needs dropping.
        let outcome = unsafe { traps::catch_traps(entry, code, vmctx, caller, slots) };
        if outermost {
            // SAFETY: as above.
            unsafe { (*store).stack_limit = 0 };
        }
        outcome.map_err(|t| CallTrap {
            trap: trap_from_raw(t.code),
            pcs: t.pcs,
            frames: t.frames,
        })
    }
}

/// Host stack kept free below wasm frames: for the signal handler, builtins and host
/// functions called from wasm.
const HOST_STACK_RESERVE: usize = 128 * 1024;

/// The lowest stack address wasm code may use in a call starting here: `max_wasm_stack`
/// below the current stack pointer, but never closer than [`HOST_STACK_RESERVE`] to the
/// thread's stack end, so deep recursion traps with "call stack exhausted" even on threads
/// with small stacks instead of reaching the guard page.
fn stack_limit(max_wasm_stack: usize) -> usize {
    let by_budget = traps::stack_pointer().saturating_sub(max_wasm_stack);
    match traps::stack_low() {
        Some(low) => by_budget.max(low.saturating_add(HOST_STACK_RESERVE)),
        None => by_budget,
    }
}

/// In a source location table: machine code that no wasm instruction produced.
pub(crate) const NO_SRCLOC: u32 = u32::MAX;

/// Appends "from `at` on, code comes from module offset `wasm`" unless it changes nothing.
fn push_srcloc(table: &mut Vec<(u32, u32)>, at: u32, wasm: u32) {
    match table.last_mut() {
        Some(last) if last.1 == wasm => {}
        Some(last) if last.0 == at => last.1 = wasm,
        _ => table.push((at, wasm)),
    }
}

/// Machine code of one function before linking.
#[derive(Debug)]
pub struct CompiledFunction {
    /// Where in a 64-byte line the function should start (see
    /// [`link::loop_friendly_start`]); `None`: anywhere the default alignment allows.
    start: Option<u32>,
    code: Vec<u8>,
    /// Sorted `(code offset, module offset)`: the wasm instruction the code from that offset
    /// on came from (up to the next entry), or [`NO_SRCLOC`].
    srclocs: Vec<(u32, u32)>,
    relocs: Vec<(u32, Reloc, RelocTarget, i64)>,
    traps: Vec<(u32, ir::TrapCode)>,
}

impl CompiledFunction {
    /// The machine code bytes.
    pub fn code(&self) -> &[u8] {
        &self.code
    }
}

/// A module's compiled code, loaded and executable.
#[derive(Debug, Clone)]
pub struct JitModule {
    code: Arc<CodeMemory>,
    offsets: Vec<usize>,
    srclocs: Arc<[(u32, u32)]>,
    vm_offsets: VMOffsets,
}

/// Where a program counter in a [`JitModule`]'s code is, in wasm terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitFrame {
    /// The defined function (0 is the module's first function after its imports).
    pub defined: u32,
    /// The byte offset in the module of the wasm instruction the code came from, if any.
    pub module_offset: Option<u32>,
}

impl JitModule {
    fn from_image(image: Image, module: &Module) -> Result<JitModule, CompileError> {
        Ok(JitModule {
            code: image.load()?,
            offsets: image.offsets,
            srclocs: image.srclocs.into(),
            vm_offsets: VMOffsets::new(module),
        })
    }

    /// The wasm function and instruction the machine instruction at `pc` belongs to, or `None`
    /// when `pc` is not in this module's code. For a frame's return address, pass the address
    /// minus one (the call instruction).
    pub fn frame_at(&self, pc: usize) -> Option<JitFrame> {
        let start = self.code.ptr(0) as usize;
        let offset = pc.checked_sub(start).filter(|&o| o < self.code.len())?;
        let defined = self
            .offsets
            .partition_point(|&o| o <= offset)
            .checked_sub(1)?;
        let i = self
            .srclocs
            .partition_point(|&(at, _)| at as usize <= offset)
            .checked_sub(1);
        let module_offset = i
            .map(|i| self.srclocs[i].1)
            .filter(|&wasm| wasm != NO_SRCLOC);
        Some(JitFrame {
            defined: defined as u32,
            module_offset,
        })
    }

    /// The native code of defined function `defined` (wasm calling convention).
    pub fn function(&self, defined: u32) -> *const u8 {
        self.code.ptr(self.offsets[defined as usize])
    }

    /// The vmctx layout instances of this module use.
    pub fn vm_offsets(&self) -> VMOffsets {
        self.vm_offsets
    }

    /// The size of the machine code in bytes.
    pub fn code_size(&self) -> usize {
        self.code.len()
    }
}

/// `v` as it is stored in an 8-byte slot: 32-bit values zero-extended to fill it (the
/// interpreter's layout, so hosts and listeners see the same slots from every engine).
pub(crate) fn widen_to_slot(b: &mut FunctionBuilder<'_>, v: ir::Value) -> ir::Value {
    match b.func.dfg.value_type(v) {
        types::I32 => b.ins().uextend(types::I64, v),
        types::F32 => {
            let bits = b.ins().bitcast(types::I32, MemFlagsData::new(), v);
            b.ins().uextend(types::I64, bits)
        }
        _ => v,
    }
}

fn slot_bytes(t: ValType) -> i32 {
    if t == ValType::V128 { 16 } else { 8 }
}

fn slot_count(types: &[ValType]) -> u32 {
    types.iter().map(|t| slot_bytes(*t) as u32 / 8).sum()
}
