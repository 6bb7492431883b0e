/* tests/review/test-scope.c — the scope decision's patch checks on drawn lesions of known truth
 * (engine/review/scope.h): a solid ball in aerated lung is in scope at 5, 10 and 25 mm and when
 * it touches the pleura; a ground-glass ball, a part-solid one (solid core of 30% of the
 * diameter) and a ground-glass halo around an outlined solid core are not solid; a dense ball
 * is calcified (caution); a 40 mm mass is over-size; the readers' texture decides when they
 * rated it non-solid. And the "unusual for the model" statistics (model/unusual.h): Gaussian
 * features give the validation percentile's rate, a far point is flagged, the JSON round-trips,
 * a damaged JSON is refused. And the thick-slice and acquisition checks against the training
 * data's statistics. */
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
#include "model/unusual.h"
#include "review/scope.h"

enum { N = LT_PATCH_N, N3 = LT_PATCH_VOXELS };

static float win(double hu) { return lt_window01((float)hu, LT_PATCH_LUNG_LO_HU, LT_PATCH_LUNG_HI_HU); }

/* A patch of lung at -850 HU holding a ball of radius r_mm at hu_out with a core of radius
 * r_core_mm at hu_core (r_core 0: none), edges blurred over about a voxel; its "model mask" is
 * the ball (or only the core when seg_core_only). Returns lung window in w, mask in seg. */
static void draw(float *w, float *seg, double r_mm, double hu_out, double r_core_mm,
                 double hu_core, bool seg_core_only, double wall_x_mm) {
  const double c = LT_PATCH_CENTRE;
  for (int z = 0; z < N; z++)
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        const int q = x + N * (y + N * z);
        const double d = sqrt((x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c)) * 0.5;
        const double o = fmin(1, fmax(0, (r_mm - d) / 0.5 + 0.5));       /* ball occupancy */
        const double oc = r_core_mm > 0 ? fmin(1, fmax(0, (r_core_mm - d) / 0.5 + 0.5)) : 0;
        double hu = -850 + o * (hu_out + 850);
        hu += oc * (hu_core - hu);
        /* the chest wall: soft tissue beyond x = wall_x_mm from the centre */
        if (wall_x_mm > 0 && (x - c) * 0.5 > wall_x_mm) hu = fmax(hu, 40);
        w[q] = win(hu);
        seg[q] = seg_core_only ? (float)(oc >= 0.5) : (float)(o >= 0.5);
      }
}

/* The 32^3 lung grid of a 64^3 mask: each 2^3 block's first voxel. */
static lt_scope check(const float *w, const float *seg, double texture, const uint8_t *lung64) {
  lt_scope s;
  memset(&s, 0, sizeof s);
  static uint8_t lung32[N3 / 8];
  for (int z = 0; z < N / 2; z++)
    for (int y = 0; y < N / 2; y++)
      for (int x = 0; x < N / 2; x++)
        lung32[x + N / 2 * (y + N / 2 * z)] = lung64[2 * x + N * (2 * y + N * 2 * z)];
  lt_scope_patch p = {.lung_window = w, .seg = seg, .seg_side = N, .lung32 = lung32,
                      .readers_texture = texture};
  lt_scope_check_patch(&s, &p);
  char codes[128];
  printf("  %-9s %-28s region %.1f mm, solid %.2f, ggo %.2f, calcified %.2f, extent %.1f mm\n",
         lt_scope_level_name(s.level), lt_scope_codes(&s, codes, sizeof codes), s.m.region_mm,
         s.m.solid_fraction, s.m.ggo_fraction, s.m.calcified_fraction, s.m.extent_mm);
  return s;
}

