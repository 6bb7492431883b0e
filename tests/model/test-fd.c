/* tests/model/test-fd.c — the whole joint loss (BCE + Dice + MSE + the Grad-CAM debug term)
 * against central finite differences, on the tiny configuration (float32, batch 2, debug term
 * applied to both samples, weight 4). For every parameter tensor, the coordinate with the
 * largest analytic gradient and one random one are perturbed by +-eps (eps = 2e-3); a
 * perturbation that flips a voxel of the thresholded predicted mask (the debug term's p, a step
 * function without gradient) or moves a CAM's arg-min or arg-max cell (a kink of min-max) is
 * replaced by another coordinate.
 * Tolerance (float32 model): |fd - analytic| <= 5e-2 |analytic| + 1e-3 * g_max, with g_max the
 * largest analytic gradient entry of the whole model. Most coordinates agree within 2%; the
 * first layer's GroupNorm shift moves the ReLU kinks of a whole channel at once and shows up to
 * 4% (stable across eps, so not rounding): the exact check of the same gradients is the
 * PyTorch autograd comparison (test-reference.c, 1e-4, case tiny-confident in this setting).
 * The coefficient |x_c - 0.5| is differentiated here (debug_coef_grad): then the analytic
 * gradient is the loss's true gradient. With the default (coefficient as a weight) it omits,
 * by design, the coefficient's own term, which finite differences cannot leave out; that mode
 * is checked against PyTorch with the coefficient detached (test-reference.c).
 * Argument: the backend ("cpu" default, or "ref"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "nn/backend.h"

enum { B = 2 };

static const char *backend_name = "cpu";

typedef struct {
  lt_model *m;
  float *x, *mask, *nod;
  lt_sample_labels L[B];
  unsigned char *thr; /* baseline thresholded segmentation */
  size_t S3;
  int lo[B], hi[B];   /* baseline arg-min and arg-max cells of each CAM */
  int have_args;
} fd_ctx;

/* Arg-min and arg-max of sample i's CAM (min-max's kinks). */
static void cam_args(const lt_model *m, int i, int *lo, int *hi) {
  const int K = lt_model_config_fusion_channels(lt_model_config_of(m)), N = lt_model_cam_cells(m);
  float *g = malloc((size_t)K * sizeof *g), *u = malloc((size_t)N * sizeof *u), *cam = malloc((size_t)N * sizeof *cam);
  lt_model_g(m, i, g);
  lt_cam_weighted_sum(u, lt_model_fusion(m, i), g, N, K);
  lt_cam_minmax(cam, lo, hi, NULL, u, lt_model_prob(m, i) >= 0.5f ? 1.0f : -1.0f, N);
  free(g);
  free(u);
  free(cam);
}

static void sphere(float *m, int S, double cx, double cy, double cz, double r) {
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        double d2 = (x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) +
                    (z + 0.5 - cz) * (z + 0.5 - cz);
        m[((size_t)z * S + y) * S + x] = d2 <= r * r ? 1.0f : 0.0f;
      }
}

/* Loss at the current parameters; -1 when the thresholded mask or a CAM's arg-min or arg-max
 * cell differs from the baseline (a step or a kink between the two evaluations). */
static int eval(fd_ctx *c, double *loss, lt_loss_terms *terms) {
  lt_error err;
  lt_model_forward(c->m, c->x, B);
  for (int i = 0; i < B; i++) {
    const float *s = lt_model_seg(c->m, i);
    for (size_t v = 0; v < c->S3; v++)
      if ((s[v] >= 0.5f) != c->thr[i * c->S3 + v]) return -1;
    int lo, hi;
    cam_args(c->m, i, &lo, &hi);
    if (!c->have_args) {
      c->lo[i] = lo;
      c->hi[i] = hi;
    } else if (lo != c->lo[i] || hi != c->hi[i]) {
      return -1;
    }
  }
  c->have_args = 1;
  lt_loss_terms t;
  assert_int_equal(lt_model_backward(c->m, c->L, &t, &err), 0);
  *loss = t.total;
  if (terms) *terms = t;
  return 0;
}

