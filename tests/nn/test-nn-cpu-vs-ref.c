/* tests/nn/test-nn-cpu-vs-ref.c — the cpu backend (oneDNN + OpenMP) against the reference
 * backend: normalised error ||cpu - ref|| / ||ref|| <= 1e-5 for every layer's forward and each
 * backward, on the default model's shapes at small spatial sizes (batch 2, non-cubic), plus a
 * full-size forward of every convolution shape and full-size backwards of eight; and oneDNN's choice of kernel (jit or brgemm,
 * never "ref") for every convolution pass of the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn-shapes.h"
#include "nn-test-util.h"
#include "nn/backend.h"
#include "nn/cpu-dnnl.h"

#define TOL 1e-5

static const lt_backend *cpu, *ref;

static void expect_close(const char *what, const char *pass, const float *a, const float *b,
                         size_t n) {
  double e = nn_norm_err_f32(a, b, n);
  printf("  %-26s %-18s normalised error %.2e\n", what, pass, e);
  assert_true(e <= TOL);
}

/* Forward, backward-data and backward-weights of one shape on both backends. */
static void compare_conv(const char *name, lt_conv_desc d, int backward, uint64_t seed) {
  lt_error err;
  lt_conv *pc = NULL, *pr = NULL;
  d.forward_only = !backward;
  if (cpu->conv_create(&pc, &d, &err) != 0) fail_msg("%s: %s", name, err.msg);
  assert_int_equal(ref->conv_create(&pr, &d, &err), 0);
  size_t nx = lt_shape_count(lt_conv_in_shape(&d)), ny = lt_shape_count(lt_conv_out_shape(&d));
  size_t nw = lt_conv_weight_count(&d);
  nn_rng rng = {seed};
  float *x = nn_f32(nx), *w = nn_f32(nw), *b = nn_f32((size_t)d.c_out), *dy = nn_f32(ny);
  float *y1 = nn_f32(ny), *y2 = nn_f32(ny);
  nn_fill_f32(&rng, x, nx, -1, 1);
  nn_fill_f32(&rng, w, nw, -0.2, 0.2);
  nn_fill_f32(&rng, b, (size_t)d.c_out, -0.5, 0.5);
  nn_fill_f32(&rng, dy, ny, -1, 1);
  cpu->conv_forward(pc, y1, x, w, b);
  ref->conv_forward(pr, y2, x, w, b);
  expect_close(name, "forward", y1, y2, ny);
  if (backward) {
    float *dx1 = nn_f32(nx), *dx2 = nn_f32(nx), *dw1 = nn_f32(nw), *dw2 = nn_f32(nw);
    float *db1 = nn_f32((size_t)d.c_out), *db2 = nn_f32((size_t)d.c_out);
    cpu->conv_backward_data(pc, dx1, dy, w);
    ref->conv_backward_data(pr, dx2, dy, w);
    expect_close(name, "backward-data", dx1, dx2, nx);
    cpu->conv_backward_weights(pc, dw1, db1, dy, x);
    ref->conv_backward_weights(pr, dw2, db2, dy, x);
    expect_close(name, "backward-weights dw", dw1, dw2, nw);
    expect_close(name, "backward-weights db", db1, db2, (size_t)d.c_out);
    /* a second call with the same plan gives the same answer (no state left behind) */
    cpu->conv_forward(pc, y1, x, w, b);
    expect_close(name, "forward again", y1, y2, ny);
    free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
  }
  free(x), free(w), free(b), free(dy), free(y1), free(y2);
  cpu->conv_destroy(pc);
  ref->conv_destroy(pr);
}

static void conv_cpu_matches_ref_on_model_shapes_small(void **state) {
  (void)state;
  /* the model's channel counts at a small size; D, H, W differ to catch mixed-up axes */
  static const int small[NN_MODEL_CONV_COUNT] = {8, 8, 8, 8, 6, 6, 4, 3, 6, 4, 6, 4, 6, 5};
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    const nn_model_conv *m = &nn_model_convs[i];
    int s = small[i];
    lt_conv_desc d = lt_conv_desc_make(m->kind, 2, m->c_in, m->c_out, s, s + 1, s - 1 > 0 ? s - 1 : 1,
                                       m->k, m->stride);
    compare_conv(m->name, d, 1, 1000 + (uint64_t)i);
  }
}

static void conv_cpu_matches_ref_full_size_forward(void **state) {
  (void)state;
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    const nn_model_conv *m = &nn_model_convs[i];
    if (m->repeat) continue;
    lt_conv_desc d = lt_conv_desc_make(m->kind, 1, m->c_in, m->c_out, m->size, m->size, m->size,
                                       m->k, m->stride);
    compare_conv(m->name, d, 0, 2000 + (uint64_t)i);
  }
}

