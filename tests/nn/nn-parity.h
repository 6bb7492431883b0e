/* tests/nn/nn-parity.h — what the GPU parity tests (tests/nn/test-nn-cuda-parity.c for the
 * layers, tests/model/test-model-cuda-parity.c for the model) share: the two backends, the
 * check counters, the error budgets, and copies between host and backend memory. */
#ifndef LT_NN_PARITY_H
#define LT_NN_PARITY_H

#include <stddef.h>

#include "nn/backend.h"

#define NN_TOL 1e-5

typedef struct {
  const lt_backend *cu, *cpu;
  int failures, checks;
} nn_parity;
extern nn_parity nn_par;

/* Picks both backends and prints the GPU: 0, or 77 (skip, with the reason printed) where the
 * cuda backend is not built or no GPU answers; exits 1 when the cpu backend fails. */
int nn_parity_start(void);
/* Counts a CUDA error left behind as a failure, prints the totals; the exit status. */
int nn_parity_finish(void);

/* The budget of an n-term float32 sum (see nn-parity.c). */
double nn_tol_sum(size_t n);
/* One check: error e against tol, printed on a line. */
void nn_expect(const char *what, const char *pass, double e, double tol);
/* One check of ||a - b|| / ||b|| against NN_TOL. */
void nn_expect_close(const char *what, const char *pass, const float *a, const float *b, size_t n);
/* A backend buffer holding a copy of host h (n floats; h NULL: uninitialised). Exits on failure. */
float *nn_up(const lt_backend *be, const float *h, size_t n);
/* A malloc'ed host copy of backend buffer d (n floats). */
float *nn_down(const lt_backend *be, const float *d, size_t n);

#endif