static void solid_balls_in_scope_abnormal_ones_flagged(void **state) {
  (void)state;
  float *w = malloc(N3 * sizeof *w), *seg = malloc(N3 * sizeof *seg);
  uint8_t *lung = malloc(N3);
  lt_scope s;
  for (int q = 0; q < N3; q++) lung[q] = 1;
  const double sizes[3] = {2.5, 5, 12.5};
  for (int i = 0; i < 3; i++) {
    printf("solid ball of %.0f mm:\n", 2 * sizes[i]);
    draw(w, seg, sizes[i], 20, 0, 0, false, 0);
    s = check(w, seg, NAN, lung);
    assert_int_equal(s.level, LT_SCOPE_IN);
  }
  printf("solid 10 mm ball against the chest wall (juxtapleural):\n");
  draw(w, seg, 5, 20, 0, 0, false, 4.5);
  for (int q = 0; q < N3; q++) lung[q] = (q % N - LT_PATCH_CENTRE) * 0.5 <= 4.5;
  s = check(w, seg, NAN, lung);
  assert_int_equal(s.level, LT_SCOPE_IN);
  for (int q = 0; q < N3; q++) lung[q] = 1;
  printf("ground-glass ball, 14 mm at -600 HU:\n");
  draw(w, seg, 7, -600, 0, 0, false, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_NOT_SOLID));
  assert_int_equal(s.level, LT_SCOPE_OUT);
  printf("part-solid ball, 20 mm at -600 HU with a 6 mm solid core:\n");
  draw(w, seg, 10, -600, 3, 20, false, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_NOT_SOLID));
  printf("part-solid, the model outlining only the 8 mm core of a 20 mm lesion:\n");
  draw(w, seg, 10, -600, 4, 20, true, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_NOT_SOLID));
  printf("calcified ball, 8 mm at 600 HU:\n");
  draw(w, seg, 4, 600, 0, 0, false, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_CALCIFIED));
  assert_int_equal(s.level, LT_SCOPE_CAUTION);
  printf("solid mass, 40 mm:\n");
  draw(w, seg, 20, 20, 0, 0, false, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_OVERSIZE));
  printf("solid mass, 40 mm, the model outlining only its central 20 mm:\n");
  draw(w, seg, 20, 20, 10, 20, true, 0);
  s = check(w, seg, NAN, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_OVERSIZE));
  printf("a solid 10 mm ball the readers rated texture 2 (non-solid/mixed):\n");
  draw(w, seg, 5, 20, 0, 0, false, 0);
  s = check(w, seg, 2.0, lung);
  assert_true(lt_scope_has(&s, LT_SCOPE_NOT_SOLID));
  printf("... and texture 4.75 (LIDC-IDRI-0001's nodule):\n");
  s = check(w, seg, 4.75, lung);
  assert_int_equal(s.level, LT_SCOPE_IN);
  free(w), free(seg), free(lung);
}

static void codes_levels_and_the_worst_reason(void **state) {
  (void)state;
  lt_scope s;
  memset(&s, 0, sizeof s);
  assert_string_equal(lt_scope_level_name(s.level), "in_scope");
  lt_scope_add(&s, LT_SCOPE_ACQUISITION, "spacing %d", 1);
  assert_int_equal(s.level, LT_SCOPE_CAUTION);
  lt_scope_add(&s, LT_SCOPE_OUTSIDE_LUNGS, "outside");
  lt_scope_add(&s, LT_SCOPE_CALCIFIED, "calcified");
  lt_scope_add(&s, LT_SCOPE_OUTSIDE_LUNGS, "twice"); /* one reason per code */
  assert_int_equal(s.n, 3);
  assert_int_equal(s.level, LT_SCOPE_OUT);
  char buf[128];
  assert_string_equal(lt_scope_codes(&s, buf, sizeof buf), "acquisition,outside_lungs,calcified");
  assert_string_equal(lt_scope_level_name(s.level), "out_of_scope");
  static const char *const names[LT_SCOPE_N_CODES] = {
      "outside_lungs", "not_solid", "oversize", "unusual", "calcified",
      "thick_slices", "acquisition", "coarse_map", "filled_slices"};
  for (int c = 0; c < LT_SCOPE_N_CODES; c++) assert_string_equal(lt_scope_code_name(c), names[c]);
}

/* Slice thickness and acquisition against the training data's statistics (these were the
 * weights' out-of-distribution lines; the nodule-size lines became oversize and coarse_map). */
