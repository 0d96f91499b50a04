//! Executable memory for generated code.
//!
//! Code is copied into a fresh anonymous mapping while it is writable, relocated, then made
//! read-only and executable (never writable and executable at once). The mapping lives as long
//! as the [`CodeMemory`]; its trap sites are registered with the signal handler for that time.

use std::sync::Arc;

use crate::traps::{self, CodeTraps};
use crate::{CompileError, ir};

/// A block of executable generated code.
#[derive(Debug)]
pub struct CodeMemory {
    base: *mut u8,
    size: usize,
    len: usize,
}

// SAFETY: the mapping is immutable after construction; sharing or sending the pointer only
// shares read/execute access.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

/// A relocation to apply before the code becomes executable.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Patch {
    /// A 32-bit PC-relative displacement at `at` to `target` (both code offsets), plus addend.
    PcRel32 {
        at: usize,
        target: usize,
        addend: i64,
    },
    /// An aarch64 `bl` at `at` to `target`.
    Arm64Call { at: usize, target: usize },
    /// A 64-bit absolute address at `at`.
    Abs64 { at: usize, value: u64 },
}

impl CodeMemory {
    /// Maps `code`, applies `patches`, makes it executable and registers `traps` (code offsets).
    pub(crate) fn new(
        code: &[u8],
        patches: &[Patch],
        mut traps: Vec<(u32, ir::TrapCode)>,
    ) -> Result<Arc<CodeMemory>, CompileError> {
        let page = page_size();
        let size = code.len().max(1).div_ceil(page) * page;
        // SAFETY: a fresh anonymous private mapping affects no existing memory.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(CompileError::new("cannot map memory for generated code"));
        }
        let memory = CodeMemory {
            base: base.cast(),
            size,
            len: code.len(),
        };
        // SAFETY: the mapping is writable, `size >= code.len()`, and nothing else refers to it.
        let bytes = unsafe { std::slice::from_raw_parts_mut(memory.base, size) };
        bytes[..code.len()].copy_from_slice(code);
        for patch in patches {
            apply(bytes, memory.base as usize, *patch)?;
        }
        // SAFETY: changes the protection of our own mapping; `bytes` is not used afterwards.
        let rc =
            unsafe { libc::mprotect(memory.base.cast(), size, libc::PROT_READ | libc::PROT_EXEC) };
        if rc != 0 {
            return Err(CompileError::new("cannot make generated code executable"));
        }
        flush_icache(memory.base, code.len());
        traps.sort_by_key(|t| t.0);
        traps::register(Arc::new(CodeTraps {
            start: memory.base as usize,
            len: code.len(),
            traps,
        }));
        Ok(Arc::new(memory))
    }

    /// The address of the byte at `offset`.
    pub fn ptr(&self, offset: usize) -> *const u8 {
        assert!(offset < self.len.max(1), "code offset out of range");
        self.base.wrapping_add(offset)
    }

    /// The code size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no code.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        traps::unregister(self.base as usize);
        // SAFETY: unmaps the mapping created in `new`; no function pointer into it is used
        // after the last owner (every instance holds an Arc) is gone.
        unsafe {
            libc::munmap(self.base.cast(), self.size);
        }
    }
}

fn apply(bytes: &mut [u8], base: usize, patch: Patch) -> Result<(), CompileError> {
    let bad = || CompileError::new("relocation out of range");
    match patch {
        Patch::PcRel32 { at, target, addend } => {
            let value = (target as i64)
                .checked_add(addend)
                .and_then(|v| v.checked_sub(at as i64))
                .ok_or_else(bad)?;
            let value = i32::try_from(value).map_err(|_| bad())?;
            place(bytes, at, 4)?.copy_from_slice(&value.to_le_bytes());
        }
        Patch::Arm64Call { at, target } => {
            let delta = (target as i64 - at as i64) >> 2;
            if !(-(1 << 25)..(1 << 25)).contains(&delta) {
                return Err(bad());
            }
            let slot = place(bytes, at, 4)?;
            let insn = u32::from_le_bytes(slot.try_into().expect("4 bytes"));
            let insn = (insn & 0xfc00_0000) | (delta as u32 & 0x03ff_ffff);
            slot.copy_from_slice(&insn.to_le_bytes());
        }
        Patch::Abs64 { at, value } => {
            let _ = base;
            place(bytes, at, 8)?.copy_from_slice(&value.to_le_bytes());
        }
    }
    Ok(())
}

/// The `n` bytes at `at`, or an error when they are not all inside `bytes`.
fn place(bytes: &mut [u8], at: usize, n: usize) -> Result<&mut [u8], CompileError> {
    let end = at
        .checked_add(n)
        .ok_or_else(|| CompileError::new("relocation out of range"))?;
    bytes
        .get_mut(at..end)
        .ok_or_else(|| CompileError::new("relocation out of range"))
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as usize } else { 4096 }
}

#[cfg(target_arch = "aarch64")]
fn flush_icache(start: *mut u8, len: usize) {
    unsafe extern "C" {
        fn __clear_cache(start: *mut libc::c_char, end: *mut libc::c_char);
    }
    // SAFETY: the range is our mapping.
    unsafe { __clear_cache(start.cast(), start.add(len).cast()) };
}

#[cfg(not(target_arch = "aarch64"))]
fn flush_icache(_start: *mut u8, _len: usize) {}
