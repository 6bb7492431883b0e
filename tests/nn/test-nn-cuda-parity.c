/* tests/nn/test-nn-cuda-parity.c — the cuda backend's layers against the cpu backend on a GPU:
 * normalised error ||cuda - cpu|| / ||cpu|| <= 1e-5 (FMA math, no TF32; for sums over many
 * terms, weight and bias gradients, a budget that grows with the sum's length: nn-parity.h) for
 * every layer's forward and backward (each convolution shape of the default model at full size
 * and at half size, the recipe's 32^3 input; batch 2 so that GroupNorm's per-sample statistics
 * are exercised), and the refusal of an allocation beyond the device's memory (marked as OOM
 * for the CPU retry). The model-level kernels and the whole model: tests/model/
 * test-model-cuda-parity.c. Exits 77 with the reason where the cuda backend is not built or no
 * GPU answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn-parity.h"
#include "nn-shapes.h"
#include "nn-test-util.h"
#include "nn/backend-select.h"
#ifdef LT_HAVE_CUDA
#include "nn/cuda/cuda-backend.h"
#endif

static void conv_parity(const nn_model_conv *m, uint64_t seed) {
  lt_error err;
  lt_conv_desc d = lt_conv_desc_make(m->kind, 2, m->c_in, m->c_out, m->size, m->size, m->size,
                                     m->k, m->stride);
  lt_conv *pc = NULL, *pg = NULL;
  if (nn_par.cpu->conv_create(&pc, &d, &err) || nn_par.cu->conv_create(&pg, &d, &err)) {
    printf("FAIL: %s: %s\n", m->name, err.msg);
    nn_par.failures++;
    return;
  }
  printf("  %s: %s / %s / %s\n", m->name, nn_par.cu->conv_impl(pg, LT_PASS_FORWARD),
         nn_par.cu->conv_impl(pg, LT_PASS_BACKWARD_DATA), nn_par.cu->conv_impl(pg, LT_PASS_BACKWARD_WEIGHTS));
  size_t nx = lt_shape_count(lt_conv_in_shape(&d)), ny = lt_shape_count(lt_conv_out_shape(&d));
  size_t nw = lt_conv_weight_count(&d), nb = (size_t)d.c_out;
  nn_rng rng = {seed};
  float *x = nn_f32(nx), *w = nn_f32(nw), *b = nn_f32(nb), *dy = nn_f32(ny);
  nn_fill_f32(&rng, x, nx, -1, 1);
  nn_fill_f32(&rng, w, nw, -0.2, 0.2);
  nn_fill_f32(&rng, b, nb, -0.5, 0.5);
  nn_fill_f32(&rng, dy, ny, -1, 1);
  float *y1 = nn_f32(ny), *dx1 = nn_f32(nx), *dw1 = nn_f32(nw), *db1 = nn_f32(nb);
  nn_par.cpu->conv_forward(pc, y1, x, w, b);
  nn_par.cpu->conv_backward_data(pc, dx1, dy, w);
  nn_par.cpu->conv_backward_weights(pc, dw1, db1, dy, x);
  float *gx = nn_up(nn_par.cu, x, nx), *gw = nn_up(nn_par.cu, w, nw), *gb = nn_up(nn_par.cu, b, nb), *gdy = nn_up(nn_par.cu, dy, ny);
  float *gy = nn_up(nn_par.cu, NULL, ny), *gdx = nn_up(nn_par.cu, NULL, nx), *gdw = nn_up(nn_par.cu, NULL, nw);
  float *gdb = nn_up(nn_par.cu, NULL, nb);
  nn_par.cu->conv_forward(pg, gy, gx, gw, gb);
  nn_par.cu->conv_backward_data(pg, gdx, gdy, gw);
  nn_par.cu->conv_backward_weights(pg, gdw, gdb, gdy, gx);
  float *y2 = nn_down(nn_par.cu, gy, ny), *dx2 = nn_down(nn_par.cu, gdx, nx), *dw2 = nn_down(nn_par.cu, gdw, nw);
  float *db2 = nn_down(nn_par.cu, gdb, nb);
  nn_expect_close(m->name, "forward", y2, y1, ny);
  nn_expect_close(m->name, "backward-data", dx2, dx1, nx);
  /* dw and db sum over the batch and the output volume */
  size_t n_sum = ny / (size_t)d.c_out;
  nn_expect(m->name, "backward-weights dw", nn_norm_err_f32(dw2, dw1, nw), nn_tol_sum(n_sum));
  nn_expect(m->name, "backward-weights db", nn_norm_err_f32(db2, db1, nb), nn_tol_sum(n_sum));
  float *bufs[] = {x, w, b, dy, y1, dx1, dw1, db1, y2, dx2, dw2, db2};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
  float *gbufs[] = {gx, gw, gb, gdy, gy, gdx, gdw, gdb};
  for (size_t i = 0; i < sizeof gbufs / sizeof gbufs[0]; i++) nn_par.cu->free(gbufs[i]);
  nn_par.cpu->conv_destroy(pc);
  nn_par.cu->conv_destroy(pg);
}

