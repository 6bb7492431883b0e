/* db/lt-db.h — the LungTrust database file: opening, refusing, migrating, checking.
 * One SQLite file (WAL, foreign keys ON, PRAGMA application_id = LT_DB_APPLICATION_ID, schema
 * version in PRAGMA user_version). The schema is an ordered list of migrations (lt-db-schema.c);
 * opening a file of an older version applies the missing steps, each in its own transaction.
 * A file that is not SQLite, is SQLite of another application, is truncated, is corrupt
 * (integrity_check on a read-only connection at every open), or has a newer schema is refused
 * with one line, and it and its WAL are left byte for byte as they were (checked from the header
 * bytes, then through SQLite read-only, before SQLite opens it for writing). What SQLite
 * recovers (a WAL left by a process killed or a disk that filled before the checkpoint) is
 * recovered: the header is not trusted over the WAL. Once SQLite reports corruption on an open
 * lt_db (SQLITE_CORRUPT, SQLITE_NOTADB), every later write, begin and commit is refused.
 * A new file is made 0600 (its -wal and -shm too); folders made for it are 0700.
 * Does not know the tables' meaning: writing rows is lt-db-write.h, the LIDC tables are
 * lt-import-ratings.h, retrieval is lt-index.h. Plain C, no GLib. An lt_db (and its index) is
 * used by one thread at a time; another thread opens its own lt_db on the same file. */
#ifndef LT_DB_H
#define LT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

typedef struct sqlite3 sqlite3;
typedef struct lt_db lt_db;
typedef struct lt_index lt_index;

/* 'LTDB' */
#define LT_DB_APPLICATION_ID 0x4C544442

/* Number of migrations = current schema version. */
int lt_db_schema_version(void);
/* SQL of migration step v (1-based: the step that takes a database from v-1 to v), or NULL. */
const char *lt_db_migration_sql(int v);

/* $XDG_DATA_HOME/lungtrust/lungtrust.db, or ~/.local/share/lungtrust/lungtrust.db. */
int lt_db_default_path(char *buf, size_t n, lt_error *err);

/* Opens (or creates, with missing parent folders) the database at path; migrates an older schema.
 * path NULL: the default path. */
int lt_db_open(const char *path, lt_db **out, lt_error *err);
/* The same, but a missing (or empty) file is an error ("no database at PATH"), not a new one. */
int lt_db_open_existing(const char *path, lt_db **out, lt_error *err);
/* For `db check`: as lt_db_open_existing, but a corrupt file is opened read-only (no migration,
 * lt_db_is_corrupt true, every write refused) so that lt_db_check can report on it. */
int lt_db_open_for_check(const char *path, lt_db **out, lt_error *err);
/* SQLite reported corruption on this file (at open or since). */
bool lt_db_is_corrupt(const lt_db *db);
/* Fills err from the connection's last SQLite error; an SQLITE_CORRUPT or SQLITE_NOTADB marks db
 * corrupt and gives the refusal's line instead. Returns -1. For lt-db-*.c and the importers. */
int lt_db_sql_error(lt_db *db, lt_error *err);
void lt_db_close(lt_db *db);
sqlite3 *lt_db_sqlite(lt_db *db);
const char *lt_db_path(const lt_db *db);

typedef struct sqlite3_stmt sqlite3_stmt;
/* A prepared statement kept for the life of db, reset and with bindings cleared: slot < 32
 * names it (each caller owns its slots, listed in lt-db-write.c), sql is used on first call. */
sqlite3_stmt *lt_db_stmt(lt_db *db, int slot, const char *sql, lt_error *err);

/* Runs one SQL statement without results; fills err with the SQLite message on failure. Refused
 * once db is corrupt. */
int lt_db_exec(lt_db *db, const char *sql, lt_error *err);

/* An explicit write transaction (BEGIN IMMEDIATE). Writes made through lt-db-write.h inside it
 * reach the in-memory index only at lt_db_commit; lt_db_rollback forgets them. */
int lt_db_begin(lt_db *db, lt_error *err);
int lt_db_commit(lt_db *db, lt_error *err);
void lt_db_rollback(lt_db *db);
bool lt_db_in_transaction(const lt_db *db);

typedef struct {
  int schema_version;      /* PRAGMA user_version */
  int expected_version;    /* lt_db_schema_version() */
  bool integrity_ok;       /* PRAGMA integrity_check said "ok" */
  int foreign_key_errors;  /* rows of PRAGMA foreign_key_check */
  char integrity_msg[200]; /* first line of integrity_check when not ok */
  int64_t patients, nodules, attribute_sets, diagnoses, model_runs;
} lt_db_check_result;

/* integrity_check, foreign_key_check, schema version and row counts. */
int lt_db_check(lt_db *db, lt_db_check_result *r, lt_error *err);

/* The in-memory retrieval index, built from the database on first call and then kept in step
 * by every write made through lt-db-write.h and the importers. Owned by db; the pointer stays
 * valid until lt_db_close (after a large import it is rebuilt in place). Call it again before
 * a query that follows writes: it is free when the index is current. */
int lt_db_index(lt_db *db, lt_index **out, lt_error *err);
/* Marks the index stale: the next lt_db_index rebuilds it from the database, in place. */
void lt_db_index_drop(lt_db *db);
/* Records that a nodule's indexed data (attribute sets, diagnoses, size) changed: refreshed now
 * outside a transaction, at commit inside one. Used by lt-db-write.c. */
int lt_db_touch_nodule(lt_db *db, int64_t nodule_id, lt_error *err);

#endif
