/* app/cli-ablation.c — `lungtrust-cli ablation`: the paper's Table 1 (rows 1-9: the two
 * baselines and the ablation presets) by cross-validation with and without the confound, one
 * reduced configuration for every row, resumable run by run (engine/train/ablation.h); writes
 * the markdown table from the finished runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train/ablation.h"

static void usage(FILE *f) {
  fputs(
      "Usage: lungtrust-cli ablation --out DIR [--data DS] [--confound-data DS --confound-test DS]\n"
      "                              [--rows LIST] [--folds 5] [--width 8] [--side 32]\n"
      "                              [--hidden H] [--light] [--epochs 12] [--patience 4]\n"
      "                              [--batch 1] [--seed 1] [--work DIR] [--max-minutes M]\n"
      "                              [--table FILE] [--table-only]\n\n"
      "Reproduces the paper's Table 1: rows 1 resnet, 2 transfer, 3 basic, 4 attr, 5 debug,\n"
      "6 attr+debug, 7 mal+debug-cam, 8 attr+concat, 9 default (attr+concat+debug), each by\n"
      "k-fold cross-validation split by patient, with one reduced configuration for every row.\n"
      "Every finished (variant, row, fold) is a small JSON file in DIR; a rerun skips them and\n"
      "resumes an interrupted run from its checkpoints in the work folder. At the end (and with\n"
      "--table-only, from whatever is finished) the markdown table is written.\n"
      "  --data DS           the data set of the plain variant (no confound)\n"
      "  --confound-data DS  the confound variant's training data (synthetic train split)\n"
      "  --confound-test DS  its confound-free test set (test split): every fold's model is\n"
      "                      evaluated on it too\n"
      "  --rows LIST         comma-separated names or numbers (default: all nine)\n"
      "  --folds K           folds (default 5)\n"
      "  --width W --side S  reduced model: stage widths W..8W (default 8), patch side S\n"
      "                      (default 32; 64 / S must be an integer)\n"
      "  --hidden H          head width (default: the preset's, 256)\n"
      "  --light             no extra convolutions in the stages (tiny test runs)\n"
      "  --epochs N --patience P --batch B --seed S   training (default 12, 4, 1, 1)\n"
      "  --work DIR          trainer checkpoints (default DIR/.work)\n"
      "  --max-minutes M     start no run that would end after M minutes (estimated from the\n"
      "                      runs so far); rerun the same command to continue\n"
      "  --table FILE        the markdown table (default: DIR.md, e.g. docs/ablation.md)\n"
      "  --table-only        only write the table from the finished runs\n",
      f);
}

int lt_cli_ablation(int argc, char **argv) {
  const char *out = NULL, *data = NULL, *cdata = NULL, *ctest = NULL, *work = NULL,
             *table = NULL, *rows = NULL;
  bool table_only = false;
  lt_ablation_options o;
  memset(&o, 0, sizeof o);
  lt_ablation_reduced_default(&o.reduced);
  lt_ablation_reduced *r = &o.reduced;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const bool has = i + 1 < argc;
    const char *nx = has ? argv[i + 1] : NULL; /* a number option's value; NULL: none given */
    if (lt_cli_is_help(a)) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(a, "--out") && has) {
      out = argv[++i];
    } else if (!strcmp(a, "--data") && has) {
      data = argv[++i];
    } else if (!strcmp(a, "--confound-data") && has) {
      cdata = argv[++i];
    } else if (!strcmp(a, "--confound-test") && has) {
      ctest = argv[++i];
    } else if (!strcmp(a, "--work") && has) {
      work = argv[++i];
    } else if (!strcmp(a, "--table") && has) {
      table = argv[++i];
    } else if (!strcmp(a, "--rows") && has) {
      rows = argv[++i];
    } else if (!strcmp(a, "--table-only")) {
      table_only = true;
    } else if (!strcmp(a, "--light")) {
      r->light = true;
    } else if (!strcmp(a, "--folds")) {
      if (!lt_cli_opt_int("ablation", a, nx, 2, 10, &r->folds)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--width")) {
      if (!lt_cli_opt_int("ablation", a, nx, 1, 256, &r->width)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--side")) {
      if (!lt_cli_opt_int("ablation", a, nx, 8, 64, &r->side)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--hidden")) {
      if (!lt_cli_opt_int("ablation", a, nx, 1, 4096, &r->hidden)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--epochs")) {
      if (!lt_cli_opt_int("ablation", a, nx, 1, 10000, &r->epochs)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--patience")) {
      if (!lt_cli_opt_int("ablation", a, nx, 1, 10000, &r->patience)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--batch")) {
      if (!lt_cli_opt_int("ablation", a, nx, 1, 4096, &r->batch)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--seed")) {
      if (!lt_cli_opt_seed("ablation", a, nx, &r->seed)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--max-minutes")) {
      if (!lt_cli_opt_double("ablation", a, nx, 0.001, 1e6, &o.max_minutes)) return LT_EXIT_USAGE;
      i++;
    } else {
      return lt_cli_usage_error("ablation", "unknown or incomplete option '%s'", a);
    }
  }
  if (!out)
    return lt_cli_usage_error("ablation", "needs --out DIR");
  if (!table_only && !data && !cdata)
    return lt_cli_usage_error("ablation", "needs --data and/or --confound-data");
  if (!table_only && !cdata != !ctest)
    return lt_cli_usage_error("ablation", "--confound-data and --confound-test go together");
  lt_error err = {{0}};
  if (rows && lt_ablation_rows_parse(rows, &o.rows, &err))
    return lt_cli_usage_error("ablation", "%s", err.msg);
  char out_clean[600], table_buf[620], work_buf[620];
  snprintf(out_clean, sizeof out_clean, "%s", out);
  for (size_t l = strlen(out_clean); l > 1 && out_clean[l - 1] == '/'; l--)
    out_clean[l - 1] = 0;
  if (!table) {
    snprintf(table_buf, sizeof table_buf, "%s.md", out_clean);
    table = table_buf;
  }
  if (!work) {
    snprintf(work_buf, sizeof work_buf, "%s/.work", out_clean);
    work = work_buf;
  }
  int rc = LT_EXIT_OK;
  if (!table_only) {
    lt_dataset ds[3];
    memset(ds, 0, sizeof ds);
    const char *paths[3] = {data, cdata, ctest};
    for (int k = 0; k < 3; k++)
      if (paths[k] && lt_dataset_load(&ds[k], paths[k], &err)) {
        for (int j = 0; j < k; j++)
          lt_dataset_free(&ds[j]);
        return lt_cli_fail(&err);
      }
    o.plain = data ? &ds[0] : NULL;
    o.confound = cdata ? &ds[1] : NULL;
    o.confound_test = ctest ? &ds[2] : NULL;
    o.results_dir = out_clean;
    o.work_dir = work;
    o.progress = stdout;
    printf("ablation: reduced configuration w = %d, side %d, %d folds, at most %d epochs "
           "(patience %d), seed %llu; results in %s, checkpoints in %s\n",
           r->width, r->side, r->folds, r->epochs, r->patience, (unsigned long long)r->seed,
           out_clean, work);
    fflush(stdout);
    lt_ablation_summary s;
    const int run = lt_ablation_run(&o, &s, &err);
    for (int k = 0; k < 3; k++)
      lt_dataset_free(&ds[k]);
    if (run < 0)
      return lt_cli_fail(&err);
    printf("ablation: %d runs found done, %d done now in %.1f min, %d left%s, %d unavailable\n",
           s.done_before, s.done_now, s.wall_s / 60, s.left,
           s.stopped ? " (stopped by --max-minutes; rerun the same command to continue)" : "",
           s.unavailable);
  }
  int n = 0;
  if (lt_ablation_table(out_clean, table, &n, &err))
    return lt_cli_fail(&err);
  printf("table: %s (%d results)\n", table, n);
  return rc;
}
