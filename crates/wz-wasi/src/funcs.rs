//! The functions of `wasi_snapshot_preview1`, each over the calling instance's [`Ctx`].
//!
//! Layouts follow the witx (`wasi/api.h`): `fdstat` 24 bytes, `filestat` 64, `prestat` 8,
//! `dirent` 24 plus the name, `iovec` 8, `subscription` 48, `event` 32.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirEntryExt as _, FileExt as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::MetadataExt as _;

use crate::errno::{Errno, WasiResult};
use crate::mem::Mem;
use crate::state::{DirEntry, Dirent, Entry, FileEntry, WasiState};

/// What a WASI function works on: the instance's system, its WASI state and its memory.
pub(crate) struct Ctx<'a> {
    pub sys: Arc<wz::System>,
    pub state: Arc<WasiState>,
    pub mem: Mem<'a>,
}

// --- constants of the witx -------------------------------------------------------------------

const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_BLOCK_DEVICE: u8 = 1;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FILETYPE_SOCKET_STREAM: u8 = 6;
const FILETYPE_SYMBOLIC_LINK: u8 = 7;

const FDFLAGS_APPEND: u16 = 1;

const OFLAGS_CREAT: u16 = 1;
const OFLAGS_DIRECTORY: u16 = 2;
const OFLAGS_EXCL: u16 = 4;
const OFLAGS_TRUNC: u16 = 8;

const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

const FSTFLAGS_ATIM: u16 = 1;
const FSTFLAGS_ATIM_NOW: u16 = 2;
const FSTFLAGS_MTIM: u16 = 4;
const FSTFLAGS_MTIM_NOW: u16 = 8;

const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
const RIGHT_FD_READDIR: u64 = 1 << 14;
const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
/// Every right of preview 1 (bits 0 to 29).
const ALL_RIGHTS: u64 = (1 << 30) - 1;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME: u32 = 2;
const CLOCK_THREAD_CPUTIME: u32 = 3;

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

const WHENCE_SET: u32 = 0;
const WHENCE_CUR: u32 = 1;
const WHENCE_END: u32 = 2;

// --- helpers ---------------------------------------------------------------------------------

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn filetype_of(ft: cap_std::fs::FileType) -> u8 {
    use cap_std::fs::FileTypeExt as _;
    if ft.is_dir() {
        FILETYPE_DIRECTORY
    } else if ft.is_file() {
        FILETYPE_REGULAR_FILE
    } else if ft.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if ft.is_char_device() {
        FILETYPE_CHARACTER_DEVICE
    } else if ft.is_block_device() {
        FILETYPE_BLOCK_DEVICE
    } else if ft.is_socket() {
        FILETYPE_SOCKET_STREAM
    } else {
        FILETYPE_UNKNOWN
    }
}

/// A `filestat`.
#[derive(Default)]
struct Filestat {
    dev: u64,
    ino: u64,
    filetype: u8,
    nlink: u64,
    size: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

impl Filestat {
    fn of(m: &cap_std::fs::Metadata) -> Filestat {
        let ns = |s: i64, n: i64| (s.max(0) as u64).saturating_mul(1_000_000_000) + n as u64;
        Filestat {
            dev: m.dev(),
            ino: m.ino(),
            filetype: filetype_of(m.file_type()),
            nlink: m.nlink(),
            size: m.len(),
            atim: ns(m.atime(), m.atime_nsec()),
            mtim: ns(m.mtime(), m.mtime_nsec()),
            ctim: ns(m.ctime(), m.ctime_nsec()),
        }
    }

    fn write(&self, mem: &mut Mem<'_>, ptr: u32) -> WasiResult {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        mem.write(ptr, &b)
    }
}

fn std_metadata(file: &std::fs::File) -> WasiResult<cap_std::fs::Metadata> {
    Ok(cap_std::fs::Metadata::from_just_metadata(file.metadata()?))
}

/// The times `fst_flags` asks for.
fn time_specs(
    atim: u64,
    mtim: u64,
    fst_flags: u16,
) -> WasiResult<(Option<SystemTimeSpec>, Option<SystemTimeSpec>)> {
    let spec = |t: u64, set: u16, now: u16| -> WasiResult<Option<SystemTimeSpec>> {
        match (fst_flags & set != 0, fst_flags & now != 0) {
            (true, true) => Err(Errno::Inval),
            (true, false) => Ok(Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(t)),
            ))),
            (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
            (false, false) => Ok(None),
        }
    };
    Ok((
        spec(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)?,
        spec(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)?,
    ))
}

