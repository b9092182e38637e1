/* Every function of eseal's C ABI, driven from C: good inputs with exact verdicts, NULL
 * arguments, handles of the wrong kind, handles used after they were freed, freed twice,
 * truncated buffers and the last error message.
 *
 * Usage: api_test DIR, where DIR holds the inputs tests/c_abi.rs prepares (see there). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eseal.h"

/* 2026-11-15T00:00:00Z, when test-vectors/pdf/p256 is verified. */
#define AT_PDF INT64_C(1794700800)
/* 2026-06-02T00:00:00Z, the validation clock of test-vectors/licence and test-vectors/ofd. */
#define AT_LICENCE INT64_C(1780358400)

static const char *dir;

static file_bytes in(const char *name) { return read_input(dir, name); }

/* A failed call leaves a message; a successful one clears it. */
static void expect_error_message(void) { CHECK(eseal_last_error_message() != NULL); }
static void expect_no_error_message(void) { CHECK(eseal_last_error_message() == NULL); }

static void test_version_and_names(void) {
  file_bytes version = read_text(dir, "version.txt");
  const char *v = eseal_version();
  CHECK(v != NULL);
  CHECK(v != NULL && strstr(v, (const char *)version.data) != NULL);
  CHECK(eseal_version() == v);
  free(version.data);

  CHECK_STR(eseal_status_name(ESEAL_OK), "ESEAL_OK");
  CHECK_STR(eseal_status_name(ESEAL_NULL_PARAMETER), "ESEAL_NULL_PARAMETER");
  CHECK_STR(eseal_status_name(ESEAL_INVALID_ARGUMENT), "ESEAL_INVALID_ARGUMENT");
  CHECK_STR(eseal_status_name(ESEAL_INVALID_HANDLE), "ESEAL_INVALID_HANDLE");
  CHECK_STR(eseal_status_name(ESEAL_MALFORMED_INPUT), "ESEAL_MALFORMED_INPUT");
  CHECK_STR(eseal_status_name(ESEAL_UNSUPPORTED), "ESEAL_UNSUPPORTED");
  CHECK_STR(eseal_status_name(ESEAL_KEY_ERROR), "ESEAL_KEY_ERROR");
  CHECK_STR(eseal_status_name(ESEAL_REFUSED), "ESEAL_REFUSED");
  CHECK_STR(eseal_status_name(ESEAL_NOT_FOUND), "ESEAL_NOT_FOUND");
  CHECK_STR(eseal_status_name(ESEAL_IO_ERROR), "ESEAL_IO_ERROR");
  CHECK_STR(eseal_status_name(ESEAL_PANIC), "ESEAL_PANIC");
  /* Any int is accepted: values outside the enum get a name, the same static string. */
  CHECK_STR(eseal_status_name(-1), "ESEAL_STATUS_UNKNOWN");
  CHECK_STR(eseal_status_name(42), "ESEAL_STATUS_UNKNOWN");
  CHECK_STR(eseal_status_name(1000), "ESEAL_STATUS_UNKNOWN");
  CHECK(eseal_status_name(42) == eseal_status_name(1000));

  CHECK_STR(eseal_indication_name(ESEAL_TOTAL_PASSED), "ESEAL_TOTAL_PASSED");
  CHECK_STR(eseal_indication_name(ESEAL_INDETERMINATE), "ESEAL_INDETERMINATE");
  CHECK_STR(eseal_indication_name(ESEAL_TOTAL_FAILED), "ESEAL_TOTAL_FAILED");
  CHECK_STR(eseal_indication_name(ESEAL_NOTHING_SIGNED), "ESEAL_NOTHING_SIGNED");
  CHECK_STR(eseal_indication_name(-1), "ESEAL_INDICATION_UNKNOWN");
  CHECK_STR(eseal_indication_name(42), "ESEAL_INDICATION_UNKNOWN");
  CHECK_STR(eseal_indication_name(1000), "ESEAL_INDICATION_UNKNOWN");
}

