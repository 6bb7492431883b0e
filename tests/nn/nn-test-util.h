/* tests/nn/nn-test-util.h — helpers of the nn tests: seeded random fills and the normalised
 * error ||a - b|| / ||b|| (computed in double). */
#ifndef LT_NN_TEST_UTIL_H
#define LT_NN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t s;
} nn_rng;

double nn_uniform(nn_rng *r);                  /* [0, 1) */
void nn_fill_f32(nn_rng *r, float *a, size_t n, double lo, double hi);
void nn_fill_f64(nn_rng *r, double *a, size_t n, double lo, double hi);
double nn_norm_err_f32(const float *a, const float *b, size_t n);
double nn_norm_err_f64(const double *a, const double *b, size_t n);
/* xmalloc'ed arrays; abort on out of memory (tests only). */
float *nn_f32(size_t n);
double *nn_f64(size_t n);

#endif
