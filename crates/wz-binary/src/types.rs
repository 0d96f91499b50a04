use std::fmt;
use std::sync::Arc;

/// A value type of WebAssembly 2.0.
///
/// ```
/// use wz_binary::ValType;
/// assert!(ValType::FuncRef.is_ref());
/// assert_eq!(ValType::V128.to_string(), "v128");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit vector.
    V128,
    /// Nullable reference to a function.
    FuncRef,
    /// Nullable opaque host reference.
    ExternRef,
}

impl ValType {
    /// Whether this is a reference type.
    ///
    /// ```
    /// assert!(wz_binary::ValType::ExternRef.is_ref());
    /// assert!(!wz_binary::ValType::I32.is_ref());
    /// ```
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    /// The value type of a wasmparser type; reference types other than `funcref` and
    /// `externref` are an error naming `offset`.
    ///
    /// ```
    /// use wz_binary::ValType;
    /// assert_eq!(ValType::from_wasmparser(wasmparser::ValType::F64, 0).unwrap(), ValType::F64);
    /// ```
    pub fn from_wasmparser(
        ty: wasmparser::ValType,
        offset: u64,
    ) -> Result<Self, crate::DecodeError> {
        use wasmparser::ValType as W;
        Ok(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) => RefType::from_wasmparser(r, offset)?.into(),
        })
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A reference type: the element type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefType {
    /// `funcref`.
    FuncRef,
    /// `externref`.
    ExternRef,
}

impl RefType {
    pub(crate) fn from_wasmparser(
        r: wasmparser::RefType,
        offset: u64,
    ) -> Result<Self, crate::DecodeError> {
        if r == wasmparser::RefType::FUNCREF {
            Ok(RefType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Ok(RefType::ExternRef)
        } else {
            Err(crate::DecodeError::new(
                format!("unsupported reference type {r}"),
                offset,
            ))
        }
    }
}

impl From<RefType> for ValType {
    fn from(r: RefType) -> ValType {
        match r {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
        }
    }
}

/// A function signature. Cheap to clone; compares by value.
///
/// ```
/// use wz_binary::{FuncType, ValType};
/// let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::F32]);
/// assert_eq!(ty.to_string(), "(func (param i32 i64) (result f32))");
/// assert_eq!(ty.clone(), ty);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameters followed by results.
    types: Arc<[ValType]>,
    num_params: usize,
}

impl FuncType {
    /// A signature from its parameter and result types.
    ///
    /// ```
    /// use wz_binary::{FuncType, ValType};
    /// let nullary = FuncType::new([], []);
    /// assert!(nullary.params().is_empty() && nullary.results().is_empty());
    /// ```
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        let mut types: Vec<ValType> = params.into_iter().collect();
        let num_params = types.len();
        types.extend(results);
        FuncType {
            types: types.into(),
            num_params,
        }
    }

    /// The parameter types.
    ///
    /// ```
    /// use wz_binary::{FuncType, ValType};
    /// assert_eq!(FuncType::new([ValType::F64], []).params(), [ValType::F64]);
    /// ```
    pub fn params(&self) -> &[ValType] {
        &self.types[..self.num_params]
    }

    /// The result types.
    ///
    /// ```
    /// use wz_binary::{FuncType, ValType};
    /// assert_eq!(FuncType::new([], [ValType::I32, ValType::I32]).results().len(), 2);
    /// ```
    pub fn results(&self) -> &[ValType] {
        &self.types[self.num_params..]
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FuncType {
    /// The text format's notation: `(func (param i32 i64) (result f32))`, leaving out an
    /// empty list (`(func)` takes and returns nothing).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        for (word, tys) in [("param", self.params()), ("result", self.results())] {
            if !tys.is_empty() {
                write!(f, " ({word}")?;
                for t in tys {
                    write!(f, " {t}")?;
                }
                f.write_str(")")?;
            }
        }
        f.write_str(")")
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Maximum size, if declared.
    pub max: Option<u64>,
}

/// The type of a linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Size limits in 64 KiB pages.
    pub limits: Limits,
    /// Whether the memory is shared (threads proposal; always false in Wasm 2.0).
    pub shared: bool,
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The element type.
    pub element: RefType,
    /// Size limits in elements.
    pub limits: Limits,
}

/// The type of a global.
///
/// ```
/// use wz_binary::{GlobalType, ValType};
/// let counter = GlobalType { content: ValType::I64, mutable: true };
/// assert!(counter.mutable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// A constant expression (global initializers, segment offsets, element items).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstExpr {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const`, as its bit pattern.
    F32(u32),
    /// `f64.const`, as its bit pattern.
    F64(u64),
    /// `v128.const`.
    V128(u128),
    /// `ref.null`.
    RefNull(RefType),
    /// `ref.func`.
    RefFunc(u32),
    /// `global.get` of an imported (or, with extended-const, earlier) global.
    GlobalGet(u32),
}

impl ConstExpr {
    pub(crate) fn from_wasmparser(
        expr: &wasmparser::ConstExpr<'_>,
    ) -> Result<Self, crate::DecodeError> {
        use wasmparser::Operator as O;
        let mut reader = expr.get_operators_reader();
        let offset = reader.original_position();
        let op = reader.read()?;
        let value = match op {
            O::I32Const { value } => ConstExpr::I32(value),
            O::I64Const { value } => ConstExpr::I64(value),
            O::F32Const { value } => ConstExpr::F32(value.bits()),
            O::F64Const { value } => ConstExpr::F64(value.bits()),
            O::V128Const { value } => ConstExpr::V128(u128::from_le_bytes(*value.bytes())),
            O::RefNull { hty } => {
                let r = if hty == wasmparser::HeapType::FUNC {
                    RefType::FuncRef
                } else if hty == wasmparser::HeapType::EXTERN {
                    RefType::ExternRef
                } else {
                    return Err(crate::DecodeError::new(
                        "unsupported heap type in constant expression",
                        offset,
                    ));
                };
                ConstExpr::RefNull(r)
            }
            O::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            O::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            _ => {
                return Err(crate::DecodeError::new(
                    "unsupported constant expression",
                    offset,
                ));
            }
        };
        let end_offset = reader.original_position();
        match reader.read()? {
            O::End => Ok(value),
            _ => Err(crate::DecodeError::new(
                "constant expressions with more than one instruction are not supported",
                end_offset,
            )),
        }
    }
}
