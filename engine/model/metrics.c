/* engine/model/metrics.c — see metrics.h. */
#include "model/metrics.h"

#include <math.h>
#include <stdlib.h>

static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

void lt_metrics_classification(lt_cls_metrics *out, const float *prob, const int *label, int n,
                               double threshold) {
  lt_cls_metrics m = {0};
  m.n = n;
  for (int i = 0; i < n; i++) {
    int pred = prob[i] >= threshold;
    if (label[i]) pred ? m.tp++ : m.fn++;
    else pred ? m.fp++ : m.tn++;
  }
  m.accuracy = ratio(m.tp + m.tn, n);
  m.sensitivity = ratio(m.tp, m.tp + m.fn);
  m.specificity = ratio(m.tn, m.tn + m.fp);
  m.precision = ratio(m.tp, m.tp + m.fp);
  m.precision_benign = ratio(m.tn, m.tn + m.fn);
  m.f1 = ratio(2.0 * m.tp, 2.0 * m.tp + m.fp + m.fn);
  m.auc = lt_auc(prob, label, n);
  *out = m;
}

typedef struct {
  float s;
  int y;
} scored;

static int scored_cmp(const void *a, const void *b) {
  float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return (x > y) - (x < y);
}

double lt_auc(const float *score, const int *label, int n) {
  scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  if (!v) return NAN;
  long npos = 0, nneg = 0;
  for (int i = 0; i < n; i++) {
    v[i].s = score[i];
    v[i].y = label[i] ? 1 : 0;
    npos += v[i].y;
  }
  nneg = n - npos;
  if (npos == 0 || nneg == 0) {
    free(v);
    return NAN;
  }
  qsort(v, (size_t)n, sizeof *v, scored_cmp);
  /* Sum of the positives' ranks, ties getting the average rank. */
  double rank_sum = 0;
  for (int i = 0; i < n;) {
    int j = i;
    while (j < n && v[j].s == v[i].s) j++;
    double avg = 0.5 * ((i + 1) + j); /* ranks i+1 .. j */
    for (int k = i; k < j; k++)
      if (v[k].y) rank_sum += avg;
    i = j;
  }
  free(v);
  return (rank_sum - (double)npos * (npos + 1) / 2.0) / ((double)npos * (double)nneg);
}

double lt_dice(const float *pred, const float *mask, size_t n, float thr) {
  double inter = 0, a = 0, b = 0;
  for (size_t i = 0; i < n; i++) {
    int p = pred[i] >= thr, m = mask[i] >= 0.5f;
    inter += p && m;
    a += p;
    b += m;
  }
  return a + b > 0 ? 2.0 * inter / (a + b) : 1.0;
}

double lt_attr_mae(const float *pred, const float *target, int n, int k, double *per_attr) {
  double total = 0;
  for (int j = 0; j < k; j++) {
    double s = 0;
    for (int i = 0; i < n; i++) s += fabs((double)pred[i * k + j] - target[i * k + j]);
    if (per_attr) per_attr[j] = n > 0 ? s / n : NAN;
    total += s;
  }
  return n * k > 0 ? total / ((double)n * k) : NAN;
}

void lt_mean_sd(const double *x, int n, double *mean, double *sd) {
  double m = 0;
  for (int i = 0; i < n; i++) m += x[i];
  m = n > 0 ? m / n : NAN;
  double s = 0;
  for (int i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
  *mean = m;
  *sd = n > 1 ? sqrt(s / (n - 1)) : 0.0;
}
