/* tests/db/test-import-kill.c — a SIGKILL in the middle of an import leaves the database
 * consistent, with every earlier import intact and nothing of the killed one: a child process
 * imports the LIDC tables and is killed while its transaction is open (it signals from the
 * importer's progress callback after 1,000 nodules and then waits to be killed). The first
 * start's case too: a new database whose schema sits only in the WAL when the import dies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-index.h"
#include "lt-test.h"

static char ratings_dir[4096], tmp[4096], db_path[4200], bigger_dir[4200];

/* An earlier import: 200 nodules of a synthetic source with means and diagnoses, one transaction. */
static void earlier_import(lt_db *db) {
  lt_error err = {{0}};
  int64_t pid, nid;
  assert_int_equal(lt_db_begin(db, &err), 0);
  assert_int_equal(lt_db_put_patient(db, "EARLY-1", "test", &pid, &err), 0);
  for (int i = 0; i < 200; i++) {
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    char key[32];
    snprintf(key, sizeof key, "early-%d", i);
    n.patient_id = pid;
    n.source = "early";
    n.source_key = key;
    n.diameter_mm = 3 + i % 25;
    assert_int_equal(lt_db_put_nodule(db, &n, &nid, &err), 0);
    double ch[LT_NCHAR];
    for (int c = 0; c < LT_NCHAR; c++) ch[c] = 1 + (i + 2 * c) % 5;
    assert_int_equal(lt_db_put_attributes(db, nid, LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, &err), 0);
  }
  assert_int_equal(lt_db_commit(db, &err), 0);
}

typedef struct {
  int64_t nodules, attrs, diagnoses, patients, log;
  double attr_sum, diam_sum;
} snapshot;

static snapshot take(lt_db *db) {
  snapshot s = {
      .nodules = dbt_int(db, "SELECT count(*) FROM nodules"),
      .attrs = dbt_int(db, "SELECT count(*) FROM attribute_sets"),
      .diagnoses = dbt_int(db, "SELECT count(*) FROM diagnoses"),
      .patients = dbt_int(db, "SELECT count(*) FROM patients"),
      .log = dbt_int(db, "SELECT count(*) FROM import_log"),
      .attr_sum = dbt_real(db, "SELECT total(subtlety + sphericity + margin + lobulation +"
                               " spiculation + malignancy) FROM attribute_sets"),
      .diam_sum = dbt_real(db, "SELECT total(diameter_mm) FROM nodules"),
  };
  return s;
}

static void assert_same(snapshot a, snapshot b) {
  assert_int_equal(a.nodules, b.nodules);
  assert_int_equal(a.attrs, b.attrs);
  assert_int_equal(a.diagnoses, b.diagnoses);
  assert_int_equal(a.patients, b.patients);
  assert_int_equal(a.log, b.log);
  assert_true(a.attr_sum == b.attr_sum);
  assert_true(a.diam_sum == b.diam_sum);
}

static int signal_fd = -1;
static int pause_after(void *user, int done, int total) {
  (void)user;
  (void)total;
  if (done == 1000) {
    if (write(signal_fd, "x", 1) != 1) _exit(3);
    for (;;) pause(); /* inside the open transaction, until SIGKILL */
  }
  return 0;
}

/* Forks a child that imports dir into db_path and is killed mid-transaction. */
static void import_and_kill(const char *dir) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    signal_fd = fds[1];
    lt_db *db;
    lt_error err = {{0}};
    if (lt_db_open(db_path, &db, &err)) _exit(2);
    /* a tiny page cache: the open transaction spills its pages into the WAL file */
    if (lt_db_exec(db, "PRAGMA cache_size=16", &err)) _exit(2);
    lt_lidc_options opt = {.progress = pause_after};
    lt_lidc_report r;
    lt_import_lidc_ratings(db, dir, &opt, &r, &err);
    _exit(4); /* never reached when killed */
  }
  close(fds[1]);
  char c;
  assert_int_equal(read(fds[0], &c, 1), 1); /* the child is inside its transaction */
  /* its uncommitted pages are in the WAL by now or in its cache; kill it either way */
  assert_int_equal(kill(pid, SIGKILL), 0);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  close(fds[0]);
  char wal[4300];
  snprintf(wal, sizeof wal, "%s-wal", db_path);
  struct stat st;
  assert_int_equal(stat(wal, &st), 0);
  assert_true(st.st_size > 64 * 1024); /* uncommitted frames did reach the disk */
}

static void check_sound(lt_db *db) {
  lt_db_check_result r;
  lt_error err = {{0}};
  assert_int_equal(lt_db_check(db, &r, &err), 0);
  assert_true(r.integrity_ok);
  assert_int_equal(r.foreign_key_errors, 0);
  assert_int_equal(r.schema_version, lt_db_schema_version());
}

