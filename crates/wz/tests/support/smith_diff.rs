//! Random valid modules from wasm-smith, run on the interpreter and on the JIT: instantiation,
//! every exported function's results or trap, and afterwards the exported globals and
//! memories must be the same. Shared by the `smith_differential` test and the `diff` fuzz
//! target (which includes this file by path).
//!
//! Modules are generated with NaN canonicalization (wasm-smith rewrites every float result
//! that is a NaN to the canonical one) so results are deterministic, and with fuel so every
//! loop and recursion ends. A call that exhausts the stack on either engine ends the
//! comparison: the engines' stack depths differ by design.

use arbitrary::{Result, Unstructured};
use wz::{
    CallContext, ErrorKind, Function, Module, ModuleConfig, Runtime, RuntimeConfig, TrapCode, Val,
    ValType,
};
use wz_binary::{Export, ExternKind};

/// A wasm-smith configuration for Wasm 2.0 modules without imports.
pub fn config(u: &mut Unstructured<'_>) -> Result<wasm_smith::Config> {
    let mut c: wasm_smith::Config = u.arbitrary()?;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.compact_imports_enabled = false;
    c.custom_descriptors_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.memory64_enabled = false;
    c.relaxed_simd_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.tail_call_enabled = false;
    c.threads_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.extended_const_enabled = false;
    c.max_memories = c.max_memories.min(1);
    c.max_tables = c.max_tables.min(8);
    c.max_imports = 0;
    // Keep memories small, growth included (a memory without a maximum could grow to
    // 4 GiB and make one input take seconds).
    c.max_memory32_bytes = c.max_memory32_bytes.min(16 << 20);
    c.memory_max_size_required = true;
    c.canonicalize_nans = true;
    // Every function, global and memory exported, so all of them are compared.
    c.export_everything = true;
    c.max_funcs = c.max_funcs.clamp(5, 50);
    c.min_funcs = 5;
    Ok(c)
}

/// What one comparison did.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Exported functions called on both engines with matching outcomes.
    pub calls: usize,
    /// Why the comparison stopped early, if it did.
    pub stopped: Option<&'static str>,
}

fn arg(u: &mut Unstructured<'_>, t: ValType) -> Result<Val> {
    Ok(match t {
        ValType::I32 => Val::I32(u.arbitrary()?),
        ValType::I64 => Val::I64(u.arbitrary()?),
        ValType::F32 => Val::F32(u.arbitrary()?),
        ValType::F64 => Val::F64(u.arbitrary()?),
        ValType::V128 => Val::V128(u.arbitrary()?),
        other => Val::default_for(other),
    })
}

/// Both engines returned equal values, or failed the same way (the same trap code, or the
/// same kind of other error).
fn same_outcome<T: PartialEq + std::fmt::Debug>(
    what: &str,
    a: std::result::Result<&T, &wz::Error>,
    b: std::result::Result<&T, &wz::Error>,
) -> std::result::Result<(), String> {
    match (a, b) {
        (Ok(x), Ok(y)) if x == y => Ok(()),
        (Err(x), Err(y)) => match (x.kind(), y.kind()) {
            (ErrorKind::Trap(p), ErrorKind::Trap(q)) if p == q => Ok(()),
            _ if std::mem::discriminant(x.kind()) == std::mem::discriminant(y.kind())
                && !matches!(x.kind(), ErrorKind::Trap(_)) =>
            {
                Ok(())
            }
            _ => Err(format!("{what}: interp: {x} / jit: {y}")),
        },
        _ => Err(format!("{what}: interp: {a:?} / jit: {b:?}")),
    }
}

fn exhausted<T>(r: &std::result::Result<T, wz::Error>) -> bool {
    matches!(r, Err(e) if matches!(e.kind(), ErrorKind::Trap(TrapCode::StackOverflow)))
}