static void test_null_arguments(void) {
  CHECK(eseal_bytes_data(NULL) == NULL);
  CHECK(eseal_bytes_len(NULL) == 0);
  CHECK(eseal_report_indication(NULL) == ESEAL_TOTAL_FAILED);
  CHECK(eseal_report_signature_count(NULL) == 0);
  CHECK(eseal_report_signature_indication(NULL, 0) == ESEAL_TOTAL_FAILED);
  CHECK(eseal_report_sub_indication(NULL, 0) == NULL);
  CHECK(eseal_report_first_reason(NULL, 0) == NULL);
  CHECK(eseal_report_signer(NULL, 0) == NULL);
  CHECK(eseal_report_seal_name(NULL, 0) == NULL);
  CHECK(eseal_report_signing_time(NULL, 0) == NULL);
  CHECK(eseal_report_json(NULL) == NULL);
  /* Freeing NULL does nothing. */
  eseal_bytes_free(NULL);
  eseal_string_free(NULL);
  eseal_trust_store_free(NULL);
  eseal_report_free(NULL);
  eseal_signer_free(NULL);
  eseal_office_free(NULL);

  CHECK_STATUS(eseal_trust_store_new(NULL), ESEAL_NULL_PARAMETER);
  expect_error_message();

  static const uint8_t some[4] = {1, 2, 3, 4};
  CHECK_STATUS(eseal_trust_store_add_anchors(NULL, some, sizeof some), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_intermediates(NULL, some, sizeof some),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_crl(NULL, some, sizeof some), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_trust_list(NULL, some, sizeof some, ESEAL_NOW),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_status_list(NULL, some, sizeof some),
               ESEAL_NULL_PARAMETER);

  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  expect_no_error_message();
  /* (NULL, n > 0) is a NULL parameter. */
  CHECK_STATUS(eseal_trust_store_add_anchors(store, NULL, 10), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_intermediates(store, NULL, 10), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_crl(store, NULL, 10), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, NULL, 10, ESEAL_NOW),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_add_status_list(store, NULL, 10), ESEAL_NULL_PARAMETER);

  eseal_report *report = (eseal_report *)(uintptr_t)1;
  CHECK_STATUS(eseal_verify(NULL, some, sizeof some, ESEAL_NOW, &report), ESEAL_NULL_PARAMETER);
  CHECK(report == NULL);
  CHECK_STATUS(eseal_verify(store, NULL, 10, ESEAL_NOW, &report), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_verify(store, some, sizeof some, ESEAL_NOW, NULL), ESEAL_NULL_PARAMETER);

  eseal_signer *signer = (eseal_signer *)(uintptr_t)1;
  CHECK_STATUS(eseal_signer_from_pkcs8(NULL, 10, NULL, some, sizeof some, &signer),
               ESEAL_NULL_PARAMETER);
  CHECK(signer == NULL);
  CHECK_STATUS(eseal_signer_from_pkcs8(some, sizeof some, NULL, NULL, 10, &signer),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_signer_from_pkcs8(some, sizeof some, NULL, some, sizeof some, NULL),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_signer_from_pkcs12(NULL, 10, "x", &signer), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_signer_from_pkcs12(some, sizeof some, "x", NULL), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_signer_from_pkcs11(NULL, "token", "1234", "key", some, sizeof some, &signer),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_signer_from_pkcs11("/nonexistent.so", "token", "1234", "key", some,
                                        sizeof some, NULL),
               ESEAL_NULL_PARAMETER);

  eseal_bytes *bytes = (eseal_bytes *)(uintptr_t)1;
  CHECK_STATUS(eseal_seal_pdf(NULL, some, sizeof some, some, sizeof some, NULL, &bytes),
               ESEAL_NULL_PARAMETER);
  CHECK(bytes == NULL);
  CHECK_STATUS(eseal_seal_ofd(NULL, some, sizeof some, some, sizeof some, NULL, &bytes),
               ESEAL_NULL_PARAMETER);

  eseal_office *office = (eseal_office *)(uintptr_t)1;
  CHECK_STATUS(eseal_office_open(NULL, &office), ESEAL_NULL_PARAMETER);
  CHECK(office == NULL);
  CHECK_STATUS(eseal_office_open(dir, NULL), ESEAL_NULL_PARAMETER);
  char *identifier = NULL, *qr = NULL;
  CHECK_STATUS(eseal_office_issue(NULL, "001", "{}", NULL, &identifier, &qr, NULL),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_revoke(NULL, "1.2", "reason", NULL), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_status_list(NULL, &bytes), ESEAL_NULL_PARAMETER);

  eseal_trust_store_free(store);
}

/* Adds `name` from the input directory with `add`, expecting `want`. */
static void add(eseal_status (*add_fn)(eseal_trust_store *, const uint8_t *, size_t),
                eseal_trust_store *store, const char *name, eseal_status want) {
  file_bytes f = in(name);
  CHECK_STATUS(add_fn(store, f.data, f.len), want);
  free(f.data);
}

static eseal_report *verify_file(const eseal_trust_store *store, const char *name, int64_t at) {
  file_bytes f = in(name);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, f.data, f.len, at, &report), ESEAL_OK);
  CHECK(report != NULL);
  free(f.data);
  return report;
}

/* The QR in the text file `name`, verified as of `at`. */
static eseal_report *verify_qr(const eseal_trust_store *store, const char *name, int64_t at) {
  file_bytes qr = read_text(dir, name);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, qr.data, qr.len, at, &report), ESEAL_OK);
  CHECK(report != NULL);
  free(qr.data);
  return report;
}

/* One signature, its verdict and first reason (NULL: none). */
static void expect_signature(const eseal_report *report, size_t i, eseal_indication indication,
                             const char *sub_indication, const char *reason) {
  CHECK(eseal_report_signature_indication(report, i) == indication);
  CHECK_STR(eseal_report_sub_indication(report, i), sub_indication);
  CHECK_STR(eseal_report_first_reason(report, i), reason);
}