static void import_killed_first_time_leaves_earlier_data(void **state) {
  (void)state;
  unlink(db_path);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(db_path, &db, &err), 0);
  earlier_import(db);
  snapshot before = take(db);
  lt_db_close(db);
  import_and_kill(ratings_dir);
  assert_int_equal(lt_db_open(db_path, &db, &err), 0);
  check_sound(db);
  assert_same(take(db), before);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules WHERE source = 'lidc-list3.2'"), 0);
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  assert_int_equal(lt_index_size(idx), 200);
  /* and the import, run again to its end, works */
  lt_lidc_report r;
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules WHERE source = 'lidc-list3.2'"), r.list_rows);
  assert_int_equal(lt_index_size(idx), 200 + (size_t)r.nodules_with_attributes);
  check_sound(db);
  lt_db_close(db);
}

static void import_killed_while_updating_leaves_old_values(void **state) {
  (void)state;
  /* continues from the previous test's database: early data + a full LIDC import */
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(db_path, &db, &err), 0);
  snapshot before = take(db);
  assert_true(before.nodules > 2000);
  lt_db_close(db);
  import_and_kill(bigger_dir); /* every diameter +100 mm, upserted over the old rows */
  assert_int_equal(lt_db_open(db_path, &db, &err), 0);
  check_sound(db);
  assert_same(take(db), before);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules WHERE diameter_mm > 100"), 0);
  lt_db_close(db);
}

/* The application's first start: a new database is created and migrated, and the import of
 * the LIDC tables is killed before anything was checkpointed, so the main file's header still
 * says application_id 0 and the schema lives in the WAL only. It reopens as an empty LungTrust
 * database and the import then runs to its end. */
static void import_killed_on_a_new_database_reopens(void **state) {
  (void)state;
  char side[4300];
  unlink(db_path);
  snprintf(side, sizeof side, "%s-wal", db_path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", db_path);
  unlink(side);
  import_and_kill(ratings_dir);
  lt_db *db;
  lt_error err = {{0}};
  int rc = lt_db_open(db_path, &db, &err);
  if (rc) printf("reopen: %s\n", err.msg);
  assert_int_equal(rc, 0);
  check_sound(db);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules"), 0);
  lt_lidc_report r;
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules"), r.list_rows);
  check_sound(db);
  lt_db_close(db);
}

/* bigger_dir: the tables with every list3.2 eq. diam. increased by 100. */
static void make_bigger_copy(void) {
  snprintf(bigger_dir, sizeof bigger_dir, "%s/bigger", tmp);
  assert_int_equal(mkdir(bigger_dir, 0700), 0);
  char src[8400], dst[8400];
  static const char *const same[] = {"nodule_chara_list.csv", "tcia-diagnosis-2012-04-20.csv"};
  for (int f = 0; f < 2; f++) {
    snprintf(src, sizeof src, "%s/%s", ratings_dir, same[f]);
    snprintf(dst, sizeof dst, "%s/%s", bigger_dir, same[f]);
    size_t n;
    unsigned char *b = dbt_slurp(src, &n);
    assert_non_null(b);
    assert_int_equal(dbt_write(dst, b, n), 0);
    free(b);
  }
  snprintf(src, sizeof src, "%s/list3.2.csv", ratings_dir);
  snprintf(dst, sizeof dst, "%s/list3.2.csv", bigger_dir);
  FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
  assert_non_null(in);
  assert_non_null(out);
  char line[4096];
  for (int l = 0; fgets(line, sizeof line, in); l++) {
    if (l == 0) {
      fputs(line, out);
      continue;
    }
    char *f[32];
    int nf = 0;
    for (char *p = line; nf < 32;) {
      f[nf++] = p;
      char *comma = strchr(p, ',');
      if (!comma) break;
      *comma = 0;
      p = comma + 1;
    }
    for (int i = 0; i < nf; i++) {
      if (i == 5) fprintf(out, "%.3f", strtod(f[i], NULL) + 100);
      else fputs(f[i], out);
      if (i + 1 < nf) fputc(',', out);
    }
  }
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

int main(void) {
  if (!lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings/list3.2.csv")) {
    printf("skip: ../shared/data/lidc-ratings absent\n");
    return LT_TEST_SKIP;
  }
  lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings");
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  snprintf(db_path, sizeof db_path, "%s/kill.db", tmp);
  make_bigger_copy();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(import_killed_first_time_leaves_earlier_data),
      cmocka_unit_test(import_killed_while_updating_leaves_old_values),
      cmocka_unit_test(import_killed_on_a_new_database_reopens),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
