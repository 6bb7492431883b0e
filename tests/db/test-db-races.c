/* tests/db/test-db-races.c — processes meeting on one database file.
 * Two first starts on one new file, released together, both succeed (20 rounds); readers that
 * open the file again and again while a first start makes it never call it corrupt or foreign
 * (a missing or still empty file is "no database", which is true); another application's SQLite
 * database with a live WAL is refused, and it and its WAL stay byte for byte as they were (the
 * parent commit let SQLite checkpoint the WAL into it and delete it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-test.h"

static char tmp[4096];

static void rm_db(const char *p) {
  char side[4400];
  unlink(p);
  snprintf(side, sizeof side, "%s-wal", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", p);
  unlink(side);
}

/* A first start: opens (creates) the file and writes a patient and 50 nodules. */
static int first_start(const char *p, const char *who) {
  lt_db *db;
  lt_error err = {{0}};
  if (lt_db_open(p, &db, &err)) {
    fprintf(stderr, "%s: open: %s\n", who, err.msg);
    return 1;
  }
  int64_t pid, nid;
  if (lt_db_begin(db, &err) || lt_db_put_patient(db, who, "test", &pid, &err)) goto fail;
  for (int i = 0; i < 50; i++) {
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    char key[64];
    snprintf(key, sizeof key, "%s-%d", who, i);
    n.patient_id = pid;
    n.source = "race";
    n.source_key = key;
    if (lt_db_put_nodule(db, &n, &nid, &err)) goto fail;
  }
  if (lt_db_commit(db, &err)) goto fail;
  lt_db_close(db);
  return 0;
fail:
  fprintf(stderr, "%s: %s\n", who, err.msg);
  lt_db_close(db);
  return 1;
}

static void two_first_starts_both_succeed(void **state) {
  (void)state;
  int failed = 0;
  for (int round = 0; round < 20; round++) {
    char p[4200];
    snprintf(p, sizeof p, "%s/first-%d.db", tmp, round);
    rm_db(p);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
      kids[k] = fork();
      assert_true(kids[k] >= 0);
      if (kids[k] == 0) {
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) < 0) _exit(2); /* released when the parent closes the pipe */
        _exit(first_start(p, k ? "B" : "A"));
      }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < 2; k++) {
      int st;
      waitpid(kids[k], &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
    }
    lt_db *db;
    lt_error err = {{0}};
    assert_int_equal(lt_db_open_existing(p, &db, &err), 0);
    if (dbt_int(db, "SELECT count(*) FROM nodules") != 100) failed++;
    lt_db_close(db);
  }
  print_message("two first starts: %d of 40 failed\n", failed);
  assert_int_equal(failed, 0);
}

static void readers_during_creation_never_see_corrupt(void **state) {
  (void)state;
  int bad = 0, opened = 0, absent = 0;
  for (int round = 0; round < 30; round++) {
    char p[4200], done[4300];
    snprintf(p, sizeof p, "%s/busy-%d.db", tmp, round);
    snprintf(done, sizeof done, "%s/busy-%d.done", tmp, round);
    rm_db(p);
    unlink(done);
    int res[2];
    assert_int_equal(pipe(res), 0);
    pid_t readers[3];
    for (int r = 0; r < 3; r++) {
      readers[r] = fork();
      assert_true(readers[r] >= 0);
      if (readers[r] == 0) {
        close(res[0]);
        int counts[3] = {0, 0, 0}; /* bad, opened, absent */
        struct stat st;
        for (int it = 0; it < 20000 && stat(done, &st) != 0; it++) {
          lt_db *db;
          lt_error err = {{0}};
          if (lt_db_open_existing(p, &db, &err) == 0) {
            counts[1]++;
            lt_db_close(db);
          } else if (strstr(err.msg, "no database at")) {
            counts[2]++;
          } else {
            counts[0]++;
            fprintf(stderr, "reader: %s\n", err.msg);
          }
        }
        if (write(res[1], counts, sizeof counts) != sizeof counts) _exit(2);
        _exit(0);
      }
    }
    close(res[1]);
    nanosleep(&(struct timespec){.tv_nsec = 2 * 1000 * 1000}, NULL);
    assert_int_equal(first_start(p, "creator"), 0);
    FILE *f = fopen(done, "w");
    fclose(f);
    for (int r = 0; r < 3; r++) {
      int counts[3];
      assert_int_equal(read(res[0], counts, sizeof counts), (ssize_t)sizeof counts);
      bad += counts[0];
      opened += counts[1];
      absent += counts[2];
      waitpid(readers[r], NULL, 0);
    }
    close(res[0]);
  }
  print_message("readers during creation: %d opened, %d found no database yet, %d refused\n",
                opened, absent, bad);
  assert_int_equal(bad, 0);
  assert_true(opened > 0);
}

static void foreign_database_with_live_wal_stays_unchanged(void **state) {
  (void)state;
  char p[4200], wal[4300];
  snprintf(p, sizeof p, "%s/foreign.db", tmp);
  snprintf(wal, sizeof wal, "%s-wal", p);
  rm_db(p);
  sqlite3 *s;
  assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                                   "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
                                   "INSERT INTO notes(body) VALUES('theirs'), ('only in the WAL');",
                                   NULL, NULL, NULL),
                   SQLITE_OK);
  /* the other application still has it open: its WAL is live */
  size_t n0, w0;
  unsigned char *db0 = dbt_slurp(p, &n0), *wal0 = dbt_slurp(wal, &w0);
  assert_non_null(db0);
  assert_non_null(wal0);
  assert_true(w0 > 0);
  lt_db *db = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), -1);
  if (!strstr(err.msg, "not a LungTrust database")) fail_msg("said '%s'", err.msg);
  assert_int_equal(lt_db_open_existing(p, &db, &err), -1);
  /* and once the other application has gone, leaving its WAL behind */
  assert_int_equal(sqlite3_db_config(s, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL), SQLITE_OK);
  sqlite3_close(s);
  assert_int_equal(lt_db_open(p, &db, &err), -1);
  if (!strstr(err.msg, "not a LungTrust database")) fail_msg("said '%s'", err.msg);
  size_t n1, w1;
  unsigned char *db1 = dbt_slurp(p, &n1), *wal1 = dbt_slurp(wal, &w1);
  assert_non_null(db1);
  if (!wal1) fail_msg("the foreign WAL was deleted");
  assert_int_equal(n0, n1);
  assert_memory_equal(db0, db1, n0);
  assert_int_equal(w0, w1);
  assert_memory_equal(wal0, wal1, w0);
  free(db0), free(db1), free(wal0), free(wal1);
}

int main(void) {
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(two_first_starts_both_succeed),
      cmocka_unit_test(readers_during_creation_never_see_corrupt),
      cmocka_unit_test(foreign_database_with_live_wal_stays_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
