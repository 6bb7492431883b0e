/* tests/db/test-db-integrity.c — a corrupt database is neither written nor answered from.
 * Byte-flipped copies of a LungTrust database that integrity_check flags (the first 8 of a fixed
 * series of flips past the header) are refused by lt_db_open and lt_db_open_existing (what
 * import, import-ratings, analyze --db and retrieve call), by `lungtrust-cli import` and
 * `retrieve`, and reported by `db check` (exit 1), each with one line, each copy byte for byte
 * as before (SQLite's read-only look may leave an empty -wal and a -shm index beside it). And corruption that SQLite meets only after a clean open (pages spoilt under an open
 * connection) stops every later begin and write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-read.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-test.h"

static char tmp[4096], cli[4200], study[4096];

/* A LungTrust database of 3,000 nodules (attribute sets, diagnoses), closed: no WAL. */
static void make_db(const char *path) {
  lt_db *db;
  lt_error err = {{0}};
  unlink(path);
  assert_int_equal(lt_db_open(path, &db, &err), 0);
  int64_t pid, nid;
  assert_int_equal(lt_db_begin(db, &err), 0);
  for (int i = 0; i < 3000; i++) {
    if (i % 10 == 0) {
      char name[32];
      snprintf(name, sizeof name, "T-%d", i / 10);
      assert_int_equal(lt_db_put_patient(db, name, "test", &pid, &err), 0);
    }
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    char key[32];
    snprintf(key, sizeof key, "n%d", i);
    n.patient_id = pid;
    n.source = "test";
    n.source_key = key;
    n.diameter_mm = 4 + i % 20;
    assert_int_equal(lt_db_put_nodule(db, &n, &nid, &err), 0);
    double ch[LT_NCHAR];
    for (int c = 0; c < LT_NCHAR; c++) ch[c] = 1 + (i + c) % 5;
    assert_int_equal(
        lt_db_put_attributes(db, nid, LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, &err), 0);
    if (i % 7 == 0)
      assert_int_equal(lt_db_put_diagnosis(db, pid, nid, LT_DX_BENIGN, LT_BASIS_RESECTION, "t",
                                           key, NULL, &err),
                       0);
  }
  assert_int_equal(lt_db_commit(db, &err), 0);
  lt_db_close(db);
}

