//! A runner for `.wast` spec scripts: every directive is executed and checked.

use std::collections::HashMap;

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use wz_store::{
    CompiledModule, Engine, Error, ErrorKind, Extern, Features, FuncType, GlobalType, HostFunc,
    InstanceId, Limits, MemoryType, RefType, Store, TableType, TrapCode, Val, ValType,
};

/// What running one script gave.
#[derive(Debug, Default)]
pub struct Report {
    /// Directives that behaved as the script expects.
    pub passed: usize,
    /// Directives that did not, each with a line number and the reason.
    pub failures: Vec<String>,
}

impl Report {
    /// How many directives failed.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

/// Runs the script `text` (named `name` in messages) on a fresh interpreter store.
pub fn run(name: &str, text: &str, features: Features) -> Report {
    run_on(name, text, features, &Engine::interpreter())
}

/// Runs the script `text` (named `name` in messages) on a fresh store of `engine`.
pub fn run_on(name: &str, text: &str, features: Features, engine: &Engine) -> Report {
    let mut report = Report::default();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            report.failures.push(format!("{name}: cannot lex: {e}"));
            return report;
        }
    };
    let script = match parser::parse::<Wast>(&buf) {
        Ok(script) => script,
        Err(e) => {
            report.failures.push(format!("{name}: cannot parse: {e}"));
            return report;
        }
    };
    let mut runner = match Runner::new(features, engine) {
        Ok(r) => r,
        Err(e) => {
            report
                .failures
                .push(format!("{name}: cannot set up the spectest module: {e}"));
            return report;
        }
    };
    for directive in script.directives {
        let (line, _) = directive.span().linecol_in(text);
        match runner.directive(directive) {
            Ok(()) => report.passed += 1,
            Err(why) => report.failures.push(format!("{name}:{}: {why}", line + 1)),
        }
    }
    report
}

struct Runner {
    store: Store,
    features: Features,
    engine: Engine,
    registered: HashMap<String, InstanceId>,
    named: HashMap<String, InstanceId>,
    definitions: HashMap<String, CompiledModule>,
    last_definition: Option<CompiledModule>,
    last: Option<InstanceId>,
}

type Outcome = Result<(), String>;

impl Runner {
    fn new(features: Features, engine: &Engine) -> Result<Self, Error> {
        let mut runner = Runner {
            store: Store::with_engine(engine.clone()),
            features,
            engine: engine.clone(),
            registered: HashMap::new(),
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            last: None,
        };
        let spectest = runner.spectest()?;
        runner.registered.insert("spectest".into(), spectest);
        Ok(runner)
    }

    fn spectest(&mut self) -> Result<InstanceId, Error> {
        let s = &mut self.store;
        let mut exports = Vec::new();
        let prints: [(&str, &[ValType]); 7] = [
            ("print", &[]),
            ("print_i32", &[ValType::I32]),
            ("print_i64", &[ValType::I64]),
            ("print_f32", &[ValType::F32]),
            ("print_f64", &[ValType::F64]),
            ("print_i32_f32", &[ValType::I32, ValType::F32]),
            ("print_f64_f64", &[ValType::F64, ValType::F64]),
        ];
        for (name, params) in prints {
            let ty = FuncType::new(params.iter().copied(), []);
            let f = s.alloc_host_func(HostFunc::new(ty, |_, _| Ok(())))?;
            exports.push((name.to_string(), Extern::Func(f)));
        }
        let globals = [
            ("global_i32", Val::I32(666)),
            ("global_i64", Val::I64(666)),
            ("global_f32", Val::F32(666.6f32.to_bits())),
            ("global_f64", Val::F64(666.6f64.to_bits())),
        ];
        for (name, v) in globals {
            let g = s.alloc_global(
                GlobalType {
                    content: v.ty(),
                    mutable: false,
                },
                v,
            )?;
            exports.push((name.to_string(), Extern::Global(g)));
        }
        let table = s.alloc_table(
            TableType {
                element: RefType::FuncRef,
                limits: Limits {
                    min: 10,
                    max: Some(20),
                },
            },
            Val::FuncRef(None),
        )?;
        exports.push(("table".into(), Extern::Table(table)));
        let memory = s.alloc_memory(MemoryType {
            limits: Limits {
                min: 1,
                max: Some(2),
            },
            shared: false,
        })?;
        exports.push(("memory".into(), Extern::Memory(memory)));
        Ok(s.alloc_host_instance(exports))
    }

    fn compile(&self, bytes: &[u8]) -> Result<CompiledModule, Error> {
        CompiledModule::with_engine(bytes, self.features, &self.engine)
    }

