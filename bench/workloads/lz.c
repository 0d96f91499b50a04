// An LZ77-style compressor (hash chains of length 1, 64 KiB window) over generated
// text-like data, then decompression and a check; returns compressed size * 1000003 + checksum.
static unsigned char in[1 << 21], packed[(1 << 21) + (1 << 19)], out[1 << 21];
static int head[1 << 15];

static unsigned hash(const unsigned char *p) { return ((p[0] << 10) ^ (p[1] << 5) ^ p[2]) & 0x7fff; }

long long run(int n) {
  if (n < 16 || n > (int)sizeof in) n = sizeof in;
  static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
                                "wasm ", "runtime ", "compiles ", "fast ", "and ", "safe ", "code ", "\n"};
  unsigned x = 7;
  int len = 0;
  while (len < n) {
    x = x * 1664525u + 1013904223u;
    const char *w = words[(x >> 20) & 15];
    while (*w && len < n) in[len++] = (unsigned char)*w++;
  }
  for (int i = 0; i < (1 << 15); i++) head[i] = -1;
  int ip = 0, op = 0;
  while (ip < n) {
    int best = 0, dist = 0;
    if (ip + 3 <= n) {
      unsigned h = hash(in + ip);
      int cand = head[h];
      head[h] = ip;
      if (cand >= 0 && ip - cand < 65535) {
        int l = 0;
        while (ip + l < n && l < 255 && in[cand + l] == in[ip + l]) l++;
        if (l >= 4) { best = l; dist = ip - cand; }
      }
    }
    if (best) {
      packed[op++] = 0; packed[op++] = (unsigned char)best;
      packed[op++] = (unsigned char)(dist >> 8); packed[op++] = (unsigned char)dist;
      ip += best;
    } else {
      unsigned char c = in[ip++];
      if (c == 0) { packed[op++] = 0; packed[op++] = 0; } else packed[op++] = c;
    }
  }
  int p = 0, o = 0;
  while (p < op) {
    unsigned char c = packed[p++];
    if (c) { out[o++] = c; continue; }
    int l = packed[p++];
    if (l == 0) { out[o++] = 0; continue; }
    int d = packed[p] << 8 | packed[p + 1];
    p += 2;
    for (int i = 0; i < l; i++, o++) out[o] = out[o - d];
  }
  unsigned sum = 0;
  for (int i = 0; i < n; i++) {
    if (out[i] != in[i]) return -1;
    sum = sum * 31 + out[i];
  }
  return (long long)op * 1000003 + sum;
}