static void run(bool coef_grad, bool mask_pool) {
  lt_error err;
  lt_model_config cfg;
  assert_int_equal(lt_model_config_preset(&cfg, "tiny", &err), 0);
  cfg.debug_on = LT_DEBUG_ON_ALL;
  cfg.debug_coef_grad = coef_grad;
  cfg.debug_weight = 4.0; /* make the debug term weigh in the sum */
  cfg.attr_weight = 2.5;  /* and the attribute MSE by a weight of its own */
  cfg.mask_pool = mask_pool;
  fd_ctx c;
  memset(&c, 0, sizeof c);
  const lt_backend *be = lt_backend_get(backend_name, &err);
  assert_non_null(be);
  assert_int_equal(lt_model_create(&c.m, &cfg, be, B, true, &err), 0);
  const lt_param_table *t = lt_model_table(c.m);
  float *P = lt_model_params(c.m);
  lt_param_init(t, P, 77);
  lt_rng r;
  lt_rng_seed(&r, 5);
  for (int i = 0; i < t->n; i++)
    if (t->v[i].kind == LT_PK_GN_BETA || t->v[i].kind == LT_PK_BIAS)
      for (size_t k = 0; k < t->v[i].count; k++) P[t->v[i].offset + k] += (float)(0.1 * lt_rng_normal(&r));
  /* seg.bias -3: the predicted segmentation (about sigmoid(-3), still with a usable Dice
   * gradient) has few or no voxels at 0.5, so the debug term's mask is stable (the annotated
   * sphere when the prediction is empty: the fallback is exercised too). */
  P[t->v[lt_param_find(t, "seg.bias")].offset] = -3.0f;
  /* x_c near 0.9: the coefficient |x_c - 0.5| gives the debug term weight in the sum. */
  P[t->v[lt_param_find(t, "cls2.bias")].offset] = 2.0f;
  const int S = cfg.input_size;
  c.S3 = (size_t)S * S * S;
  c.x = malloc(B * c.S3 * 2 * sizeof(float));
  c.mask = calloc(B * c.S3, sizeof(float));
  c.nod = calloc(B * c.S3, sizeof(float));
  c.thr = malloc(B * c.S3);
  for (size_t i = 0; i < B * c.S3 * 2; i++) c.x[i] = (float)lt_rng_uniform(&r);
  for (int i = 0; i < B; i++) {
    sphere(c.nod + i * c.S3, S, S / 2.0, S / 2.0 + i, S / 2.0, S / 5.0);
    c.L[i].sure = i == 0;
    c.L[i].has_label = i == 0;
    c.L[i].label = 1;
    if (i == 1) {
      memcpy(c.mask + i * c.S3, c.nod + i * c.S3, c.S3 * sizeof(float));
      c.L[i].mask = c.mask + i * c.S3;
      c.L[i].has_ratings = true;
      for (int k = 0; k < 6; k++) c.L[i].ratings[k] = (float)(1 + 4 * lt_rng_uniform(&r));
    }
    c.L[i].nodule_mask = c.nod + i * c.S3;
  }
  lt_model_forward(c.m, c.x, B);
  for (int i = 0; i < B; i++) {
    const float *s = lt_model_seg(c.m, i);
    for (size_t v = 0; v < c.S3; v++) c.thr[i * c.S3 + v] = s[v] >= 0.5f;
  }
  double l0 = 0; /* eval fills both when it returns 0, which the assert checks */
  lt_loss_terms terms = {0};
  assert_int_equal(eval(&c, &l0, &terms), 0);
  assert_int_equal(terms.n_debug_applied, 2); /* the debug term is on for both samples */
  /* The total is the weighted sum (over the batch) that the gradient below is checked against. */
  assert_true(terms.mse > 0);
  const double want = (terms.bce + terms.dice + 2.5 * terms.mse + 4.0 * terms.debug) / B;
  assert_true(fabs(terms.total - want) < 1e-6 * (1 + fabs(terms.total)));
  float *G = malloc(t->total * sizeof(float));
  memcpy(G, lt_model_grads(c.m), t->total * sizeof(float));
  double gmax = 0;
  for (int i = 0; i < t->n; i++)
    for (size_t k = 0; k < t->v[i].count; k++) gmax = fmax(gmax, fabs(G[t->v[i].offset + k]));
  /* The same parameters without the debug term: the checked coordinates must tell the two
   * gradients apart, or the test would not see a wrong debug gradient. */
  float *G0 = malloc(t->total * sizeof(float));
  {
    lt_model_config c0 = cfg;
    c0.debug_weight = 0;
    lt_model *m0;
    assert_int_equal(lt_model_create(&m0, &c0, be, B, true, &err), 0);
    memcpy(lt_model_params(m0), P, t->total * sizeof(float));
    lt_model_forward(m0, c.x, B);
    assert_int_equal(lt_model_backward(m0, c.L, NULL, &err), 0);
    memcpy(G0, lt_model_grads(m0), t->total * sizeof(float));
    lt_model_free(m0);
  }
  int sensitive = 0;
  const float eps = getenv("LT_FD_EPS") ? (float)atof(getenv("LT_FD_EPS")) : 2e-3f;
  int checked = 0, flipped = 0, bad = 0;
  double worst = 0;
  for (int i = 0; i < t->n; i++) {
    const lt_param_view *v = &t->v[i];
    size_t best = 0;
    for (size_t k = 1; k < v->count; k++)
      if (fabs(G[v->offset + k]) > fabs(G[v->offset + best])) best = k;
    int done = 0;
    for (int attempt = 0; attempt < 24 && done < 2; attempt++) {
      size_t k = attempt == 0 ? best : (size_t)(lt_rng_next(&r) % v->count);
      float *w = &P[v->offset + k];
      const float keep = *w;
      double lp, lm;
      *w = keep + eps;
      int okp = eval(&c, &lp, NULL);
      *w = keep - eps;
      int okm = eval(&c, &lm, NULL);
      *w = keep;
      if (okp || okm) {
        flipped++;
        continue;
      }
      done++;
      checked++;
      double fd = (lp - lm) / (2.0 * (double)eps);
      double an = G[v->offset + k];
      double e = fabs(fd - an), tol = 5e-2 * fabs(an) + 1e-3 * gmax;
      if (e / tol > worst) worst = e / tol;
      if (fabs(G0[v->offset + k] - an) > tol) sensitive++;
      if (e > tol) {
        bad++;
        fprintf(stderr, "%s[%zu]: analytic %.6g, finite difference %.6g\n", v->name, k, an, fd);
      }
    }
    if (done == 0) {
      bad++;
      fprintf(stderr, "%s: every perturbation flipped the mask\n", v->name);
    }
  }
  printf("%scoefficient %s, %d mask fallbacks: %d coordinates over %d tensors checked (%d skipped for a mask flip or min-max kink), "
         "loss %.5f (debug %.5f), g_max %.3g, worst error / tolerance %.3f; %d coordinates where "
         "leaving out the debug term's gradient would fail\n",
         mask_pool ? "mask pooling, " : "", coef_grad ? "differentiated" : "as a weight", terms.n_debug_fallback, checked, t->n, flipped, l0, terms.debug,
         gmax, worst, sensitive);
  assert_int_equal(bad, 0);
  assert_true(checked >= t->n);
  assert_true(sensitive >= checked / 5);
  free(G0);
  free(G);
  free(c.x);
  free(c.mask);
  free(c.nod);
  free(c.thr);
  lt_model_free(c.m);
}

static void joint_loss_with_debug_term_matches_finite_differences(void **state) {
  (void)state;
  run(true, false);
}

/* mask_pool: the heads' second input is f's mean weighted by the pooled segmentation; its
 * gradient reaches f, the segmentation and (through Grad-CAM's fold) the debug term. */
static void joint_loss_with_mask_pool_matches_finite_differences(void **state) {
  (void)state;
  run(true, true);
}

int main(int argc, char **argv) {
  if (argc > 1) backend_name = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(joint_loss_with_debug_term_matches_finite_differences),
      cmocka_unit_test(joint_loss_with_mask_pool_matches_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
