/* engine/train/trainer.c — cross-validated training with checkpoints and resume (trainer.h). */
#include "train/trainer.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "train/adam.h"
#include "train/augment.h"
#include "train/folds.h"
#include "model/gradcam.h"
#include "model/loss.h"
#include "model/params.h"
#include "train/transfer.h"
#include "nn/backend-select.h"

void lt_train_options_default(lt_train_options *o) {
  memset(o, 0, sizeof *o);
  o->folds = 5;
  o->only_fold = -1;
  o->epochs = 30;
  o->patience = 5;
  o->batch = 1;
  o->val_frac = 0.2;
  o->augment = LT_AUGMENT_CUBE;
  o->seed = 1;
}

double lt_train_lr(const lt_train_options *o, double lr, int epoch) {
  if (o->lr_schedule != LT_LR_COSINE || o->epochs < 1)
    return lr;
  const double f = LT_LR_COSINE_FLOOR, x = (double)epoch / o->epochs;
  return lr * (f + (1 - f) * 0.5 * (1 + cos(M_PI * (x < 0 ? 0 : x > 1 ? 1 : x))));
}

int lt_lr_schedule_parse(const char *name, lt_lr_schedule *s) {
  if (!strcmp(name, "constant"))
    *s = LT_LR_CONSTANT;
  else if (!strcmp(name, "cosine"))
    *s = LT_LR_COSINE;
  else
    return -1;
  return 0;
}

const char *lt_lr_schedule_name(lt_lr_schedule s) {
  return s == LT_LR_COSINE ? "cosine" : "constant";
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t mix(uint64_t a, uint64_t b) {
  lt_rng r;
  lt_rng_seed(&r, a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL));
  return lt_rng_next(&r);
}

static void shuffle(int *v, int n, lt_rng *r) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(lt_rng_next(r) % (uint64_t)(i + 1));
    int t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

/* Distinct patients in first-seen order; pat[i] = index of sample i's patient. */
static int patients(const lt_dataset *ds, int *pat) {
  int np = 0;
  for (int i = 0; i < ds->n; i++) {
    pat[i] = -1;
    for (int j = 0; j < i; j++)
      if (!strcmp(ds->s[j].patient, ds->s[i].patient)) {
        pat[i] = pat[j];
        break;
      }
    if (pat[i] < 0)
      pat[i] = np++;
  }
  return np;
}

int lt_train_folds(const lt_dataset *ds, int k, uint64_t seed, int *fold, lt_error *err) {
  const char **patient = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *patient);
  if (!patient)
    return lt_error_set(err, "out of memory");
  for (int i = 0; i < ds->n; i++)
    patient[i] = ds->s[i].patient;
  const int rc = lt_folds_by_patient(fold, patient, ds->n, k, mix(seed, 0xF01D), err);
  free(patient);
  return rc;
}

void lt_train_stats_of(const lt_dataset *ds, lt_train_stats *st) {
  memset(st, 0, sizeof *st);
  lt_dataset_hash(ds, st->data_hash, sizeof st->data_hash);
  st->n_samples = ds->n;
  double lo[3] = {1e30, 1e30, 1e30}, hi[3] = {0, 0, 0}, sum = 0;
  int nn = 0;
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    const double v[3] = {s->spacing_mm, s->thickness_mm, s->nodule_mm};
    for (int a = 0; a < 3; a++)
      if (v[a] > 0) {
        lo[a] = fmin(lo[a], v[a]);
        hi[a] = fmax(hi[a], v[a]);
      }
    if (s->nodule_mm > 0) {
      sum += s->nodule_mm;
      nn++;
    }
    if (s->manufacturer[0] && !strstr(st->manufacturers, s->manufacturer) &&
        strlen(st->manufacturers) + strlen(s->manufacturer) + 2 < sizeof st->manufacturers) {
      if (st->manufacturers[0])
        strcat(st->manufacturers, ",");
      strcat(st->manufacturers, s->manufacturer);
    }
  }
  double *dst[3] = {st->spacing_mm, st->thickness_mm, st->nodule_mm};
  for (int a = 0; a < 3; a++)
    if (hi[a] > 0) {
      dst[a][0] = lo[a];
      dst[a][1] = hi[a];
    }
  st->nodule_mean_mm = nn ? sum / nn : 0;
}

/* ---- samples in memory at the model's input side ---- */
typedef struct {
  int S, n, C; /* C: the input's channels */
  size_t nx, nm;
  float *x, *mask; /* n * nx, n * nm */
} sample_cache;

