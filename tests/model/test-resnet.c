/* tests/model/test-resnet.c — the ResNet baseline configuration (Table 1 row 1, config arch
 * "resnet", params.h):
 *   - its config switch: JSON round trip, files without "arch" load as the collaborative model,
 *     refusals (unknown arch, attributes on a ResNet), a different architecture for weights;
 *   - its layers: parameter names and shapes, the parameter count and forward FLOP against a
 *     count written out here from the layer list, at w = 16 / 64^3 and w = 8 / 32^3; no
 *     segmentation (lt_model_seg NULL), a Grad-CAM map of (S/4)^3 cells;
 *   - its loss (BCE, and BCE + the Grad-CAM debug term with the annotated nodule as mask)
 *     against central finite differences on "resnet-tiny" (float32, batch 2, eps 2e-3), for
 *     every parameter tensor the largest-gradient coordinate and one random one; tolerance as
 *     test-fd.c: |fd - analytic| <= 5e-2 |analytic| + 1e-3 g_max. A perturbation that moves a
 *     CAM's arg-min or arg-max (a kink of min-max) is replaced by another coordinate. The input
 *     gradient is not exposed by the model; the stem's weight gradient is reached only through
 *     every block's data gradient (conv, GroupNorm, ReLU, sum, pooling), which this checks;
 *   - the cpu backend against the ref backend on the same model: outputs, f and every
 *     gradient within 1e-4 of the largest entry (normalised max error);
 *   - a weights file round trip, and one patch through lt_analyze_patch (no segmentation).
 * Argument: the backend for the finite differences ("cpu" default, or "ref": about 6 minutes,
 * so not registered). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "review/analyze.h"
#include "model/model.h"
#include "model/weights.h"
#include "nn/backend.h"

enum { B = 2 };

static const char *backend_name = "cpu";

static void resnet_config_switch_round_trips_and_old_files_stay_collaborative(void **state) {
  (void)state;
  lt_error err;
  lt_model_config c, d, def;
  assert_int_equal(lt_model_config_preset(&c, "resnet", &err), 0);
  assert_int_equal(c.arch, LT_ARCH_RESNET);
  assert_false(c.attributes);
  assert_false(c.concat);
  assert_int_equal(c.debug, LT_DEBUG_OFF);
  assert_int_equal(c.width, 16);
  assert_int_equal(c.input_size, 64);
  int listed = 0;
  for (const char *const *n = lt_model_config_preset_names(); *n; n++) listed += !strcmp(*n, "resnet");
  assert_int_equal(listed, 1);
  char *j = lt_model_config_to_json(&c);
  assert_non_null(strstr(j, "\"arch\":\"resnet\""));
  assert_int_equal(lt_model_config_from_json(&d, j, &err), 0);
  assert_true(lt_model_config_equal(&c, &d));
  free(j);
  /* the collaborative model's JSON has no "arch" key, so files written before the switch
   * read the same */
  lt_model_config_default(&def);
  j = lt_model_config_to_json(&def);
  assert_null(strstr(j, "arch"));
  assert_int_equal(lt_model_config_from_json(&d, j, &err), 0);
  assert_int_equal(d.arch, LT_ARCH_COLLABORATIVE);
  free(j);
  assert_int_equal(lt_model_config_from_json(&d, "{\"width\": 8}", &err), 0);
  assert_int_equal(d.arch, LT_ARCH_COLLABORATIVE);
  assert_int_equal(lt_model_config_from_json(&d, "{\"arch\": \"vgg\"}", &err), -1);
  printf("refused: %s\n", err.msg);
  assert_int_equal(lt_model_config_from_json(&d, "{\"arch\": 1}", &err), -1);
  assert_int_equal(
      lt_model_config_from_json(&d, "{\"arch\": \"resnet\", \"attributes\": true}", &err), -1);
  printf("refused: %s\n", err.msg);
  /* a ResNet weights file is not a collaborative one of the same sizes */
  d = def;
  d.attributes = d.concat = false;
  d.debug = LT_DEBUG_OFF;
  assert_false(lt_model_config_same_arch(&c, &d));
  d.arch = LT_ARCH_RESNET;
  assert_true(lt_model_config_same_arch(&c, &d));
  assert_string_equal(lt_model_arch_name(c.arch), "resnet");
  assert_false(lt_model_config_has_seg(&c));
  assert_true(lt_model_config_has_seg(&def));
}

