use wz_binary::ValType;

/// A store-wide handle to a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FuncId(pub(crate) u32);
/// A store-wide handle to a memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryId(pub(crate) u32);
/// A store-wide handle to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub(crate) u32);
/// A store-wide handle to a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId(pub(crate) u32);
/// A store-wide handle to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceId(pub(crate) u32);

/// An item an instance exports or a module imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(FuncId),
    /// A table.
    Table(TableId),
    /// A memory.
    Memory(MemoryId),
    /// A global.
    Global(GlobalId),
}

/// A WebAssembly value.
///
/// ```
/// use wz_store::{Val, ValType};
/// let v = Val::F32(1.5f32.to_bits());
/// assert_eq!(v.ty(), ValType::F32);
/// assert_eq!(Val::from_bits(ValType::F32, v.to_bits()), v);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bits (so NaN payloads survive).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`.
    V128(u128),
    /// `funcref`.
    FuncRef(Option<FuncId>),
    /// `externref`: an opaque host value.
    ExternRef(Option<u64>),
}

impl Val {
    /// The value's type.
    ///
    /// ```
    /// assert_eq!(wz_store::Val::I64(1).ty(), wz_store::ValType::I64);
    /// ```
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero (or null) value of a type.
    ///
    /// ```
    /// use wz_store::{Val, ValType};
    /// assert_eq!(Val::default_for(ValType::I32), Val::I32(0));
    /// assert_eq!(Val::default_for(ValType::FuncRef), Val::FuncRef(None));
    /// ```
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// The raw bits as stored in a slot pair or global (references encoded as handle + 1, with
    /// 0 for null).
    ///
    /// ```
    /// assert_eq!(wz_store::Val::I32(-1).to_bits(), 0xffff_ffff);
    /// ```
    pub fn to_bits(&self) -> u128 {
        match *self {
            Val::I32(v) => v as u32 as u128,
            Val::I64(v) => v as u64 as u128,
            Val::F32(v) => v as u128,
            Val::F64(v) => v as u128,
            Val::V128(v) => v,
            Val::FuncRef(f) => f.map_or(0, |f| f.0 as u128 + 1),
            Val::ExternRef(e) => e.map_or(0, |e| e as u128 + 1),
        }
    }

    /// The value of type `ty` with the given raw bits.
    ///
    /// ```
    /// use wz_store::{Val, ValType};
    /// assert_eq!(Val::from_bits(ValType::I32, 0xffff_ffff), Val::I32(-1));
    /// ```
    pub fn from_bits(ty: ValType, bits: u128) -> Val {
        match ty {
            ValType::I32 => Val::I32(bits as u32 as i32),
            ValType::I64 => Val::I64(bits as u64 as i64),
            ValType::F32 => Val::F32(bits as u32),
            ValType::F64 => Val::F64(bits as u64),
            ValType::V128 => Val::V128(bits),
            ValType::FuncRef => Val::FuncRef((bits != 0).then(|| FuncId((bits - 1) as u32))),
            ValType::ExternRef => Val::ExternRef((bits != 0).then(|| (bits - 1) as u64)),
        }
    }
}
