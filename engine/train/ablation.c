/* engine/train/ablation.c — see ablation.h. */
#include "train/ablation.h"
#include "lt-locale.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "model/metrics.h"
#include "model/model.h"
#include "train/trainer.h"
#include "model/weights.h"
#include "nn/backend-select.h"

/* ---- rows ---- */
typedef struct {
  const char *name, *slug, *preset, *label;
} row_def;

static const row_def rows[LT_ABLATION_ROWS] = {
    {"resnet", "resnet", "resnet", "3D ResNet (baseline)"},
    {"transfer", "transfer", "basic", "Transfer learning from malignancy regression (baseline)"},
    {"basic", "basic", "basic", "- (basic modules)"},
    {"attr", "attr", "attr", "attr"},
    {"debug", "debug", "debug", "debug"},
    {"attr+debug", "attr-debug", "attr+debug", "attr+debug"},
    {"mal+debug-cam", "mal-debug-cam", "mal+debug-cam", "mal+debug (CAM)"},
    {"attr+concat", "attr-concat", "attr+concat", "attr+concat"},
    {"default", "default", "default", "attr+concat+debug (default)"},
};

/* Run order inside a fold: the debug comparison first, the baselines last. */
static const int run_order[LT_ABLATION_ROWS] = {9, 8, 5, 3, 6, 4, 7, 2, 1};
static const char *const variants[2] = {"confound", "plain"};

const char *lt_ablation_row_name(int row) {
  return row >= 1 && row <= LT_ABLATION_ROWS ? rows[row - 1].name : "?";
}
const char *lt_ablation_row_label(int row) {
  return row >= 1 && row <= LT_ABLATION_ROWS ? rows[row - 1].label : "?";
}

int lt_ablation_row_parse(const char *s) {
  for (int r = 1; r <= LT_ABLATION_ROWS; r++)
    if (!strcmp(s, rows[r - 1].name) || !strcmp(s, rows[r - 1].slug))
      return r;
  if (!strcmp(s, "attr+concat+debug"))
    return 9;
  char *end;
  long v = strtol(s, &end, 10);
  return *s && !*end && v >= 1 && v <= LT_ABLATION_ROWS ? (int)v : -1;
}

int lt_ablation_rows_parse(const char *list, unsigned *mask, lt_error *err) {
  char buf[512];
  if (strlen(list) >= sizeof buf)
    return lt_error_set(err, "row list too long");
  snprintf(buf, sizeof buf, "%s", list);
  *mask = 0;
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    const int r = lt_ablation_row_parse(t);
    if (r < 0)
      return lt_error_set(err, "unknown row '%.40s' (1-9 or resnet, transfer, basic, attr, debug, "
                               "attr+debug, mal+debug-cam, attr+concat, default)",
                          t);
    *mask |= 1u << r;
  }
  if (!*mask)
    return lt_error_set(err, "no rows given");
  return 0;
}

void lt_ablation_reduced_default(lt_ablation_reduced *r) {
  memset(r, 0, sizeof *r);
  r->width = 8;
  r->side = 32;
  r->hidden = 0;
  r->light = false;
  r->folds = 5;
  r->epochs = 12;
  r->patience = 4;
  r->batch = 1;
  r->seed = 1;
}

static int reduce(lt_model_config *c, const lt_ablation_reduced *r, lt_error *err) {
  c->width = r->width;
  c->input_size = r->side;
  if (r->hidden > 0)
    c->hidden = r->hidden;
  while (c->groups > 1 && c->width % c->groups)
    c->groups--;
  if (r->light) {
    memset(c->stage_convs, 0, sizeof c->stage_convs);
    memset(c->dec_convs, 0, sizeof c->dec_convs);
  }
  return lt_model_config_validate(c, err);
}

int lt_ablation_row_config(int row, const lt_ablation_reduced *r, lt_model_config *c,
                           lt_model_config *phase1, lt_error *err) {
  if (row < 1 || row > LT_ABLATION_ROWS)
    return lt_error_set(err, "no row %d", row);
  if (lt_model_config_preset(c, rows[row - 1].preset, err) || reduce(c, r, err))
    return -1;
  if (row == 2 && phase1) {
    /* Malignancy regression: the attribute branch with one output, no classifier loss is met
     * (phase 1 sees no labels), no debugging. */
    if (lt_model_config_preset(phase1, "mal+debug-cam", err))
      return -1;
    phase1->debug = LT_DEBUG_OFF;
    if (reduce(phase1, r, err))
      return -1;
  }
  return 0;
}

/* ---- small helpers ---- */
static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double load1(void) {
  double l[1];
  return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

static int mkdir_p(const char *dir, lt_error *err) {
  char buf[700];
  if (strlen(dir) >= sizeof buf)
    return lt_error_set(err, "folder name too long");
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST)
        return lt_error_set(err, "cannot create %s: %s", buf, strerror(errno));
      *p = '/';
    }
  if (mkdir(buf, 0777) && errno != EEXIST)
    return lt_error_set(err, "cannot create %s: %s", buf, strerror(errno));
  return 0;
}

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int write_atomic(const char *path, const char *txt, lt_error *err) {
  char tmp[760];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  int ok = f && fputs(txt, f) >= 0;
  if (f)
    ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path)) {
    remove(tmp);
    return lt_error_set(err, "cannot write %s", path);
  }
  return 0;
}

