/* tests/nn/test-nn-cuda-parity.c — the cuda backend against the cpu backend on a GPU:
 * normalised error ||cuda - cpu|| / ||cpu|| <= 1e-5 (FMA math, no TF32; for sums over many
 * terms, weight and bias gradients, a budget that grows with the sum's length) for every layer's
 * forward and backward (each convolution shape of the default model at full size and at half
 * size, the recipe's 32^3 input; batch 2 so that GroupNorm's per-sample statistics are
 * exercised), the whole model's forward (probability, attributes, segmentation, fusion map),
 * Grad-CAM, every parameter's gradient of the joint loss with the debug term on (as the preset,
 * 64^3, and as the shipped recipe, 32^3 with mask pooling; a kink budget upstream of a ReLU
 * whose output sign differs between the backends), the model-level kernels against their CPU
 * twins (Grad-CAM sum, mask fraction, debug loss, the debug term into f and g, Dice, Adam), and
 * the refusal of an allocation beyond the device's memory (marked as OOM for the CPU retry).
 * Exits 77 with the reason where the cuda backend is not built or no GPU answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/adam.h"
#include "model/gradcam.h"
#include "model/loss.h"
#include "model/model.h"
#include "nn-shapes.h"
#include "nn-test-util.h"
#include "nn/cuda/engine-select.h"
#ifdef LT_HAVE_CUDA
#include "nn/cuda/cuda-backend.h"
#endif

#define TOL 1e-5

/* The two backends add the terms of a float32 sum in different orders, and the rounding error of
 * an n-term sum grows like sqrt(n) u (u = 2^-24). Weight and bias gradients sum over batch x
 * volume, up to 2 x 64^3 = 2^19 terms, where 1e-5 is below that noise (an H200 gave 1.2e-5 for
 * the bias of the 1-channel output conv at 64^3, 2.6e-5 for a decoder bias in the whole model;
 * a 2^10-term sum stays near 1e-6). Their budget is 1e-5 or 2 sqrt(n) u, whichever is larger:
 * 8.6e-5 at 2^19. */
static double tol_sum(size_t n) {
  double t = 2.0 * sqrt((double)n) * 0x1p-24;
  return t > TOL ? t : TOL;
}

static const lt_backend *cu, *cpu;
static int failures = 0, checks = 0;

static void expect(const char *what, const char *pass, double e, double tol) {
  checks++;
  int ok = e <= tol;
  printf("  %-28s %-22s normalised error %.2e%s\n", what, pass, e, ok ? "" : "  FAIL");
  if (!ok) failures++;
}

static void expect_close(const char *what, const char *pass, const float *a, const float *b,
                         size_t n) {
  expect(what, pass, nn_norm_err_f32(a, b, n), TOL);
}

