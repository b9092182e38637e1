/* verify: check the signatures of a file (PDF, OFD, seal, certificate) or a licence QR
 * string with eseal's C ABI, like `eseal verify`.
 *
 *   verify FILE|QR-STRING [--trust PEM]... [--chain PEM]... [--crl FILE]...
 *          [--trust-list FILE]... [--status-list FILE]... [--at UNIX-SECONDS]
 *
 * Prints one line per signature (indication, sub-indication, signer, seal, signing time) and
 * exits like `eseal verify`: 0 TOTAL-PASSED, 1 INDETERMINATE, 2 TOTAL-FAILED, 3 nothing
 * signed, 64 usage error, 65 unreadable input. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eseal.h>

#define MAX_INPUT (512u * 1024u * 1024u)

/* Reads `path` whole into *data (malloc'd). Returns 0 on success. */
static int read_file(const char *path, uint8_t **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -1;
  }
  size_t cap = 64 * 1024, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *grown = cap < MAX_INPUT ? realloc(buf, cap * 2) : NULL;
      if (grown == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  int failed = buf == NULL || ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return -1;
  }
  *data = buf;
  *len = n;
  return 0;
}

static const char *or_dash(const char *s) { return s != NULL ? s : "-"; }

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

typedef eseal_status (*add_fn)(eseal_trust_store *, const uint8_t *, size_t);

/* Adds the file `path` to `store` with `add`; prints why on failure. */
static int add_file(eseal_trust_store *store, add_fn add, const char *option, const char *path) {
  uint8_t *data = NULL;
  size_t len = 0;
  if (read_file(path, &data, &len) != 0) {
    fprintf(stderr, "verify: %s %s: %s\n", option, path, strerror(errno));
    return -1;
  }
  eseal_status status = add(store, data, len);
  free(data);
  if (status != ESEAL_OK) {
    fprintf(stderr, "verify: %s %s: %s: %s\n", option, path, eseal_status_name(status),
            or_dash(eseal_last_error_message()));
    return -1;
  }
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: verify FILE|QR-STRING [--trust PEM]... [--chain PEM]... [--crl FILE]...\n"
          "              [--trust-list FILE]... [--status-list FILE]... [--at UNIX-SECONDS]\n");
  return 64;
}

int main(int argc, char **argv) {
  const char *target = NULL;
  int64_t at = ESEAL_NOW;
  /* Certificates and CRLs first, then trust lists (verified against the anchors), then
   * status lists: each option's files are added in the order of this table. */
  static const char *const options[] = {"--trust", "--chain", "--crl", "--trust-list",
                                        "--status-list"};
  enum { N_OPTIONS = sizeof options / sizeof options[0] };
  for (int k = 1; k < argc; k++) {
    int known = 0;
    for (int o = 0; o < N_OPTIONS; o++) {
      known |= strcmp(argv[k], options[o]) == 0;
    }
    if (known || strcmp(argv[k], "--at") == 0) {
      if (++k >= argc) {
        return usage();
      }
      if (strcmp(argv[k - 1], "--at") == 0) {
        char *end = NULL;
        errno = 0;
        long long seconds = strtoll(argv[k], &end, 10);
        if (errno != 0 || end == argv[k] || *end != 0) {
          return usage();
        }
        at = (int64_t)seconds;
      }
    } else if (target == NULL && argv[k][0] != '-') {
      target = argv[k];
    } else {
      return usage();
    }
  }
  if (target == NULL) {
    return usage();
  }

  eseal_trust_store *store = NULL;
  if (eseal_trust_store_new(&store) != ESEAL_OK) {
    fprintf(stderr, "verify: %s\n", or_dash(eseal_last_error_message()));
    return 70;
  }
  int exit_code = 65;
  for (int o = 0; o < N_OPTIONS; o++) {
    for (int k = 1; k + 1 < argc; k++) {
      if (strcmp(argv[k], options[o]) != 0) {
        continue;
      }
      const char *path = argv[++k];
      int failed;
      switch (o) {
        case 0:
          failed = add_file(store, eseal_trust_store_add_anchors, options[o], path);
          break;
        case 1:
          failed = add_file(store, eseal_trust_store_add_intermediates, options[o], path);
          break;
        case 2:
          failed = add_file(store, eseal_trust_store_add_crl, options[o], path);
          break;
        case 3: {
          uint8_t *data = NULL;
          size_t len = 0;
          failed = read_file(path, &data, &len);
          if (failed == 0 && eseal_trust_store_add_trust_list(store, data, len, at) != ESEAL_OK) {
            fprintf(stderr, "verify: --trust-list %s: %s\n", path,
                    or_dash(eseal_last_error_message()));
            failed = -1;
          } else if (failed != 0) {
            fprintf(stderr, "verify: --trust-list %s: %s\n", path, strerror(errno));
          }
          free(data);
          break;
        }
        default:
          failed = add_file(store, eseal_trust_store_add_status_list, options[o], path);
          break;
      }
      if (failed != 0) {
        eseal_trust_store_free(store);
        return 65;
      }
    }
  }

  /* A licence QR string is verified as it is; anything else is a file name. */
  uint8_t *data = NULL;
  size_t len = 0;
  int is_qr = strncmp(target, "ZZ1:", 4) == 0;
  if (!is_qr && read_file(target, &data, &len) != 0) {
    fprintf(stderr, "verify: %s: %s\n", target, strerror(errno));
    eseal_trust_store_free(store);
    return 65;
  }
  eseal_report *report = NULL;
  eseal_status status = is_qr ? eseal_verify(store, (const uint8_t *)target, strlen(target), at,
                                             &report)
                              : eseal_verify(store, data, len, at, &report);
  free(data);
  if (status != ESEAL_OK) {
    fprintf(stderr, "verify: %s: %s: %s\n", is_qr ? "QR" : target, eseal_status_name(status),
            or_dash(eseal_last_error_message()));
  } else {
    size_t count = eseal_report_signature_count(report);
    for (size_t i = 0; i < count; i++) {
      printf("[%zu] %s", i + 1, indication_name(eseal_report_signature_indication(report, i)));
      const char *sub = eseal_report_sub_indication(report, i);
      if (sub != NULL) {
        printf(" / %s (%s)", sub, or_dash(eseal_report_first_reason(report, i)));
      }
      printf("\n    signer: %s\n    seal: %s\n    signing time: %s\n",
             or_dash(eseal_report_signer(report, i)), or_dash(eseal_report_seal_name(report, i)),
             or_dash(eseal_report_signing_time(report, i)));
    }
    eseal_indication verdict = eseal_report_indication(report);
    printf("%s\n", count == 0 ? "no signature found" : indication_name(verdict));
    exit_code = (int)verdict;
  }
  eseal_report_free(report);
  eseal_trust_store_free(store);
  return exit_code;
}
