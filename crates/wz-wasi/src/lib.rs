//! WASI preview 1 (`wasi_snapshot_preview1`) for wz.
//!
//! Most users get it through the `wz` command (`wz run program.wasm`). Embedders call
//! [`instantiate`] once per runtime; every module instantiated afterwards that imports
//! `wasi_snapshot_preview1` sees the system its [`wz::ModuleConfig`] gives it: arguments,
//! environment, standard streams, clocks, randomness and mounted directories.
//!
//! ```
//! # fn main() -> Result<(), wz::Error> {
//! use std::sync::{Arc, Mutex};
//!
//! let runtime = wz::Runtime::new();
//! wz_wasi::instantiate(&runtime)?;
//! // A program that writes "hi\n" to stdout with fd_write, then exits with code 3.
//! let program = br#"(module
//!     (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 16) "hi\n")
//!     (func (export "_start")
//!       (i32.store (i32.const 0) (i32.const 16)) ;; iovec: buf
//!       (i32.store (i32.const 4) (i32.const 3))  ;; iovec: len
//!       (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!       (call $exit (i32.const 3))))"#;
//! #[derive(Clone, Default)]
//! struct Out(Arc<Mutex<Vec<u8>>>);
//! impl std::io::Write for Out {
//!     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//! let out = Out::default();
//! let compiled = runtime.compile_module(program)?;
//! let err = runtime
//!     .instantiate_module(&compiled, wz::ModuleConfig::new().with_stdout(out.clone()))
//!     .unwrap_err();
//! assert_eq!(err.exit_code(), Some(3)); // `_start` ran during instantiation and exited
//! assert_eq!(*out.0.lock().unwrap(), b"hi\n");
//! # Ok(())
//! # }
//! ```
//!
//! Files: the guest sees only the directories mounted for it ([`wz::FsConfig`]), as
//! preopened descriptors 3, 4, ... Every path is resolved with cap-std relative to such a
//! descriptor, so `..`, absolute paths and symlinks cannot leave a mount; writes under a
//! read-only mount fail with `EROFS`. Sockets cannot be opened (there are no socket
//! descriptors), so the `sock_*` functions report `ENOTSOCK` or `EBADF`.
#![forbid(unsafe_code)]

mod errno;
mod funcs;
mod mem;
mod state;

pub use errno::Errno;

use funcs::Ctx;
use mem::Mem;
use state::WasiState;

/// The module name programs import WASI from.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";

/// Runs one WASI function for the instance that called it.
fn call(
    caller: &mut wz::Caller<'_>,
    f: impl FnOnce(&mut Ctx<'_>) -> errno::WasiResult,
) -> Result<i32, wz::Error> {
    let sys = wz::System::of(caller).ok_or_else(|| {
        wz::Error::usage("WASI functions serve wasm modules: this call has no calling instance")
    })?;
    let state = sys.state(|| WasiState::new(&sys));
    let mem = Mem(caller.memory().unwrap_or_default());
    let mut ctx = Ctx { sys, state, mem };
    Ok(errno::ret(f(&mut ctx)))
}

/// Raw wasm integers as the unsigned values WASI means by them.
trait Unsigned {
    type Out;
    fn u(self) -> Self::Out;
}
impl Unsigned for i32 {
    type Out = u32;
    fn u(self) -> u32 {
        self as u32
    }
}
impl Unsigned for i64 {
    type Out = u64;
    fn u(self) -> u64 {
        self as u64
    }
}

/// Adds each function: `name(params) => body` where the body calls `c`, the [`Ctx`], with
/// the parameters converted by `.u()`.
macro_rules! functions {
    ($b:ident; $( $name:literal ($($p:ident : $t:ty),*) => |$c:ident| $body:expr; )*) => {
        $(
            let $b = $b
                .new_function_builder()
                .with_func(|caller: &mut wz::Caller<'_>, $($p: $t),*| -> Result<i32, wz::Error> {
                    call(caller, |$c| $body)
                })
                .with_param_names(&[$(stringify!($p)),*])
                .export($name);
        )*
    };
}