/* Backend buffer holding a copy of host h (n floats). */
static float *up(const lt_backend *be, const float *h, size_t n) {
  float *d = be->alloc(n * sizeof(float));
  if (!d) {
    printf("FAIL: %s alloc of %zu floats\n", be->name, n);
    exit(1);
  }
  if (h) be->copy(d, h, n * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  return d;
}

static float *down(const lt_backend *be, const float *d, size_t n) {
  float *h = nn_f32(n);
  be->copy(h, d, n * sizeof(float), LT_COPY_DEVICE_TO_HOST);
  return h;
}

static void conv_parity(const nn_model_conv *m, uint64_t seed) {
  lt_error err;
  lt_conv_desc d = lt_conv_desc_make(m->kind, 2, m->c_in, m->c_out, m->size, m->size, m->size,
                                     m->k, m->stride);
  lt_conv *pc = NULL, *pg = NULL;
  if (cpu->conv_create(&pc, &d, &err) || cu->conv_create(&pg, &d, &err)) {
    printf("FAIL: %s: %s\n", m->name, err.msg);
    failures++;
    return;
  }
  printf("  %s: %s / %s / %s\n", m->name, cu->conv_impl(pg, LT_PASS_FORWARD),
         cu->conv_impl(pg, LT_PASS_BACKWARD_DATA), cu->conv_impl(pg, LT_PASS_BACKWARD_WEIGHTS));
  size_t nx = lt_shape_count(lt_conv_in_shape(&d)), ny = lt_shape_count(lt_conv_out_shape(&d));
  size_t nw = lt_conv_weight_count(&d), nb = (size_t)d.c_out;
  nn_rng rng = {seed};
  float *x = nn_f32(nx), *w = nn_f32(nw), *b = nn_f32(nb), *dy = nn_f32(ny);
  nn_fill_f32(&rng, x, nx, -1, 1);
  nn_fill_f32(&rng, w, nw, -0.2, 0.2);
  nn_fill_f32(&rng, b, nb, -0.5, 0.5);
  nn_fill_f32(&rng, dy, ny, -1, 1);
  float *y1 = nn_f32(ny), *dx1 = nn_f32(nx), *dw1 = nn_f32(nw), *db1 = nn_f32(nb);
  cpu->conv_forward(pc, y1, x, w, b);
  cpu->conv_backward_data(pc, dx1, dy, w);
  cpu->conv_backward_weights(pc, dw1, db1, dy, x);
  float *gx = up(cu, x, nx), *gw = up(cu, w, nw), *gb = up(cu, b, nb), *gdy = up(cu, dy, ny);
  float *gy = up(cu, NULL, ny), *gdx = up(cu, NULL, nx), *gdw = up(cu, NULL, nw);
  float *gdb = up(cu, NULL, nb);
  cu->conv_forward(pg, gy, gx, gw, gb);
  cu->conv_backward_data(pg, gdx, gdy, gw);
  cu->conv_backward_weights(pg, gdw, gdb, gdy, gx);
  float *y2 = down(cu, gy, ny), *dx2 = down(cu, gdx, nx), *dw2 = down(cu, gdw, nw);
  float *db2 = down(cu, gdb, nb);
  expect_close(m->name, "forward", y2, y1, ny);
  expect_close(m->name, "backward-data", dx2, dx1, nx);
  /* dw and db sum over the batch and the output volume */
  size_t n_sum = ny / (size_t)d.c_out;
  expect(m->name, "backward-weights dw", nn_norm_err_f32(dw2, dw1, nw), tol_sum(n_sum));
  expect(m->name, "backward-weights db", nn_norm_err_f32(db2, db1, nb), tol_sum(n_sum));
  float *bufs[] = {x, w, b, dy, y1, dx1, dw1, db1, y2, dx2, dw2, db2};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
  float *gbufs[] = {gx, gw, gb, gdy, gy, gdx, gdw, gdb};
  for (size_t i = 0; i < sizeof gbufs / sizeof gbufs[0]; i++) cu->free(gbufs[i]);
  cpu->conv_destroy(pc);
  cu->conv_destroy(pg);
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
  (relu ? cpu->gn_relu_forward : cpu->gn_forward)(y1, m1, r1, x, gam, bet, n, spatial, c, g);
  if (relu)
    cpu->gn_relu_backward(dx1, dg1, db1, dy, y1, x, m1, r1, gam, n, spatial, c, g);
  else
    cpu->gn_backward(dx1, dg1, db1, dy, x, m1, r1, gam, n, spatial, c, g);
  float *gx = up(cu, x, N), *gdy = up(cu, dy, N), *ggam = up(cu, gam, (size_t)c);
  float *gbet = up(cu, bet, (size_t)c), *gy = up(cu, NULL, N), *gm = up(cu, NULL, ng);
  float *gr = up(cu, NULL, ng), *gdx = up(cu, NULL, N), *gdg = up(cu, NULL, (size_t)c);
  float *gdb = up(cu, NULL, (size_t)c);
  (relu ? cu->gn_relu_forward : cu->gn_forward)(gy, gm, gr, gx, ggam, gbet, n, spatial, c, g);
  float *y2 = down(cu, gy, N), *m2 = down(cu, gm, ng), *r2 = down(cu, gr, ng);
  expect_close(name, "forward y", y2, y1, N);
  expect_close(name, "forward mean", m2, m1, ng);
  expect_close(name, "forward rstd", r2, r1, ng);
  /* the backward from the cpu forward's saved state, so both see the same inputs */
  float *gy1 = up(cu, y1, N), *gm1 = up(cu, m1, ng), *gr1 = up(cu, r1, ng);
  if (relu)
    cu->gn_relu_backward(gdx, gdg, gdb, gdy, gy1, gx, gm1, gr1, ggam, n, spatial, c, g);
  else
    cu->gn_backward(gdx, gdg, gdb, gdy, gx, gm1, gr1, ggam, n, spatial, c, g);
  float *dx2 = down(cu, gdx, N), *dg2 = down(cu, gdg, (size_t)c), *db2 = down(cu, gdb, (size_t)c);
  expect_close(name, "backward dx", dx2, dx1, N);
  expect_close(name, "backward dgamma", dg2, dg1, (size_t)c);
  expect_close(name, "backward dbeta", db2, db1, (size_t)c);
  float *h[] = {x, dy, gam, bet, y1, m1, r1, dx1, dg1, db1, y2, m2, r2, dx2, dg2, db2};
  for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) free(h[i]);
  float *d[] = {gx, gdy, ggam, gbet, gy, gm, gr, gdx, gdg, gdb, gy1, gm1, gr1};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) cu->free(d[i]);
}