static void test_trust_store_inputs(void) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  static const uint8_t garbage[] = "this is not a certificate";
  CHECK_STATUS(eseal_trust_store_add_anchors(store, garbage, sizeof garbage - 1),
               ESEAL_MALFORMED_INPUT);
  expect_error_message();
  CHECK_STATUS(eseal_trust_store_add_intermediates(store, garbage, sizeof garbage - 1),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_trust_store_add_crl(store, garbage, sizeof garbage - 1),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_trust_store_add_status_list(store, garbage, sizeof garbage - 1),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, garbage, sizeof garbage - 1, AT_LICENCE),
               ESEAL_MALFORMED_INPUT);

  /* Truncated inputs: half of each file. */
  const char *names[] = {"pdf-root.pem", "pdf-root.crl.pem", "status-list.cwt", "trust-list.cwt"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    file_bytes f = in(names[k]);
    size_t half = f.len / 2;
    eseal_status got;
    switch (k) {
      case 0:
        got = eseal_trust_store_add_anchors(store, f.data, half);
        break;
      case 1:
        got = eseal_trust_store_add_crl(store, f.data, half);
        break;
      case 2:
        got = eseal_trust_store_add_status_list(store, f.data, half);
        break;
      default:
        got = eseal_trust_store_add_trust_list(store, f.data, half, AT_LICENCE);
        break;
    }
    if (got != ESEAL_MALFORMED_INPUT) {
      fprintf(stderr, "truncated %s: %s, expected ESEAL_MALFORMED_INPUT\n", names[k],
              nz(eseal_status_name(got)));
    }
    CHECK(got == ESEAL_MALFORMED_INPUT);
    free(f.data);
  }

  /* A bundle whose last certificate is cut short. */
  file_bytes bundle = in("signer.pem");
  CHECK_STATUS(eseal_trust_store_add_intermediates(store, bundle.data, bundle.len - 40),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_trust_store_add_anchors(store, bundle.data, bundle.len - 40),
               ESEAL_MALFORMED_INPUT);
  free(bundle.data);

  /* A trust list whose signer chains to no anchor in the store is refused. */
  file_bytes list = in("trust-list.cwt");
  eseal_status got = eseal_trust_store_add_trust_list(store, list.data, list.len, AT_LICENCE);
  CHECK(got != ESEAL_OK);
  expect_error_message();
  /* Once its root is an anchor, it is accepted. */
  add(eseal_trust_store_add_anchors, store, "licence-root.pem", ESEAL_OK);
  expect_no_error_message();
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, list.data, list.len, AT_LICENCE), ESEAL_OK);
  free(list.data);
  add(eseal_trust_store_add_status_list, store, "status-list.cwt", ESEAL_OK);
  add(eseal_trust_store_add_crl, store, "pdf-root.crl.pem", ESEAL_OK);
  add(eseal_trust_store_add_intermediates, store, "ofd-office-ca.pem", ESEAL_OK);

  /* Invalid UTF-8 where a string is wanted. */
  static const char bad_utf8[] = {'/', 't', 'm', 'p', '/', (char)0xff, (char)0xfe, 0};
  eseal_office *office = NULL;
  CHECK_STATUS(eseal_office_open(bad_utf8, &office), ESEAL_INVALID_ARGUMENT);
  CHECK(office == NULL);

  eseal_trust_store_free(store);
}

static void test_verify_pdf(void) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "pdf-root.pem", ESEAL_OK);

  eseal_report *report = verify_file(store, "pdf-sealed.pdf", AT_PDF);
  expect_no_error_message();
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  CHECK(eseal_report_signature_count(report) == 1);
  expect_signature(report, 0, ESEAL_TOTAL_PASSED, NULL, NULL);
  CHECK(eseal_report_signer(report, 0) != NULL && strlen(eseal_report_signer(report, 0)) > 0);
  const char *when = eseal_report_signing_time(report, 0);
  /* RFC 3339: 2026-MM-DDTHH:MM:SSZ or with an offset. */
  CHECK(when != NULL && strlen(when) >= 20 && when[4] == '-' && when[10] == 'T');
  const char *json = eseal_report_json(report);
  CHECK(json != NULL && json[0] == '{' && strstr(json, "\"TOTAL-PASSED\"") != NULL);
  /* Borrowed strings stay the same while the report lives. */
  CHECK(eseal_report_json(report) == json);
  /* Out of range. */
  CHECK(eseal_report_signature_indication(report, 1) == ESEAL_TOTAL_FAILED);
  CHECK(eseal_report_sub_indication(report, 1) == NULL);
  CHECK(eseal_report_first_reason(report, 1) == NULL);
  CHECK(eseal_report_signer(report, 1) == NULL);
  CHECK(eseal_report_seal_name(report, 1) == NULL);
  CHECK(eseal_report_signing_time(report, 1) == NULL);
  CHECK(eseal_report_signer(report, SIZE_MAX) == NULL);
  eseal_report_free(report);

  report = verify_file(store, "pdf-tampered.pdf", AT_PDF);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_FAILED);
  CHECK(eseal_report_signature_count(report) == 1);
  expect_signature(report, 0, ESEAL_TOTAL_FAILED, "HASH_FAILURE", "DIGEST_MISMATCH");
  eseal_report_free(report);

  /* Expired signer certificate in 2031. */
  report = verify_file(store, "pdf-sealed.pdf", INT64_C(1938124800));
  CHECK(eseal_report_indication(report) == ESEAL_INDETERMINATE);
  expect_signature(report, 0, ESEAL_INDETERMINATE, "OUT_OF_BOUNDS_NO_POE", "CERTIFICATE_EXPIRED");
  eseal_report_free(report);

  /* With the CRL: a revoked signer. */
  add(eseal_trust_store_add_crl, store, "pdf-root.crl.pem", ESEAL_OK);
  report = verify_file(store, "pdf-revoked.pdf", AT_PDF);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_FAILED);
  expect_signature(report, 0, ESEAL_TOTAL_FAILED, "REVOKED", "CERTIFICATE_REVOKED");
  eseal_report_free(report);

  /* Not something eseal can classify; a truncated PDF. */
  static const uint8_t garbage[] = "\x01\x02not a document at all";
  report = (eseal_report *)(uintptr_t)1;
  CHECK_STATUS(eseal_verify(store, garbage, sizeof garbage - 1, AT_PDF, &report),
               ESEAL_MALFORMED_INPUT);
  CHECK(report == NULL);
  expect_error_message();
  /* Empty where content is needed. */
  CHECK_STATUS(eseal_verify(store, NULL, 0, AT_PDF, &report), ESEAL_INVALID_ARGUMENT);
  CHECK(report == NULL);
  file_bytes pdf = in("pdf-sealed.pdf");
  CHECK_STATUS(eseal_verify(store, pdf.data, 40, AT_PDF, &report), ESEAL_MALFORMED_INPUT);
  CHECK(report == NULL);
  free(pdf.data);

  eseal_trust_store_free(store);
}

