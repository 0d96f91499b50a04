use std::fmt;

/// Why execution of WebAssembly code stopped abnormally.
///
/// The same codes are produced by every engine for the same cause.
///
/// ```
/// use wz_ir::TrapCode;
/// assert_eq!(TrapCode::IntegerDivideByZero.to_string(), "integer divide by zero");
/// assert_eq!(TrapCode::from_u8(TrapCode::StackOverflow as u8), Some(TrapCode::StackOverflow));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable = 0,
    /// A load or store outside the linear memory.
    MemoryOutOfBounds = 1,
    /// A table access outside the table, or a bulk table operation out of range.
    TableOutOfBounds = 2,
    /// `call_indirect` to an element of the wrong signature.
    IndirectCallTypeMismatch = 3,
    /// `call_indirect` to a null element, or another null reference use.
    NullReference = 4,
    /// Integer division or remainder by zero.
    IntegerDivideByZero = 5,
    /// Integer overflow (`i32.div_s` of `MIN` by -1, float to int out of range).
    IntegerOverflow = 6,
    /// Float to integer conversion of NaN.
    InvalidConversionToInteger = 7,
    /// The call stack (frames or value slots) is exhausted.
    StackOverflow = 8,
    /// An element or data segment is accessed out of range (bulk memory).
    ElementSegmentOutOfBounds = 9,
    /// The call was interrupted: its deadline passed, or an interrupt handle was triggered.
    Interrupted = 10,
    /// The call used up its fuel.
    OutOfFuel = 11,
}

impl TrapCode {
    /// Every trap code, in numeric order.
    ///
    /// ```
    /// assert!(wz_ir::TrapCode::ALL.iter().enumerate().all(|(i, c)| *c as usize == i));
    /// ```
    pub const ALL: [TrapCode; 12] = [
        TrapCode::Unreachable,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::IndirectCallTypeMismatch,
        TrapCode::NullReference,
        TrapCode::IntegerDivideByZero,
        TrapCode::IntegerOverflow,
        TrapCode::InvalidConversionToInteger,
        TrapCode::StackOverflow,
        TrapCode::ElementSegmentOutOfBounds,
        TrapCode::Interrupted,
        TrapCode::OutOfFuel,
    ];

    /// The trap message used by the WebAssembly specification's test suite.
    ///
    /// ```
    /// assert_eq!(wz_ir::TrapCode::MemoryOutOfBounds.message(), "out of bounds memory access");
    /// ```
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::NullReference => "uninitialized element",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::InvalidConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::ElementSegmentOutOfBounds => "out of bounds segment access",
            TrapCode::Interrupted => "interrupted",
            TrapCode::OutOfFuel => "all fuel consumed",
        }
    }

    /// The code from its numeric value.
    ///
    /// ```
    /// use wz_ir::TrapCode;
    /// assert_eq!(TrapCode::from_u8(0), Some(TrapCode::Unreachable));
    /// assert_eq!(TrapCode::from_u8(200), None);
    /// ```
    pub fn from_u8(v: u8) -> Option<TrapCode> {
        TrapCode::ALL.get(v as usize).copied()
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for TrapCode {}
