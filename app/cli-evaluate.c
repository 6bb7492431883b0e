/* app/cli-evaluate.c — `lungtrust-cli evaluate DATA --model MODEL [--json]`: the paper's Table 1
 * measures at 0.5, Dice (vs the readers' consensus, and vs the synthetic truth in an evaluation
 * set), attribute MAE (vs the readers' mean, and vs the true attributes) and the CAM share
 * inside the masks of a weights file on a data set, each with a 95% bootstrap interval
 * (model/heldout.h, fixed seed), plus the mean and sd over folds of the cross-validation stored
 * in the weights (when the trainer wrote them); with --samples, each sample's results as CSV. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train/heldout.h"
#include "train/trainer.h"
#include "model/weights.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli evaluate DATA --model MODEL [--json] [--boot B] [--seed S]\n"
        "                              [--samples FILE.csv]\n\n"
        "Runs the model (a weights file written by train) on every sample of DATA (a data set\n"
        "folder or its manifest.json) and prints Accuracy, AUC, F1, Sensitivity, Specificity,\n"
        "Precision and benign Precision at 0.5, Dice (vs the readers' consensus; vs the true mask\n"
        "in a synthetic evaluation set), attribute MAE (vs the readers' mean; vs the true\n"
        "attributes) and the CAM share inside the masks, each with a 95% bootstrap interval\n"
        "(B resamples of the samples, default 1000, seed S, default 1); then the\n"
        "cross-validation's mean and sd over folds stored in the weights.\n"
        "  --samples FILE.csv  also writes one row per sample: its id, patient, whether it is\n"
        "                  sure, label, size, the model's probability and scores, the readers'\n"
        "                  mean ratings and the true attributes (empty where absent), Dice, MAE\n"
        "                  and CAM share (written whole or not at all)\n",
        f);
}

/* ",v" with `digits` decimals; "," alone when v is NaN (no such measure). */
static void csv_number(FILE *f, double v, int digits) {
  fputc(',', f);
  if (isfinite(v))
    fprintf(f, "%.*f", digits, v);
}

/* The per-sample rows, through a temporary file renamed over path: a failure leaves whatever
 * path held before. Ids are [A-Za-z0-9._-] (dataset.h), patients come from the manifest: quoted. */