/* Full-size backward passes of the shapes whose reference loops stay within a few seconds:
 * the first convolution (2 input channels), the deepest 3x3x3 ones, the transposed ones
 * (GEMM path) and the 1x1x1 heads. */
static void conv_cpu_matches_ref_full_size_backward(void **state) {
  (void)state;
  static const char *const names[] = {"E1 conv 2->16 @64",    "E4 conv 64->128 s2 @16",
                                      "E4 conv 128->128 @8",  "U3 tconv 128->64 @8",
                                      "U2 tconv 64->32 @16",  "U1 tconv 32->16 @32",
                                      "S conv1 16->1 @64",    "F conv1 129->128 @16"};
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    const nn_model_conv *m = &nn_model_convs[i];
    int pick = 0;
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) pick |= strcmp(names[j], m->name) == 0;
    if (!pick) continue;
    lt_conv_desc d = lt_conv_desc_make(m->kind, 1, m->c_in, m->c_out, m->size, m->size, m->size,
                                       m->k, m->stride);
    compare_conv(m->name, d, 1, 3000 + (uint64_t)i);
  }
}

static int fast_kernel(const char *impl) {
  return strstr(impl, "jit") != NULL || strstr(impl, "brg") != NULL;
}

static void conv_kernels_are_jit_or_brgemm_for_every_model_pass(void **state) {
  (void)state;
  lt_error err;
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    const nn_model_conv *m = &nn_model_convs[i];
    if (m->repeat) continue;
    lt_conv_desc d = lt_conv_desc_make(m->kind, 1, m->c_in, m->c_out, m->size, m->size, m->size,
                                       m->k, m->stride);
    lt_conv *c = NULL;
    if (cpu->conv_create(&c, &d, &err) != 0) fail_msg("%s: %s", m->name, err.msg);
    for (int p = 0; p < 3; p++) {
      const char *impl = cpu->conv_impl(c, (lt_conv_pass)p);
      printf("  %-26s pass %d: %s\n", m->name, p, impl);
      assert_true(fast_kernel(impl));
      assert_null(strstr(impl, "ref"));
    }
    cpu->conv_destroy(c);
  }
}

static void dnnl_reference_kernel_names_are_refused(void **state) {
  (void)state;
  assert_false(lt_dnnl_impl_acceptable("ref:any"));
  assert_false(lt_dnnl_impl_acceptable("ref_fused"));
  assert_false(lt_dnnl_impl_acceptable(""));
  assert_false(lt_dnnl_impl_acceptable(NULL));
  assert_true(lt_dnnl_impl_acceptable("brgconv:avx512_core"));
  assert_true(lt_dnnl_impl_acceptable("jit_1x1:avx512_core"));
  assert_true(lt_dnnl_impl_acceptable("x64:gemm:jit"));
}

/* GroupNorm+ReLU at each width of the model; the backward of both backends gets the same saved
 * state (the reference's forward), so a ReLU mask that differs at exactly 0 cannot matter. */
static void gn_relu_cpu_matches_ref(void **state) {
  (void)state;
  static const int widths[] = {16, 32, 64, 128};
  static const int sizes[] = {7 * 8 * 6, 5 * 6 * 4, 4 * 4 * 5, 64 * 64 * 64};
  for (int t = 0; t < 5; t++) {
    int c = t < 4 ? widths[t] : 16, spatial = t < 4 ? sizes[t % 3] : sizes[3], n = t < 4 ? 2 : 1,
        g = 8;
    size_t cnt = (size_t)n * spatial * c;
    nn_rng rng = {300 + (uint64_t)t};
    float *x = nn_f32(cnt), *gamma = nn_f32((size_t)c), *beta = nn_f32((size_t)c),
          *dy = nn_f32(cnt);
    nn_fill_f32(&rng, x, cnt, -2, 3);
    nn_fill_f32(&rng, gamma, (size_t)c, 0.5, 1.5);
    nn_fill_f32(&rng, beta, (size_t)c, -0.5, 0.5);
    nn_fill_f32(&rng, dy, cnt, -1, 1);
    float *y1 = nn_f32(cnt), *y2 = nn_f32(cnt), *m1 = nn_f32((size_t)n * g),
          *m2 = nn_f32((size_t)n * g), *r1 = nn_f32((size_t)n * g), *r2 = nn_f32((size_t)n * g);
    cpu->gn_relu_forward(y1, m1, r1, x, gamma, beta, n, spatial, c, g);
    ref->gn_relu_forward(y2, m2, r2, x, gamma, beta, n, spatial, c, g);
    char name[64];
    snprintf(name, sizeof name, "gn+relu C %d S %d N %d", c, spatial, n);
    expect_close(name, "forward y", y1, y2, cnt);
    expect_close(name, "forward mean", m1, m2, (size_t)n * g);
    expect_close(name, "forward rstd", r1, r2, (size_t)n * g);
    float *dx1 = nn_f32(cnt), *dx2 = nn_f32(cnt), *dg1 = nn_f32((size_t)c),
          *dg2 = nn_f32((size_t)c), *db1 = nn_f32((size_t)c), *db2 = nn_f32((size_t)c);
    cpu->gn_relu_backward(dx1, dg1, db1, dy, y2, x, m2, r2, gamma, n, spatial, c, g);
    ref->gn_relu_backward(dx2, dg2, db2, dy, y2, x, m2, r2, gamma, n, spatial, c, g);
    expect_close(name, "backward dx", dx1, dx2, cnt);
    expect_close(name, "backward dgamma", dg1, dg2, (size_t)c);
    expect_close(name, "backward dbeta", db1, db2, (size_t)c);
    free(x), free(gamma), free(beta), free(dy), free(y1), free(y2), free(m1), free(m2);
    free(r1), free(r2), free(dx1), free(dx2), free(dg1), free(dg2), free(db1), free(db2);
  }
}