static int cache_load(sample_cache *sc, const lt_dataset *ds, int S, int C, lt_error *err) {
  memset(sc, 0, sizeof *sc);
  sc->S = S;
  sc->n = ds->n;
  sc->nm = (size_t)S * S * S;
  sc->C = C;
  sc->nx = (size_t)C * sc->nm;
  sc->x = malloc((size_t)ds->n * sc->nx * sizeof(float));
  sc->mask = malloc((size_t)ds->n * sc->nm * sizeof(float));
  if (!sc->x || !sc->mask) {
    free(sc->x);
    free(sc->mask);
    return lt_error_set(err, "out of memory for %d samples at %d^3", ds->n, S);
  }
  for (int i = 0; i < ds->n; i++)
    if (lt_dataset_read_input(ds, i, S, C, sc->x + (size_t)i * sc->nx,
                              sc->mask + (size_t)i * sc->nm, NULL, err)) {
      free(sc->x);
      free(sc->mask);
      return -1;
    }
  return 0;
}

static void cache_free(sample_cache *sc) {
  free(sc->x);
  free(sc->mask);
}

static void labels_of(lt_sample_labels *l, const lt_sample *s, const float *mask) {
  memset(l, 0, sizeof *l);
  l->sure = s->sure;
  l->has_label = s->has_label;
  l->label = (float)s->label;
  /* A sure sample's sphere is only the debug term's fallback region, never a Dice target. */
  l->mask = s->has_mask && !s->mask_sphere ? mask : NULL;
  l->nodule_mask = s->has_mask ? mask : NULL;
  l->has_ratings = s->has_ratings;
  memcpy(l->ratings, s->ratings, sizeof l->ratings);
}

static int evaluate_cached(lt_model *m, const lt_dataset *ds, const sample_cache *sc,
                           const int *idx, int n, lt_eval *out, lt_error *err) {
  const lt_model_config *c = lt_model_config_of(m);
  const int na = lt_model_config_n_attr(c), N = lt_model_cam_cells(m);
  memset(out, 0, sizeof *out);
  out->n = n;
  float *prob = malloc((size_t)(n ? n : 1) * sizeof *prob);
  int *lab = malloc((size_t)(n ? n : 1) * sizeof *lab);
  float *pa = malloc((size_t)(n ? n : 1) * LT_N_ATTRIBUTES * sizeof *pa);
  float *ta = malloc((size_t)(n ? n : 1) * LT_N_ATTRIBUTES * sizeof *ta);
  float *cam = malloc((size_t)N * sizeof *cam), *p = malloc((size_t)N * sizeof *p);
  if (!prob || !lab || !pa || !ta || !cam || !p) {
    free(prob), free(lab), free(pa), free(ta), free(cam), free(p);
    return lt_error_set(err, "out of memory");
  }
  double dice_sum = 0;
  for (int q = 0; q < n; q++) {
    const int i = idx[q];
    const lt_sample *s = &ds->s[i];
    const float *mask = sc->mask + (size_t)i * sc->nm;
    lt_model_forward(m, sc->x + (size_t)i * sc->nx, 1);
    if (s->has_label) {
      float dz;
      out->bce += lt_loss_bce(lt_model_logit(m, 0), (float)s->label, &dz);
      prob[out->n_labelled] = lt_model_prob(m, 0);
      lab[out->n_labelled++] = s->label;
    }
    if (s->has_mask && !s->mask_sphere && lt_model_seg(m, 0)) { /* ResNet: no segmentation */
      out->dice_loss += lt_loss_dice(lt_model_seg(m, 0), mask, sc->nm, c->dice_smooth, NULL);
      dice_sum += lt_dice(lt_model_seg(m, 0), mask, sc->nm, 0.5f);
      out->n_masked++;
    }
    if (s->has_mask) { /* the CAM share: inside the consensus or the sure sample's sphere */
      lt_mask_fraction(p, mask, sc->S, 4);
      lt_trust t;
      lt_model_cam(m, 0, cam); /* a flat map is all 0: no CAM inside (share 0) */
      {
        lt_trust_measure(&t, cam, p, N, c->lambda);
        if (t.valid) {
          out->share_in += t.share_in;
          out->mean_in += t.mean_in;
          out->mean_out += t.mean_out;
          out->pass_rate += t.pass;
          out->n_trust++;
        }
      }
    }
    if (s->has_ratings && na > 0) {
      const float *t = na == 1 ? &s->ratings[LT_N_ATTRIBUTES - 1] : s->ratings;
      out->mse += lt_loss_mse(lt_model_attrs(m, 0), t, na, NULL);
      memcpy(pa + (size_t)out->n_rated * na, lt_model_attrs(m, 0), (size_t)na * sizeof *pa);
      memcpy(ta + (size_t)out->n_rated * na, t, (size_t)na * sizeof *ta);
      out->n_rated++;
    }
  }
  if (out->n_labelled)
    out->bce /= out->n_labelled;
  if (out->n_masked) {
    out->dice_loss /= out->n_masked;
    out->dice = dice_sum / out->n_masked;
  } else {
    out->dice = NAN;
  }
  if (out->n_rated)
    out->mse /= out->n_rated;
  out->attr_mae = out->n_rated ? lt_attr_mae(pa, ta, out->n_rated, na, NULL) : NAN;
  if (out->n_trust) {
    out->share_in /= out->n_trust;
    out->mean_in /= out->n_trust;
    out->mean_out /= out->n_trust;
    out->pass_rate /= out->n_trust;
  } else {
    out->share_in = out->mean_in = out->mean_out = out->pass_rate = NAN;
  }
  out->loss = out->bce + out->dice_loss + out->mse;
  lt_metrics_classification(&out->cls, prob, lab, out->n_labelled, 0.5);
  out->auc = out->cls.auc;
  free(prob), free(lab), free(pa), free(ta), free(cam), free(p);
  return 0;
}

