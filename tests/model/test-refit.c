/* tests/model/test-refit.c — the attribute refit: the shape measures of known solids (a ball, an
 * ellipsoid along the axes and turned), the density measures of balls of known HU with a sharp
 * and a blurred edge, the ridge fit recovering a known linear map and refusing
 * what it cannot fit, the JSON round trip (versions 1-3) and its refusals, the weights file
 * carrying the refit (and refusing a damaged one with one line), and a model reporting the
 * refitted scores (given the lung window that version 3 reads; the heads' own without it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "lt-test.h"
#include "model/model.h"
#include "model/refit.h"
#include "train/refit-fit.h"
#include "model/weights.h"

enum { S = 32 };

/* A solid ellipsoid, semi-axes a along unit u, b along v, c along u x v, centred at the grid
 * centre; each voxel's occupancy from 4^3 subsamples. */
static void ellipsoid(float *seg, double a, double b, double c, const double u[3],
                      const double v[3]) {
  const double w[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                       u[0] * v[1] - u[1] * v[0]};
  const double ctr = (S - 1) / 2.0;
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        int in = 0;
        for (int q = 0; q < 64; q++) {
          const double p[3] = {z - ctr + ((q & 3) - 1.5) / 4, y - ctr + (((q >> 2) & 3) - 1.5) / 4,
                               x - ctr + ((q >> 4) - 1.5) / 4};
          const double pu = p[0] * u[0] + p[1] * u[1] + p[2] * u[2];
          const double pv = p[0] * v[0] + p[1] * v[1] + p[2] * v[2];
          const double pw = p[0] * w[0] + p[1] * w[1] + p[2] * w[2];
          in += pu * pu / (a * a) + pv * pv / (b * b) + pw * pw / (c * c) <= 1;
        }
        seg[((size_t)z * S + y) * S + x] = (float)in / 64;
      }
}

static void shape_measures_of_known_solids(void **state) {
  (void)state;
  static float seg[S * S * S];
  double m[LT_REFIT_N_SHAPE];
  const double ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0};
  ellipsoid(seg, 8, 8, 8, ex, ey);
  lt_seg_shape_measures(m, seg, S);
  printf("ball r 8: log V %.4f (4/3 pi r^3: %.4f), ratios %.4f %.4f, surface/V^(2/3) %.3f\n", m[0],
         log(4.0 / 3 * M_PI * 512), m[1], m[2], m[3]);
  assert_true(fabs(m[0] - log(4.0 / 3 * M_PI * 512)) < 0.01);
  assert_true(m[1] > 0.99 && m[2] > 0.99);
  assert_true(m[3] > 4.4 && m[3] < 5.2); /* 4 pi / (4 pi / 3)^(2/3) = 4.84 for a smooth ball */
  const double ball_surface = m[3];

  /* semi-axes 12, 6, 3: the second moments are a^2 / 5, so the ratios are 3/12 and 6/12 (the
   * 1/12 of a voxel's spread moves them a little) */
  ellipsoid(seg, 12, 6, 3, ex, ey);
  lt_seg_shape_measures(m, seg, S);
  printf("ellipsoid 12, 6, 3: ratios %.4f %.4f, surface/V^(2/3) %.3f\n", m[1], m[2], m[3]);
  assert_true(fabs(m[1] - 0.25) < 0.02 && fabs(m[2] - 0.5) < 0.02);
  assert_true(m[3] > ball_surface + 0.5);
  /* the same solid turned off the axes: the same measures */
  const double u[3] = {0.6, 0.64, 0.48}; /* unit */
  const double v0[3] = {-0.8, 0.48, 0.36};
  double v[3];
  for (int a = 0; a < 3; a++) v[a] = v0[a] / sqrt(0.64 + 0.2304 + 0.1296);
  double m2[LT_REFIT_N_SHAPE];
  ellipsoid(seg, 12, 6, 3, u, v);
  lt_seg_shape_measures(m2, seg, S);
  printf("turned: ratios %.4f %.4f, surface/V^(2/3) %.3f\n", m2[1], m2[2], m2[3]);
  assert_true(fabs(m2[1] - m[1]) < 0.01 && fabs(m2[2] - m[2]) < 0.01);
  assert_true(fabs(m2[0] - m[0]) < 0.01);
  assert_true(fabs(m2[3] - m[3]) < 0.15 * m[3]);

  memset(seg, 0, sizeof seg); /* nothing: a point, not NaN */
  lt_seg_shape_measures(m, seg, S);
  assert_true(isfinite(m[0]) && m[1] == 1 && m[2] == 1 && m[3] == 0);
}