/* GroupNorm without ReLU (the residual blocks' second normalisation and projection): the
 * same comparison, at the widths of the ResNet configuration. */
static void gn_plain_cpu_matches_ref(void **state) {
  (void)state;
  static const int widths[] = {8, 16, 64, 128};
  static const int sizes[] = {7 * 8 * 6, 5 * 6 * 4, 4 * 4 * 5, 32 * 32 * 32};
  for (int t = 0; t < 4; t++) {
    int c = widths[t], spatial = sizes[t], n = 2, g = 8;
    size_t cnt = (size_t)n * spatial * c;
    nn_rng rng = {350 + (uint64_t)t};
    float *x = nn_f32(cnt), *gamma = nn_f32((size_t)c), *beta = nn_f32((size_t)c),
          *dy = nn_f32(cnt);
    nn_fill_f32(&rng, x, cnt, -2, 3);
    nn_fill_f32(&rng, gamma, (size_t)c, 0.5, 1.5);
    nn_fill_f32(&rng, beta, (size_t)c, -0.5, 0.5);
    nn_fill_f32(&rng, dy, cnt, -1, 1);
    float *y1 = nn_f32(cnt), *y2 = nn_f32(cnt), *m1 = nn_f32((size_t)n * g),
          *m2 = nn_f32((size_t)n * g), *r1 = nn_f32((size_t)n * g), *r2 = nn_f32((size_t)n * g);
    cpu->gn_forward(y1, m1, r1, x, gamma, beta, n, spatial, c, g);
    ref->gn_forward(y2, m2, r2, x, gamma, beta, n, spatial, c, g);
    size_t negative = 0;
    for (size_t i = 0; i < cnt; i++) negative += y2[i] < 0;
    assert_true(negative > cnt / 10); /* no ReLU: negative outputs stay */
    char name[64];
    snprintf(name, sizeof name, "gn C %d S %d N %d", c, spatial, n);
    expect_close(name, "forward y", y1, y2, cnt);
    expect_close(name, "forward mean", m1, m2, (size_t)n * g);
    expect_close(name, "forward rstd", r1, r2, (size_t)n * g);
    float *dx1 = nn_f32(cnt), *dx2 = nn_f32(cnt), *dg1 = nn_f32((size_t)c),
          *dg2 = nn_f32((size_t)c), *db1 = nn_f32((size_t)c), *db2 = nn_f32((size_t)c);
    cpu->gn_backward(dx1, dg1, db1, dy, x, m2, r2, gamma, n, spatial, c, g);
    ref->gn_backward(dx2, dg2, db2, dy, x, m2, r2, gamma, n, spatial, c, g);
    expect_close(name, "backward dx", dx1, dx2, cnt);
    expect_close(name, "backward dgamma", dg1, dg2, (size_t)c);
    expect_close(name, "backward dbeta", db1, db2, (size_t)c);
    free(x), free(gamma), free(beta), free(dy), free(y1), free(y2), free(m1), free(m2);
    free(r1), free(r2), free(dx1), free(dx2), free(dg1), free(dg2), free(db1), free(db2);
  }
}