int lt_evaluate(lt_model *m, const lt_dataset *ds, const int *idx, int n, lt_eval *out,
                lt_error *err) {
  sample_cache sc;
  const lt_model_config *c = lt_model_config_of(m);
  if (cache_load(&sc, ds, c->input_size, c->in_channels, err))
    return -1;
  int rc = evaluate_cached(m, ds, &sc, idx, n, out, err);
  cache_free(&sc);
  return rc;
}

/* ---- checkpoints ---- */
typedef struct {
  int fold, epoch; /* the last finished epoch of fold (-1: none) */
  long adam_step;
  int best_epoch, bad_epochs;
  double best_loss, best_auc;
  int n_done;
  lt_fold_result done[LT_MAX_FOLDS];
} train_state;

static void path_in(char *buf, size_t n, const char *dir, int fold, const char *name) {
  if (fold >= 0)
    snprintf(buf, n, "%s/fold-%d-%s", dir, fold + 1, name);
  else
    snprintf(buf, n, "%s/%s", dir, name);
}

static cJSON *eval_json(const lt_eval *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "n", e->n);
  cJSON_AddNumberToObject(o, "n_labelled", e->n_labelled);
  cJSON_AddNumberToObject(o, "loss", e->loss);
#define NUM(k, v) cJSON_AddNumberToObject(o, k, isfinite(v) ? (v) : -1)
  NUM("accuracy", e->cls.accuracy);
  NUM("auc", e->auc);
  NUM("f1", e->cls.f1);
  NUM("sensitivity", e->cls.sensitivity);
  NUM("specificity", e->cls.specificity);
  NUM("precision", e->cls.precision);
  NUM("precision_benign", e->cls.precision_benign);
  NUM("dice", e->dice);
  NUM("attr_mae", e->attr_mae);
  NUM("cam_share_in", e->share_in);
#undef NUM
  return o;
}

static double jnum(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  return d == -1 ? NAN : d;
}

static void eval_from_json(lt_eval *e, const cJSON *o) {
  memset(e, 0, sizeof *e);
  e->n = (int)jnum(o, "n");
  e->n_labelled = (int)jnum(o, "n_labelled");
  e->loss = jnum(o, "loss");
  e->cls.accuracy = jnum(o, "accuracy");
  e->auc = e->cls.auc = jnum(o, "auc");
  e->cls.f1 = jnum(o, "f1");
  e->cls.sensitivity = jnum(o, "sensitivity");
  e->cls.specificity = jnum(o, "specificity");
  e->cls.precision = jnum(o, "precision");
  e->cls.precision_benign = jnum(o, "precision_benign");
  e->dice = jnum(o, "dice");
  e->attr_mae = jnum(o, "attr_mae");
  e->share_in = jnum(o, "cam_share_in");
}

static cJSON *fold_json(const lt_fold_result *f) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "fold", f->fold);
  cJSON_AddNumberToObject(o, "n_train", f->n_train);
  cJSON_AddNumberToObject(o, "n_val", f->n_val);
  cJSON_AddNumberToObject(o, "n_test", f->n_test);
  cJSON_AddNumberToObject(o, "epochs_run", f->epochs_run);
  cJSON_AddNumberToObject(o, "best_epoch", f->best_epoch);
  cJSON_AddNumberToObject(o, "best_val_loss", f->best_val_loss);
  cJSON_AddNumberToObject(o, "best_val_auc", isfinite(f->best_val_auc) ? f->best_val_auc : -1);
  cJSON_AddItemToObject(o, "test", eval_json(&f->test));
  return o;
}

/* The results of every fold as JSON text (the weights' "metrics"). */
static char *results_json(const lt_fold_result *r, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++)
    cJSON_AddItemToArray(a, fold_json(&r[i]));
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "folds", a);
  char *s = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return s;
}

