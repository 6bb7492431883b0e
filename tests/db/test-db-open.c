/* tests/db/test-db-open.c — opening the database file: corrupt and foreign files refused with one
 * line and left byte-for-byte unchanged (library and CLI), a v1 database migrated with its data
 * kept, a new file in WAL mode with foreign keys and our application_id, the XDG default path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-index.h"
#include "lt-test.h"

static char tmp[4096];

static void path_in_tmp(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", tmp, name);
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* A LungTrust database with a patient, a nodule and a readers' mean. */
static void make_lungtrust_db(const char *path, int nodules) {
  lt_db *db;
  lt_error err = {{0}};
  unlink(path);
  assert_int_equal(lt_db_open(path, &db, &err), 0);
  int64_t pid, nid;
  assert_int_equal(lt_db_put_patient(db, "P-1", "test", &pid, &err), 0);
  assert_int_equal(lt_db_begin(db, &err), 0);
  for (int i = 0; i < nodules; i++) {
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    char key[32];
    snprintf(key, sizeof key, "n%d", i);
    n.patient_id = pid;
    n.source = "test";
    n.source_key = key;
    n.diameter_mm = 5 + i % 20;
    assert_int_equal(lt_db_put_nodule(db, &n, &nid, &err), 0);
    double ch[LT_NCHAR];
    for (int c = 0; c < LT_NCHAR; c++) ch[c] = 1 + (i + c) % 5;
    assert_int_equal(lt_db_put_attributes(db, nid, LT_ATTRS_READERS_MEAN, "t", 4, NULL, ch, NULL, &err), 0);
  }
  assert_int_equal(lt_db_commit(db, &err), 0);
  lt_db_close(db);
}

static void make_foreign_sqlite(const char *path) {
  unlink(path);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
                                   "INSERT INTO notes(body) VALUES('not ours'), ('really');",
                                   NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(s);
}

/* Opens path through the library and through `lungtrust-cli db check`; both must refuse with one
 * line containing expect, and the file and its folder must be as before. */
static void expect_refused(const char *path, const char *expect) {
  size_t n0, n1;
  unsigned char *before = dbt_slurp(path, &n0);
  assert_non_null(before);
  lt_db *db = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(path, &db, &err), -1);
  assert_null(db);
  if (!strstr(err.msg, expect) || strchr(err.msg, '\n'))
    fail_msg("%s: message '%s' lacks '%s'", path, err.msg, expect);
  char cmd[9000], out[8400];
  path_in_tmp(out, sizeof out, "cli-stderr.txt");
  snprintf(cmd, sizeof cmd, "'%s/app/lungtrust-cli' db check --db '%s' >/dev/null 2>'%s'",
           getenv("LT_BUILD_ROOT"), path, out);
  int rc = system(cmd);
  assert_true(WIFEXITED(rc));
  assert_int_equal(WEXITSTATUS(rc), 1);
  size_t ne;
  char *msg = (char *)dbt_slurp(out, &ne);
  assert_non_null(msg);
  msg[ne] = 0;
  int lines = 0;
  for (size_t i = 0; i < ne; i++) lines += msg[i] == '\n';
  if (lines != 1 || !strstr(msg, expect)) fail_msg("CLI said '%s'", msg);
  free(msg);
  unsigned char *after = dbt_slurp(path, &n1);
  assert_non_null(after);
  assert_int_equal(n0, n1);
  assert_memory_equal(before, after, n0);
  char side[8400];
  snprintf(side, sizeof side, "%s-wal", path);
  assert_false(exists(side));
  snprintf(side, sizeof side, "%s-shm", path);
  assert_false(exists(side));
  free(before);
  free(after);
}