static void test_verify_licence_and_ofd(void) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "licence-root.pem", ESEAL_OK);
  file_bytes list = in("trust-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, list.data, list.len, AT_LICENCE), ESEAL_OK);
  free(list.data);
  add(eseal_trust_store_add_status_list, store, "status-list.cwt", ESEAL_OK);

  eseal_report *report = verify_qr(store, "qr-good.txt", AT_LICENCE);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  CHECK(eseal_report_signature_count(report) == 1);
  expect_signature(report, 0, ESEAL_TOTAL_PASSED, NULL, NULL);
  eseal_report_free(report);

  report = verify_qr(store, "qr-revoked.txt", AT_LICENCE);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_FAILED);
  expect_signature(report, 0, ESEAL_TOTAL_FAILED, "REVOKED", "LICENCE_REVOKED");
  eseal_report_free(report);

  /* A QR cut short is still a licence QR, failing to decode. */
  file_bytes qr = read_text(dir, "qr-good.txt");
  CHECK_STATUS(eseal_verify(store, qr.data, qr.len / 2, AT_LICENCE, &report), ESEAL_OK);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_FAILED);
  expect_signature(report, 0, ESEAL_TOTAL_FAILED, "FORMAT_FAILURE", "LICENCE_FORMAT");
  eseal_report_free(report);
  /* Not UTF-8, so no QR string: nothing eseal can classify. */
  qr.data[6] = 0xff;
  report = (eseal_report *)(uintptr_t)1;
  CHECK_STATUS(eseal_verify(store, qr.data, qr.len, AT_LICENCE, &report), ESEAL_MALFORMED_INPUT);
  CHECK(report == NULL);
  free(qr.data);

  /* OFD: the SES signature carries the signer's certificate alone. */
  add(eseal_trust_store_add_anchors, store, "ofd-root.pem", ESEAL_OK);
  add(eseal_trust_store_add_intermediates, store, "ofd-office-ca.pem", ESEAL_OK);
  report = verify_file(store, "ofd-sealed.ofd", AT_LICENCE);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  CHECK(eseal_report_signature_count(report) == 1);
  expect_signature(report, 0, ESEAL_TOTAL_PASSED, NULL, NULL);
  CHECK(eseal_report_seal_name(report, 0) != NULL);
  eseal_report_free(report);

  report = verify_file(store, "unsigned.ofd", AT_LICENCE);
  CHECK(eseal_report_indication(report) == ESEAL_NOTHING_SIGNED);
  CHECK(eseal_report_signature_count(report) == 0);
  CHECK(eseal_report_signer(report, 0) == NULL);
  eseal_report_free(report);

  eseal_trust_store_free(store);
}

static eseal_signer *pkcs8_signer(const char *key_name, const char *password) {
  file_bytes key = in(key_name);
  file_bytes certs = in("signer.pem");
  eseal_signer *signer = NULL;
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len, password, certs.data, certs.len, &signer),
               ESEAL_OK);
  free(key.data);
  free(certs.data);
  return signer;
}

/* The signer's key on a SoftHSM2 token (label "eseal-c", user PIN 1234, key "signer"). */
static void test_pkcs11_token(const file_bytes *certs) {
  file_bytes module = read_text(dir, "pkcs11-module.txt");
  const char *so = (const char *)module.data;
  eseal_signer *signer = (eseal_signer *)(uintptr_t)1;
  CHECK_STATUS(eseal_signer_from_pkcs11(so, "eseal-c", "0000", "signer", certs->data, certs->len,
                                        &signer),
               ESEAL_KEY_ERROR);
  CHECK(signer == NULL);
  CHECK_STATUS(eseal_signer_from_pkcs11(so, "eseal-c", "1234", "no-such-key", certs->data,
                                        certs->len, &signer),
               ESEAL_KEY_ERROR);
  CHECK_STATUS(eseal_signer_from_pkcs11(so, "eseal-c", "1234", "signer", certs->data, certs->len,
                                        &signer),
               ESEAL_OK);
  file_bytes seal = in("seal.esl");
  file_bytes pdf = in("plain.pdf");
  eseal_bytes *sealed = NULL;
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, "[here]", &sealed),
               ESEAL_OK);
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "root.pem", ESEAL_OK);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, eseal_bytes_data(sealed), eseal_bytes_len(sealed), ESEAL_NOW,
                            &report),
               ESEAL_OK);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  eseal_report_free(report);
  eseal_trust_store_free(store);
  eseal_bytes_free(sealed);
  eseal_signer_free(signer);
  free(seal.data);
  free(pdf.data);
  free(module.data);
}