static char *read_text(const char *path, lt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return lt_error_set(err, "cannot open %s", path), NULL;
  char *txt = malloc(1 << 20);
  size_t n = txt ? fread(txt, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (!txt)
    return lt_error_set(err, "out of memory"), NULL;
  txt[n] = 0;
  return txt;
}

static void result_path(char *buf, size_t n, const char *dir, int v, int row, int fold) {
  snprintf(buf, n, "%s/%s-%s-fold%d.json", dir, variants[v], rows[row - 1].slug, fold + 1);
}

/* ---- data set views: a subset of samples sharing the files ---- */
typedef struct {
  lt_dataset ds;
  int *fold_of; /* per view sample */
  int *src;     /* view sample -> source sample */
} view;

enum { PICK_ALL, PICK_FOLD, PICK_UNSURE_RATED, PICK_SURE_LABELLED };

static int view_make(view *v, const lt_dataset *ds, const int *fold_of, int pick, int fold,
                     lt_error *err) {
  memset(v, 0, sizeof *v);
  v->ds = *ds;
  v->ds.s = malloc((size_t)ds->n * sizeof *v->ds.s);
  v->fold_of = malloc((size_t)ds->n * sizeof *v->fold_of);
  v->src = malloc((size_t)ds->n * sizeof *v->src);
  if (!v->ds.s || !v->fold_of || !v->src) {
    free(v->ds.s), free(v->fold_of), free(v->src);
    return lt_error_set(err, "out of memory");
  }
  int n = 0;
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    bool keep = pick == PICK_ALL || (pick == PICK_FOLD && fold_of[i] == fold) ||
                (pick == PICK_UNSURE_RATED && !s->has_label && s->has_ratings) ||
                (pick == PICK_SURE_LABELLED && s->has_label && s->sure);
    if (!keep)
      continue;
    lt_sample *d = &v->ds.s[n];
    *d = *s;
    if (pick == PICK_UNSURE_RATED) /* phase 1: malignancy regression only */
      d->has_mask = false;
    v->fold_of[n] = fold_of ? fold_of[i] : 0;
    v->src[n++] = i;
  }
  v->ds.n = v->ds.cap = n;
  if (n == 0) {
    free(v->ds.s), free(v->fold_of), free(v->src);
    memset(v, 0, sizeof *v);
    return lt_error_set(err, "%s: no samples of the kind needed (%s)", ds->dir,
                        pick == PICK_UNSURE_RATED    ? "unsure with ratings"
                        : pick == PICK_SURE_LABELLED ? "sure with labels"
                                                     : "in the fold");
  }
  return 0;
}

static void view_free(view *v) {
  free(v->ds.s), free(v->fold_of), free(v->src);
  memset(v, 0, sizeof *v);
}

/* ---- JSON of an evaluation ---- */
static const char *const metric_keys[] = {"accuracy",    "auc",       "f1",
                                          "sensitivity", "specificity", "precision",
                                          "precision_benign", "cam_share_in", "dice",
                                          "attr_mae",    "cam_pass_rate"};
enum { N_METRICS = 11, N_TABLE1 = 7, M_CAM = 7, M_DICE = 8 };

static void metric_values(const lt_eval *e, double *v) {
  const double x[N_METRICS] = {e->cls.accuracy,    e->auc,        e->cls.f1,
                               e->cls.sensitivity, e->cls.specificity, e->cls.precision,
                               e->cls.precision_benign, e->share_in, e->dice,
                               e->attr_mae,        e->pass_rate};
  memcpy(v, x, sizeof x);
}

static cJSON *eval_json(const lt_eval *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "n", e->n);
  cJSON_AddNumberToObject(o, "n_labelled", e->n_labelled);
  cJSON_AddNumberToObject(o, "n_masked", e->n_masked);
  cJSON_AddNumberToObject(o, "n_trust", e->n_trust);
  double v[N_METRICS];
  metric_values(e, v);
  for (int k = 0; k < N_METRICS; k++)
    if (isfinite(v[k]))
      cJSON_AddNumberToObject(o, metric_keys[k], v[k]);
    else
      cJSON_AddNullToObject(o, metric_keys[k]);
  return o;
}

static cJSON *data_json(const lt_dataset *ds) {
  cJSON *o = cJSON_CreateObject();
  char hash[80];
  lt_dataset_hash(ds, hash, sizeof hash);
  int lab = 0, uns = 0, np = 0;
  for (int i = 0; i < ds->n; i++) {
    lab += ds->s[i].has_label;
    uns += !ds->s[i].has_label;
    int seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = !strcmp(ds->s[j].patient, ds->s[i].patient);
    np += !seen;
  }
  const char *base = strrchr(ds->dir, '/');
  cJSON_AddStringToObject(o, "name", base && base[1] ? base + 1 : ds->dir);
  cJSON_AddStringToObject(o, "hash", hash);
  cJSON_AddNumberToObject(o, "samples", ds->n);
  cJSON_AddNumberToObject(o, "labelled", lab);
  cJSON_AddNumberToObject(o, "unlabelled", uns);
  cJSON_AddNumberToObject(o, "patients", np);
  return o;
}

static cJSON *reduced_json(const lt_ablation_reduced *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "width", r->width);
  cJSON_AddNumberToObject(o, "side", r->side);
  cJSON_AddNumberToObject(o, "hidden", r->hidden);
  cJSON_AddBoolToObject(o, "light", r->light);
  cJSON_AddNumberToObject(o, "folds", r->folds);
  cJSON_AddNumberToObject(o, "epochs", r->epochs);
  cJSON_AddNumberToObject(o, "patience", r->patience);
  cJSON_AddNumberToObject(o, "batch", r->batch);
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  cJSON_AddStringToObject(o, "seed", seed);
  return o;
}

static int jint(const cJSON *o, const char *k, int *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
    return 0;
  *out = (int)v->valuedouble;
  return 1;
}