static int state_save(const char *dir, const train_state *s, const lt_model_config *c,
                      const lt_train_options *o, lt_error *err) {
  cJSON *root = cJSON_CreateObject();
  char *cj = lt_model_config_to_json(c);
  cJSON_AddItemToObject(root, "config", cJSON_Parse(cj ? cj : "{}"));
  free(cj);
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
  cJSON_AddStringToObject(root, "seed", seed);
  cJSON_AddNumberToObject(root, "folds", o->folds);
  cJSON_AddNumberToObject(root, "batch", o->batch);
  cJSON_AddStringToObject(root, "lr_schedule", lt_lr_schedule_name(o->lr_schedule));
  cJSON_AddNumberToObject(root, "epochs", o->epochs);
  cJSON_AddNumberToObject(root, "val_frac", o->val_frac);
  cJSON_AddStringToObject(root, "augment", lt_augment_set_name(o->augment));
  cJSON_AddNumberToObject(root, "fold", s->fold);
  cJSON_AddNumberToObject(root, "epoch", s->epoch);
  cJSON_AddNumberToObject(root, "adam_step", (double)s->adam_step);
  cJSON_AddNumberToObject(root, "best_epoch", s->best_epoch);
  cJSON_AddNumberToObject(root, "bad_epochs", s->bad_epochs);
  cJSON_AddNumberToObject(root, "best_loss", s->best_loss);
  cJSON_AddNumberToObject(root, "best_auc", isfinite(s->best_auc) ? s->best_auc : -1);
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < s->n_done; i++)
    cJSON_AddItemToArray(a, fold_json(&s->done[i]));
  cJSON_AddItemToObject(root, "done", a);
  char *txt = cJSON_Print(root);
  cJSON_Delete(root);
  if (!txt)
    return lt_error_set(err, "out of memory");
  char tmp[700], path[700];
  path_in(tmp, sizeof tmp, dir, -1, "state.json.tmp");
  path_in(path, sizeof path, dir, -1, "state.json");
  FILE *f = fopen(tmp, "w");
  int ok = f && fputs(txt, f) >= 0;
  if (f)
    ok = (fclose(f) == 0) && ok;
  free(txt);
  if (!ok || rename(tmp, path))
    return lt_error_set(err, "cannot write %s", path);
  return 0;
}

/* States written before the schedule and the validation share were recorded name neither:
 * they were constant and 0.2. */
static bool split_and_schedule_match(const cJSON *root, const lt_train_options *o) {
  const cJSON *vf = cJSON_GetObjectItemCaseSensitive(root, "val_frac");
  if (fabs((cJSON_IsNumber(vf) ? vf->valuedouble : 0.2) - o->val_frac) > 1e-9)
    return false;
  const cJSON *js = cJSON_GetObjectItemCaseSensitive(root, "lr_schedule");
  lt_lr_schedule s = LT_LR_CONSTANT;
  if (js && (!cJSON_IsString(js) || lt_lr_schedule_parse(js->valuestring, &s)))
    return false;
  if (s != o->lr_schedule)
    return false;
  return s != LT_LR_COSINE || (int)jnum(root, "epochs") == o->epochs;
}

/* States written before the augmentation set was recorded do not name it; it was cube or none
 * then, which the state cannot tell, so such a state resumes under either. */
static bool augment_matches(const cJSON *root, const lt_train_options *o) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "augment");
  lt_augment_set s;
  if (!a)
    return true;
  return cJSON_IsString(a) && !lt_augment_set_parse(a->valuestring, &s) && s == o->augment;
}

static int state_load(const char *dir, train_state *s, const lt_model_config *c,
                      const lt_train_options *o, lt_error *err) {
  char path[700];
  path_in(path, sizeof path, dir, -1, "state.json");
  FILE *f = fopen(path, "rb");
  if (!f)
    return lt_error_set(err, "nothing to resume: cannot open %s", path);
  char *txt = malloc(1 << 20);
  size_t len = txt ? fread(txt, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (!txt)
    return lt_error_set(err, "out of memory");
  txt[len] = 0;
  cJSON *root = cJSON_Parse(txt);
  free(txt);
  if (!root)
    return lt_error_set(err, "%s: not a training state", path);
  int rc = -1;
  lt_model_config fc;
  char *cj = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "config"));
  lt_error e2;
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
  char want[32];
  snprintf(want, sizeof want, "%llu", (unsigned long long)o->seed);
  if (!cj || lt_model_config_from_json(&fc, cj, &e2) || !lt_model_config_equal(&fc, c)) {
    lt_error_set(err, "%s: the training state was made with another configuration", path);
  } else if (!cJSON_IsString(seed) || strcmp(seed->valuestring, want) ||
             (int)jnum(root, "folds") != o->folds || (int)jnum(root, "batch") != o->batch) {
    lt_error_set(err, "%s: the training state was made with another seed, fold count or batch",
                 path);
  } else if (!split_and_schedule_match(root, o)) {
    lt_error_set(err, "%s: the training state was made with another validation share or "
                      "learning-rate schedule (a cosine schedule also fixes the epoch count)", path);
  } else if (!augment_matches(root, o)) {
    lt_error_set(err, "%s: the training state was made with another augmentation set", path);
  } else {
    memset(s, 0, sizeof *s);
    s->fold = (int)jnum(root, "fold");
    /* -1 (no epoch of this fold finished, e.g. right after a fold ended) is a value here, not
     * jnum's NaN marker */
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "epoch");
    s->epoch = cJSON_IsNumber(ep) ? (int)ep->valuedouble : -2;
    s->adam_step = (long)jnum(root, "adam_step");
    s->best_epoch = (int)jnum(root, "best_epoch");
    s->bad_epochs = (int)jnum(root, "bad_epochs");
    s->best_loss = jnum(root, "best_loss");
    s->best_auc = jnum(root, "best_auc");
    const cJSON *d, *a = cJSON_GetObjectItemCaseSensitive(root, "done");
    cJSON_ArrayForEach(d, a) {
      if (s->n_done >= LT_MAX_FOLDS)
        break;
      lt_fold_result *r = &s->done[s->n_done++];
      r->fold = (int)jnum(d, "fold");
      r->n_train = (int)jnum(d, "n_train");
      r->n_val = (int)jnum(d, "n_val");
      r->n_test = (int)jnum(d, "n_test");
      r->epochs_run = (int)jnum(d, "epochs_run");
      r->best_epoch = (int)jnum(d, "best_epoch");
      r->best_val_loss = jnum(d, "best_val_loss");
      r->best_val_auc = jnum(d, "best_val_auc");
      eval_from_json(&r->test, cJSON_GetObjectItemCaseSensitive(d, "test"));
    }
    if (s->fold < 0 || s->fold >= o->folds || s->epoch < -1)
      lt_error_set(err, "%s: damaged training state", path);
    else
      rc = 0;
  }
  free(cj);
  cJSON_Delete(root);
  return rc;
}

