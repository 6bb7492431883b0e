/* engine/train/heldout.c — see heldout.h. */
#include "train/heldout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "model/gradcam.h"
#include "model/metrics.h"
#include "model/params.h"
#include "nn/backend-select.h"

const char *const lt_heldout_keys[LT_HO_N] = {
    "accuracy", "auc",      "f1",        "sensitivity",    "specificity",
    "precision", "precision_benign", "dice", "dice_truth", "attr_mae", "attr_mae_truth",
    "cam_share_in"};

/* Per-sample results (what lt_heldout_evaluate hands out) and the label they are scored against. */
typedef struct {
  lt_heldout_sample r;
  int label; /* -1: none */
} one;

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Percentile (linear between order statistics) of sorted v[0..n). */
static double pct(const double *v, int n, double q) {
  const double r = q * (n - 1);
  const int i = (int)floor(r);
  if (i >= n - 1)
    return v[n - 1];
  return v[i] + (r - i) * (v[i + 1] - v[i]);
}

static void interval(double *v, int nv, lt_ci *ci) {
  if (nv < 1) {
    ci->lo = ci->hi = NAN;
    return;
  }
  qsort(v, (size_t)nv, sizeof *v, cmp_double);
  ci->lo = pct(v, nv, 0.025);
  ci->hi = pct(v, nv, 0.975);
}

/* All measures of the samples idx[0..k) of r (idx may repeat). */
static void measures(const one *r, const int *idx, int k, float *prob, int *lab, double *m) {
  int nl = 0;
  double s[5] = {0, 0, 0, 0, 0};
  int c[5] = {0, 0, 0, 0, 0};
  for (int q = 0; q < k; q++) {
    const one *o = &r[idx[q]];
    if (o->label >= 0) {
      prob[nl] = o->r.prob;
      lab[nl++] = o->label;
    }
    const double v[5] = {o->r.dice, o->r.dice_truth, o->r.attr_mae, o->r.attr_mae_truth, o->r.cam_share_in};
    for (int j = 0; j < 5; j++)
      if (isfinite(v[j])) {
        s[j] += v[j];
        c[j]++;
      }
  }
  lt_cls_metrics cls;
  if (nl > 0) {
    lt_metrics_classification(&cls, prob, lab, nl, 0.5);
    m[LT_HO_ACCURACY] = cls.accuracy;
    m[LT_HO_AUC] = cls.auc;
    m[LT_HO_F1] = cls.f1;
    m[LT_HO_SENSITIVITY] = cls.sensitivity;
    m[LT_HO_SPECIFICITY] = cls.specificity;
    m[LT_HO_PRECISION] = cls.precision;
    m[LT_HO_PRECISION_BENIGN] = cls.precision_benign;
  } else {
    for (int j = LT_HO_ACCURACY; j <= LT_HO_PRECISION_BENIGN; j++)
      m[j] = NAN;
  }
  const int at[5] = {LT_HO_DICE, LT_HO_DICE_TRUTH, LT_HO_ATTR_MAE, LT_HO_ATTR_MAE_TRUTH,
                     LT_HO_CAM_IN};
  for (int j = 0; j < 5; j++)
    m[at[j]] = c[j] ? s[j] / c[j] : NAN;
}

static void bootstrap(const one *r, int n, int boot, uint64_t seed, lt_heldout *out) {
  int *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
  float *prob = malloc((size_t)(n ? n : 1) * sizeof *prob);
  int *lab = malloc((size_t)(n ? n : 1) * sizeof *lab);
  double *v = malloc((size_t)boot * LT_HO_N * sizeof *v);
  if (!idx || !prob || !lab || !v) {
    for (int j = 0; j < LT_HO_N; j++)
      out->m[j].lo = out->m[j].hi = NAN;
    free(idx), free(prob), free(lab), free(v);
    return;
  }
  for (int i = 0; i < n; i++)
    idx[i] = i;
  double m[LT_HO_N];
  measures(r, idx, n, prob, lab, m);
  for (int j = 0; j < LT_HO_N; j++)
    out->m[j].value = m[j];
  int nv[LT_HO_N] = {0};
  lt_rng g;
  lt_rng_seed(&g, seed);
  for (int b = 0; b < boot; b++) {
    for (int i = 0; i < n; i++)
      idx[i] = (int)(lt_rng_next(&g) % (uint64_t)n);
    measures(r, idx, n, prob, lab, m);
    for (int j = 0; j < LT_HO_N; j++)
      if (isfinite(m[j]))
        v[(size_t)j * boot + nv[j]++] = m[j];
  }
  for (int j = 0; j < LT_HO_N; j++)
    interval(v + (size_t)j * boot, nv[j], &out->m[j]);
  free(idx), free(prob), free(lab), free(v);
}

void lt_bootstrap_mean(const double *x, int n, int boot, uint64_t seed, lt_ci *out) {
  one *r = calloc((size_t)(n ? n : 1), sizeof *r);
  lt_heldout h;
  memset(&h, 0, sizeof h);
  memset(out, 0, sizeof *out);
  if (!r || boot < 1) {
    out->value = out->lo = out->hi = NAN;
    free(r);
    return;
  }
  for (int i = 0; i < n; i++) {
    r[i].label = -1;
    r[i].r.dice = x[i];
    r[i].r.dice_truth = r[i].r.attr_mae = r[i].r.attr_mae_truth = r[i].r.cam_share_in = NAN;
    out->n += isfinite(x[i]) != 0;
  }
  bootstrap(r, n, boot, seed, &h);
  out->value = h.m[LT_HO_DICE].value;
  out->lo = h.m[LT_HO_DICE].lo;
  out->hi = h.m[LT_HO_DICE].hi;
  free(r);
}