/* The other layers: pooling, FC, element-wise, concatenation; host pointers for the pooled
 * vectors as engine/model passes them. */
static void other_layers_parity(void) {
  nn_rng rng = {99};
  const int n = 2, S = 4096, C = 128;
  size_t NX = (size_t)n * S * C;
  float *x = nn_f32(NX), *dv = nn_f32((size_t)n * C), *gx = up(cu, NULL, NX);
  nn_fill_f32(&rng, x, NX, -1, 2);
  nn_fill_f32(&rng, dv, (size_t)n * C, -1, 1);
  cu->copy(gx, x, NX * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  float *h1 = nn_f32((size_t)n * C), *h2 = nn_f32((size_t)n * C); /* host, as model.c's h */
  cpu->global_avg_pool_forward(h1, x, n, S, C);
  cu->global_avg_pool_forward(h2, gx, n, S, C);
  expect_close("global avg pool", "forward (host y)", h2, h1, (size_t)n * C);
  float *dx1 = nn_f32(NX), *gdx = up(cu, NULL, NX);
  cpu->global_avg_pool_backward(dx1, dv, n, S, C);
  cu->global_avg_pool_backward(gdx, dv, n, S, C); /* host dy, as model.c's dh */
  float *dx2 = down(cu, gdx, NX);
  expect_close("global avg pool", "backward (host dy)", dx2, dx1, NX);
  free(dx1), free(dx2), cu->free(gdx);

  /* avg pool 64^3 -> 16^3, one channel, as the segmentation */
  const int P = 64, k = 4;
  size_t np = (size_t)n * P * P * P, nq = np / 64;
  float *px = nn_f32(np), *pdy = nn_f32(nq), *py1 = nn_f32(nq), *pdx1 = nn_f32(np);
  nn_fill_f32(&rng, px, np, 0, 1);
  nn_fill_f32(&rng, pdy, nq, -1, 1);
  cpu->avg_pool_forward(py1, px, n, P, P, P, 1, k);
  cpu->avg_pool_backward(pdx1, pdy, n, P, P, P, 1, k);
  float *gpx = up(cu, px, np), *gpdy = up(cu, pdy, nq), *gpy = up(cu, NULL, nq);
  float *gpdx = up(cu, NULL, np);
  cu->avg_pool_forward(gpy, gpx, n, P, P, P, 1, k);
  cu->avg_pool_backward(gpdx, gpdy, n, P, P, P, 1, k);
  float *py2 = down(cu, gpy, nq), *pdx2 = down(cu, gpdx, np);
  expect_close("avg pool 4", "forward", py2, py1, nq);
  expect_close("avg pool 4", "backward", pdx2, pdx1, np);

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
  cpu->fc_forward(fy1, fx, fw, fb, n, in, out);
  cpu->fc_backward(fdx1, fdw1, fdb1, fdy, fx, fw, n, in, out);
  float *gfx = up(cu, fx, (size_t)n * in), *gfw = up(cu, fw, nw), *gfb = up(cu, fb, (size_t)out);
  float *gfdy = up(cu, fdy, (size_t)n * out), *gfy = up(cu, NULL, (size_t)n * out);
  float *gfdx = up(cu, NULL, (size_t)n * in), *gfdw = up(cu, NULL, nw);
  float *gfdb = up(cu, NULL, (size_t)out);
  cu->fc_forward(gfy, gfx, gfw, gfb, n, in, out);
  cu->fc_backward(gfdx, gfdw, gfdb, gfdy, gfx, gfw, n, in, out);
  float *fy2 = down(cu, gfy, (size_t)n * out), *fdx2 = down(cu, gfdx, (size_t)n * in);
  float *fdw2 = down(cu, gfdw, nw), *fdb2 = down(cu, gfdb, (size_t)out);
  expect_close("fc 128->256", "forward", fy2, fy1, (size_t)n * out);
  expect_close("fc 128->256", "backward dx", fdx2, fdx1, (size_t)n * in);
  expect_close("fc 128->256", "backward dw", fdw2, fdw1, nw);
  expect_close("fc 128->256", "backward db", fdb2, fdb1, (size_t)out);

  /* element-wise on the big activation */
  float *e1 = nn_f32(NX), *e2, *ge = up(cu, NULL, NX), *gdv = up(cu, NULL, NX);
  float *dyb = nn_f32(NX);
  nn_fill_f32(&rng, dyb, NX, -1, 1);
  float *gdyb = up(cu, dyb, NX);
  cpu->relu_forward(e1, x, NX);
  cu->relu_forward(ge, gx, NX);
  e2 = down(cu, ge, NX);
  expect_close("relu", "forward", e2, e1, NX);
  free(e2);
  float *b1 = nn_f32(NX);
  cpu->relu_backward(b1, dyb, e1, NX);
  cu->relu_backward(gdv, gdyb, ge, NX);
  e2 = down(cu, gdv, NX);
  expect_close("relu", "backward", e2, b1, NX);
  free(e2);
  cpu->sigmoid_forward(e1, x, NX);
  cu->sigmoid_forward(ge, gx, NX);
  e2 = down(cu, ge, NX);
  expect_close("sigmoid", "forward", e2, e1, NX);
  free(e2);
  cpu->sigmoid_backward(b1, dyb, e1, NX);
  cu->copy(ge, e1, NX * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  cu->sigmoid_backward(gdv, gdyb, ge, NX);
  e2 = down(cu, gdv, NX);
  expect_close("sigmoid", "backward", e2, b1, NX);
  free(e2);
  cpu->add(b1, x, dyb, NX);
  cu->add(gdv, gx, gdyb, NX);
  e2 = down(cu, gdv, NX);
  expect_close("add", "forward", e2, b1, NX);
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
  cpu->concat_forward(cy1, xs, cs, 3, rows);
  float *g0 = up(cu, c0, rows * 64), *g1 = up(cu, c1, rows * 64), *g2 = up(cu, c2, rows);
  float *gcy = up(cu, NULL, tot);
  const float *gxs[3] = {g0, g1, g2};
  cu->concat_forward(gcy, gxs, cs, 3, rows);
  float *cy2 = down(cu, gcy, tot);
  expect_close("concat 64+64+1", "forward", cy2, cy1, tot);
  float *d1 = nn_f32(rows * 64);
  float *dxs[3] = {NULL, d1, NULL};
  cpu->concat_backward(dxs, cy1, cs, 3, rows);
  float *gd1 = up(cu, NULL, rows * 64);
  float *gdxs[3] = {NULL, gd1, NULL};
  cu->concat_backward(gdxs, gcy, cs, 3, rows);
  float *d2 = down(cu, gd1, rows * 64);
  expect_close("concat 64+64+1", "backward (middle)", d2, d1, rows * 64);
}

/* The model-level kernels against their CPU twins. */
static void model_kernels_parity(void) {
#ifdef LT_HAVE_CUDA
  nn_rng rng = {7};
  const int N = 4096, K = 128;
  size_t NK = (size_t)N * K;
  float *f = nn_f32(NK), *g = nn_f32((size_t)K), *du = nn_f32((size_t)N), *fg = nn_f32(NK);
  nn_fill_f32(&rng, f, NK, 0, 2);
  nn_fill_f32(&rng, g, (size_t)K, -1, 1);
  nn_fill_f32(&rng, du, (size_t)N, -1e-3, 1e-3);
  nn_fill_f32(&rng, fg, NK, -1e-3, 1e-3);
  float *u1 = nn_f32((size_t)N);
  lt_cam_weighted_sum(u1, f, g, N, K);
  float *gf = up(cu, f, NK), *gg = up(cu, g, (size_t)K), *gu = up(cu, NULL, (size_t)N);
  lt_cuda_cam_weighted_sum(gu, gf, gg, N, K);
  float *u2 = down(cu, gu, (size_t)N);
  expect_close("Grad-CAM sum u = f g", "kernel vs twin", u2, u1, (size_t)N);
  /* the debug term into f and g (the loops of lt_model_backward) */
  float *fg1 = nn_f32(NK), *dg1 = nn_f32((size_t)K);
  memcpy(fg1, fg, NK * sizeof(float));
  for (int k = 0; k < K; k++) {
    double acc = 0;
    for (int q = 0; q < N; q++) acc += (double)du[q] * f[(size_t)q * K + k];
    dg1[k] = (float)acc;
  }
  for (int q = 0; q < N; q++)
    for (int k = 0; k < K; k++) fg1[(size_t)q * K + k] += du[q] * g[k];
  float *gfg = up(cu, fg, NK), *gdu = up(cu, du, (size_t)N), *gdg = up(cu, NULL, (size_t)K);
  lt_cuda_debug_into_f(gfg, gdg, gdu, gg, gf, N, K);
  float *fg2 = down(cu, gfg, NK), *dg2 = down(cu, gdg, (size_t)K);
  expect_close("debug term into f", "kernel vs twin", fg2, fg1, NK);
  expect_close("debug term into g", "kernel vs twin", dg2, dg1, (size_t)K);
  /* the debug loss on u against the mask fraction of a sphere, both signs */
  size_t S3 = 64 * 64 * 64;
  float *sph = nn_f32(S3), *p1 = nn_f32((size_t)N);
  for (int z = 0; z < 64; z++)
    for (int yy = 0; yy < 64; yy++)
      for (int xx = 0; xx < 64; xx++) {
        int d2 = (z - 30) * (z - 30) + (yy - 33) * (yy - 33) + (xx - 31) * (xx - 31);
        sph[((size_t)z * 64 + yy) * 64 + xx] = d2 <= 100 ? 1.0f : 0.0f;
      }
  lt_mask_fraction(p1, sph, 64, 4);
  float *gsph = up(cu, sph, S3), *gp = up(cu, NULL, (size_t)N);
  lt_cuda_mask_fraction(gp, gsph, 64, 4);
  float *p2 = down(cu, gp, (size_t)N);
  expect_close("mask fraction 64 -> 16", "kernel vs twin", p2, p1, (size_t)N);
  float *gu1 = up(cu, u1, (size_t)N); /* the same u on both sides: the same argmin and argmax */
  for (int sgn = -1; sgn <= 1; sgn += 2) {
    float *du1 = nn_f32((size_t)N), *cam1 = nn_f32((size_t)N);
    lt_debug_result r1;
    lt_loss_debug(&r1, du1, cam1, u1, (float)sgn, p1, N, 0.5, 0.4);
    float *gdu2 = up(cu, NULL, (size_t)N), *gcam = up(cu, NULL, (size_t)N);
    lt_cuda_debug_out r2;
    lt_cuda_debug_loss(&r2, gdu2, gcam, gu1, (float)sgn, gp, N, 0.5, 0.4);
    float *du2 = down(cu, gdu2, (size_t)N), *cam2 = down(cu, gcam, (size_t)N);
    const char *name = sgn > 0 ? "debug loss, s = +1" : "debug loss, s = -1";
    checks++;
    if (r2.status != (int)r1.status || r1.status != LT_DEBUG_APPLIED) {
      printf("  %s: status cpu %d cuda %d  FAIL\n", name, (int)r1.status, r2.status);
      failures++;
    }
    expect(name, "loss", fabs(r2.loss - r1.loss) / fabs(r1.loss), TOL);
    expect_close(name, "CAM", cam2, cam1, (size_t)N);
    expect_close(name, "dL/du", du2, du1, (size_t)N);
    free(du1), free(cam1), free(du2), free(cam2);
    cu->free(gdu2), cu->free(gcam);
  }
  /* Dice on a 64^3 segmentation */
  float *y = nn_f32(S3), *m = nn_f32(S3), *dy1 = nn_f32(S3);
  nn_fill_f32(&rng, y, S3, 0, 1);
  for (size_t i = 0; i < S3; i++) m[i] = nn_uniform(&rng) < 0.1 ? 1.0f : 0.0f;
  double l1 = lt_loss_dice(y, m, S3, 1.0, dy1);
  float *gy = up(cu, y, S3), *gm = up(cu, m, S3), *gdy = up(cu, NULL, S3);
  double l2 = lt_cuda_dice(gy, gm, S3, 1.0, gdy);
  float *dy2 = down(cu, gdy, S3);
  expect("dice", "loss", fabs(l2 - l1) / fabs(l1), TOL);
  expect_close("dice", "gradient", dy2, dy1, S3);
  /* three Adam steps */
  size_t n = 100000;
  float *q1 = nn_f32(n), *gr = nn_f32(n);
  nn_fill_f32(&rng, q1, n, -1, 1);
  lt_adam a;
  lt_error err;
  if (lt_adam_init(&a, n, 1e-3, &err)) exit(1);
  float *gq = up(cu, q1, n), *gmv = up(cu, NULL, 2 * n), *ggr = up(cu, NULL, n);
  cu->zero(gmv, 2 * n * sizeof(float));
  for (int s = 1; s <= 3; s++) {
    nn_fill_f32(&rng, gr, n, -1, 1);
    lt_adam_step(&a, q1, gr);
    cu->copy(ggr, gr, n * sizeof(float), LT_COPY_HOST_TO_DEVICE);
    lt_cuda_adam_step(gq, gmv, gmv + n, ggr, n, 1e-3, 0.9, 0.999, 1e-8, s);
  }
  float *q2 = down(cu, gq, n);
  expect_close("adam, 3 steps", "parameters", q2, q1, n);
  lt_adam_free(&a);
#endif
}

static void sphere(float *m, int S, double cz, double cy, double cx, double r) {
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        double d = (z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx);
        m[((size_t)z * S + y) * S + x] = d <= r * r ? 1.0f : 0.0f;
      }
}

/* A pre-activation within rounding of 0 passes the ReLU on one backend and not on the other:
 * the two backward passes then differ by that voxel's whole gradient, and so does every
 * gradient upstream of it. One such voxel of 65,536 in the last 8^3 encoder layer, at a cell
 * where the debug term and mask pooling concentrate the gradient, moved the first layer's weight
 * gradient by 8.5e-3 on an H200 while every gradient downstream of it agreed to 3e-6. So the
 * test finds the flips (the signs of every ReLU output) and holds the gradients upstream of the
 * last one (the parameters before its end in the table) to TOL_KINKED only: enough to catch a
 * lost or doubled contribution (an error of order 1), not rounding. */
#define TOL_KINKED 5e-2

/* The end in the parameter table of the last ReLU layer whose output signs differ between the
 * two models (0: none), after printing how many flipped where. */
static size_t relu_flips(const lt_model *mc, const lt_model *mg) {
  size_t end = 0, count, count_g, pe, pe_g;
  const float *vc, *vg;
  for (int j = 0; (vc = lt_model_relu_output(mc, j, &count, &pe)); j++) {
    vg = lt_model_relu_output(mg, j, &count_g, &pe_g);
    if (!vg || count_g != count) {
      printf("FAIL: ReLU layer %d differs between the models\n", j);
      failures++;
      return (size_t)-1;
    }
    float *h = down(cu, vg, count);
    size_t flips = 0;
    for (size_t q = 0; q < count; q++) flips += (h[q] > 0.0f) != (vc[q] > 0.0f);
    free(h);
    if (flips) {
      printf("  ReLU layer %d: %zu of %zu outputs flipped (a pre-activation at 0)\n", j, flips,
             count);
      end = pe;
    }
  }
  return end;
}

/* The default model, batch 2, both backends from the same parameters and input; side and
 * mask_pool as the shipped recipe trains it (32, on) or as the preset (64, off). Mask pooling
 * runs on the host beside the heads over the segmentation in managed memory, so this is what
 * checks that the GPU's segmentation reaches it intact. */
static void model_parity(int side, bool mask_pool) {
  enum { B = 2 };
  lt_error err;
  lt_model_config cfg;
  lt_model_config_default(&cfg);
  cfg.debug_on = LT_DEBUG_ON_ALL;
  cfg.input_size = side;
  cfg.mask_pool = mask_pool;
  lt_model *mc = NULL, *mg = NULL;
  if (lt_model_create(&mc, &cfg, cpu, B, true, &err) ||
      lt_model_create(&mg, &cfg, cu, B, true, &err)) {
    printf("FAIL: model: %s\n", err.msg);
    failures++;
    return;
  }
  const lt_param_table *t = lt_model_table(mc);
  float *P = nn_f32(t->total);
  memset(P, 0, t->total * sizeof(float));
  lt_param_init(t, P, 77);
  lt_rng r;
  lt_rng_seed(&r, 5);
  for (int i = 0; i < t->n; i++)
    if (t->v[i].kind == LT_PK_GN_BETA || t->v[i].kind == LT_PK_BIAS)
      for (size_t k = 0; k < t->v[i].count; k++)
        P[t->v[i].offset + k] += (float)(0.1 * lt_rng_normal(&r));
  /* as tests/model/test-fd.c: a segmentation far from the 0.5 threshold (so both backends
   * derive the same debug mask) and x_c near 0.9 (so the debug term weighs in) */
  P[t->v[lt_param_find(t, "seg.bias")].offset] = -3.0f;
  P[t->v[lt_param_find(t, "cls2.bias")].offset] = 2.0f;
  cpu->copy(lt_model_params(mc), P, t->total * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  cu->copy(lt_model_params(mg), P, t->total * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  const int S = cfg.input_size;
  size_t S3 = (size_t)S * S * S;
  float *x = nn_f32(B * S3 * 2), *mask = nn_f32(B * S3), *nod = nn_f32(B * S3);
  for (size_t i = 0; i < B * S3 * 2; i++) x[i] = (float)lt_rng_uniform(&r);
  lt_sample_labels L[B];
  memset(L, 0, sizeof L);
  for (int i = 0; i < B; i++) {
    sphere(nod + i * S3, S, S / 2.0, S / 2.0 + i, S / 2.0, S / 5.0);
    memcpy(mask + i * S3, nod + i * S3, S3 * sizeof(float));
    L[i].sure = i == 0;
    L[i].has_label = i == 0;
    L[i].label = 1;
    if (i == 1) {
      L[i].mask = mask + i * S3;
      L[i].has_ratings = true;
      for (int k = 0; k < 6; k++) L[i].ratings[k] = (float)(1 + 4 * lt_rng_uniform(&r));
    }
    L[i].nodule_mask = nod + i * S3;
  }
  lt_model_forward(mc, x, B);
  lt_model_forward(mg, x, B);
  int na = lt_model_config_n_attr(&cfg), N = lt_model_cam_cells(mc);
  int K = lt_model_config_fusion_channels(&cfg);
  for (int i = 0; i < B; i++) {
    char name[32];
    snprintf(name, sizeof name, "model sample %d", i);
    float pc = lt_model_prob(mc, i), pg = lt_model_prob(mg, i);
    printf("  %s: x_c cpu %.7f cuda %.7f\n", name, pc, pg);
    expect(name, "probability x_c", fabs((double)pg - pc) / fabs((double)pc), TOL);
    expect_close(name, "attributes", lt_model_attrs(mg, i), lt_model_attrs(mc, i), (size_t)na);
    expect_close(name, "segmentation", lt_model_seg(mg, i), lt_model_seg(mc, i), S3);
    expect_close(name, "fusion map f", lt_model_fusion(mg, i), lt_model_fusion(mc, i),
                 (size_t)N * K);
    float *cam1 = nn_f32((size_t)N), *cam2 = nn_f32((size_t)N);
    int r1 = lt_model_cam(mc, i, cam1), r2 = lt_model_cam(mg, i, cam2);
    if (r1 != r2) failures++;
    expect_close(name, "Grad-CAM", cam2, cam1, (size_t)N);
    free(cam1), free(cam2);
  }
  lt_loss_terms tc, tg;
  if (lt_model_backward(mc, L, &tc, &err) || lt_model_backward(mg, L, &tg, &err)) {
    printf("FAIL: backward: %s\n", err.msg);
    failures++;
    return;
  }
  printf("  loss cpu %.8f (debug applied %d) cuda %.8f (debug applied %d)\n", tc.total,
         tc.n_debug_applied, tg.total, tg.n_debug_applied);
  if (tc.n_debug_applied != B || tg.n_debug_applied != B) {
    printf("FAIL: the debug term must be on for both samples\n");
    failures++;
  }
  expect("joint loss", "total", fabs(tg.total - tc.total) / fabs(tc.total), TOL);
  const size_t kinked = relu_flips(mc, mg);
  const float *Gc = lt_model_grads(mc), *Gg = lt_model_grads(mg);
  /* each parameter's gradient is a sum over the batch and its layer's volume, at most 64^3 */
  const double tol_grad = tol_sum((size_t)B * 64 * 64 * 64);
  double worst = 0, worst_kinked = 0;
  const char *worst_name = "";
  for (int i = 0; i < t->n; i++) {
    double e = nn_norm_err_f32(Gg + t->v[i].offset, Gc + t->v[i].offset, t->v[i].count);
    const int below = t->v[i].offset < kinked; /* upstream of a flipped ReLU */
    checks++;
    if (!(e <= (below ? TOL_KINKED : tol_grad))) {
      printf("  gradient %-26s normalised error %.2e  FAIL\n", t->v[i].name, e);
      failures++;
    }
    if (below && e > worst_kinked) worst_kinked = e;
    if (!below && e > worst) worst = e, worst_name = t->v[i].name;
  }
  printf("  every gradient (%d tensors): worst %s %.2e (budget %.2e)\n", t->n, worst_name, worst,
         tol_grad);
  if (kinked)
    printf("  upstream of a flipped ReLU: worst %.2e (budget %.0e)\n", worst_kinked, TOL_KINKED);
  free(P), free(x), free(mask), free(nod);
  lt_model_free(mc);
  lt_model_free(mg);
}

static void oom_is_detected(void) {
#ifdef LT_HAVE_CUDA
  lt_cuda_take_oom();
  void *p = cu->alloc((size_t)1 << 42); /* 4 TiB */
  checks++;
  if (p || lt_cuda_take_oom() != 1) {
    printf("FAIL: a 4 TiB allocation must be refused and marked as out of GPU memory\n");
    failures++;
  } else {
    printf("  4 TiB allocation refused, marked OOM\n");
  }
  /* the refusal is also the sticky error that a job asks for before trusting its numbers, once */
  lt_error err = {{0}};
  checks++;
  if (lt_engine_take_error(&err) != -1 || !strstr(err.msg, "out of GPU memory") ||
      lt_engine_take_error(&err) != 0) {
    printf("FAIL: lt_engine_take_error must report the refused allocation once\n");
    failures++;
  } else {
    printf("  lt_engine_take_error: %s\n", err.msg);
  }
#endif
}

int main(void) {
  if (!lt_engine_cuda_built()) {
    printf("SKIP: the cuda backend is not built into this program (meson option cuda)\n");
    return 77;
  }
  lt_error err = {{0}};
  cu = lt_backend_select("cuda", &err);
  if (!cu) {
    printf("SKIP: no GPU for the parity tests: %s\n", err.msg);
    return 77;
  }
  cpu = lt_backend_select("cpu", &err);
  if (!cpu) {
    printf("FAIL: %s\n", err.msg);
    return 1;
  }
  char info[256];
  cu->probe(info, sizeof info, &err);
  printf("cuda: %s\n", info);
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
  printf("model-level kernels:\n");
  model_kernels_parity();
  printf("the whole model (default config, batch 2, joint loss with the debug term):\n");
  model_parity(64, false);
  printf("the whole model as the shipped recipe (32^3 input, mask pooling):\n");
  model_parity(32, true);
  oom_is_detected();
#ifdef LT_HAVE_CUDA
  if (lt_cuda_take_error(&err)) {
    printf("FAIL: CUDA error during the test: %s\n", err.msg);
    failures++;
  }
#endif
  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