static void pooling_cpu_matches_ref(void **state) {
  (void)state;
  nn_rng rng = {400};
  /* global average pooling of the fusion map f: (2, 16^3, 128) */
  int n = 2, spatial = 4096, c = 128;
  size_t cnt = (size_t)n * spatial * c;
  float *x = nn_f32(cnt), *y1 = nn_f32((size_t)n * c), *y2 = nn_f32((size_t)n * c),
        *dy = nn_f32((size_t)n * c), *dx1 = nn_f32(cnt), *dx2 = nn_f32(cnt);
  nn_fill_f32(&rng, x, cnt, 0, 2);
  nn_fill_f32(&rng, dy, (size_t)n * c, -1, 1);
  cpu->global_avg_pool_forward(y1, x, n, spatial, c);
  ref->global_avg_pool_forward(y2, x, n, spatial, c);
  expect_close("global avg pool", "forward", y1, y2, (size_t)n * c);
  cpu->global_avg_pool_backward(dx1, dy, n, spatial, c);
  ref->global_avg_pool_backward(dx2, dy, n, spatial, c);
  expect_close("global avg pool", "backward", dx1, dx2, cnt);
  free(x), free(y1), free(y2), free(dy), free(dx1), free(dx2);

  /* 4x4x4 average pooling of the segmentation probability: (2, 64^3, 1) -> (2, 16^3, 1), and a
   * 3-channel, non-cubic case */
  for (int t = 0; t < 2; t++) {
    int d = t ? 8 : 64, h = t ? 12 : 64, w = t ? 4 : 64, ch = t ? 3 : 1, k = 4;
    size_t ni = (size_t)n * d * h * w * ch, no = ni / 64;
    float *px = nn_f32(ni), *py1 = nn_f32(no), *py2 = nn_f32(no), *pdy = nn_f32(no),
          *pdx1 = nn_f32(ni), *pdx2 = nn_f32(ni);
    nn_fill_f32(&rng, px, ni, 0, 1);
    nn_fill_f32(&rng, pdy, no, -1, 1);
    cpu->avg_pool_forward(py1, px, n, d, h, w, ch, k);
    ref->avg_pool_forward(py2, px, n, d, h, w, ch, k);
    expect_close("avg pool 4x4x4", "forward", py1, py2, no);
    cpu->avg_pool_backward(pdx1, pdy, n, d, h, w, ch, k);
    ref->avg_pool_backward(pdx2, pdy, n, d, h, w, ch, k);
    expect_close("avg pool 4x4x4", "backward", pdx1, pdx2, ni);
    free(px), free(py1), free(py2), free(pdy), free(pdx1), free(pdx2);
  }
}

static void fc_cpu_matches_ref(void **state) {
  (void)state;
  static const int shapes[][3] = {{2, 128, 256}, {2, 256, 6}, {3, 512, 1}, {1, 128, 256}};
  for (int t = 0; t < 4; t++) {
    int n = shapes[t][0], in = shapes[t][1], out = shapes[t][2];
    nn_rng rng = {500 + (uint64_t)t};
    size_t nx = (size_t)n * in, ny = (size_t)n * out, nw = (size_t)in * out;
    float *x = nn_f32(nx), *w = nn_f32(nw), *b = nn_f32((size_t)out), *dy = nn_f32(ny);
    float *y1 = nn_f32(ny), *y2 = nn_f32(ny), *dx1 = nn_f32(nx), *dx2 = nn_f32(nx);
    float *dw1 = nn_f32(nw), *dw2 = nn_f32(nw), *db1 = nn_f32((size_t)out), *db2 = nn_f32((size_t)out);
    nn_fill_f32(&rng, x, nx, -1, 1);
    nn_fill_f32(&rng, w, nw, -0.1, 0.1);
    nn_fill_f32(&rng, b, (size_t)out, -0.1, 0.1);
    nn_fill_f32(&rng, dy, ny, -1, 1);
    char name[64];
    snprintf(name, sizeof name, "fc %d->%d N %d", in, out, n);
    cpu->fc_forward(y1, x, w, b, n, in, out);
    ref->fc_forward(y2, x, w, b, n, in, out);
    expect_close(name, "forward", y1, y2, ny);
    cpu->fc_backward(dx1, dw1, db1, dy, x, w, n, in, out);
    ref->fc_backward(dx2, dw2, db2, dy, x, w, n, in, out);
    expect_close(name, "backward dx", dx1, dx2, nx);
    expect_close(name, "backward dw", dw1, dw2, nw);
    expect_close(name, "backward db", db1, db2, (size_t)out);
    cpu->fc_backward(NULL, dw1, db1, dy, x, w, n, in, out); /* dx NULL: weights only */
    expect_close(name, "backward dw (no dx)", dw1, dw2, nw);
    free(x), free(w), free(b), free(dy), free(y1), free(y2), free(dx1), free(dx2);
    free(dw1), free(dw2), free(db1), free(db2);
  }
}

