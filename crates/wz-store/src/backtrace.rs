//! Wasm backtraces: which functions were running when a call failed.
//!
//! Both engines report the same frames for the same failure. The interpreter keeps its frames
//! on its stack after a failed call ([`wz_interp::Stack::trace`]); the JIT's signal handler
//! walks the frame-pointer chain of the trapping call ([`wz_cranelift::CallTrap`]). Either way
//! the store turns them into [`FrameInfo`]s here: function index, name-section names and
//! byte offsets in the module.

use std::fmt;
use std::sync::Arc;

use crate::store::Store;

/// The most frames one call adds to a backtrace; deeper stacks (runaway recursion) are
/// counted in [`Backtrace::omitted`].
///
/// ```
/// let wasm = wat::parse_str(r#"(module (func $rec (export "rec") (call $rec)))"#).unwrap();
/// let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
/// let mut store = wz_store::Store::new();
/// let instance = store.instantiate(&module, &[]).unwrap();
/// let rec = store.export_func(instance, "rec").unwrap();
/// let err = store.call(rec, &[]).unwrap_err();
/// let backtrace = err.backtrace().unwrap();
/// assert_eq!(backtrace.frames().len(), wz_store::MAX_FRAMES);
/// assert!(backtrace.omitted() > 0);
/// ```
pub const MAX_FRAMES: usize = 64;

/// The wasm frames that were active when a call failed, innermost first.
///
/// Frames of nested calls (wasm calling a host function that called wasm again) come first,
/// followed by the frames of the calls around them.
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
/// let text = err.backtrace().unwrap().to_string();
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].ends_with("calc!divide (func 0)"), "{text}");
/// assert!(lines[1].ends_with("calc!func[1]"), "{text}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backtrace {
    frames: Vec<FrameInfo>,
    omitted: usize,
}

impl Backtrace {
    /// The frames, innermost first.
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
    /// let names: Vec<_> = err.backtrace().unwrap().frames().iter().map(|f| f.func_index()).collect();
    /// assert_eq!(names, [0, 1]); // innermost first
    /// ```
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }

    /// How many frames were too deep to list (beyond [`MAX_FRAMES`] per call).
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
    /// assert_eq!(trap().backtrace().unwrap().omitted(), 0);
    /// ```
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    pub(crate) fn push(&mut self, frame: FrameInfo) {
        self.frames.push(frame);
    }

    pub(crate) fn omit(&mut self, n: usize) {
        self.omitted += n;
    }
}

impl fmt::Display for Backtrace {
    /// One frame per line, each indented and numbered:
    /// `  0: 0x2a - calc!divide (func 1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, frame) in self.frames.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{i:>3}: {frame}")?;
        }
        if self.omitted > 0 {
            write!(f, "\n     ... {} more frames", self.omitted)?;
        }
        Ok(())
    }
}

/// One frame of a [`Backtrace`]: a wasm function and the instruction it was executing.
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
/// let top = &err.backtrace().unwrap().frames()[0];
/// assert_eq!(top.module_name(), Some("calc"));
/// assert_eq!(top.func_name(), Some("divide"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    pub(crate) module_name: Option<Arc<str>>,
    pub(crate) func_index: u32,
    pub(crate) func_name: Option<Arc<str>>,
    pub(crate) module_offset: Option<u32>,
    pub(crate) func_offset: Option<u32>,
}

