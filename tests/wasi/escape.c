// Every way out of the mount at /data must fail. Prints "blocked" or "ESCAPED" per attempt.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int escaped = 0;

static void attempt(const char *what, const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    printf("ESCAPED %s (%s)\n", what, path);
    escaped++;
    close(fd);
  } else {
    printf("blocked %s\n", what);
  }
}

int main(void) {
  attempt("dot-dot", "/data/../outside.txt");
  attempt("deep dot-dot", "/data/a/../../outside.txt");
  attempt("absolute", "/etc/passwd");
  attempt("root", "/outside.txt");
  symlink("../outside.txt", "/data/up");
  attempt("symlink to the parent", "/data/up");
  symlink("/etc", "/data/etc");
  attempt("absolute symlink", "/data/etc/passwd");
  mkdir("/data/a", 0755);
  symlink("../../outside.txt", "/data/a/deep");
  attempt("symlink two levels up", "/data/a/deep");
  symlink("hop2", "/data/hop1");
  symlink("../outside.txt", "/data/hop2");
  attempt("symlink chain", "/data/hop1");
  int fd = open("/data/made-outside", O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) close(fd);
  if (symlink("../created-outside.txt", "/data/out") == 0) {
    fd = open("/data/out", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) { printf("ESCAPED create through symlink\n"); escaped++; close(fd); }
    else printf("blocked create through symlink\n");
  }
  if (rename("/data/made-outside", "/data/../moved-outside.txt") == 0) {
    printf("ESCAPED rename out\n");
    escaped++;
  } else {
    printf("blocked rename out\n");
  }
  printf("%d escapes\n", escaped);
  return escaped != 0;
}