    /// Encodes and compiles a script module, returning its `$name` too.
    fn compile_quoted(
        &self,
        mut module: QuoteWat<'_>,
    ) -> Result<(Option<String>, CompiledModule), String> {
        let name = module.name().map(|id| id.name().to_string());
        let bytes = module
            .encode()
            .map_err(|e| format!("cannot encode module: {e}"))?;
        let compiled = self
            .compile(&bytes)
            .map_err(|e| format!("module failed to compile: {e}"))?;
        Ok((name, compiled))
    }

    fn resolve(&self, module: &CompiledModule) -> Result<Vec<Extern>, Error> {
        module
            .module()
            .imports
            .iter()
            .map(|import| {
                let instance = self.registered.get(&import.module).ok_or_else(|| {
                    Error::link(format!("unknown import: module \"{}\"", import.module))
                })?;
                self.store.export(*instance, &import.name).ok_or_else(|| {
                    Error::link(format!(
                        "unknown import: \"{}\" \"{}\"",
                        import.module, import.name
                    ))
                })
            })
            .collect()
    }

    fn instantiate(&mut self, module: &CompiledModule) -> Result<InstanceId, Error> {
        let imports = self.resolve(module)?;
        self.store.instantiate(module, &imports)
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceId, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module ${}", id.name())),
            None => self
                .last
                .ok_or_else(|| "no module instantiated yet".to_string()),
        }
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(module) => {
                let (name, compiled) = self.compile_quoted(module)?;
                let instance = self
                    .instantiate(&compiled)
                    .map_err(|e| format!("module failed to instantiate: {e}"))?;
                if let Some(name) = name {
                    self.named.insert(name, instance);
                }
                self.last = Some(instance);
                Ok(())
            }
            WastDirective::ModuleDefinition(module) => {
                let (name, compiled) = self.compile_quoted(module)?;
                if let Some(name) = name {
                    self.definitions.insert(name, compiled.clone());
                }
                self.last_definition = Some(compiled);
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let compiled = match module {
                    Some(id) => self.definitions.get(id.name()).cloned(),
                    None => self.last_definition.clone(),
                }
                .ok_or("unknown module definition")?;
                let inst = self
                    .instantiate(&compiled)
                    .map_err(|e| format!("module failed to instantiate: {e}"))?;
                if let Some(id) = instance {
                    self.named.insert(id.name().to_string(), inst);
                }
                self.last = Some(inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.registered.insert(name.to_string(), instance);
                Ok(())
            }
            WastDirective::Invoke(invoke) => self
                .invoke(&invoke)
                .map(|_| ())
                .map_err(|e| format!("invoke failed: {e}")),
            WastDirective::AssertReturn { exec, results, .. } => {
                let actual = self
                    .execute(exec)
                    .map_err(|e| format!("expected results, got error: {e}"))?;
                check_results(&actual, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(values) => Err(format!("expected trap \"{message}\", got {values:?}")),
                Err(e) => check_trap(&e, message),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(values) => Err(format!("expected exhaustion, got {values:?}")),
                Err(e) if e.trap_code() == Some(TrapCode::StackOverflow) => Ok(()),
                Err(e) => Err(format!("expected \"{message}\", got: {e}")),
            },
            WastDirective::AssertInvalid {
                module, message, ..
            }
            | WastDirective::AssertMalformed {
                module, message, ..
            } => self.assert_rejected(module, message),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            other => Err(format!(
                "unsupported directive {:?}",
                std::mem::discriminant(&other)
            )),
        }
    }

    fn assert_rejected(&mut self, mut module: QuoteWat<'_>, message: &str) -> Outcome {
        let bytes = match module.encode() {
            Ok(bytes) => bytes,
            // The text itself is malformed: rejected before wz sees it.
            Err(_) => return Ok(()),
        };
        match self.compile(&bytes) {
            Ok(_) => Err(format!(
                "expected the module to be rejected (\"{message}\"), but it compiled"
            )),
            Err(e) => match e.kind() {
                ErrorKind::Invalid(_) => Ok(()),
                _ => Err(format!(
                    "expected a validation error (\"{message}\"), got: {e}"
                )),
            },
        }
    }

    fn assert_unlinkable(&mut self, mut module: Wat<'_>, message: &str) -> Outcome {
        let bytes = module
            .encode()
            .map_err(|e| format!("cannot encode module: {e}"))?;
        let compiled = self
            .compile(&bytes)
            .map_err(|e| format!("module failed to compile: {e}"))?;
        match self.instantiate(&compiled) {
            Ok(_) => Err(format!(
                "expected a link failure (\"{message}\"), but it instantiated"
            )),
            Err(e) if matches!(e.kind(), ErrorKind::Link(_)) => Ok(()),
            Err(e) => Err(format!("expected a link failure (\"{message}\"), got: {e}")),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, Error> {
        let instance = self.instance(invoke.module).map_err(Error::usage)?;
        let func = self
            .store
            .export_func(instance, invoke.name)
            .ok_or_else(|| Error::usage(format!("no exported function \"{}\"", invoke.name)))?;
        let args = invoke
            .args
            .iter()
            .map(arg_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::usage)?;
        self.store.call(func, &args)
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, Error> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut module) => {
                let bytes = module
                    .encode()
                    .map_err(|e| Error::usage(format!("cannot encode module: {e}")))?;
                let compiled = self.compile(&bytes)?;
                self.instantiate(&compiled)?;
                Ok(Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module).map_err(Error::usage)?;
                match self.store.export(instance, global) {
                    Some(Extern::Global(g)) => Ok(vec![self.store.global_get(g)]),
                    _ => Err(Error::usage(format!("no exported global \"{global}\""))),
                }
            }
        }
    }
}