static void test_signers(void) {
  file_bytes key = in("signer.key");
  file_bytes enc = in("signer-enc.key");
  file_bytes certs = in("signer.pem");
  file_bytes root = in("root.pem");
  file_bytes p12 = in("signer.p12");
  eseal_signer *signer = (eseal_signer *)(uintptr_t)1;

  CHECK_STATUS(eseal_signer_from_pkcs8(enc.data, enc.len, "wrong", certs.data, certs.len, &signer),
               ESEAL_KEY_ERROR);
  CHECK(signer == NULL);
  expect_error_message();
  /* The key does not belong to the root's certificate. */
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len, NULL, root.data, root.len, &signer),
               ESEAL_KEY_ERROR);
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len / 2, NULL, certs.data, certs.len, &signer),
               ESEAL_MALFORMED_INPUT);
  /* A chain cut inside its first or its last certificate. */
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len, NULL, certs.data, certs.len / 3, &signer),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len, NULL, certs.data, certs.len - 40, &signer),
               ESEAL_MALFORMED_INPUT);
  eseal_signer_free(signer);
  CHECK_STATUS(eseal_signer_from_pkcs8(key.data, key.len, NULL, NULL, 0, &signer),
               ESEAL_INVALID_ARGUMENT);
  static const char bad_utf8[] = {'s', (char)0xc3, 0};
  CHECK_STATUS(eseal_signer_from_pkcs8(enc.data, enc.len, bad_utf8, certs.data, certs.len, &signer),
               ESEAL_INVALID_ARGUMENT);

  CHECK_STATUS(eseal_signer_from_pkcs8(enc.data, enc.len, "secret", certs.data, certs.len, &signer),
               ESEAL_OK);
  expect_no_error_message();
  CHECK(signer != NULL);
  eseal_signer_free(signer);

  CHECK_STATUS(eseal_signer_from_pkcs12(p12.data, p12.len, "wrong", &signer), ESEAL_KEY_ERROR);
  CHECK(signer == NULL);
  CHECK_STATUS(eseal_signer_from_pkcs12(p12.data, p12.len / 2, "secret", &signer),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_signer_from_pkcs12(p12.data, p12.len, "secret", &signer), ESEAL_OK);
  CHECK(signer != NULL);
  eseal_signer_free(signer);

  /* Without the pkcs11 feature (the default build) PKCS#11 is unsupported; with it, a
   * module that does not exist is a key error. */
  file_bytes pkcs11 = read_text(dir, "pkcs11.txt");
  int with_pkcs11 = strcmp((const char *)pkcs11.data, "yes") == 0;
  free(pkcs11.data);
  CHECK_STATUS(eseal_signer_from_pkcs11("/nonexistent/libpkcs11.so", "token", "1234", "key",
                                        certs.data, certs.len, &signer),
               with_pkcs11 ? ESEAL_KEY_ERROR : ESEAL_UNSUPPORTED);
  CHECK(signer == NULL);
  if (with_pkcs11) {
    test_pkcs11_token(&certs);
  }
  static const char bad_utf8_pin[] = {(char)0xff, 0};
  CHECK_STATUS(eseal_signer_from_pkcs11("/nonexistent/libpkcs11.so", "token", bad_utf8_pin, "key",
                                        certs.data, certs.len, &signer),
               ESEAL_INVALID_ARGUMENT);

  free(key.data);
  free(enc.data);
  free(certs.data);
  free(root.data);
  free(p12.data);
}

static void test_sealing(void) {
  eseal_signer *signer = pkcs8_signer("signer.key", NULL);
  file_bytes seal = in("seal.esl");
  file_bytes pdf = in("plain.pdf");
  file_bytes ofd = in("unsigned.ofd");
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "root.pem", ESEAL_OK);
  add(eseal_trust_store_add_intermediates, store, "signer.pem", ESEAL_OK);

  eseal_bytes *sealed = NULL;
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, "[here]", &sealed),
               ESEAL_OK);
  expect_no_error_message();
  CHECK(eseal_bytes_len(sealed) > pdf.len);
  CHECK(eseal_bytes_data(sealed) != NULL &&
        memcmp(eseal_bytes_data(sealed), pdf.data, pdf.len) == 0);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, eseal_bytes_data(sealed), eseal_bytes_len(sealed), ESEAL_NOW,
                            &report),
               ESEAL_OK);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  CHECK(eseal_report_signature_count(report) == 1);
  CHECK_STR(eseal_report_seal_name(report, 0), "测试局电子证照专用章");
  eseal_report_free(report);
  eseal_bytes_free(sealed);

  /* No keyword: bottom right of page 1. */
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, NULL, &sealed),
               ESEAL_OK);
  eseal_bytes_free(sealed);

  sealed = (eseal_bytes *)(uintptr_t)1;
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, "no such words",
                              &sealed),
               ESEAL_REFUSED);
  CHECK(sealed == NULL);
  expect_error_message();
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len / 2, pdf.data, pdf.len, NULL, &sealed),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len / 2, NULL, &sealed),
               ESEAL_MALFORMED_INPUT);
  CHECK_STATUS(eseal_seal_pdf(signer, NULL, 10, pdf.data, pdf.len, NULL, &sealed),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, NULL, 10, NULL, &sealed),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, NULL, NULL),
               ESEAL_NULL_PARAMETER);

  CHECK_STATUS(eseal_seal_ofd(signer, seal.data, seal.len, ofd.data, ofd.len, "盖章处", &sealed),
               ESEAL_OK);
  CHECK(eseal_bytes_len(sealed) > 0);
  CHECK_STATUS(eseal_verify(store, eseal_bytes_data(sealed), eseal_bytes_len(sealed), ESEAL_NOW,
                            &report),
               ESEAL_OK);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  CHECK(eseal_report_signature_count(report) == 1);
  eseal_report_free(report);
  eseal_bytes_free(sealed);
  CHECK_STATUS(eseal_seal_ofd(signer, seal.data, seal.len, ofd.data, ofd.len / 2, NULL, &sealed),
               ESEAL_MALFORMED_INPUT);
  CHECK(sealed == NULL);
  CHECK_STATUS(eseal_seal_ofd(signer, seal.data, seal.len, ofd.data, ofd.len, "no such words",
                              &sealed),
               ESEAL_REFUSED);

  eseal_trust_store_free(store);
  eseal_signer_free(signer);
  free(seal.data);
  free(pdf.data);
  free(ofd.data);
}