static int load_block(const char *path, const lt_model_config *c, float *dst, size_t n,
                      lt_error *err) {
  lt_weights w;
  if (lt_weights_load(path, c, &w, err))
    return -1;
  memcpy(dst, w.params, n * sizeof *dst);
  lt_weights_free(&w);
  return 0;
}

/* ---- the loop ---- */
typedef struct {
  const lt_dataset *ds;
  const lt_model_config *c;
  const lt_train_options *o;
  sample_cache sc;
  lt_model *m;
  lt_adam adam;
  float *acc;     /* gradient accumulator */
  float *xa, *ma; /* augmented input and mask */
  long steps_this_call;
  double t_start;
  int epochs_done_this_call;
  lt_weights init; /* o->init_from, loaded once */
  bool has_init;
} trainer;

static int train_epoch(trainer *t, const int *train, int n_train, int fold, int epoch,
                       lt_loss_terms *sum, lt_error *err) {
  const lt_param_table *tab = lt_model_table(t->m);
  const size_t P = tab->total;
  float *params = lt_model_params(t->m), *grads = lt_model_grads(t->m);
  int *order = malloc((size_t)n_train * sizeof *order);
  if (!order)
    return lt_error_set(err, "out of memory");
  memcpy(order, train, (size_t)n_train * sizeof *order);
  lt_rng r;
  lt_rng_seed(&r, mix(mix(t->o->seed, (uint64_t)fold + 100), (uint64_t)epoch));
  shuffle(order, n_train, &r);
  memset(sum, 0, sizeof *sum);
  int in_batch = 0;
  memset(t->acc, 0, P * sizeof *t->acc);
  for (int q = 0; q < n_train; q++) {
    const int i = order[q];
    const float *x = t->sc.x + (size_t)i * t->sc.nx, *mk = t->sc.mask + (size_t)i * t->sc.nm;
    if (t->o->augment != LT_AUGMENT_NONE) {
      lt_augment a;
      if (t->o->augment == LT_AUGMENT_AXIAL)
        lt_augment_random_axial(&a, &r);
      else
        lt_augment_random(&a, &r);
      lt_augment_apply(&a, t->xa, x, t->sc.S, t->sc.C);
      lt_augment_apply(&a, t->ma, mk, t->sc.S, 1);
      x = t->xa;
      mk = t->ma;
    }
    lt_sample_labels l;
    labels_of(&l, &t->ds->s[i], mk);
    lt_model_forward(t->m, x, 1);
    lt_loss_terms lt;
    if (lt_model_backward(t->m, &l, &lt, err)) {
      free(order);
      return -1;
    }
    sum->total += lt.total;
    sum->bce += lt.bce;
    sum->dice += lt.dice;
    sum->mse += lt.mse;
    sum->debug += lt.debug;
    sum->n_bce += lt.n_bce;
    sum->n_dice += lt.n_dice;
    sum->n_mse += lt.n_mse;
    sum->n_debug_applied += lt.n_debug_applied;
    /* At batch 1 the batch is this sample: Adam reads its gradients where they are (the
     * accumulator would hold the same numbers, 0 + g times 1, after three passes over every
     * parameter). */
    const float *step_grads = grads;
    if (t->o->batch > 1) {
      float *acc = t->acc;
#pragma omp simd
      for (size_t k = 0; k < P; k++)
        acc[k] += grads[k];
      if (++in_batch < t->o->batch && q < n_train - 1)
        continue;
      const float s = 1.0f / (float)in_batch;
#pragma omp simd
      for (size_t k = 0; k < P; k++)
        acc[k] *= s;
      step_grads = acc;
    }
    lt_adam_step(&t->adam, params, step_grads);
    if (step_grads == t->acc)
      memset(t->acc, 0, P * sizeof *t->acc);
    in_batch = 0;
    t->steps_this_call++;
    if (t->o->stop_after_steps > 0 && t->steps_this_call >= t->o->stop_after_steps) {
      free(order);
      return 1; /* an interruption: this epoch is not checkpointed */
    }
  }
  free(order);
  return 0;
}