static int reduced_from_json(lt_ablation_reduced *r, const cJSON *o) {
  memset(r, 0, sizeof *r);
  const cJSON *light = cJSON_GetObjectItemCaseSensitive(o, "light");
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
  if (!jint(o, "width", &r->width) || !jint(o, "side", &r->side) ||
      !jint(o, "hidden", &r->hidden) || !cJSON_IsBool(light) || !jint(o, "folds", &r->folds) ||
      !jint(o, "epochs", &r->epochs) || !jint(o, "patience", &r->patience) ||
      !jint(o, "batch", &r->batch) || !cJSON_IsString(seed))
    return -1;
  r->light = cJSON_IsTrue(light);
  char *end;
  r->seed = strtoull(seed->valuestring, &end, 10);
  return *seed->valuestring && !*end ? 0 : -1;
}

static bool reduced_equal(const lt_ablation_reduced *a, const lt_ablation_reduced *b) {
  return a->width == b->width && a->side == b->side && a->hidden == b->hidden &&
         a->light == b->light && a->folds == b->folds && a->epochs == b->epochs &&
         a->patience == b->patience && a->batch == b->batch && a->seed == b->seed;
}

/* ---- one result file ---- */
typedef struct {
  int variant, row, fold; /* fold 0-based */
  lt_ablation_reduced reduced;
  double test[N_METRICS], clean[N_METRICS]; /* NaN when absent */
  bool has_clean;
  double wall_s, load_start, load_end;
  char data_hash[80];
  char folds_hash[32]; /* "" when the file has none */
  cJSON *data, *clean_data; /* owned by root */
  cJSON *root;
} result;

static void metrics_from_json(const cJSON *o, double *v, int *bad) {
  for (int k = 0; k < N_METRICS; k++) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, metric_keys[k]);
    if (cJSON_IsNumber(x))
      v[k] = x->valuedouble;
    else if (cJSON_IsNull(x) || (!x && k >= N_TABLE1))
      v[k] = NAN;
    else
      *bad = 1;
  }
}

static double jnum_or_nan(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Reads path; expect_* < 0: any. */
static int result_load(result *r, const char *path, lt_error *err) {
  memset(r, 0, sizeof *r);
  char *txt = read_text(path, err);
  if (!txt)
    return -1;
  cJSON *root = cJSON_Parse(txt);
  free(txt);
  const char *why = NULL;
  if (!root || !cJSON_IsObject(root)) {
    why = "not JSON";
  } else {
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(root, "variant");
    const cJSON *row = cJSON_GetObjectItemCaseSensitive(root, "row");
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(root, "test");
    const cJSON *clean = cJSON_GetObjectItemCaseSensitive(root, "confound_free_test");
    const cJSON *red = cJSON_GetObjectItemCaseSensitive(root, "reduced");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *hash = data ? cJSON_GetObjectItemCaseSensitive(data, "hash") : NULL;
    int bad = 0;
    r->variant = -1;
    if (cJSON_IsString(var))
      for (int v = 0; v < 2; v++)
        if (!strcmp(var->valuestring, variants[v]))
          r->variant = v;
    r->row = cJSON_IsString(row) ? lt_ablation_row_parse(row->valuestring) : -1;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, LT_ABLATION_FORMAT))
      why = "not an ablation result (format)";
    else if (r->variant < 0)
      why = "unknown variant";
    else if (r->row < 0)
      why = "unknown row";
    else if (!cJSON_IsObject(red) || reduced_from_json(&r->reduced, red))
      why = "bad reduced configuration";
    else if (!jint(root, "fold", &r->fold) || r->fold < 1 || r->fold > r->reduced.folds)
      why = "bad fold";
    else if (!cJSON_IsObject(test) || (metrics_from_json(test, r->test, &bad), bad))
      why = "bad test metrics";
    else if (clean && (!cJSON_IsObject(clean) || (metrics_from_json(clean, r->clean, &bad), bad)))
      why = "bad confound-free test metrics";
    else if (!cJSON_IsString(hash) || strlen(hash->valuestring) >= sizeof r->data_hash)
      why = "no data hash";
    else if (!isfinite(jnum_or_nan(root, "wall_s")))
      why = "no wall time";
    if (!why) {
      r->fold--;
      r->has_clean = clean != NULL;
      if (!r->has_clean)
        for (int k = 0; k < N_METRICS; k++)
          r->clean[k] = NAN;
      snprintf(r->data_hash, sizeof r->data_hash, "%s", hash->valuestring);
      const cJSON *fh = cJSON_GetObjectItemCaseSensitive(root, "folds_hash");
      if (cJSON_IsString(fh))
        snprintf(r->folds_hash, sizeof r->folds_hash, "%s", fh->valuestring);
      r->wall_s = jnum_or_nan(root, "wall_s");
      r->load_start = jnum_or_nan(root, "load_start");
      r->load_end = jnum_or_nan(root, "load_end");
      r->data = (cJSON *)data;
      r->clean_data = cJSON_GetObjectItemCaseSensitive(root, "confound_free_data");
      /* The name must say what the file holds. */
      char want[700];
      const char *base = strrchr(path, '/');
      base = base ? base + 1 : path;
      result_path(want, sizeof want, ".", r->variant, r->row, r->fold);
      if (strcmp(base, want + 2))
        why = "its name does not match its variant, row and fold";
    }
  }
  if (why) {
    cJSON_Delete(root);
    return lt_error_set(err, "%s: corrupt ablation result (%s); remove it to redo the run", path,
                        why);
  }
  r->root = root;
  return 0;
}

static void result_free(result *r) {
  cJSON_Delete(r->root);
  r->root = NULL;
}

int lt_ablation_result_check(const char *path, lt_error *err) {
  result r;
  if (result_load(&r, path, err))
    return -1;
  result_free(&r);
  return 0;
}

/* ---- one run ---- */
typedef struct {
  const lt_ablation_options *o;
  const lt_dataset *ds[2];
  int *fold_of[2];
  char hash[2][80];
  char folds_hash[2][32]; /* of fold_of: results of another fold split are refused */
} runner;

