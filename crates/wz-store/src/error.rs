use std::fmt;

use wz_ir::TrapCode;

use crate::Backtrace;

/// Everything that can go wrong compiling, linking, instantiating or calling.
///
/// One boxed pointer, so `Result<T, Error>` stays small on hot paths.
///
/// ```
/// # fn trap() -> wz_store::Error {
/// #     let wasm = wat::parse_str(r#"(module $calc
/// #         (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
/// #         (func (export "run") (result i32) (call $divide (i32.const 1) (i32.const 0))))"#).unwrap();
/// #     let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
/// #     let mut store = wz_store::Store::new();
/// #     let instance = store.instantiate(&module, &[]).unwrap();
/// #     let run = store.export_func(instance, "run").unwrap();
/// #     store.call(run, &[]).unwrap_err()
/// # }
/// let err = trap();
/// assert_eq!(err.to_string(), "wasm trap: integer divide by zero");
/// assert_eq!(err.trap_code(), Some(wz_store::TrapCode::IntegerDivideByZero));
/// assert_eq!(std::mem::size_of::<wz_store::Error>(), std::mem::size_of::<usize>());
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    backtrace: Option<Backtrace>,
}

/// What went wrong.
///
/// ```
/// # fn trap() -> wz_store::Error {
/// #     let wasm = wat::parse_str(r#"(module $calc
/// #         (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
/// #         (func (export "run") (result i32) (call $divide (i32.const 1) (i32.const 0))))"#).unwrap();
/// #     let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
/// #     let mut store = wz_store::Store::new();
/// #     let instance = store.instantiate(&module, &[]).unwrap();
/// #     let run = store.export_func(instance, "run").unwrap();
/// #     store.call(run, &[]).unwrap_err()
/// # }
/// match trap().kind() {
///     wz_store::ErrorKind::Trap(code) => assert_eq!(code.message(), "integer divide by zero"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a valid module.
    Invalid(wz_binary::DecodeError),
    /// A valid function body could not be lowered (an unsupported instruction or limit).
    Unsupported(wz_ir::LowerError),
    /// The compiler could not compile a valid module.
    Compile(wz_cranelift::CompileError),
    /// An import could not be satisfied.
    Link(String),
    /// Execution trapped.
    Trap(TrapCode),
    /// A host function failed with this error.
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// The guest or a host function asked to exit with this code.
    Exit(u32),
    /// The module was closed (with this exit code) before or during the call.
    Closed(u32),
    /// A name is already in use, an export is missing, arguments do not match, ...
    Usage(String),
    /// The call was interrupted: its deadline passed or an interrupt handle fired.
    Interrupted,
    /// The call used up its fuel budget.
    OutOfFuel,
}