/* integrity_check through a read-only, immutable SQLite connection (writes nothing). */
static bool sqlite_flags(const char *path) {
  char uri[4400];
  snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
  sqlite3 *s;
  bool bad = true;
  if (sqlite3_open_v2(uri, &s, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        bad = !t || strcmp(t, "ok") != 0;
      }
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(s);
  return bad;
}

/* Runs a CLI command; it must exit 1 with one line on stderr containing want. */
static void cli_refuses(const char *args, const char *want) {
  char cmd[20000], out[4300];
  snprintf(out, sizeof out, "%s/cli-err.txt", tmp);
  snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", cli, args, out);
  int rc = system(cmd);
  assert_true(WIFEXITED(rc));
  size_t n;
  char *msg = (char *)dbt_slurp(out, &n);
  assert_non_null(msg);
  msg[n] = 0;
  int lines = 0;
  for (size_t i = 0; i < n; i++) lines += msg[i] == '\n';
  if (WEXITSTATUS(rc) != 1 || lines != 1 || !strstr(msg, want))
    fail_msg("%s: exit %d, said '%s' (wanted '%s')", args, WEXITSTATUS(rc), msg, want);
  free(msg);
}

static void byte_flipped_copies_refused_unchanged(void **state) {
  (void)state;
  char base[4200];
  snprintf(base, sizeof base, "%s/sound.db", tmp);
  make_db(base);
  size_t n;
  unsigned char *sound = dbt_slurp(base, &n);
  assert_non_null(sound);
  const size_t page = 4096, pages = n / page;
  assert_true(pages > 20);
  int flagged = 0, tried = 0;
  for (int k = 0; flagged < 8 && k < 64; k++) {
    /* a fixed series: page 2 + (k * 7) mod (pages - 2), 16 bytes at a varying place in it */
    size_t pg = 1 + (size_t)(k * 7) % (pages - 1), off = pg * page + 8 + (size_t)(k * 211) % 4000;
    unsigned char *bad = malloc(n);
    memcpy(bad, sound, n);
    for (size_t i = off; i < off + 16 && i < n; i++) bad[i] ^= 0xa5;
    char p[4300];
    snprintf(p, sizeof p, "%s/flip-%d.db", tmp, k);
    assert_int_equal(dbt_write(p, bad, n), 0);
    tried++;
    if (!sqlite_flags(p)) {
      unlink(p);
      free(bad);
      continue;
    }
    flagged++;
    lt_db *db = NULL;
    lt_error err = {{0}};
    assert_int_equal(lt_db_open(p, &db, &err), -1);
    assert_null(db);
    if (!strstr(err.msg, "corrupt database")) fail_msg("flip %d: lt_db_open said '%s'", k, err.msg);
    assert_int_equal(lt_db_open_existing(p, &db, &err), -1);
    if (!strstr(err.msg, "corrupt database"))
      fail_msg("flip %d: lt_db_open_existing said '%s'", k, err.msg);
    char args[9000];
    snprintf(args, sizeof args, "import '%s' --db '%s'", study, p);
    cli_refuses(args, "corrupt database");
    snprintf(args, sizeof args, "retrieve --attrs 3,3,3,3,3,3 --db '%s'", p);
    cli_refuses(args, "corrupt database");
    snprintf(args, sizeof args, "db check --db '%s'", p);
    char cmd[20000];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", cli, args);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    size_t n2;
    unsigned char *after = dbt_slurp(p, &n2);
    assert_int_equal(n2, n);
    if (memcmp(after, bad, n)) fail_msg("flip %d: the file changed", k);
    /* SQLite's read-only connection may leave an empty -wal (and its -shm index): no frame */
    char wal[4400];
    snprintf(wal, sizeof wal, "%s-wal", p);
    struct stat ws;
    assert_true(stat(wal, &ws) != 0 || ws.st_size == 0);
    free(after);
    free(bad);
  }
  print_message("%d of %d byte-flipped copies flagged by integrity_check; all refused\n", flagged,
                tried);
  assert_int_equal(flagged, 8);
  free(sound);
}

static void corruption_met_after_open_stops_writes(void **state) {
  (void)state;
  char p[4200];
  snprintf(p, sizeof p, "%s/later.db", tmp);
  make_db(p);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  /* spoil every page past the schema's under the open connection (nothing of them is cached:
   * the open's checks ran on their own connection) */
  size_t n;
  unsigned char *b = dbt_slurp(p, &n);
  assert_non_null(b);
  for (size_t i = 3 * 4096; i < n; i++) b[i] ^= 0x5a;
  FILE *f = fopen(p, "r+b");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
  lt_db_nodule_info info;
  bool met = false;
  for (int64_t id = 1; id <= 3000 && !met; id += 97)
    met = lt_db_nodule_get(db, id, &info, &err) != 0 && strstr(err.msg, "corrupt");
  if (!met) fail_msg("no read met the corruption: '%s'", err.msg);
  int64_t pid;
  assert_int_equal(lt_db_begin(db, &err), -1);
  if (!strstr(err.msg, "corrupt database") || !strstr(err.msg, "not writing"))
    fail_msg("begin said '%s'", err.msg);
  assert_int_equal(lt_db_put_patient(db, "NEW", "test", &pid, &err), -1);
  if (!strstr(err.msg, "corrupt database")) fail_msg("put said '%s'", err.msg);
  lt_db_close(db);
  size_t n2;
  unsigned char *after = dbt_slurp(p, &n2);
  assert_int_equal(n2, n);
  if (memcmp(after, b, n)) fail_msg("the corrupt file was written");
  free(after);
  free(b);
}

int main(void) {
  if (!getenv("LT_BUILD_ROOT")) {
    printf("skip: LT_BUILD_ROOT not set (run through meson test)\n");
    return LT_TEST_SKIP;
  }
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", getenv("LT_BUILD_ROOT"));
  if (!lt_test_lidc0001_dir(study, sizeof study)) snprintf(study, sizeof study, "/nonexistent");
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(byte_flipped_copies_refused_unchanged),
      cmocka_unit_test(corruption_met_after_open_stops_writes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
