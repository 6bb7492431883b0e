/* db/lt-index-sql.h — filling the retrieval index (lt-index.h) from the database.
 * A nodule's entry: its reference attribute set (the readers' mean, else the latest set a user
 * entered; model outputs are never the reference), its patient and diameter, and its nodule-level
 * diagnosis (a confirmed one, by resection, biopsy, stability or progression, before one resting
 * on a rating or unknown; the latest of equals). A nodule without a reference set has no entry.
 * Does not decide when to refresh: lt-db.c does. Takes the SQLite handle, not an lt_db, so that
 * lt-db.c (which keeps the index in step) and this file do not include each other. */
#ifndef LT_INDEX_SQL_H
#define LT_INDEX_SQL_H

#include <stdint.h>

#include "lt-error.h"
#include "lt-index.h"

typedef struct sqlite3 sqlite3;

/* nodule_id 0: loads every nodule into idx; else refreshes (puts or removes) that one nodule. */
int lt_index_sql_load(sqlite3 *s, lt_index *idx, int64_t nodule_id, lt_error *err);

#endif
