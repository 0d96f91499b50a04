//! WASI's `errno`: the values of the `wasi_snapshot_preview1` witx, and how host errors map
//! to them.

use std::io;

/// An error code a WASI function returns (0, success, is not one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
#[allow(missing_docs)] // the names are the witx ones
pub enum Errno {
    TooBig = 1,
    Acces = 2,
    Addrinuse = 3,
    Addrnotavail = 4,
    Afnosupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    Badmsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    Connaborted = 13,
    Connrefused = 14,
    Connreset = 15,
    Deadlk = 16,
    Destaddrreq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Hostunreach = 23,
    Idrm = 24,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isconn = 30,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Multihop = 36,
    Nametoolong = 37,
    Netdown = 38,
    Netreset = 39,
    Netunreach = 40,
    Nfile = 41,
    Nobufs = 42,
    Nodev = 43,
    Noent = 44,
    Noexec = 45,
    Nolck = 46,
    Nolink = 47,
    Nomem = 48,
    Nomsg = 49,
    Noprotoopt = 50,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Ownerdead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    Protonosupport = 66,
    Prototype = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl Errno {
    /// The value a WASI function returns for it.
    pub fn code(self) -> i32 {
        self as u16 as i32
    }
}

/// What a WASI function computes: `Ok` is errno 0.
pub(crate) type WasiResult<T = ()> = Result<T, Errno>;

/// The return value of a WASI function.
pub(crate) fn ret(r: WasiResult) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return from_os(code);
        }
        match e.kind() {
            io::ErrorKind::NotFound => Errno::Noent,
            // cap-std refuses paths that would leave the sandbox with this kind and no OS code;
            // EPERM is what wasmtime reports for them too.
            io::ErrorKind::PermissionDenied => Errno::Perm,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::Interrupted => Errno::Intr,
            io::ErrorKind::WouldBlock => Errno::Again,
            io::ErrorKind::Unsupported => Errno::Notsup,
            io::ErrorKind::UnexpectedEof => Errno::Io,
            io::ErrorKind::BrokenPipe => Errno::Pipe,
            _ => Errno::Io,
        }
    }
}

/// The WASI errno for a host (Linux) errno.
fn from_os(code: i32) -> Errno {
    match code {
        libc_consts::EPERM => Errno::Perm,
        libc_consts::ENOENT => Errno::Noent,
        libc_consts::EINTR => Errno::Intr,
        libc_consts::EIO => Errno::Io,
        libc_consts::EBADF => Errno::Badf,
        libc_consts::EAGAIN => Errno::Again,
        libc_consts::ENOMEM => Errno::Nomem,
        libc_consts::EACCES => Errno::Acces,
        libc_consts::EBUSY => Errno::Busy,
        libc_consts::EEXIST => Errno::Exist,
        libc_consts::EXDEV => Errno::Xdev,
        libc_consts::ENOTDIR => Errno::Notdir,
        libc_consts::EISDIR => Errno::Isdir,
        libc_consts::EINVAL => Errno::Inval,
        libc_consts::EMFILE => Errno::Mfile,
        libc_consts::EFBIG => Errno::Fbig,
        libc_consts::ENOSPC => Errno::Nospc,
        libc_consts::ESPIPE => Errno::Spipe,
        libc_consts::EROFS => Errno::Rofs,
        libc_consts::EMLINK => Errno::Mlink,
        libc_consts::EPIPE => Errno::Pipe,
        libc_consts::ENAMETOOLONG => Errno::Nametoolong,
        libc_consts::ENOSYS => Errno::Nosys,
        libc_consts::ENOTEMPTY => Errno::Notempty,
        libc_consts::ELOOP => Errno::Loop,
        libc_consts::EOVERFLOW => Errno::Overflow,
        libc_consts::EILSEQ => Errno::Ilseq,
        libc_consts::ENOTSUP => Errno::Notsup,
        libc_consts::ETXTBSY => Errno::Txtbsy,
        libc_consts::EDQUOT => Errno::Dquot,
        _ => Errno::Io,
    }
}

/// Linux's errno values (the same on x86_64 and aarch64).
mod libc_consts {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EINTR: i32 = 4;
    pub const EIO: i32 = 5;
    pub const EBADF: i32 = 9;
    pub const EAGAIN: i32 = 11;
    pub const ENOMEM: i32 = 12;
    pub const EACCES: i32 = 13;
    pub const EBUSY: i32 = 16;
    pub const EEXIST: i32 = 17;
    pub const EXDEV: i32 = 18;
    pub const ENOTDIR: i32 = 20;
    pub const EISDIR: i32 = 21;
    pub const EINVAL: i32 = 22;
    pub const EMFILE: i32 = 24;
    pub const ETXTBSY: i32 = 26;
    pub const EFBIG: i32 = 27;
    pub const ENOSPC: i32 = 28;
    pub const ESPIPE: i32 = 29;
    pub const EROFS: i32 = 30;
    pub const EMLINK: i32 = 31;
    pub const EPIPE: i32 = 32;
    pub const ENAMETOOLONG: i32 = 36;
    pub const ENOSYS: i32 = 38;
    pub const ENOTEMPTY: i32 = 39;
    pub const ELOOP: i32 = 40;
    pub const EOVERFLOW: i32 = 75;
    pub const EILSEQ: i32 = 84;
    pub const ENOTSUP: i32 = 95;
    pub const EDQUOT: i32 = 122;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_witx() {
        assert_eq!(Errno::TooBig.code(), 1);
        assert_eq!(Errno::Badf.code(), 8);
        assert_eq!(Errno::Noent.code(), 44);
        assert_eq!(Errno::Rofs.code(), 69);
        assert_eq!(Errno::Notcapable.code(), 76);
    }

    #[test]
    fn host_errors_map_to_their_wasi_names() {
        let os = |c| Errno::from(io::Error::from_raw_os_error(c));
        assert_eq!(os(2), Errno::Noent);
        assert_eq!(os(17), Errno::Exist);
        assert_eq!(os(39), Errno::Notempty);
        assert_eq!(os(30), Errno::Rofs);
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside the sandbox");
        assert_eq!(Errno::from(escape), Errno::Perm);
    }
}
