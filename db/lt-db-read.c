/* db/lt-db-read.c — see lt-db-read.h. */
#include "lt-db-read.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double col_real(sqlite3_stmt *st, int c) {
  return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static void col_text(sqlite3_stmt *st, int c, char *buf, size_t n) {
  const unsigned char *t = sqlite3_column_text(st, c);
  snprintf(buf, n, "%s", t ? (const char *)t : "");
}

int lt_db_nodule_get(lt_db *db, int64_t id, lt_db_nodule_info *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  sqlite3 *s = lt_db_sqlite(db);
  sqlite3_stmt *st;
  /* the same preference as lt-index-sql.c: a confirmed diagnosis first, then the latest */
  if (sqlite3_prepare_v2(
          s,
          "SELECT n.id, n.patient_id, p.pseudonym, n.source, n.source_key, n.x_mm, n.y_mm, n.z_mm,"
          " n.diameter_mm, n.volume_mm3, d.kind, d.basis FROM nodules n JOIN patients p ON"
          " p.id = n.patient_id LEFT JOIN diagnoses d ON d.id = (SELECT id FROM diagnoses WHERE"
          " nodule_id = n.id ORDER BY basis IN ('resection','biopsy','stability','progression')"
          " DESC, id DESC LIMIT 1) WHERE n.id = ?1",
          -1, &st, NULL) != SQLITE_OK)
    return lt_db_sql_error(db, err);
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    out->patient_id = sqlite3_column_int64(st, 1);
    col_text(st, 2, out->pseudonym, sizeof out->pseudonym);
    col_text(st, 3, out->source, sizeof out->source);
    col_text(st, 4, out->source_key, sizeof out->source_key);
    out->x_mm = col_real(st, 5);
    out->y_mm = col_real(st, 6);
    out->z_mm = col_real(st, 7);
    out->diameter_mm = col_real(st, 8);
    out->volume_mm3 = col_real(st, 9);
    col_text(st, 10, out->diagnosis, sizeof out->diagnosis);
    col_text(st, 11, out->basis, sizeof out->basis);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return 0;
  if (rc == SQLITE_DONE) return lt_error_set(err, "no nodule %lld", (long long)id);
  return lt_db_sql_error(db, err);
}

int lt_db_thumbnail_get(lt_db *db, int64_t nodule_id, const char *kind, void **png, size_t *n,
                        lt_error *err) {
  *png = NULL;
  *n = 0;
  sqlite3 *s = lt_db_sqlite(db);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s, "SELECT png FROM thumbnails WHERE nodule_id = ?1 AND kind = ?2", -1,
                         &st, NULL) != SQLITE_OK)
    return lt_db_sql_error(db, err);
  sqlite3_bind_int64(st, 1, nodule_id);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    int len = sqlite3_column_bytes(st, 0);
    const void *b = sqlite3_column_blob(st, 0);
    if (len > 0 && b) {
      *png = malloc((size_t)len);
      if (!*png) {
        sqlite3_finalize(st);
        return lt_error_set(err, "out of memory");
      }
      memcpy(*png, b, (size_t)len);
      *n = (size_t)len;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return lt_db_sql_error(db, err);
  return 0;
}
