/* tests/train/test-ablation.c — the Table 1 runner (model/ablation.h) on a tiny planted data set
 * with tiny settings: one result file per (variant, row, fold), a rerun skips finished runs, a
 * run whose result was lost is finished from its checkpoints with the same numbers, the time
 * budget stops between runs, the table lists the runs, and a corrupt result file is refused
 * with one line (engine and CLI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lt-test.h"
#include "train/ablation.h"
#include "train-data.h"

static lt_dataset ds, clean;
static char dir[512], results[600], work[600];

static int setup(void **state) {
  (void)state;
  if (!lt_test_tmpdir(dir, sizeof dir))
    return -1;
  char sub[600];
  snprintf(sub, sizeof sub, "%s/data", dir);
  int r = lt_test_planted_dataset(&ds, sub, 24, 11);
  if (r == 77)
    exit(LT_TEST_SKIP);
  if (r)
    return r;
  snprintf(sub, sizeof sub, "%s/clean", dir);
  if (lt_test_planted_dataset(&clean, sub, 8, 12))
    return -1;
  /* Half the samples "unsure": ratings and masks, no label (both classes on each side). */
  for (int i = 0; i < ds.n; i++)
    if (i % 4 >= 2) {
      ds.s[i].has_label = false;
      ds.s[i].sure = false;
    }
  snprintf(results, sizeof results, "%s/results", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lt_dataset_free(&ds);
  lt_dataset_free(&clean);
  return 0;
}

