/* tests/ct/test-patch.c — the 2x64^3 patch and the mask patch (patch.h): the centre convention,
 * the two windows, a sphere placed at the centre (also with anisotropic spacing), outside points
 * refused, outside voxels air, clicks outside the lungs refused; on LIDC-IDRI-0001 the patch
 * centred on the nodule has the nodule at its centre. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "ct/lungmask.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "lt-test.h"
#include "synth-chest.h"

static size_t pidx(int i, int j, int k) { return (size_t)i + 64 * ((size_t)j + 64 * (size_t)k); }

/* Centroid (patch voxel index) of the voxels where sel is set. */
static double centroid(const uint8_t *sel, double c[3]) {
  double s[3] = {0, 0, 0}, n = 0;
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 64; j++)
      for (int i = 0; i < 64; i++)
        if (sel[pidx(i, j, k)]) {
          s[0] += i;
          s[1] += j;
          s[2] += k;
          n++;
        }
  for (int a = 0; a < 3; a++) c[a] = n > 0 ? s[a] / n : NAN;
  return n;
}

static void patch_geometry_centre_between_voxels_31_and_32(void **state) {
  (void)state;
  lt_geometry vol;
  lt_geometry_init(&vol, 100, 100, 50);
  double c = cos(0.4), s = sin(0.4);
  double dir[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
  memcpy(vol.dir, dir, sizeof dir);
  const double centre[3] = {12.5, -40.25, -116.0};
  lt_geometry g;
  lt_patch_geometry(&g, &vol, centre);
  double mid[3] = {31.5, 31.5, 31.5}, p[3];
  lt_geometry_voxel_to_mm(&g, mid, p);
  for (int a = 0; a < 3; a++) {
    assert_float_equal(p[a], centre[a], 1e-9);
    assert_float_equal(g.spacing[a], 0.5, 0);
    assert_int_equal(g.dim[a], 64);
  }
  for (int q = 0; q < 9; q++) assert_float_equal(g.dir[q], dir[q], 0);
  /* Voxel 0 and voxel 63 lie 15.75 mm either side of the centre along each axis. */
  double v0[3] = {0, 31.5, 31.5};
  lt_geometry_voxel_to_mm(&g, v0, p);
  double d = sqrt((p[0] - centre[0]) * (p[0] - centre[0]) + (p[1] - centre[1]) * (p[1] - centre[1]) +
                  (p[2] - centre[2]) * (p[2] - centre[2]));
  assert_float_equal(d, 15.75, 1e-9);
}

static void patch_windows_scale_and_clamp(void **state) {
  (void)state;
  const int hu[5] = {-1024, -1000, -160, 40, 400};
  const float want0[5] = {0, 0, 840.0f / 1400, 1040.0f / 1400, 1};
  const float want1[5] = {0, 0, 0, 0.5f, 1};
  lt_volume *v = lt_volume_new(40, 40, 40);
  assert_non_null(v);
  lt_patch *p = malloc(sizeof *p);
  const double c[3] = {20, 20, 20};
  lt_error err = {{0}};
  for (int t = 0; t < 5; t++) {
    for (size_t q = 0; q < 64000; q++) v->hu[q] = (int16_t)hu[t];
    assert_int_equal(lt_patch_extract(p, v, c, &err), 0);
    /* A constant volume is constant inside; the patch (32 mm) is within the 40 mm volume. */
    for (int q = 0; q < LT_PATCH_VOXELS; q += 997) {
      assert_float_equal(p->ch[0][q], want0[t], 1e-5);
      assert_float_equal(p->ch[1][q], want1[t], 1e-5);
    }
  }
  free(p);
  lt_volume_free(v);
}

/* A sphere of 60 HU, radius r mm, centre cm in -850 HU lung; its mask in m. */
static void make_sphere(lt_volume *v, uint8_t *m, const double cm[3], double r) {
  const lt_geometry *g = &v->geom;
  for (int k = 0; k < g->dim[2]; k++)
    for (int j = 0; j < g->dim[1]; j++)
      for (int i = 0; i < g->dim[0]; i++) {
        double ijk[3] = {i, j, k}, p[3];
        lt_geometry_voxel_to_mm(g, ijk, p);
        double d2 = 0;
        for (int a = 0; a < 3; a++) d2 += (p[a] - cm[a]) * (p[a] - cm[a]);
        size_t q = (size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * k);
        m[q] = d2 <= r * r;
        v->hu[q] = m[q] ? 60 : -850;
      }
}

static void patch_sphere_lands_at_centre_anisotropic(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(96, 96, 30);
  assert_non_null(v);
  v->geom.spacing[0] = v->geom.spacing[1] = 0.703125;
  v->geom.spacing[2] = 2.5;
  v->geom.origin[0] = -20;
  v->geom.origin[1] = 15;
  v->geom.origin[2] = -150;
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  const double cm[3] = {14.3, 47.9, -113.2}; /* not on a voxel centre */
  make_sphere(v, m, cm, 8.0);
  lt_patch *p = malloc(sizeof *p);
  lt_error err = {{0}};
  assert_int_equal(lt_patch_extract(p, v, cm, &err), 0);
  uint8_t *sel = malloc(LT_PATCH_VOXELS), *mp = malloc(LT_PATCH_VOXELS);
  /* Soft tissue: mediastinal window above the midpoint between -850 and 60 HU. */
  for (int q = 0; q < LT_PATCH_VOXELS; q++) sel[q] = p->ch[0][q] > (float)((-395.0 + 1000) / 1400);
  double c[3];
  double n = centroid(sel, c);
  print_message("sphere r 8 mm: %.0f bright patch voxels (analytic %.0f), centroid %.3f %.3f %.3f\n",
                n, 4.0 / 3.0 * M_PI * 512 / 0.125, c[0], c[1], c[2]);
  for (int a = 0; a < 3; a++) assert_true(fabs(c[a] - 31.5) < 0.5); /* 0.25 mm */
  assert_true(fabs(n - 4.0 / 3.0 * M_PI * 512 / 0.125) < 0.1 * 4.0 / 3.0 * M_PI * 512 / 0.125);
  /* The centre voxels are in the soft-tissue range. */
  assert_true(p->ch[1][pidx(31, 31, 31)] > 0.4f && p->ch[1][pidx(32, 32, 32)] > 0.4f);
  long cnt = lt_patch_mask(mp, &p->geom, m, &v->geom, &err);
  assert_true(cnt > 0);
  centroid(mp, c);
  for (int a = 0; a < 3; a++) assert_true(fabs(c[a] - 31.5) < 1.0);
  /* Trilinear-then-0.5 mask: volume within 15% of the sphere's (z steps of 2.5 mm). */
  assert_true(fabs((double)cnt - 4.0 / 3.0 * M_PI * 512 / 0.125) < 0.15 * 4.0 / 3.0 * M_PI * 512 / 0.125);
  free(sel);
  free(mp);
  free(p);
  free(m);
  lt_volume_free(v);
}

static void patch_outside_volume_refused_and_air_beyond_edge(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(50, 50, 50);
  assert_non_null(v);
  for (size_t q = 0; q < 125000; q++) v->hu[q] = 0;
  lt_patch *p = malloc(sizeof *p);
  lt_error err = {{0}};
  const double far[3] = {80, 10, 10};
  assert_int_equal(lt_patch_extract(p, v, far, &err), -1);
  assert_non_null(strstr(err.msg, "outside the volume"));
  /* At the corner voxel: voxels past the volume's footprint (index < -0.5) are air. */
  const double corner[3] = {0, 0, 0};
  assert_int_equal(lt_patch_extract(p, v, corner, &err), 0);
  /* Patch voxel i lies at -15.75 + 0.5 i mm: i <= 30 is below -0.5 mm. */
  assert_float_equal(p->ch[1][pidx(10, 40, 40)], 0.0, 0);               /* air */
  assert_float_equal(p->ch[1][pidx(40, 40, 40)], 160.0 / 400.0, 1e-5);  /* 0 HU */
  assert_float_equal(p->ch[1][pidx(30, 40, 40)], 0.0, 0);
  assert_float_equal(p->ch[1][pidx(31, 40, 40)], 160.0 / 400.0, 1e-5);
  free(p);
  lt_volume_free(v);
}

static void patch_refuses_points_outside_lungs(void **state) {
  (void)state;
  lt_synth_chest d;
  lt_volume *v = lt_synth_chest_new(&d, true, false);
  assert_non_null(v);
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  lt_error err = {{0}};
  assert_int_equal(lt_lung_mask(v, m, NULL, &err), 0);
  const double in_lung[3] = {50, 10, 0}, nodule[3] = {-80, 0, 10}, heart[3] = {0, 0, 0};
  assert_int_equal(lt_patch_check_in_lung(&v->geom, m, in_lung, &err), 0);
  assert_int_equal(lt_patch_check_in_lung(&v->geom, m, nodule, &err), 0);
  assert_int_equal(lt_patch_check_in_lung(&v->geom, m, heart, &err), -1);
  assert_non_null(strstr(err.msg, "outside the lungs"));
  const double away[3] = {0, 0, 500};
  assert_int_equal(lt_patch_check_in_lung(&v->geom, m, away, &err), -1);
  assert_non_null(strstr(err.msg, "outside the volume"));
  free(m);
  lt_volume_free(v);
}

static void patch_lidc0001_nodule_at_centre(void **state) {
  (void)state;
  char dir[4096];
  assert_non_null(lt_test_lidc0001_dir(dir, sizeof dir));
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(dir, NULL, &v, NULL, &err), 0);
  lt_lidc_doc *doc = NULL;
  assert_int_equal(lt_lidc_read_for_series(dir, v->series_uid, &doc, &err), 0);
  lt_nodule_set *set = NULL;
  assert_int_equal(lt_nodules_build(doc, v, NULL, &set, &err), 0);
  const lt_nodule *nod = lt_nodule_set_find(set, "1");
  assert_non_null(nod);
  assert_int_equal(nod->n_readers, 4);
  /* The centroid the README gives: about x 56.2, y 86.2, z -116. */
  assert_true(fabs(nod->centroid_mm[0] - 56.2) < 2 && fabs(nod->centroid_mm[1] - 86.2) < 2 &&
              fabs(nod->centroid_mm[2] + 116) < 3);
  size_t n = lt_geometry_count(&v->geom);
  uint8_t *full = malloc(n);
  lt_nodule_rasterise(nod, -1, &v->geom, full);
  lt_patch *p = malloc(sizeof *p);
  assert_int_equal(lt_patch_extract(p, v, nod->centroid_mm, &err), 0);
  uint8_t *mp = malloc(LT_PATCH_VOXELS);
  long cnt = lt_patch_mask(mp, &p->geom, full, &v->geom, &err);
  double c[3];
  centroid(mp, c);
  print_message("LIDC-IDRI-0001 nodule 1 at (%.1f, %.1f, %.1f) mm: mask patch %ld voxels "
                "(%.0f mm^3; consensus %.0f mm^3), centroid %.2f %.2f %.2f; centre HU window "
                "values %.3f %.3f\n",
                nod->centroid_mm[0], nod->centroid_mm[1], nod->centroid_mm[2], cnt, cnt * 0.125,
                nod->volume_mm3, c[0], c[1], c[2], p->ch[1][pidx(31, 31, 31)],
                p->ch[1][pidx(32, 32, 32)]);
  /* Within 1 mm (2 patch voxels) of the centre on every axis. */
  for (int a = 0; a < 3; a++) assert_true(fabs(c[a] - 31.5) < 2.0);
  /* The nodule is larger than the patch (31-36 mm long axis), so part is cut; still most. */
  assert_true(cnt * 0.125 > 0.6 * nod->volume_mm3);
  /* Centre voxels in the soft-tissue range: mean HU over the central 4^3 above -300. */
  double hu = 0;
  for (int k = 30; k < 34; k++)
    for (int j = 30; j < 34; j++)
      for (int i = 30; i < 34; i++) hu += (-1000.0 + 1400.0 * p->ch[0][pidx(i, j, k)]) / 64.0;
  print_message("mean HU of the central 4^3 voxels: %.0f\n", hu);
  assert_true(hu > -300 && hu < 200);
  free(mp);
  free(p);
  free(full);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* No argument: the tests on made-up data. "lidc0001": those on LIDC-IDRI-0001 (exit 77 when
 * ../shared/data is absent). */
int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "lidc0001")) {
    char dir[4096];
    if (!lt_test_lidc0001_dir(dir, sizeof dir)) {
      printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 is absent (set LT_SHARED_DATA)\n");
      return LT_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patch_lidc0001_nodule_at_centre),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(patch_geometry_centre_between_voxels_31_and_32),
      cmocka_unit_test(patch_windows_scale_and_clamp),
      cmocka_unit_test(patch_sphere_lands_at_centre_anisotropic),
      cmocka_unit_test(patch_outside_volume_refused_and_air_beyond_edge),
      cmocka_unit_test(patch_refuses_points_outside_lungs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