/* Parameters and forward FLOP of one convolution + GroupNorm (weights, bias, gamma, beta). */
static double cg_params(int cin, int cout, int k) { return (double)cout * cin * k * k * k + 3.0 * cout; }
static double conv_flop(int side_out, int cin, int cout, int k) {
  return 2.0 * side_out * side_out * side_out * cin * cout * k * k * k;
}

static void check_size(int w, int S, int hidden) {
  lt_error err;
  lt_model_config c;
  assert_int_equal(lt_model_config_preset(&c, "resnet", &err), 0);
  c.width = w;
  c.input_size = S;
  c.hidden = hidden;
  lt_param_table t;
  assert_int_equal(lt_param_table_build(&t, &c, &err), 0);
  const int W[4] = {w, 2 * w, 4 * w, 8 * w}, side[4] = {S, S / 2, S / 4, S / 4};
  double P = cg_params(c.in_channels, w, 3), F = conv_flop(S, c.in_channels, w, 3);
  for (int s = 0; s < 4; s++) {
    int cin = s ? W[s - 1] : w;
    P += cg_params(cin, W[s], 3) + cg_params(W[s], W[s], 3);
    F += conv_flop(side[s], cin, W[s], 3) + conv_flop(side[s], W[s], W[s], 3);
    if (cin != W[s]) {
      P += cg_params(cin, W[s], 1);
      F += conv_flop(side[s], cin, W[s], 1);
    }
  }
  P += (double)hidden * 8 * w + hidden + hidden + 1; /* cls1, cls2 */
  size_t count = 0;
  for (int i = 0; i < t.n; i++) count += t.v[i].count;
  assert_true(fabs((double)count - P) < 0.5);
  /* names and shapes */
  int i = lt_param_find(&t, "stem.conv.weight");
  assert_true(i >= 0);
  assert_int_equal(t.v[i].shape[0], w);
  assert_int_equal(t.v[i].shape[1], c.in_channels);
  assert_int_equal(lt_param_find(&t, "r1.proj.conv.weight"), -1); /* identity shortcut */
  i = lt_param_find(&t, "r2.proj.conv.weight");
  assert_true(i >= 0);
  assert_int_equal(t.v[i].shape[0], 2 * w);
  assert_int_equal(t.v[i].shape[2], 1);
  assert_true(lt_param_find(&t, "r4.conv2.gn.weight") >= 0);
  i = lt_param_find(&t, "cls1.weight");
  assert_int_equal(t.v[i].shape[1], 8 * w);
  assert_int_equal(lt_param_find(&t, "seg.weight"), -1);
  assert_int_equal(lt_param_find(&t, "fuse.conv.weight"), -1);
  assert_int_equal(lt_param_find(&t, "reg1.weight"), -1);
  assert_int_equal(lt_param_find(&t, "e1.0.conv.weight"), -1);
  lt_param_table_free(&t);
  lt_model *m;
  assert_int_equal(lt_model_create(&m, &c, &lt_backend_cpu, 1, false, &err), 0);
  double flop = lt_model_forward_flops(m);
  assert_true(fabs(flop - F) <= 1e-9 * F);
  assert_int_equal(lt_model_cam_cells(m), (S / 4) * (S / 4) * (S / 4));
  lt_model_free(m);
  /* for comparison: the collaborative default (row 9) at the same size */
  lt_model_config d;
  lt_model_config_default(&d);
  d.width = w;
  d.input_size = S;
  d.hidden = hidden;
  assert_int_equal(lt_model_create(&m, &d, &lt_backend_cpu, 1, false, &err), 0);
  const lt_param_table *td = lt_model_table(m);
  size_t count_d = 0;
  for (int k = 0; k < td->n; k++) count_d += td->v[k].count;
  printf("ResNet w = %d, %d^3, hidden %d: %zu parameters, %.3f GFLOP forward (convolutions); "
         "the collaborative default at this size: %zu parameters, %.3f GFLOP\n",
         w, S, hidden, count, flop / 1e9, count_d, lt_model_forward_flops(m) / 1e9);
  lt_model_free(m);
}

