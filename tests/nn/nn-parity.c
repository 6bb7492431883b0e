/* tests/nn/nn-parity.c — see nn-parity.h. */
#include "nn-parity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn-test-util.h"
#include "nn/backend-select.h"
#ifdef LT_HAVE_CUDA
#include "nn/cuda/cuda-backend.h"
#endif

nn_parity nn_par;

int nn_parity_start(void) {
  if (!lt_engine_cuda_built()) {
    printf("SKIP: the cuda backend is not built into this program (meson option cuda)\n");
    return 77;
  }
  lt_error err = {{0}};
  nn_par.cu = lt_backend_select("cuda", &err);
  if (!nn_par.cu) {
    printf("SKIP: no GPU for the parity tests: %s\n", err.msg);
    return 77;
  }
  nn_par.cpu = lt_backend_select("cpu", &err);
  if (!nn_par.cpu) {
    printf("FAIL: %s\n", err.msg);
    exit(1);
  }
  char info[256];
  nn_par.cu->probe(info, sizeof info, &err);
  printf("cuda: %s\n", info);
  return 0;
}

int nn_parity_finish(void) {
#ifdef LT_HAVE_CUDA
  lt_error err = {{0}};
  if (lt_cuda_take_error(&err)) {
    printf("FAIL: CUDA error during the test: %s\n", err.msg);
    nn_par.failures++;
  }
#endif
  printf("%d checks, %d failures\n", nn_par.checks, nn_par.failures);
  return nn_par.failures ? 1 : 0;
}

/* The two backends add the terms of a float32 sum in different orders, and the rounding error of
 * an n-term sum grows like sqrt(n) u (u = 2^-24). Weight and bias gradients sum over batch x
 * volume, up to 2 x 64^3 = 2^19 terms, where 1e-5 is below that noise (an H200 gave 1.2e-5 for
 * the bias of the 1-channel output conv at 64^3, 2.6e-5 for a decoder bias in the whole model;
 * a 2^10-term sum stays near 1e-6). Their budget is 1e-5 or 2 sqrt(n) u, whichever is larger:
 * 8.6e-5 at 2^19. */
double nn_tol_sum(size_t n) {
  double t = 2.0 * sqrt((double)n) * 0x1p-24;
  return t > NN_TOL ? t : NN_TOL;
}

void nn_expect(const char *what, const char *pass, double e, double tol) {
  nn_par.checks++;
  int ok = e <= tol;
  printf("  %-28s %-22s normalised error %.2e%s\n", what, pass, e, ok ? "" : "  FAIL");
  if (!ok) nn_par.failures++;
}

void nn_expect_close(const char *what, const char *pass, const float *a, const float *b,
                     size_t n) {
  nn_expect(what, pass, nn_norm_err_f32(a, b, n), NN_TOL);
}

float *nn_up(const lt_backend *be, const float *h, size_t n) {
  float *d = be->alloc(n * sizeof(float));
  if (!d) {
    printf("FAIL: %s alloc of %zu floats\n", be->name, n);
    exit(1);
  }
  if (h) be->copy(d, h, n * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  return d;
}

float *nn_down(const lt_backend *be, const float *d, size_t n) {
  float *h = nn_f32(n);
  be->copy(h, d, n * sizeof(float), LT_COPY_DEVICE_TO_HOST);
  return h;
}
