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
#include <time.h>
#include <unistd.h>

#include "lt-index-sql.h"
#include "lt-index.h"
#include "lt-pseudonym.h"

struct lt_db {
  sqlite3 *sql;
  char *path;
  bool in_tx;
  bool corrupt;        /* SQLite reported corruption: nothing more is written */
  char corrupt_msg[96]; /* the first words of SQLite's report: the refusal is one line of lt_error */
  lt_index *index;
  bool index_stale; /* index must be rebuilt before use */
  int64_t *touched;
  size_t n_touched, cap_touched;
  sqlite3_stmt *stmts[32];
};

/* The one line a refused write gives once the file is known to be corrupt. */
static int refuse_corrupt(lt_db *db, lt_error *err) {
  return lt_error_set(err, "%s: corrupt database (%s); not writing to it (lungtrust-cli db check)",
                      db->path, db->corrupt_msg);
}

static bool is_corruption(int code) {
  return (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB;
}

int lt_db_sql_error(lt_db *db, lt_error *err) {
  int code = sqlite3_extended_errcode(db->sql);
  if (is_corruption(code) && !db->corrupt) {
    db->corrupt = true;
    snprintf(db->corrupt_msg, sizeof db->corrupt_msg, "%s", sqlite3_errmsg(db->sql));
  }
  if (db->corrupt) return refuse_corrupt(db, err);
  return lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
}

bool lt_db_is_corrupt(const lt_db *db) { return db->corrupt; }

sqlite3_stmt *lt_db_stmt(lt_db *db, int slot, const char *sql, lt_error *err) {
  if (db->corrupt) {
    refuse_corrupt(db, err);
    return NULL;
  }
  if (slot < 0 || slot >= 32) {
    lt_error_set(err, "database: statement slot %d", slot);
    return NULL;
  }
  sqlite3_stmt *st = db->stmts[slot];
  if (!st) {
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
      lt_db_sql_error(db, err);
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

static bool same_file_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static bool wal_present(const char *path) {
  char wal[PATH_MAX + 8];
  struct stat wst;
  snprintf(wal, sizeof wal, "%s-wal", path);
  return stat(wal, &wst) == 0 && wst.st_size > 0;
}

typedef struct {
  bool is_new;   /* absent or empty: a fresh database will be made */
  bool has_wal;  /* a non-empty -wal beside it: SQLite's view, not the header, decides */
  uint32_t app, version;
} header_info;

/* One look at the header. *stable: nothing changed while it was read (the file's size and
 * mtime, the WAL's presence), so the verdict is about one state of the file, not a mixture of a
 * writer's before and after (a checkpoint grows the file after it wrote page 1). */
static int header_once(const char *path, header_info *h, bool *stable, lt_error *err) {
  memset(h, 0, sizeof *h);
  *stable = true;
  bool wal0 = wal_present(path);
  struct stat st, st2;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) {
      h->is_new = true;
      return 0;
    }
    return lt_error_set(err, "%s: %s", path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return lt_error_set(err, "%s: not a regular file", path);
  if (st.st_size == 0) {
    h->is_new = true;
    *stable = !wal_present(path);
    return 0;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lt_error_set(err, "%s: %s", path, strerror(errno));
  unsigned char b[100];
  ssize_t got = read(fd, b, sizeof b);
  close(fd);
  *stable = stat(path, &st2) == 0 && same_file_state(&st, &st2) && wal_present(path) == wal0;
  h->has_wal = wal0;
  if (got != (ssize_t)sizeof b || memcmp(b, "SQLite format 3", 16) != 0)
    return lt_error_set(err, "%s: not a LungTrust database (not an SQLite file)", path);
  uint32_t page = (uint32_t)b[16] << 8 | b[17];
  if (page == 1) page = 65536;
  if (page < 512 || (page & (page - 1)))
    return lt_error_set(err, "%s: corrupt database (bad page size)", path);
  h->app = be32(b + 68);
  h->version = be32(b + 60);
  if (wal0) return 0;
  /* Without a WAL the file alone is the database: it must be as long as its header says. */
  uint32_t pages = be32(b + 28), change = be32(b + 24), valid_for = be32(b + 92);
  if ((uint64_t)st.st_size % page != 0 ||
      (pages > 0 && change == valid_for && (uint64_t)st.st_size < (uint64_t)pages * page))
    return lt_error_set(err, "%s: corrupt database (file is truncated)", path);
  if (h->app == 0 && h->version == 0) return 0; /* maybe a first start's: SQLite decides */
  if (h->app != LT_DB_APPLICATION_ID)
    return lt_error_set(err, "%s: not a LungTrust database (SQLite application_id 0x%08x)", path,
                        h->app);
  if (h->version > (uint32_t)lt_db_schema_version())
    return lt_error_set(err, "%s: database schema version %u is newer than this program's (%d)",
                        path, h->version, lt_db_schema_version());
  return 0;
}

/* Checks an existing file from its header bytes, before SQLite opens it at all. The header is
 * the last checkpoint's: with a WAL beside it (a process killed, or a disk that filled, before
 * the checkpoint finished) the file may be shorter than its header says and the stamp may sit
 * in the WAL only, so then check_with_sqlite decides on a read-only connection. A verdict read
 * while another process was writing is taken again (up to 2 s). */
static int check_header(const char *path, header_info *h, lt_error *err) {
  for (int attempt = 0;; attempt++) {
    bool stable;
    lt_error e = {{0}};
    int rc = header_once(path, h, &stable, &e);
    if (stable || attempt >= 200) {
      if (rc && err) *err = e;
      return rc;
    }
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
}

int lt_db_exec(lt_db *db, const char *sql, lt_error *err) {
  if (db->corrupt) return refuse_corrupt(db, err);
  char *msg = NULL;
  if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
    if (is_corruption(sqlite3_extended_errcode(db->sql))) {
      sqlite3_free(msg);
      return lt_db_sql_error(db, err);
    }
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

/* check_header's test through SQLite, which reads the WAL too (on check_with_sqlite's read-only
 * connection; on the read-write one only for a file this process found new or with a hot
 * journal of a first start). A file without the stamp is accepted only when it
 * holds no schema at all: an empty database a killed first start left behind, nothing to lose. */
static int check_stamp(lt_db *db, int *sql_code, lt_error *err) {
  int app, version, objects;
  *sql_code = SQLITE_OK;
  /* one read transaction, so the three come from one snapshot: a first start committing between
   * them would otherwise show a stamp of 0 beside a schema */
  if (sqlite3_exec(db->sql, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return lt_error_set(err, "database: %s", sqlite3_errmsg(db->sql));
  int rc = pragma_int(db, "PRAGMA application_id", &app, err) ||
           pragma_int(db, "PRAGMA user_version", &version, err) ||
           pragma_int(db, "SELECT count(*) FROM sqlite_master", &objects, err);
  if (rc) *sql_code = sqlite3_extended_errcode(db->sql); /* before COMMIT resets it */
  sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
  if (rc) return -1;
  if ((uint32_t)app != LT_DB_APPLICATION_ID && !(app == 0 && version == 0 && objects == 0))
    return lt_error_set(err, "not a LungTrust database (SQLite application_id 0x%08x)",
                        (uint32_t)app);
  if (version > lt_db_schema_version())
    return lt_error_set(err, "database schema version %d is newer than this program's (%d)",
                        version, lt_db_schema_version());
  return 0;
}

/* The missing schema steps, all in one BEGIN IMMEDIATE transaction, the version read again
 * under its lock: two first starts on one new file both see version 0 before either writes, and
 * the second must then find the schema made, not make it again. */
static int migrate(lt_db *db, lt_error *err) {
  int version;
  if (pragma_int(db, "PRAGMA user_version", &version, err)) return -1;
  if (version >= lt_db_schema_version()) return 0;
  if (lt_db_exec(db, "BEGIN IMMEDIATE", err)) return -1;
  int from = version;
  if (pragma_int(db, "PRAGMA user_version", &version, err)) goto fail;
  if (version > lt_db_schema_version()) {
    lt_error_set(err, "database schema version %d is newer than this program's (%d)", version,
                 lt_db_schema_version());
    goto fail;
  }
  for (int v = version + 1; v <= lt_db_schema_version(); v++) {
    if (lt_db_exec(db, lt_db_migration_sql(v), err)) {
      lt_error_prefix(err, "migrating to schema version %d", v);
      goto fail;
    }
  }
  char pragma[96];
  snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; PRAGMA application_id=%d;",
           lt_db_schema_version(), (int)LT_DB_APPLICATION_ID);
  if (lt_db_exec(db, pragma, err) || lt_db_exec(db, "COMMIT", err)) goto fail;
  /* Migration 3 rewrote the unkeyed pseudonyms (secure_delete zeroed them in the pages); a
   * checkpoint that empties the WAL takes the old pages' copies out of it too. */
  if (from >= 1 && from < 3 && version < 3)
    sqlite3_exec(db->sql, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  return 0;
fail:
  sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

/* SQL functions migration 3 calls (lt-db-schema.c): a fresh key, and a schema-2 pseudonym
 * rewritten under it (lt-pseudonym.h). */
static void sql_new_key(sqlite3_context *c, int n, sqlite3_value **v) {
  (void)n, (void)v;
  uint8_t key[LT_PSEUDONYM_KEY_SIZE];
  lt_error err = {{0}};
  if (lt_pseudonym_new_key(key, &err)) {
    sqlite3_result_error(c, err.msg, -1);
    return;
  }
  sqlite3_result_blob(c, key, sizeof key, SQLITE_TRANSIENT);
}

static void sql_rekey(sqlite3_context *c, int n, sqlite3_value **v) {
  (void)n;
  const char *old = (const char *)sqlite3_value_text(v[0]);
  const void *key = sqlite3_value_blob(v[1]);
  if (!key || sqlite3_value_bytes(v[1]) != LT_PSEUDONYM_KEY_SIZE) {
    sqlite3_result_error(c, "no pseudonym key", -1);
    return;
  }
  char buf[64];
  if (old && lt_pseudonym_rekey_legacy(key, old, buf, sizeof buf))
    sqlite3_result_text(c, buf, -1, SQLITE_TRANSIENT);
  else
    sqlite3_result_value(c, v[0]);
}

/* PRAGMA journal_mode=WAL. Switching a new file needs its exclusive lock, and SQLite answers
 * SQLITE_BUSY at once, without the busy handler, when two first starts both hold a read lock
 * and ask: the one told busy waits and asks again (up to 5 s); the other's switch is then done. */
static int journal_wal(lt_db *db, lt_error *err) {
  for (int attempt = 0;; attempt++) {
    int rc = sqlite3_exec(db->sql, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc == SQLITE_OK) return 0;
    if ((rc & 0xff) != SQLITE_BUSY || attempt >= 500) return lt_db_sql_error(db, err);
    nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
  }
}

typedef enum { OPEN_CREATE, OPEN_EXISTING, OPEN_CHECK } open_mode;

/* integrity_check's verdict: 0 sound, 1 corrupt (msg: its first line), -1 could not run. */
static int integrity(sqlite3 *s, char *msg, size_t n, lt_error *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    bool ok = t && !strcmp(t, "ok");
    snprintf(msg, n, "integrity_check: %s", t ? t : "?");
    for (char *c = msg; *c; c++)
      if (*c == '\n') *c = ' ';
    sqlite3_finalize(st);
    return ok ? 0 : 1;
  }
  int code = sqlite3_extended_errcode(s);
  snprintf(msg, n, "%s", sqlite3_errmsg(s));
  sqlite3_finalize(st);
  if (is_corruption(code)) return 1;
  return lt_error_set(err, "database: %s", sqlite3_errmsg(s));
}

/* An existing file through SQLite, read-only: its stamp, schema version and integrity_check.
 * A read-only connection reads the WAL (rebuilding only the -shm index) but writes neither the
 * database nor its WAL and does not checkpoint at close, so a foreign or corrupt file, and its
 * WAL, stay byte for byte as they were. *keep: in OPEN_CHECK mode a corrupt file's connection,
 * handed to the caller so that db check can report on it without writing. Returns 1 when a
 * read-only connection cannot look (a hot rollback journal of our own first start): the caller
 * checks on its read-write connection instead. */
static int check_with_sqlite(const char *path, open_mode mode, lt_db *db, lt_error *err) {
  lt_db ro = {.path = db->path};
  if (sqlite3_open_v2(path, &ro.sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    lt_error_set(err, "%s: %s", path, ro.sql ? sqlite3_errmsg(ro.sql) : "cannot open");
    sqlite3_close(ro.sql);
    return -1;
  }
  sqlite3_busy_timeout(ro.sql, 5000);
  sqlite3_extended_result_codes(ro.sql, 1);
  sqlite3_db_config(ro.sql, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
  int code;
  int rc = check_stamp(&ro, &code, err);
  if (rc && (code & 0xff) == SQLITE_READONLY) {
    sqlite3_close(ro.sql);
    return 1;
  }
  if (rc && is_corruption(code)) {
    db->corrupt = true;
    snprintf(db->corrupt_msg, sizeof db->corrupt_msg, "%s", sqlite3_errmsg(ro.sql));
    rc = 0;
  }
  if (rc == 0 && !db->corrupt) {
    int v = integrity(ro.sql, db->corrupt_msg, sizeof db->corrupt_msg, err);
    if (v < 0) rc = -1;
    db->corrupt = v == 1;
  }
  if (rc == 0 && db->corrupt && mode == OPEN_CHECK) {
    db->sql = ro.sql; /* db check reports on it; nothing is written */
    return 0;
  }
  sqlite3_close(ro.sql);
  if (rc == 0 && db->corrupt)
    return lt_error_set(err, "%s: corrupt database (%s); not reading or writing it (lungtrust-cli "
                        "db check)", path, db->corrupt_msg);
  if (rc) lt_error_prefix(err, "%s", path);
  return rc;
}

static int db_open(const char *path, open_mode mode, lt_db **out, lt_error *err);

int lt_db_open(const char *path, lt_db **out, lt_error *err) {
  return db_open(path, OPEN_CREATE, out, err);
}

int lt_db_open_existing(const char *path, lt_db **out, lt_error *err) {
  return db_open(path, OPEN_EXISTING, out, err);
}

int lt_db_open_for_check(const char *path, lt_db **out, lt_error *err) {
  return db_open(path, OPEN_CHECK, out, err);
}

/* Closes a connection that must leave the file as it found it: no checkpoint at close. */
static void refuse_close(lt_db *db) {
  if (db->sql) sqlite3_db_config(db->sql, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
  lt_db_close(db);
}

static int db_open(const char *path, open_mode mode, lt_db **out, lt_error *err) {
  *out = NULL;
  char def[PATH_MAX];
  if (!path) {
    if (lt_db_default_path(def, sizeof def, err)) return -1;
    path = def;
  }
  header_info h;
  if (check_header(path, &h, err)) return -1;
  if (h.is_new && mode != OPEN_CREATE)
    return lt_error_set(err, "no database at %s (import something first, or give --db)", path);
  if (h.is_new && mkdir_parents(path, err)) return -1;
  lt_db *db = calloc(1, sizeof *db);
  if (!db || !(db->path = strdup(path))) {
    free(db);
    return lt_error_set(err, "out of memory");
  }
  bool checked = false;
  if (!h.is_new) {
    int rc = check_with_sqlite(path, mode, db, err);
    if (rc < 0) {
      lt_db_close(db);
      return -1;
    }
    if (db->sql) { /* OPEN_CHECK of a corrupt file: read-only, no migration */
      *out = db;
      return 0;
    }
    checked = rc == 0;
  } else {
    /* Made here 0600 whatever the umask: SQLite gives its -wal and -shm the database's mode. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    else if (errno != EEXIST) {
      lt_error_set(err, "%s: %s", path, strerror(errno));
      lt_db_close(db);
      return -1;
    }
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
    lt_error_set(err, "%s: %s", path, db->sql ? sqlite3_errmsg(db->sql) : "cannot open");
    refuse_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db->sql, 5000);
  sqlite3_extended_result_codes(db->sql, 1);
  int fk;
  int code;
  if ((!checked && check_stamp(db, &code, err)) || lt_db_exec(db, "PRAGMA foreign_keys=ON", err) ||
      pragma_int(db, "PRAGMA foreign_keys", &fk, err)) {
    lt_error_prefix(err, "%s", path);
    refuse_close(db);
    return -1;
  }
  if (sqlite3_create_function(db->sql, "lt_new_key", 0, SQLITE_UTF8, NULL, sql_new_key, NULL,
                              NULL) != SQLITE_OK ||
      sqlite3_create_function(db->sql, "lt_rekey_pseudonym", 2,
                              SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_rekey, NULL,
                              NULL) != SQLITE_OK) {
    lt_error_set(err, "%s: %s", path, sqlite3_errmsg(db->sql));
    refuse_close(db);
    return -1;
  }
  /* journal_mode=WAL writes the header only when the mode changes (new or migrated files).
   * secure_delete: a deleted or rewritten row (a pseudonym, a name) is zeroed, not left in a
   * free page. */
  if (journal_wal(db, err) || lt_db_exec(db, "PRAGMA synchronous=NORMAL", err) ||
      lt_db_exec(db, "PRAGMA cache_size=-32768", err) ||
      lt_db_exec(db, "PRAGMA secure_delete=ON", err) || migrate(db, err)) {
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
  if (db->corrupt) return refuse_corrupt(db, err);
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
      rc = lt_index_sql_load(db->sql, db->index, 0, err);
    } else {
      for (size_t i = 0; i < db->n_touched && rc == 0; i++)
        rc = lt_index_sql_load(db->sql, db->index, db->touched[i], err);
    }
    if (rc) lt_db_index_drop(db); /* never leave a half-updated index */
    if (rc && is_corruption(sqlite3_extended_errcode(db->sql))) lt_db_sql_error(db, err);
  }
  db->n_touched = 0;
  return rc;
}

int lt_db_commit(lt_db *db, lt_error *err) {
  if (!db->in_tx) return lt_error_set(err, "database: no transaction open");
  /* SQLite reported corruption inside the transaction: what it wrote may rest on bad pages. */
  if (db->corrupt) {
    lt_db_rollback(db);
    return refuse_corrupt(db, err);
  }
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
    if (lt_index_sql_load(db->sql, db->index, nodule_id, &ignored)) lt_db_index_drop(db);
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
    if (lt_index_sql_load(db->sql, db->index, 0, err)) {
      lt_index_clear(db->index);
      if (is_corruption(sqlite3_extended_errcode(db->sql))) lt_db_sql_error(db, err);
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