impl Error {
    /// An error of the given kind.
    ///
    /// ```
    /// let err = wz_store::Error::new(wz_store::ErrorKind::Interrupted);
    /// assert!(err.to_string().starts_with("interrupted"));
    /// ```
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                backtrace: None,
            }),
        }
    }

    /// An exit with `code`: a host function returns it to end the guest's call (and its
    /// module) the way WASI's `proc_exit` does.
    ///
    /// ```
    /// let err = wz_store::Error::exit(3);
    /// assert_eq!(err.exit_code(), Some(3));
    /// assert_eq!(err.to_string(), "exited with code 3");
    /// ```
    pub fn exit(code: u32) -> Self {
        Error::new(ErrorKind::Exit(code))
    }

    /// A usage error: something the embedder asked for that cannot be done.
    ///
    /// ```
    /// let err = wz_store::Error::usage("no such export");
    /// assert!(matches!(err.kind(), wz_store::ErrorKind::Usage(_)));
    /// assert_eq!(err.to_string(), "no such export");
    /// ```
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage(message.into()))
    }

    /// A link error with a message.
    ///
    /// ```
    /// let err = wz_store::Error::link("unknown import env.f");
    /// assert_eq!(err.to_string(), "link error: unknown import env.f");
    /// ```
    pub fn link(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Link(message.into()))
    }

    /// What went wrong.
    ///
    /// ```
    /// let err = wz_store::Error::new(wz_store::ErrorKind::OutOfFuel);
    /// assert!(matches!(err.kind(), wz_store::ErrorKind::OutOfFuel));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The wasm frames that were active when a call failed, innermost first: for every
    /// failure inside wasm code but an exit (traps, interruptions, fuel exhaustion, host
    /// function errors), when the store records backtraces ([`crate::Store::set_backtraces`], on by default). Its `Display` lists one
    /// frame per line; the error's own `Display` stays one line.
    ///
    /// ```
    /// # fn trap() -> wz_store::Error {
    /// #     let wasm = wat::parse_str(r#"(module $calc
    /// #         (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
    /// #         (func (export "run") (result i32) (call $divide (i32.const 1) (i32.const 0))))"#).unwrap();
    /// #     let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
    /// #     let mut store = wz_store::Store::new();
    /// #     let instance = store.instantiate(&module, &[]).unwrap();
    /// #     let run = store.export_func(instance, "run").unwrap();
    /// #     store.call(run, &[]).unwrap_err()
    /// # }
    /// let err = trap();
    /// let frames = err.backtrace().unwrap().frames();
    /// assert_eq!(frames[0].func_name(), Some("divide"));
    /// assert_eq!(frames.len(), 2);
    /// ```
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.inner.backtrace.as_ref()
    }

    /// Whether a failed call records its frames in this error: every failure but an exit.
    pub(crate) fn wants_backtrace(&self) -> bool {
        !matches!(self.inner.kind, ErrorKind::Exit(_) | ErrorKind::Closed(_))
    }

    /// Appends the frames of a call the error passed through (outer to any already there),
    /// and the number of deeper ones left out.
    pub(crate) fn add_frames(&mut self, frames: Vec<crate::FrameInfo>, omitted: usize) {
        if frames.is_empty() && omitted == 0 {
            return;
        }
        let backtrace = self.inner.backtrace.get_or_insert_with(Backtrace::default);
        frames.into_iter().for_each(|f| backtrace.push(f));
        backtrace.omit(omitted);
    }

    /// The trap code, if this is a trap.
    ///
    /// ```
    /// # fn trap() -> wz_store::Error {
    /// #     let wasm = wat::parse_str(r#"(module $calc
    /// #         (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
    /// #         (func (export "run") (result i32) (call $divide (i32.const 1) (i32.const 0))))"#).unwrap();
    /// #     let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
    /// #     let mut store = wz_store::Store::new();
    /// #     let instance = store.instantiate(&module, &[]).unwrap();
    /// #     let run = store.export_func(instance, "run").unwrap();
    /// #     store.call(run, &[]).unwrap_err()
    /// # }
    /// assert_eq!(trap().trap_code(), Some(wz_store::TrapCode::IntegerDivideByZero));
    /// assert_eq!(wz_store::Error::exit(0).trap_code(), None);
    /// ```
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self.inner.kind {
            ErrorKind::Trap(code) => Some(code),
            _ => None,
        }
    }

    /// The exit code, if the guest exited or the module was closed.
    ///
    /// ```
    /// assert_eq!(wz_store::Error::exit(7).exit_code(), Some(7));
    /// assert_eq!(wz_store::Error::usage("x").exit_code(), None);
    /// ```
    pub fn exit_code(&self) -> Option<u32> {
        match self.inner.kind {
            ErrorKind::Exit(code) | ErrorKind::Closed(code) => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.kind {
            ErrorKind::Invalid(e) => write!(f, "invalid module: {e}"),
            ErrorKind::Unsupported(e) => write!(f, "unsupported module: {e}"),
            ErrorKind::Compile(e) => write!(f, "compilation failed: {e}"),
            ErrorKind::Link(m) => write!(f, "link error: {m}"),
            ErrorKind::Trap(code) => write!(f, "wasm trap: {code}"),
            ErrorKind::Host(e) => write!(f, "host function failed: {e}"),
            ErrorKind::Exit(code) => write!(f, "exited with code {code}"),
            ErrorKind::Closed(code) => write!(f, "module closed with exit code {code}"),
            ErrorKind::Usage(m) => f.write_str(m),
            ErrorKind::Interrupted => {
                f.write_str("interrupted: the call's deadline passed or it was interrupted")
            }
            ErrorKind::OutOfFuel => f.write_str("out of fuel: the call used up its fuel budget"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner.kind, f)
    }
}

impl std::error::Error for Error {}

impl From<TrapCode> for Error {
    fn from(code: TrapCode) -> Self {
        Error::new(match code {
            TrapCode::Interrupted => ErrorKind::Interrupted,
            TrapCode::OutOfFuel => ErrorKind::OutOfFuel,
            code => ErrorKind::Trap(code),
        })
    }
}

impl From<wz_binary::DecodeError> for Error {
    fn from(e: wz_binary::DecodeError) -> Self {
        Error::new(ErrorKind::Invalid(e))
    }
}

impl From<wz_cranelift::CompileError> for Error {
    fn from(e: wz_cranelift::CompileError) -> Self {
        Error::new(ErrorKind::Compile(e))
    }
}

impl From<wz_ir::LowerError> for Error {
    fn from(e: wz_ir::LowerError) -> Self {
        Error::new(ErrorKind::Unsupported(e))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_is_one_pointer() {
        assert_eq!(
            std::mem::size_of::<super::Error>(),
            std::mem::size_of::<usize>()
        );
    }
}