static void acquisition_and_thick_slices_against_the_training_stats(void **state) {
  (void)state;
  lt_train_stats st;
  memset(&st, 0, sizeof st);
  st.n_samples = 123;
  st.spacing_mm[0] = 0.5, st.spacing_mm[1] = 0.9;
  st.thickness_mm[0] = 1.0, st.thickness_mm[1] = 2.5;
  snprintf(st.manufacturers, sizeof st.manufacturers, "GE MEDICAL SYSTEMS,SIEMENS");
  lt_scope s;
  memset(&s, 0, sizeof s);
  lt_scope_check_acquisition(&s, &st, 0.7, 1.25, "SIEMENS");
  assert_int_equal(s.n, 0);
  memset(&s, 0, sizeof s);
  lt_scope_check_acquisition(&s, &st, 0.7, 5.0, "Philips");
  assert_true(lt_scope_has(&s, LT_SCOPE_THICK_SLICES));
  assert_non_null(strstr(s.reasons[0].text, "over the 3 mm"));
  assert_true(lt_scope_has(&s, LT_SCOPE_ACQUISITION));
  assert_int_equal(s.n, 2); /* the differences in one line, not one each */
  printf("%s\n", s.reasons[1].text);
  assert_non_null(strstr(s.reasons[1].text, "slices 5.00 mm"));
  assert_non_null(strstr(s.reasons[1].text, "manufacturer Philips"));
  assert_int_equal(s.level, LT_SCOPE_CAUTION);
  memset(&s, 0, sizeof s);
  lt_scope_check_acquisition(&s, NULL, 0.7, 1.0, NULL);
  assert_int_equal(s.n, 0);
}

static double gauss(uint64_t *st) {
  double u = 0;
  for (int k = 0; k < 12; k++) { /* Irwin-Hall: close enough to normal for a test */
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    u += (double)(*st >> 11) / 9007199254740992.0;
  }
  return u - 6;
}

static void unusual_distance_threshold_and_json(void **state) {
  (void)state;
  enum { D = 24, NT = 2000, NV = 1000 };
  float *tr = malloc((size_t)NT * D * sizeof *tr), *va = malloc((size_t)NV * D * sizeof *va);
  uint64_t st = 7;
  /* correlated features: x = A g with a random mixing matrix */
  double A[D][D];
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) A[i][j] = gauss(&st) * (j < 6 ? 1.0 : 0.1);
  for (int n = 0; n < NT + NV; n++) {
    double g[D];
    for (int j = 0; j < D; j++) g[j] = gauss(&st);
    float *x = n < NT ? tr + (size_t)n * D : va + (size_t)(n - NT) * D;
    for (int i = 0; i < D; i++) {
      double v = 3;
      for (int j = 0; j < D; j++) v += A[i][j] * g[j];
      x[i] = (float)v;
    }
  }
  lt_unusual_stats *s = malloc(sizeof *s), *t = malloc(sizeof *t);
  lt_error err;
  assert_int_equal(lt_unusual_fit(s, tr, NT, va, NV, D, 6, 95, &err), 0);
  int over = 0;
  for (int n = 0; n < NV; n++) over += lt_unusual_distance(s, va + (size_t)n * D) > s->threshold;
  printf("threshold %.3f; validation over it: %d of %d (the 95th percentile: 5%%)\n",
         s->threshold, over, NV);
  assert_true(over >= 40 && over <= 50);
  float far[D];
  memcpy(far, va, sizeof far);
  for (int i = 0; i < D; i++) far[i] += (float)(10 * A[i][0]);
  printf("a point moved 10 sd along the first axis: distance %.2f\n", lt_unusual_distance(s, far));
  assert_true(lt_unusual_distance(s, far) > 2 * s->threshold);
  char *json = lt_unusual_to_json(s);
  assert_non_null(json);
  assert_int_equal(lt_unusual_from_json(t, json, &err), 0);
  assert_true(fabs(lt_unusual_distance(t, far) - lt_unusual_distance(s, far)) < 1e-4);
  assert_true(fabs(t->threshold - s->threshold) < 1e-9);
  char *bad = strdup(json);
  char *p = strstr(bad, "\"n_axes\":6");
  assert_non_null(p);
  p[9] = '7'; /* more axes than the array holds */
  assert_int_equal(lt_unusual_from_json(t, bad, &err), -1);
  printf("damaged statistics refused: %s\n", err.msg);
  assert_int_equal(lt_unusual_from_json(t, "{\"version\": 2}", &err), -1);
  assert_int_equal(lt_unusual_fit(t, tr, 5, va, NV, D, 6, 95, &err), -1); /* too few */
  free(json), free(bad), free(tr), free(va), free(s), free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(codes_levels_and_the_worst_reason),
      cmocka_unit_test(solid_balls_in_scope_abnormal_ones_flagged),
      cmocka_unit_test(unusual_distance_threshold_and_json),
      cmocka_unit_test(acquisition_and_thick_slices_against_the_training_stats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
