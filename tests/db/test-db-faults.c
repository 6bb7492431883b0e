/* tests/db/test-db-faults.c — the database after an import dies at a write system call or meets a
 * full disk: it opens again, passes integrity_check, and holds either everything the import
 * committed or exactly what it held before, never a part and never a lockout.
 * strace injects the fault at the Nth pwrite64 (SQLite writes the database, its WAL and its
 * -shm through pwrite64 only): SIGKILL at N sampled over every write of `import-ratings` into a
 * new file and of `import` of LIDC-IDRI-0001 into a database holding the tables; ENOSPC from
 * the Nth write on (a disk that stays full); and, where mount -t tmpfs is allowed, a real full disk.
 * A dry run traced with -y tells, for each N, whether
 * the commit frame had reached the WAL (then everything must be there: the kill or the full disk
 * hit the checkpoint, which the parent commit's header check took for a truncated file).
 * Prints killed / reopened / intact / rows lost. Needs strace and ../shared/data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db.h"
#include "lt-test.h"

static char tmp[4096], ratings_dir[4096], study_dir[4096], cli[4200];

typedef struct {
  int64_t patients, nodules, attrs, diagnoses, contours, log;
  double sum;
} counts;

/* The database's rows; ok false when it cannot be opened or fails integrity_check. */
static counts take(const char *path, bool *ok, char *why, size_t n) {
  counts c = {-1, -1, -1, -1, -1, -1, 0};
  lt_db *db;
  lt_error err = {{0}};
  *ok = false;
  if (lt_db_open(path, &db, &err)) {
    snprintf(why, n, "%s", err.msg);
    return c;
  }
  lt_db_check_result r;
  if (lt_db_check(db, &r, &err) || !r.integrity_ok || r.foreign_key_errors) {
    snprintf(why, n, "check: %s %s", err.msg, r.integrity_msg);
    lt_db_close(db);
    return c;
  }
  c.patients = dbt_int(db, "SELECT count(*) FROM patients");
  c.nodules = dbt_int(db, "SELECT count(*) FROM nodules");
  c.attrs = dbt_int(db, "SELECT count(*) FROM attribute_sets");
  c.diagnoses = dbt_int(db, "SELECT count(*) FROM diagnoses");
  c.contours = dbt_int(db, "SELECT count(*) FROM contours");
  c.log = dbt_int(db, "SELECT count(*) FROM import_log");
  c.sum = dbt_real(db, "SELECT total(subtlety + margin + malignancy) FROM attribute_sets");
  lt_db_close(db);
  *ok = true;
  return c;
}

static bool same(counts a, counts b) {
  return a.patients == b.patients && a.nodules == b.nodules && a.attrs == b.attrs &&
         a.diagnoses == b.diagnoses && a.contours == b.contours && a.log == b.log &&
         a.sum == b.sum;
}

static int64_t rows(counts c) {
  return c.patients + c.nodules + c.attrs + c.diagnoses + c.contours + c.log;
}

static void copy(const char *from, const char *to) {
  char cmd[40000];
  snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'; cp '%s' '%s'", to, to, to, from, to);
  assert_int_equal(system(cmd), 0);
}

/* Traces one clean run: *n_writes pwrite64 calls, the WAL's last write at *last_wal (1-based). */
static void dry_run(const char *job, const char *db, int *n_writes, int *last_wal) {
  char cmd[40000], trace[4200];
  snprintf(trace, sizeof trace, "%s/dry.trace", tmp);
  /* LeakSanitizer cannot run under ptrace: off for the traced program in a sanitizer build */
  snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=0 strace -f -y -o '%s' -e trace=pwrite64 "
           "%s --db '%s' >/dev/null 2>&1",
           trace, job, db);
  assert_int_equal(system(cmd), 0);
  FILE *f = fopen(trace, "r");
  assert_non_null(f);
  char line[4096];
  *n_writes = *last_wal = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strstr(line, "pwrite64(")) continue;
    (*n_writes)++;
    if (strstr(line, "-wal>")) *last_wal = *n_writes;
  }
  fclose(f);
}

typedef struct {
  int killed, reopened, intact, rows_lost, committed_kept, committed;
} tally;

