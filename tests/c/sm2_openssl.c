/* OpenSSL's SM2 (libcrypto 3), driven line by line for tests/sm2_verify.rs.
 *
 *   sm2_openssl verify   reads "DISTID KEY MESSAGE SIGNATURE" (hex, '-' for empty) per line
 *                        and prints 1 (valid) or 0 (not) per line.
 *   sm2_openssl sign N   makes N fresh keys and prints "DISTID KEY MESSAGE SIGNATURE" lines
 *                        (uncompressed key, DER signature) that it signed itself.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELD 65536

static int unhex(const char *text, unsigned char *out, size_t *len) {
  if (strcmp(text, "-") == 0) {
    *len = 0;
    return 1;
  }
  size_t n = strlen(text);
  if (n % 2 != 0 || n / 2 > MAX_FIELD) return 0;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned int byte;
    if (sscanf(text + 2 * i, "%2x", &byte) != 1) return 0;
    out[i] = (unsigned char)byte;
  }
  *len = n / 2;
  return 1;
}

static void print_hex(const unsigned char *data, size_t len) {
  if (len == 0) fputc('-', stdout);
  for (size_t i = 0; i < len; i++) printf("%02x", data[i]);
}

static EVP_PKEY *public_key(const unsigned char *key, size_t len) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, key, len);
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  EVP_PKEY *pkey = NULL;
  if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    pkey = NULL;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

/* Whether the key is a point on the curve: EVP_PKEY_fromdata alone does not check. */
static int key_is_valid(EVP_PKEY *pkey) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
  int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

static int verify(const unsigned char *id, size_t id_len, EVP_PKEY *pkey,
                  const unsigned char *msg, size_t msg_len, const unsigned char *sig,
                  size_t sig_len) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = EVP_DigestVerifyInit(md, &pctx, EVP_sm3(), NULL, pkey) == 1 &&
           EVP_PKEY_CTX_set1_id(pctx, id, id_len) > 0 &&
           EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

static int verify_lines(void) {
  static char line[4 * MAX_FIELD + 16];
  static char fields[4][2 * MAX_FIELD + 2];
  static unsigned char bytes[4][MAX_FIELD];
  size_t lens[4];
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (sscanf(line, "%131073s %131073s %131073s %131073s", fields[0], fields[1], fields[2],
               fields[3]) != 4) {
      fprintf(stderr, "bad line: %s", line);
      return 1;
    }
    for (int k = 0; k < 4; k++) {
      if (!unhex(fields[k], bytes[k], &lens[k])) {
        fprintf(stderr, "bad hex: %s\n", fields[k]);
        return 1;
      }
    }
    EVP_PKEY *pkey = public_key(bytes[1], lens[1]);
    int ok = pkey != NULL && key_is_valid(pkey) &&
             verify(bytes[0], lens[0], pkey, bytes[2], lens[2], bytes[3], lens[3]);
    EVP_PKEY_free(pkey);
    printf("%d\n", ok);
  }
  return 0;
}

static int sign_lines(long count) {
  static const unsigned char id[] = "1234567812345678";
  for (long i = 0; i < count; i++) {
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    unsigned char key[65], msg[64], sig[80];
    size_t key_len = 0, sig_len = sizeof sig;
    size_t msg_len = (size_t)(i % 64);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (pkey == NULL || RAND_bytes(msg, sizeof msg) != 1 ||
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, key, sizeof key,
                                        &key_len) != 1 ||
        EVP_DigestSignInit(md, &pctx, EVP_sm3(), NULL, pkey) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, id, sizeof id - 1) <= 0 ||
        EVP_DigestSign(md, sig, &sig_len, msg, msg_len) != 1) {
      fprintf(stderr, "signing failed\n");
      return 1;
    }
    print_hex(id, sizeof id - 1);
    fputc(' ', stdout);
    print_hex(key, key_len);
    fputc(' ', stdout);
    print_hex(msg, msg_len);
    fputc(' ', stdout);
    print_hex(sig, sig_len);
    fputc('\n', stdout);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "verify") == 0) return verify_lines();
  if (argc == 3 && strcmp(argv[1], "sign") == 0) return sign_lines(atol(argv[2]));
  fprintf(stderr, "usage: %s verify | sign N\n", argv[0]);
  return 2;
}
