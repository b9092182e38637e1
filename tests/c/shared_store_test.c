/* A trust store shared by reference, as the header tells threads to share one: the creator
 * takes one reference per thread (eseal_trust_store_ref), hands each thread its own, and
 * frees its own reference at once, while the threads verify; each thread frees its
 * reference when done, and the last free frees the store.
 *
 * Then a free racing calls: threads verify through one reference that the main thread frees
 * while they run. Each call either took its own reference before the free (ESEAL_OK, the
 * right verdict) or finds the handle gone (ESEAL_INVALID_HANDLE); none reads freed memory.
 *
 * Built with AddressSanitizer and UBSan, and run under valgrind, by tests/c_abi.rs. Not under
 * ThreadSanitizer: the Rust library is not instrumented, so TSan does not see its
 * synchronisation (atomics, futexes) and reports its intercepted memcmp and malloc calls
 * in different threads as races.
 *
 * Usage: shared_store_test DIR (the inputs tests/c_abi.rs prepares). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "eseal.h"

#define THREADS 8
#define ROUNDS 2

/* 2026-11-15T00:00:00Z and 2026-06-02T00:00:00Z (see api_test.c). */
#define AT_PDF INT64_C(1794700800)
#define AT_LICENCE INT64_C(1780358400)

typedef struct {
  const char *name;
  int64_t at;
  int text;
  eseal_indication want;
  file_bytes input;
} job;

static job jobs[] = {
    {"pdf-sealed.pdf", AT_PDF, 0, ESEAL_TOTAL_PASSED, {NULL, 0}},
    {"pdf-tampered.pdf", AT_PDF, 0, ESEAL_TOTAL_FAILED, {NULL, 0}},
    {"qr-good.txt", AT_LICENCE, 1, ESEAL_TOTAL_PASSED, {NULL, 0}},
    {"qr-revoked.txt", AT_LICENCE, 1, ESEAL_TOTAL_FAILED, {NULL, 0}},
};
#define JOBS (sizeof jobs / sizeof jobs[0])

typedef struct {
  eseal_trust_store *store; /* this thread's reference (own_reference) or the shared one */
  size_t index;
  size_t verified; /* calls that gave the right verdict */
  size_t gone;     /* calls refused with ESEAL_INVALID_HANDLE (racing only) */
  size_t wrong;    /* anything else */
} worker;

/* Verifies job `j` through `store`: 1 when the verdict is right, 0 when the handle is gone
 * (only `gone_ok` allows it), -1 otherwise. */
static int verify_one(const eseal_trust_store *store, const job *j, int gone_ok) {
  eseal_report *report = NULL;
  eseal_status status = eseal_verify(store, j->input.data, j->input.len, j->at, &report);
  if (status == ESEAL_INVALID_HANDLE && gone_ok && report == NULL) {
    return 0;
  }
  int right = status == ESEAL_OK && eseal_report_indication(report) == j->want;
  if (!right) {
    fprintf(stderr, "%s: %s, %s\n", j->name, eseal_status_name(status),
            eseal_indication_name(eseal_report_indication(report)));
  }
  eseal_report_free(report);
  return right ? 1 : -1;
}

/* Verifies every job ROUNDS times through the thread's own reference, then frees it. */
static void *own_reference(void *arg) {
  worker *w = arg;
  for (size_t round = 0; round < ROUNDS; round++) {
    for (size_t k = 0; k < JOBS; k++) {
      int r = verify_one(w->store, &jobs[(k + w->index + round) % JOBS], 0);
      *(r == 1 ? &w->verified : &w->wrong) += 1;
    }
  }
  eseal_trust_store_free(w->store);
  return NULL;
}

/* Set by the main thread once eseal_trust_store_free of the shared reference returned. */
static atomic_int shared_freed;

/* Verifies through the shared reference until it is gone. A call begun after the free
 * returned must find it gone, so each thread ends at most one call after the free, however
 * the threads are scheduled. */
static void *racing(void *arg) {
  worker *w = arg;
  for (size_t k = 0; w->gone == 0 && w->wrong == 0; k++) {
    int freed_before = atomic_load(&shared_freed);
    int r = verify_one(w->store, &jobs[(k + w->index) % JOBS], 1);
    *(r == 1 && !freed_before ? &w->verified : r == 0 ? &w->gone : &w->wrong) += 1;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s INPUT-DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  for (size_t k = 0; k < JOBS; k++) {
    jobs[k].input = jobs[k].text ? read_text(dir, jobs[k].name) : read_input(dir, jobs[k].name);
  }
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  const char *anchors[] = {"pdf-root.pem", "licence-root.pem"};
  for (size_t k = 0; k < 2; k++) {
    file_bytes f = read_input(dir, anchors[k]);
    CHECK_STATUS(eseal_trust_store_add_anchors(store, f.data, f.len), ESEAL_OK);
    free(f.data);
  }
  file_bytes f = read_input(dir, "trust-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, f.data, f.len, AT_LICENCE), ESEAL_OK);
  free(f.data);
  f = read_input(dir, "status-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_status_list(store, f.data, f.len), ESEAL_OK);
  free(f.data);

  /* Each thread its own reference, taken before the thread starts. */
  worker workers[THREADS] = {0};
  pthread_t threads[THREADS];
  for (size_t t = 0; t < THREADS; t++) {
    workers[t].index = t;
    CHECK_STATUS(eseal_trust_store_ref(store, &workers[t].store), ESEAL_OK);
  }
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_create(&threads[t], NULL, own_reference, &workers[t]) == 0);
  }
  /* The creator lets go at once; the threads' references keep the store. */
  eseal_trust_store_free(store);
  size_t verified = 0, wrong = 0;
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
    verified += workers[t].verified;
    wrong += workers[t].wrong;
  }
  printf("%d threads, each with its own reference: %zu verified, %zu wrong\n", THREADS,
         verified, wrong);
  CHECK(verified == THREADS * ROUNDS * JOBS && wrong == 0);

  /* A free racing calls on the same reference. */
  eseal_trust_store *shared = NULL;
  CHECK_STATUS(eseal_trust_store_new(&shared), ESEAL_OK);
  for (size_t k = 0; k < 2; k++) {
    f = read_input(dir, anchors[k]);
    CHECK_STATUS(eseal_trust_store_add_anchors(shared, f.data, f.len), ESEAL_OK);
    free(f.data);
  }
  f = read_input(dir, "trust-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_trust_list(shared, f.data, f.len, AT_LICENCE), ESEAL_OK);
  free(f.data);
  f = read_input(dir, "status-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_status_list(shared, f.data, f.len), ESEAL_OK);
  free(f.data);
  worker racers[THREADS] = {0};
  for (size_t t = 0; t < THREADS; t++) {
    racers[t].index = t;
    racers[t].store = shared;
    CHECK(pthread_create(&threads[t], NULL, racing, &racers[t]) == 0);
  }
  /* Let the first calls start, then free the only reference under them. */
  CHECK(verify_one(shared, &jobs[0], 0) == 1);
  eseal_trust_store_free(shared);
  atomic_store(&shared_freed, 1);
  size_t gone = 0;
  wrong = 0;
  for (size_t t = 0; t < THREADS; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
    gone += racers[t].gone;
    wrong += racers[t].wrong;
  }
  printf("a free racing %d threads: %zu refused after the free, %zu wrong\n", THREADS, gone,
         wrong);
  CHECK(gone == THREADS && wrong == 0);

  for (size_t k = 0; k < JOBS; k++) {
    free(jobs[k].input.data);
  }
  return check_summary("shared_store_test");
}