/* x (S^3 x 2): a ball of radius r and core hu in lung tissue of -850 HU, its edge a Gaussian
 * blur of sd mm (0: each voxel's occupancy); seg: the ball's occupancy. */
static void ball_patch(float *x, float *seg, double r, double hu, double sd) {
  const double ctr = (S - 1) / 2.0, mm = LT_PATCH_N * LT_PATCH_SPACING / S;
  ellipsoid(seg, r, r, r, (const double[3]){1, 0, 0}, (const double[3]){0, 1, 0});
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int xx = 0; xx < S; xx++) {
        const size_t v = ((size_t)z * S + y) * S + xx;
        double occ = seg[v];
        if (sd > 0) {
          const double d = (r - sqrt((z - ctr) * (z - ctr) + (y - ctr) * (y - ctr) +
                                     (xx - ctr) * (xx - ctr))) * mm;
          occ = 0.5 * erfc(-d / (sd * M_SQRT2));
        }
        const float h = (float)(-850 + occ * (hu + 850));
        x[2 * v] = lt_window01(h, LT_PATCH_LUNG_LO_HU, LT_PATCH_LUNG_HI_HU);
        x[2 * v + 1] = lt_window01(h, LT_PATCH_MEDIASTINAL_LO_HU, LT_PATCH_MEDIASTINAL_HI_HU);
      }
}

static void density_measures_of_known_balls(void **state) {
  (void)state;
  static float x[S * S * S * 2], seg[S * S * S];
  double m[LT_REFIT_N_DENSITY];
  /* a sharp ball of 20 HU: the peak reads 20 HU; the core a little less, as the rim's partly
   * filled voxels still weigh (s^4) */
  ball_patch(x, seg, 6, 20, 0);
  lt_patch_density_measures(m, x, 2, seg, S);
  printf("sharp ball of 20 HU: core %.1f HU, peak %.1f HU, edge %.1f HU/mm\n", m[0], m[1], m[2]);
  assert_true(m[0] > 0 && m[0] <= 20.001);
  assert_true(fabs(m[1] - 20) < 1);
  const double sharp = m[2], core20 = m[0];
  /* 80 HU fainter: the peak 80 HU lower, the core about as much (less the rim clamped at the
   * window's lower end) */
  ball_patch(x, seg, 6, -60, 0);
  lt_patch_density_measures(m, x, 2, seg, S);
  printf("sharp ball of -60 HU: core %.1f, peak %.1f\n", m[0], m[1]);
  assert_true(fabs(core20 - m[0] - 80) < 8 && fabs(m[1] + 60) < 1);
  /* the same 20 HU ball with a 1.5 mm blurred edge: within the same outline the gradient is
   * weaker (there the blurred edge is mostly below the mediastinal window), and the density
   * lower */
  ball_patch(x, seg, 6, 20, 1.5);
  lt_patch_density_measures(m, x, 2, seg, S);
  printf("blurred ball of 20 HU: core %.1f HU, edge %.1f HU/mm (sharp %.1f)\n", m[0], m[2], sharp);
  assert_true(m[2] < 0.6 * sharp);
  assert_true(m[0] < core20 - 20);
  /* nothing segmented: the windows' lower ends and no edge, not NaN */
  memset(seg, 0, sizeof seg);
  lt_patch_density_measures(m, x, 2, seg, S);
  assert_true(m[0] == LT_PATCH_MEDIASTINAL_LO_HU && m[1] == LT_PATCH_LUNG_LO_HU && m[2] == 0);
  /* all twelve: the shape ones, these, then the CT measures of the lung window (0 without it) */
  double all[LT_REFIT_N_MEASURES], shape[LT_REFIT_N_SHAPE], ct[LT_REFIT_N_CT];
  ball_patch(x, seg, 6, 20, 0);
  lt_refit_measures(all, x, 2, seg, S, NULL);
  lt_seg_shape_measures(shape, seg, S);
  lt_patch_density_measures(m, x, 2, seg, S);
  assert_memory_equal(all, shape, sizeof shape);
  assert_memory_equal(all + LT_REFIT_N_SHAPE, m, sizeof m);
  for (int j = 0; j < LT_REFIT_N_CT; j++) assert_true(all[LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY + j] == 0);
  static float lung[LT_PATCH_VOXELS];
  for (size_t v = 0; v < LT_PATCH_VOXELS; v++) lung[v] = (float)((v * 7919) % 1000) / 1000.0f;
  lt_refit_measures(all, x, 2, seg, S, lung);
  lt_patch_ct_measures(ct, lung, seg, S);
  assert_memory_equal(all + LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY, ct, sizeof ct);
}

