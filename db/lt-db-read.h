/* db/lt-db-read.h — reading what the GUI and the CLI show about a stored nodule: its patient's
 * pseudonym, key, size and position, its diagnosis, and its thumbnail PNG.
 * Does not search (lt-index.h does) and writes nothing. */
#ifndef LT_DB_READ_H
#define LT_DB_READ_H

#include <stddef.h>
#include <stdint.h>

#include "lt-db.h"

typedef struct {
  int64_t id, patient_id;
  char pseudonym[64];
  char source[32];
  char source_key[160];
  double x_mm, y_mm, z_mm;    /* NAN when unknown */
  double diameter_mm, volume_mm3;
  char diagnosis[16];         /* the nodule-level one as retrieval uses it: "benign", "primary",
                                 "metastatic", "unknown", or "" when none */
  char basis[16];             /* "resection", ..., "rating", "unknown", or "" */
} lt_db_nodule_info;

/* 0 found; -1 with "no nodule ID" or an SQLite message. */
int lt_db_nodule_get(lt_db *db, int64_t id, lt_db_nodule_info *out, lt_error *err);

/* The nodule's thumbnail of this kind ('centre-slice'), malloc'ed; *png NULL and 0 when it has
 * none. */
int lt_db_thumbnail_get(lt_db *db, int64_t nodule_id, const char *kind, void **png, size_t *n,
                        lt_error *err);

#endif
