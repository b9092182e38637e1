/* issue: issue one licence from an issuing office with eseal's C ABI, like
 * `eseal licence issue`.
 *
 *   issue OFFICE-DIR TYPE-CODE REQUEST.json OUT
 *
 * OFFICE-DIR is made by `eseal licence init` with the type's template stored
 * (`eseal licence template`). Writes the QR string to OUT.qr.txt and the sealed licence
 * document to OUT.pdf, and prints the licence identifier. Exits 0 on success, 64 on a usage
 * error, 65 when the request is refused or unreadable, 74 when a file cannot be written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eseal.h>

#define MAX_REQUEST (1024u * 1024u)

static const char *or_dash(const char *s) { return s != NULL ? s : "-"; }

/* The text of `path` (malloc'd, NUL-terminated), or NULL. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  char *text = malloc(MAX_REQUEST + 1);
  size_t n = text != NULL ? fread(text, 1, MAX_REQUEST, f) : 0;
  int failed = text == NULL || ferror(f) || !feof(f);
  fclose(f);
  if (failed) {
    free(text);
    return NULL;
  }
  text[n] = 0;
  return text;
}

/* Writes `len` bytes to `prefix` + `suffix`. Returns 0 on success. */
static int write_file(const char *prefix, const char *suffix, const void *data, size_t len) {
  size_t size = strlen(prefix) + strlen(suffix) + 1;
  char *path = malloc(size);
  if (path == NULL) {
    return -1;
  }
  snprintf(path, size, "%s%s", prefix, suffix);
  FILE *f = fopen(path, "wb");
  int failed = f == NULL;
  if (f != NULL) {
    failed = fwrite(data, 1, len, f) != len;
    failed |= fclose(f) != 0;
  }
  if (failed) {
    fprintf(stderr, "issue: cannot write %s\n", path);
  }
  free(path);
  return failed ? -1 : 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: issue OFFICE-DIR TYPE-CODE REQUEST.json OUT\n");
    return 64;
  }
  const char *out = argv[4];
  char *request = read_text(argv[3]);
  if (request == NULL) {
    fprintf(stderr, "issue: cannot read %s\n", argv[3]);
    return 65;
  }

  eseal_office *office = NULL;
  eseal_status status = eseal_office_open(argv[1], &office);
  if (status != ESEAL_OK) {
    fprintf(stderr, "issue: %s: %s: %s\n", argv[1], eseal_status_name(status),
            or_dash(eseal_last_error_message()));
    free(request);
    return 65;
  }

  char *identifier = NULL;
  char *qr = NULL;
  eseal_bytes *pdf = NULL;
  int exit_code = 0;
  status = eseal_office_issue(office, argv[2], request, NULL, &identifier, &qr, &pdf);
  if (status != ESEAL_OK) {
    fprintf(stderr, "issue: %s: %s\n", eseal_status_name(status),
            or_dash(eseal_last_error_message()));
    exit_code = 65;
  } else if (write_file(out, ".qr.txt", qr, strlen(qr)) != 0 ||
             write_file(out, ".pdf", eseal_bytes_data(pdf), eseal_bytes_len(pdf)) != 0) {
    exit_code = 74;
  } else {
    printf("%s\n", identifier);
  }

  /* Each result has its own free function; freeing NULL does nothing. */
  eseal_string_free(identifier);
  eseal_string_free(qr);
  eseal_bytes_free(pdf);
  eseal_office_free(office);
  free(request);
  return exit_code;
}
