/* Verifies a sealed PDF again and again with the installed shared library, while the test
 * reinstalls that library: at least `SECONDS` seconds, and until the file `STOP` exists.
 * Prints "ready" after the first verification, then the number of verifications; exits 1
 * on a wrong verdict. A reinstall that rewrote the mapped library in place would kill it
 * (SIGBUS) or make it fail.
 *
 * Usage: reinstall_test DIR SECONDS STOP, DIR holding pdf-sealed.pdf and pdf-root.pem. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "eseal.h"

/* 2026-11-15T00:00:00Z, when test-vectors/pdf/p256 is verified. */
#define AT_PDF INT64_C(1794700800)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s DIR SECONDS STOP\n", argv[0]);
    return 2;
  }
  file_bytes pdf = read_input(argv[1], "pdf-sealed.pdf");
  file_bytes root = read_input(argv[1], "pdf-root.pem");
  double seconds = atof(argv[2]);
  const char *stop = argv[3];
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  CHECK_STATUS(eseal_trust_store_add_anchors(store, root.data, root.len), ESEAL_OK);
  double start = now();
  unsigned long count = 0;
  int wrong = 0;
  while (!wrong && (now() - start < seconds || access(stop, F_OK) != 0)) {
    eseal_report *report = NULL;
    eseal_status status = eseal_verify(store, pdf.data, pdf.len, AT_PDF, &report);
    wrong = status != ESEAL_OK || eseal_report_indication(report) != ESEAL_TOTAL_PASSED;
    if (wrong) {
      fprintf(stderr, "verification %lu: %s\n", count + 1, nz(eseal_last_error_message()));
    }
    eseal_report_free(report);
    if (count++ == 0) {
      printf("ready\n");
      fflush(stdout);
    }
  }
  eseal_trust_store_free(store);
  free(pdf.data);
  free(root.data);
  CHECK(!wrong);
  printf("%lu verifications\n", count);
  return check_summary("reinstall_test");
}