static int write_samples(const char *path, const lt_dataset *ds, const lt_heldout_sample *r,
                         int n_attr, lt_error *err) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f)
    return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  const int a0 = n_attr == 1 ? LT_N_ATTRIBUTES - 1 : 0;
  fputs("id,patient,sure,label,nodule_mm,probability", f);
  static const char *const what[3] = {"model", "readers", "truth"};
  for (int w = 0; w < 3; w++)
    for (int k = 0; k < n_attr; k++) fprintf(f, ",%s_%s", what[w], lt_attribute_names[a0 + k]);
  fputs(",dice,dice_truth,attr_mae,attr_mae_truth,cam_share_in\n", f);
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    fprintf(f, "%s,\"", s->id);
    for (const char *c = s->patient; *c; c++) { /* CSV: a quote is doubled */
      if (*c == '"')
        fputc('"', f);
      fputc(*c, f);
    }
    fprintf(f, "\",%d,", s->sure);
    if (s->has_label)
      fprintf(f, "%d", s->label);
    csv_number(f, s->nodule_mm > 0 ? s->nodule_mm : NAN, 2);
    csv_number(f, r[i].prob, 5);
    for (int k = 0; k < n_attr; k++) csv_number(f, r[i].attrs[k], 4);
    for (int k = 0; k < n_attr; k++)
      csv_number(f, s->has_ratings ? s->ratings[a0 + k] : NAN, 4);
    for (int k = 0; k < n_attr; k++)
      csv_number(f, s->has_truth_attrs ? s->truth_attrs[a0 + k] : NAN, 4);
    csv_number(f, r[i].dice, 4);
    csv_number(f, r[i].dice_truth, 4);
    csv_number(f, r[i].attr_mae, 4);
    csv_number(f, r[i].attr_mae_truth, 4);
    csv_number(f, r[i].cam_share_in, 4);
    fputc('\n', f);
  }
  const bool ok = !ferror(f);
  if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
    lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
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
  const char *data = NULL, *model = NULL, *samples_csv = NULL;
  bool json = false;
  int boot = 1000;
  uint64_t seed = 1;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
      model = argv[++i];
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
      samples_csv = argv[++i];
    } else if (!strcmp(argv[i], "--boot") && i + 1 < argc) {
      if (!lt_cli_opt_int("evaluate", "--boot", argv[++i], 1, 100000, &boot)) return LT_EXIT_USAGE;
    } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
      if (!lt_cli_opt_seed("evaluate", "--seed", argv[++i], &seed)) return LT_EXIT_USAGE;
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
  lt_weights w;
  lt_dataset ds;
  int rc = lt_cli_load_model_and_data(model, data, &w, &ds);
  if (rc)
    return rc;
  lt_error err = {{0}};
  lt_model *m = NULL;
  lt_heldout h;
  lt_heldout_sample *per = NULL;
  rc = LT_EXIT_INPUT;
  if (samples_csv && !(per = calloc((size_t)(ds.n ? ds.n : 1), sizeof *per))) {
    lt_error_set(&err, "out of memory");
    goto out;
  }
  if (lt_model_create_from_weights(&m, &w, &err))
    goto out;
  if (lt_heldout_evaluate(m, &ds, boot, seed, &h, per, &err))
    goto out;
  if (samples_csv && write_samples(samples_csv, &ds, per, h.n_attr, &err))
    goto out;
  if (json) {
    cJSON *root = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(root, "data");
    cJSON_AddNumberToObject(o, "samples", h.n);
    cJSON_AddNumberToObject(o, "labelled", h.m[LT_HO_AUC].n);
    cJSON_AddBoolToObject(o, "evaluation_set", ds.evaluation);
    for (int q = 0; q < LT_HO_N; q++)
      cJSON_AddNumberToObject(o, lt_heldout_keys[q], fin(h.m[q].value));
    cJSON *ci = cJSON_AddObjectToObject(root, "ci95");
    char sd[32];
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
    cJSON_AddNumberToObject(ci, "bootstrap_resamples", boot);
    cJSON_AddStringToObject(ci, "seed", sd);
    for (int q = 0; q < LT_HO_N; q++) {
      cJSON *x = cJSON_AddObjectToObject(ci, lt_heldout_keys[q]);
      cJSON_AddNumberToObject(x, "value", fin(h.m[q].value));
      cJSON_AddNumberToObject(x, "lo", fin(h.m[q].lo));
      cJSON_AddNumberToObject(x, "hi", fin(h.m[q].hi));
      cJSON_AddNumberToObject(x, "n", h.m[q].n);
    }
    cJSON *pa = cJSON_AddObjectToObject(root, "attr_mae_per_attribute");
    cJSON *pt = cJSON_AddObjectToObject(root, "attr_mae_truth_per_attribute");
    for (int k = 0; k < h.n_attr; k++) {
      const char *name = h.n_attr == 1 ? lt_attribute_names[5] : lt_attribute_names[k];
      cJSON_AddNumberToObject(pa, name, fin(h.attr_mae[k]));
      cJSON_AddNumberToObject(pt, name, fin(h.attr_mae_truth[k]));
    }
    print_folds(w.metrics_json, true, root);
    char *s = cJSON_Print(root);
    if (s)
      lt_cli_print_json_text(stdout, s), putchar('\n');
    free(s);
    cJSON_Delete(root);
  } else {
    printf("%d samples (%d labelled, %d with consensus masks, %d rated)%s; 95%% bootstrap "
           "intervals over %d resamples (seed %llu)\n",
           h.n, h.m[LT_HO_AUC].n, h.m[LT_HO_DICE].n, h.m[LT_HO_ATTR_MAE].n,
           ds.evaluation ? ", evaluation set with the synthetic truth" : "", boot,
           (unsigned long long)seed);
    static const char *names[LT_HO_N] = {
        "accuracy",         "AUC",         "F1",   "sensitivity",        "specificity",
        "precision",        "benign precision", "Dice vs consensus", "Dice vs truth",
        "attribute MAE vs readers", "attribute MAE vs truth", "CAM share inside"};
    for (int q = 0; q < LT_HO_N; q++) {
      if (!h.m[q].n)
        continue;
      printf("  %-26s %.4f  [%.4f, %.4f]  (n %d)%s\n", names[q], h.m[q].value, h.m[q].lo,
             h.m[q].hi, h.m[q].n, q == LT_HO_ACCURACY ? "  at 0.5" : "");
    }
    print_folds(w.metrics_json, false, NULL);
  }
  rc = LT_EXIT_OK;
out:
  if (rc != LT_EXIT_OK)
    lt_cli_fail(&err);
  free(per);
  lt_model_free(m);
  lt_dataset_free(&ds);
  lt_weights_free(&w);
  return rc;
}