/* The office's QR verified against its trust list and `status_list`, as of now. */
static eseal_indication office_qr_verdict(const char *qr, const eseal_bytes *status_list) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "root.pem", ESEAL_OK);
  file_bytes list = in("office-trust-list.cwt");
  CHECK_STATUS(eseal_trust_store_add_trust_list(store, list.data, list.len, ESEAL_NOW), ESEAL_OK);
  free(list.data);
  CHECK_STATUS(eseal_trust_store_add_status_list(store, eseal_bytes_data(status_list),
                                                 eseal_bytes_len(status_list)),
               ESEAL_OK);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, (const uint8_t *)qr, strlen(qr), ESEAL_NOW, &report), ESEAL_OK);
  eseal_indication verdict = eseal_report_indication(report);
  if (verdict == ESEAL_TOTAL_FAILED) {
    CHECK_STR(eseal_report_sub_indication(report, 0), "REVOKED");
    CHECK_STR(eseal_report_first_reason(report, 0), "LICENCE_REVOKED");
  }
  eseal_report_free(report);
  eseal_trust_store_free(store);
  return verdict;
}

static void test_office(void) {
  char office_dir[4096];
  snprintf(office_dir, sizeof office_dir, "%s/office", dir);
  file_bytes type = read_text(dir, "type.txt");
  file_bytes request = in("request.json");
  file_bytes request2 = in("request2.json");
  const char *type_code = (const char *)type.data;

  eseal_office *office = (eseal_office *)(uintptr_t)1;
  char missing[4096];
  snprintf(missing, sizeof missing, "%s/no-such-office", dir);
  CHECK_STATUS(eseal_office_open(missing, &office), ESEAL_NOT_FOUND);
  CHECK(office == NULL);
  CHECK_STATUS(eseal_office_open(office_dir, &office), ESEAL_OK);
  CHECK(office != NULL);

  char *identifier = NULL, *qr = NULL;
  eseal_bytes *pdf = NULL;
  CHECK_STATUS(eseal_office_issue(office, type_code, (const char *)request.data, "c-abi-1",
                                  &identifier, &qr, &pdf),
               ESEAL_OK);
  CHECK(identifier != NULL && strncmp(identifier, "1.2.156.3005.2.", 15) == 0);
  CHECK(qr != NULL && strncmp(qr, "ZZ1:", 4) == 0);
  CHECK(eseal_bytes_len(pdf) > 5 && memcmp(eseal_bytes_data(pdf), "%PDF-", 5) == 0);

  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "root.pem", ESEAL_OK);
  eseal_report *report = NULL;
  CHECK_STATUS(eseal_verify(store, eseal_bytes_data(pdf), eseal_bytes_len(pdf), ESEAL_NOW, &report),
               ESEAL_OK);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  eseal_report_free(report);
  eseal_trust_store_free(store);
  eseal_bytes_free(pdf);

  /* A second active licence for the same holder is refused. */
  char *id2 = (char *)(uintptr_t)1, *qr2 = (char *)(uintptr_t)1;
  CHECK_STATUS(eseal_office_issue(office, type_code, (const char *)request.data, NULL, &id2, &qr2,
                                  NULL),
               ESEAL_REFUSED);
  CHECK(id2 == NULL && qr2 == NULL);
  expect_error_message();
  /* Another holder, without a document. */
  CHECK_STATUS(eseal_office_issue(office, type_code, (const char *)request2.data, NULL, &id2, &qr2,
                                  NULL),
               ESEAL_OK);
  CHECK(id2 != NULL && identifier != NULL && strcmp(id2, identifier) != 0);
  eseal_string_free(id2);
  eseal_string_free(qr2);

  /* A request that is not JSON, a type the office has no template for: refused. */
  CHECK_STATUS(eseal_office_issue(office, type_code, "{not json", NULL, &id2, &qr2, NULL),
               ESEAL_REFUSED);
  CHECK_STATUS(eseal_office_issue(office, "no-such-type", (const char *)request2.data, NULL, &id2,
                                  &qr2, NULL),
               ESEAL_REFUSED);
  CHECK_STATUS(eseal_office_issue(office, NULL, (const char *)request2.data, NULL, &id2, &qr2, NULL),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_issue(office, type_code, NULL, NULL, &id2, &qr2, NULL),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_issue(office, type_code, (const char *)request2.data, NULL, NULL, &qr2,
                                  NULL),
               ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_issue(office, type_code, (const char *)request2.data, NULL, &id2, NULL,
                                  NULL),
               ESEAL_NULL_PARAMETER);

  /* The QR verifies offline; after revocation the new status list says so. */
  eseal_bytes *status = NULL;
  CHECK_STATUS(eseal_office_status_list(office, &status), ESEAL_OK);
  CHECK(eseal_bytes_len(status) > 0);
  if (qr != NULL) {
    CHECK(office_qr_verdict(qr, status) == ESEAL_TOTAL_PASSED);
  }
  eseal_bytes_free(status);

  CHECK_STATUS(eseal_office_revoke(office, "1.2.156.3005.2.no-such-licence", "test", NULL),
               ESEAL_NOT_FOUND);
  CHECK_STATUS(eseal_office_revoke(office, identifier, "吊销：虚假登记", "99"),
               ESEAL_INVALID_ARGUMENT);
  CHECK_STATUS(eseal_office_revoke(office, NULL, "reason", NULL), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_office_revoke(office, identifier, "吊销：虚假登记", NULL), ESEAL_OK);
  CHECK_STATUS(eseal_office_status_list(office, &status), ESEAL_OK);
  if (qr != NULL) {
    CHECK(office_qr_verdict(qr, status) == ESEAL_TOTAL_FAILED);
  }
  eseal_bytes_free(status);
  CHECK_STATUS(eseal_office_status_list(office, NULL), ESEAL_NULL_PARAMETER);

  eseal_string_free(identifier);
  eseal_string_free(qr);
  eseal_office_free(office);
  free(type.data);
  free(request.data);
  free(request2.data);
}

