/* tests/db/test-cli-db.c — the db subcommands end to end through lungtrust-cli: --help (exit 0),
 * usage errors (exit 2, two lines), import-ratings then retrieve (--attrs and --nodule, --json,
 * filters), db check; retrieve's answer equals the library's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db.h"
#include "lt-index.h"
#include "lt-test.h"

static char ratings_dir[4096], tmp[4096], db_path[4200], cli[4200];
static char out[1 << 16];

/* Runs lungtrust-cli with args; stdout into out; returns the exit status. */
static int run(const char *args) {
  char cmd[13000], file[4300];
  snprintf(file, sizeof file, "%s/out.txt", tmp);
  snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>&1", cli, args, file);
  int rc = system(cmd);
  size_t n;
  unsigned char *b = dbt_slurp(file, &n);
  if (n >= sizeof out) n = sizeof out - 1;
  memcpy(out, b ? (char *)b : "", b ? n : 0);
  out[b ? n : 0] = 0;
  free(b);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void cli_db_commands_help_and_usage(void **state) {
  (void)state;
  static const char *const cmds[] = {"import-ratings", "retrieve", "db", "import"};
  for (int i = 0; i < 4; i++) {
    char a[64];
    snprintf(a, sizeof a, "%s --help", cmds[i]);
    assert_int_equal(run(a), 0);
    assert_non_null(strstr(out, "Usage: lungtrust-cli"));
  }
  assert_int_equal(run("retrieve --attrs 1,2,3"), 2);
  assert_non_null(strstr(out, "six numbers"));
  assert_int_equal(run("retrieve --attrs 1,2,3,4,5,5 --nodule 3"), 2);
  assert_int_equal(run("retrieve --attrs 1,2,3,4,5,5 -k 0"), 2);
  assert_int_equal(run("import-ratings"), 2);
  assert_int_equal(run("db vacuum"), 2);
  /* no database: refused, and none is made */
  char a[9000], missing[4300];
  snprintf(missing, sizeof missing, "%s/missing.db", tmp);
  snprintf(a, sizeof a, "retrieve --attrs 1,2,3,4,5,5 --db '%s'", missing);
  assert_int_equal(run(a), 1);
  assert_non_null(strstr(out, "no database at"));
  snprintf(a, sizeof a, "db check --db '%s'", missing);
  assert_int_equal(run(a), 1);
  assert_int_equal(access(missing, F_OK), -1);
}

static void cli_import_retrieve_check(void **state) {
  (void)state;
  char a[9000];
  snprintf(a, sizeof a, "import-ratings '%s' --db '%s' --json", ratings_dir, db_path);
  assert_int_equal(run(a), 0);
  assert_non_null(strstr(out, "\"r1_ambiguous_pairs\":9"));
  assert_non_null(strstr(out, "\"r2_wide_rows\":13"));
  snprintf(a, sizeof a, "import-ratings '%s' --db '%s'", ratings_dir, db_path);
  assert_int_equal(run(a), 0);
  assert_non_null(strstr(out, "R4 rating rows matching no list3.2 row"));
  snprintf(a, sizeof a, "db check --db '%s' --json", db_path);
  assert_int_equal(run(a), 0);
  assert_non_null(strstr(out, "\"ok\":true"));
  /* retrieve by attributes: the CLI's ids equal the library's */
  snprintf(a, sizeof a, "retrieve --attrs 5,3,3,3,3,5 -k 5 --json --db '%s'", db_path);
  assert_int_equal(run(a), 0);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(db_path, &db, &err), 0);
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  lt_query q;
  lt_query_init(&q);
  const double qa[6] = {5, 3, 3, 3, 3, 5};
  lt_hit h[5];
  int n;
  assert_int_equal(lt_index_query(idx, qa, &q, 5, h, &n, &err), 0);
  assert_int_equal(n, 5);
  const char *p = out;
  for (int i = 0; i < 5; i++) {
    p = strstr(p, "\"nodule\":");
    assert_non_null(p);
    p += 9;
    assert_int_equal(strtoll(p, NULL, 10), h[i].nodule_id);
  }
  assert_non_null(strstr(out, "\"n\":5"));
  /* by nodule, other patients, confirmed, diameter range */
  snprintf(a, sizeof a,
           "retrieve --nodule %lld --other-patients --confirmed --min-diameter 10 "
           "--max-diameter 30 --standardize --weights 1,1,1,1,1,2 -k 3 --db '%s'",
           (long long)h[0].nodule_id, db_path);
  assert_int_equal(run(a), 0);
  assert_non_null(strstr(out, "(confirmed)"));
  assert_non_null(strstr(out, "with a diagnosis are malignant"));
  lt_db_close(db);
  /* a nodule that is not there */
  snprintf(a, sizeof a, "retrieve --nodule 99999999 --db '%s'", db_path);
  assert_int_equal(run(a), 1);
  assert_non_null(strstr(out, "not in the database"));
}

int main(void) {
  if (!lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings") || !getenv("LT_BUILD_ROOT")) {
    printf("skip: ../shared/data/lidc-ratings or LT_BUILD_ROOT absent\n");
    return LT_TEST_SKIP;
  }
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  snprintf(db_path, sizeof db_path, "%s/cli.db", tmp);
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", getenv("LT_BUILD_ROOT"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cli_db_commands_help_and_usage),
      cmocka_unit_test(cli_import_retrieve_check),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
