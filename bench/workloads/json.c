// Generates a JSON-ish document of n records, then parses it (objects, arrays, strings with
// escapes, numbers) and sums what it finds; returns the sum.
static char doc[16 << 20];
static int pos;

static void put(const char *s) { while (*s) doc[pos++] = *s++; }
static void put_int(long v) {
  char tmp[24]; int n = 0;
  if (v < 0) { doc[pos++] = '-'; v = -v; }
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) doc[pos++] = tmp[--n];
}

static const char *p;
static long long sum;

static void ws(void) { while (*p == ' ' || *p == '\n' || *p == '\t') p++; }
static void value(void);
static void string(void) {
  p++;
  while (*p != '"') {
    if (*p == '\\') p++;
    sum += (unsigned char)*p++;
  }
  p++;
}
static void number(void) {
  long long v = 0; int neg = 0;
  if (*p == '-') { neg = 1; p++; }
  while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  sum += neg ? -v : v;
}
static void value(void) {
  ws();
  if (*p == '{') {
    p++; ws();
    while (*p != '}') { string(); ws(); p++; value(); ws(); if (*p == ',') p++; ws(); }
    p++;
  } else if (*p == '[') {
    p++; ws();
    while (*p != ']') { value(); ws(); if (*p == ',') p++; ws(); }
    p++;
  } else if (*p == '"') string();
  else if (*p == 't') { p += 4; sum += 1; }
  else if (*p == 'n') p += 4;
  else number();
}

long long run(int n) {
  pos = 0;
  put("[\n");
  for (int i = 0; i < n && pos < (int)sizeof doc - 256; i++) {
    put(" {\"id\": "); put_int(i);
    put(", \"name\": \"item \\\"q\\\" "); put_int(i * 7 % 1000);
    put("\", \"tags\": [\"a\", \"b\\\\c\", null, true], \"score\": "); put_int((long)i * 31 % 2001 - 1000);
    put(", \"nested\": {\"x\": [1, 2, 3], \"y\": {}}}");
    if (i + 1 < n) put(",");
    put("\n");
  }
  put("]");
  doc[pos] = 0;
  p = doc;
  sum = 0;
  value();
  return sum * 131 + pos;
}