static void options(lt_ablation_options *o) {
  memset(o, 0, sizeof *o);
  lt_ablation_reduced_default(&o->reduced);
  o->reduced.width = 4;
  o->reduced.side = 16;
  o->reduced.hidden = 16;
  o->reduced.light = true;
  o->reduced.folds = 2;
  o->reduced.epochs = 2;
  o->reduced.patience = 2;
  o->reduced.seed = 1; /* folds mixing both labels among the labelled samples */
  o->plain = &ds;
  o->confound = &ds;
  o->confound_test = &clean;
  o->results_dir = results;
  o->work_dir = work;
  lt_error err;
  assert_int_equal(lt_ablation_rows_parse("default,transfer,basic", &o->rows, &err), 0);
  o->progress = stdout;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static double json_number(const char *txt, const char *section, const char *key) {
  const char *s = section ? strstr(txt, section) : txt;
  if (!s)
    return NAN;
  char k[64];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(s, k);
  if (!p)
    return NAN;
  char *end;
  const double v = strtod(p + strlen(k), &end);
  return end == p + strlen(k) ? NAN : v; /* null */
}

static const char *const names[3] = {"default", "transfer", "basic"};

/* Runs everything; every (variant, row, fold) has its file with sane numbers. */
static void runner_writes_one_result_per_variant_row_and_fold(void **state) {
  (void)state;
  lt_ablation_options o;
  options(&o);
  lt_ablation_summary s;
  lt_error err;
  int rc = lt_ablation_run(&o, &s, &err);
  if (rc)
    printf("error: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(s.done_before, 0);
  assert_int_equal(s.done_now, 2 * 3 * 2);
  assert_int_equal(s.left, 0);
  for (int v = 0; v < 2; v++)
    for (int r = 0; r < 3; r++) {
      int n_test = 0;
      for (int k = 1; k <= 2; k++) {
        char p[800];
        snprintf(p, sizeof p, "%s/%s-%s-fold%d.json", results, v ? "plain" : "confound",
                 names[r], k);
        assert_int_equal(lt_ablation_result_check(p, &err), 0);
        const char *t = slurp(p);
        assert_non_null(t);
        const double auc = json_number(t, "\"test\"", "auc");
        assert_true(auc >= 0 && auc <= 1);
        const double share = json_number(t, "\"test\"", "cam_share_in");
        assert_true(share >= 0 && share <= 1);
        n_test += (int)json_number(t, NULL, "n_test");
        if (v == 0) { /* the confound variant is also tested on the confound-free set */
          const double n_clean = json_number(t, "\"confound_free_test\"", "n_labelled");
          assert_true(fabs(n_clean - 8) < 0.5);
        }
        if (r == 1) { /* transfer: phase 2 (basic) starts from every tensor of phase 1's */
          const double copied = json_number(t, "\"transfer\"", "tensors_copied");
          const double tensors = json_number(t, "\"transfer\"", "tensors");
          assert_true(tensors > 10);
          assert_true(fabs(copied - tensors) < 0.5);
        }
      }
      assert_int_equal(n_test, ds.n); /* the two test folds cover every sample once */
    }
}

/* A rerun finds everything done and trains nothing. */
static void rerun_skips_finished_runs(void **state) {
  (void)state;
  char p[800];
  snprintf(p, sizeof p, "%s/plain-default-fold1.json", results);
  struct stat st0, st1;
  assert_int_equal(stat(p, &st0), 0);
  lt_ablation_options o;
  options(&o);
  lt_ablation_summary s;
  lt_error err;
  assert_int_equal(lt_ablation_run(&o, &s, &err), 0);
  assert_int_equal(s.done_before, 12);
  assert_int_equal(s.done_now, 0);
  assert_int_equal(stat(p, &st1), 0);
  assert_true(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
              st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
}

/* A run whose result file is missing is finished from the trainer's checkpoints (the model is
 * not trained again: the same test numbers); a time budget stops before the next run. */
static void lost_result_is_redone_from_checkpoints_and_budget_stops(void **state) {
  (void)state;
  char p[800], q[800];
  snprintf(p, sizeof p, "%s/confound-default-fold2.json", results);
  snprintf(q, sizeof q, "%s/plain-basic-fold1.json", results);
  static char before[1 << 16];
  const char *b0 = slurp(p);
  assert_non_null(b0);
  snprintf(before, sizeof before, "%s", b0 ? b0 : "");
  assert_int_equal(remove(p), 0);
  assert_int_equal(remove(q), 0);
  lt_ablation_options o;
  options(&o);
  o.max_minutes = 1e-7; /* less than any run: nothing starts */
  lt_ablation_summary s;
  lt_error err;
  assert_int_equal(lt_ablation_run(&o, &s, &err), 1);
  assert_true(s.stopped);
  assert_int_equal(s.done_now, 0);
  assert_int_equal(s.left, 2);
  o.max_minutes = 0;
  const int rc = lt_ablation_run(&o, &s, &err);
  if (rc)
    printf("error: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(s.done_before, 10);
  assert_int_equal(s.done_now, 2);
  const char *after = slurp(p);
  assert_non_null(after);
  const char *keys[3] = {"auc", "accuracy", "cam_share_in"};
  for (int k = 0; k < 3; k++) {
    assert_float_equal(json_number(after, "\"test\"", keys[k]),
                       json_number(before, "\"test\"", keys[k]), 1e-9);
    assert_float_equal(json_number(after, "\"confound_free_test\"", keys[k]),
                       json_number(before, "\"confound_free_test\"", keys[k]), 1e-9);
  }
  assert_float_equal(json_number(after, NULL, "epochs_run"),
                     json_number(before, NULL, "epochs_run"), 0);
}

/* The table lists every run: folds done per row, the pair comparison, the configuration. */
static void table_lists_the_finished_runs(void **state) {
  (void)state;
  char md[800];
  snprintf(md, sizeof md, "%s/table.md", dir);
  lt_error err;
  int n = 0;
  assert_int_equal(lt_ablation_table(results, md, &n, &err), 0);
  assert_int_equal(n, 12);
  const char *t = slurp(md);
  assert_non_null(t);
  fputs(t ? t : "", stdout);
  assert_non_null(strstr(t, "| 9 | attr+concat+debug (default) | 2/2 |"));
  assert_non_null(strstr(t, "| 3 | - (basic modules) | 2/2 |"));
  assert_non_null(strstr(t, "| 2 | Transfer learning from malignancy regression (baseline) | 2/2 |"));
  assert_non_null(strstr(t, "| 4 | attr | 0/2 |"));
  assert_non_null(strstr(t, "8 attr+concat vs 9 default"));
  assert_non_null(strstr(t, "3 basic vs 5 debug"));
  assert_non_null(strstr(t, "width w = 4"));
  assert_non_null(strstr(t, "at most 2 epochs"));
  assert_non_null(strstr(t, "over 12 runs"));
  /* Both variants have their section; the confound one has the confound-free columns. */
  assert_non_null(strstr(t, "## Without the confound"));
  assert_non_null(strstr(t, "AUC confound-free"));
}

static int run_cli(const char *args, char *out, size_t n) {
  const char *b = getenv("LT_BUILD_ROOT");
  if (!b)
    return -2;
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s/app/lungtrust-cli ablation %s 2>&1", b, args);
  FILE *f = popen(cmd, "r");
  if (!f)
    return -1;
  size_t len = fread(out, 1, n - 1, f);
  out[len] = 0;
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A damaged result file stops the table and the runner with one line naming it. */
static void corrupt_result_file_is_refused_with_one_line(void **state) {
  (void)state;
  char p[800];
  snprintf(p, sizeof p, "%s/plain-basic-fold2.json", results);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs("{\"format\": \"lungtrust-ablation-run-1\", \"variant\": \"plain\", \"row\": \"bas", f);
  fclose(f);
  lt_error err;
  char md[800];
  snprintf(md, sizeof md, "%s/table2.md", dir);
  assert_int_equal(lt_ablation_table(results, md, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "plain-basic-fold2.json"));
  assert_non_null(strstr(err.msg, "corrupt"));
  assert_null(strchr(err.msg, '\n'));
  lt_ablation_options o;
  options(&o);
  lt_ablation_summary s;
  assert_int_equal(lt_ablation_run(&o, &s, &err), -1);
  assert_non_null(strstr(err.msg, "plain-basic-fold2.json"));
  /* A result file with the wrong name for its content is refused too. */
  char a[800], b[800];
  snprintf(a, sizeof a, "%s/plain-default-fold1.json", results);
  snprintf(b, sizeof b, "%s/plain-default-fold2.json", results);
  assert_int_equal(remove(p), 0);
  static char keep[1 << 16];
  const char *k0 = slurp(b);
  assert_non_null(k0);
  snprintf(keep, sizeof keep, "%s", k0 ? k0 : "");
  assert_int_equal(rename(a, b), 0);
  assert_int_equal(lt_ablation_table(results, md, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "does not match"));
  assert_int_equal(rename(b, a), 0);
  f = fopen(b, "w");
  fputs(keep, f);
  fclose(f);
  /* The CLI: exit 1 and one line. */
  f = fopen(p, "w");
  fputs("not json", f);
  fclose(f);
  char out[4096], args[2000];
  snprintf(args, sizeof args, "--out %s --table-only --table %s", results, md);
  const int rc = run_cli(args, out, sizeof out);
  if (rc == -2)
    return;
  printf("cli: %s", out);
  assert_int_equal(rc, 1);
  assert_non_null(strstr(out, "corrupt ablation result"));
  int lines = 0;
  for (const char *c = out; *c; c++)
    lines += *c == '\n';
  assert_int_equal(lines, 1);
  assert_int_equal(remove(p), 0);
  assert_int_equal(run_cli(args, out, sizeof out), 0);
  assert_non_null(strstr(out, "(11 results)"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(runner_writes_one_result_per_variant_row_and_fold),
      cmocka_unit_test(rerun_skips_finished_runs),
      cmocka_unit_test(lost_result_is_redone_from_checkpoints_and_budget_stops),
      cmocka_unit_test(table_lists_the_finished_runs),
      cmocka_unit_test(corrupt_result_file_is_refused_with_one_line),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
