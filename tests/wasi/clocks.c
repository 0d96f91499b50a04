// Clocks, sleeping (poll_oneoff) and randomness.
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  int failures = 0;
  struct timespec a, b, res;
  clock_gettime(CLOCK_REALTIME, &a);
  printf("realtime after 2020: %s\n", a.tv_sec > 1577836800 ? "yes" : "no");
  clock_getres(CLOCK_MONOTONIC, &res);
  printf("monotonic resolution positive: %s\n", ns(res) > 0 ? "yes" : "no");
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec nap = {0, 20 * 1000 * 1000};
  nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long slept = ns(b) - ns(a);
  printf("slept at least 20ms: %s\n", slept >= 20 * 1000 * 1000 ? "yes" : "no");
  failures += slept < 20 * 1000 * 1000;
  // poll() with only a timeout goes through poll_oneoff with a clock subscription.
  clock_gettime(CLOCK_MONOTONIC, &a);
  int r = poll(NULL, 0, 15);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("poll timeout: %d after at least 15ms: %s\n", r, ns(b) - ns(a) >= 15000000 ? "yes" : "no");
  failures += r != 0 || ns(b) - ns(a) < 15000000;
  unsigned char x[16] = {0}, y[16] = {0};
  getentropy(x, sizeof x);
  getentropy(y, sizeof y);
  int zero = 1;
  for (int i = 0; i < 16; i++) zero &= x[i] == 0;
  printf("random bytes differ: %s\n", memcmp(x, y, 16) != 0 && !zero ? "yes" : "no");
  failures += memcmp(x, y, 16) == 0 || zero;
  printf("%d failures\n", failures);
  return failures != 0;
}