/* n samples of a random linear map (coefficients N(0, 0.3^2)) into truth: input j of a sample is
 * offset + N(0, 1), times j + 1 when spread; y = the map of the inputs, exactly. */
static void linear_samples(double truth[LT_N_ATTRIBUTES][1 + LT_REFIT_N_IN], double *in, double *y,
                           int n, lt_rng *r, double offset, bool spread) {
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 0; j <= LT_REFIT_N_IN; j++) truth[k][j] = lt_rng_normal(r) * 0.3;
  for (int i = 0; i < n; i++) {
    double *row = in + (size_t)i * LT_REFIT_N_IN;
    for (int j = 0; j < LT_REFIT_N_IN; j++)
      row[j] = spread ? 2 + (j + 1) * lt_rng_normal(r) : offset + lt_rng_normal(r);
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
      double t = truth[k][0];
      for (int j = 0; j < LT_REFIT_N_IN; j++) t += truth[k][1 + j] * row[j];
      y[(size_t)i * LT_N_ATTRIBUTES + k] = t;
    }
  }
}

static void ridge_recovers_a_linear_map_and_refuses_what_it_cannot_fit(void **state) {
  (void)state;
  enum { N = 200 };
  static double in[N * LT_REFIT_N_IN], y[N * LT_N_ATTRIBUTES];
  lt_rng r;
  lt_rng_seed(&r, 4);
  double truth[LT_N_ATTRIBUTES][1 + LT_REFIT_N_IN];
  linear_samples(truth, in, y, N, &r, 2, true);
  lt_attr_refit f;
  lt_error err;
  assert_int_equal(lt_attr_refit_fit(&f, in, y, N, 0, LT_REFIT_SQUARED, &err), 0);
  assert_int_equal(f.n_measures, LT_REFIT_N_MEASURES);
  double worst = 0;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 0; j <= LT_REFIT_N_IN; j++) worst = fmax(worst, fabs(f.w[k][j] - truth[k][j]));
  printf("lambda 0: largest coefficient error %.2e\n", worst);
  assert_true(worst < 1e-8);
  /* a penalty shrinks the slopes towards 0, not the intercept's share of the mean */
  lt_attr_refit g;
  assert_int_equal(lt_attr_refit_fit(&g, in, y, N, 1000, LT_REFIT_SQUARED, &err), 0);
  double slope_f = 0, slope_g = 0;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 1; j <= LT_REFIT_N_IN; j++) slope_f += fabs(f.w[k][j]), slope_g += fabs(g.w[k][j]);
  assert_true(slope_g < 0.5 * slope_f);
  /* the fit records each input's range; an input beyond it is held at the edge, and said */
  for (int j = 0; j < LT_REFIT_N_IN; j++) assert_true(f.lo[j] < f.hi[j]);
  {
    float p[LT_N_ATTRIBUTES], q[LT_N_ATTRIBUTES];
    double sh[LT_REFIT_N_MEASURES], sh_edge[LT_REFIT_N_MEASURES];
    for (int j = 0; j < LT_N_ATTRIBUTES; j++) p[j] = q[j] = 3.0f;
    for (int j = 0; j < LT_REFIT_N_MEASURES; j++) sh[j] = sh_edge[j] = in[LT_N_ATTRIBUTES + j];
    sh[3] = f.hi[LT_N_ATTRIBUTES + 3] + 50; /* far beyond: a very irregular segmentation */
    sh_edge[3] = f.hi[LT_N_ATTRIBUTES + 3];
    const int clipped = lt_attr_refit_apply(&f, p, sh);
    assert_int_equal(clipped & (1 << (LT_N_ATTRIBUTES + 3)), 1 << (LT_N_ATTRIBUTES + 3));
    lt_attr_refit_apply(&f, q, sh_edge);
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) assert_float_equal(p[k], q[k], 0);
    char lines[4][160];
    const int nl = lt_attr_refit_warnings(clipped, lines, 4);
    assert_true(nl >= 1);
    printf("warning: %s\n", lines[nl - 1]);
    assert_non_null(strstr(lines[nl - 1], "surface/volume"));
    assert_int_equal(lt_attr_refit_warnings(0, lines, 4), 0);
    assert_int_equal(lt_attr_refit_warnings(1 << (LT_N_ATTRIBUTES + 6), lines, 4), 1);
    printf("warning: %s\n", lines[0]);
    assert_non_null(strstr(lines[0], "edge sharpness"));
    assert_int_equal(lt_attr_refit_warnings(1 << (LT_REFIT_N_IN - 1), lines, 4), 1);
    printf("warning: %s\n", lines[0]);
    assert_non_null(strstr(lines[0], "rays' residual"));
  }
  /* apply clamps to the readers' 1-5 */
  float a[LT_N_ATTRIBUTES] = {9, 9, 9, 9, 9, 9};
  const double shape[LT_REFIT_N_MEASURES] = {9, 9, 9, 9, 9, 9, 9};
  lt_attr_refit big;
  memset(&big, 0, sizeof big); /* every range [0, 0]: the inputs are held at 0 */
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) big.w[k][0] = k < 3 ? 100 : -100;
  lt_attr_refit_apply(&big, a, shape);
  assert_true(a[0] == 5 && a[5] == 1);

  assert_int_equal(lt_attr_refit_fit(&g, in, y, LT_REFIT_N_IN + 1, 10, LT_REFIT_SQUARED, &err), -1);
  assert_int_equal(lt_attr_refit_fit(&g, in, y, LT_REFIT_N_IN + 2, 10, LT_REFIT_SQUARED, &err), 0);
  printf("too few: %s\n", err.msg);
  assert_int_equal(lt_attr_refit_fit(&g, in, y, N, -1, LT_REFIT_SQUARED, &err), -1);
  for (int i = 0; i < N; i++) in[(size_t)i * LT_REFIT_N_IN + 7] = 4.0; /* a constant measure */
  assert_int_equal(lt_attr_refit_fit(&g, in, y, N, 10, LT_REFIT_SQUARED, &err), -1);
  printf("constant input: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "does not vary"));
}