static void folds_hash(char *out, size_t n, const int *fold_of, int count) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < count; i++) {
    h ^= (uint64_t)(fold_of[i] + 1);
    h *= 1099511628211ULL;
  }
  snprintf(out, n, "fnv1a64:%016llx", (unsigned long long)h);
}

static int load_model(lt_model **m, const char *path, const lt_backend *be, lt_error *err) {
  lt_weights w;
  if (lt_weights_load(path, NULL, &w, err))
    return -1;
  int rc = lt_model_create(m, &w.config, be, 1, false, err);
  if (!rc)
    memcpy(lt_model_params(*m), w.params, lt_model_table(*m)->total * sizeof(float));
  lt_weights_free(&w);
  return rc;
}

static void train_opts(lt_train_options *t, const runner *R, int fold, const int *fold_of,
                       const char *dir) {
  const lt_ablation_reduced *r = &R->o->reduced;
  lt_train_options_default(t);
  t->folds = r->folds;
  t->only_fold = fold;
  t->epochs = r->epochs;
  t->patience = r->patience;
  t->batch = r->batch;
  t->seed = r->seed;
  t->out_dir = dir;
  t->fold_of = fold_of;
  t->backend = R->o->backend;
  t->progress = R->o->progress;
  char st[760];
  snprintf(st, sizeof st, "%s/state.json", dir);
  t->resume = exists(st);
}

/* Trains (or finishes) the model of (variant v, row, fold) in dir; *model gets its path. */
static int train_run(const runner *R, int v, int row, int fold, const char *dir, char *model,
                     size_t model_n, cJSON *extra, lt_error *err) {
  const lt_dataset *ds = R->ds[v];
  lt_model_config c, p1;
  if (lt_ablation_row_config(row, &R->o->reduced, &c, &p1, err))
    return -1;
  if (mkdir_p(dir, err))
    return -1;
  lt_train_options t;
  lt_train_result res;
  snprintf(model, model_n, "%s/model.safetensors", dir);
  if (row != 2) {
    train_opts(&t, R, fold, R->fold_of[v], dir);
    if (lt_train(ds, &c, &t, &res, err) < 0)
      return -1;
    if (res.n_folds >= 1) {
      cJSON_AddNumberToObject(extra, "epochs_run", res.fold[0].epochs_run);
      cJSON_AddNumberToObject(extra, "best_epoch", res.fold[0].best_epoch);
      cJSON_AddNumberToObject(extra, "n_train", res.fold[0].n_train);
      cJSON_AddNumberToObject(extra, "n_val", res.fold[0].n_val);
    }
    return 0;
  }
  /* Transfer learning: phase 1 regresses the unsure samples' mean malignancy rating, phase 2
   * starts the classifier from it and fine-tunes on the sure labels. Same folds. */
  char d1[760], d2[760], m1[800];
  snprintf(d1, sizeof d1, "%s/phase1", dir);
  snprintf(d2, sizeof d2, "%s/phase2", dir);
  snprintf(m1, sizeof m1, "%s/model.safetensors", d1);
  snprintf(model, model_n, "%s/model.safetensors", d2);
  view v1, v2;
  if (view_make(&v1, ds, R->fold_of[v], PICK_UNSURE_RATED, 0, err))
    return -1;
  int rc = -1;
  cJSON *tj = cJSON_AddObjectToObject(extra, "transfer");
  if (!exists(m1)) {
    if (mkdir_p(d1, err))
      goto out1;
    train_opts(&t, R, fold, v1.fold_of, d1);
    if (lt_train(&v1.ds, &p1, &t, &res, err) < 0)
      goto out1;
    if (res.n_folds >= 1) {
      cJSON_AddNumberToObject(tj, "phase1_epochs_run", res.fold[0].epochs_run);
      cJSON_AddNumberToObject(tj, "phase1_n_train", res.fold[0].n_train);
      cJSON_AddNumberToObject(tj, "phase1_val_mse", res.fold[0].best_val_loss);
    }
  }
  if (view_make(&v2, ds, R->fold_of[v], PICK_SURE_LABELLED, 0, err))
    goto out1;
  if (mkdir_p(d2, err))
    goto out2;
  train_opts(&t, R, fold, v2.fold_of, d2);
  t.init_from = m1;
  if (lt_train(&v2.ds, &c, &t, &res, err) < 0)
    goto out2;
  cJSON_AddNumberToObject(tj, "tensors_copied", res.init_copied);
  cJSON_AddNumberToObject(tj, "tensors", res.init_tensors);
  if (res.n_folds >= 1) {
    cJSON_AddNumberToObject(extra, "epochs_run", res.fold[0].epochs_run);
    cJSON_AddNumberToObject(extra, "best_epoch", res.fold[0].best_epoch);
    cJSON_AddNumberToObject(extra, "n_train", res.fold[0].n_train);
    cJSON_AddNumberToObject(extra, "n_val", res.fold[0].n_val);
  }
  rc = 0;
out2:
  view_free(&v2);
out1:
  view_free(&v1);
  return rc;
}

