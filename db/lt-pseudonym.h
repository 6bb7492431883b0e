/* db/lt-pseudonym.h — a patient's pseudonym from a key and the patient's DICOM identity.
 * An LIDC-IDRI id ("LIDC-IDRI-NNNN", the public data set's own pseudonym) is kept as it is.
 * Any other PatientID (else, when it is empty, the StudyInstanceUID) becomes
 * "P-" + 24 lowercase hex digits: the first 96 bits of HMAC-SHA-256(key, "lt-pseudonym-1:" +
 * the 16 hex digits of FNV-1a 64 of the id). The FNV step is the pseudonym of schema 2
 * ("P-" + those 16 digits, unkeyed and reversed by brute force in under a second); keying it
 * lets migration 3 rewrite the old pseudonyms exactly, so a patient imported before and after
 * the upgrade is one row. Without the key nothing about the id can be learnt from the
 * pseudonym; with it, as with any deterministic pseudonym, ids can be tried one by one, which is
 * why the key stays in the 0600 database (lt-db-write.h: lt_db_pseudonym).
 * Pure functions: no database, no I/O except lt_pseudonym_new_key's getrandom. */
#ifndef LT_PSEUDONYM_H
#define LT_PSEUDONYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

#define LT_PSEUDONYM_KEY_SIZE 32

/* 32 bytes from the kernel's CSPRNG (getrandom). */
int lt_pseudonym_new_key(uint8_t key[LT_PSEUDONYM_KEY_SIZE], lt_error *err);

/* The pseudonym of patient_id (fallback when patient_id is NULL or empty). buf: >= 27 bytes. */
void lt_pseudonym_of(const uint8_t key[LT_PSEUDONYM_KEY_SIZE], const char *patient_id,
                     const char *fallback, char *buf, size_t n);

/* Schema 2's pseudonym "P-" + 16 hex digits (its FNV-1a 64) rewritten under key; false when old
 * is not of that form. */
bool lt_pseudonym_rekey_legacy(const uint8_t key[LT_PSEUDONYM_KEY_SIZE], const char *old,
                               char *buf, size_t n);

#endif