/// The module `u` describes, with fuel added so it terminates: `Err` says why there is none.
pub fn module(u: &mut Unstructured<'_>) -> std::result::Result<Vec<u8>, &'static str> {
    let config = config(u).map_err(|_| "wasm-smith made no module")?;
    let mut module = wasm_smith::Module::new(config, u).map_err(|_| "wasm-smith made no module")?;
    module
        .ensure_termination(1_000)
        .map_err(|_| "wasm-smith could not add fuel")?;
    Ok(module.to_bytes())
}

/// Generates a module from `u` and compares the engines on it. `Err` describes a difference;
/// `Ok` also covers inputs wasm-smith could not use. (The module of a difference is
/// [`module`] of the same input.)
pub fn compare(u: &mut Unstructured<'_>) -> std::result::Result<Verdict, String> {
    let bytes = match module(u) {
        Ok(bytes) => bytes,
        Err(why) => {
            return Ok(Verdict {
                calls: 0,
                stopped: Some(why),
            });
        }
    };
    // Half of the inputs run metered, each call with a fuel budget: both engines must run
    // out at the same point and count the same fuel.
    let budget: Option<u64> = match u.arbitrary::<bool>() {
        Ok(true) => u.int_in_range(0..=200_000).ok(),
        _ => None,
    };
    let mut runtimes = Vec::new();
    for config in [RuntimeConfig::interpreter(), RuntimeConfig::compiler()] {
        let config = config.with_fuel(budget.is_some());
        let Ok(runtime) = Runtime::with_config(config) else {
            return Ok(Verdict {
                calls: 0,
                stopped: Some("the JIT is not available on this host"),
            });
        };
        runtimes.push(runtime);
    }
    let mut compiled = Vec::new();
    let mut instances = Vec::new();
    for runtime in &runtimes {
        let c = runtime.compile_module(&bytes).map_err(|e| {
            format!(
                "{}: a valid module failed to compile: {e}",
                runtime.engine_name()
            )
        })?;
        // Anonymous, and no start functions: only what the module itself runs.
        let config = ModuleConfig::new().with_name("").with_start_functions(&[]);
        instances.push(runtime.instantiate_module(&c, config));
        compiled.push(c);
    }
    if instances.iter().any(exhausted) {
        return Ok(Verdict {
            calls: 0,
            stopped: Some("stack exhausted"),
        });
    }
    same_outcome(
        "instantiation",
        instances[0].as_ref().map(|_| &()),
        instances[1].as_ref().map(|_| &()),
    )?;
    let (Ok(a), Ok(b)) = (&instances[0], &instances[1]) else {
        return Ok(Verdict {
            calls: 0,
            stopped: Some("instantiation failed on both engines"),
        });
    };
    let modules = [a, b];
    let exports = &compiled[0]
        .store_module()
        .expect("a wasm module")
        .module()
        .exports;
    let mut verdict = Verdict::default();
    for export in exports {
        let ExternKind::Func(_) = export.kind else {
            continue;
        };
        let funcs: Vec<Function> = modules
            .iter()
            .map(|m| m.exported_function(&export.name).expect("exported"))
            .collect();
        let ty = funcs[0].definition().ty().clone();
        let Ok(args) = ty
            .params()
            .iter()
            .map(|t| arg(u, *t))
            .collect::<Result<Vec<Val>>>()
        else {
            break;
        };
        let contexts: Vec<CallContext> = funcs
            .iter()
            .map(|_| match budget {
                Some(fuel) => CallContext::new().with_fuel(fuel),
                None => CallContext::new(),
            })
            .collect();
        let outcomes: Vec<_> = funcs
            .iter()
            .zip(&contexts)
            .map(|(f, ctx)| f.call_values_with(ctx, &args))
            .collect();
        if outcomes.iter().any(exhausted) {
            verdict.stopped = Some("stack exhausted");
            return Ok(verdict);
        }
        same_outcome(
            &format!("call {}{args:?}", export.name),
            outcomes[0].as_ref(),
            outcomes[1].as_ref(),
        )?;
        let fuel = [contexts[0].fuel_consumed(), contexts[1].fuel_consumed()];
        if fuel[0] != fuel[1] {
            return Err(format!(
                "call {}{args:?} with {budget:?} fuel: interp used {} / jit {}",
                export.name, fuel[0], fuel[1]
            ));
        }
        verdict.calls += 1;
        // Globals are cheap to compare after every call, which names the call that made
        // them differ; memories are compared once, at the end.
        compare_state(&modules, exports, false)
            .map_err(|e| format!("after call {}{args:?}: {e}", export.name))?;
    }
    compare_state(&modules, exports, true)?;
    Ok(verdict)
}

/// Exported globals (and, with `memories`, exported memories) must hold the same values on
/// both sides.
fn compare_state(
    modules: &[&Module],
    exports: &[Export],
    memories: bool,
) -> std::result::Result<(), String> {
    for export in exports {
        if !memories && matches!(export.kind, ExternKind::Memory(_)) {
            continue;
        }
        let values: Vec<Option<(Option<Val>, Vec<u8>)>> = modules
            .iter()
            .map(|m| match export.kind {
                ExternKind::Global(_) => m
                    .exported_global(&export.name)
                    .map(|g| (g.get(), Vec::new())),
                ExternKind::Memory(_) => m.exported_memory(&export.name).map(|mem| {
                    let bytes = mem.read(0, mem.size() as usize).unwrap_or_default();
                    (None, bytes)
                }),
                _ => None,
            })
            .collect();
        if values[0] != values[1] {
            let describe = |v: &Option<(Option<Val>, Vec<u8>)>| match v {
                Some((Some(g), _)) => format!("{g:?}"),
                Some((None, m)) => format!("memory of {} bytes", m.len()),
                None => "nothing".into(),
            };
            return Err(format!(
                "export {} differs: interp {} / jit {}",
                export.name,
                describe(&values[0]),
                describe(&values[1])
            ));
        }
    }
    Ok(())
}
