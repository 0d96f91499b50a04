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
//!   every access. It may move when the memory grows. (Memories of at least
//!   [`LinearMemory::LARGE`] bytes, or with an image, are reservations in either mode.)
//!
//! Pages of a reservation are committed lazily by the kernel, so a fresh memory of any size is
//! cheap and reads as zeros.
//!
//! A [`MemoryImage`] (64-bit Linux) holds a module's initial memory contents in an in-memory file,
//! built once per module; each instance maps it copy-on-write into its reservation instead of
//! copying the data segments, so instantiation costs the same for 1 KiB or 100 MiB of data
//! and pages an instance never writes stay shared.

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

    /// From this size on a memory is a reservation whatever the strategy (on hosts that
    /// have them).
    pub const LARGE: usize = 1 << 20;

    /// Like [`LinearMemory::new`], but a heap-allocated (explicitly checked) memory reserves
    /// `capacity` bytes up front, so growing up to it never moves or copies the bytes.
    /// Guard-page memories reserve their whole address range anyway.
    pub fn with_capacity(
        len: usize,
        capacity: usize,
        strategy: BoundsChecks,
    ) -> Result<Self, MemoryError> {
        Self::with_image(len, capacity, strategy, None)
    }

    /// Like [`LinearMemory::with_capacity`], with `image` mapped copy-on-write at its offset
    /// (the image must lie within `len`). A memory with an image is always a reservation,
    /// whatever `strategy` (explicitly checked code reads its length like any other).
    pub fn with_image(
        len: usize,
        capacity: usize,
        strategy: BoundsChecks,
        image: Option<&MemoryImage>,
    ) -> Result<Self, MemoryError> {
        let capacity = capacity.max(len);
        // Large memories are reservations even when checked explicitly: the kernel hands
        // out zeroed pages as they are touched instead of the buffer being zeroed up front.
        // Images are mapped into reservations.
        let imaged = cfg!(all(target_os = "linux", target_pointer_width = "64")) && image.is_some();
        #[cfg(all(unix, target_pointer_width = "64"))]
        let strategy = if len >= Self::LARGE || imaged {
            BoundsChecks::GuardPages
        } else {
            strategy
        };
        let storage = match strategy {
            #[cfg(all(unix, target_pointer_width = "64"))]
            BoundsChecks::GuardPages => {
                let mut r = mmap::Reservation::new(RESERVATION)?;
                r.commit(len)?;
                #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
                if let Some(image) = image {
                    if image.offset + image.len > len {
                        return Err(MemoryError("memory image larger than the memory".into()));
                    }
                    r.map_image(image)?;
                }
                Storage::Reserved(r)
            }
            _ => {
                let _ = (image, imaged);
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

    /// Whether the memory is an address-space reservation with guard pages after it (it
    /// never moves). Explicitly checked memories are reservations too when they are large
    /// ([`LinearMemory::LARGE`]) or have an image; their code checks every access anyway.
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

/// A memory's initial contents, ready to be mapped copy-on-write by every instance (see
/// [`LinearMemory::with_image`]). Only built on 64-bit Linux (an in-memory file mapped into
/// a reservation); elsewhere [`MemoryImage::new`] returns `None` and instances copy their
/// data segments.
#[derive(Debug)]
#[cfg_attr(
    not(all(target_os = "linux", target_pointer_width = "64")),
    allow(dead_code)
)]
pub struct MemoryImage {
    /// Where the image starts in the memory and how long it is, both multiples of the host
    /// page size.
    offset: usize,
    len: usize,
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    file: std::fs::File,
}

impl MemoryImage {
    /// Images smaller than this are not worth a mapping: copying the bytes is as fast.
    pub const MIN_LEN: usize = 64 << 10;

    /// The image of a memory whose data segments are `segments` (offset, bytes), applied in
    /// order; `None` where images are not supported or the segments span less than
    /// [`MemoryImage::MIN_LEN`] bytes. Every segment must lie within `memory_len`.
    pub fn new(
        segments: &[(usize, &[u8])],
        memory_len: usize,
    ) -> Result<Option<MemoryImage>, MemoryError> {
        let nonempty = || segments.iter().filter(|(_, b)| !b.is_empty());
        let (Some(start), Some(end)) = (
            nonempty().map(|(o, _)| *o).min(),
            nonempty().map(|(o, b)| o + b.len()).max(),
        ) else {
            return Ok(None);
        };
        if end > memory_len {
            return Err(MemoryError("data segment outside the memory".into()));
        }
        if end - start < Self::MIN_LEN {
            return Ok(None);
        }
        #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
        {
            let page = mmap::page_size();
            let offset = start / page * page;
            let len = end.div_ceil(page) * page - offset;
            let mut bytes = vec![0u8; len];
            for (o, b) in nonempty() {
                bytes[o - offset..o - offset + b.len()].copy_from_slice(b);
            }
            let file = mmap::memfd(&bytes)?;
            Ok(Some(MemoryImage { offset, len, file }))
        }
        #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
        Ok(None)
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

    /// Reservations of dropped memories (their base addresses), kept for reuse: resetting
    /// the few pages a memory used costs less than unmapping and mapping gigabytes of
    /// address space, whose page tables the kernel walks. All have the same size.
    static POOL: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

    /// How many idle reservations the pool keeps (each is address space only).
    const POOL_MAX: usize = 8;

    impl Reservation {
        pub fn new(size: usize) -> Result<Self, MemoryError> {
            if size == super::RESERVATION
                && let Some(base) = POOL.lock().unwrap_or_else(|e| e.into_inner()).pop()
            {
                return Ok(Reservation {
                    base: base as *mut u8,
                    size,
                    committed: 0,
                });
            }
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

        /// Maps `image` copy-on-write over its range, which must lie within the committed
        /// bytes.
        #[cfg(target_os = "linux")]
        pub fn map_image(&mut self, image: &super::MemoryImage) -> Result<(), MemoryError> {
            use std::os::fd::AsRawFd;
            assert!(image.offset + image.len <= self.committed);
            // SAFETY: the range lies inside our committed reservation (asserted), no Rust
            // reference into it is live (`&mut self`), and MAP_FIXED replaces exactly those
            // pages with a private (copy-on-write) view of the image file, which is at least
            // `image.len` bytes long.
            let p = unsafe {
                libc::mmap(
                    self.base.add(image.offset).cast(),
                    image.len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_FIXED,
                    image.file.as_raw_fd(),
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(MemoryError("cannot map a memory image".into()));
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

    /// The host's page size.
    #[cfg(target_os = "linux")]
    pub fn page_size() -> usize {
        // SAFETY: sysconf only reads a system constant.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 { size as usize } else { 4096 }
    }

    /// An anonymous in-memory file holding `bytes`.
    #[cfg(target_os = "linux")]
    pub fn memfd(bytes: &[u8]) -> Result<std::fs::File, MemoryError> {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        // SAFETY: the name is a NUL-terminated string; the call creates a new descriptor.
        let fd = unsafe { libc::memfd_create(c"wz-memory-image".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(MemoryError("cannot create a memory image file".into()));
        }
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
        file.write_all(bytes)
            .map_err(|e| MemoryError(format!("cannot write a memory image: {e}")))?;
        Ok(file)
    }

    impl Drop for Reservation {
        fn drop(&mut self) {
            if self.size == super::RESERVATION && self.reset() {
                let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
                if pool.len() < POOL_MAX {
                    pool.push(self.base as usize);
                    return;
                }
            }
            // SAFETY: unmaps exactly the mapping created in `new`; no slice of it outlives
            // `self`.
            unsafe {
                libc::munmap(self.base.cast(), self.size);
            }
        }
    }

    impl Reservation {
        /// Returns the reservation to its new state: the used pages discarded (a later
        /// user reads zeros), inaccessible again, any image mapping gone. False if the
        /// kernel refused.
        fn reset(&mut self) -> bool {
            if self.committed == 0 {
                return true;
            }
            // SAFETY: replaces exactly the committed range of our own reservation (no slice
            // of it outlives `self`) with a fresh inaccessible anonymous mapping, as `new`
            // created it.
            let p = unsafe {
                libc::mmap(
                    self.base.cast(),
                    self.committed,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return false;
            }
            self.committed = 0;
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reservations are reused after a memory is dropped: the next memory must still start
    /// zeroed and no larger than asked, whichever reservation it gets.
    #[test]
    fn reused_reservations_start_zeroed() {
        for round in 0..20u8 {
            let mut memories: Vec<LinearMemory> = (0..4)
                .map(|_| LinearMemory::new(65536, BoundsChecks::GuardPages).unwrap())
                .collect();
            for m in &mut memories {
                assert_eq!(m.len(), 65536);
                assert!(m.as_slice().iter().all(|&b| b == 0), "round {round}");
                m.grow_to(4 * 65536).unwrap();
                m.as_mut_slice().fill(round | 1);
            }
        }
    }

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
