/* db/lt-index-sql.c — see lt-index-sql.h. */
#include "lt-index-sql.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

/* All nodules: a scan in row order (the unary + keeps SQLite off the kind index, whose random
 * lookups are slower for every row); one nodule: through UNIQUE(nodule_id, kind, source_key).
 * Either way rows come in id order, so for a nodule with several sets of a kind the latest wins. */
#define ATTRS_COLS                                                                       \
  "SELECT a.nodule_id, n.patient_id, n.diameter_mm, a.subtlety, a.sphericity, a.margin," \
  " a.lobulation, a.spiculation, a.malignancy"                                           \
  " FROM attribute_sets a JOIN nodules n ON n.id = a.nodule_id"
#define ATTRS_KNOWN                                                                            \
  " AND a.subtlety IS NOT NULL AND a.sphericity IS NOT NULL AND a.margin IS NOT NULL"          \
  " AND a.lobulation IS NOT NULL AND a.spiculation IS NOT NULL AND a.malignancy IS NOT NULL"
static const char attrs_all_sql[] = ATTRS_COLS " WHERE +a.kind = ?2" ATTRS_KNOWN " ORDER BY a.id";
/* user sets are few: found through the (kind, nodule_id) index */
static const char attrs_user_sql[] = ATTRS_COLS " WHERE a.kind = ?2" ATTRS_KNOWN " ORDER BY a.id";
static const char attrs_one_sql[] =
    ATTRS_COLS " WHERE a.nodule_id = ?1 AND a.kind = ?2" ATTRS_KNOWN " ORDER BY a.id";

static const char diag_sql[] =
    "SELECT nodule_id, kind, basis IN ('resection','biopsy','stability','progression')"
    " FROM diagnoses WHERE nodule_id IS NOT NULL AND (?1 = 0 OR nodule_id = ?1)"
    " ORDER BY basis IN ('resection','biopsy','stability','progression'), id";

int lt_index_sql_load(lt_db *db, lt_index *idx, int64_t nodule_id, lt_error *err) {
  sqlite3 *s = lt_db_sqlite(db);
  sqlite3_stmt *st = NULL;
  bool found = false;
  int rc;
  if (nodule_id == 0) {
    /* an upper bound of the entries, from the b-tree's last rowid (no scan) */
    if (sqlite3_prepare_v2(s, "SELECT max(id) FROM attribute_sets", -1, &st, NULL) != SQLITE_OK)
      goto sqlfail;
    size_t most = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    st = NULL;
    if (most > lt_index_size(idx) && lt_index_reserve(idx, most, err)) return -1;
  }
  for (int pass = 0; pass < 2; pass++) {
  if (sqlite3_prepare_v2(s, nodule_id ? attrs_one_sql : pass == 0 ? attrs_user_sql : attrs_all_sql, -1, &st, NULL) != SQLITE_OK)
    goto sqlfail;
  sqlite3_bind_int64(st, 1, nodule_id);
  sqlite3_bind_text(st, 2, pass == 0 ? "user" : "readers_mean", -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    lt_index_entry e = {.nodule_id = sqlite3_column_int64(st, 0),
                        .patient_id = sqlite3_column_int64(st, 1),
                        .diameter_mm = sqlite3_column_type(st, 2) == SQLITE_NULL
                                           ? NAN
                                           : (float)sqlite3_column_double(st, 2),
                        .label = LT_LABEL_NONE};
    for (int d = 0; d < LT_NATTR; d++) e.attr[d] = (float)sqlite3_column_double(st, 3 + d);
    if (lt_index_put(idx, &e, err)) {
      sqlite3_finalize(st);
      return -1;
    }
    found = true;
  }
  if (rc != SQLITE_DONE) goto sqlfail;
  sqlite3_finalize(st);
  st = NULL;
  }
  if (nodule_id != 0 && !found) {
    lt_index_remove(idx, nodule_id);
    return 0;
  }
  if (sqlite3_prepare_v2(s, diag_sql, -1, &st, NULL) != SQLITE_OK) goto sqlfail;
  sqlite3_bind_int64(st, 1, nodule_id);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    lt_index_entry e;
    if (!lt_index_get(idx, sqlite3_column_int64(st, 0), &e)) continue;
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    e.label = !kind || !strcmp(kind, "unknown") ? LT_LABEL_NONE
              : !strcmp(kind, "benign")         ? LT_LABEL_BENIGN
                                                : LT_LABEL_MALIGNANT;
    e.confirmed = sqlite3_column_int(st, 2) != 0 && e.label != LT_LABEL_NONE;
    if (lt_index_put(idx, &e, err)) {
      sqlite3_finalize(st);
      return -1;
    }
  }
  if (rc != SQLITE_DONE) goto sqlfail;
  sqlite3_finalize(st);
  return 0;
sqlfail:
  lt_error_set(err, "database: %s", sqlite3_errmsg(s));
  sqlite3_finalize(st);
  return -1;
}