/* The absolute-error fit: on a linear map with heavy-tailed noise and a tenth of the targets
 * pushed far off, it recovers the map where the squared error's fit is pulled away, and it has
 * the smaller absolute error on the samples it was fitted on (what it minimises). */
static void absolute_fit_resists_outliers(void **state) {
  (void)state;
  enum { N = 400 };
  static double in[N * LT_REFIT_N_IN], y[N * LT_N_ATTRIBUTES];
  lt_rng r;
  lt_rng_seed(&r, 11);
  double truth[LT_N_ATTRIBUTES][1 + LT_REFIT_N_IN];
  linear_samples(truth, in, y, N, &r, 1, false);
  /* Laplace noise of scale 0.05, and one sample in ten moved up by 3 to 5 */
  for (int i = 0; i < N; i++)
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
      const double u = lt_rng_uniform(&r) - 0.5;
      double *t = &y[(size_t)i * LT_N_ATTRIBUTES + k];
      *t += -0.05 * (u < 0 ? -1 : 1) * log(1 - 2 * fabs(u));
      if (i % 10 == 3) *t += 3 + 2 * lt_rng_uniform(&r);
    }
  lt_attr_refit sq, ab;
  lt_error err;
  assert_int_equal(lt_attr_refit_fit(&sq, in, y, N, 0, LT_REFIT_SQUARED, &err), 0);
  assert_int_equal(lt_attr_refit_fit(&ab, in, y, N, 0, LT_REFIT_ABSOLUTE, &err), 0);
  assert_int_equal(sq.loss, LT_REFIT_SQUARED);
  assert_int_equal(ab.loss, LT_REFIT_ABSOLUTE);
  double worst_sq = 0, worst_ab = 0, mae_sq = 0, mae_ab = 0;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    for (int j = 0; j <= LT_REFIT_N_IN; j++) {
      worst_sq = fmax(worst_sq, fabs(sq.w[k][j] - truth[k][j]));
      worst_ab = fmax(worst_ab, fabs(ab.w[k][j] - truth[k][j]));
    }
    for (int i = 0; i < N; i++) {
      const double *row = in + (size_t)i * LT_REFIT_N_IN;
      double ps = sq.w[k][0], pa = ab.w[k][0];
      for (int j = 0; j < LT_REFIT_N_IN; j++)
        ps += sq.w[k][1 + j] * row[j], pa += ab.w[k][1 + j] * row[j];
      mae_sq += fabs(ps - y[(size_t)i * LT_N_ATTRIBUTES + k]);
      mae_ab += fabs(pa - y[(size_t)i * LT_N_ATTRIBUTES + k]);
    }
  }
  printf("largest coefficient error: squared %.3f, absolute %.3f; absolute error on the fitted "
         "samples: squared %.4f, absolute %.4f\n", worst_sq, worst_ab, mae_sq / (N * 6.0),
         mae_ab / (N * 6.0));
  assert_true(worst_sq > 0.3); /* the outliers drag the intercept by about 0.4 */
  assert_true(worst_ab < 0.05);
  assert_true(mae_ab < mae_sq);
  /* an unknown loss is refused */
  assert_int_equal(lt_attr_refit_fit(&ab, in, y, N, 0, (lt_refit_loss)7, &err), -1);
  printf("refused: %s\n", err.msg);
}