static void resnet_layers_parameter_count_and_flops(void **state) {
  (void)state;
  check_size(16, 64, 256); /* the paper-table size of our model (DESIGN section 3) */
  check_size(8, 32, 256);  /* the reduced ablation size */
  check_size(8, 32, 64);
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

typedef struct {
  lt_model *m;
  float *x, *nod;
  lt_sample_labels L[B];
  int lo[B], hi[B];
  int have_args;
} fd_ctx;

static void cam_args(const lt_model *m, int i, int *lo, int *hi) {
  const int K = lt_model_config_fusion_channels(lt_model_config_of(m)), N = lt_model_cam_cells(m);
  float *g = malloc((size_t)K * sizeof *g), *u = malloc((size_t)N * sizeof *u),
        *cam = malloc((size_t)N * sizeof *cam);
  lt_model_g(m, i, g);
  lt_cam_weighted_sum(u, lt_model_fusion(m, i), g, N, K);
  lt_cam_minmax(cam, lo, hi, NULL, u, lt_model_prob(m, i) >= 0.5f ? 1.0f : -1.0f, N);
  free(g);
  free(u);
  free(cam);
}

static int eval(fd_ctx *c, double *loss, lt_loss_terms *terms) {
  lt_error err;
  lt_model_forward(c->m, c->x, B);
  for (int i = 0; i < B; i++) {
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

/* resnet-tiny with perturbed biases, two labelled samples with annotated spheres. */
static void setup_model(fd_ctx *c, const lt_model_config *cfg, const lt_backend *be) {
  lt_error err;
  memset(c, 0, sizeof *c);
  assert_int_equal(lt_model_create(&c->m, cfg, be, B, true, &err), 0);
  const lt_param_table *t = lt_model_table(c->m);
  float *P = lt_model_params(c->m);
  lt_param_init(t, P, 77);
  lt_rng r;
  lt_rng_seed(&r, 5);
  for (int i = 0; i < t->n; i++)
    if (t->v[i].kind == LT_PK_GN_BETA || t->v[i].kind == LT_PK_BIAS)
      for (size_t k = 0; k < t->v[i].count; k++)
        P[t->v[i].offset + k] += (float)(0.1 * lt_rng_normal(&r));
  P[t->v[lt_param_find(t, "cls2.bias")].offset] = 2.0f; /* x_c near 0.9: the debug weight */
  const int S = cfg->input_size;
  const size_t S3 = (size_t)S * S * S;
  c->x = malloc(B * S3 * 2 * sizeof(float));
  c->nod = calloc(B * S3, sizeof(float));
  for (size_t i = 0; i < B * S3 * 2; i++) c->x[i] = (float)lt_rng_uniform(&r);
  for (int i = 0; i < B; i++) {
    sphere(c->nod + i * S3, S, S / 2.0, S / 2.0 + i, S / 2.0, S / 5.0);
    c->L[i].sure = true;
    c->L[i].has_label = true;
    c->L[i].label = (float)i;
    c->L[i].mask = c->nod + i * S3; /* no segmentation head: ignored by the Dice term */
    c->L[i].has_ratings = true;     /* no attribute branch: ignored */
    for (int k = 0; k < 6; k++) c->L[i].ratings[k] = 3;
    c->L[i].nodule_mask = c->nod + i * S3;
  }
}

static void free_ctx(fd_ctx *c) {
  free(c->x);
  free(c->nod);
  lt_model_free(c->m);
}

static void run_fd(bool debug) {
  lt_error err;
  lt_model_config cfg;
  assert_int_equal(lt_model_config_preset(&cfg, "resnet-tiny", &err), 0);
  if (debug) {
    cfg.debug = LT_DEBUG_GRADCAM;
    cfg.debug_on = LT_DEBUG_ON_ALL;
    cfg.debug_coef_grad = true;
    cfg.debug_weight = 4.0;
  }
  const lt_backend *be = lt_backend_get(backend_name, &err);
  assert_non_null(be);
  fd_ctx c;
  setup_model(&c, &cfg, be);
  assert_null(lt_model_seg(c.m, 0));
  const lt_param_table *t = lt_model_table(c.m);
  float *P = lt_model_params(c.m);
  double l0 = 0; /* eval fills both when it returns 0, which the assert checks */
  lt_loss_terms terms = {0};
  assert_int_equal(eval(&c, &l0, &terms), 0);
  assert_int_equal(terms.n_bce, 2);
  assert_int_equal(terms.n_dice, 0);
  assert_int_equal(terms.n_mse, 0);
  assert_int_equal(terms.n_debug_applied, debug ? 2 : 0);
  if (debug) assert_int_equal(terms.n_debug_fallback, 2); /* the annotated nodule is the mask */
  float *G = malloc(t->total * sizeof(float));
  memcpy(G, lt_model_grads(c.m), t->total * sizeof(float));
  double gmax = 0;
  for (int i = 0; i < t->n; i++)
    for (size_t k = 0; k < t->v[i].count; k++) gmax = fmax(gmax, fabs(G[t->v[i].offset + k]));
  lt_rng r;
  lt_rng_seed(&r, 9);
  const float eps = 2e-3f;
  int checked = 0, kinks = 0, bad = 0;
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
        kinks++;
        continue;
      }
      done++;
      checked++;
      double fd = (lp - lm) / (2.0 * (double)eps), an = G[v->offset + k];
      double e = fabs(fd - an), tol = 5e-2 * fabs(an) + 1e-3 * gmax;
      if (e / tol > worst) worst = e / tol;
      if (e > tol) {
        bad++;
        fprintf(stderr, "%s[%zu]: analytic %.6g, finite difference %.6g\n", v->name, k, an, fd);
      }
    }
    if (!done) {
      bad++;
      fprintf(stderr, "%s: every perturbation crossed a min-max kink\n", v->name);
    }
  }
  printf("ResNet %s, backend %s: %d coordinates over %d tensors (%d skipped at a min-max kink), "
         "loss %.5f (BCE %.5f, debug %.5f), g_max %.3g, worst error / tolerance %.3f\n",
         debug ? "BCE + Grad-CAM debug" : "BCE only", be->name, checked, t->n, kinks, l0,
         terms.bce, terms.debug, gmax, worst);
  assert_int_equal(bad, 0);
  assert_true(checked >= t->n);
  free(G);
  free_ctx(&c);
}