static void utc_now(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int one_run(const runner *R, int v, int row, int fold, const char *path, lt_eval *test,
                   lt_eval *clean, double *wall, lt_error *err) {
  const lt_ablation_options *o = R->o;
  const double t0 = now_s(), l0 = load1();
  char dir[700], model[800];
  snprintf(dir, sizeof dir, "%s/%s-%s-fold%d", o->work_dir, variants[v], rows[row - 1].slug,
           fold + 1);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", LT_ABLATION_FORMAT);
  cJSON_AddStringToObject(root, "variant", variants[v]);
  cJSON_AddStringToObject(root, "row", rows[row - 1].name);
  cJSON_AddNumberToObject(root, "table_row", row);
  cJSON_AddNumberToObject(root, "fold", fold + 1);
  cJSON_AddItemToObject(root, "reduced", reduced_json(&o->reduced));
  lt_model_config c;
  lt_error e2;
  if (!lt_ablation_row_config(row, &o->reduced, &c, NULL, &e2)) {
    char *cj = lt_model_config_to_json(&c);
    cJSON_AddItemToObject(root, "config", cJSON_Parse(cj ? cj : "{}"));
    free(cj);
  }
  cJSON_AddItemToObject(root, "data", data_json(R->ds[v]));
  cJSON_AddStringToObject(root, "folds_hash", R->folds_hash[v]);
  if (v == 0)
    cJSON_AddItemToObject(root, "confound_free_data", data_json(o->confound_test));
  lt_model *m = NULL;
  view tv;
  memset(&tv, 0, sizeof tv);
  int rc = -1;
  if (train_run(R, v, row, fold, dir, model, sizeof model, root, err))
    goto out;
  const lt_backend *be = lt_backend_select(o->backend ? o->backend : "auto", err);
  if (!be || load_model(&m, model, be, err))
    goto out;
  /* The fold's held-out patients, every sample (labelled ones give the Table 1 measures). */
  if (view_make(&tv, R->ds[v], R->fold_of[v], PICK_FOLD, fold, err))
    goto out;
  int *idx = malloc((size_t)tv.ds.n * sizeof *idx);
  if (!idx) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < tv.ds.n; i++)
    idx[i] = i;
  int erc = lt_evaluate(m, &tv.ds, idx, tv.ds.n, test, err);
  cJSON_AddNumberToObject(root, "n_test", tv.ds.n);
  if (!erc && v == 0) {
    int *all = malloc((size_t)o->confound_test->n * sizeof *all);
    if (!all) {
      erc = lt_error_set(err, "out of memory");
    } else {
      for (int i = 0; i < o->confound_test->n; i++)
        all[i] = i;
      erc = lt_evaluate(m, o->confound_test, all, o->confound_test->n, clean, err);
      free(all);
    }
  }
  free(idx);
  if (erc)
    goto out;
  cJSON_AddItemToObject(root, "test", eval_json(test));
  if (v == 0)
    cJSON_AddItemToObject(root, "confound_free_test", eval_json(clean));
  *wall = now_s() - t0;
  cJSON_AddNumberToObject(root, "wall_s", *wall);
  const double l1 = load1();
  if (isfinite(l0))
    cJSON_AddNumberToObject(root, "load_start", l0);
  if (isfinite(l1))
    cJSON_AddNumberToObject(root, "load_end", l1);
  char when[32];
  utc_now(when, sizeof when);
  cJSON_AddStringToObject(root, "finished_utc", when);
  char *txt = cJSON_Print(root);
  if (!txt) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  rc = write_atomic(path, txt, err);
  free(txt);
out:
  view_free(&tv);
  lt_model_free(m);
  cJSON_Delete(root);
  return rc;
}

int lt_ablation_run(const lt_ablation_options *o, lt_ablation_summary *sum, lt_error *err) {
  memset(sum, 0, sizeof *sum);
  const double t_start = now_s();
  const lt_ablation_reduced *red = &o->reduced;
  if (!o->plain && !o->confound)
    return lt_error_set(err, "no data set given");
  if (o->confound && !o->confound_test)
    return lt_error_set(err, "the confound variant needs its confound-free test set");
  if (red->folds < 2 || red->folds > LT_MAX_FOLDS)
    return lt_error_set(err, "folds must be 2-%d", LT_MAX_FOLDS);
  if (red->epochs < 1 || red->patience < 1 || red->batch < 1)
    return lt_error_set(err, "epochs, patience and batch must be positive");
  if (red->side < 8 || 64 % red->side || red->side % 8)
    return lt_error_set(err, "patch side %d must divide 64 and be a multiple of 8", red->side);
  if (mkdir_p(o->results_dir, err) || mkdir_p(o->work_dir, err))
    return -1;
  runner R;
  memset(&R, 0, sizeof R);
  R.o = o;
  R.ds[0] = o->confound;
  R.ds[1] = o->plain;
  int rc = -1;
  for (int v = 0; v < 2; v++) {
    if (!R.ds[v])
      continue;
    R.fold_of[v] = malloc((size_t)R.ds[v]->n * sizeof *R.fold_of[v]);
    if (!R.fold_of[v]) {
      lt_error_set(err, "out of memory");
      goto out;
    }
    if (lt_train_folds(R.ds[v], red->folds, red->seed, R.fold_of[v], err))
      goto out;
    lt_dataset_hash(R.ds[v], R.hash[v], sizeof R.hash[v]);
    folds_hash(R.folds_hash[v], sizeof R.folds_hash[v], R.fold_of[v], R.ds[v]->n);
  }
  const unsigned mask = o->rows ? o->rows : ((1u << (LT_ABLATION_ROWS + 1)) - 2);
  /* Which rows exist in this build. */
  bool avail[LT_ABLATION_ROWS + 1] = {false};
  for (int r = 1; r <= LT_ABLATION_ROWS; r++) {
    lt_model_config c;
    lt_error e2;
    avail[r] = !lt_ablation_row_config(r, red, &c, NULL, &e2);
    if (!avail[r] && (mask >> r & 1) && o->progress)
      fprintf(o->progress, "row %d (%s) unavailable: %s\n", r, rows[r - 1].name, e2.msg);
  }
  int total = 0;
  for (int v = 0; v < 2; v++)
    for (int r = 1; r <= LT_ABLATION_ROWS; r++)
      total += R.ds[v] && (mask >> r & 1) ? red->folds : 0;
  /* Pass 1: check what is done. Pass 2: run the rest. */
  double est_sum = 0;
  int est_n = 0, run_no = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int fold = 0; fold < red->folds; fold++)
      for (int v = 0; v < 2; v++)
        for (int q = 0; q < LT_ABLATION_ROWS; q++) {
          const int row = run_order[q];
          if (!R.ds[v] || !(mask >> row & 1))
            continue;
          char path[700];
          result_path(path, sizeof path, o->results_dir, v, row, fold);
          if (exists(path)) {
            if (pass == 1)
              continue;
            result res;
            if (result_load(&res, path, err))
              goto out;
            const bool same = reduced_equal(&res.reduced, red);
            const bool same_data = !strcmp(res.data_hash, R.hash[v]);
            const bool same_folds = !res.folds_hash[0] || !strcmp(res.folds_hash, R.folds_hash[v]);
            const double w = res.wall_s;
            result_free(&res);
            if (!same) {
              lt_error_set(err, "%s was made with another reduced configuration; use another "
                                "results folder or remove it", path);
              goto out;
            }
            if (!same_folds) {
              lt_error_set(err, "%s was made with another fold split (the trainer's folds changed); "
                                "use another results folder or remove it", path);
              goto out;
            }
            if (!same_data) {
              lt_error_set(err, "%s was made from another data set (hash); use another results "
                                "folder or remove it", path);
              goto out;
            }
            sum->done_before++;
            est_sum += w;
            est_n++;
            continue;
          }
          if (pass == 0)
            continue;
          if (!avail[row]) {
            sum->unavailable++;
            continue;
          }
          const double elapsed = now_s() - t_start;
          const double est = est_n ? est_sum / est_n : 0;
          if (o->max_minutes > 0 && elapsed + est > 60 * o->max_minutes) {
            sum->stopped = true;
            sum->left++;
            continue;
          }
          run_no++;
          if (o->progress) {
            fprintf(o->progress, "== run %d of %d left: %s %s (row %d) fold %d/%d\n", run_no,
                    total - sum->done_before - sum->unavailable, variants[v], rows[row - 1].name,
                    row, fold + 1, red->folds);
            fflush(o->progress);
          }
          lt_eval test, clean;
          double wall = 0;
          if (one_run(&R, v, row, fold, path, &test, &clean, &wall, err))
            goto out;
          sum->done_now++;
          if (!est_n || sum->done_now == 1) {
            est_sum = 0; /* this call's runs estimate the next ones best */
            est_n = 0;
          }
          est_sum += wall;
          est_n++;
          if (o->progress) {
            fprintf(o->progress,
                    "== done %s %s fold %d in %.0f s: test AUC %.3f accuracy %.3f CAM in %.3f"
                    " Dice %.3f",
                    variants[v], rows[row - 1].name, fold + 1, wall, test.auc, test.cls.accuracy,
                    test.share_in, test.dice);
            if (v == 0)
              fprintf(o->progress, "; confound-free AUC %.3f CAM in %.3f", clean.auc,
                      clean.share_in);
            fprintf(o->progress, "\n");
            fflush(o->progress);
          }
        }
  rc = sum->stopped ? 1 : 0;
