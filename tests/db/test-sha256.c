/* tests/db/test-sha256.c — engine/lt-sha256.h against published vectors: SHA-256 of "", "abc"
 * and the 448-bit message (FIPS 180-4 examples), HMAC-SHA-256 of RFC 4231's test cases 1 and 2,
 * and lt_sha256_file equal to sha256sum's digits on a 1 MB file that spans many reads, with a
 * one-line error for a missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-sha256.h"
#include "lt-test.h"

static char tmp[4096];

static void sha256_matches_fips_examples(void **state) {
  (void)state;
  char hex[65];
  lt_sha256_hex(NULL, 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  lt_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  lt_sha256_hex(m, strlen(m), hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void hmac_matches_rfc4231(void **state) {
  (void)state;
  uint8_t key[20], mac[32];
  char hex[65];
  memset(key, 0x0b, sizeof key);
  lt_hmac_sha256(key, sizeof key, "Hi There", 8, mac);
  lt_hex(mac, sizeof mac, hex);
  assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const char *d = "what do ya want for nothing?";
  lt_hmac_sha256("Jefe", 4, d, strlen(d), mac);
  lt_hex(mac, sizeof mac, hex);
  assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void file_hash_equals_sha256sum(void **state) {
  (void)state;
  char p[4200], cmd[8500], out[256];
  snprintf(p, sizeof p, "%s/blob.bin", tmp);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  for (int i = 0; i < (1 << 20) + 77; i++) fputc((i * 131 + (i >> 9)) & 0xff, f);
  fclose(f);
  char hex[65];
  lt_error err = {{0}};
  assert_int_equal(lt_sha256_file(p, hex, &err), 0);
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", p);
  if (lt_test_run(cmd, out, sizeof out) != 0) skip();
  out[64] = 0;
  assert_string_equal(hex, out);
  snprintf(p, sizeof p, "%s/absent.bin", tmp);
  assert_int_equal(lt_sha256_file(p, hex, &err), -1);
  assert_string_equal(hex, "");
  assert_non_null(strstr(err.msg, "absent.bin"));
  assert_null(strchr(err.msg, '\n'));
}

int main(void) {
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sha256_matches_fips_examples),
      cmocka_unit_test(hmac_matches_rfc4231),
      cmocka_unit_test(file_hash_equals_sha256sum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