static void resnet_bce_loss_matches_finite_differences(void **state) {
  (void)state;
  run_fd(false);
}

static void resnet_bce_and_debug_loss_matches_finite_differences(void **state) {
  (void)state;
  run_fd(true);
}

static double norm_err(const float *a, const float *b, size_t n) {
  double e = 0, s = 0;
  for (size_t i = 0; i < n; i++) {
    e = fmax(e, fabs((double)a[i] - b[i]));
    s = fmax(s, fabs((double)b[i]));
  }
  return s > 0 ? e / s : e;
}

static void resnet_cpu_backend_matches_ref_backend(void **state) {
  (void)state;
  lt_error err;
  lt_model_config cfg;
  assert_int_equal(lt_model_config_preset(&cfg, "resnet-tiny", &err), 0);
  cfg.debug = LT_DEBUG_GRADCAM;
  cfg.debug_on = LT_DEBUG_ON_ALL;
  fd_ctx a, b;
  setup_model(&a, &cfg, &lt_backend_cpu);
  setup_model(&b, &cfg, &lt_backend_ref);
  lt_loss_terms ta, tb;
  lt_model_forward(a.m, a.x, B);
  lt_model_forward(b.m, b.x, B);
  assert_int_equal(lt_model_backward(a.m, a.L, &ta, &err), 0);
  assert_int_equal(lt_model_backward(b.m, b.L, &tb, &err), 0);
  assert_int_equal(ta.n_debug_applied, 2);
  const lt_param_table *t = lt_model_table(a.m);
  const int N = lt_model_cam_cells(a.m), K = lt_model_config_fusion_channels(&cfg);
  double worst = 0;
  for (int i = 0; i < B; i++) {
    assert_true(fabs(lt_model_prob(a.m, i) - lt_model_prob(b.m, i)) < 1e-5);
    worst = fmax(worst, norm_err(lt_model_fusion(a.m, i), lt_model_fusion(b.m, i), (size_t)N * K));
  }
  printf("f: normalised error %.2e; loss cpu %.7f ref %.7f\n", worst, ta.total, tb.total);
  assert_true(worst <= 1e-4);
  assert_true(fabs(ta.total - tb.total) <= 1e-5 * fabs(tb.total) + 1e-7);
  /* per tensor, the max error over the tensor's largest entry, floored at 1e-2 of the model's
   * largest gradient (a conv bias before GroupNorm has a gradient near 0, a sum of terms that
   * cancel, whose float32 rounding is about 1e-7 in either backend) */
  const float *Ga = lt_model_grads(a.m), *Gb = lt_model_grads(b.m);
  double gmax = 0;
  for (int i = 0; i < t->n; i++)
    for (size_t k = 0; k < t->v[i].count; k++) gmax = fmax(gmax, fabs(Gb[t->v[i].offset + k]));
  double gw = 0;
  const char *gname = "";
  for (int i = 0; i < t->n; i++) {
    const lt_param_view *v = &t->v[i];
    double e = 0, sc = 1e-2 * gmax;
    for (size_t k = 0; k < v->count; k++) {
      e = fmax(e, fabs((double)Ga[v->offset + k] - Gb[v->offset + k]));
      sc = fmax(sc, fabs(Gb[v->offset + k]));
    }
    if (e / sc > gw) gw = e / sc, gname = v->name;
  }
  printf("gradients: worst normalised error %.2e (%s) over %d tensors, g_max %.3g\n", gw, gname,
         t->n, gmax);
  assert_true(gw <= 1e-4);
  free_ctx(&a);
  free_ctx(&b);
}

