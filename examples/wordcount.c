// Counts lines, words and bytes of the files named on the command line, like `wc`.
// Built for wasm32-wasi by tests/wasi/build.sh; run it with a directory mounted:
//   wz run --dir examples::/ex examples/wordcount.wasm /ex/poem.txt
#include <ctype.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wordcount FILE...\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) {
      perror(argv[i]);
      status = 1;
      continue;
    }
    long lines = 0, words = 0, bytes = 0;
    int c, in_word = 0;
    while ((c = fgetc(f)) != EOF) {
      bytes++;
      if (c == '\n') lines++;
      if (isspace(c)) in_word = 0;
      else if (!in_word) { in_word = 1; words++; }
    }
    fclose(f);
    printf("%ld %ld %ld %s\n", lines, words, bytes, argv[i]);
  }
  return status;
}
