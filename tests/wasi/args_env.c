// Arguments, environment and exit codes: prints what it was given, exits with argv[1].
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  for (char **e = environ; *e; e++) printf("env %s\n", *e);
  const char *who = getenv("WHO");
  printf("WHO=%s\n", who ? who : "(unset)");
  return argc > 1 ? atoi(argv[1]) : 0;
}