int lt_heldout_evaluate(lt_model *m, const lt_dataset *ds, int boot, uint64_t seed,
                        lt_heldout *out, lt_heldout_sample *samples, lt_error *err) {
  memset(out, 0, sizeof *out);
  if (boot < 1)
    return lt_error_set(err, "bootstrap needs at least one resample");
  const lt_model_config *c = lt_model_config_of(m);
  const int S = c->input_size, na = lt_model_config_n_attr(c), N = lt_model_cam_cells(m);
  const size_t S3 = (size_t)S * S * S;
  out->n = ds->n;
  out->boot = boot;
  out->seed = seed;
  out->n_attr = na;
  one *r = calloc((size_t)(ds->n ? ds->n : 1), sizeof *r);
  float *x = malloc((size_t)c->in_channels * S3 * sizeof *x), *mask = malloc(S3 * sizeof *mask),
        *truth = malloc(S3 * sizeof *truth);
  float *cam = malloc((size_t)N * sizeof *cam), *p = malloc((size_t)N * sizeof *p);
  float *lung = malloc((size_t)LT_PATCH_VOXELS * sizeof *lung); /* the refit's CT measures */
  double sum_a[6] = {0}, sum_t[6] = {0};
  int n_a = 0, n_t = 0;
  int rc = -1;
  if (!r || !x || !mask || !truth || !cam || !p || !lung) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    one *o = &r[i];
    o->label = s->has_label ? s->label : -1;
    o->r.dice = o->r.dice_truth = o->r.attr_mae = o->r.attr_mae_truth = o->r.cam_share_in = NAN;
    if (lt_dataset_read_patch(ds, i, S, c->in_channels, x, mask, truth, lung, err))
      goto out;
    lt_model_forward_patch(m, x, lung, 1);
    o->r.prob = lt_model_prob(m, 0);
    const float *seg = lt_model_seg(m, 0);
    if (seg && s->has_mask && !s->mask_sphere) /* seg NULL: no segmentation (ResNet) */
      o->r.dice = lt_dice(seg, mask, S3, 0.5f);
    if (seg && s->has_truth_mask)
      o->r.dice_truth = lt_dice(seg, truth, S3, 0.5f);
    if (na > 0) {
      const float *pa = lt_model_attrs(m, 0);
      memcpy(o->r.attrs, pa, (size_t)na * sizeof *pa);
      const int a0 = na == 1 ? LT_N_ATTRIBUTES - 1 : 0;
      if (s->has_ratings) {
        double e = 0;
        for (int k = 0; k < na; k++) {
          const double d = fabs((double)pa[k] - s->ratings[a0 + k]);
          e += d;
          sum_a[k] += d;
        }
        o->r.attr_mae = e / na;
        n_a++;
      }
      if (s->has_truth_attrs) {
        double e = 0;
        for (int k = 0; k < na; k++) {
          const double d = fabs((double)pa[k] - s->truth_attrs[a0 + k]);
          e += d;
          sum_t[k] += d;
        }
        o->r.attr_mae_truth = e / na;
        n_t++;
      }
    }
    if (s->has_mask) {
      lt_mask_fraction(p, mask, S, 4);
      lt_trust t;
      lt_model_cam(m, 0, cam); /* a flat map is all 0: share 0 */
      lt_trust_measure(&t, cam, p, N, c->lambda);
      if (t.valid)
        o->r.cam_share_in = t.share_in;
    }
    if (samples)
      samples[i] = o->r;
  }
  for (int k = 0; k < 6; k++) {
    out->attr_mae[k] = k < na && n_a ? sum_a[k] / n_a : NAN;
    out->attr_mae_truth[k] = k < na && n_t ? sum_t[k] / n_t : NAN;
  }
  for (int i = 0; i < ds->n; i++) {
    const one *o = &r[i];
    const bool lab = o->label >= 0;
    for (int j = LT_HO_ACCURACY; j <= LT_HO_PRECISION_BENIGN; j++)
      out->m[j].n += lab;
    out->m[LT_HO_DICE].n += isfinite(o->r.dice) != 0;
    out->m[LT_HO_DICE_TRUTH].n += isfinite(o->r.dice_truth) != 0;
    out->m[LT_HO_ATTR_MAE].n += isfinite(o->r.attr_mae) != 0;
    out->m[LT_HO_ATTR_MAE_TRUTH].n += isfinite(o->r.attr_mae_truth) != 0;
    out->m[LT_HO_CAM_IN].n += isfinite(o->r.cam_share_in) != 0;
  }
  /* a GPU error in a layer is sticky, not returned: the predictions above cannot be trusted */
  if (lt_engine_take_error(err))
    goto out;
  bootstrap(r, ds->n, boot, seed, out);
  rc = 0;
out:
  free(r), free(x), free(mask), free(truth), free(cam), free(p), free(lung);
  return rc;
}
