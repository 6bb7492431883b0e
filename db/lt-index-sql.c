/* db/lt-index-sql.c — see lt-index-sql.h. */
#include "lt-index-sql.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
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

#define DIAG_COLS \
  "SELECT nodule_id, kind, basis IN ('resection','biopsy','stability','progression') FROM diagnoses"
#define DIAG_ORDER " ORDER BY basis IN ('resection','biopsy','stability','progression'), id"
static const char diag_all_sql[] = DIAG_COLS " WHERE nodule_id IS NOT NULL" DIAG_ORDER;
static const char diag_one_sql[] = DIAG_COLS " WHERE nodule_id = ?1" DIAG_ORDER;

static const char readers_mean_all_sql[] =
    "SELECT a.nodule_id, 0, 0, a.subtlety, a.sphericity, a.margin, a.lobulation, a.spiculation,"
    " a.malignancy FROM attribute_sets a WHERE +a.kind = 'readers_mean'" ATTRS_KNOWN
    " ORDER BY a.id";

/* Nodules' patient and diameter by id, for a full load: one sequential scan instead of a b-tree
 * search per attribute set. */
typedef struct {
  int64_t n; /* ids 1..n-1 */
  int64_t *patient;
  float *diam;
  uint32_t *slot; /* index slot + 1 of each nodule put so far (bulk load into an empty index) */
} nodule_table;

static void table_free(nodule_table *t) {
  free(t->patient);
  free(t->diam);
  free(t->slot);
  t->patient = NULL;
  t->diam = NULL;
  t->slot = NULL;
}

/* Puts e: through the slot table when bulk loading (no hashing), else lt_index_put. */
static int put(lt_index *idx, nodule_table *t, const lt_index_entry *e, lt_error *err) {
  if (!t->slot) return lt_index_put(idx, e, err);
  if (e->nodule_id <= 0 || e->nodule_id >= t->n) return 0; /* no such nodule */
  uint32_t s = t->slot[e->nodule_id];
  if (s) return lt_index_overwrite(idx, s - 1, e, err);
  size_t at;
  if (lt_index_append(idx, e, &at, err)) return -1;
  t->slot[e->nodule_id] = (uint32_t)at + 1;
  return 0;
}

static bool get(lt_index *idx, nodule_table *t, int64_t id, lt_index_entry *e) {
  if (!t->slot) return lt_index_get(idx, id, e);
  if (id <= 0 || id >= t->n || !t->slot[id]) return false;
  lt_index_entry_at(idx, t->slot[id] - 1, e);
  return true;
}

static int read_nodules(sqlite3 *s, nodule_table *t, lt_error *err) {
  sqlite3_stmt *st;
  memset(t, 0, sizeof *t);
  if (sqlite3_prepare_v2(s, "SELECT max(id) FROM nodules", -1, &st, NULL) != SQLITE_OK)
    return lt_error_set(err, "database: %s", sqlite3_errmsg(s));
  int64_t max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (max < 0 || max > (int64_t)1 << 27) return 1; /* too sparse: use the join */
  t->n = max + 1;
  t->patient = calloc((size_t)t->n, sizeof *t->patient);
  t->diam = malloc((size_t)t->n * sizeof *t->diam);
  t->slot = calloc((size_t)t->n, sizeof *t->slot);
  if (!t->patient || !t->diam || !t->slot) {
    table_free(t);
    return lt_error_set(err, "index: out of memory");
  }
  if (sqlite3_prepare_v2(s, "SELECT id, patient_id, diameter_mm FROM nodules", -1, &st, NULL) !=
      SQLITE_OK)
    goto fail;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    if (id <= 0 || id >= t->n) continue;
    t->patient[id] = sqlite3_column_int64(st, 1);
    t->diam[id] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 2);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return 0;
fail:
  lt_error_set(err, "database: %s", sqlite3_errmsg(s));
  table_free(t);
  return -1;
}

int lt_index_sql_load(sqlite3 *s, lt_index *idx, int64_t nodule_id, lt_error *err) {
  sqlite3_stmt *st = NULL;
  bool found = false;
  int rc;
  nodule_table nt = {0};
  bool use_table = false;
  if (nodule_id == 0) {
    /* an upper bound of the entries, from the b-tree's last rowid (no scan) */
    if (sqlite3_prepare_v2(s, "SELECT max(id) FROM attribute_sets", -1, &st, NULL) != SQLITE_OK)
      goto sqlfail;
    size_t most = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    st = NULL;
    if (most > lt_index_size(idx) && lt_index_reserve(idx, most, err)) return -1;
    int r = read_nodules(s, &nt, err);
    if (r < 0) return -1;
    use_table = r == 0;
    if (use_table && lt_index_size(idx) != 0) { /* not a bulk load: ids may be there already */
      free(nt.slot);
      nt.slot = NULL;
    }
  }
  for (int pass = 0; pass < 2; pass++) {
    bool table = use_table && pass == 1;
    const char *sql = nodule_id ? attrs_one_sql
                      : pass == 0 ? attrs_user_sql
                      : table     ? readers_mean_all_sql
                                  : attrs_all_sql;
    if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK) goto sqlfail;
    if (nodule_id) sqlite3_bind_int64(st, 1, nodule_id);
    if (!table) sqlite3_bind_text(st, 2, pass == 0 ? "user" : "readers_mean", -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      lt_index_entry e = {.nodule_id = sqlite3_column_int64(st, 0), .label = LT_LABEL_NONE};
      if (table) {
        if (e.nodule_id <= 0 || e.nodule_id >= nt.n) continue; /* no such nodule */
        e.patient_id = nt.patient[e.nodule_id];
        e.diameter_mm = nt.diam[e.nodule_id];
      } else {
        e.patient_id = sqlite3_column_int64(st, 1);
        e.diameter_mm = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN
                                                                  : (float)sqlite3_column_double(st, 2);
      }
      for (int d = 0; d < LT_NATTR; d++) e.attr[d] = (float)sqlite3_column_double(st, 3 + d);
      if (put(idx, &nt, &e, err)) goto fail;
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
  if (sqlite3_prepare_v2(s, nodule_id ? diag_one_sql : diag_all_sql, -1, &st, NULL) != SQLITE_OK)
    goto sqlfail;
  if (nodule_id) sqlite3_bind_int64(st, 1, nodule_id);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    lt_index_entry e;
    if (!get(idx, &nt, sqlite3_column_int64(st, 0), &e)) continue;
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    e.label = !kind || !strcmp(kind, "unknown") ? LT_LABEL_NONE
              : !strcmp(kind, "benign")         ? LT_LABEL_BENIGN
                                                : LT_LABEL_MALIGNANT;
    e.confirmed = sqlite3_column_int(st, 2) != 0 && e.label != LT_LABEL_NONE;
    if (put(idx, &nt, &e, err)) goto fail;
  }
  if (rc != SQLITE_DONE) goto sqlfail;
  sqlite3_finalize(st);
  table_free(&nt);
  return 0;
sqlfail:
  lt_error_set(err, "database: %s", sqlite3_errmsg(s));
fail:
  sqlite3_finalize(st);
  table_free(&nt);
  return -1;
}