/* relu 0: GroupNorm alone (gn_forward / gn_backward, the ResNet's residual branches). */
static void gn_parity(int n, int spatial, int c, int g, uint64_t seed, int relu) {
  char name[64];
  snprintf(name, sizeof name, "%s n%d S%d C%d G%d", relu ? "gn+relu" : "gn", n, spatial, c, g);
  size_t N = (size_t)n * spatial * c;
  nn_rng rng = {seed};
  float *x = nn_f32(N), *dy = nn_f32(N), *gam = nn_f32((size_t)c), *bet = nn_f32((size_t)c);
  nn_fill_f32(&rng, x, N, -2, 3);
  for (int s = 1; s < n; s++) /* samples with different statistics */
    for (size_t i = 0; i < (size_t)spatial * c; i++) x[(size_t)s * spatial * c + i] *= 2.5f * s;
  nn_fill_f32(&rng, dy, N, -1, 1);
  nn_fill_f32(&rng, gam, (size_t)c, 0.5, 1.5);
  nn_fill_f32(&rng, bet, (size_t)c, -0.5, 0.5);
  size_t ng = (size_t)n * g;
  float *y1 = nn_f32(N), *m1 = nn_f32(ng), *r1 = nn_f32(ng), *dx1 = nn_f32(N);
  float *dg1 = nn_f32((size_t)c), *db1 = nn_f32((size_t)c);
  (relu ? nn_par.cpu->gn_relu_forward : nn_par.cpu->gn_forward)(y1, m1, r1, x, gam, bet, n, spatial, c, g);
  if (relu)
    nn_par.cpu->gn_relu_backward(dx1, dg1, db1, dy, y1, x, m1, r1, gam, n, spatial, c, g);
  else
    nn_par.cpu->gn_backward(dx1, dg1, db1, dy, x, m1, r1, gam, n, spatial, c, g);
  float *gx = nn_up(nn_par.cu, x, N), *gdy = nn_up(nn_par.cu, dy, N), *ggam = nn_up(nn_par.cu, gam, (size_t)c);
  float *gbet = nn_up(nn_par.cu, bet, (size_t)c), *gy = nn_up(nn_par.cu, NULL, N), *gm = nn_up(nn_par.cu, NULL, ng);
  float *gr = nn_up(nn_par.cu, NULL, ng), *gdx = nn_up(nn_par.cu, NULL, N), *gdg = nn_up(nn_par.cu, NULL, (size_t)c);
  float *gdb = nn_up(nn_par.cu, NULL, (size_t)c);
  (relu ? nn_par.cu->gn_relu_forward : nn_par.cu->gn_forward)(gy, gm, gr, gx, ggam, gbet, n, spatial, c, g);
  float *y2 = nn_down(nn_par.cu, gy, N), *m2 = nn_down(nn_par.cu, gm, ng), *r2 = nn_down(nn_par.cu, gr, ng);
  nn_expect_close(name, "forward y", y2, y1, N);
  nn_expect_close(name, "forward mean", m2, m1, ng);
  nn_expect_close(name, "forward rstd", r2, r1, ng);
  /* the backward from the cpu forward's saved state, so both see the same inputs */
  float *gy1 = nn_up(nn_par.cu, y1, N), *gm1 = nn_up(nn_par.cu, m1, ng), *gr1 = nn_up(nn_par.cu, r1, ng);
  if (relu)
    nn_par.cu->gn_relu_backward(gdx, gdg, gdb, gdy, gy1, gx, gm1, gr1, ggam, n, spatial, c, g);
  else
    nn_par.cu->gn_backward(gdx, gdg, gdb, gdy, gx, gm1, gr1, ggam, n, spatial, c, g);
  float *dx2 = nn_down(nn_par.cu, gdx, N), *dg2 = nn_down(nn_par.cu, gdg, (size_t)c), *db2 = nn_down(nn_par.cu, gdb, (size_t)c);
  nn_expect_close(name, "backward dx", dx2, dx1, N);
  nn_expect_close(name, "backward dgamma", dg2, dg1, (size_t)c);
  nn_expect_close(name, "backward dbeta", db2, db1, (size_t)c);
  float *h[] = {x, dy, gam, bet, y1, m1, r1, dx1, dg1, db1, y2, m2, r2, dx2, dg2, db2};
  for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) free(h[i]);
  float *d[] = {gx, gdy, ggam, gbet, gy, gm, gr, gdx, gdg, gdb, gy1, gm1, gr1};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) nn_par.cu->free(d[i]);
}