static int save_model(const char *path, trainer *t, const float *params, const char *metrics,
                      lt_error *err) {
  lt_train_stats st;
  lt_train_stats_of(t->ds, &st);
  return lt_weights_save(path, t->c, lt_model_table(t->m), params, &st, metrics, err);
}

int lt_train_roles(const lt_dataset *ds, const int *fold_of, int fold, uint64_t seed,
                   double val_frac, int *role, lt_error *err) {
  int *pat = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *pat);
  int *pord = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *pord);
  int rc = -1;
  if (!pat || !pord) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  /* Validation: val_frac of the training fold's patients, drawn by seed and fold. */
  int np = patients(ds, pat), ntp = 0;
  for (int p = 0; p < np; p++) {
    int in_train = 0;
    for (int i = 0; i < ds->n; i++)
      if (pat[i] == p) {
        in_train = fold_of[i] != fold;
        break;
      }
    if (in_train)
      pord[ntp++] = p;
  }
  lt_rng r;
  lt_rng_seed(&r, mix(seed, 0x7A1 + (uint64_t)fold));
  shuffle(pord, ntp, &r);
  int nvp = (int)lround(val_frac * ntp);
  if (nvp < 1)
    nvp = 1;
  if (nvp >= ntp) {
    lt_error_set(err, "fold %d: too few patients to hold %.0f%% for validation", fold + 1,
                 100 * val_frac);
    goto out;
  }
  for (int i = 0; i < ds->n; i++) {
    if (fold_of[i] == fold) {
      role[i] = 2;
      continue;
    }
    int is_val = 0;
    for (int q = 0; q < nvp; q++)
      is_val |= pord[q] == pat[i];
    role[i] = is_val;
  }
  rc = 0;
out:
  free(pat), free(pord);
  return rc;
}

