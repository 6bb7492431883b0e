/* db/lt-db.c — see lt-db.h. */
#include "lt-db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lt-index-sql.h"
#include "lt-index.h"

struct lt_db {
  sqlite3 *sql;
  char *path;
  bool in_tx;
  lt_index *index;
  bool index_stale; /* index must be rebuilt before use */
  int64_t *touched;
  size_t n_touched, cap_touched;
  sqlite3_stmt *stmts[32];
};

sqlite3_stmt *lt_db_stmt(lt_db *db, int slot, const char *sql, lt_error *err) {
  if (slot < 0 || slot >= 32) {
    lt_error_set(err, "database: statement slot %d", slot);
    return NULL;
  }
  sqlite3_stmt *st = db->stmts[slot];
  if (!st) {
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
      lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
      return NULL;
    }
    db->stmts[slot] = st;
  } else {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  return st;
}

sqlite3 *lt_db_sqlite(lt_db *db) { return db->sql; }
const char *lt_db_path(const lt_db *db) { return db->path; }
bool lt_db_in_transaction(const lt_db *db) { return db->in_tx; }

int lt_db_default_path(char *buf, size_t n, lt_error *err) {
  const char *xdg = getenv("XDG_DATA_HOME");
  int w;
  if (xdg && xdg[0] == '/') {
    w = snprintf(buf, n, "%s/lungtrust/lungtrust.db", xdg);
  } else {
    const char *home = getenv("HOME");
    if (!home || !home[0]) return lt_error_set(err, "no database path: set --db, XDG_DATA_HOME or HOME");
    w = snprintf(buf, n, "%s/.local/share/lungtrust/lungtrust.db", home);
  }
  if (w < 0 || (size_t)w >= n) return lt_error_set(err, "database path too long");
  return 0;
}