static void db_refuses_corrupt_and_foreign_files_unchanged(void **state) {
  (void)state;
  char p[4200];
  /* random bytes */
  path_in_tmp(p, sizeof p, "random.bin");
  unsigned char rnd[8192];
  srand(7);
  for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (unsigned char)(rand() >> 7);
  assert_int_equal(dbt_write(p, rnd, sizeof rnd), 0);
  expect_refused(p, "not an SQLite file");
  /* a text file */
  path_in_tmp(p, sizeof p, "notes.txt");
  const char *text = "patient,nodule\nLIDC-IDRI-0001,1\nthis is a text file, not a database\n";
  assert_int_equal(dbt_write(p, text, strlen(text)), 0);
  expect_refused(p, "not an SQLite file");
  /* another application's SQLite database */
  path_in_tmp(p, sizeof p, "other-app.sqlite");
  make_foreign_sqlite(p);
  expect_refused(p, "not a LungTrust database (SQLite application_id");
  /* a truncated LungTrust database (a real one, cut in half at a page boundary and not) */
  path_in_tmp(p, sizeof p, "truncated.db");
  make_lungtrust_db(p, 3000);
  size_t n;
  unsigned char *whole = dbt_slurp(p, &n);
  assert_non_null(whole);
  assert_true(n > 16 * 4096);
  assert_int_equal(dbt_write(p, whole, n / 2 / 4096 * 4096), 0);
  expect_refused(p, "truncated");
  assert_int_equal(dbt_write(p, whole, n / 2 + 100), 0);
  expect_refused(p, "truncated");
  /* a header that is ours but with a broken page size */
  path_in_tmp(p, sizeof p, "badpage.db");
  whole[16] = 0x03;
  whole[17] = 0x00;
  assert_int_equal(dbt_write(p, whole, n), 0);
  expect_refused(p, "bad page size");
  free(whole);
  /* damage inside a LungTrust database (header intact): db check finds it, exits 1, and the file
   * is not written */
  path_in_tmp(p, sizeof p, "damaged.db");
  make_lungtrust_db(p, 3000);
  whole = dbt_slurp(p, &n);
  assert_non_null(whole);
  for (size_t i = 8 * 4096; i < 10 * 4096; i++) whole[i] ^= 0x5a;
  assert_int_equal(dbt_write(p, whole, n), 0);
  {
    char cmd[9000], errf[4300];
    path_in_tmp(errf, sizeof errf, "check.txt");
    snprintf(cmd, sizeof cmd, "'%s/app/lungtrust-cli' db check --db '%s' >'%s' 2>&1",
             getenv("LT_BUILD_ROOT"), p, errf);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    size_t ne;
    char *msg = (char *)dbt_slurp(errf, &ne);
    assert_non_null(msg);
    msg[ne] = 0;
    if (!strstr(msg, "database check failed") && !strstr(msg, "malformed"))
      fail_msg("db check said '%s'", msg);
    free(msg);
    size_t n2;
    unsigned char *after = dbt_slurp(p, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(after, whole, n);
    free(after);
  }
  free(whole);
  /* a LungTrust database from a newer program */
  path_in_tmp(p, sizeof p, "newer.db");
  make_lungtrust_db(p, 2);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, "PRAGMA journal_mode=DELETE; PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(s);
  expect_refused(p, "newer");
}

static void db_migrates_v1_keeping_data(void **state) {
  (void)state;
  char p[4200];
  path_in_tmp(p, sizeof p, "v1.db");
  unlink(p);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
  char pragma[128];
  snprintf(pragma, sizeof pragma, "PRAGMA user_version=1; PRAGMA application_id=%d;",
           (int)LT_DB_APPLICATION_ID);
  assert_int_equal(sqlite3_exec(s, lt_db_migration_sql(1), NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, pragma, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(s,
                   "INSERT INTO patients(id, pseudonym, source) VALUES(1, 'OLD-1', 'v1');"
                   "INSERT INTO nodules(id, patient_id, source, source_key, diameter_mm)"
                   " VALUES(7, 1, 'v1', 'a', 12.5);"
                   "INSERT INTO attribute_sets(nodule_id, kind, source_key, subtlety, sphericity,"
                   " margin, lobulation, spiculation, malignancy)"
                   " VALUES(7, 'readers_mean', 'v1', 4, 3, 2, 1, 5, 4.5);"
                   "INSERT INTO diagnoses(patient_id, nodule_id, kind, basis, source, source_key)"
                   " VALUES(1, 7, 'primary', 'resection', 'v1', 'd');",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(s);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  lt_db_check_result r;
  assert_int_equal(lt_db_check(db, &r, &err), 0);
  assert_int_equal(r.schema_version, lt_db_schema_version());
  assert_true(r.schema_version >= 2);
  assert_true(r.integrity_ok);
  assert_int_equal(r.foreign_key_errors, 0);
  assert_int_equal(r.patients, 1);
  assert_int_equal(r.nodules, 1);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'model_runs'"), 1);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM model_runs"), 0);
  assert_true(fabs(dbt_real(db, "SELECT diameter_mm FROM nodules WHERE id = 7") - 12.5) < 1e-12);
  /* the migrated data is retrievable, and new tables are writable */
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  lt_index_entry e;
  assert_true(lt_index_get(idx, 7, &e));
  assert_true(e.confirmed);
  assert_int_equal(e.label, LT_LABEL_MALIGNANT);
  assert_true(fabs(e.attr[5] - 4.5) < 1e-6);
  lt_db_model_run run = {.nodule_id = 7, .weights_hash = "sha256:abc", .probability = 0.8,
                         .scores = {4, 3, 2, 1, 5, 4}, .cam_inside = 0.9, .ood_score = NAN,
                         .uncertainty = 0.1};
  assert_int_equal(lt_db_add_model_run(db, &run, NULL, &err), 0);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM model_runs WHERE weights_hash = 'sha256:abc'"), 1);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets WHERE kind = 'model'"), 1);
  lt_db_close(db);
  /* opening again migrates nothing more */
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  assert_int_equal(dbt_int(db, "PRAGMA user_version"), lt_db_schema_version());
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM model_runs"), 1);
  lt_db_close(db);
}

