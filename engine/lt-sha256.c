/* engine/lt-sha256.c — see lt-sha256.h. */
#include "lt-sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <string.h>
#include <unistd.h>

void lt_hex(const uint8_t *bytes, size_t n, char *hex) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[bytes[i] >> 4];
    hex[2 * i + 1] = digits[bytes[i] & 15];
  }
  hex[2 * n] = 0;
}

void lt_sha256(const void *data, size_t n, uint8_t out[LT_SHA256_SIZE]) {
  struct sha256_ctx c;
  sha256_init(&c);
  if (n) sha256_update(&c, n, data);
  sha256_digest(&c, LT_SHA256_SIZE, out);
}

void lt_sha256_hex(const void *data, size_t n, char hex[65]) {
  uint8_t d[LT_SHA256_SIZE];
  lt_sha256(data, n, d);
  lt_hex(d, sizeof d, hex);
}

int lt_sha256_file(const char *path, char hex[65], lt_error *err) {
  hex[0] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lt_error_set(err, "%s: %s", path, strerror(errno));
  struct sha256_ctx c;
  sha256_init(&c);
  uint8_t buf[1 << 14]; /* on the stack: a static buffer would be shared between threads */
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      close(fd);
      return lt_error_set(err, "%s: %s", path, strerror(e));
    }
    if (got == 0) break;
    sha256_update(&c, (size_t)got, buf);
  }
  close(fd);
  uint8_t d[LT_SHA256_SIZE];
  sha256_digest(&c, LT_SHA256_SIZE, d);
  lt_hex(d, sizeof d, hex);
  return 0;
}

void lt_hmac_sha256(const void *key, size_t key_n, const void *data, size_t n,
                    uint8_t out[LT_SHA256_SIZE]) {
  struct hmac_sha256_ctx c;
  hmac_sha256_set_key(&c, key_n, key);
  if (n) hmac_sha256_update(&c, n, data);
  hmac_sha256_digest(&c, LT_SHA256_SIZE, out);
}
