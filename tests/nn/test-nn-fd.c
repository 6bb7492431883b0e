/* tests/nn/test-nn-fd.c — every layer's backward against central finite differences.
 * Runs on the double-precision reference layers (lt_ref_f64_*): the loss is L = sum r_i y_i
 * for a fixed random r, the analytic gradient is the layer's backward with dy = r, and the
 * finite difference is (L(v + h) - L(v - h)) / 2h with h = 1e-5 for up to 60 entries of every
 * input and parameter. Tolerance: normalised error ||fd - analytic|| / ||analytic|| <= 1e-6
 * (truncation error ~h^2, rounding ~1e-16 / h: both far below it). The cpu backend is tied to
 * these by test-nn-cpu-vs-ref.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn-test-util.h"
#include "nn/backend.h"
#include "nn/ref-kernels.h"

#define FD_H 1e-5
#define FD_TOL 1e-6
#define FD_PROBES 60
#define MAXIN 6

typedef struct fd_case fd_case;
struct fd_case {
  const char *name;
  void (*forward)(fd_case *c, double *y);
  void (*backward)(fd_case *c, const double *dy);
  size_t ny;
  int nin;
  double *in[MAXIN], *grad[MAXIN];
  size_t count[MAXIN];
  const char *what[MAXIN];
  /* layer parameters */
  lt_conv_desc conv;
  int n, spatial, c, g, d, h, w, k, fin, fout, nparts;
  int cs[4];
  double *ysave, *mean, *rstd;
};

static double loss(fd_case *c, const double *r, double *y) {
  c->forward(c, y);
  double l = 0;
  for (size_t i = 0; i < c->ny; i++) l += r[i] * y[i];
  return l;
}

static void add_input(fd_case *c, nn_rng *rng, const char *what, size_t n, double lo, double hi) {
  int i = c->nin++;
  c->what[i] = what;
  c->count[i] = n;
  c->in[i] = nn_f64(n);
  c->grad[i] = nn_f64(n);
  nn_fill_f64(rng, c->in[i], n, lo, hi);
}

/* Checks every input of the case and frees it. */
static void check_case(fd_case *c, nn_rng *rng) {
  double *r = nn_f64(c->ny), *y = nn_f64(c->ny);
  nn_fill_f64(rng, r, c->ny, -1, 1);
  c->backward(c, r);
  for (int i = 0; i < c->nin; i++) {
    size_t m = c->count[i] < FD_PROBES ? c->count[i] : FD_PROBES;
    double *fd = nn_f64(m), *an = nn_f64(m);
    for (size_t p = 0; p < m; p++) {
      size_t j = c->count[i] <= FD_PROBES ? p : (size_t)(nn_uniform(rng) * (double)c->count[i]);
      double v = c->in[i][j];
      c->in[i][j] = v + FD_H;
      double lp = loss(c, r, y);
      c->in[i][j] = v - FD_H;
      double lm = loss(c, r, y);
      c->in[i][j] = v;
      fd[p] = (lp - lm) / (2 * FD_H);
      an[p] = c->grad[i][j];
    }
    double e = nn_norm_err_f64(fd, an, m);
    printf("%-28s d/d%-6s %3zu probes  normalised error %.2e (tolerance %.0e)\n", c->name,
           c->what[i], m, e, FD_TOL);
    assert_true(e <= FD_TOL);
    free(fd);
    free(an);
  }
  for (int i = 0; i < c->nin; i++) {
    free(c->in[i]);
    free(c->grad[i]);
  }
  free(c->ysave);
  free(c->mean);
  free(c->rstd);
  free(r);
  free(y);
}

/* ---- convolution ---- inputs: x, w, b */
static void conv_fwd(fd_case *c, double *y) {
  lt_ref_f64_conv_forward(&c->conv, y, c->in[0], c->in[1], c->in[2]);
}
static void conv_bwd(fd_case *c, const double *dy) {
  lt_ref_f64_conv_backward_data(&c->conv, c->grad[0], dy, c->in[1]);
  lt_ref_f64_conv_backward_weights(&c->conv, c->grad[1], c->grad[2], dy, c->in[0]);
}

