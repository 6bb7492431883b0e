/* app/cli-scope-calibrate.c — `lungtrust-cli scope-calibrate DATA --model MODEL --out OUT`: fits
 * the "unusual for the model" statistics (model/unusual.h) on the data set MODEL was trained on,
 * through the trainer's own split (engine/train/unusual-calibrate.h), and writes MODEL with them
 * to OUT; the network's weights and every other metadata entry are copied unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model/weights.h"
#include "train/unusual-calibrate.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli scope-calibrate DATA --model MODEL --out OUT [--folds K] [--fold F]\n"
        "                                     [--seed S] [--val-frac V] [--max-train N]\n"
        "                                     [--axes A] [--percentile P]\n\n"
        "Finds the split MODEL was trained with on DATA (its training data set; give the folds,\n"
        "fold, seed and validation share 'train' was given), runs MODEL on the training split\n"
        "(at most N samples, evenly spaced) and on the validation split, and fits how far a\n"
        "nodule's features (the fusion map averaged over its cells) lie from the training\n"
        "split's: the mean, the A leading principal axes and the residual off them. The scope\n"
        "decision's \"unusual for the model\" threshold is the P-th percentile of the validation\n"
        "split's distances. Writes MODEL with these statistics to OUT. The test fold and held-out\n"
        "sets are never read. DATA must be the data set MODEL was trained on (its hash is\n"
        "checked against the one the weights record).\n"
        "  --folds K       as train's --folds (default 10, the default model's recipe)\n"
        "  --fold F        as train's --fold, 1-based (default 1)\n"
        "  --seed S        as train's --seed (default 1)\n"
        "  --val-frac V    as train's --val-frac (default 0.1)\n"
        "  --max-train N   training samples to fit on (default 600; 0: all)\n"
        "  --axes A        principal axes kept (default 16, at most 32)\n"
        "  --percentile P  of the validation distances (default 99)\n",
        f);
}

static void progress(int done, int total, void *user) {
  (void)user;
  if (done == total || done % 100 == 0) fprintf(stderr, "scope-calibrate: %d / %d samples\n",
                                                done, total);
}

int lt_cli_scope_calibrate(int argc, char **argv) {
  const char *data = NULL, *model = NULL, *out = NULL;
  lt_unusual_calibration o = {.folds = 10, .fold = 0, .seed = 1, .val_frac = 0.1,
                              .max_train = 600, .n_axes = 16, .percentile = 99,
                              .progress = progress};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *nx = i + 1 < argc ? argv[i + 1] : NULL;
    if (lt_cli_is_help(a)) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(a, "--model") && nx) {
      model = argv[++i];
    } else if (!strcmp(a, "--out") && nx) {
      out = argv[++i];
    } else if (!strcmp(a, "--folds")) {
      if (!lt_cli_opt_int("scope-calibrate", a, nx, 2, 100, &o.folds)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--fold")) {
      int f;
      if (!lt_cli_opt_int("scope-calibrate", a, nx, 1, 100, &f)) return LT_EXIT_USAGE;
      o.fold = f - 1;
      i++;
    } else if (!strcmp(a, "--seed")) {
      if (!lt_cli_opt_seed("scope-calibrate", a, nx, &o.seed)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--val-frac")) {
      if (!lt_cli_opt_double("scope-calibrate", a, nx, 0.01, 0.9, &o.val_frac))
        return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--max-train")) {
      if (!lt_cli_opt_int("scope-calibrate", a, nx, 0, 1000000, &o.max_train))
        return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--axes")) {
      if (!lt_cli_opt_int("scope-calibrate", a, nx, 1, LT_UNUSUAL_MAX_AXES, &o.n_axes))
        return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--percentile")) {
      if (!lt_cli_opt_double("scope-calibrate", a, nx, 50, 99.99, &o.percentile))
        return LT_EXIT_USAGE;
      i++;
    } else if (a[0] == '-') {
      return lt_cli_usage_error("scope-calibrate", "unknown or incomplete option '%s'", a);
    } else if (!data) {
      data = a;
    } else {
      return lt_cli_usage_error("scope-calibrate", "one DATA only");
    }
  }
  if (!data || !model || !out)
    return lt_cli_usage_error("scope-calibrate", "needs DATA, --model MODEL and --out OUT");
  if (o.fold >= o.folds)
    return lt_cli_usage_error("scope-calibrate", "--fold must lie in 1..%d (--folds)", o.folds);
  lt_weights w;
  lt_dataset ds;
  int rc = lt_cli_load_model_and_data(model, data, &w, &ds);
  if (rc) return rc;
  lt_error err = {{0}};
  lt_model *m = NULL;
  lt_unusual_stats *st = calloc(1, sizeof *st);
  rc = LT_EXIT_INPUT;
  if (!st) {
    lt_error_set(&err, "out of memory");
    goto done;
  }
  /* the trainer's split means something only on the data the model was trained on */
  char hash[80];
  lt_dataset_hash(&ds, hash, sizeof hash);
  if (w.has_stats && w.stats.data_hash[0] && strcmp(hash, w.stats.data_hash)) {
    lt_error_set(&err, "%s is not the data %s was trained on (its hash %s, the model's %s)", data,
                 model, hash, w.stats.data_hash);
    goto done;
  }
  if (lt_model_create_from_weights(&m, &w, &err) || lt_unusual_calibrate(st, m, &ds, &o, &err))
    goto done;
  free(w.unusual_json);
  w.unusual_json = lt_unusual_to_json(st);
  if (!w.unusual_json) {
    lt_error_set(&err, "out of memory");
    goto done;
  }
  if (lt_weights_write(out, &w, &err)) goto done;
  printf("unusual for the model: fitted on %d training samples, %d axes; threshold %.3f = the "
         "%g-th percentile of %d validation samples' distances\nmodel: %s\n",
         st->n_train, st->n_axes, st->threshold, st->percentile, st->n_val, out);
  rc = LT_EXIT_OK;
done:
  if (rc != LT_EXIT_OK) lt_cli_fail(&err);
  free(st);
  lt_model_free(m);
  lt_dataset_free(&ds);
  lt_weights_free(&w);
  return rc;
}