fn arg_value(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else {
        return Err("component arguments are not supported".into());
    };
    Ok(match core {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        }) => Val::ExternRef(None),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Func,
            ..
        }) => Val::FuncRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n as u64)),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

fn check_trap(error: &Error, expected: &str) -> Outcome {
    let Some(code) = error.trap_code() else {
        return Err(format!("expected trap \"{expected}\", got: {error}"));
    };
    // The spec's messages for the same condition vary by instruction; each code lists the
    // messages it stands for.
    let accepted: &[&str] = match code {
        TrapCode::Unreachable => &["unreachable"],
        TrapCode::MemoryOutOfBounds => {
            &["out of bounds memory access", "memory access out of bounds"]
        }
        TrapCode::TableOutOfBounds => &[
            "out of bounds table access",
            "undefined element",
            "table index is out of bounds",
        ],
        TrapCode::IndirectCallTypeMismatch => &["indirect call type mismatch"],
        TrapCode::NullReference => &["uninitialized element", "null"],
        TrapCode::IntegerDivideByZero => &["integer divide by zero"],
        TrapCode::IntegerOverflow => &["integer overflow"],
        TrapCode::InvalidConversionToInteger => &["invalid conversion to integer"],
        TrapCode::StackOverflow => &["call stack exhausted"],
        TrapCode::ElementSegmentOutOfBounds => &["out of bounds"],
        // Limits the embedder sets; no spec script expects them.
        TrapCode::Interrupted | TrapCode::OutOfFuel => &[],
    };
    if accepted.iter().any(|m| expected.starts_with(m)) {
        Ok(())
    } else {
        Err(format!("expected trap \"{expected}\", got trap \"{code}\""))
    }
}

fn check_results(actual: &[Val], expected: &[WastRet<'_>]) -> Outcome {
    if actual.len() != expected.len() {
        return Err(format!(
            "expected {} results, got {actual:?}",
            expected.len()
        ));
    }
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let WastRet::Core(e) = e else {
            return Err("component results are not supported".into());
        };
        if !matches_ret(a, e) {
            return Err(format!("result {i}: expected {e:?}, got {a:?}"));
        }
    }
    Ok(())
}

fn f32_matches(bits: u32, p: &NanPattern<wast::token::F32>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(bits: u64, p: &NanPattern<wast::token::F64>) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn matches_ret(actual: &Val, expected: &WastRetCore<'_>) -> bool {
    match (actual, expected) {
        (Val::I32(a), WastRetCore::I32(e)) => a == e,
        (Val::I64(a), WastRetCore::I64(e)) => a == e,
        (Val::F32(a), WastRetCore::F32(p)) => f32_matches(*a, p),
        (Val::F64(a), WastRetCore::F64(p)) => f64_matches(*a, p),
        (Val::V128(a), WastRetCore::V128(p)) => v128_matches(*a, p),
        (Val::FuncRef(None), WastRetCore::RefNull(_))
        | (Val::ExternRef(None), WastRetCore::RefNull(_)) => true,
        (Val::ExternRef(Some(a)), WastRetCore::RefExtern(Some(e))) => *a == *e as u64,
        (Val::ExternRef(Some(_)), WastRetCore::RefExtern(None)) => true,
        (Val::FuncRef(Some(_)), WastRetCore::RefFunc(_)) => true,
        (a, WastRetCore::Either(options)) => options.iter().any(|o| matches_ret(a, o)),
        _ => false,
    }
}

fn v128_matches(bits: u128, p: &V128Pattern) -> bool {
    let bytes = bits.to_le_bytes();
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, v)| bytes[i] == *v as u8),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, v)| u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]) == *v as u16),
        V128Pattern::I32x4(l) => l.iter().enumerate().all(|(i, v)| {
            u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes")) == *v as u32
        }),
        V128Pattern::I64x2(l) => l.iter().enumerate().all(|(i, v)| {
            u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")) == *v as u64
        }),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| {
            f32_matches(
                u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes")),
                p,
            )
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| {
            f64_matches(
                u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes")),
                p,
            )
        }),
    }
}