static void run_conv(const char *name, lt_conv_kind kind, int n, int ci, int co, int d, int h,
                     int w, int k, int stride) {
  nn_rng rng = {0x1234567 + (uint64_t)k * 77 + (uint64_t)stride};
  fd_case c = {0};
  c.name = name;
  c.conv = lt_conv_desc_make(kind, n, ci, co, d, h, w, k, stride);
  assert_int_equal(lt_conv_desc_check(&c.conv, NULL), 0);
  c.forward = conv_fwd;
  c.backward = conv_bwd;
  c.ny = lt_shape_count(lt_conv_out_shape(&c.conv));
  add_input(&c, &rng, "x", lt_shape_count(lt_conv_in_shape(&c.conv)), -1, 1);
  add_input(&c, &rng, "w", lt_conv_weight_count(&c.conv), -0.5, 0.5);
  add_input(&c, &rng, "b", (size_t)co, -0.5, 0.5);
  check_case(&c, &rng);
}

static void conv3_stride1_backward_matches_fd(void **state) {
  (void)state;
  run_conv("conv 3x3x3 stride 1", LT_CONV, 2, 3, 4, 5, 4, 6, 3, 1);
}
static void conv3_stride2_backward_matches_fd(void **state) {
  (void)state;
  run_conv("conv 3x3x3 stride 2", LT_CONV, 2, 3, 4, 6, 5, 4, 3, 2);
}
static void conv1_backward_matches_fd(void **state) {
  (void)state;
  run_conv("conv 1x1x1", LT_CONV, 2, 5, 3, 3, 4, 2, 1, 1);
}
static void transposed_conv_backward_matches_fd(void **state) {
  (void)state;
  run_conv("transposed conv 2x2x2 s2", LT_CONV_TRANSPOSED, 2, 4, 3, 3, 2, 4, 2, 2);
}

/* ---- GroupNorm + ReLU ---- inputs: x, gamma, beta */
static void gn_fwd(fd_case *c, double *y) {
  lt_ref_f64_gn_relu_forward(y, c->mean, c->rstd, c->in[0], c->in[1], c->in[2], c->n, c->spatial,
                             c->c, c->g);
}
static void gn_bwd(fd_case *c, const double *dy) {
  gn_fwd(c, c->ysave);
  lt_ref_f64_gn_relu_backward(c->grad[0], c->grad[1], c->grad[2], dy, c->ysave, c->in[0],
                              c->mean, c->rstd, c->in[1], c->n, c->spatial, c->c, c->g);
}
static void gn_relu_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {99};
  fd_case c = {0};
  c.name = "groupnorm+relu 8 groups";
  c.n = 2, c.spatial = 30, c.c = 16, c.g = 8;
  c.forward = gn_fwd;
  c.backward = gn_bwd;
  c.ny = (size_t)c.n * c.spatial * c.c;
  c.ysave = nn_f64(c.ny);
  c.mean = nn_f64((size_t)c.n * c.g);
  c.rstd = nn_f64((size_t)c.n * c.g);
  add_input(&c, &rng, "x", c.ny, -2, 3);
  add_input(&c, &rng, "gamma", (size_t)c.c, 0.5, 1.5);
  add_input(&c, &rng, "beta", (size_t)c.c, -0.3, 0.3);
  check_case(&c, &rng);
}