/* Handles of the wrong kind, unknown pointers, use after free and double free: the registry
 * of live handles rejects them without touching their memory. */
static void test_handles(void) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  add(eseal_trust_store_add_anchors, store, "pdf-root.pem", ESEAL_OK);
  eseal_report *report = verify_file(store, "pdf-sealed.pdf", AT_PDF);
  eseal_signer *signer = pkcs8_signer("signer.key", NULL);
  char office_dir[4096];
  snprintf(office_dir, sizeof office_dir, "%s/office", dir);
  eseal_office *office = NULL;
  CHECK_STATUS(eseal_office_open(office_dir, &office), ESEAL_OK);
  eseal_bytes *status = NULL;
  CHECK_STATUS(eseal_office_status_list(office, &status), ESEAL_OK);
  file_bytes pem = in("pdf-root.pem");
  file_bytes pdf = in("pdf-sealed.pdf");
  file_bytes seal = in("seal.esl");

  /* A report where a trust store is wanted, and every other mix. */
  eseal_trust_store *not_store = (eseal_trust_store *)report;
  CHECK_STATUS(eseal_trust_store_add_anchors(not_store, pem.data, pem.len), ESEAL_INVALID_HANDLE);
  expect_error_message();
  CHECK_STATUS(eseal_trust_store_add_intermediates((eseal_trust_store *)signer, pem.data, pem.len),
               ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_trust_store_add_crl((eseal_trust_store *)office, pem.data, pem.len),
               ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_trust_store_add_trust_list((eseal_trust_store *)status, pem.data, pem.len,
                                                ESEAL_NOW),
               ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_trust_store_add_status_list(not_store, pem.data, pem.len),
               ESEAL_INVALID_HANDLE);
  eseal_report *r2 = (eseal_report *)(uintptr_t)1;
  CHECK_STATUS(eseal_verify(not_store, pdf.data, pdf.len, AT_PDF, &r2), ESEAL_INVALID_HANDLE);
  CHECK(r2 == NULL);
  const eseal_report *not_report = (const eseal_report *)store;
  CHECK(eseal_report_indication(not_report) == ESEAL_TOTAL_FAILED);
  expect_error_message();
  CHECK(eseal_report_signature_count(not_report) == 0);
  CHECK(eseal_report_signature_indication(not_report, 0) == ESEAL_TOTAL_FAILED);
  CHECK(eseal_report_sub_indication(not_report, 0) == NULL);
  CHECK(eseal_report_first_reason(not_report, 0) == NULL);
  CHECK(eseal_report_signer(not_report, 0) == NULL);
  CHECK(eseal_report_seal_name(not_report, 0) == NULL);
  CHECK(eseal_report_signing_time(not_report, 0) == NULL);
  CHECK(eseal_report_json(not_report) == NULL);
  expect_error_message();
  CHECK(eseal_bytes_data((const eseal_bytes *)report) == NULL);
  expect_error_message();
  CHECK(eseal_bytes_len((const eseal_bytes *)report) == 0);
  eseal_bytes *b = (eseal_bytes *)(uintptr_t)1;
  CHECK_STATUS(eseal_seal_pdf((const eseal_signer *)store, seal.data, seal.len, pdf.data, pdf.len,
                              NULL, &b),
               ESEAL_INVALID_HANDLE);
  CHECK(b == NULL);
  CHECK_STATUS(eseal_seal_ofd((const eseal_signer *)office, seal.data, seal.len, pdf.data, pdf.len,
                              NULL, &b),
               ESEAL_INVALID_HANDLE);
  char *id = NULL, *qr = NULL;
  CHECK_STATUS(eseal_office_issue((eseal_office *)signer, "001", "{}", NULL, &id, &qr, NULL),
               ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_office_revoke((eseal_office *)report, "1.2", "reason", NULL),
               ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_office_status_list((eseal_office *)store, &b), ESEAL_INVALID_HANDLE);

  /* Freeing with the wrong function does nothing: every handle still works afterwards. */
  eseal_trust_store_free((eseal_trust_store *)report);
  eseal_report_free((eseal_report *)store);
  eseal_signer_free((eseal_signer *)office);
  eseal_office_free((eseal_office *)signer);
  eseal_bytes_free((eseal_bytes *)signer);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  expect_no_error_message();
  CHECK_STATUS(eseal_trust_store_add_anchors(store, pem.data, pem.len), ESEAL_OK);
  CHECK(eseal_bytes_len(status) > 0);

  /* A pointer that was never a handle. */
  int local = 0;
  CHECK(eseal_report_signature_count((const eseal_report *)&local) == 0);
  CHECK_STATUS(eseal_trust_store_add_anchors((eseal_trust_store *)&local, pem.data, pem.len),
               ESEAL_INVALID_HANDLE);
  eseal_report_free((eseal_report *)&local);

  /* Use after free and double free, each kind. */
  eseal_report_free(report);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_FAILED);
  expect_error_message();
  CHECK(eseal_report_json(report) == NULL);
  eseal_report_free(report);

  eseal_trust_store_free(store);
  CHECK_STATUS(eseal_trust_store_add_anchors(store, pem.data, pem.len), ESEAL_INVALID_HANDLE);
  CHECK_STATUS(eseal_verify(store, pdf.data, pdf.len, AT_PDF, &r2), ESEAL_INVALID_HANDLE);
  eseal_trust_store_free(store);

  eseal_signer_free(signer);
  CHECK_STATUS(eseal_seal_pdf(signer, seal.data, seal.len, pdf.data, pdf.len, NULL, &b),
               ESEAL_INVALID_HANDLE);
  eseal_signer_free(signer);

  eseal_office_free(office);
  CHECK_STATUS(eseal_office_status_list(office, &b), ESEAL_INVALID_HANDLE);
  eseal_office_free(office);

  eseal_bytes_free(status);
  CHECK(eseal_bytes_data(status) == NULL);
  CHECK(eseal_bytes_len(status) == 0);
  expect_error_message();
  eseal_bytes_free(status);

  free(pem.data);
  free(pdf.data);
  free(seal.data);
}

