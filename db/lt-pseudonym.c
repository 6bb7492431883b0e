/* db/lt-pseudonym.c — see lt-pseudonym.h. */
#include "lt-pseudonym.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "lt-sha256.h"

int lt_pseudonym_new_key(uint8_t key[LT_PSEUDONYM_KEY_SIZE], lt_error *err) {
  size_t got = 0;
  while (got < LT_PSEUDONYM_KEY_SIZE) {
    ssize_t r = getrandom(key + got, LT_PSEUDONYM_KEY_SIZE - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return lt_error_set(err, "no random key: %s", strerror(errno));
    got += (size_t)r;
  }
  return 0;
}

static void keyed(const uint8_t key[LT_PSEUDONYM_KEY_SIZE], const char fnv_hex[17], char *buf,
                  size_t n) {
  char msg[32];
  int len = snprintf(msg, sizeof msg, "lt-pseudonym-1:%s", fnv_hex);
  uint8_t mac[LT_SHA256_SIZE];
  lt_hmac_sha256(key, LT_PSEUDONYM_KEY_SIZE, msg, (size_t)len, mac);
  char hex[2 * LT_SHA256_SIZE + 1];
  lt_hex(mac, sizeof mac, hex);
  snprintf(buf, n, "P-%.24s", hex);
}

void lt_pseudonym_of(const uint8_t key[LT_PSEUDONYM_KEY_SIZE], const char *patient_id,
                     const char *fallback, char *buf, size_t n) {
  if (patient_id && !strncmp(patient_id, "LIDC-IDRI-", 10) && strlen(patient_id) < 20) {
    snprintf(buf, n, "%s", patient_id);
    return;
  }
  const char *s = patient_id && patient_id[0] ? patient_id : fallback ? fallback : "";
  uint64_t h = 1469598103934665603ull; /* FNV-1a 64, as schema 2 (see the header) */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  char fnv[17];
  snprintf(fnv, sizeof fnv, "%016llx", (unsigned long long)h);
  keyed(key, fnv, buf, n);
}

bool lt_pseudonym_rekey_legacy(const uint8_t key[LT_PSEUDONYM_KEY_SIZE], const char *old,
                               char *buf, size_t n) {
  if (!old || strlen(old) != 18 || strncmp(old, "P-", 2)) return false;
  for (int i = 2; i < 18; i++)
    if (!((old[i] >= '0' && old[i] <= '9') || (old[i] >= 'a' && old[i] <= 'f'))) return false;
  keyed(key, old + 2, buf, n);
  return true;
}
