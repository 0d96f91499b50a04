//! What WASI tracks per instance: its open file descriptors.
//!
//! Descriptors 0, 1 and 2 are the module's stdin, stdout and stderr (from its
//! [`wz::ModuleConfig`]); 3 and up start as the mounted directories ("preopens"), in mount
//! order. Every path a guest names is resolved by cap-std relative to a directory descriptor,
//! so no path can leave the mounted directories (`..`, absolute paths and symlinks pointing
//! out all fail, at any depth, and the checks hold against concurrent renames because they
//! are made by the kernel on each component, not on the string).

use std::fs;
use std::sync::Mutex;

use cap_std::ambient_authority;

use crate::errno::{Errno, WasiResult};

/// One open descriptor.
pub(crate) enum Entry {
    Stdin,
    Stdout,
    Stderr,
    Dir(DirEntry),
    File(FileEntry),
}

/// An open directory.
pub(crate) struct DirEntry {
    pub dir: cap_std::fs::Dir,
    /// The guest path of a mounted directory (what `fd_prestat_dir_name` reports).
    pub preopen: Option<String>,
    /// Whether it lies in a read-only mount.
    pub read_only: bool,
    /// The listing `fd_readdir` pages through, taken when it starts at cookie 0.
    pub listing: Vec<Dirent>,
}

/// One directory entry, as `fd_readdir` reports it.
#[derive(Debug, Clone)]
pub(crate) struct Dirent {
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

/// An open file.
pub(crate) struct FileEntry {
    pub file: fs::File,
    pub readable: bool,
    pub writable: bool,
    pub append: bool,
    pub read_only_mount: bool,
}

/// The descriptor table of one instance.
pub(crate) struct Fds {
    entries: Vec<Option<Entry>>,
}

/// The per-instance WASI state, kept in the instance's [`wz::System`].
pub(crate) struct WasiState {
    pub fds: Mutex<Fds>,
}

impl WasiState {
    /// Standard streams and the system's mounts. A mount that cannot be opened is left out
    /// (its descriptor number is skipped, so the others keep theirs).
    pub fn new(sys: &wz::System) -> WasiState {
        let mut entries = vec![Some(Entry::Stdin), Some(Entry::Stdout), Some(Entry::Stderr)];
        for mount in sys.fs().mounts() {
            let dir = cap_std::fs::Dir::open_ambient_dir(mount.host_path(), ambient_authority());
            entries.push(dir.ok().map(|dir| {
                Entry::Dir(DirEntry {
                    dir,
                    preopen: Some(mount.guest_path().to_string()),
                    read_only: mount.is_read_only(),
                    listing: Vec::new(),
                })
            }));
        }
        WasiState {
            fds: Mutex::new(Fds { entries }),
        }
    }
}

impl Fds {
    /// The entry of descriptor `fd`.
    pub fn get(&mut self, fd: u32) -> WasiResult<&mut Entry> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// The directory `fd` names.
    pub fn dir(&mut self, fd: u32) -> WasiResult<&mut DirEntry> {
        match self.get(fd)? {
            Entry::Dir(d) => Ok(d),
            _ => Err(Errno::Notdir),
        }
    }

    /// The file `fd` names.
    pub fn file(&mut self, fd: u32) -> WasiResult<&mut FileEntry> {
        match self.get(fd)? {
            Entry::File(f) => Ok(f),
            Entry::Dir(_) => Err(Errno::Isdir),
            _ => Err(Errno::Badf),
        }
    }

    /// Adds `entry` under the lowest free descriptor.
    pub fn insert(&mut self, entry: Entry) -> WasiResult<u32> {
        let free = self.entries.iter().position(Option::is_none);
        let fd = match free {
            Some(i) => {
                self.entries[i] = Some(entry);
                i
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        };
        u32::try_from(fd).map_err(|_| Errno::Mfile)
    }

    /// Closes `fd`.
    pub fn remove(&mut self, fd: u32) -> WasiResult<Entry> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::Badf)
    }

    /// Moves `from` to `to`, closing what `to` held.
    pub fn renumber(&mut self, from: u32, to: u32) -> WasiResult {
        self.get(to)?;
        let entry = self.remove(from)?;
        self.entries[to as usize] = Some(entry);
        Ok(())
    }
}