/* One faulted run of job on a copy of before_db (NULL: a new file), then a reopen. */
static void fault_run(const char *job, const char *before_db, const char *inject, int at,
                      bool committed, counts before, counts full, tally *t) {
  char db[4200], cmd[40000], why[300] = "";
  snprintf(db, sizeof db, "%s/fault.db", tmp);
  if (before_db) copy(before_db, db);
  else {
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
    assert_int_equal(system(cmd), 0);
  }
  snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=pwrite64 "
           "-e inject=pwrite64:%s %s --db '%s' >/dev/null 2>&1",
           inject, job, db);
  int rc = system(cmd);
  bool reported_ok = WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
  t->killed++;
  bool ok;
  counts c = take(db, &ok, why, sizeof why);
  if (!ok) {
    print_message("  %s at %d: not reopened: %s\n", inject, at, why);
    return;
  }
  t->reopened++;
  bool is_before = same(c, before) || (!before_db && rows(c) == 0);
  bool is_full = same(c, full);
  if (is_full || is_before) t->intact++;
  else {
    t->rows_lost++;
    print_message("  %s at %d: %lld rows, before %lld, full %lld\n", inject, at,
                  (long long)rows(c), (long long)rows(before), (long long)rows(full));
  }
  /* committed (the commit frame was in the WAL), or the job said it succeeded: all of it */
  if (committed || reported_ok) {
    t->committed++;
    if (is_full) t->committed_kept++;
    else print_message("  %s at %d: committed import lost (exit %d)\n", inject, at, rc);
  }
}

static void sweep(const char *name, const char *job, const char *before_db, int samples,
                  bool enospc) {
  char db[4200];
  snprintf(db, sizeof db, "%s/clean.db", tmp);
  if (before_db) copy(before_db, db);
  else unlink(db);
  int n, last_wal;
  dry_run(job, db, &n, &last_wal);
  assert_true(n > 10 && last_wal > 0 && last_wal < n);
  bool ok;
  char why[300];
  counts full = take(db, &ok, why, sizeof why);
  assert_true(ok);
  counts before = {0};
  if (before_db) {
    before = take(before_db, &ok, why, sizeof why);
    assert_true(ok);
  }
  tally t = {0};
  for (int i = 0; i < samples; i++) {
    /* spread over every write, with the checkpoint's writes (after last_wal) sampled densely */
    int at = i % 2 == 0 ? 1 + (int)((int64_t)(i / 2) * (last_wal - 1) / ((samples + 1) / 2))
                        : last_wal + 1 + (int)((int64_t)(i / 2) * (n - last_wal - 1) / (samples / 2));
    char inject[64];
    if (enospc) snprintf(inject, sizeof inject, "error=ENOSPC:when=%d+", at);
    else snprintf(inject, sizeof inject, "signal=KILL:when=%d", at);
    fault_run(job, before_db, inject, at, at > last_wal, before, full, &t);
  }
  print_message("%s: %d writes (commit at %d); %s %d / reopened %d / intact %d / rows lost %d; "
                "committed %d, all kept %d\n",
                name, n, last_wal, enospc ? "disk full" : "killed", t.killed, t.reopened,
                t.intact, t.rows_lost, t.committed, t.committed_kept);
  assert_int_equal(t.reopened, t.killed);
  assert_int_equal(t.intact, t.killed);
  assert_int_equal(t.committed_kept, t.committed);
  assert_true(t.committed > 0);
}

static void kill_sweep_import_ratings_new_file(void **state) {
  (void)state;
  char job[9000];
  snprintf(job, sizeof job, "'%s' import-ratings '%s'", cli, ratings_dir);
  sweep("import-ratings, new file", job, NULL, 20, false);
}

static char tables_db[4200];

static void kill_sweep_import_study_onto_tables(void **state) {
  (void)state;
  char job[9000];
  snprintf(job, sizeof job, "'%s' import-ratings '%s'", cli, ratings_dir);
  snprintf(tables_db, sizeof tables_db, "%s/tables.db", tmp);
  char cmd[40000];
  snprintf(cmd, sizeof cmd, "%s --db '%s' >/dev/null", job, tables_db);
  assert_int_equal(system(cmd), 0);
  snprintf(job, sizeof job, "'%s' import '%s'", cli, study_dir);
  sweep("import LIDC-IDRI-0001 onto the tables", job, tables_db, 4, false);
}

static void disk_full_sweep_import_ratings(void **state) {
  (void)state;
  char job[9000];
  snprintf(job, sizeof job, "'%s' import-ratings '%s'", cli, ratings_dir);
  sweep("import-ratings, new file", job, NULL, 8, true);
}