/* ---- GroupNorm without ReLU ---- inputs: x, gamma, beta */
static void gnp_fwd(fd_case *c, double *y) {
  lt_ref_f64_gn_forward(y, c->mean, c->rstd, c->in[0], c->in[1], c->in[2], c->n, c->spatial,
                        c->c, c->g);
}
static void gnp_bwd(fd_case *c, const double *dy) {
  gnp_fwd(c, c->ysave);
  lt_ref_f64_gn_backward(c->grad[0], c->grad[1], c->grad[2], dy, c->in[0], c->mean, c->rstd,
                         c->in[1], c->n, c->spatial, c->c, c->g);
}
static void gn_plain_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {98};
  fd_case c = {0};
  c.name = "groupnorm 4 groups";
  c.n = 2, c.spatial = 24, c.c = 8, c.g = 4;
  c.forward = gnp_fwd;
  c.backward = gnp_bwd;
  c.ny = (size_t)c.n * c.spatial * c.c;
  c.ysave = nn_f64(c.ny);
  c.mean = nn_f64((size_t)c.n * c.g);
  c.rstd = nn_f64((size_t)c.n * c.g);
  add_input(&c, &rng, "x", c.ny, -2, 3);
  add_input(&c, &rng, "gamma", (size_t)c.c, 0.5, 1.5);
  add_input(&c, &rng, "beta", (size_t)c.c, -0.3, 0.3);
  check_case(&c, &rng);
}

/* ---- pooling ---- input: x */
static void gap_fwd(fd_case *c, double *y) {
  lt_ref_f64_global_avg_pool_forward(y, c->in[0], c->n, c->spatial, c->c);
}
static void gap_bwd(fd_case *c, const double *dy) {
  lt_ref_f64_global_avg_pool_backward(c->grad[0], dy, c->n, c->spatial, c->c);
}
static void global_avg_pool_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {5};
  fd_case c = {0};
  c.name = "global average pool";
  c.n = 2, c.spatial = 27, c.c = 5;
  c.forward = gap_fwd;
  c.backward = gap_bwd;
  c.ny = (size_t)c.n * c.c;
  add_input(&c, &rng, "x", (size_t)c.n * c.spatial * c.c, -1, 1);
  check_case(&c, &rng);
}

static void ap_fwd(fd_case *c, double *y) {
  lt_ref_f64_avg_pool_forward(y, c->in[0], c->n, c->d, c->h, c->w, c->c, c->k);
}
static void ap_bwd(fd_case *c, const double *dy) {
  lt_ref_f64_avg_pool_backward(c->grad[0], dy, c->n, c->d, c->h, c->w, c->c, c->k);
}
static void avg_pool4_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {6};
  fd_case c = {0};
  c.name = "average pool 4x4x4";
  c.n = 2, c.d = 8, c.h = 4, c.w = 12, c.c = 2, c.k = 4;
  c.forward = ap_fwd;
  c.backward = ap_bwd;
  c.ny = (size_t)c.n * (c.d / 4) * (c.h / 4) * (c.w / 4) * c.c;
  add_input(&c, &rng, "x", (size_t)c.n * c.d * c.h * c.w * c.c, -1, 1);
  check_case(&c, &rng);
}

/* ---- fully connected ---- inputs: x, w, b */
static void fc_fwd(fd_case *c, double *y) {
  lt_ref_f64_fc_forward(y, c->in[0], c->in[1], c->in[2], c->n, c->fin, c->fout);
}
static void fc_bwd(fd_case *c, const double *dy) {
  lt_ref_f64_fc_backward(c->grad[0], c->grad[1], c->grad[2], dy, c->in[0], c->in[1], c->n,
                         c->fin, c->fout);
}
static void fc_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {7};
  fd_case c = {0};
  c.name = "fully connected";
  c.n = 3, c.fin = 9, c.fout = 5;
  c.forward = fc_fwd;
  c.backward = fc_bwd;
  c.ny = (size_t)c.n * c.fout;
  add_input(&c, &rng, "x", (size_t)c.n * c.fin, -1, 1);
  add_input(&c, &rng, "w", (size_t)c.fout * c.fin, -1, 1);
  add_input(&c, &rng, "b", (size_t)c.fout, -1, 1);
  check_case(&c, &rng);
}

