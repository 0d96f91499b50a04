use std::fmt;

/// Why a byte sequence is not a valid module, and where.
///
/// The message is lowercase and names the problem; [`DecodeError::offset`] is the byte offset in
/// the input where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    message: String,
    offset: u64,
}

impl DecodeError {
    pub(crate) fn new(message: impl Into<String>, offset: u64) -> Self {
        DecodeError {
            inner: Box::new(Inner {
                message: message.into(),
                offset,
            }),
        }
    }

    /// The byte offset in the input where the problem was found.
    pub fn offset(&self) -> usize {
        self.inner.offset as usize
    }

    /// The description of the problem, without the offset.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at offset {:#x})",
            self.inner.message, self.inner.offset
        )
    }
}

impl std::error::Error for DecodeError {}

impl From<wasmparser::BinaryReaderError> for DecodeError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        DecodeError::new(e.message(), e.offset())
    }
}