out:
  for (int v = 0; v < 2; v++)
    free(R.fold_of[v]);
  sum->wall_s = now_s() - t_start;
  return rc;
}

/* ---- the table ---- */
typedef struct {
  int n;
  double v[LT_MAX_FOLDS][N_METRICS], c[LT_MAX_FOLDS][N_METRICS];
  int fold[LT_MAX_FOLDS];
} cell;

static void fmt_ms(char *buf, size_t n, const double *x, int k) {
  double v[LT_MAX_FOLDS];
  int m = 0;
  for (int i = 0; i < k; i++)
    if (isfinite(x[i]))
      v[m++] = 100 * x[i];
  if (!m) {
    snprintf(buf, n, "-");
    return;
  }
  double mean, sd;
  lt_mean_sd(v, m, &mean, &sd);
  if (m > 1)
    snprintf(buf, n, "%.1f ± %.1f", mean, sd);
  else
    snprintf(buf, n, "%.1f", mean);
}

static void column(const cell *c, int metric, bool clean, double *out) {
  for (int i = 0; i < c->n; i++)
    out[i] = clean ? c->c[i][metric] : c->v[i][metric];
}

static void data_line(FILE *f, const char *what, const cJSON *d, const char *note) {
  if (!d)
    return;
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
  fprintf(f, "- %s: `%s`, %.0f samples (%.0f labelled, %.0f unlabelled), %.0f cases%s\n", what,
          cJSON_IsString(name) ? name->valuestring : "?", jnum_or_nan(d, "samples"),
          jnum_or_nan(d, "labelled"), jnum_or_nan(d, "unlabelled"), jnum_or_nan(d, "patients"),
          note);
}

