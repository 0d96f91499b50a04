//! The guest's linear memory as WASI functions see it: every access bounds-checked, an
//! out-of-range pointer is `EFAULT`.

use crate::errno::{Errno, WasiResult};

/// The calling module's memory.
pub(crate) struct Mem<'a>(pub &'a mut [u8]);

impl Mem<'_> {
    /// The `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        self.0.get(start..end).ok_or(Errno::Fault)
    }

    /// The `len` bytes at `ptr`, writable.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        self.0.get_mut(start..end).ok_or(Errno::Fault)
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        Ok(self.slice(ptr, N as u32)?.try_into().expect("N bytes"))
    }

    /// A little-endian `u32` at `ptr`.
    pub fn u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    /// A little-endian `u64` at `ptr`.
    pub fn u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// A `u16` at `ptr`.
    pub fn u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    /// A byte at `ptr`.
    pub fn u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Writes `bytes` at `ptr`.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> WasiResult {
        self.slice_mut(ptr, bytes.len() as u32)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Writes a little-endian `u32` at `ptr`.
    pub fn set_u32(&mut self, ptr: u32, v: u32) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64` at `ptr`.
    pub fn set_u64(&mut self, ptr: u32, v: u64) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A UTF-8 string of `len` bytes at `ptr` (`EILSEQ` if it is not UTF-8).
    pub fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// The `(buf, len)` pairs of an iovec array of `count` entries at `ptr`.
    pub fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let bytes = count.checked_mul(8).ok_or(Errno::Fault)?;
        self.slice(ptr, bytes)?;
        (0..count)
            .map(|i| Ok((self.u32(ptr + i * 8)?, self.u32(ptr + i * 8 + 4)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_is_a_fault_never_a_panic() {
        let mut buf = [0u8; 16];
        let mut mem = Mem(&mut buf);
        mem.set_u32(12, 7).unwrap();
        assert_eq!(mem.u32(12), Ok(7));
        assert_eq!(mem.u32(13), Err(Errno::Fault));
        assert_eq!(mem.u64(u32::MAX), Err(Errno::Fault));
        assert_eq!(mem.slice(8, u32::MAX).err(), Some(Errno::Fault));
        assert_eq!(mem.iovecs(0, u32::MAX).err(), Some(Errno::Fault));
        mem.write(0, b"\xff").unwrap();
        assert_eq!(mem.str(0, 1).err(), Some(Errno::Ilseq));
    }
}
