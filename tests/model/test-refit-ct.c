/* tests/model/test-refit-ct.c — the refit's CT measures (model/refit-ct.h) of known solids drawn
 * in a lung window at 0.5 mm: a ball's contrast and background in HU, a sharp edge falling
 * further than a blurred one, the rays' ellipsoid reading a ball as round and a 2:1 ellipsoid as
 * 0.5 whichever way it is turned, a lobulated ball leaving its ellipsoid more than a smooth one,
 * and an empty segmentation giving finite values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ct/patch.h"
#include "model/refit-ct.h"

enum { S = 32, N = LT_PATCH_N };

static float lung[LT_PATCH_VOXELS], seg[S * S * S];

typedef struct {
  double semi[3];  /* mm, along the turned axes */
  double turn;     /* radians about the x axis (patch axis 2) */
  double hu;       /* inside */
  double blur_mm;  /* the edge's Gaussian sd; 0: sharp */
  double lobes;    /* relative amplitude of a degree-3 ripple of the radius */
} solid;

/* The solid's signed distance, approximately (mm; negative inside), at p (mm from centre). */
static double signed_distance(const solid *s, const double p[3]) {
  const double c = cos(s->turn), sn = sin(s->turn);
  const double q[3] = {c * p[0] - sn * p[1], sn * p[0] + c * p[1], p[2]};
  double rho2 = 0;
  for (int a = 0; a < 3; a++) rho2 += q[a] * q[a] / (s->semi[a] * s->semi[a]);
  const double rho = sqrt(rho2), r = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
  /* the lobes: the surface's radius times 1 + lobes cos(3 phi), phi about the turned axis 0 */
  const double scale = 1 + s->lobes * cos(3 * atan2(q[1], q[2]));
  /* rho / scale = 1 on the surface; (rho / scale - 1) times the radius there in millimetres */
  return rho > 1e-12 ? (rho / scale - 1) * (r / rho) * scale : -s->semi[0];
}

/* lung: the solid in -850 HU lung; seg: its 1 mm voxels whose centre lies inside. */
static void draw(const solid *s) {
  const double ctr = LT_PATCH_N * LT_PATCH_SPACING / 2;
  for (int z = 0; z < N; z++)
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        const double p[3] = {(z + 0.5) * 0.5 - ctr, (y + 0.5) * 0.5 - ctr, (x + 0.5) * 0.5 - ctr};
        const double d = signed_distance(s, p);
        const double in = s->blur_mm > 0 ? 0.5 * erfc(d / (s->blur_mm * M_SQRT2)) : d < 0;
        lung[((size_t)z * N + y) * N + x] =
            lt_window01((float)(-850 + in * (s->hu + 850)), LT_PATCH_LUNG_LO_HU, LT_PATCH_LUNG_HI_HU);
      }
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        const double p[3] = {z + 0.5 - ctr, y + 0.5 - ctr, x + 0.5 - ctr};
        seg[((size_t)z * S + y) * S + x] = signed_distance(s, p) < 0;
      }
}

static void measure(const solid *s, double m[LT_REFIT_N_CT], const char *what) {
  draw(s);
  lt_patch_ct_measures(m, lung, seg, S);
  printf("%-34s contrast %6.1f HU, background %6.1f HU, edge fall %.3f, rays' ratio %.3f, "
         "residual %.3f\n", what, m[0], m[1], m[2], m[3], m[4]);
  for (int j = 0; j < LT_REFIT_N_CT; j++) assert_true(isfinite(m[j]));
}

static void ct_measures_of_known_solids(void **state) {
  (void)state;
  double ball[LT_REFIT_N_CT], m[LT_REFIT_N_CT];
  solid s = {{5, 5, 5}, 0, 0, 0, 0};
  measure(&s, ball, "ball, 10 mm, 0 HU, sharp");
  assert_true(fabs(ball[1] + 850) < 1);   /* the lung around it */
  assert_true(fabs(ball[0] - 850) < 15);  /* 0 HU over -850 HU */
  assert_true(ball[3] > 0.93);            /* round */
  assert_true(ball[4] < 0.06);            /* on its ellipsoid */
  assert_true(ball[2] > 0.8);             /* the profile falls by most of the contrast in 2 mm */

  s.hu = -450;
  measure(&s, m, "ball, 10 mm, -450 HU");
  assert_true(fabs(m[0] - 400) < 15);

  s.hu = 0, s.blur_mm = 1.2;
  measure(&s, m, "ball, 10 mm, 0 HU, blurred 1.2 mm");
  assert_true(m[2] < 0.75 * ball[2]);

  s.blur_mm = 0, s.semi[0] = 3, s.semi[1] = 6, s.semi[2] = 6;
  double straight[LT_REFIT_N_CT];
  measure(&s, straight, "ellipsoid 6 x 12 x 12 mm");
  assert_true(fabs(straight[3] - 0.5) < 0.06);
  s.turn = 0.6;
  measure(&s, m, "the same turned by 0.6 rad");
  assert_true(fabs(m[3] - straight[3]) < 0.05);

  solid lobed = {{6, 6, 6}, 0, 0, 0, 0.2};
  measure(&lobed, m, "ball, 12 mm, three lobes of 20%");
  assert_true(m[4] > 3 * ball[4] && m[4] > 0.05);

  memset(seg, 0, sizeof seg); /* nothing segmented: the patch's centre, a 0.5 mm ball */
  lt_patch_ct_measures(m, lung, seg, S);
  for (int j = 0; j < LT_REFIT_N_CT; j++) assert_true(isfinite(m[j]));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(ct_measures_of_known_solids)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