/// Registers `wasi_snapshot_preview1` in `runtime`, so modules instantiated afterwards can
/// import it. Instantiating it twice in one runtime is an error (the name is taken).
///
/// ```
/// let runtime = wz::Runtime::new();
/// let wasi = wz_wasi::instantiate(&runtime).unwrap();
/// assert_eq!(wasi.name(), Some(wz_wasi::MODULE_NAME));
/// assert!(wasi.exported_function("fd_write").is_some());
/// assert!(wz_wasi::instantiate(&runtime).is_err());
/// ```
pub fn instantiate(runtime: &wz::Runtime) -> Result<wz::Module, wz::Error> {
    let b = runtime.new_host_module_builder(MODULE_NAME);
    functions! { b;
        "args_get"(argv: i32, argv_buf: i32) => |c| c.args_get(argv.u(), argv_buf.u());
        "args_sizes_get"(argc: i32, argv_buf_size: i32) =>
            |c| c.args_sizes_get(argc.u(), argv_buf_size.u());
        "environ_get"(environ: i32, environ_buf: i32) =>
            |c| c.environ_get(environ.u(), environ_buf.u());
        "environ_sizes_get"(count: i32, environ_buf_size: i32) =>
            |c| c.environ_sizes_get(count.u(), environ_buf_size.u());
        "clock_res_get"(id: i32, resolution: i32) => |c| c.clock_res_get(id.u(), resolution.u());
        "clock_time_get"(id: i32, precision: i64, time: i32) =>
            |c| c.clock_time_get(id.u(), precision.u(), time.u());
        "fd_advise"(fd: i32, offset: i64, len: i64, advice: i32) =>
            |c| c.fd_advise(fd.u(), offset.u(), len.u(), advice.u());
        "fd_allocate"(fd: i32, offset: i64, len: i64) =>
            |c| c.fd_allocate(fd.u(), offset.u(), len.u());
        "fd_close"(fd: i32) => |c| c.fd_close(fd.u());
        "fd_datasync"(fd: i32) => |c| c.fd_sync(fd.u(), true);
        "fd_fdstat_get"(fd: i32, stat: i32) => |c| c.fd_fdstat_get(fd.u(), stat.u());
        "fd_fdstat_set_flags"(fd: i32, flags: i32) => |c| c.fd_fdstat_set_flags(fd.u(), flags.u());
        "fd_fdstat_set_rights"(fd: i32, rights_base: i64, rights_inheriting: i64) =>
            |c| c.fd_fdstat_set_rights(fd.u(), rights_base.u(), rights_inheriting.u());
        "fd_filestat_get"(fd: i32, stat: i32) => |c| c.fd_filestat_get(fd.u(), stat.u());
        "fd_filestat_set_size"(fd: i32, size: i64) => |c| c.fd_filestat_set_size(fd.u(), size.u());
        "fd_filestat_set_times"(fd: i32, atim: i64, mtim: i64, fst_flags: i32) =>
            |c| c.fd_filestat_set_times(fd.u(), atim.u(), mtim.u(), fst_flags.u());
        "fd_pread"(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nread: i32) =>
            |c| c.fd_pread(fd.u(), iovs.u(), iovs_len.u(), offset.u(), nread.u());
        "fd_prestat_get"(fd: i32, prestat: i32) => |c| c.fd_prestat_get(fd.u(), prestat.u());
        "fd_prestat_dir_name"(fd: i32, path: i32, path_len: i32) =>
            |c| c.fd_prestat_dir_name(fd.u(), path.u(), path_len.u());
        "fd_pwrite"(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten: i32) =>
            |c| c.fd_pwrite(fd.u(), iovs.u(), iovs_len.u(), offset.u(), nwritten.u());
        "fd_read"(fd: i32, iovs: i32, iovs_len: i32, nread: i32) =>
            |c| c.fd_read(fd.u(), iovs.u(), iovs_len.u(), nread.u());
        "fd_readdir"(fd: i32, buf: i32, buf_len: i32, cookie: i64, bufused: i32) =>
            |c| c.fd_readdir(fd.u(), buf.u(), buf_len.u(), cookie.u(), bufused.u());
        "fd_renumber"(fd: i32, to: i32) => |c| c.fd_renumber(fd.u(), to.u());
        "fd_seek"(fd: i32, offset: i64, whence: i32, newoffset: i32) =>
            |c| c.fd_seek(fd.u(), offset, whence.u(), newoffset.u());
        "fd_sync"(fd: i32) => |c| c.fd_sync(fd.u(), false);
        "fd_tell"(fd: i32, offset: i32) => |c| c.fd_tell(fd.u(), offset.u());
        "fd_write"(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32) =>
            |c| c.fd_write(fd.u(), iovs.u(), iovs_len.u(), nwritten.u());
        "path_create_directory"(fd: i32, path: i32, path_len: i32) =>
            |c| c.path_create_directory(fd.u(), path.u(), path_len.u());
        "path_filestat_get"(fd: i32, flags: i32, path: i32, path_len: i32, stat: i32) =>
            |c| c.path_filestat_get(fd.u(), flags.u(), path.u(), path_len.u(), stat.u());
        "path_filestat_set_times"(fd: i32, flags: i32, path: i32, path_len: i32, atim: i64,
            mtim: i64, fst_flags: i32) =>
            |c| c.path_filestat_set_times(fd.u(), flags.u(), path.u(), path_len.u(), atim.u(),
                mtim.u(), fst_flags.u());
        "path_link"(old_fd: i32, old_flags: i32, old_path: i32, old_path_len: i32, new_fd: i32,
            new_path: i32, new_path_len: i32) =>
            |c| c.path_link(old_fd.u(), old_flags.u(), old_path.u(), old_path_len.u(), new_fd.u(),
                new_path.u(), new_path_len.u());
        "path_open"(fd: i32, dirflags: i32, path: i32, path_len: i32, oflags: i32,
            fs_rights_base: i64, fs_rights_inheriting: i64, fdflags: i32, opened_fd: i32) =>
            |c| c.path_open(fd.u(), dirflags.u(), path.u(), path_len.u(), oflags.u(),
                fs_rights_base.u(), fs_rights_inheriting.u(), fdflags.u(), opened_fd.u());
        "path_readlink"(fd: i32, path: i32, path_len: i32, buf: i32, buf_len: i32, bufused: i32) =>
            |c| c.path_readlink(fd.u(), path.u(), path_len.u(), buf.u(), buf_len.u(), bufused.u());
        "path_remove_directory"(fd: i32, path: i32, path_len: i32) =>
            |c| c.path_remove_directory(fd.u(), path.u(), path_len.u());
        "path_rename"(fd: i32, old_path: i32, old_path_len: i32, new_fd: i32, new_path: i32,
            new_path_len: i32) =>
            |c| c.path_rename(fd.u(), old_path.u(), old_path_len.u(), new_fd.u(), new_path.u(),
                new_path_len.u());
        "path_symlink"(old_path: i32, old_path_len: i32, fd: i32, new_path: i32, new_path_len: i32) =>
            |c| c.path_symlink(old_path.u(), old_path_len.u(), fd.u(), new_path.u(),
                new_path_len.u());
        "path_unlink_file"(fd: i32, path: i32, path_len: i32) =>
            |c| c.path_unlink_file(fd.u(), path.u(), path_len.u());
        "poll_oneoff"(subscriptions: i32, events: i32, nsubscriptions: i32, nevents: i32) =>
            |c| c.poll_oneoff(subscriptions.u(), events.u(), nsubscriptions.u(), nevents.u());
        "proc_raise"(sig: i32) => |_c| { let _ = sig; Err(Errno::Nosys) };
        "sched_yield"() => |_c| { std::thread::yield_now(); Ok(()) };
        "random_get"(buf: i32, buf_len: i32) => |c| c.random_get(buf.u(), buf_len.u());
        "sock_accept"(fd: i32, flags: i32, opened_fd: i32) =>
            |c| { let _ = (flags, opened_fd); c.sock(fd.u()) };
        "sock_recv"(fd: i32, ri_data: i32, ri_data_len: i32, ri_flags: i32, nread: i32,
            ro_flags: i32) =>
            |c| { let _ = (ri_data, ri_data_len, ri_flags, nread, ro_flags); c.sock(fd.u()) };
        "sock_send"(fd: i32, si_data: i32, si_data_len: i32, si_flags: i32, nwritten: i32) =>
            |c| { let _ = (si_data, si_data_len, si_flags, nwritten); c.sock(fd.u()) };
        "sock_shutdown"(fd: i32, how: i32) => |c| { let _ = how; c.sock(fd.u()) };
    }
    b.new_function_builder()
        .with_func(|code: i32| -> Result<(), wz::Error> { Err(wz::Error::exit(code as u32)) })
        .with_param_names(&["rval"])
        .export("proc_exit")
        .instantiate()
}
