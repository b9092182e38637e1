/* Eight threads verify the same inputs through one shared trust store and must get exactly
 * the report a single thread gets (the JSON report, byte for byte).
 *
 * The store holds no CRL: with a CRL in it, eseal requires one from every issuer, and the
 * anchors here belong to three unrelated hierarchies.
 *
 * Usage: threads_test DIR (the inputs tests/c_abi.rs prepares). Prints the single-threaded
 * verdict of each input, then the number of reports that differed. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eseal.h"

#define THREADS 8
#define ROUNDS 4

/* 2026-11-15T00:00:00Z and 2026-06-02T00:00:00Z (see api_test.c). */
#define AT_PDF INT64_C(1794700800)
#define AT_LICENCE INT64_C(1780358400)
/* 2031-06-02T00:00:00Z: the PDF signer's certificate has expired. */
#define AT_EXPIRED INT64_C(1938124800)

typedef struct {
  const char *name;
  int64_t at;
  int text;
  file_bytes input;
  char *json; /* the single-threaded report */
} job;

static job jobs[] = {
    {"pdf-sealed.pdf", AT_PDF, 0, {NULL, 0}, NULL},
    {"pdf-tampered.pdf", AT_PDF, 0, {NULL, 0}, NULL},
    {"pdf-sealed.pdf", AT_EXPIRED, 0, {NULL, 0}, NULL},
    {"qr-good.txt", AT_LICENCE, 1, {NULL, 0}, NULL},
    {"qr-revoked.txt", AT_LICENCE, 1, {NULL, 0}, NULL},
    {"ofd-sealed.ofd", AT_LICENCE, 0, {NULL, 0}, NULL},
    {"unsigned.ofd", AT_LICENCE, 0, {NULL, 0}, NULL},
};
#define JOBS (sizeof jobs / sizeof jobs[0])

static const eseal_trust_store *shared_store;

static const char *indication_name(eseal_indication i) {
  switch (i) {
    case ESEAL_TOTAL_PASSED:
      return "TOTAL-PASSED";
    case ESEAL_INDETERMINATE:
      return "INDETERMINATE";
    case ESEAL_TOTAL_FAILED:
      return "TOTAL-FAILED";
    case ESEAL_NOTHING_SIGNED:
      return "NOTHING-SIGNED";
  }
  return "?";
}

/* The JSON report of job `j` (malloc'd), or NULL if verification failed. */
static char *verify_job(const job *j) {
  eseal_report *report = NULL;
  if (eseal_verify(shared_store, j->input.data, j->input.len, j->at, &report) != ESEAL_OK) {
    return NULL;
  }
  const char *json = eseal_report_json(report);
  char *copy = json != NULL ? strdup(json) : NULL;
  eseal_report_free(report);
  return copy;
}

static void *worker(void *arg) {
  size_t t = (size_t)(uintptr_t)arg;
  size_t *mismatches = malloc(sizeof *mismatches);
  if (mismatches == NULL) {
    return NULL;
  }
  *mismatches = 0;
  for (size_t round = 0; round < ROUNDS; round++) {
    for (size_t k = 0; k < JOBS; k++) {
      /* Each thread starts at a different input so different verifiers overlap. */
      const job *j = &jobs[(k + t + round) % JOBS];
      char *json = verify_job(j);
      /* The last error is per thread: the main thread's failure is not seen here. */
      if (eseal_last_error_message() != NULL) {
        (*mismatches)++;
        fprintf(stderr, "thread %zu: last error after success: %s\n", t,
                eseal_last_error_message());
      }
      if (json == NULL || j->json == NULL || strcmp(json, j->json) != 0) {
        (*mismatches)++;
        fprintf(stderr, "thread %zu: %s differs from the single-threaded report\n", t, j->name);
      }
      free(json);
    }
  }
  return mismatches;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s INPUT-DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  const char *anchors[] = {"pdf-root.pem", "licence-root.pem", "ofd-root.pem"};
  for (size_t k = 0; k < sizeof anchors / sizeof anchors[0]; k++) {
    file_bytes f = read_input(dir, anchors[k]);
    CHECK_STATUS(eseal_trust_store_add_anchors(store, f.data, f.len), ESEAL_OK);
    free(f.data);
  }
  file_bytes f = read_input(dir, "ofd-office-ca.pem");
  CHECK_STATUS(eseal_trust_store_add_intermediates(store, f.data, f.len), ESEAL_OK);
  free(f.data);
  f = read_input(dir, "trust-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, f.data, f.len, AT_LICENCE), ESEAL_OK);
  free(f.data);
  f = read_input(dir, "status-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_status_list(store, f.data, f.len), ESEAL_OK);
  free(f.data);
  shared_store = store;

  /* One thread first: the reference. */
  for (size_t k = 0; k < JOBS; k++) {
    job *j = &jobs[k];
    j->input = j->text ? read_text(dir, j->name) : read_input(dir, j->name);
    eseal_report *report = NULL;
    CHECK_STATUS(eseal_verify(store, j->input.data, j->input.len, j->at, &report), ESEAL_OK);
    const char *json = eseal_report_json(report);
    CHECK(json != NULL);
    j->json = json != NULL ? strdup(json) : NULL;
    printf("%s %s %s %s\n", j->name, indication_name(eseal_report_indication(report)),
           nz(eseal_report_sub_indication(report, 0)), nz(eseal_report_first_reason(report, 0)));
    eseal_report_free(report);
  }

  /* A failure on this thread leaves its message here, and only here. */
  eseal_report *none = NULL;
  CHECK_STATUS(eseal_verify(store, (const uint8_t *)"?", 1, AT_PDF, &none), ESEAL_MALFORMED_INPUT);
  const char *before = eseal_last_error_message();
  char *message = before != NULL ? strdup(before) : NULL;
  CHECK(message != NULL);

  pthread_t threads[THREADS];
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_create(&threads[t], NULL, worker, (void *)(uintptr_t)t) == 0);
  }
  size_t mismatches = 0;
  for (size_t t = 0; t < THREADS; t++) {
    void *result = NULL;
    CHECK(pthread_join(threads[t], &result) == 0);
    CHECK(result != NULL);
    if (result != NULL) {
      mismatches += *(size_t *)result;
      free(result);
    }
  }
  CHECK(message != NULL && eseal_last_error_message() != NULL &&
        strcmp(eseal_last_error_message(), message) == 0);
  free(message);
  printf("%d threads x %d rounds x %zu inputs: %zu reports differ\n", THREADS, ROUNDS, JOBS,
         mismatches);
  CHECK(mismatches == 0);

  for (size_t k = 0; k < JOBS; k++) {
    free(jobs[k].input.data);
    free(jobs[k].json);
  }
  eseal_trust_store_free(store);
  return check_summary("threads_test");
}