static void json_round_trip_and_refusals(void **state) {
  (void)state;
  lt_attr_refit f, back;
  memset(&f, 0, sizeof f);
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 0; j <= LT_REFIT_N_IN; j++) f.w[k][j] = (k + 1) * 0.1234567890123 - j / 7.0;
  for (int j = 0; j < LT_REFIT_N_IN; j++) f.lo[j] = -j / 3.0, f.hi[j] = j * 1.1;
  f.lambda = 10;
  f.n_fit = 914;
  f.n_measures = LT_REFIT_N_MEASURES;
  char *s = lt_attr_refit_to_json(&f);
  assert_non_null(s);
  lt_error err;
  assert_int_equal(lt_attr_refit_from_json(&back, s, &err), 0);
  assert_memory_equal(back.w, f.w, sizeof f.w); /* bit for bit */
  assert_memory_equal(back.lo, f.lo, sizeof f.lo);
  assert_memory_equal(back.hi, f.hi, sizeof f.hi);
  assert_int_equal(back.n_fit, 914);
  assert_int_equal(back.n_measures, LT_REFIT_N_MEASURES);
  assert_non_null(strstr(s, "\"version\":3"));
  assert_int_equal(back.loss, LT_REFIT_SQUARED);
  free(s);
  /* the loss travels; a refit written before it existed reads as squared; another is refused */
  f.loss = LT_REFIT_ABSOLUTE;
  s = lt_attr_refit_to_json(&f);
  assert_non_null(strstr(s, "\"loss\":\"absolute\""));
  assert_int_equal(lt_attr_refit_from_json(&back, s, &err), 0);
  assert_int_equal(back.loss, LT_REFIT_ABSOLUTE);
  {
    /* the same JSON with its "loss" member cut out, then with another loss in its place */
    static const char member[] = "\"loss\":\"absolute\",";
    const char *at = strstr(s, member);
    assert_non_null(at);
    char edited[4096];
    const size_t head = (size_t)(at - s), tail = strlen(at + strlen(member));
    assert_true(head + tail + 32 < sizeof edited);
    memcpy(edited, s, head);
    memcpy(edited + head, at + strlen(member), tail + 1);
    assert_int_equal(lt_attr_refit_from_json(&back, edited, &err), 0);
    assert_int_equal(back.loss, LT_REFIT_SQUARED);
    static const char other[] = "\"loss\":\"huber\",";
    memcpy(edited + head, other, strlen(other));
    memcpy(edited + head + strlen(other), at + strlen(member), tail + 1);
    assert_int_equal(lt_attr_refit_from_json(&back, edited, &err), -1);
    printf("refused: %s\n", err.msg);
  }
  free(s);
  f.loss = LT_REFIT_SQUARED;
  /* version 1 (the shape measures only, as LungTrust wrote it before the density measures):
   * read, applied with the four, and written back as version 1 */
  lt_attr_refit v1 = f;
  v1.n_measures = LT_REFIT_N_SHAPE;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 1 + LT_N_ATTRIBUTES + LT_REFIT_N_SHAPE; j <= LT_REFIT_N_IN; j++) v1.w[k][j] = 0;
  for (int j = LT_N_ATTRIBUTES + LT_REFIT_N_SHAPE; j < LT_REFIT_N_IN; j++) v1.lo[j] = v1.hi[j] = 0;
  s = lt_attr_refit_to_json(&v1);
  assert_non_null(strstr(s, "\"version\":1"));
  assert_int_equal(lt_attr_refit_from_json(&back, s, &err), 0);
  free(s);
  assert_int_equal(back.n_measures, LT_REFIT_N_SHAPE);
  assert_memory_equal(back.w, v1.w, sizeof v1.w);
  {
    float p[LT_N_ATTRIBUTES] = {3, 3, 3, 3, 3, 3}, q[LT_N_ATTRIBUTES] = {3, 3, 3, 3, 3, 3};
    double a[LT_REFIT_N_MEASURES] = {1, 0.5, 0.5, 1, 0, 0, 0};
    double b[LT_REFIT_N_MEASURES] = {1, 0.5, 0.5, 1, 500, 900, 700};
    /* the density measures are not read, so neither change the scores nor count as clipped */
    assert_int_equal(lt_attr_refit_apply(&back, p, a), lt_attr_refit_apply(&back, q, b));
    assert_memory_equal(p, q, sizeof p);
  }
  /* version 2 (shape and density, before the CT measures): read, applied with its seven, written
   * back as version 2 */
  lt_attr_refit v2 = f;
  v2.n_measures = LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 1 + LT_N_ATTRIBUTES + v2.n_measures; j <= LT_REFIT_N_IN; j++) v2.w[k][j] = 0;
  for (int j = LT_N_ATTRIBUTES + v2.n_measures; j < LT_REFIT_N_IN; j++) v2.lo[j] = v2.hi[j] = 0;
  s = lt_attr_refit_to_json(&v2);
  assert_non_null(strstr(s, "\"version\":2"));
  assert_int_equal(lt_attr_refit_from_json(&back, s, &err), 0);
  free(s);
  assert_int_equal(back.n_measures, LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY);
  assert_memory_equal(back.w, v2.w, sizeof v2.w);
  assert_false(lt_attr_refit_reads_ct(&back));
  assert_true(lt_attr_refit_reads_ct(&f));
  {
    float p[LT_N_ATTRIBUTES] = {3, 3, 3, 3, 3, 3}, q[LT_N_ATTRIBUTES] = {3, 3, 3, 3, 3, 3};
    double a[LT_REFIT_N_MEASURES] = {1, 0.5, 0.5, 1, 0, 0, 0};
    double b[LT_REFIT_N_MEASURES] = {1, 0.5, 0.5, 1, 0, 0, 0, 500, 900, 700, 2, 3};
    /* the CT measures are not read: neither change the scores nor count as clipped */
    assert_int_equal(lt_attr_refit_apply(&back, p, a), lt_attr_refit_apply(&back, q, b));
    assert_memory_equal(p, q, sizeof p);
  }
  const char *bad[] = {
      "not json",
      "{\"version\": 4, \"lambda\": 1, \"n_fit\": 1, \"weights\": []}",
      "{\"version\": 2, \"lambda\": 1, \"n_fit\": 1, \"weights\": []}",
      "{\"version\": 3, \"lambda\": 1, \"n_fit\": 1, \"weights\": []}",
      "{\"version\": 1, \"lambda\": 1, \"n_fit\": 1, \"weights\": [[1, 2]]}",
      "{\"version\": 2, \"lambda\": 1, \"n_fit\": 1, \"weights\": [[1,1,1,1,1,1,1,1,1,1,1],"
      "[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1],"
      "[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1]], \"lo\": [0,0,0,0,0,0,0,0,0,0], "
      "\"hi\": [1,1,1,1,1,1,1,1,1,1]}",
      "{\"version\": 1, \"lambda\": 1, \"n_fit\": 1, \"weights\": [[1,1,1,1,1,1,1,1,1,1,\"x\"],"
      "[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1],"
      "[1,1,1,1,1,1,1,1,1,1,1],[1,1,1,1,1,1,1,1,1,1,1]]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(lt_attr_refit_from_json(&back, bad[i], &err), -1);
    printf("refused: %s\n", err.msg);
  }
  /* a range turned over (lo > hi) */
  f.lo[2] = f.hi[2] + 1;
  s = lt_attr_refit_to_json(&f);
  assert_int_equal(lt_attr_refit_from_json(&back, s, &err), -1);
  free(s);
}

