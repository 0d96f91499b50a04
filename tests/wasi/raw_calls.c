// The raw wasi_snapshot_preview1 calls and their errno values, in a directory mounted at
// /data (descriptor 3). Prints one line per check: "ok ..." or "FAIL ...".
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

// Not declared by every wasi-libc any more, but part of preview 1.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t signal);

static int failures = 0;
#define EXPECT(call, want)                                                        \
  do {                                                                            \
    __wasi_errno_t got = (call);                                                  \
    if (got == (want)) printf("ok %s\n", #call);                                  \
    else { printf("FAIL %s: errno %d, want %d\n", #call, got, (int)(want)); failures++; } \
  } while (0)
#define CHECK(cond, what)                                                         \
  do {                                                                            \
    if (cond) printf("ok %s\n", what);                                            \
    else { printf("FAIL %s\n", what); failures++; }                               \
  } while (0)

static const __wasi_fd_t DATA = 3;
static const __wasi_rights_t RW = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                                  __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                                  __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_ALLOCATE |
                                  __WASI_RIGHTS_FD_FILESTAT_SET_SIZE;

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t oflags) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  __wasi_errno_t e = __wasi_path_open(DATA, 0, path, oflags, RW, RW, 0, &fd);
  return e == 0 ? fd : (__wasi_fd_t)-1;
}

int main(void) {
  // Descriptors.
  __wasi_prestat_t pre;
  EXPECT(__wasi_fd_prestat_get(DATA, &pre), __WASI_ERRNO_SUCCESS);
  CHECK(pre.tag == __WASI_PREOPENTYPE_DIR && pre.u.dir.pr_name_len == 5, "prestat of /data");
  char name[8] = {0};
  EXPECT(__wasi_fd_prestat_dir_name(DATA, (uint8_t *)name, 2), __WASI_ERRNO_NAMETOOLONG);
  EXPECT(__wasi_fd_prestat_dir_name(DATA, (uint8_t *)name, 5), __WASI_ERRNO_SUCCESS);
  CHECK(memcmp(name, "/data", 5) == 0, "preopen name");
  EXPECT(__wasi_fd_prestat_get(1, &pre), __WASI_ERRNO_BADF);
  EXPECT(__wasi_fd_close(77), __WASI_ERRNO_BADF);
  __wasi_fdstat_t fdstat;
  EXPECT(__wasi_fd_fdstat_get(DATA, &fdstat), __WASI_ERRNO_SUCCESS);
  CHECK(fdstat.fs_filetype == __WASI_FILETYPE_DIRECTORY, "preopen is a directory");
  EXPECT(__wasi_fd_fdstat_get(1, &fdstat), __WASI_ERRNO_SUCCESS);
  CHECK(fdstat.fs_filetype == __WASI_FILETYPE_CHARACTER_DEVICE, "stdout is a character device");
  __wasi_filesize_t pos;
  EXPECT(__wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE);

  // Files.
  __wasi_fd_t fd = open_file("a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL);
  CHECK(fd != (__wasi_fd_t)-1, "path_open creates a.txt");
  __wasi_fd_t again;
  EXPECT(__wasi_path_open(DATA, 0, "a.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, RW, 0, &again),
         __WASI_ERRNO_EXIST);
  EXPECT(__wasi_path_open(DATA, 0, "a.txt", __WASI_OFLAGS_DIRECTORY, RW, RW, 0, &again),
         __WASI_ERRNO_NOTDIR);
  EXPECT(__wasi_path_open(DATA, 0, "a.txt/x", 0, RW, RW, 0, &again), __WASI_ERRNO_NOTDIR);
  __wasi_ciovec_t iov[2] = {{(const uint8_t *)"abc", 3}, {(const uint8_t *)"defg", 4}};
  __wasi_size_t n;
  EXPECT(__wasi_fd_write(fd, iov, 2, &n), __WASI_ERRNO_SUCCESS);
  // A runtime may write less than asked (wasmtime writes the first iovec); wz writes all.
  if (n == 3 && __wasi_fd_write(fd, iov + 1, 1, &n) == 0) n += 3;
  CHECK(n == 7, "gathered write of 7 bytes");
  EXPECT(__wasi_fd_tell(fd, &pos), __WASI_ERRNO_SUCCESS);
  CHECK(pos == 7, "tell after write");
  EXPECT(__wasi_fd_seek(fd, -3, __WASI_WHENCE_END, &pos), __WASI_ERRNO_SUCCESS);
  CHECK(pos == 4, "seek from the end");
  EXPECT(__wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
  uint8_t buf[16] = {0};
  __wasi_iovec_t riov[2] = {{buf, 2}, {buf + 2, 8}};
  EXPECT(__wasi_fd_read(fd, riov, 2, &n), __WASI_ERRNO_SUCCESS);
  // Again, a runtime may fill only the first iovec (wasmtime does); wz fills both.
  __wasi_size_t more = 0;
  if (n == 2 && __wasi_fd_read(fd, riov + 1, 1, &more) == 0) n += more;
  CHECK(n == 3 && memcmp(buf, "efg", 3) == 0, "scattered read to the end");
  EXPECT(__wasi_fd_pread(fd, riov, 1, 1, &n), __WASI_ERRNO_SUCCESS);
  CHECK(n == 2 && memcmp(buf, "bc", 2) == 0, "pread at an offset");
  EXPECT(__wasi_fd_allocate(fd, 0, 100), __WASI_ERRNO_SUCCESS);
  __wasi_filestat_t st;
  EXPECT(__wasi_fd_filestat_get(fd, &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.size == 100 && st.filetype == __WASI_FILETYPE_REGULAR_FILE, "allocate grows the file");
  EXPECT(__wasi_fd_filestat_set_size(fd, 5), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_advise(fd, 0, 5, __WASI_ADVICE_SEQUENTIAL), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_datasync(fd), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_sync(fd), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_filestat_set_times(fd, 1000000000ull * 1000000, 2000000000ull * 1000000,
                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
         __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_filestat_get(fd, &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.mtim == 2000000000ull * 1000000 && st.size == 5, "times and size were set");
  EXPECT(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
         __WASI_ERRNO_INVAL);
  EXPECT(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_write(fd, iov, 1, &n), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_filestat_get(fd, &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.size == 8, "append after set_flags");
  __wasi_fd_t renumbered = open_file("b.txt", __WASI_OFLAGS_CREAT);
  EXPECT(__wasi_fd_renumber(fd, renumbered), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_fd_filestat_get(renumbered, &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.size == 8, "renumbered descriptor is a.txt");
  EXPECT(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
  EXPECT(__wasi_fd_close(renumbered), __WASI_ERRNO_SUCCESS);

  // Paths.
  EXPECT(__wasi_path_link(DATA, 0, "a.txt", DATA, "hard.txt"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_filestat_get(DATA, 0, "hard.txt", &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.nlink == 2 && st.size == 8, "hard link");
  EXPECT(__wasi_path_filestat_set_times(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hard.txt", 0,
                                        3000000000ull * 1000000, __WASI_FSTFLAGS_MTIM),
         __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_filestat_get(DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "a.txt", &st),
         __WASI_ERRNO_SUCCESS);
  CHECK(st.mtim == 3000000000ull * 1000000, "times set through the other link");
  EXPECT(__wasi_path_create_directory(DATA, "d"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_create_directory(DATA, "d"), __WASI_ERRNO_EXIST);
  EXPECT(__wasi_path_rename(DATA, "hard.txt", DATA, "d/moved.txt"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_remove_directory(DATA, "d"), __WASI_ERRNO_NOTEMPTY);
  EXPECT(__wasi_path_unlink_file(DATA, "d"), __WASI_ERRNO_ISDIR);
  EXPECT(__wasi_path_symlink("a.txt", DATA, "s"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_filestat_get(DATA, 0, "s", &st), __WASI_ERRNO_SUCCESS);
  CHECK(st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "symlink not followed");
  char link[16] = {0};
  EXPECT(__wasi_path_readlink(DATA, "s", (uint8_t *)link, sizeof link, &n), __WASI_ERRNO_SUCCESS);
  CHECK(n == 5 && memcmp(link, "a.txt", 5) == 0, "readlink");
  EXPECT(__wasi_path_open(DATA, 0, "s", 0, RW, RW, 0, &again), __WASI_ERRNO_LOOP);
  EXPECT(__wasi_path_filestat_get(DATA, 0, "../x", &st), __WASI_ERRNO_PERM);
  EXPECT(__wasi_path_filestat_get(DATA, 0, "missing", &st), __WASI_ERRNO_NOENT);

  // Directory listings, page by page with a small buffer.
  __wasi_fd_t dir = (__wasi_fd_t)-1;
  EXPECT(__wasi_path_open(DATA, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &dir),
         __WASI_ERRNO_SUCCESS);
  int entries = 0, found = 0;
  __wasi_dircookie_t cookie = 0;
  for (int round = 0; round < 100; round++) {
    uint8_t page[40];
    __wasi_size_t used;
    if (__wasi_fd_readdir(dir, page, sizeof page, cookie, &used) != 0) break;
    // Only whole entries count; a cut-off one is read again from its cookie.
    size_t at = 0;
    while (at + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, page + at, sizeof d);
      if (at + sizeof d + d.d_namlen > used) break;
      const char *nm = (const char *)page + at + sizeof d;
      if (d.d_namlen == 5 && memcmp(nm, "a.txt", 5) == 0) found++;
      entries++;
      cookie = d.d_next;
      at += sizeof d + d.d_namlen;
    }
    if (used < sizeof page) break;
  }
  CHECK(entries == 6 && found == 1, "readdir in pages: . .. a.txt b.txt d s");
  EXPECT(__wasi_fd_close(dir), __WASI_ERRNO_SUCCESS);

  // Poll: a clock and a descriptor; the descriptor is ready at once.
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 11;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 5000000000ull;
  subs[1].userdata = 22;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  __wasi_event_t events[2];
  EXPECT(__wasi_poll_oneoff(subs, events, 2, &n), __WASI_ERRNO_SUCCESS);
  CHECK(n == 1 && events[0].userdata == 22 && events[0].type == __WASI_EVENTTYPE_FD_WRITE,
        "poll: only the ready descriptor");
  subs[1].u.u.fd_write.file_descriptor = 99;
  EXPECT(__wasi_poll_oneoff(subs, events, 2, &n), __WASI_ERRNO_SUCCESS);
  CHECK(n == 1 && events[0].error == __WASI_ERRNO_BADF, "poll: a bad descriptor's event has EBADF");
  EXPECT(__wasi_poll_oneoff(subs, events, 0, &n), __WASI_ERRNO_INVAL);

  // The rest.
  __wasi_timestamp_t t;
  EXPECT(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &t), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_clock_time_get(99, 0, &t), __WASI_ERRNO_INVAL);
  EXPECT(__wasi_random_get(buf, sizeof buf), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_sched_yield(), __WASI_ERRNO_SUCCESS);
  EXPECT(raw_proc_raise(15 /* term */), __WASI_ERRNO_NOSYS);
  EXPECT(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  EXPECT(__wasi_sock_shutdown(99, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
  EXPECT(__wasi_fd_write(1, (const __wasi_ciovec_t *)0x7ffffff0, 4, &n), __WASI_ERRNO_FAULT);

  // Clean up.
  EXPECT(__wasi_path_unlink_file(DATA, "s"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_unlink_file(DATA, "d/moved.txt"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_remove_directory(DATA, "d"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_unlink_file(DATA, "a.txt"), __WASI_ERRNO_SUCCESS);
  EXPECT(__wasi_path_unlink_file(DATA, "b.txt"), __WASI_ERRNO_SUCCESS);
  printf("%d failures\n", failures);
  return failures != 0;
}
