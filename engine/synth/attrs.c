/* engine/synth/attrs.c — see attrs.h. */
#include "synth/attrs.h"

#include <math.h>
#include <stdlib.h>

const int lt_synth_attr_lidc[LT_ATTR_N] = {
    LT_LIDC_SUBTLETY, LT_LIDC_SPHERICITY, LT_LIDC_MARGIN,
    LT_LIDC_LOBULATION, LT_LIDC_SPICULATION, LT_LIDC_MALIGNANCY,
};
const char *const lt_synth_attr_names[LT_ATTR_N] = {
    "subtlety", "sphericity", "margin", "lobulation", "spiculation", "malignancy",
};

#define SCORE_JITTER 0.25
#define DIAMETER_JITTER 0.10

int lt_attr_pool_build(const lt_lidc_tables *t, lt_attr_pool **out, lt_error *err) {
  *out = NULL;
  lt_attr_pool *p = calloc(1, sizeof *p);
  int cap = t->n_nodules ? t->n_nodules : 1;
  if (p) {
    p->source = malloc((size_t)cap * sizeof *p->source);
    p->mean = malloc((size_t)cap * sizeof *p->mean);
    p->diameter_mm = malloc((size_t)cap * sizeof *p->diameter_mm);
  }
  if (!p || !p->source || !p->mean || !p->diameter_mm) {
    lt_attr_pool_free(p);
    return lt_error_set(err, "out of memory"), -1;
  }
  for (int k = 0; k < t->n_nodules; k++) {
    const lt_lidc_table_nodule *nd = &t->nodules[k];
    if (nd->n < 2 || !(nd->diameter_mm >= 3.0 && nd->diameter_mm <= 30.0)) continue;
    int ok = 1;
    double m[LT_ATTR_N];
    for (int a = 0; a < LT_ATTR_N && ok; a++) {
      double s = 0;
      int c = 0;
      for (int r = 0; r < nd->n; r++) {
        int v = t->readings[nd->first + r][lt_synth_attr_lidc[a]];
        if (v > 0) {
          s += v;
          c++;
        }
      }
      if (!c) ok = 0;
      else m[a] = s / c;
    }
    if (!ok) continue;
    p->source[p->n] = k;
    for (int a = 0; a < LT_ATTR_N; a++) p->mean[p->n][a] = m[a];
    p->diameter_mm[p->n] = nd->diameter_mm;
    p->n++;
  }
  if (!p->n) {
    lt_attr_pool_free(p);
    return lt_error_set(err, "no LIDC nodule with two readings of all six attributes"), -1;
  }
  *out = p;
  return 0;
}

void lt_attr_pool_free(lt_attr_pool *p) {
  if (!p) return;
  free(p->source);
  free(p->mean);
  free(p->diameter_mm);
  free(p);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

void lt_attr_draw(const lt_attr_pool *p, lt_srng *rng, lt_synth_attrs *out) {
  int k = lt_srng_int(rng, p->n);
  out->source = p->source[k];
  for (int a = 0; a < LT_ATTR_N; a++)
    out->score[a] = clampd(p->mean[k][a] + SCORE_JITTER * lt_srng_normal(rng), 1.0, 5.0);
  out->diameter_mm =
      clampd(p->diameter_mm[k] * exp(DIAMETER_JITTER * lt_srng_normal(rng)), 3.0, 30.0);
}