static void pair_rows(FILE *f, const cell *off, const cell *on, const char *name_off,
                      const char *name_on) {
  static const struct {
    const char *label;
    int metric;
    bool clean;
  } ms[] = {{"CAM share inside the nodule, cross-validation test folds", M_CAM, false},
            {"CAM share inside the nodule, confound-free test set", M_CAM, true},
            {"AUC, confound-free test set", 1, true},
            {"AUC, cross-validation test folds (confounded)", 1, false}};
  for (size_t q = 0; q < sizeof ms / sizeof ms[0]; q++) {
    double a[LT_MAX_FOLDS], b[LT_MAX_FOLDS], d[LT_MAX_FOLDS];
    column(off, ms[q].metric, ms[q].clean, a);
    column(on, ms[q].metric, ms[q].clean, b);
    char sa[48], sb[48], sd[64] = "-", per[256] = "";
    fmt_ms(sa, sizeof sa, a, off->n);
    fmt_ms(sb, sizeof sb, b, on->n);
    int nd = 0, higher = 0;
    size_t at = 0;
    for (int i = 0; i < off->n; i++)
      for (int j = 0; j < on->n; j++)
        if (off->fold[i] == on->fold[j] && isfinite(a[i]) && isfinite(b[j])) {
          d[nd] = b[j] - a[i];
          higher += d[nd] > 0;
          nd++;
          if (at < sizeof per)
            at += (size_t)snprintf(per + at, sizeof per - at, "%s%+.1f", nd > 1 ? ", " : "",
                                   100 * (b[j] - a[i]));
        }
    if (nd) {
      fmt_ms(sd, sizeof sd, d, nd);
      size_t l = strlen(sd);
      snprintf(sd + l, sizeof sd - l, " (higher in %d of %d)", higher, nd);
    }
    fprintf(f, "| %s vs %s | %s | %s | %s | %s | %s |\n", name_off, name_on, ms[q].label, sa, sb,
            sd, nd ? per : "-");
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int lt_ablation_table(const char *results_dir, const char *md_path, int *n_results,
                      lt_error *err) {
  DIR *d = opendir(results_dir);
  if (!d)
    return lt_error_set(err, "cannot open %s: %s", results_dir, strerror(errno));
  char **names = NULL;
  int nn = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    const size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
      continue;
    if (nn == cap) {
      cap = cap ? 2 * cap : 64;
      char **nw = realloc(names, (size_t)cap * sizeof *nw);
      if (!nw)
        break;
      names = nw;
    }
    names[nn] = strdup(e->d_name);
    if (names[nn])
      nn++;
  }
  closedir(d);
  if (nn > 1)
    qsort(names, (size_t)nn, sizeof *names, cmp_str);
  static cell cells[2][LT_ABLATION_ROWS + 1];
  memset(cells, 0, sizeof cells);
  lt_ablation_reduced red;
  memset(&red, 0, sizeof red);
  cJSON *data[2] = {NULL, NULL}, *clean_data = NULL, *config_of[LT_ABLATION_ROWS + 1] = {NULL};
  cJSON *keep[2 * LT_ABLATION_ROWS * LT_MAX_FOLDS];
  int nkeep = 0, rc = -1, nres = 0;
  double wall = 0, load_sum = 0, wall_max = 0;
  int load_n = 0;
  char hash[2][80] = {"", ""}, first[2][700] = {"", ""}, fh[2][32] = {"", ""};
  for (int i = 0; i < nn; i++) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", results_dir, names[i]);
    result r;
    if (result_load(&r, path, err))
      goto out;
    if (nres && !reduced_equal(&r.reduced, &red)) {
      lt_error_set(err, "%s: another reduced configuration than the other results", path);
      result_free(&r);
      goto out;
    }
    if (hash[r.variant][0] && strcmp(hash[r.variant], r.data_hash)) {
      lt_error_set(err, "%s: another %s data set than %s", path, variants[r.variant],
                   first[r.variant]);
      result_free(&r);
      goto out;
    }
    if (fh[r.variant][0] && r.folds_hash[0] && strcmp(fh[r.variant], r.folds_hash)) {
      lt_error_set(err, "%s: another fold split than %s", path, first[r.variant]);
      result_free(&r);
      goto out;
    }
    if (!fh[r.variant][0])
      snprintf(fh[r.variant], sizeof fh[r.variant], "%s", r.folds_hash);
    if (!hash[r.variant][0]) {
      snprintf(hash[r.variant], sizeof hash[r.variant], "%s", r.data_hash);
      snprintf(first[r.variant], sizeof first[r.variant], "%s", names[i]);
      data[r.variant] = r.data;
      if (r.variant == 0)
        clean_data = r.clean_data;
    }
    if (!config_of[r.row])
      config_of[r.row] = cJSON_GetObjectItemCaseSensitive(r.root, "config");
    red = r.reduced;
    nres++;
    cell *c = &cells[r.variant][r.row];
    if (c->n < LT_MAX_FOLDS) {
      memcpy(c->v[c->n], r.test, sizeof r.test);
      memcpy(c->c[c->n], r.clean, sizeof r.clean);
      c->fold[c->n++] = r.fold;
    }
    wall += r.wall_s;
    wall_max = fmax(wall_max, r.wall_s);
    if (isfinite(r.load_start) && isfinite(r.load_end)) {
      load_sum += 0.5 * (r.load_start + r.load_end);
      load_n++;
    }
    keep[nkeep++] = r.root; /* the cJSON trees referenced above stay alive until the end */
    if (nkeep == (int)(sizeof keep / sizeof keep[0])) {
      lt_error_set(err, "%s: more results than 2 variants x 9 rows x %d folds", results_dir,
                   LT_MAX_FOLDS);
      goto out;
    }
  }
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", md_path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    lt_error_set(err, "cannot write %s", tmp);
    goto out;
  }
  /* the page's numbers are read back by scripts: '.' whatever the process locale */
  const locale_t numbers_were = lt_locale_c_begin();
  fprintf(f, "# Table 1 reproduced on synthetic data: the ablation and the two baselines\n\n");
  fprintf(f,
          "Written by `lungtrust-cli ablation` (engine/train/ablation.h) from the %d result files "
          "in `%s`; reproduce everything (data, runs, this file) with `scripts/ablation.sh` "
          "(resumable: it skips finished runs). Measures on the held-out folds' labelled (sure) "
          "samples at threshold 0.5, in percent: mean ± sd over the folds done (sd needs two "
          "folds). CAM in: the share of the Grad-CAM (CAM for row 7) inside the nodule (the "
          "consensus mask of unsure samples, the sphere of sure ones); Dice: the segmentation "
          "against the unsure samples' consensus masks.\n\n",
          nres, results_dir);
  if (nres) {
    fprintf(f, "## Configuration (one for every row)\n\n");
    fprintf(f,
            "- reduced model: width w = %d (stage widths %d-%d-%d-%d), patch side %d (the "
            "2x64^3 patch averaged down), head width %d, %s; presets of "
            "engine/model/config.c otherwise (Adam lr 1e-3, lambda 0.5)\n",
            red.width, red.width, 2 * red.width, 4 * red.width, 8 * red.width, red.side,
            red.hidden > 0 ? red.hidden : 256,
            red.light ? "no extra convolutions" : "the default convolutions per stage");
    fprintf(f,
            "- training: %d-fold cross-validation split by case (patient), 20%% of the training "
            "cases held for validation, at most %d epochs with early stopping on the validation "
            "loss (patience %d), batch %d, random cube symmetries, seed %llu (folds, "
            "initialisation, order)\n",
            red.folds, red.epochs, red.patience, red.batch, (unsigned long long)red.seed);
    fprintf(f,
            "- transfer learning (row 2): phase 1 regresses the unsure samples' mean malignancy "
            "rating (attribute branch with one output, no segmentation or classifier loss), phase "
            "2 starts the basic classifier from every tensor of matching name and shape and "
            "fine-tunes on the sure labels; both phases keep the row's folds; neither phase "
            "trains the segmentation, so row 2's Dice is that of an untrained decoder\n");
    data_line(f, "plain data (no confound)", data[1], "; labelled = sure (label, centre, radius)");
    data_line(f, "confound data (train split, cross-validated)", data[0], "");
    data_line(f, "confound-free test set (test split of the confound data)", clean_data,
              "; built with `dataset --evaluation`, so the unsure nodules there carry their "
              "synthetic true label and every nodule counts");
    int n_all = 0; /* both variants, the rows this build has */
    for (int v = 0; v < 2; v++)
      for (int r = 1; r <= LT_ABLATION_ROWS; r++) {
        lt_model_config cfg;
        lt_error e2;
        n_all += !lt_ablation_row_config(r, &red, &cfg, NULL, &e2) ? red.folds : 0;
      }
    fprintf(f,
            "- wall time: %.2f h over %d runs (mean %.0f s, longest %.0f s; %d of %d runs done, "
            "%.1f h projected for all at this pace) on the 2-core machine, shared with other "
            "jobs: mean 1-minute load average %.1f during the runs (2 would be this job "
            "alone)\n\n",
            wall / 3600, nres, wall / nres, wall_max, nres, n_all, wall / nres * n_all / 3600,
            load_n ? load_sum / load_n : NAN);
  }
  for (int v = 0; v < 2; v++) {
    int any = 0;
    for (int r = 1; r <= LT_ABLATION_ROWS; r++)
      any += cells[v][r].n;
    if (!any)
      continue;
    fprintf(f, "## %s\n\n",
            v == 0 ? "With the confound (trained on the train split; a speck marks 90% of "
                     "malignant and 10% of benign training nodules)"
                   : "Without the confound");
    fprintf(f, "| # | Method | folds | Accuracy | AUC | F1 | Sensitivity | Specificity | "
               "Precision | Precision_b | CAM in | Dice |%s\n",
            v == 0 ? " AUC confound-free | CAM in confound-free |" : "");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|---|%s\n", v == 0 ? "---|---|" : "");
    for (int r = 1; r <= LT_ABLATION_ROWS; r++) {
      const cell *c = &cells[v][r];
      lt_model_config cfg;
      lt_error e2;
      if (!c->n && lt_ablation_row_config(r, &red, &cfg, NULL, &e2)) {
        fprintf(f, "| %d | %s | 0/%d | not in this build: %s |\n", r, rows[r - 1].label,
                red.folds, e2.msg);
        continue;
      }
      fprintf(f, "| %d | %s | %d/%d |", r, rows[r - 1].label, c->n, red.folds);
      const int cols[9] = {0, 1, 2, 3, 4, 5, 6, M_CAM, M_DICE};
      for (int q = 0; q < 9; q++) {
        double x[LT_MAX_FOLDS];
        char s[48];
        column(c, cols[q], false, x);
        fmt_ms(s, sizeof s, x, c->n);
        fprintf(f, " %s |", s);
      }
      if (v == 0)
        for (int q = 0; q < 2; q++) {
          double x[LT_MAX_FOLDS];
          char s[48];
          column(c, q == 0 ? 1 : M_CAM, true, x);
          fmt_ms(s, sizeof s, x, c->n);
          fprintf(f, " %s |", s);
        }
      fprintf(f, "\n");
    }
    fprintf(f, "\n");
    if (v == 0) {
      fprintf(f, "### Debugging on vs off, with the confound (the paper's claim)\n\n");
      fprintf(f, "Paired by fold (the same folds, seed and data); difference = with debugging "
                 "minus without, in percentage points.\n\n");
      fprintf(f, "| rows | measure | without debug | with debug | difference | per fold |\n");
      fprintf(f, "|---|---|---|---|---|---|\n");
      pair_rows(f, &cells[0][8], &cells[0][9], "8 attr+concat", "9 default");
      pair_rows(f, &cells[0][3], &cells[0][5], "3 basic", "5 debug");
      fprintf(f, "\n");
    }
  }
  fprintf(f, "## Rows and their presets\n\n");
  for (int r = 1; r <= LT_ABLATION_ROWS; r++) {
    char *cj = config_of[r] ? cJSON_PrintUnformatted(config_of[r]) : NULL;
    fprintf(f, "- %d `%s`: %s%s%s%s\n", r, rows[r - 1].name, rows[r - 1].label,
            cj ? " — `" : " — no result yet", cj ? cj : "", cj ? "`" : "");
    free(cj);
  }
  const int ok = fclose(f) == 0;
  lt_locale_c_end(numbers_were);
  if (!ok || rename(tmp, md_path)) {
    remove(tmp);
    lt_error_set(err, "cannot write %s", md_path);
    goto out;
  }
  if (n_results)
    *n_results = nres;
  rc = 0;
out:
  for (int i = 0; i < nkeep; i++)
    cJSON_Delete(keep[i]);
  for (int i = 0; i < nn; i++)
    free(names[i]);
  free(names);
  return rc;
}