/* The other layers: pooling, FC, element-wise, concatenation; host pointers for the pooled
 * vectors as engine/model passes them. */
static void other_layers_parity(void) {
  nn_rng rng = {99};
  const int n = 2, S = 4096, C = 128;
  size_t NX = (size_t)n * S * C;
  float *x = nn_f32(NX), *dv = nn_f32((size_t)n * C), *gx = nn_up(nn_par.cu, NULL, NX);
  nn_fill_f32(&rng, x, NX, -1, 2);
  nn_fill_f32(&rng, dv, (size_t)n * C, -1, 1);
  nn_par.cu->copy(gx, x, NX * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  float *h1 = nn_f32((size_t)n * C), *h2 = nn_f32((size_t)n * C); /* host, as model.c's h */
  nn_par.cpu->global_avg_pool_forward(h1, x, n, S, C);
  nn_par.cu->global_avg_pool_forward(h2, gx, n, S, C);
  nn_expect_close("global avg pool", "forward (host y)", h2, h1, (size_t)n * C);
  float *dx1 = nn_f32(NX), *gdx = nn_up(nn_par.cu, NULL, NX);
  nn_par.cpu->global_avg_pool_backward(dx1, dv, n, S, C);
  nn_par.cu->global_avg_pool_backward(gdx, dv, n, S, C); /* host dy, as model.c's dh */
  float *dx2 = nn_down(nn_par.cu, gdx, NX);
  nn_expect_close("global avg pool", "backward (host dy)", dx2, dx1, NX);
  free(dx1), free(dx2), nn_par.cu->free(gdx);

  /* avg pool 64^3 -> 16^3, one channel, as the segmentation */
  const int P = 64, k = 4;
  size_t np = (size_t)n * P * P * P, nq = np / 64;
  float *px = nn_f32(np), *pdy = nn_f32(nq), *py1 = nn_f32(nq), *pdx1 = nn_f32(np);
  nn_fill_f32(&rng, px, np, 0, 1);
  nn_fill_f32(&rng, pdy, nq, -1, 1);
  nn_par.cpu->avg_pool_forward(py1, px, n, P, P, P, 1, k);
  nn_par.cpu->avg_pool_backward(pdx1, pdy, n, P, P, P, 1, k);
  float *gpx = nn_up(nn_par.cu, px, np), *gpdy = nn_up(nn_par.cu, pdy, nq), *gpy = nn_up(nn_par.cu, NULL, nq);
  float *gpdx = nn_up(nn_par.cu, NULL, np);
  nn_par.cu->avg_pool_forward(gpy, gpx, n, P, P, P, 1, k);
  nn_par.cu->avg_pool_backward(gpdx, gpdy, n, P, P, P, 1, k);
  float *py2 = nn_down(nn_par.cu, gpy, nq), *pdx2 = nn_down(nn_par.cu, gpdx, np);
  nn_expect_close("avg pool 4", "forward", py2, py1, nq);
  nn_expect_close("avg pool 4", "backward", pdx2, pdx1, np);

  /* FC 128 -> 256, batch 2 */
  const int in = 128, out = 256;
  size_t nw = (size_t)in * out;
  float *fx = nn_f32((size_t)n * in), *fw = nn_f32(nw), *fb = nn_f32((size_t)out);
  float *fdy = nn_f32((size_t)n * out);
  nn_fill_f32(&rng, fx, (size_t)n * in, -1, 1);
  nn_fill_f32(&rng, fw, nw, -0.1, 0.1);
  nn_fill_f32(&rng, fb, (size_t)out, -0.1, 0.1);
  nn_fill_f32(&rng, fdy, (size_t)n * out, -1, 1);
  float *fy1 = nn_f32((size_t)n * out), *fdx1 = nn_f32((size_t)n * in), *fdw1 = nn_f32(nw);
  float *fdb1 = nn_f32((size_t)out);
  nn_par.cpu->fc_forward(fy1, fx, fw, fb, n, in, out);
  nn_par.cpu->fc_backward(fdx1, fdw1, fdb1, fdy, fx, fw, n, in, out);
  float *gfx = nn_up(nn_par.cu, fx, (size_t)n * in), *gfw = nn_up(nn_par.cu, fw, nw), *gfb = nn_up(nn_par.cu, fb, (size_t)out);
  float *gfdy = nn_up(nn_par.cu, fdy, (size_t)n * out), *gfy = nn_up(nn_par.cu, NULL, (size_t)n * out);
  float *gfdx = nn_up(nn_par.cu, NULL, (size_t)n * in), *gfdw = nn_up(nn_par.cu, NULL, nw);
  float *gfdb = nn_up(nn_par.cu, NULL, (size_t)out);
  nn_par.cu->fc_forward(gfy, gfx, gfw, gfb, n, in, out);
  nn_par.cu->fc_backward(gfdx, gfdw, gfdb, gfdy, gfx, gfw, n, in, out);
  float *fy2 = nn_down(nn_par.cu, gfy, (size_t)n * out), *fdx2 = nn_down(nn_par.cu, gfdx, (size_t)n * in);
  float *fdw2 = nn_down(nn_par.cu, gfdw, nw), *fdb2 = nn_down(nn_par.cu, gfdb, (size_t)out);
  nn_expect_close("fc 128->256", "forward", fy2, fy1, (size_t)n * out);
  nn_expect_close("fc 128->256", "backward dx", fdx2, fdx1, (size_t)n * in);
  nn_expect_close("fc 128->256", "backward dw", fdw2, fdw1, nw);
  nn_expect_close("fc 128->256", "backward db", fdb2, fdb1, (size_t)out);

  /* element-wise on the big activation */
  float *e1 = nn_f32(NX), *e2, *ge = nn_up(nn_par.cu, NULL, NX), *gdv = nn_up(nn_par.cu, NULL, NX);
  float *dyb = nn_f32(NX);
  nn_fill_f32(&rng, dyb, NX, -1, 1);
  float *gdyb = nn_up(nn_par.cu, dyb, NX);
  nn_par.cpu->relu_forward(e1, x, NX);
  nn_par.cu->relu_forward(ge, gx, NX);
  e2 = nn_down(nn_par.cu, ge, NX);
  nn_expect_close("relu", "forward", e2, e1, NX);
  free(e2);
  float *b1 = nn_f32(NX);
  nn_par.cpu->relu_backward(b1, dyb, e1, NX);
  nn_par.cu->relu_backward(gdv, gdyb, ge, NX);
  e2 = nn_down(nn_par.cu, gdv, NX);
  nn_expect_close("relu", "backward", e2, b1, NX);
  free(e2);
  nn_par.cpu->sigmoid_forward(e1, x, NX);
  nn_par.cu->sigmoid_forward(ge, gx, NX);
  e2 = nn_down(nn_par.cu, ge, NX);
  nn_expect_close("sigmoid", "forward", e2, e1, NX);
  free(e2);
  nn_par.cpu->sigmoid_backward(b1, dyb, e1, NX);
  nn_par.cu->copy(ge, e1, NX * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  nn_par.cu->sigmoid_backward(gdv, gdyb, ge, NX);
  e2 = nn_down(nn_par.cu, gdv, NX);
  nn_expect_close("sigmoid", "backward", e2, b1, NX);
  free(e2);
  nn_par.cpu->add(b1, x, dyb, NX);
  nn_par.cu->add(gdv, gx, gdyb, NX);
  e2 = nn_down(nn_par.cu, gdv, NX);
  nn_expect_close("add", "forward", e2, b1, NX);
  free(e2);

  /* concat (64, 64, 1) channels over 2 x 16^3 rows, as the fusion input */
  const int cs[3] = {64, 64, 1};
  size_t rows = (size_t)n * 4096, tot = rows * 129;
  float *c0 = nn_f32(rows * 64), *c1 = nn_f32(rows * 64), *c2 = nn_f32(rows);
  nn_fill_f32(&rng, c0, rows * 64, -1, 1);
  nn_fill_f32(&rng, c1, rows * 64, -1, 1);
  nn_fill_f32(&rng, c2, rows, -1, 1);
  float *cy1 = nn_f32(tot);
  const float *xs[3] = {c0, c1, c2};
  nn_par.cpu->concat_forward(cy1, xs, cs, 3, rows);
  float *g0 = nn_up(nn_par.cu, c0, rows * 64), *g1 = nn_up(nn_par.cu, c1, rows * 64), *g2 = nn_up(nn_par.cu, c2, rows);
  float *gcy = nn_up(nn_par.cu, NULL, tot);
  const float *gxs[3] = {g0, g1, g2};
  nn_par.cu->concat_forward(gcy, gxs, cs, 3, rows);
  float *cy2 = nn_down(nn_par.cu, gcy, tot);
  nn_expect_close("concat 64+64+1", "forward", cy2, cy1, tot);
  float *d1 = nn_f32(rows * 64);
  float *dxs[3] = {NULL, d1, NULL};
  nn_par.cpu->concat_backward(dxs, cy1, cs, 3, rows);
  float *gd1 = nn_up(nn_par.cu, NULL, rows * 64);
  float *gdxs[3] = {NULL, gd1, NULL};
  nn_par.cu->concat_backward(gdxs, gcy, cs, 3, rows);
  float *d2 = nn_down(nn_par.cu, gd1, rows * 64);
  nn_expect_close("concat 64+64+1", "backward (middle)", d2, d1, rows * 64);
}

static void oom_is_detected(void) {
#ifdef LT_HAVE_CUDA
  lt_cuda_take_oom();
  void *p = nn_par.cu->alloc((size_t)1 << 42); /* 4 TiB */
  nn_par.checks++;
  if (p || lt_cuda_take_oom() != 1) {
    printf("FAIL: a 4 TiB allocation must be refused and marked as out of GPU memory\n");
    nn_par.failures++;
  } else {
    printf("  4 TiB allocation refused, marked OOM\n");
  }
  /* the refusal is also the sticky error that a job asks for before trusting its numbers, once */
  lt_error err = {{0}};
  nn_par.checks++;
  if (lt_engine_take_error(&err) != -1 || !strstr(err.msg, "out of GPU memory") ||
      lt_engine_take_error(&err) != 0) {
    printf("FAIL: lt_engine_take_error must report the refused allocation once\n");
    nn_par.failures++;
  } else {
    printf("  lt_engine_take_error: %s\n", err.msg);
  }
#endif
}

int main(void) {
  int skip = nn_parity_start();
  if (skip) return skip;
  printf("convolutions of the default model, batch 2, full size:\n");
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++)
    if (!nn_model_convs[i].repeat) conv_parity(&nn_model_convs[i], 100 + (uint64_t)i);
  printf("the same convolutions at the shipped recipe's 32^3 input (half the size):\n");
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    if (nn_model_convs[i].repeat) continue;
    nn_model_conv half = nn_model_convs[i];
    char name[64];
    snprintf(name, sizeof name, "%.40s, half size", half.name);
    half.name = name;
    half.size /= 2;
    conv_parity(&half, 200 + (uint64_t)i);
  }
  printf("GroupNorm + ReLU (per-sample statistics):\n");
  gn_parity(2, 64 * 64 * 64, 16, 8, 1, 1);
  gn_parity(2, 16 * 16 * 16, 64, 8, 2, 1);
  gn_parity(3, 8 * 8 * 8, 128, 8, 3, 1);
  gn_parity(2, 4 * 4 * 4, 128, 8, 6, 1);
  gn_parity(2, 64 * 64 * 64, 16, 8, 4, 0);
  gn_parity(2, 16 * 16 * 16, 128, 8, 5, 0);
  printf("other layers:\n");
  other_layers_parity();
  oom_is_detected();
  return nn_parity_finish();
}
