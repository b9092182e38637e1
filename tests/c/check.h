/* Small helpers shared by the C tests of eseal's C ABI: reading input files and checks
 * that count failures and say where they happened. */
#ifndef ESEAL_TEST_CHECK_H
#define ESEAL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eseal.h"

/* A file's bytes; data is NUL-terminated (not counted in len) so text files can be
 * used as strings. */
typedef struct {
  unsigned char *data;
  size_t len;
} file_bytes;

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    check_count++;                                                                  \
    if (!(cond)) {                                                                  \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__,      \
              __LINE__, #cond, nz(eseal_last_error_message()));                     \
    }                                                                               \
  } while (0)

/* Status `got` equals `want`; on mismatch both names and the last error are shown. */
#define CHECK_STATUS(call, want)                                                    \
  do {                                                                              \
    eseal_status got_ = (call);                                                     \
    check_count++;                                                                  \
    if (got_ != (want)) {                                                           \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n",     \
              __FILE__, __LINE__, #call, nz(eseal_status_name(got_)),               \
              nz(eseal_status_name(want)), nz(eseal_last_error_message()));         \
    }                                                                               \
  } while (0)

/* Two strings (either may be NULL) are equal. */
#define CHECK_STR(got, want)                                                        \
  do {                                                                              \
    const char *g_ = (got);                                                         \
    const char *w_ = (want);                                                        \
    check_count++;                                                                  \
    if (!((g_ == NULL && w_ == NULL) ||                                             \
          (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0))) {                     \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
              #got, nz(g_), nz(w_));                                                \
    }                                                                               \
  } while (0)

static inline const char *nz(const char *s) { return s != NULL ? s : "(null)"; }

/* Reads `dir`/`name` whole; exits with status 2 if it cannot. */
static inline file_bytes read_input(const char *dir, const char *name) {
  char path[4096];
  file_bytes out = {NULL, 0};
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  size_t cap = 1 << 16;
  out.data = malloc(cap + 1);
  if (out.data == NULL) {
    exit(2);
  }
  size_t n;
  while ((n = fread(out.data + out.len, 1, cap - out.len, f)) > 0) {
    out.len += n;
    if (out.len == cap) {
      cap *= 2;
      unsigned char *grown = realloc(out.data, cap + 1);
      if (grown == NULL) {
        exit(2);
      }
      out.data = grown;
    }
  }
  fclose(f);
  out.data[out.len] = 0;
  return out;
}

/* The text of `dir`/`name` without trailing white space. */
static inline file_bytes read_text(const char *dir, const char *name) {
  file_bytes t = read_input(dir, name);
  while (t.len > 0 && (t.data[t.len - 1] == '\n' || t.data[t.len - 1] == '\r' ||
                       t.data[t.len - 1] == ' ')) {
    t.data[--t.len] = 0;
  }
  return t;
}

static inline int check_summary(const char *name) {
  printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
  return check_failures == 0 ? 0 : 1;
}

#endif
