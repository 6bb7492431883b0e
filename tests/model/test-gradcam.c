/* tests/model/test-gradcam.c — Grad-CAM helpers, trust measures and the loss terms: hand values,
 * and each loss's gradient against central finite differences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/volume.h"
#include "model/gradcam.h"
#include "model/loss.h"
#include "model/params.h"

static void trust_measures_match_hand_values(void **state) {
  (void)state;
  const float cam[4] = {1, 0, 0.5f, 0.25f}, p[4] = {1, 0, 0, 0};
  lt_trust t;
  lt_trust_measure(&t, cam, p, 4, 0.5);
  assert_true(t.valid);
  assert_true(fabs(t.mean_in - 1.0) < 1e-12);
  assert_true(fabs(t.mean_out - 0.25) < 1e-7);
  assert_true(fabs(t.share_in - 1.0 / 1.75) < 1e-7);
  assert_true(t.pass); /* 0.75 >= 0.5 */
  const float cam2[4] = {0.6f, 0.4f, 0.2f, 0.0f};
  lt_trust_measure(&t, cam2, p, 4, 0.5);
  assert_false(t.pass); /* 0.6 - 0.2 = 0.4 < 0.5 */
  const float none[4] = {0};
  lt_trust_measure(&t, cam, none, 4, 0.5);
  assert_false(t.valid);
  assert_false(t.pass);
}

static void minmax_orients_by_sign_and_flags_flat_maps(void **state) {
  (void)state;
  const float u[3] = {2, -1, 0.5f};
  float cam[3];
  int lo, hi;
  assert_int_equal(lt_cam_minmax(cam, &lo, &hi, NULL, u, 1.0f, 3), 0);
  assert_true(cam[0] == 1.0f && cam[1] == 0.0f && fabsf(cam[2] - 0.5f) < 1e-7f);
  assert_int_equal(lt_cam_minmax(cam, &lo, &hi, NULL, u, -1.0f, 3), 0);
  assert_true(cam[0] == 0.0f && cam[1] == 1.0f && lo == 0 && hi == 1);
  const float flat[3] = {0.3f, 0.3f, 0.3f};
  assert_int_equal(lt_cam_minmax(cam, NULL, NULL, NULL, flat, 1.0f, 3), -1);
  assert_true(cam[0] == 0 && cam[2] == 0);
}

/* 2 -> 4 along x (constant along y, z): align_corners = False gives 0, 0.25, 0.75, 1. */
static void upsample_is_trilinear_with_half_cell_centres(void **state) {
  (void)state;
  float in[8], out[64];
  for (int z = 0; z < 2; z++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 2; x++) in[(z * 2 + y) * 2 + x] = (float)x + 10.0f * (float)z;
  lt_cam_upsample(out, 4, in, 2);
  const float ex[4] = {0, 0.25f, 0.75f, 1}, ez[4] = {0, 2.5f, 7.5f, 10};
  for (int z = 0; z < 4; z++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 4; x++)
        assert_true(fabsf(out[(z * 4 + y) * 4 + x] - (ex[x] + ez[z])) < 1e-6f);
}

/* A map equal to its patch column index, placed into a 1 mm CT grid, reads back the column
 * index of each CT voxel's centre. */
static void cam_is_placed_back_in_ct_coordinates(void **state) {
  (void)state;
  lt_geometry ct, patch;
  lt_geometry_init(&ct, 40, 40, 30);
  lt_geometry_init(&patch, 16, 16, 16);
  for (int a = 0; a < 3; a++) {
    ct.spacing[a] = 1.0;
    patch.spacing[a] = 0.5;
  }
  ct.origin[0] = -10;
  ct.origin[1] = 5;
  ct.origin[2] = 100;
  patch.origin[0] = 2.3; /* patch voxel 0 centre, mm */
  patch.origin[1] = 12.3;
  patch.origin[2] = 110.3;
  float map[16 * 16 * 16];
  for (int k = 0; k < 16; k++)
    for (int j = 0; j < 16; j++)
      for (int i = 0; i < 16; i++) map[(k * 16 + j) * 16 + i] = (float)i;
  size_t n = 40 * 40 * 30;
  float *vol = malloc(n * sizeof *vol);
  for (size_t v = 0; v < n; v++) vol[v] = -1;
  lt_cam_to_volume(vol, &ct, map, &patch);
  int inside = 0;
  for (int k = 0; k < 30; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 40; i++) {
        double x = -10 + i, y = 5 + j, z = 100 + k; /* CT voxel centre, mm */
        double pi = (x - 2.3) / 0.5, pj = (y - 12.3) / 0.5, pk = (z - 110.3) / 0.5;
        int in = pi >= -0.5 && pi <= 15.5 && pj >= -0.5 && pj <= 15.5 && pk >= -0.5 && pk <= 15.5;
        float got = vol[((size_t)k * 40 + j) * 40 + i];
        if (in) {
          inside++;
          double want = pi < 0 ? 0 : pi > 15 ? 15 : pi;
          assert_true(fabs(got - want) < 1e-5);
        } else {
          assert_true(got == -1.0f);
        }
      }
  assert_int_equal(inside, 8 * 8 * 8); /* 8 mm cube at 1 mm */
  free(vol);
}

static void mask_fraction_counts_voxels_per_cell(void **state) {
  (void)state;
  float mask[8 * 8 * 8] = {0}, p[8];
  mask[0] = 1;                         /* cell 0: 1 of 64 */
  mask[(7 * 8 + 7) * 8 + 7] = 0.6f;    /* cell 7 */
  mask[(7 * 8 + 7) * 8 + 6] = 0.4f;    /* below 0.5: outside */
  lt_mask_fraction(p, mask, 8, 4);
  assert_true(fabsf(p[0] - 1.0f / 64) < 1e-7f);
  assert_true(fabsf(p[7] - 1.0f / 64) < 1e-7f);
  for (int c = 1; c < 7; c++) assert_true(p[c] == 0);
}