impl Ctx<'_> {
    fn fds(&self) -> std::sync::MutexGuard<'_, crate::state::Fds> {
        self.state.fds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A directory descriptor's directory (a duplicate handle) and whether it is read-only.
    fn dir(&self, fd: u32) -> WasiResult<(cap_std::fs::Dir, bool)> {
        let mut fds = self.fds();
        let d = fds.dir(fd)?;
        Ok((d.dir.try_clone()?, d.read_only))
    }

    /// A directory descriptor that may be written through.
    fn writable_dir(&self, fd: u32) -> WasiResult<cap_std::fs::Dir> {
        let (dir, read_only) = self.dir(fd)?;
        if read_only {
            return Err(Errno::Rofs);
        }
        Ok(dir)
    }

    fn path(&self, ptr: u32, len: u32) -> WasiResult<String> {
        Ok(self.mem.str(ptr, len)?.to_string())
    }

    // --- args, environment, clocks, random, process ------------------------------------------

    pub fn args_sizes_get(&mut self, argc: u32, size: u32) -> WasiResult {
        let args = self.sys.args();
        self.mem.set_u32(argc, args.len() as u32)?;
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        self.mem.set_u32(size, bytes as u32)
    }

    pub fn args_get(&mut self, argv: u32, buf: u32) -> WasiResult {
        let args: Vec<String> = self.sys.args().to_vec();
        self.strings(argv, buf, args.iter().map(|a| a.as_bytes().to_vec()))
    }

    pub fn environ_sizes_get(&mut self, count: u32, size: u32) -> WasiResult {
        let env = self.sys.env();
        self.mem.set_u32(count, env.len() as u32)?;
        let bytes: usize = env.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        self.mem.set_u32(size, bytes as u32)
    }

    pub fn environ_get(&mut self, environ: u32, buf: u32) -> WasiResult {
        let env: Vec<Vec<u8>> = self
            .sys
            .env()
            .iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect();
        self.strings(environ, buf, env.into_iter())
    }

    /// Writes NUL-terminated `strings` from `buf` and a pointer to each at `ptrs`.
    fn strings(
        &mut self,
        ptrs: u32,
        buf: u32,
        strings: impl Iterator<Item = Vec<u8>>,
    ) -> WasiResult {
        let mut at = buf;
        for (i, mut s) in strings.enumerate() {
            self.mem.set_u32(ptrs + 4 * i as u32, at)?;
            s.push(0);
            self.mem.write(at, &s)?;
            at = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        }
        Ok(())
    }

    fn clock_now(&self, id: u32) -> WasiResult<u64> {
        match id {
            CLOCK_REALTIME => {
                let (secs, ns) = self.sys.walltime();
                Ok((secs.max(0) as u64).saturating_mul(1_000_000_000) + ns as u64)
            }
            // CPU time is the monotonic clock: a guest's CPU time is not measured apart.
            CLOCK_MONOTONIC | CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => {
                Ok(self.sys.nanotime().max(0) as u64)
            }
            _ => Err(Errno::Inval),
        }
    }

    pub fn clock_res_get(&mut self, id: u32, out: u32) -> WasiResult {
        let res = match id {
            CLOCK_REALTIME => nanos(self.sys.walltime_resolution()),
            CLOCK_MONOTONIC | CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => {
                nanos(self.sys.nanotime_resolution())
            }
            _ => return Err(Errno::Inval),
        };
        self.mem.set_u64(out, res.max(1))
    }

    pub fn clock_time_get(&mut self, id: u32, _precision: u64, out: u32) -> WasiResult {
        let now = self.clock_now(id)?;
        self.mem.set_u64(out, now)
    }

    pub fn random_get(&mut self, buf: u32, len: u32) -> WasiResult {
        let sys = self.sys.clone();
        let bytes = self.mem.slice_mut(buf, len)?;
        sys.random(bytes).map_err(|_| Errno::Io)
    }

    // --- descriptors -----------------------------------------------------------------------

    pub fn fd_write(&mut self, fd: u32, iovs: u32, count: u32, out: u32) -> WasiResult {
        self.write_from(fd, iovs, count, None, out)
    }

    pub fn fd_pwrite(
        &mut self,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
        out: u32,
    ) -> WasiResult {
        self.write_from(fd, iovs, count, Some(offset), out)
    }

    /// Writes the bytes of the iovecs at `iovs` to `fd` (at `offset`, for `fd_pwrite`).
    fn write_from(
        &mut self,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: Option<u64>,
        out: u32,
    ) -> WasiResult {
        let mut data = Vec::new();
        for (buf, len) in self.mem.iovecs(iovs, count)? {
            data.extend_from_slice(self.mem.slice(buf, len)?);
        }
        let written = self.write_to(fd, &data, offset)?;
        self.mem.set_u32(out, written as u32)
    }

    fn write_to(&mut self, fd: u32, data: &[u8], offset: Option<u64>) -> WasiResult<usize> {
        let mut fds = self.fds();
        let stream = match fds.get(fd)? {
            Entry::Stdout => self.sys.stdout(),
            Entry::Stderr => self.sys.stderr(),
            Entry::Stdin | Entry::Dir(_) => return Err(Errno::Badf),
            Entry::File(f) => {
                if !f.writable {
                    return Err(Errno::Badf);
                }
                match offset {
                    Some(at) => f.file.write_all_at(data, at)?,
                    None if f.append => {
                        f.file.seek(SeekFrom::End(0))?;
                        f.file.write_all(data)?;
                    }
                    None => f.file.write_all(data)?,
                }
                return Ok(data.len());
            }
        };
        if offset.is_some() {
            return Err(Errno::Spipe);
        }
        let mut out = stream.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(data)?;
        out.flush()?;
        Ok(data.len())
    }

    pub fn fd_read(&mut self, fd: u32, iovs: u32, count: u32, out: u32) -> WasiResult {
        self.read_into(fd, iovs, count, None, out)
    }

    pub fn fd_pread(
        &mut self,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: u64,
        out: u32,
    ) -> WasiResult {
        self.read_into(fd, iovs, count, Some(offset), out)
    }

    fn read_into(
        &mut self,
        fd: u32,
        iovs: u32,
        count: u32,
        offset: Option<u64>,
        out: u32,
    ) -> WasiResult {
        let iovs = self.mem.iovecs(iovs, count)?;
        let total: u64 = iovs.iter().map(|&(_, len)| len as u64).sum();
        let mut data = vec![0u8; total.min(64 << 20) as usize];
        let n = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::Stdin if offset.is_none() => {
                    let mut input = self.sys.stdin().lock().unwrap_or_else(|e| e.into_inner());
                    read_fully(&mut *input, &mut data)?
                }
                Entry::Stdin => return Err(Errno::Spipe),
                Entry::File(f) => {
                    if !f.readable {
                        return Err(Errno::Badf);
                    }
                    match offset {
                        Some(at) => read_at_fully(&f.file, &mut data, at)?,
                        None => read_fully(&mut f.file, &mut data)?,
                    }
                }
                Entry::Dir(_) => return Err(Errno::Isdir),
                Entry::Stdout | Entry::Stderr => return Err(Errno::Badf),
            }
        };
        let mut done = 0;
        for (buf, len) in iovs {
            let take = (len as usize).min(n - done);
            self.mem.write(buf, &data[done..done + take])?;
            done += take;
            if done == n {
                break;
            }
        }
        self.mem.set_u32(out, n as u32)
    }

    pub fn fd_seek(&mut self, fd: u32, offset: i64, whence: u32, out: u32) -> WasiResult {
        let pos = match whence {
            WHENCE_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
            WHENCE_CUR => SeekFrom::Current(offset),
            WHENCE_END => SeekFrom::End(offset),
            _ => return Err(Errno::Inval),
        };
        let new = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::File(f) => f.file.seek(pos)?,
                Entry::Dir(_) => return Err(Errno::Badf),
                _ => return Err(Errno::Spipe),
            }
        };
        self.mem.set_u64(out, new)
    }

    pub fn fd_tell(&mut self, fd: u32, out: u32) -> WasiResult {
        self.fd_seek(fd, 0, WHENCE_CUR, out)
    }

    pub fn fd_close(&mut self, fd: u32) -> WasiResult {
        self.fds().remove(fd).map(drop)
    }

    pub fn fd_renumber(&mut self, from: u32, to: u32) -> WasiResult {
        self.fds().renumber(from, to)
    }

    pub fn fd_fdstat_get(&mut self, fd: u32, out: u32) -> WasiResult {
        let (filetype, flags, rights) = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::Stdin => (FILETYPE_CHARACTER_DEVICE, 0, ALL_RIGHTS & !RIGHT_FD_WRITE),
                Entry::Stdout | Entry::Stderr => {
                    (FILETYPE_CHARACTER_DEVICE, 0, ALL_RIGHTS & !RIGHT_FD_READ)
                }
                Entry::Dir(_) => (FILETYPE_DIRECTORY, 0, ALL_RIGHTS),
                Entry::File(f) => {
                    let mut rights = ALL_RIGHTS;
                    if !f.readable {
                        rights &= !RIGHT_FD_READ;
                    }
                    if !f.writable {
                        rights &=
                            !(RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE);
                    }
                    let flags = if f.append { FDFLAGS_APPEND } else { 0 };
                    (
                        filetype_of(std_metadata(&f.file)?.file_type()),
                        flags,
                        rights,
                    )
                }
            }
        };
        let mut b = [0u8; 24];
        b[0] = filetype;
        b[2..4].copy_from_slice(&flags.to_le_bytes());
        b[8..16].copy_from_slice(&rights.to_le_bytes());
        b[16..24].copy_from_slice(&rights.to_le_bytes());
        self.mem.write(out, &b)
    }

    pub fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u32) -> WasiResult {
        let flags = flags as u16;
        let mut fds = self.fds();
        match fds.get(fd)? {
            Entry::File(f) => {
                f.append = flags & FDFLAGS_APPEND != 0;
                Ok(())
            }
            _ if flags & FDFLAGS_APPEND != 0 => Err(Errno::Inval),
            _ => Ok(()),
        }
    }

    pub fn fd_fdstat_set_rights(&mut self, fd: u32, _base: u64, _inheriting: u64) -> WasiResult {
        // Rights can only be dropped; wz enforces read and write from how a file was opened.
        self.fds().get(fd).map(drop)
    }

    pub fn fd_filestat_get(&mut self, fd: u32, out: u32) -> WasiResult {
        let stat = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::File(f) => Filestat::of(&std_metadata(&f.file)?),
                Entry::Dir(d) => Filestat::of(&d.dir.dir_metadata()?),
                _ => Filestat {
                    filetype: FILETYPE_CHARACTER_DEVICE,
                    ..Filestat::default()
                },
            }
        };
        stat.write(&mut self.mem, out)
    }

    pub fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> WasiResult {
        let mut fds = self.fds();
        let f = fds.file(fd)?;
        if !f.writable {
            return Err(if f.read_only_mount {
                Errno::Rofs
            } else {
                Errno::Badf
            });
        }
        f.file.set_len(size)?;
        Ok(())
    }

    pub fn fd_filestat_set_times(&mut self, fd: u32, atim: u64, mtim: u64, fst: u32) -> WasiResult {
        let (atime, mtime) = time_specs(atim, mtim, fst as u16)?;
        let mut fds = self.fds();
        match fds.get(fd)? {
            Entry::File(f) => {
                if f.read_only_mount {
                    return Err(Errno::Rofs);
                }
                let mut times = std::fs::FileTimes::new();
                let resolve = |s: SystemTimeSpec| match s {
                    SystemTimeSpec::SymbolicNow => SystemTime::now(),
                    SystemTimeSpec::Absolute(t) => t.into_std(),
                };
                if let Some(a) = atime {
                    times = times.set_accessed(resolve(a));
                }
                if let Some(m) = mtime {
                    times = times.set_modified(resolve(m));
                }
                f.file.set_times(times)?;
                Ok(())
            }
            Entry::Dir(d) => {
                if d.read_only {
                    return Err(Errno::Rofs);
                }
                d.dir.set_times(".", atime, mtime)?;
                Ok(())
            }
            _ => Err(Errno::Badf),
        }
    }

    pub fn fd_advise(&mut self, fd: u32, _offset: u64, _len: u64, advice: u32) -> WasiResult {
        if advice > 5 {
            return Err(Errno::Inval);
        }
        self.fds().file(fd).map(drop)
    }

    pub fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> WasiResult {
        let mut fds = self.fds();
        let f = fds.file(fd)?;
        if !f.writable {
            return Err(Errno::Badf);
        }
        let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
        if f.file.metadata()?.len() < end {
            f.file.set_len(end)?;
        }
        Ok(())
    }

    pub fn fd_sync(&mut self, fd: u32, data_only: bool) -> WasiResult {
        let mut fds = self.fds();
        match fds.get(fd)? {
            Entry::File(f) if data_only => f.file.sync_data()?,
            Entry::File(f) => f.file.sync_all()?,
            Entry::Dir(_) => {}
            _ => return Err(Errno::Inval),
        }
        Ok(())
    }

    pub fn fd_prestat_get(&mut self, fd: u32, out: u32) -> WasiResult {
        let len = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::Dir(DirEntry {
                    preopen: Some(name),
                    ..
                }) => name.len() as u32,
                _ => return Err(Errno::Badf),
            }
        };
        self.mem.write(out, &[0, 0, 0, 0])?;
        self.mem.set_u32(out + 4, len)
    }

    pub fn fd_prestat_dir_name(&mut self, fd: u32, path: u32, len: u32) -> WasiResult {
        let name = {
            let mut fds = self.fds();
            match fds.get(fd)? {
                Entry::Dir(DirEntry {
                    preopen: Some(name),
                    ..
                }) => name.clone(),
                _ => return Err(Errno::Badf),
            }
        };
        if (len as usize) < name.len() {
            return Err(Errno::Nametoolong);
        }
        self.mem.write(path, name.as_bytes())
    }

    pub fn fd_readdir(&mut self, fd: u32, buf: u32, len: u32, cookie: u64, out: u32) -> WasiResult {
        let listing = {
            let mut fds = self.fds();
            let d = fds.dir(fd)?;
            if cookie == 0 || d.listing.is_empty() {
                d.listing = list(&d.dir)?;
            }
            d.listing.clone()
        };
        let mut bytes = Vec::new();
        for (i, entry) in listing
            .iter()
            .enumerate()
            .skip(cookie.min(usize::MAX as u64) as usize)
        {
            if bytes.len() >= len as usize {
                break;
            }
            let mut head = [0u8; 24];
            head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            head[8..16].copy_from_slice(&entry.ino.to_le_bytes());
            head[16..20].copy_from_slice(&(entry.name.len() as u32).to_le_bytes());
            head[20] = entry.filetype;
            bytes.extend_from_slice(&head);
            bytes.extend_from_slice(&entry.name);
        }
        bytes.truncate(len as usize);
        self.mem.write(buf, &bytes)?;
        self.mem.set_u32(out, bytes.len() as u32)
    }

    // --- paths -----------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub fn path_open(
        &mut self,
        fd: u32,
        dirflags: u32,
        path: u32,
        path_len: u32,
        oflags: u32,
        rights: u64,
        _inheriting: u64,
        fdflags: u32,
        out: u32,
    ) -> WasiResult {
        let (dir, read_only) = self.dir(fd)?;
        let path = self.path(path, path_len)?;
        let oflags = oflags as u16;
        let fdflags = fdflags as u16;
        let follow = if dirflags & LOOKUP_SYMLINK_FOLLOW != 0 {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };
        let write = rights & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE) != 0
            || fdflags & FDFLAGS_APPEND != 0;
        let creates = oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0;
        if read_only && (write || creates) {
            return Err(Errno::Rofs);
        }
        let entry = if oflags & OFLAGS_DIRECTORY != 0 {
            if oflags & OFLAGS_CREAT != 0 {
                return Err(Errno::Inval);
            }
            let opened = match follow {
                FollowSymlinks::Yes => dir.open_dir(&path)?,
                FollowSymlinks::No => dir.open_dir_nofollow(&path)?,
            };
            Entry::Dir(DirEntry {
                dir: opened,
                preopen: None,
                read_only,
                listing: Vec::new(),
            })
        } else {
            let read = rights & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0 || !write;
            let mut options = cap_std::fs::OpenOptions::new();
            options
                .read(read)
                // Creating or truncating needs a writable handle; the descriptor still only
                // allows what the guest asked for.
                .write(write || creates)
                .truncate(oflags & OFLAGS_TRUNC != 0)
                .follow(follow)
                .maybe_dir(!write && !creates);
            if oflags & OFLAGS_CREAT != 0 {
                if oflags & OFLAGS_EXCL != 0 {
                    options.create_new(true);
                } else {
                    options.create(true);
                }
            }
            let file = dir.open_with(&path, &options)?.into_std();
            if file.metadata()?.is_dir() {
                Entry::Dir(DirEntry {
                    dir: cap_std::fs::Dir::from_std_file(file),
                    preopen: None,
                    read_only,
                    listing: Vec::new(),
                })
            } else {
                Entry::File(FileEntry {
                    file,
                    readable: read,
                    writable: write,
                    append: fdflags & FDFLAGS_APPEND != 0,
                    read_only_mount: read_only,
                })
            }
        };
        let new = self.fds().insert(entry)?;
        self.mem.set_u32(out, new)
    }

    pub fn path_create_directory(&mut self, fd: u32, path: u32, len: u32) -> WasiResult {
        let dir = self.writable_dir(fd)?;
        dir.create_dir(self.path(path, len)?)?;
        Ok(())
    }

    pub fn path_remove_directory(&mut self, fd: u32, path: u32, len: u32) -> WasiResult {
        let dir = self.writable_dir(fd)?;
        dir.remove_dir(self.path(path, len)?)?;
        Ok(())
    }

    pub fn path_unlink_file(&mut self, fd: u32, path: u32, len: u32) -> WasiResult {
        let dir = self.writable_dir(fd)?;
        dir.remove_file_or_symlink(self.path(path, len)?)?;
        Ok(())
    }

    pub fn path_filestat_get(
        &mut self,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        out: u32,
    ) -> WasiResult {
        let (dir, _) = self.dir(fd)?;
        let path = self.path(path, len)?;
        let meta = if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            dir.metadata(&path)?
        } else {
            dir.symlink_metadata(&path)?
        };
        Filestat::of(&meta).write(&mut self.mem, out)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn path_filestat_set_times(
        &mut self,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> WasiResult {
        let dir = self.writable_dir(fd)?;
        let path = self.path(path, len)?;
        let (atime, mtime) = time_specs(atim, mtim, fst as u16)?;
        if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
            dir.set_times(&path, atime, mtime)?;
        } else {
            dir.set_symlink_times(&path, atime, mtime)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn path_link(
        &mut self,
        old_fd: u32,
        _old_flags: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> WasiResult {
        // Both sides must be writable: a link into a writable mount would otherwise let the
        // guest write a file of a read-only one.
        let (old_dir, old, new_dir, new) =
            self.two_paths(old_fd, old_path, old_len, new_fd, new_path, new_len)?;
        old_dir.hard_link(old, &new_dir, new)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn path_rename(
        &mut self,
        fd: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> WasiResult {
        let (old_dir, old, new_dir, new) =
            self.two_paths(fd, old_path, old_len, new_fd, new_path, new_len)?;
        old_dir.rename(old, &new_dir, new)?;
        Ok(())
    }

    /// The writable directories and paths of a two-path operation (link, rename).
    #[allow(clippy::too_many_arguments)]
    fn two_paths(
        &self,
        old_fd: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> WasiResult<(cap_std::fs::Dir, String, cap_std::fs::Dir, String)> {
        Ok((
            self.writable_dir(old_fd)?,
            self.path(old_path, old_len)?,
            self.writable_dir(new_fd)?,
            self.path(new_path, new_len)?,
        ))
    }

    pub fn path_symlink(
        &mut self,
        old_path: u32,
        old_len: u32,
        fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> WasiResult {
        let dir = self.writable_dir(fd)?;
        let target = self.path(old_path, old_len)?;
        let link = self.path(new_path, new_len)?;
        // The link's text is the guest's to choose; following it later is what the sandbox
        // checks.
        dir.symlink_contents(target, link)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn path_readlink(
        &mut self,
        fd: u32,
        path: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> WasiResult {
        let (dir, _) = self.dir(fd)?;
        let target = dir.read_link_contents(self.path(path, len)?)?;
        let bytes = target.as_os_str().as_encoded_bytes();
        let n = bytes.len().min(buf_len as usize);
        self.mem.write(buf, &bytes[..n])?;
        self.mem.set_u32(out, n as u32)
    }

    // --- poll ------------------------------------------------------------------------------

    pub fn poll_oneoff(&mut self, subs: u32, events: u32, n: u32, out: u32) -> WasiResult {
        if n == 0 {
            return Err(Errno::Inval);
        }
        struct Sub {
            userdata: u64,
            kind: u8,
            /// Clock: nanoseconds from now until it fires (or the error it gives).
            wait: Result<u64, Errno>,
            /// Fd events: the error of an unusable descriptor.
            fd_error: Option<Errno>,
        }
        let mut list = Vec::with_capacity(n.min(1024) as usize);
        for i in 0..n {
            let at = subs
                .checked_add(i.checked_mul(48).ok_or(Errno::Fault)?)
                .ok_or(Errno::Fault)?;
            let userdata = self.mem.u64(at)?;
            let kind = self.mem.u8(at + 8)?;
            match kind {
                EVENTTYPE_CLOCK => {
                    let id = self.mem.u32(at + 16)?;
                    let timeout = self.mem.u64(at + 24)?;
                    let flags = self.mem.u16(at + 40)?;
                    let wait = self.clock_now(id).map(|now| {
                        if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                            timeout.saturating_sub(now)
                        } else {
                            timeout
                        }
                    });
                    list.push(Sub {
                        userdata,
                        kind,
                        wait,
                        fd_error: None,
                    });
                }
                EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE => {
                    let fd = self.mem.u32(at + 16)?;
                    let fd_error =
                        match (self.fds().get(fd).map(|e| matches!(e, Entry::Dir(_))), kind) {
                            (Err(e), _) => Some(e),
                            (Ok(true), _) => Some(Errno::Badf),
                            _ => None,
                        };
                    list.push(Sub {
                        userdata,
                        kind,
                        wait: Ok(0),
                        fd_error,
                    });
                }
                _ => return Err(Errno::Inval),
            }
        }
        // Descriptors are always ready (files, and stdio as wz provides it, never block), so
        // the call returns at once when there are any; otherwise it sleeps until the first
        // clock fires.
        let any_fd = list.iter().any(|s| s.kind != EVENTTYPE_CLOCK);
        let first = list
            .iter()
            .filter(|s| s.kind == EVENTTYPE_CLOCK)
            .filter_map(|s| s.wait.ok())
            .min();
        let slept = match (any_fd, first) {
            (false, Some(wait)) if wait > 0 => {
                self.sys.nanosleep(i64::try_from(wait).unwrap_or(i64::MAX));
                wait
            }
            _ => 0,
        };
        let mut count = 0u32;
        for s in &list {
            let ready = match s.kind {
                EVENTTYPE_CLOCK => s.wait.map_or(true, |w| w <= slept),
                _ => true,
            };
            if !ready {
                continue;
            }
            let error = match s.kind {
                EVENTTYPE_CLOCK => s.wait.err(),
                _ => s.fd_error,
            };
            let mut b = [0u8; 32];
            b[0..8].copy_from_slice(&s.userdata.to_le_bytes());
            b[8..10].copy_from_slice(&error.map_or(0, |e| e as u16).to_le_bytes());
            b[10] = s.kind;
            let at = count
                .checked_mul(32)
                .and_then(|off| events.checked_add(off))
                .ok_or(Errno::Fault)?;
            self.mem.write(at, &b)?;
            count += 1;
        }
        self.mem.set_u32(out, count)
    }

    // --- sockets (none can be opened: every descriptor is "not a socket") --------------------

    pub fn sock(&mut self, fd: u32) -> WasiResult {
        self.fds().get(fd)?;
        Err(Errno::Notsock)
    }
}

/// Reads until `buf` is full or the stream ends.
fn read_fully(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_at_fully(f: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A directory's entries for `fd_readdir`: `.`, `..`, then the rest in the order the host
/// lists them.
fn list(dir: &cap_std::fs::Dir) -> WasiResult<Vec<Dirent>> {
    let ino = dir.dir_metadata()?.ino();
    let mut out = vec![
        Dirent {
            name: b".".to_vec(),
            ino,
            filetype: FILETYPE_DIRECTORY,
        },
        Dirent {
            name: b"..".to_vec(),
            ino: 0,
            filetype: FILETYPE_DIRECTORY,
        },
    ];
    for entry in dir.entries()? {
        let entry = entry?;
        let filetype = entry.file_type().map_or(FILETYPE_UNKNOWN, filetype_of);
        out.push(Dirent {
            name: entry.file_name().into_encoded_bytes(),
            ino: entry.ino(),
            filetype,
        });
    }
    Ok(out)
}