/* ---- element-wise ---- */
static void relu_fwd(fd_case *c, double *y) { lt_ref_f64_relu_forward(y, c->in[0], c->ny); }
static void relu_bwd(fd_case *c, const double *dy) {
  relu_fwd(c, c->ysave);
  lt_ref_f64_relu_backward(c->grad[0], dy, c->ysave, c->ny);
}
static void sig_fwd(fd_case *c, double *y) { lt_ref_f64_sigmoid_forward(y, c->in[0], c->ny); }
static void sig_bwd(fd_case *c, const double *dy) {
  sig_fwd(c, c->ysave);
  lt_ref_f64_sigmoid_backward(c->grad[0], dy, c->ysave, c->ny);
}
static void add_fwd(fd_case *c, double *y) { lt_ref_f64_add(y, c->in[0], c->in[1], c->ny); }
static void add_bwd(fd_case *c, const double *dy) { /* the backward of an add: dy to both */
  memcpy(c->grad[0], dy, c->ny * sizeof(double));
  memcpy(c->grad[1], dy, c->ny * sizeof(double));
}

static void relu_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {8};
  fd_case c = {0};
  c.name = "relu";
  c.ny = 50;
  c.ysave = nn_f64(c.ny);
  c.forward = relu_fwd;
  c.backward = relu_bwd;
  add_input(&c, &rng, "x", c.ny, -1, 1);
  for (size_t i = 0; i < c.ny; i++) /* keep away from the kink at 0 */
    if (c.in[0][i] > -1e-3 && c.in[0][i] < 1e-3) c.in[0][i] = 0.5;
  check_case(&c, &rng);
}

static void sigmoid_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {9};
  fd_case c = {0};
  c.name = "sigmoid";
  c.ny = 50;
  c.ysave = nn_f64(c.ny);
  c.forward = sig_fwd;
  c.backward = sig_bwd;
  add_input(&c, &rng, "x", c.ny, -6, 6);
  check_case(&c, &rng);
}

static void add_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {10};
  fd_case c = {0};
  c.name = "add";
  c.ny = 40;
  c.forward = add_fwd;
  c.backward = add_bwd;
  add_input(&c, &rng, "a", c.ny, -1, 1);
  add_input(&c, &rng, "b", c.ny, -1, 1);
  check_case(&c, &rng);
}

/* ---- concatenation of three inputs ---- */
static void cat_fwd(fd_case *c, double *y) {
  const double *xs[3] = {c->in[0], c->in[1], c->in[2]};
  lt_ref_f64_concat_forward(y, xs, c->cs, 3, (size_t)c->spatial);
}
static void cat_bwd(fd_case *c, const double *dy) {
  double *dxs[3] = {c->grad[0], c->grad[1], c->grad[2]};
  lt_ref_f64_concat_backward(dxs, dy, c->cs, 3, (size_t)c->spatial);
}
static void concat_backward_matches_fd(void **state) {
  (void)state;
  nn_rng rng = {11};
  fd_case c = {0};
  c.name = "concat (4, 3, 1 channels)";
  c.spatial = 10;
  c.cs[0] = 4, c.cs[1] = 3, c.cs[2] = 1;
  c.ny = 8 * 10;
  c.forward = cat_fwd;
  c.backward = cat_bwd;
  add_input(&c, &rng, "x0", 40, -1, 1);
  add_input(&c, &rng, "x1", 30, -1, 1);
  add_input(&c, &rng, "x2", 10, -1, 1);
  check_case(&c, &rng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(conv3_stride1_backward_matches_fd),
      cmocka_unit_test(conv3_stride2_backward_matches_fd),
      cmocka_unit_test(conv1_backward_matches_fd),
      cmocka_unit_test(transposed_conv_backward_matches_fd),
      cmocka_unit_test(gn_relu_backward_matches_fd),
      cmocka_unit_test(gn_plain_backward_matches_fd),
      cmocka_unit_test(global_avg_pool_backward_matches_fd),
      cmocka_unit_test(avg_pool4_backward_matches_fd),
      cmocka_unit_test(fc_backward_matches_fd),
      cmocka_unit_test(relu_backward_matches_fd),
      cmocka_unit_test(sigmoid_backward_matches_fd),
      cmocka_unit_test(add_backward_matches_fd),
      cmocka_unit_test(concat_backward_matches_fd),
  };
  return cmocka_run_group_tests_name("nn_backward_matches_fd", tests, NULL, NULL);
}
