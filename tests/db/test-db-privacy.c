/* tests/db/test-db-privacy.c — what the database file gives away.
 * A new database is 0600 under umask 022, its -wal and -shm too, and the folders made for it
 * 0700. A schema-2 database (made here by SQL, as the parent commit's code made it) with an
 * unkeyed pseudonym "P-" + FNV-1a 64 of PatientID is migrated to schema 3: a 32-byte random key
 * in table secrets, the pseudonym rewritten to "P-" + 24 hex digits of HMAC-SHA-256(key,
 * "lt-pseudonym-1:" + those FNV digits) (computed here with nettle itself), an LIDC-IDRI id kept,
 * and the old pseudonym's bytes gone from the file. Two databases give one PatientID two
 * different pseudonyms (their keys differ). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <nettle/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db.h"
#include "lt-test.h"

static char tmp[4096];

static unsigned mode_of(const char *p) {
  struct stat st;
  if (stat(p, &st) != 0) fail_msg("%s: absent", p);
  return st.st_mode & 0777;
}

static void new_database_is_private(void **state) {
  (void)state;
  umask(022);
  char dir[4200], sub[4300], p[4400], side[4500];
  snprintf(dir, sizeof dir, "%s/home", tmp);
  snprintf(sub, sizeof sub, "%s/lungtrust", dir);
  snprintf(p, sizeof p, "%s/lungtrust.db", sub);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  assert_int_equal(lt_db_exec(db, "CREATE TEMP TABLE t(x); INSERT INTO t VALUES(1)", &err), 0);
  assert_int_equal(mode_of(p), 0600);
  snprintf(side, sizeof side, "%s-wal", p);
  assert_int_equal(mode_of(side), 0600);
  snprintf(side, sizeof side, "%s-shm", p);
  assert_int_equal(mode_of(side), 0600);
  assert_int_equal(mode_of(dir), 0700);
  assert_int_equal(mode_of(sub), 0700);
  lt_db_close(db);
}

/* Schema 2's pseudonym of id. */
static void legacy(const char *id, char *buf, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (const char *s = id; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  snprintf(buf, n, "P-%016llx", (unsigned long long)h);
}

/* Schema 3's, from the key, with nettle directly. */
static void keyed(const uint8_t *key, const char *legacy_pseudonym, char *buf, size_t n) {
  char msg[64];
  snprintf(msg, sizeof msg, "lt-pseudonym-1:%s", legacy_pseudonym + 2);
  struct hmac_sha256_ctx c;
  hmac_sha256_set_key(&c, 32, key);
  hmac_sha256_update(&c, strlen(msg), (const uint8_t *)msg);
  uint8_t mac[32];
  hmac_sha256_digest(&c, 32, mac);
  int w = snprintf(buf, n, "P-");
  for (int i = 0; i < 12; i++) w += snprintf(buf + w, n - (size_t)w, "%02x", mac[i]);
}

static void make_v2(const char *p, const char *legacy_pseudonym) {
  unlink(p);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
  char sql[512];
  snprintf(sql, sizeof sql,
           "PRAGMA user_version=2; PRAGMA application_id=%d;"
           "INSERT INTO patients(id, pseudonym, source) VALUES(1, '%s', 'study'),"
           " (2, 'LIDC-IDRI-0001', 'lidc');"
           "INSERT INTO nodules(id, patient_id, source, source_key) VALUES(5, 1, 'lidc-xml', 'k');",
           (int)LT_DB_APPLICATION_ID, legacy_pseudonym);
  assert_int_equal(sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, lt_db_migration_sql(1), NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, lt_db_migration_sql(2), NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(s);
}

static void v2_pseudonyms_migrated_to_keyed(void **state) {
  (void)state;
  char old[32], p[4200], q[4200];
  legacy("PAT-0042", old, sizeof old);
  snprintf(p, sizeof p, "%s/v2.db", tmp);
  snprintf(q, sizeof q, "%s/v2-other.db", tmp);
  make_v2(p, old);
  make_v2(q, old);
  size_t n;
  unsigned char *bytes = dbt_slurp(p, &n);
  assert_non_null(memmem(bytes, n, old, strlen(old))); /* the old pseudonym is in the file */
  free(bytes);
  char got[2][64], want[64];
  for (int k = 0; k < 2; k++) {
    lt_db *db;
    lt_error err = {{0}};
    assert_int_equal(lt_db_open(k ? q : p, &db, &err), 0);
    assert_true(dbt_int(db, "PRAGMA user_version") >= 3);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(lt_db_sqlite(db),
                                        "SELECT value FROM secrets WHERE name = 'pseudonym-key'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), 32);
    keyed(sqlite3_column_blob(st, 0), old, want, sizeof want);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(lt_db_sqlite(db),
                                        "SELECT pseudonym FROM patients ORDER BY id", -1, &st,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(got[k], sizeof got[k], "%s", (const char *)sqlite3_column_text(st, 0));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "LIDC-IDRI-0001");
    sqlite3_finalize(st);
    assert_string_equal(got[k], want);
    assert_int_equal(dbt_int(db, "SELECT patient_id FROM nodules WHERE id = 5"), 1);
    lt_db_close(db);
  }
  assert_string_not_equal(got[0], got[1]); /* two databases, two keys */
  bytes = dbt_slurp(p, &n);
  if (memmem(bytes, n, old, strlen(old))) fail_msg("the unkeyed pseudonym is still in the file");
  if (memmem(bytes, n, old + 2, 16)) fail_msg("the FNV digits are still in the file");
  free(bytes);
  char wal[4300];
  snprintf(wal, sizeof wal, "%s-wal", p);
  unsigned char *w = dbt_slurp(wal, &n);
  if (w && memmem(w, n, old, strlen(old))) fail_msg("the unkeyed pseudonym is in the WAL");
  free(w);
}

int main(void) {
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_database_is_private),
      cmocka_unit_test(v2_pseudonyms_migrated_to_keyed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
