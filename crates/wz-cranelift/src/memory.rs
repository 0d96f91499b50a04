//! Linear memory storage.
//!
//! Two strategies, chosen per store:
//!
//! - [`BoundsChecks::GuardPages`] (64-bit unix hosts): the memory reserves 8 GiB of address
//!   space plus a page up front (inaccessible), and only its current size is made readable and
//!   writable. Any 32-bit address plus any 32-bit offset lands inside the reservation, so
//!   generated code needs no bounds check: an access past the end faults, and the signal
//!   handler turns the fault into a trap. The base never moves.
//! - [`BoundsChecks::Explicit`]: an ordinary heap allocation that generated code checks before
//!   every access. It may move when the memory grows.
//!
//! Pages of a reservation are committed lazily by the kernel, so a fresh memory of any size is
//! cheap and reads as zeros.

use crate::vm::VMMemoryDef;

/// How generated code keeps memory accesses in bounds.
///
/// ```
/// use wz_cranelift::{BoundsChecks, JitConfig};
/// let config = JitConfig { bounds_checks: BoundsChecks::Explicit, ..JitConfig::default() };
/// assert_eq!(config.bounds_checks, BoundsChecks::Explicit);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundsChecks {
    /// Reserve address space with guard regions; no per-access checks.
    #[default]
    GuardPages,
    /// Compare every access against the current length.
    Explicit,
}

impl BoundsChecks {
    /// Whether guard pages work on this host.
    ///
    /// ```
    /// // 64-bit Unix hosts reserve address space for guard regions.
    /// assert_eq!(
    ///     wz_cranelift::BoundsChecks::guard_pages_supported(),
    ///     cfg!(all(unix, target_pointer_width = "64"))
    /// );
    /// ```
    pub fn guard_pages_supported() -> bool {
        cfg!(all(unix, target_pointer_width = "64"))
    }
}

/// Bytes reserved for a guard-page memory: every `u32` address plus every `u32` offset plus
/// the widest access.
#[cfg(all(unix, target_pointer_width = "64"))]
const RESERVATION: usize = (8 << 30) + 65536;

/// A linear memory's bytes.
#[derive(Debug)]
pub struct LinearMemory {
    storage: Storage,
    def: Box<VMMemoryDef>,
}

#[derive(Debug)]
enum Storage {
    #[cfg(all(unix, target_pointer_width = "64"))]
    Reserved(mmap::Reservation),
    Heap(Vec<u8>),
}

// SAFETY: the raw pointers in `def` point into `storage`, which the LinearMemory owns; moving
// it to another thread moves ownership of both.
unsafe impl Send for LinearMemory {}
// SAFETY: shared references only allow reading through `as_slice`.
unsafe impl Sync for LinearMemory {}

/// Why a memory could not be created or grown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryError(pub String);

impl std::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MemoryError {}

impl LinearMemory {
    /// A zeroed memory of `len` bytes using the given strategy (falling back to explicit
    /// checks where guard pages are unsupported).
    pub fn new(len: usize, strategy: BoundsChecks) -> Result<Self, MemoryError> {
        Self::with_capacity(len, len, strategy)
    }

    /// Like [`LinearMemory::new`], but a heap-allocated (explicitly checked) memory reserves
    /// `capacity` bytes up front, so growing up to it never moves or copies the bytes.
    /// Guard-page memories reserve their whole address range anyway.
    pub fn with_capacity(
        len: usize,
        capacity: usize,
        strategy: BoundsChecks,
    ) -> Result<Self, MemoryError> {
        let capacity = capacity.max(len);
        let storage = match strategy {
            #[cfg(all(unix, target_pointer_width = "64"))]
            BoundsChecks::GuardPages => {
                let mut r = mmap::Reservation::new(RESERVATION)?;
                r.commit(len)?;
                Storage::Reserved(r)
            }
            _ => {
                let mut data = Vec::new();
                data.try_reserve_exact(capacity).map_err(|_| {
                    MemoryError(format!("cannot allocate {capacity} bytes of linear memory"))
                })?;
                data.resize(len, 0);
                Storage::Heap(data)
            }
        };
        let mut memory = LinearMemory {
            storage,
            def: Box::new(VMMemoryDef {
                base: std::ptr::null_mut(),
                len: 0,
            }),
        };
        memory.sync();
        Ok(memory)
    }

    /// Whether accesses are checked by guard pages.
    pub fn has_guard_pages(&self) -> bool {
        !matches!(self.storage, Storage::Heap(_))
    }