/* A real full disk where the system allows it (root, mount -t tmpfs): import-ratings into a new
 * file on a tmpfs of 1.5 to 7 MB (the tables' WAL is 3.8 MB, the checkpointed file 1.9 MB), then
 * a reopen on the still-full disk and another after the disk has room again. */
static void disk_full_tmpfs_import_ratings(void **state) {
  (void)state;
  char mnt[4200], db[4300], cmd[40000], why[300];
  snprintf(mnt, sizeof mnt, "%s/full", tmp);
  snprintf(db, sizeof db, "%s/x.db", mnt);
  mkdir(mnt, 0700);
  snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=1m tmpfs '%s' 2>/dev/null && umount '%s'", mnt,
           mnt);
  if (geteuid() != 0 || system(cmd) != 0) {
    print_message("skip: mount -t tmpfs not allowed here (ENOSPC sweep above stands in)\n");
    skip();
  }
  char clean[4300];
  snprintf(clean, sizeof clean, "%s/clean-tmpfs.db", tmp);
  unlink(clean);
  snprintf(cmd, sizeof cmd, "'%s' import-ratings '%s' --db '%s' >/dev/null 2>&1", cli,
           ratings_dir, clean);
  assert_int_equal(system(cmd), 0);
  bool ok;
  counts full = take(clean, &ok, why, sizeof why);
  assert_true(ok);
  static const int kb[] = {1536, 2560, 3584, 4608, 5120, 5632, 6144, 7168};
  int runs = 0, reopened = 0, intact = 0, lost = 0, said_ok = 0, kept = 0;
  for (size_t i = 0; i < sizeof kb / sizeof kb[0]; i++) {
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%dk,mode=0700 tmpfs '%s'", kb[i], mnt);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' import-ratings '%s' --db '%s' >/dev/null 2>&1", cli,
             ratings_dir, db);
    int rc = system(cmd);
    bool reported_ok = WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
    runs++;
    for (int pass = 0; pass < 2; pass++) {
      if (pass == 1) { /* room again: remount bigger, keeping the files */
        snprintf(cmd, sizeof cmd, "mount -o remount,size=16m '%s'", mnt);
        assert_int_equal(system(cmd), 0);
      }
      counts c = take(db, &ok, why, sizeof why);
      bool is_full = ok && same(c, full), is_before = ok && rows(c) == 0;
      if (pass == 0) {
        reopened += ok;
        intact += is_full || is_before;
        lost += ok && !is_full && !is_before;
        said_ok += reported_ok;
        kept += reported_ok && is_full;
      }
      if (!ok || !(is_full || is_before) || (reported_ok && !is_full))
        print_message("  tmpfs %d KiB (import exit %d), %s: %s\n", kb[i], WEXITSTATUS(rc),
                      pass ? "with room" : "still full", ok ? "rows differ" : why);
      if (!ok || !(is_full || is_before) || (reported_ok && !is_full)) {
        snprintf(cmd, sizeof cmd, "umount '%s'", mnt); /* not left mounted by a failure */
        if (system(cmd) != 0) print_message("  umount %s failed\n", mnt);
        fail_msg("tmpfs %d KiB: the database was locked out or lost rows", kb[i]);
      }
    }
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    assert_int_equal(system(cmd), 0);
  }
  print_message("import-ratings on a full tmpfs: runs %d / reopened %d / intact %d / rows lost %d; "
                "said it succeeded %d, all kept %d\n",
                runs, reopened, intact, lost, said_ok, kept);
}

int main(void) {
  if (system("strace -V >/dev/null 2>&1") != 0) {
    printf("skip: strace absent (it injects the faults)\n");
    return LT_TEST_SKIP;
  }
  if (!getenv("LT_BUILD_ROOT")) {
    printf("skip: LT_BUILD_ROOT not set (run through meson test)\n");
    return LT_TEST_SKIP;
  }
  if (!lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings/list3.2.csv") ||
      !lt_test_lidc0001_dir(study_dir, sizeof study_dir)) {
    printf("skip: ../shared/data (lidc-ratings, LIDC-IDRI-0001) absent\n");
    return LT_TEST_SKIP;
  }
  lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings");
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", getenv("LT_BUILD_ROOT"));
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kill_sweep_import_ratings_new_file),
      cmocka_unit_test(kill_sweep_import_study_onto_tables),
      cmocka_unit_test(disk_full_sweep_import_ratings),
      cmocka_unit_test(disk_full_tmpfs_import_ratings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
