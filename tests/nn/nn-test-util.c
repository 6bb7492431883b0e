/* tests/nn/nn-test-util.c — see nn-test-util.h. */
#include "nn-test-util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double nn_uniform(nn_rng *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return (double)(r->s >> 11) * (1.0 / 9007199254740992.0);
}

void nn_fill_f32(nn_rng *r, float *a, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * nn_uniform(r));
}

void nn_fill_f64(nn_rng *r, double *a, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) a[i] = lo + (hi - lo) * nn_uniform(r);
}

double nn_norm_err_f32(const float *a, const float *b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)a[i] - b[i];
    num += d * d;
    den += (double)b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

double nn_norm_err_f64(const double *a, const double *b, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    double d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

static void *xmalloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    abort();
  }
  return p;
}

float *nn_f32(size_t n) { return xmalloc(n * sizeof(float)); }
double *nn_f64(size_t n) { return xmalloc(n * sizeof(double)); }