static int mkdir_parents(const char *path, lt_error *err) {
  char tmp[PATH_MAX];
  if (strlen(path) >= sizeof tmp) return lt_error_set(err, "database path too long");
  strcpy(tmp, path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
      return lt_error_set(err, "cannot create folder %s: %s", tmp, strerror(errno));
    *p = '/';
  }
  return 0;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks an existing file from its header without letting SQLite write to it.
 * *is_new: the file is absent or empty (a fresh database will be made).
 * *recheck: the header cannot tell, check_stamp must decide once SQLite has it open. The header
 * is the last checkpoint's: a first start killed before any checkpoint leaves application_id 0
 * there while the schema and the stamp sit committed in the WAL beside it. */
static int check_header(const char *path, bool *is_new, bool *recheck, lt_error *err) {
  *is_new = false;
  *recheck = false;
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) {
      *is_new = true;
      return 0;
    }
    return lt_error_set(err, "%s: %s", path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return lt_error_set(err, "%s: not a regular file", path);
  if (st.st_size == 0) {
    *is_new = true;
    return 0;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lt_error_set(err, "%s: %s", path, strerror(errno));
  unsigned char h[100];
  ssize_t got = read(fd, h, sizeof h);
  close(fd);
  if (got != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
    return lt_error_set(err, "%s: not a LungTrust database (not an SQLite file)", path);
  uint32_t page = (uint32_t)h[16] << 8 | h[17];
  if (page == 1) page = 65536;
  if (page < 512 || (page & (page - 1)))
    return lt_error_set(err, "%s: corrupt database (bad page size)", path);
  uint32_t app = be32(h + 68), version = be32(h + 60);
  uint32_t pages = be32(h + 28), change = be32(h + 24), valid_for = be32(h + 92);
  if ((uint64_t)st.st_size % page != 0 ||
      (pages > 0 && change == valid_for && (uint64_t)st.st_size < (uint64_t)pages * page))
    return lt_error_set(err, "%s: corrupt database (file is truncated)", path);
  char wal[PATH_MAX + 8];
  struct stat wst;
  snprintf(wal, sizeof wal, "%s-wal", path);
  bool has_wal = stat(wal, &wst) == 0 && wst.st_size > 0;
  if (has_wal || (app == 0 && version == 0)) {
    *recheck = true;
    return 0;
  }
  if (app != LT_DB_APPLICATION_ID)
    return lt_error_set(err, "%s: not a LungTrust database (SQLite application_id 0x%08x)", path,
                        app);
  if (version > (uint32_t)lt_db_schema_version())
    return lt_error_set(err, "%s: database schema version %u is newer than this program's (%d)",
                        path, version, lt_db_schema_version());
  return 0;
}

int lt_db_exec(lt_db *db, const char *sql, lt_error *err) {
  char *msg = NULL;
  if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
    lt_error_set(err, "database: %s", msg ? msg : sqlite3_errmsg(db->sql));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int pragma_int(lt_db *db, const char *sql, int *out, lt_error *err) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
    return lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
    sqlite3_finalize(st);
    return -1;
  }
  *out = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return 0;
}

/* check_header's test through SQLite, which reads the WAL too (reading writes nothing, short of
 * SQLite's own recovery of a hot journal). A file without the stamp is accepted only when it
 * holds no schema at all: an empty database a killed first start left behind, nothing to lose. */
static int check_stamp(lt_db *db, lt_error *err) {
  int app, version, objects;
  if (pragma_int(db, "PRAGMA application_id", &app, err) ||
      pragma_int(db, "PRAGMA user_version", &version, err) ||
      pragma_int(db, "SELECT count(*) FROM sqlite_master", &objects, err))
    return -1;
  if ((uint32_t)app != LT_DB_APPLICATION_ID && !(app == 0 && version == 0 && objects == 0))
    return lt_error_set(err, "not a LungTrust database (SQLite application_id 0x%08x)",
                        (uint32_t)app);
  if (version > lt_db_schema_version())
    return lt_error_set(err, "database schema version %d is newer than this program's (%d)",
                        version, lt_db_schema_version());
  return 0;
}

static int migrate(lt_db *db, lt_error *err) {
  int version;
  if (pragma_int(db, "PRAGMA user_version", &version, err)) return -1;
  for (int v = version + 1; v <= lt_db_schema_version(); v++) {
    char pragma[96];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; PRAGMA application_id=%d;", v,
             (int)LT_DB_APPLICATION_ID);
    if (lt_db_exec(db, "BEGIN IMMEDIATE", err)) return -1;
    if (lt_db_exec(db, lt_db_migration_sql(v), err) || lt_db_exec(db, pragma, err) ||
        lt_db_exec(db, "COMMIT", err)) {
      lt_error_prefix(err, "migrating to schema version %d", v);
      sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
  }
  return 0;
}

static int db_open(const char *path, bool must_exist, lt_db **out, lt_error *err);

int lt_db_open(const char *path, lt_db **out, lt_error *err) {
  return db_open(path, false, out, err);
}

int lt_db_open_existing(const char *path, lt_db **out, lt_error *err) {
  return db_open(path, true, out, err);
}

static int db_open(const char *path, bool must_exist, lt_db **out, lt_error *err) {
  *out = NULL;
  char def[PATH_MAX];
  if (!path) {
    if (lt_db_default_path(def, sizeof def, err)) return -1;
    path = def;
  }
  bool is_new, recheck;
  if (check_header(path, &is_new, &recheck, err)) return -1;
  if (is_new && must_exist)
    return lt_error_set(err, "no database at %s (import something first, or give --db)", path);
  if (is_new && mkdir_parents(path, err)) return -1;
  lt_db *db = calloc(1, sizeof *db);
  if (!db || !(db->path = strdup(path))) {
    free(db);
    return lt_error_set(err, "out of memory");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (is_new ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
    lt_error_set(err, "%s: %s", path, db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
    lt_db_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db->sql, 5000);
  sqlite3_extended_result_codes(db->sql, 1);
  int fk;
  if ((recheck && check_stamp(db, err)) || lt_db_exec(db, "PRAGMA foreign_keys=ON", err) ||
      pragma_int(db, "PRAGMA foreign_keys", &fk, err)) {
    lt_error_prefix(err, "%s", path);
    lt_db_close(db);
    return -1;
  }
  /* journal_mode=WAL writes the header only when the mode changes (new or migrated files). */
  if (lt_db_exec(db, "PRAGMA journal_mode=WAL", err) || lt_db_exec(db, "PRAGMA synchronous=NORMAL", err) ||
      lt_db_exec(db, "PRAGMA cache_size=-32768", err) ||
      migrate(db, err)) {
    lt_error_prefix(err, "%s", path);
    lt_db_close(db);
    return -1;
  }
  *out = db;
  return 0;
}

void lt_db_close(lt_db *db) {
  if (!db) return;
  for (int i = 0; i < 32; i++) sqlite3_finalize(db->stmts[i]);
  if (db->in_tx) lt_db_rollback(db);
  sqlite3_close_v2(db->sql);
  lt_index_free(db->index);
  free(db->touched);
  free(db->path);
  free(db);
}

int lt_db_begin(lt_db *db, lt_error *err) {
  if (db->in_tx) return lt_error_set(err, "database: transaction already open");
  if (lt_db_exec(db, "BEGIN IMMEDIATE", err)) return -1;
  db->in_tx = true;
  db->n_touched = 0;
  return 0;
}

static int refresh_touched(lt_db *db, lt_error *err) {
  int rc = 0;
  if (db->index && !db->index_stale && db->n_touched > 0) {
    /* Many changes: one rebuild is cheaper than point queries. */
    if (db->n_touched > 4096 && db->n_touched > lt_index_size(db->index) / 4) {
      lt_index_clear(db->index);
      rc = lt_index_sql_load(db, db->index, 0, err);
    } else {
      for (size_t i = 0; i < db->n_touched && rc == 0; i++)
        rc = lt_index_sql_load(db, db->index, db->touched[i], err);
    }
    if (rc) lt_db_index_drop(db); /* never leave a half-updated index */
  }
  db->n_touched = 0;
  return rc;
}

int lt_db_commit(lt_db *db, lt_error *err) {
  if (!db->in_tx) return lt_error_set(err, "database: no transaction open");
  if (lt_db_exec(db, "COMMIT", err)) {
    lt_db_rollback(db);
    return -1;
  }
  db->in_tx = false;
  lt_error ignored;
  refresh_touched(db, &ignored); /* the data is committed; a failed refresh drops the index */
  return 0;
}

void lt_db_rollback(lt_db *db) {
  if (!db->in_tx) return;
  sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
  db->in_tx = false;
  db->n_touched = 0;
}

int lt_db_touch_nodule(lt_db *db, int64_t nodule_id, lt_error *err) {
  if (!db->index || db->index_stale) return 0;
  if (!db->in_tx) {
    lt_error ignored;
    if (lt_index_sql_load(db, db->index, nodule_id, &ignored)) lt_db_index_drop(db);
    return 0; /* the write itself succeeded; a stale index is rebuilt by lt_db_index */
  }
  if (db->n_touched == db->cap_touched) {
    size_t cap = db->cap_touched ? db->cap_touched * 2 : 256;
    int64_t *t = realloc(db->touched, cap * sizeof *t);
    if (!t) return lt_error_set(err, "out of memory");
    db->touched = t;
    db->cap_touched = cap;
  }
  db->touched[db->n_touched++] = nodule_id;
  return 0;
}

int lt_db_index(lt_db *db, lt_index **out, lt_error *err) {
  if (!db->index) {
    if (!(db->index = lt_index_new())) return lt_error_set(err, "out of memory");
    db->index_stale = true;
  }
  if (db->index_stale) {
    lt_index_clear(db->index);
    if (lt_index_sql_load(db, db->index, 0, err)) {
      lt_index_clear(db->index);
      return -1;
    }
    db->index_stale = false;
  }
  *out = db->index;
  return 0;
}

void lt_db_index_drop(lt_db *db) {
  if (!db->index) return;
  lt_index_clear(db->index);
  db->index_stale = true;
}

static int64_t count_rows(lt_db *db, const char *table) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
  sqlite3_stmt *st;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

int lt_db_check(lt_db *db, lt_db_check_result *r, lt_error *err) {
  memset(r, 0, sizeof *r);
  r->expected_version = lt_db_schema_version();
  if (pragma_int(db, "PRAGMA user_version", &r->schema_version, err)) return -1;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db->sql, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
    return lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *s = (const char *)sqlite3_column_text(st, 0);
    r->integrity_ok = s && !strcmp(s, "ok");
    snprintf(r->integrity_msg, sizeof r->integrity_msg, "%s", s ? s : "");
  } else {
    r->integrity_ok = false;
    snprintf(r->integrity_msg, sizeof r->integrity_msg, "%s", sqlite3_errmsg(db->sql));
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db->sql, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
    return lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) r->foreign_key_errors++;
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) r->integrity_ok = false;
  r->patients = count_rows(db, "patients");
  r->nodules = count_rows(db, "nodules");
  r->attribute_sets = count_rows(db, "attribute_sets");
  r->diagnoses = count_rows(db, "diagnoses");
  r->model_runs = count_rows(db, "model_runs");
  return 0;
}