/* A ResNet weights file loads as a ResNet (and is refused where the collaborative model is
 * expected); the analysis of one patch has no segmentation: no own-mask trust, Dice NaN, but
 * a Grad-CAM map and the trust check against the readers' mask. */
static void resnet_weights_file_and_analysis_without_segmentation(void **state) {
  (void)state;
  lt_error err;
  lt_model_config c, def;
  assert_int_equal(lt_model_config_preset(&c, "resnet-tiny", &err), 0);
  lt_model_config_default(&def);
  lt_model *m;
  assert_int_equal(lt_model_create(&m, &c, &lt_backend_cpu, 1, false, &err), 0);
  const lt_param_table *t = lt_model_table(m);
  lt_param_init(t, lt_model_params(m), 3);
  char path[] = "/tmp/lt-test-resnet-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(lt_weights_save(path, &c, t, lt_model_params(m), NULL, NULL, &err), 0);
  lt_weights w;
  assert_int_equal(lt_weights_load(path, &c, &w, &err), 0);
  assert_int_equal(w.config.arch, LT_ARCH_RESNET);
  assert_int_equal(w.table.n, t->n);
  assert_memory_equal(w.params, lt_model_params(m), t->total * sizeof(float));
  lt_weights_free(&w);
  def.width = c.width, def.input_size = c.input_size, def.hidden = c.hidden;
  assert_int_equal(lt_weights_load(path, &def, &w, &err), -1);
  printf("collaborative expected: %s\n", err.msg);
  remove(path);

  const int S = c.input_size;
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc(S3 * 2 * sizeof *x), *cons = calloc(S3, sizeof *cons);
  lt_rng r;
  lt_rng_seed(&r, 4);
  for (size_t i = 0; i < S3 * 2; i++) x[i] = (float)lt_rng_uniform(&r);
  sphere(cons, S, S / 2.0, S / 2.0, S / 2.0, S / 4.0);
  lt_analysis an;
  assert_int_equal(lt_analyze_patch(m, x, NULL, cons, &an, &err), 0);
  assert_false(an.has_seg);
  assert_false(an.trust_own.valid);
  assert_true(isnan(an.dice_consensus));
  for (size_t i = 0; i < S3; i++) assert_true(an.seg[i] == 0.0f);
  assert_int_equal(an.grid, S / 4);
  assert_false(an.cam_flat);
  assert_true(an.trust_consensus.valid);
  double lo = 1, hi = 0;
  for (int i = 0; i < an.grid * an.grid * an.grid; i++)
    lo = fmin(lo, an.cam_grid[i]), hi = fmax(hi, an.cam_grid[i]);
  assert_true(lo == 0.0 && hi == 1.0);
  printf("analysis: x_c %.3f, CAM share inside the readers' sphere %.3f\n", an.prob,
         an.trust_consensus.share_in);
  lt_analysis_free(&an);
  free(x);
  free(cons);
  lt_model_free(m);
}

int main(int argc, char **argv) {
  if (argc > 1) backend_name = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(resnet_config_switch_round_trips_and_old_files_stay_collaborative),
      cmocka_unit_test(resnet_layers_parameter_count_and_flops),
      cmocka_unit_test(resnet_bce_loss_matches_finite_differences),
      cmocka_unit_test(resnet_bce_and_debug_loss_matches_finite_differences),
      cmocka_unit_test(resnet_cpu_backend_matches_ref_backend),
      cmocka_unit_test(resnet_weights_file_and_analysis_without_segmentation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