static void elementwise_and_concat_cpu_match_ref(void **state) {
  (void)state;
  nn_rng rng = {600};
  size_t n = 2 * 32 * 32 * 32 * 4 + 3; /* above the threading threshold, odd length */
  float *x = nn_f32(n), *a = nn_f32(n), *dy = nn_f32(n), *y1 = nn_f32(n), *y2 = nn_f32(n),
        *d1 = nn_f32(n), *d2 = nn_f32(n);
  nn_fill_f32(&rng, x, n, -8, 8);
  nn_fill_f32(&rng, a, n, -1, 1);
  nn_fill_f32(&rng, dy, n, -1, 1);
  cpu->relu_forward(y1, x, n);
  ref->relu_forward(y2, x, n);
  expect_close("relu", "forward", y1, y2, n);
  cpu->relu_backward(d1, dy, y2, n);
  ref->relu_backward(d2, dy, y2, n);
  expect_close("relu", "backward", d1, d2, n);
  cpu->sigmoid_forward(y1, x, n);
  ref->sigmoid_forward(y2, x, n);
  expect_close("sigmoid", "forward", y1, y2, n);
  cpu->sigmoid_backward(d1, dy, y2, n);
  ref->sigmoid_backward(d2, dy, y2, n);
  expect_close("sigmoid", "backward", d1, d2, n);
  cpu->add(y1, x, a, n);
  ref->add(y2, x, a, n);
  expect_close("add", "forward", y1, y2, n);
  memcpy(d1, x, n * sizeof(float));
  cpu->add(d1, d1, a, n); /* in place, as for accumulating gradients */
  expect_close("add", "in place", d1, y2, n);
  free(x), free(a), free(dy), free(y1), free(y2), free(d1), free(d2);

  /* the fusion concat: E3 (64), D3 (64), pooled probability (1) at 16^3, batch 2 */
  int cs[3] = {64, 64, 1};
  size_t rows = 2 * 4096;
  float *xs[3], *g1[3], *g2[3];
  for (int i = 0; i < 3; i++) {
    xs[i] = nn_f32(rows * (size_t)cs[i]);
    g1[i] = nn_f32(rows * (size_t)cs[i]);
    g2[i] = nn_f32(rows * (size_t)cs[i]);
    nn_fill_f32(&rng, xs[i], rows * (size_t)cs[i], -1, 1);
  }
  float *cy1 = nn_f32(rows * 129), *cy2 = nn_f32(rows * 129), *cdy = nn_f32(rows * 129);
  nn_fill_f32(&rng, cdy, rows * 129, -1, 1);
  const float *cx[3] = {xs[0], xs[1], xs[2]};
  cpu->concat_forward(cy1, cx, cs, 3, rows);
  ref->concat_forward(cy2, cx, cs, 3, rows);
  expect_close("concat 64+64+1", "forward", cy1, cy2, rows * 129);
  cpu->concat_backward(g1, cdy, cs, 3, rows);
  ref->concat_backward(g2, cdy, cs, 3, rows);
  for (int i = 0; i < 3; i++) expect_close("concat 64+64+1", "backward", g1[i], g2[i], rows * (size_t)cs[i]);
  for (int i = 0; i < 3; i++) free(xs[i]), free(g1[i]), free(g2[i]);
  free(cy1), free(cy2), free(cdy);
}

static int setup(void **state) {
  (void)state;
  lt_error err;
  cpu = lt_backend_get("cpu", &err);
  ref = lt_backend_get("ref", &err);
  if (!cpu || !ref) {
    fprintf(stderr, "backend: %s\n", err.msg);
    return -1;
  }
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dnnl_reference_kernel_names_are_refused),
      cmocka_unit_test(conv_kernels_are_jit_or_brgemm_for_every_model_pass),
      cmocka_unit_test(conv_cpu_matches_ref_on_model_shapes_small),
      cmocka_unit_test(conv_cpu_matches_ref_full_size_forward),
      cmocka_unit_test(conv_cpu_matches_ref_full_size_backward),
      cmocka_unit_test(gn_relu_cpu_matches_ref),
      cmocka_unit_test(gn_plain_cpu_matches_ref),
      cmocka_unit_test(pooling_cpu_matches_ref),
      cmocka_unit_test(fc_cpu_matches_ref),
      cmocka_unit_test(elementwise_and_concat_cpu_match_ref),
  };
  return cmocka_run_group_tests_name("nn_cpu_matches_ref", tests, setup, NULL);
}