static int run_fold(trainer *t, int fold, const int *fold_of, train_state *st, lt_fold_result *res,
                    int *stopped, lt_error *err) {
  const lt_dataset *ds = t->ds;
  const lt_train_options *o = t->o;
  const lt_param_table *tab = lt_model_table(t->m);
  const size_t P = tab->total;
  float *params = lt_model_params(t->m);
  int *train = malloc((size_t)ds->n * sizeof *train), *val = malloc((size_t)ds->n * sizeof *val),
      *test = malloc((size_t)ds->n * sizeof *test), *role = malloc((size_t)ds->n * sizeof *role);
  float *best = lt_param_block_new(tab);
  int rc = -1;
  if (!train || !val || !test || !role || !best) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  if (lt_train_roles(ds, fold_of, fold, o->seed, o->val_frac, role, err)) goto out;
  int n_train = 0, n_val = 0, n_test = 0;
  for (int i = 0; i < ds->n; i++) {
    if (role[i] == 2)
      test[n_test++] = i;
    else if (role[i] == 1)
      val[n_val++] = i;
    else
      train[n_train++] = i;
  }
  res->fold = fold;
  res->n_train = n_train;
  res->n_val = n_val;
  res->n_test = n_test;

  char last[700], best_path[700], mpath[700], vpath[700];
  if (o->out_dir) {
    path_in(last, sizeof last, o->out_dir, fold, "last.safetensors");
    path_in(best_path, sizeof best_path, o->out_dir, fold, "best.safetensors");
    path_in(mpath, sizeof mpath, o->out_dir, fold, "adam-m.safetensors");
    path_in(vpath, sizeof vpath, o->out_dir, fold, "adam-v.safetensors");
  }
  int start = 0;
  if (st->fold == fold && st->epoch >= 0 && o->out_dir) {
    /* Resume after the last finished epoch. */
    if (load_block(last, t->c, params, P, err) || load_block(mpath, t->c, t->adam.m, P, err) ||
        load_block(vpath, t->c, t->adam.v, P, err) || load_block(best_path, t->c, best, P, err))
      goto out;
    t->adam.step = st->adam_step;
    start = st->epoch + 1;
  } else {
    lt_param_init(tab, params, mix(o->seed, 0x1417 + (uint64_t)fold));
    if (t->has_init && lt_transfer_copy(tab, params, &t->init, o->init_from, err) < 0)
      goto out;
    memset(t->adam.m, 0, 2 * P * sizeof(float));
    t->adam.step = 0;
    memcpy(best, params, P * sizeof *best);
    st->fold = fold;
    st->epoch = -1;
    st->best_loss = INFINITY;
    st->best_auc = NAN;
    st->best_epoch = -1;
    st->bad_epochs = 0;
  }
  int epoch = start;
  for (; epoch < o->epochs && st->bad_epochs < o->patience; epoch++) {
    const double t0 = now_s();
    /* epoch > start: this fold has finished an epoch in this call, so the mean is known */
    if (o->max_seconds > 0 && epoch > start &&
        (t0 - t->t_start) * (t->epochs_done_this_call + 1) / t->epochs_done_this_call >
            o->max_seconds) {
      res->out_of_time = true;
      if (o->progress)
        fprintf(o->progress, "fold %d/%d: stopped before epoch %d, the time budget of %.0f s "
                "would be exceeded\n", fold + 1, o->folds, epoch + 1, o->max_seconds);
      break;
    }
    t->adam.lr = lt_train_lr(o, t->c->lr, epoch);
    lt_loss_terms sum;
    const int te = train_epoch(t, train, n_train, fold, epoch, &sum, err);
    if (te < 0)
      goto out;
    if (te > 0) {
      *stopped = 1;
      rc = 0;
      goto out;
    }
    lt_eval ev;
    /* a GPU error leaves this epoch's numbers and weights untrustworthy: stop before saving */
    if (evaluate_cached(t->m, ds, &t->sc, val, n_val, &ev, err) || lt_engine_take_error(err))
      goto out;
    const int improved = ev.loss < st->best_loss;
    if (improved) {
      st->best_loss = ev.loss;
      st->best_auc = ev.auc;
      st->best_epoch = epoch;
      st->bad_epochs = 0;
      memcpy(best, params, P * sizeof *best);
    } else {
      st->bad_epochs++;
    }
    st->epoch = epoch;
    st->adam_step = t->adam.step;
    if (o->out_dir) {
      if ((improved && save_model(best_path, t, best, NULL, err)) ||
          save_model(last, t, params, NULL, err) ||
          lt_weights_save(mpath, t->c, tab, t->adam.m, NULL, NULL, err) ||
          lt_weights_save(vpath, t->c, tab, t->adam.v, NULL, NULL, err) ||
          state_save(o->out_dir, st, t->c, o, err))
        goto out;
    }
    t->epochs_done_this_call++;
    if (o->progress) {
      const double dt = now_s() - t0;
      const double per = (now_s() - t->t_start) / t->epochs_done_this_call;
      int folds_left = (o->only_fold >= 0 ? 0 : o->folds - fold - 1);
      double left = per * ((o->epochs - epoch - 1) + folds_left * o->epochs);
      char lrs[40] = "";
      if (o->lr_schedule != LT_LR_CONSTANT)
        snprintf(lrs, sizeof lrs, ", lr %.2e", t->adam.lr);
      const double nb = sum.n_bce ? sum.n_bce : 1, nd = sum.n_dice ? sum.n_dice : 1,
                   nm = sum.n_mse ? sum.n_mse : 1, ng = n_train ? n_train : 1;
      fprintf(o->progress,
              "fold %d/%d epoch %d/%d  bce %.4f dice %.4f mse %.4f debug %.4f  val loss %.4f auc "
              "%.3f%s  "
              "%.1f s, at most %.0f s left%s\n",
              fold + 1, o->folds, epoch + 1, o->epochs, sum.bce / nb, sum.dice / nd, sum.mse / nm,
              sum.debug / ng, ev.loss, ev.auc, improved ? " *" : "", dt, left, lrs);
      fflush(o->progress);
    }
  }
  res->epochs_run = epoch;
  res->best_epoch = st->best_epoch + 1;
  res->best_val_loss = st->best_loss;
  res->best_val_auc = st->best_auc;
  memcpy(params, best, P * sizeof *best);
  if (evaluate_cached(t->m, ds, &t->sc, test, n_test, &res->test, err))
    goto out;
  rc = 0;
out:
  free(train), free(val), free(test), free(role), free(best);
  return rc;
}