/* The weights file keeps the refit; a damaged one is refused with one line; a model reports the
 * refitted scores, and a training model or one without the six attributes refuses a refit. */
static void weights_and_model_carry_the_refit(void **state) {
  (void)state;
  char dir[512], path[600];
  assert_true(lt_test_tmpdir(dir, sizeof dir));
  snprintf(path, sizeof path, "%s/refit.safetensors", dir);
  lt_error err;
  lt_weights w;
  memset(&w, 0, sizeof w);
  assert_int_equal(lt_model_config_preset(&w.config, "tiny", &err), 0);
  assert_int_equal(lt_param_table_build(&w.table, &w.config, &err), 0);
  w.params = lt_param_block_new(&w.table);
  lt_param_init(&w.table, w.params, 8);
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) { /* score' = 0.5 score + 0.25 ratio + 1 */
    w.refit.w[k][0] = 1;
    w.refit.w[k][1 + k] = 0.5;
    w.refit.w[k][1 + LT_N_ATTRIBUTES + 1] = 0.25;
  }
  for (int j = 0; j < LT_REFIT_N_IN; j++) w.refit.lo[j] = -1e9, w.refit.hi[j] = 1e9;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) { /* and + 0.002 core density (HU) + 0.1 rays' ratio */
    w.refit.w[k][1 + LT_N_ATTRIBUTES + LT_REFIT_N_SHAPE] = 0.002;
    w.refit.w[k][1 + LT_N_ATTRIBUTES + LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY + 3] = 0.1;
  }
  w.refit.n_measures = LT_REFIT_N_MEASURES;
  w.refit.lambda = 10;
  w.refit.n_fit = 30;
  w.has_refit = true;
  assert_int_equal(lt_weights_write(path, &w, &err), 0);
  lt_weights back;
  assert_int_equal(lt_weights_load(path, NULL, &back, &err), 0);
  assert_true(back.has_refit);
  assert_memory_equal(back.refit.w, w.refit.w, sizeof w.refit.w);

  /* the model: refitted scores are the map of the heads' own */
  const int Sm = w.config.input_size;
  const size_t n = (size_t)Sm * Sm * Sm * 2;
  float *x = malloc(n * sizeof *x);
  lt_rng r;
  lt_rng_seed(&r, 2);
  for (size_t i = 0; i < n; i++) x[i] = (float)lt_rng_uniform(&r);
  lt_weights plain = back;
  plain.has_refit = false;
  lt_model *m0 = NULL, *m1 = NULL;
  assert_int_equal(lt_model_create_from_weights(&m0, &plain, &err), 0);
  assert_int_equal(lt_model_create_from_weights(&m1, &back, &err), 0);
  static float lung[LT_PATCH_VOXELS]; /* a ball of 0 HU, 6 mm across, in -850 HU lung */
  for (int z = 0; z < LT_PATCH_N; z++)
    for (int y = 0; y < LT_PATCH_N; y++)
      for (int xx = 0; xx < LT_PATCH_N; xx++) {
        const double d2 = (z - 31.5) * (z - 31.5) + (y - 31.5) * (y - 31.5) + (xx - 31.5) * (xx - 31.5);
        lung[((size_t)z * LT_PATCH_N + y) * LT_PATCH_N + xx] =
            lt_window01(d2 < 36 ? 0.0f : -850.0f, LT_PATCH_LUNG_LO_HU, LT_PATCH_LUNG_HI_HU);
      }
  /* without the lung window a refit of version 3 is not applied: the heads' own scores */
  lt_model_forward(m1, x, 1);
  lt_model_forward(m0, x, 1);
  assert_memory_equal(lt_model_attrs(m1, 0), lt_model_attrs(m0, 0), LT_N_ATTRIBUTES * sizeof(float));
  lt_model_forward_patch(m1, x, lung, 1);
  float want[LT_N_ATTRIBUTES];
  memcpy(want, lt_model_attrs(m0, 0), sizeof want);
  double measures[LT_REFIT_N_MEASURES];
  lt_refit_measures(measures, x, 2, lt_model_seg(m0, 0), Sm, lung);
  lt_attr_refit_apply(&back.refit, want, measures);
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    printf("attribute %d: heads %.4f, refitted %.4f\n", k, lt_model_attrs(m0, 0)[k],
           lt_model_attrs(m1, 0)[k]);
    assert_float_equal(lt_model_attrs(m1, 0)[k], want[k], 1e-6);
  }
  assert_float_equal(lt_model_prob(m1, 0), lt_model_prob(m0, 0), 0); /* untouched */
  lt_model_free(m0);
  lt_model_free(m1);
  free(x);
  lt_model *t = NULL;
  assert_int_equal(lt_model_create(&t, &back.config, lt_backend_default(), 1, true, &err), 0);
  assert_int_equal(lt_model_set_attr_refit(t, &back.refit, &err), -1);
  printf("training model: %s\n", err.msg);
  lt_model_free(t);
  lt_weights_free(&back);

  /* a damaged refit: its version 3 made 7 in the file (the JSON sits escaped in the header's
   * metadata string), the same length */
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  static char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf, f);
  const char *key = "version\\\":3";
  char *at = memmem(buf, len, key, strlen(key));
  assert_non_null(at);
  fseek(f, at - buf + (long)strlen(key) - 1, SEEK_SET);
  fputc('7', f);
  fclose(f);
  assert_int_equal(lt_weights_load(path, NULL, &back, &err), -1);
  printf("damaged: %s\n", err.msg);
  /* a file written now (lungtrust-weights-2) has its header under the checksum: the edit is
   * caught there; a damaged refit's own refusal is json_round_trip_and_refusals' */
  assert_true(strstr(err.msg, "checksum") || strstr(err.msg, "attr_refit"));
  assert_null(strchr(err.msg, '\n'));

  /* a refit on a model without the six attributes is refused at load */
  lt_weights one;
  memset(&one, 0, sizeof one);
  assert_int_equal(lt_model_config_preset(&one.config, "tiny", &err), 0);
  one.config.malignancy_only = true;
  assert_int_equal(lt_param_table_build(&one.table, &one.config, &err), 0);
  one.params = lt_param_block_new(&one.table);
  one.refit = w.refit;
  one.has_refit = true;
  assert_int_equal(lt_weights_write(path, &one, &err), 0);
  assert_int_equal(lt_weights_load(path, NULL, &back, &err), -1);
  printf("malignancy only: %s\n", err.msg);
  lt_weights_free(&one);
  lt_weights_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shape_measures_of_known_solids),
      cmocka_unit_test(density_measures_of_known_balls),
      cmocka_unit_test(ridge_recovers_a_linear_map_and_refuses_what_it_cannot_fit),
      cmocka_unit_test(absolute_fit_resists_outliers),
      cmocka_unit_test(json_round_trip_and_refusals),
      cmocka_unit_test(weights_and_model_carry_the_refit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