    fn sync(&mut self) {
        let s = self.as_mut_slice();
        let (base, len) = (s.as_mut_ptr(), s.len() as u64);
        self.def.base = base;
        self.def.len = len;
    }

    /// The current length in bytes.
    pub fn len(&self) -> usize {
        self.def.len as usize
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.storage {
            #[cfg(all(unix, target_pointer_width = "64"))]
            Storage::Reserved(r) => r.as_slice(),
            Storage::Heap(v) => v,
        }
    }

    /// The bytes, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match &mut self.storage {
            #[cfg(all(unix, target_pointer_width = "64"))]
            Storage::Reserved(r) => r.as_mut_slice(),
            Storage::Heap(v) => v,
        }
    }

    /// Grows to `new_len` bytes (zero-filled).
    pub fn grow_to(&mut self, new_len: usize) -> Result<(), MemoryError> {
        match &mut self.storage {
            #[cfg(all(unix, target_pointer_width = "64"))]
            Storage::Reserved(r) => r.commit(new_len)?,
            Storage::Heap(v) => {
                v.try_reserve_exact(new_len.saturating_sub(v.len()))
                    .map_err(|_| MemoryError("cannot grow linear memory".into()))?;
                v.resize(new_len, 0);
            }
        }
        self.sync();
        Ok(())
    }

    /// The definition generated code reads (stable address).
    pub fn def_ptr(&mut self) -> *mut VMMemoryDef {
        &mut *self.def
    }
}

#[cfg(all(unix, target_pointer_width = "64"))]
mod mmap {
    //! Address space reservations (the only unsafe code of linear memory).

    use super::MemoryError;

    #[derive(Debug)]
    pub struct Reservation {
        base: *mut u8,
        size: usize,
        committed: usize,
    }

    impl Reservation {
        pub fn new(size: usize) -> Result<Self, MemoryError> {
            // SAFETY: an anonymous private PROT_NONE mapping at an address the kernel picks
            // affects no existing memory.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    size,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(MemoryError(format!(
                    "cannot reserve {size} bytes of address space for a linear memory"
                )));
            }
            Ok(Reservation {
                base: base.cast(),
                size,
                committed: 0,
            })
        }

        /// Makes the first `len` bytes accessible (they read as zeros when new).
        pub fn commit(&mut self, len: usize) -> Result<(), MemoryError> {
            if len > self.size {
                return Err(MemoryError(
                    "linear memory larger than its reservation".into(),
                ));
            }
            if len > self.committed {
                // SAFETY: the range lies inside our reservation (checked above), which no Rust
                // reference covers beyond `committed`.
                let rc = unsafe {
                    libc::mprotect(
                        self.base.add(self.committed).cast(),
                        len - self.committed,
                        libc::PROT_READ | libc::PROT_WRITE,
                    )
                };
                if rc != 0 {
                    return Err(MemoryError("cannot commit linear memory pages".into()));
                }
                self.committed = len;
            }
            Ok(())
        }

        pub fn as_slice(&self) -> &[u8] {
            // SAFETY: the first `committed` bytes are mapped readable and writable and owned
            // by this reservation.
            unsafe { std::slice::from_raw_parts(self.base, self.committed) }
        }

        pub fn as_mut_slice(&mut self) -> &mut [u8] {
            // SAFETY: as in `as_slice`, and `&mut self` makes the access unique.
            unsafe { std::slice::from_raw_parts_mut(self.base, self.committed) }
        }
    }

    impl Drop for Reservation {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly the mapping created in `new`; no slice of it outlives
            // `self`.
            unsafe {
                libc::munmap(self.base.cast(), self.size);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_keeps_contents() {
        for strategy in [BoundsChecks::GuardPages, BoundsChecks::Explicit] {
            let mut m = LinearMemory::new(65536, strategy).unwrap();
            m.as_mut_slice()[65535] = 7;
            m.grow_to(3 * 65536).unwrap();
            assert_eq!(m.len(), 3 * 65536);
            assert_eq!(m.as_slice()[65535], 7);
            assert_eq!(m.as_slice()[3 * 65536 - 1], 0);
            let def = m.def_ptr();
            // SAFETY: `def` points to the definition the memory owns and keeps in sync; the
            // fields are copied out before the memory is used again.
            let (base, len) = unsafe { ((*def).base, (*def).len) };
            assert_eq!(len, 3 * 65536);
            assert_eq!(base, m.as_mut_slice().as_mut_ptr());
        }
    }
}