impl FrameInfo {
    /// The module's name from its name section, if it has one.
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
    /// assert_eq!(trap().backtrace().unwrap().frames()[1].module_name(), Some("calc"));
    /// ```
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }

    /// The function's index in its module (imports first).
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
    /// assert_eq!(trap().backtrace().unwrap().frames()[1].func_index(), 1);
    /// ```
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The function's name from the name section, if it has one.
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
    /// assert_eq!(trap().backtrace().unwrap().frames()[1].func_name(), None); // unnamed
    /// ```
    pub fn func_name(&self) -> Option<&str> {
        self.func_name.as_deref()
    }

    /// The byte offset in the module binary of the instruction the frame was executing:
    /// the one that failed in the innermost frame, a call in the others.
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
    /// let wasm = wat::parse_str(r#"(module $calc
    ///     (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
    ///     (func (export "run") (result i32) (call $divide (i32.const 1) (i32.const 0))))"#).unwrap();
    /// let offset = trap().backtrace().unwrap().frames()[0].module_offset().unwrap();
    /// assert_eq!(wasm[offset as usize], 0x6e); // i32.div_u
    /// ```
    pub fn module_offset(&self) -> Option<u32> {
        self.module_offset
    }

    /// The same offset relative to the function's first instruction.
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
    /// // `local.get 0` and `local.get 1` take two bytes each.
    /// assert_eq!(trap().backtrace().unwrap().frames()[0].func_offset(), Some(4));
    /// ```
    pub fn func_offset(&self) -> Option<u32> {
        self.func_offset
    }
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.module_offset {
            Some(offset) => write!(f, "{offset:#x} - ")?,
            None => f.write_str("? - ")?,
        }
        f.write_str(self.module_name().unwrap_or("<unknown>"))?;
        match self.func_name() {
            Some(name) => write!(f, "!{name} (func {})", self.func_index),
            None => write!(f, "!func[{}]", self.func_index),
        }
    }
}

impl Store {
    /// Whether failed calls record a [`Backtrace`] in their error (default: yes). Recording
    /// costs time only when a call fails.
    ///
    /// ```
    /// let wasm = wat::parse_str(r#"(module (func (export "f") unreachable))"#).unwrap();
    /// let module = wz_store::CompiledModule::new(&wasm, Default::default()).unwrap();
    /// let mut store = wz_store::Store::new();
    /// store.set_backtraces(false);
    /// let instance = store.instantiate(&module, &[]).unwrap();
    /// let f = store.export_func(instance, "f").unwrap();
    /// assert!(store.call(f, &[]).unwrap_err().backtrace().is_none());
    /// ```
    pub fn set_backtraces(&mut self, enabled: bool) {
        self.backtraces = enabled;
    }

    /// The frame of function `func_index` of `instance`, at `module_offset`.
    pub(crate) fn frame_info(
        &self,
        instance: u32,
        func_index: u32,
        module_offset: Option<u32>,
    ) -> FrameInfo {
        let module = self
            .instances
            .get(instance as usize)
            .and_then(|i| i.module.as_ref());
        frame_of(module.map(|m| m.module()), func_index, module_offset)
    }

    /// The JIT frame at `pc` (an address inside an instruction), if it lies in the code of a
    /// module instantiated in this store.
    pub(crate) fn jit_frame_info(&self, pc: usize) -> Option<FrameInfo> {
        self.instances.iter().find_map(|instance| {
            let module = instance.module.as_ref()?;
            let frame = module.jit()?.frame_at(pc)?;
            let wasm = module.module();
            // Code with no wasm instruction of its own is the function's prologue (its
            // stack check): the entry, reported at the first instruction.
            let entry = wasm
                .bodies
                .get(frame.defined as usize)
                .map(|body| body.code.start as u32);
            Some(frame_of(
                Some(wasm),
                wasm.num_imported_funcs + frame.defined,
                frame.module_offset.or(entry),
            ))
        })
    }
}

fn frame_of(
    module: Option<&wz_binary::Module>,
    func_index: u32,
    module_offset: Option<u32>,
) -> FrameInfo {
    let body = module.and_then(|m| {
        m.bodies
            .get(func_index.checked_sub(m.num_imported_funcs)? as usize)
    });
    FrameInfo {
        module_name: module.and_then(|m| m.names.module.as_deref().map(Arc::from)),
        func_index,
        func_name: module.and_then(|m| m.func_name(func_index).map(Arc::from)),
        module_offset,
        func_offset: module_offset
            .zip(body)
            .and_then(|(offset, body)| offset.checked_sub(body.code.start as u32)),
    }
}