int lt_train(const lt_dataset *ds, const lt_model_config *c, const lt_train_options *o,
             lt_train_result *res, lt_error *err) {
  memset(res, 0, sizeof *res);
  if (lt_model_config_validate(c, err))
    return -1;
  if (o->folds < 2 || o->folds > LT_MAX_FOLDS)
    return lt_error_set(err, "folds must be 2-%d", LT_MAX_FOLDS);
  if (o->only_fold >= o->folds)
    return lt_error_set(err, "fold %d does not exist", o->only_fold + 1);
  if (o->batch < 1 || o->epochs < 1 || o->patience < 1)
    return lt_error_set(err, "batch, epochs and patience must be positive");
  if (o->resume && !o->out_dir)
    return lt_error_set(err, "resume needs the output folder");
  if (ds->evaluation)
    return lt_error_set(err, "%s is an evaluation data set (labels from the synthetic truth): "
                             "not for training", ds->dir);
  if (o->out_dir && mkdir(o->out_dir, 0777) && errno != EEXIST)
    return lt_error_set(err, "cannot create %s: %s", o->out_dir, strerror(errno));
  const lt_backend *be = lt_backend_select(o->backend ? o->backend : "auto", err);
  if (!be)
    return -1;
  int *fold_of = malloc((size_t)ds->n * sizeof *fold_of);
  if (!fold_of)
    return lt_error_set(err, "out of memory");
  if (o->fold_of) {
    for (int i = 0; i < ds->n; i++)
      if (o->fold_of[i] < 0 || o->fold_of[i] >= o->folds) {
        free(fold_of);
        return lt_error_set(err, "sample %d: fold %d out of range", i, o->fold_of[i]);
      }
    memcpy(fold_of, o->fold_of, (size_t)ds->n * sizeof *fold_of);
  } else if (lt_train_folds(ds, o->folds, o->seed, fold_of, err)) {
    free(fold_of);
    return -1;
  }
  trainer t;
  memset(&t, 0, sizeof t);
  t.ds = ds;
  t.c = c;
  t.o = o;
  t.t_start = now_s();
  train_state st;
  memset(&st, 0, sizeof st);
  st.fold = -1;
  st.epoch = -1;
  int rc = -1, stopped = 0;
  if (o->resume && state_load(o->out_dir, &st, c, o, err))
    goto out0;
  if (cache_load(&t.sc, ds, c->input_size, c->in_channels, err))
    goto out0;
  if (lt_model_create(&t.m, c, be, 1, true, err))
    goto out1;
  const size_t P = lt_model_table(t.m)->total;
  t.acc = malloc(P * sizeof *t.acc);
  t.xa = malloc(t.sc.nx * sizeof *t.xa);
  t.ma = malloc(t.sc.nm * sizeof *t.ma);
  if (!t.acc || !t.xa || !t.ma) {
    lt_error_set(err, "out of memory");
    goto out2;
  }
  if (lt_adam_init(&t.adam, P, c->lr, err))
    goto out2;
  if (o->init_from) {
    if (lt_weights_load(o->init_from, NULL, &t.init, err))
      goto out3;
    t.has_init = true;
    res->init_tensors = lt_model_table(t.m)->n;
    res->init_copied = lt_transfer_count(lt_model_table(t.m), &t.init);
    lt_error e2;
    float *probe = lt_param_block_new(lt_model_table(t.m));
    const bool oom = !probe;
    const int fits = probe && lt_transfer_copy(lt_model_table(t.m), probe, &t.init, o->init_from,
                                               &e2) >= 0;
    free(probe);
    if (!fits) {
      lt_error_set(err, "%s", oom ? "out of memory" : e2.msg);
      goto out3;
    }
    if (o->progress)
      fprintf(o->progress, "initialised %d of %d tensors from %s\n", res->init_copied,
              res->init_tensors, o->init_from);
  }
  for (int k = 0; k < st.n_done; k++)
    res->fold[res->n_folds++] = st.done[k];
  for (int fold = 0; fold < o->folds; fold++) {
    if (o->only_fold >= 0 && fold != o->only_fold)
      continue;
    int done = 0;
    for (int k = 0; k < st.n_done; k++)
      done |= st.done[k].fold == fold;
    if (done)
      continue;
    lt_fold_result fr;
    memset(&fr, 0, sizeof fr);
    if (run_fold(&t, fold, fold_of, &st, &fr, &stopped, err))
      goto out3;
    if (stopped) {
      rc = 1;
      goto out3;
    }
    res->fold[res->n_folds++] = fr;
    st.done[st.n_done++] = fr;
    st.fold = fold;
    st.epoch = -1;
    if (o->out_dir && state_save(o->out_dir, &st, c, o, err))
      goto out3;
  }
  if (o->out_dir && res->n_folds > 0) {
    /* The model: the fold with the lowest best validation loss. */
    int b = 0;
    for (int k = 1; k < res->n_folds; k++)
      if (res->fold[k].best_val_loss < res->fold[b].best_val_loss)
        b = k;
    char src[700];
    path_in(src, sizeof src, o->out_dir, res->fold[b].fold, "best.safetensors");
    float *params = lt_model_params(t.m);
    if (load_block(src, c, params, P, err))
      goto out3;
    char *mj = results_json(res->fold, res->n_folds);
    path_in(res->model_path, sizeof res->model_path, o->out_dir, -1, "model.safetensors");
    int r2 = save_model(res->model_path, &t, params, mj, err);
    free(mj);
    if (r2)
      goto out3;
  }
  rc = 0;
out3:
  if (t.has_init)
    lt_weights_free(&t.init);
  lt_adam_free(&t.adam);
out2:
  free(t.acc), free(t.xa), free(t.ma);
  lt_model_free(t.m);
out1:
  cache_free(&t.sc);
out0:
  free(fold_of);
  return rc;
}
