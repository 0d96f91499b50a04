// A read-only mount at /ro: reading works, every write fails with EROFS.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
static void expect_erofs(const char *what, int result) {
  if (result < 0 && errno == EROFS) printf("refused %s\n", what);
  else { printf("FAIL %s (result %d, errno %d)\n", what, result, errno); failures++; }
}

int main(void) {
  char buf[64] = {0};
  int fd = open("/ro/input.txt", O_RDONLY);
  if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0) { printf("FAIL read\n"); return 1; }
  close(fd);
  printf("read %s", buf);
  expect_erofs("write open", open("/ro/input.txt", O_WRONLY));
  expect_erofs("create", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
  expect_erofs("truncate", open("/ro/input.txt", O_RDWR | O_TRUNC));
  expect_erofs("mkdir", mkdir("/ro/dir", 0755));
  expect_erofs("unlink", unlink("/ro/input.txt"));
  expect_erofs("rename", rename("/ro/input.txt", "/ro/other.txt"));
  expect_erofs("symlink", symlink("input.txt", "/ro/link"));
  // A hard link from the read-only mount into the writable one would make the file writable.
  expect_erofs("link out of the mount", link("/ro/input.txt", "/rw/input-link.txt"));
  printf("%d failures\n", failures);
  return failures != 0;
}
