/* engine/lt-sha256.h — SHA-256 and HMAC-SHA-256, through nettle (the one crypto library the
 * project uses: the database's keyed pseudonyms, models named by their file's hash, the audit's
 * and the hospital export's checksums). Plain C, no GLib; no state between calls, any thread.
 * Hex is lowercase, 64 digits and a NUL. Does not sign, encrypt or store keys: the database's
 * pseudonym key lives in the database (db/lt-db.h). */
#ifndef LT_SHA256_H
#define LT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

#define LT_SHA256_SIZE 32

/* SHA-256 of n bytes (data may be NULL when n is 0). */
void lt_sha256(const void *data, size_t n, uint8_t out[LT_SHA256_SIZE]);
void lt_sha256_hex(const void *data, size_t n, char hex[65]);

/* SHA-256 of the whole file's bytes as read at the time of the call (streamed, 16 KiB at a
 * time; any size). 0 ok with hex set; -1 with "PATH: reason" in err and hex set
 * to "" when the file cannot be opened or read. Identical bytes give identical hex, whatever the
 * name, so `sha256sum FILE` prints the same digits. */
int lt_sha256_file(const char *path, char hex[65], lt_error *err);

/* HMAC-SHA-256 (RFC 2104) of n bytes under a key of key_n bytes. */
void lt_hmac_sha256(const void *key, size_t key_n, const void *data, size_t n,
                    uint8_t out[LT_SHA256_SIZE]);

/* The lowercase hex of n bytes into hex (2n + 1 chars). */
void lt_hex(const uint8_t *bytes, size_t n, char *hex);

#endif