static void db_new_file_is_wal_with_foreign_keys(void **state) {
  (void)state;
  char p[4200];
  path_in_tmp(p, sizeof p, "sub/dir/new.db");
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  sqlite3 *s = lt_db_sqlite(db);
  assert_int_equal(dbt_int(db, "PRAGMA application_id"), LT_DB_APPLICATION_ID);
  assert_int_equal(dbt_int(db, "PRAGMA foreign_keys"), 1);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  /* a nodule of a patient that does not exist is refused by the foreign key */
  lt_db_nodule n;
  lt_db_nodule_init(&n);
  n.patient_id = 42;
  n.source = "x";
  n.source_key = "y";
  assert_int_equal(lt_db_put_nodule(db, &n, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "FOREIGN KEY"));
  lt_db_close(db);
}

static void db_default_path_follows_xdg(void **state) {
  (void)state;
  char xdg[4200], want[4300], got[4300];
  path_in_tmp(xdg, sizeof xdg, "xdg");
  setenv("XDG_DATA_HOME", xdg, 1);
  lt_error err = {{0}};
  assert_int_equal(lt_db_default_path(got, sizeof got, &err), 0);
  snprintf(want, sizeof want, "%s/lungtrust/lungtrust.db", xdg);
  assert_string_equal(got, want);
  lt_db *db;
  assert_int_equal(lt_db_open(NULL, &db, &err), 0);
  assert_string_equal(lt_db_path(db), want);
  lt_db_close(db);
  assert_true(exists(want));
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/someone", 1);
  assert_int_equal(lt_db_default_path(got, sizeof got, &err), 0);
  assert_string_equal(got, "/home/someone/.local/share/lungtrust/lungtrust.db");
}

int main(void) {
  if (!getenv("LT_BUILD_ROOT")) {
    printf("skip: LT_BUILD_ROOT not set (run through meson test)\n");
    return LT_TEST_SKIP;
  }
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(db_refuses_corrupt_and_foreign_files_unchanged),
      cmocka_unit_test(db_migrates_v1_keeping_data),
      cmocka_unit_test(db_new_file_is_wal_with_foreign_keys),
      cmocka_unit_test(db_default_path_follows_xdg),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