/* References to one trust store: each is its own handle, the store lives until the last is
 * freed, and what is added through one is seen through the others. */
static void test_trust_store_references(void) {
  eseal_trust_store *store = NULL;
  CHECK_STATUS(eseal_trust_store_new(&store), ESEAL_OK);
  eseal_trust_store *second = (eseal_trust_store *)(uintptr_t)1;
  CHECK_STATUS(eseal_trust_store_ref(NULL, &second), ESEAL_NULL_PARAMETER);
  CHECK(second == NULL);
  expect_error_message();
  CHECK_STATUS(eseal_trust_store_ref(store, NULL), ESEAL_NULL_PARAMETER);
  CHECK_STATUS(eseal_trust_store_ref(store, &second), ESEAL_OK);
  expect_no_error_message();
  CHECK(second != NULL && second != store);
  eseal_trust_store *third = NULL;
  CHECK_STATUS(eseal_trust_store_ref(second, &third), ESEAL_OK);
  CHECK(third != NULL && third != store && third != second);

  /* Added through the first, seen through the others. */
  add(eseal_trust_store_add_anchors, store, "pdf-root.pem", ESEAL_OK);
  eseal_trust_store_free(store);
  eseal_report *report = verify_file(second, "pdf-sealed.pdf", AT_PDF);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  eseal_report_free(report);

  /* A freed reference is refused like any freed handle; the others still work. */
  eseal_trust_store *again = (eseal_trust_store *)(uintptr_t)1;
  CHECK_STATUS(eseal_trust_store_ref(store, &again), ESEAL_INVALID_HANDLE);
  CHECK(again == NULL);
  eseal_trust_store_free(store);
  eseal_trust_store_free(second);
  report = verify_file(third, "pdf-sealed.pdf", AT_PDF);
  CHECK(eseal_report_indication(report) == ESEAL_TOTAL_PASSED);
  /* A report is not a trust store. */
  CHECK_STATUS(eseal_trust_store_ref((const eseal_trust_store *)report, &again),
               ESEAL_INVALID_HANDLE);
  eseal_report_free(report);
  eseal_trust_store_free(third);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s INPUT-DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  test_version_and_names();
  test_null_arguments();
  test_trust_store_inputs();
  test_verify_pdf();
  test_verify_licence_and_ofd();
  test_signers();
  test_sealing();
  test_office();
  test_handles();
  test_trust_store_references();
  return check_summary("api_test");
}
