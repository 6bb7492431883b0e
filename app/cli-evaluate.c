/* app/cli-evaluate.c — `lungtrust-cli evaluate DATA --model MODEL [--json]`: the paper's Table 1
 * measures at 0.5, Dice and attribute MAE of a weights file on a data set, plus the mean and sd
 * over folds of the cross-validation stored in the weights (when the trainer wrote them). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model/trainer.h"
#include "model/weights.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli evaluate DATA --model MODEL [--json]\n\n"
        "Runs the model (a weights file written by train) on every sample of DATA (a data set\n"
        "folder or its manifest.json) and prints Accuracy, AUC, F1, Sensitivity, Specificity,\n"
        "Precision and benign Precision at 0.5, Dice, attribute MAE and the CAM share inside the\n"
        "masks; then the cross-validation's mean and sd over folds stored in the weights.\n",
        f);
}

static double fin(double v) { return isfinite(v) ? v : -1; }

static void print_folds(const char *metrics_json, bool json, cJSON *root) {
  cJSON *m = metrics_json ? cJSON_Parse(metrics_json) : NULL;
  const cJSON *folds = m ? cJSON_GetObjectItemCaseSensitive(m, "folds") : NULL;
  int n = cJSON_GetArraySize(folds);
  if (n < 1) {
    cJSON_Delete(m);
    return;
  }
  static const char *keys[] = {"accuracy",         "auc",         "f1",
                               "sensitivity",      "specificity", "precision",
                               "precision_benign", "dice",        "attr_mae"};
  const int nk = (int)(sizeof keys / sizeof keys[0]);
  cJSON *cv = json ? cJSON_AddObjectToObject(root, "cross_validation") : NULL;
  if (!json)
    printf("cross-validation (%d folds, test patients), mean +- sd:\n", n);
  for (int q = 0; q < nk; q++) {
    double v[64];
    int nv = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, folds) {
      const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "test");
      const cJSON *x = t ? cJSON_GetObjectItemCaseSensitive(t, keys[q]) : NULL;
      if (cJSON_IsNumber(x) && x->valuedouble != -1 && nv < 64)
        v[nv++] = x->valuedouble;
    }
    if (!nv)
      continue;
    double mean, sd;
    lt_mean_sd(v, nv, &mean, &sd);
    if (json) {
      cJSON *o = cJSON_AddObjectToObject(cv, keys[q]);
      cJSON_AddNumberToObject(o, "mean", mean);
      cJSON_AddNumberToObject(o, "sd", sd);
      cJSON_AddNumberToObject(o, "folds", nv);
    } else {
      printf("  %-17s %.4f +- %.4f\n", keys[q], mean, sd);
    }
  }
  cJSON_Delete(m);
}

int lt_cli_evaluate(int argc, char **argv) {
  const char *data = NULL, *model = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (argv[i][0] == '-') {
      return lt_cli_usage_error("evaluate", "unknown or incomplete option '%s'", argv[i]);
    } else if (!data) {
      data = argv[i];
    } else {
      return lt_cli_usage_error("evaluate", "one DATA only");
    }
  }
  if (!data || !model)
    return lt_cli_usage_error("evaluate", "needs DATA and --model MODEL");
  lt_error err = {{0}};
  lt_weights w;
  if (lt_weights_load(model, NULL, &w, &err))
    return lt_cli_fail(&err);
  lt_dataset ds;
  if (lt_dataset_load(&ds, data, &err)) {
    lt_weights_free(&w);
    return lt_cli_fail(&err);
  }
  const lt_backend *be = lt_backend_default();
  lt_model *m = NULL;
  int *idx = malloc((size_t)ds.n * sizeof *idx);
  lt_eval e;
  int rc = LT_EXIT_INPUT;
  if (!idx) {
    lt_error_set(&err, "out of memory");
    goto out;
  }
  for (int i = 0; i < ds.n; i++)
    idx[i] = i;
  if (lt_model_create(&m, &w.config, be, 1, false, &err))
    goto out;
  memcpy(lt_model_params(m), w.params, lt_model_table(m)->total * sizeof(float));
  if (lt_evaluate(m, &ds, idx, ds.n, &e, &err))
    goto out;
  if (json) {
    cJSON *root = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(root, "data");
    cJSON_AddNumberToObject(o, "samples", e.n);
    cJSON_AddNumberToObject(o, "labelled", e.n_labelled);
    cJSON_AddNumberToObject(o, "accuracy", fin(e.cls.accuracy));
    cJSON_AddNumberToObject(o, "auc", fin(e.auc));
    cJSON_AddNumberToObject(o, "f1", fin(e.cls.f1));
    cJSON_AddNumberToObject(o, "sensitivity", fin(e.cls.sensitivity));
    cJSON_AddNumberToObject(o, "specificity", fin(e.cls.specificity));
    cJSON_AddNumberToObject(o, "precision", fin(e.cls.precision));
    cJSON_AddNumberToObject(o, "precision_benign", fin(e.cls.precision_benign));
    cJSON_AddNumberToObject(o, "dice", fin(e.dice));
    cJSON_AddNumberToObject(o, "attr_mae", fin(e.attr_mae));
    cJSON_AddNumberToObject(o, "cam_share_in", fin(e.share_in));
    print_folds(w.metrics_json, true, root);
    char *s = cJSON_Print(root);
    if (s)
      puts(s);
    free(s);
    cJSON_Delete(root);
  } else {
    printf("%d samples (%d labelled, %d with masks, %d rated)\n", e.n, e.n_labelled, e.n_masked,
           e.n_rated);
    printf(
        "at 0.5: accuracy %.4f AUC %.4f F1 %.4f sensitivity %.4f specificity %.4f precision %.4f "
        "benign precision %.4f\n",
        e.cls.accuracy, e.auc, e.cls.f1, e.cls.sensitivity, e.cls.specificity, e.cls.precision,
        e.cls.precision_benign);
    printf("Dice %.4f  attribute MAE %.4f  CAM share inside the masks %.4f\n", e.dice, e.attr_mae,
           e.share_in);
    print_folds(w.metrics_json, false, NULL);
  }
  rc = LT_EXIT_OK;
out:
  if (rc != LT_EXIT_OK)
    lt_cli_fail(&err);
  lt_model_free(m);
  free(idx);
  lt_dataset_free(&ds);
  lt_weights_free(&w);
  return rc;
}