static void bce_dice_mse_gradients_match_finite_differences(void **state) {
  (void)state;
  float dz;
  double l = lt_loss_bce(0.3f, 1.0f, &dz);
  assert_true(fabs(l - log1p(exp(-0.3))) < 1e-7);
  assert_true(fabs(dz - (1 / (1 + exp(-0.3)) - 1)) < 1e-7);
  assert_true(isfinite(lt_loss_bce(80.0f, 0.0f, &dz)) && fabs(lt_loss_bce(80.0f, 0.0f, &dz) - 80) < 1e-9);
  enum { N = 50 };
  float y[N], g[N], dy[N];
  lt_rng r;
  lt_rng_seed(&r, 3);
  for (int i = 0; i < N; i++) {
    y[i] = (float)lt_rng_uniform(&r);
    g[i] = lt_rng_uniform(&r) < 0.4 ? 1.0f : 0.0f;
  }
  lt_loss_dice(y, g, N, 1.0, dy);
  for (int i = 0; i < N; i += 7) {
    const float e = 1e-2f, keep = y[i];
    y[i] = keep + e;
    double lp = lt_loss_dice(y, g, N, 1.0, NULL);
    y[i] = keep - e;
    double lm = lt_loss_dice(y, g, N, 1.0, NULL);
    y[i] = keep;
    assert_true(fabs((lp - lm) / (2 * e) - dy[i]) < 1e-4 * fabs(dy[i]) + 1e-6);
  }
  const float a[3] = {1, 2, 3}, t[3] = {2, 2, 5};
  float da[3];
  assert_true(fabs(lt_loss_mse(a, t, 3, da) - 5.0 / 3.0) < 1e-12);
  assert_true(fabsf(da[0] + 2.0f / 3.0f) < 1e-7f && da[1] == 0 && fabsf(da[2] + 4.0f / 3.0f) < 1e-7f);
}

/* The debug loss through min-max against central differences in u (the hinge is kept on and
 * argmin/argmax fixed by the construction). */
static void debug_loss_gradient_matches_finite_differences(void **state) {
  (void)state;
  enum { N = 64 };
  float u[N], p[N], du[N], cam[N];
  lt_rng r;
  lt_rng_seed(&r, 11);
  for (int n = 0; n < N; n++) {
    u[n] = (float)(lt_rng_uniform(&r) * 2 - 1);
    p[n] = n % 8 < 3 ? (float)(0.25 * (1 + n % 3)) : 0.0f;
  }
  u[5] = 3.0f;  /* clear maximum (outside the mask: drives the hinge) */
  u[17] = -3.0f; /* clear minimum */
  for (int si = 0; si < 2; si++) {
    const float s = si ? -1.0f : 1.0f;
    lt_debug_result res;
    lt_loss_debug(&res, du, cam, u, s, p, N, 0.5, 0.3);
    assert_int_equal(res.status, LT_DEBUG_APPLIED);
    assert_true(fabs(res.loss - 0.3 * res.hinge) < 1e-12);
    double worst = 0;
    for (int n = 0; n < N; n++) {
      const float e = 1e-2f, keep = u[n];
      float d2[N], c2[N];
      lt_debug_result rp, rm;
      u[n] = keep + e;
      lt_loss_debug(&rp, d2, c2, u, s, p, N, 0.5, 0.3);
      u[n] = keep - e;
      lt_loss_debug(&rm, d2, c2, u, s, p, N, 0.5, 0.3);
      u[n] = keep;
      double fd = (rp.loss - rm.loss) / (2 * e);
      double err = fabs(fd - du[n]);
      if (err > worst) worst = err;
    }
    /* the loss is piecewise rational in u; float evaluation: 2e-4 absolute at e = 1e-2 */
    assert_true(worst < 2e-4);
  }
  /* Skips and zero hinge. */
  lt_debug_result res;
  float zero[N] = {0}, full[N];
  for (int n = 0; n < N; n++) full[n] = 1;
  lt_loss_debug(&res, du, cam, u, 1, zero, N, 0.5, 0.3);
  assert_int_equal(res.status, LT_DEBUG_SKIP_MASK);
  lt_loss_debug(&res, du, cam, u, 1, full, N, 0.5, 0.3);
  assert_int_equal(res.status, LT_DEBUG_SKIP_MASK);
  float flat[N];
  for (int n = 0; n < N; n++) flat[n] = 0.7f;
  lt_loss_debug(&res, du, cam, flat, 1, p, N, 0.5, 0.3);
  assert_int_equal(res.status, LT_DEBUG_SKIP_FLAT);
  float good[N];
  for (int n = 0; n < N; n++) good[n] = p[n] > 0 ? 1.0f : 0.0f; /* CAM = mask: A = 1, B = 0 */
  lt_loss_debug(&res, du, cam, good, 1, p, N, 0.5, 0.3);
  assert_int_equal(res.status, LT_DEBUG_HINGE_ZERO);
  for (int n = 0; n < N; n++) assert_true(du[n] == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(trust_measures_match_hand_values),
      cmocka_unit_test(minmax_orients_by_sign_and_flags_flat_maps),
      cmocka_unit_test(upsample_is_trilinear_with_half_cell_centres),
      cmocka_unit_test(cam_is_placed_back_in_ct_coordinates),
      cmocka_unit_test(mask_fraction_counts_voxels_per_cell),
      cmocka_unit_test(bce_dice_mse_gradients_match_finite_differences),
      cmocka_unit_test(debug_loss_gradient_matches_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
