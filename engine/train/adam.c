/* engine/train/adam.c — see adam.h. */
#include "train/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lt_adam_init(lt_adam *a, size_t n, double lr, lt_error *err) {
  memset(a, 0, sizeof *a);
  a->lr = lr;
  a->beta1 = 0.9;
  a->beta2 = 0.999;
  a->eps = 1e-8;
  a->n = n;
  a->m = calloc(2 * (n ? n : 1), sizeof(float));
  if (!a->m) return lt_error_set(err, "out of memory for the optimiser state");
  a->v = a->m + n;
  return 0;
}

void lt_adam_free(lt_adam *a) {
  free(a->m);
  memset(a, 0, sizeof *a);
}

void lt_adam_step(lt_adam *a, float *params, const float *grads) {
  a->step++;
  const float b1 = (float)a->beta1, b2 = (float)a->beta2;
  const double bc1 = 1.0 - pow(a->beta1, (double)a->step);
  const double bc2 = 1.0 - pow(a->beta2, (double)a->step);
  const float step = (float)(a->lr / bc1), rbc2 = (float)(1.0 / sqrt(bc2)), eps = (float)a->eps;
  float *m = a->m, *v = a->v;
  const long n = (long)a->n;
  /* simd: the build's -O2 leaves a loop of unknown length scalar; vector sqrt and division are
   * exact, so the result is the same bit for bit */
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (long i = 0; i < n; i++) {
    float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step * m[i] / (sqrtf(v[i]) * rbc2 + eps);
  }
}
