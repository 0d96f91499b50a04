// File operations inside the directory mounted at /data. Prints one line per step.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, what)                                                   \
  do {                                                                      \
    if (cond) printf("ok %s\n", what);                                      \
    else { printf("FAIL %s (errno %d: %s)\n", what, errno, strerror(errno)); failures++; } \
  } while (0)

int main(void) {
  int fd = open("/data/new.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
  CHECK(fd >= 0, "create");
  CHECK(write(fd, "hello, world\n", 13) == 13, "write");
  CHECK(lseek(fd, 7, SEEK_SET) == 7, "seek");
  char buf[32] = {0};
  CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "read after seek");
  CHECK(lseek(fd, 0, SEEK_CUR) == 12, "tell");
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 13 && S_ISREG(st.st_mode), "fstat");
  CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "truncate");
  CHECK(pwrite(fd, "J", 1, 0) == 1 && pread(fd, buf, 5, 0) == 5 && memcmp(buf, "Jello", 5) == 0,
        "pread/pwrite");
  CHECK(close(fd) == 0, "close");
  CHECK(open("/data/new.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST,
        "exclusive create of an existing file fails");

  fd = open("/data/new.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "!", 1) == 1 && close(fd) == 0, "append");
  FILE *f = fopen("/data/new.txt", "r");
  CHECK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "Jello!") == 0, "read back");
  if (f) fclose(f);

  CHECK(mkdir("/data/sub", 0755) == 0, "mkdir");
  CHECK(stat("/data/sub", &st) == 0 && S_ISDIR(st.st_mode), "stat directory");
  CHECK(rename("/data/new.txt", "/data/sub/moved.txt") == 0, "rename");
  CHECK(access("/data/new.txt", F_OK) != 0 && errno == ENOENT, "old name gone");

  DIR *d = opendir("/data/sub");
  int seen = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, "moved.txt") == 0) seen++;
  }
  if (d) closedir(d);
  CHECK(seen == 1, "readdir");

  CHECK(symlink("sub/moved.txt", "/data/link") == 0, "symlink");
  char target[64] = {0};
  CHECK(readlink("/data/link", target, sizeof target - 1) == 13 &&
            strcmp(target, "sub/moved.txt") == 0,
        "readlink");
  f = fopen("/data/link", "r");
  CHECK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "Jello!") == 0, "open through symlink");
  if (f) fclose(f);
  CHECK(lstat("/data/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat symlink");
  CHECK(unlink("/data/link") == 0, "unlink symlink");

  CHECK(rmdir("/data/sub") != 0 && errno == ENOTEMPTY, "rmdir of a non-empty directory fails");
  CHECK(unlink("/data/sub/moved.txt") == 0, "unlink");
  CHECK(rmdir("/data/sub") == 0, "rmdir");
  CHECK(open("/data/missing", O_RDONLY) < 0 && errno == ENOENT, "missing file");
  printf("%d failures\n", failures);
  return failures != 0;
}
