/* tests/ct/test-lungmask.c — the lung mask (lungmask.h): on a synthetic chest both lungs are
 * found with their analytic volumes, vessels inside are kept, a nodule touching the pleura ends
 * up inside (and would not without the closing), joined lungs are one component; on
 * LIDC-IDRI-0001 both lungs are found with an adult volume, fast, and the nodule's consensus
 * mask lies inside the lung mask. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "ct/lungmask.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-test.h"
#include "synth-chest.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Counts over the synthetic chest: voxels of the analytic lungs (and of the nodule within the
 * lungs' envelope) inside the mask. */
typedef struct {
  long lung, lung_in, nodule, nodule_in, deep, deep_in, outside_in;
} chest_counts;

/* Inside the lung ellipsoids shrunk by `depth` mm. */
static bool in_lung_depth(const lt_synth_chest *d, const double p[3], double depth) {
  for (int l = 0; l < 2; l++) {
    double s = 0;
    for (int a = 0; a < 3; a++) {
      double t = (p[a] - d->lung_c[l][a]) / (d->lung_r[a] - depth);
      s += t * t;
    }
    if (s <= 1.0) return true;
  }
  return false;
}

static chest_counts count_chest(const lt_volume *v, const lt_synth_chest *d, const uint8_t *m) {
  chest_counts c = {0, 0, 0, 0, 0, 0, 0};
  const lt_geometry *g = &v->geom;
  for (int k = 0; k < g->dim[2]; k++)
    for (int j = 0; j < g->dim[1]; j++)
      for (int i = 0; i < g->dim[0]; i++) {
        double ijk[3] = {i, j, k}, p[3];
        lt_geometry_voxel_to_mm(g, ijk, p);
        size_t q = (size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * k);
        bool lung = lt_synth_in_lung(d, p), nod = lt_synth_in_nodule(d, p);
        if (lung) {
          c.lung++;
          c.lung_in += m[q] != 0;
        }
        /* The nodule's part within the lung's envelope (the rest lies in the chest wall). */
        if (nod && lung) {
          c.nodule++;
          c.nodule_in += m[q] != 0;
        }
        if (nod && in_lung_depth(d, p, 2.0)) {
          c.deep++;
          c.deep_in += m[q] != 0;
        }
        /* Far from both lungs (more than 16 mm beyond their surface, scaled): must be out. */
        bool near = false;
        for (int l = 0; l < 2; l++) {
          double s = 0;
          for (int a = 0; a < 3; a++) {
            double t = (p[a] - d->lung_c[l][a]) / (d->lung_r[a] + 16.0);
            s += t * t;
          }
          if (s <= 1.0) near = true;
        }
        if (!near && !nod) c.outside_in += m[q] != 0;
      }
  return c;
}

static void lungmask_synthetic_two_lungs_and_vessels(void **state) {
  (void)state;
  lt_synth_chest d;
  lt_volume *v = lt_synth_chest_new(&d, false, false);
  assert_non_null(v);
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  lt_lung_mask_info info;
  lt_error err = {{0}};
  assert_int_equal(lt_lung_mask(v, m, &info, &err), 0);
  assert_int_equal(info.components, 2);
  double each = 4.0 / 3.0 * M_PI * 35 * 55 * 90 / 1e6; /* litres */
  print_message("synthetic: right %.3f L, left %.3f L (analytic %.3f L each)\n", info.right_l,
                info.left_l, each);
  assert_true(fabs(info.right_l - each) < 0.05 * each);
  assert_true(fabs(info.left_l - each) < 0.05 * each);
  assert_true(fabs(info.split_x_mm) < 1.0);
  chest_counts c = count_chest(v, &d, m);
  /* Every lung voxel is in, vessels (40 HU holes) included. */
  assert_true(c.lung_in >= (long)(0.995 * (double)c.lung));
  assert_int_equal(c.outside_in, 0);
  /* The mediastinum between the lungs (x = 0) is out. */
  for (int k = 10; k < 50; k++) assert_int_equal(m[79 + 160 * (80 + 160 * k)], 0);
  free(m);
  lt_volume_free(v);
}

static void lungmask_keeps_juxtapleural_nodule(void **state) {
  (void)state;
  lt_synth_chest d;
  lt_volume *v = lt_synth_chest_new(&d, true, false);
  assert_non_null(v);
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  lt_lung_mask_info info;
  lt_error err = {{0}};
  assert_int_equal(lt_lung_mask(v, m, &info, &err), 0);
  chest_counts c = count_chest(v, &d, m);
  double frac = (double)c.nodule_in / (double)c.nodule;
  /* Without the closing the same nodule is mostly left out: the closing is what keeps it. */
  lt_lung_mask_opts o;
  lt_lung_mask_opts_default(&o);
  o.closing_mm = 0;
  assert_int_equal(lt_lung_mask_opt(v, &o, m, NULL, &err), 0);
  chest_counts c0 = count_chest(v, &d, m);
  double frac0 = (double)c0.nodule_in / (double)c0.nodule;
  double deep = (double)c.deep_in / (double)c.deep;
  print_message("juxtapleural nodule (r 7 mm, %ld voxels within the lung's envelope): %.1f%% "
                "inside the mask with the closing (%.1f%% of those over 2 mm from the pleura), "
                "%.1f%% without\n", c.nodule, 100 * frac, 100 * deep, 100 * frac0);
  /* The closing's disk (2D, per slice) still dips about one voxel into a dent as wide as the
   * nodule, so a sliver at the pleura stays out; everything deeper is in. */
  assert_true(deep >= 0.99);
  assert_true(frac >= 0.8);
  assert_true(frac0 < 0.2);
  assert_int_equal(c.outside_in, 0);
  free(m);
  lt_volume_free(v);
}

static void lungmask_joined_lungs_one_component(void **state) {
  (void)state;
  lt_synth_chest d;
  lt_volume *v = lt_synth_chest_new(&d, false, true);
  assert_non_null(v);
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  lt_lung_mask_info info;
  lt_error err = {{0}};
  assert_int_equal(lt_lung_mask(v, m, &info, &err), 0);
  assert_int_equal(info.components, 1);
  double each = 4.0 / 3.0 * M_PI * 35 * 55 * 90 / 1e6;
  assert_true(fabs(info.right_l - each) < 0.08 * each);
  assert_true(fabs(info.left_l - each) < 0.08 * each);
  chest_counts c = count_chest(v, &d, m);
  assert_true(c.lung_in >= (long)(0.995 * (double)c.lung));
  free(m);
  lt_volume_free(v);
}

static void lungmask_refuses_volume_without_lungs(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(64, 64, 16);
  assert_non_null(v);
  for (size_t q = 0; q < lt_geometry_count(&v->geom); q++) v->hu[q] = 30; /* all tissue */
  uint8_t *m = malloc(lt_geometry_count(&v->geom));
  lt_error err = {{0}};
  assert_int_equal(lt_lung_mask(v, m, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "no lungs found"));
  free(m);
  lt_volume_free(v);
}

static void lungmask_lidc0001_adult_lungs_and_nodule_inside(void **state) {
  (void)state;
  char dir[4096];
  assert_non_null(lt_test_lidc0001_dir(dir, sizeof dir));
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(dir, NULL, &v, NULL, &err), 0);
  size_t n = lt_geometry_count(&v->geom);
  uint8_t *m = malloc(n);
  lt_lung_mask_info info;
  double best = 1e9;
  for (int r = 0; r < 3; r++) {
    double t0 = now_s();
    assert_int_equal(lt_lung_mask(v, m, &info, &err), 0);
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  print_message("LIDC-IDRI-0001: %d component(s), right %.2f L, left %.2f L, total %.2f L, "
                "best of 3: %.3f s\n", info.components, info.right_l, info.left_l, info.total_l,
                best);
  assert_true(info.total_l > 3.0 && info.total_l < 8.0);
  assert_true(info.right_l > 1.0 && info.left_l > 1.0);
  /* Not a timed test: the time is printed (0.4-0.8 s on the shared 2-core machine). */
  /* The nodule's centre (x 56.2, y 86.2, z -116 mm; about column 318, row 365). */
  double c[3] = {56.2, 86.2, -116}, ijk[3];
  lt_geometry_mm_to_voxel(&v->geom, c, ijk);
  size_t qc = (size_t)lround(ijk[0]) +
              (size_t)v->geom.dim[0] * ((size_t)lround(ijk[1]) + (size_t)v->geom.dim[1] * lround(ijk[2]));
  assert_true(fabs(ijk[0] - 318) < 8 && fabs(ijk[1] - 365) < 8);
  assert_int_equal(m[qc], 1);
  /* Its whole consensus mask. */
  lt_lidc_doc *doc = NULL;
  assert_int_equal(lt_lidc_read_for_series(dir, v->series_uid, &doc, &err), 0);
  assert_non_null(doc);
  lt_nodule_set *set = NULL;
  assert_int_equal(lt_nodules_build(doc, v, NULL, &set, &err), 0);
  const lt_nodule *nod = NULL;
  for (int q = 0; q < set->n_nodules; q++)
    if (set->nodules[q].large && set->nodules[q].n_readers == 4) nod = &set->nodules[q];
  assert_non_null(nod);
  uint8_t *full = malloc(n);
  size_t cnt = lt_nodule_rasterise(nod, -1, &v->geom, full);
  size_t in = 0;
  for (size_t q = 0; q < n; q++) in += full[q] && m[q];
  double frac = (double)in / (double)cnt;
  /* With the closing disabled: how much of the nodule the plain threshold mask holds (is it
   * juxtapleural?). */
  lt_lung_mask_opts o;
  lt_lung_mask_opts_default(&o);
  o.closing_mm = 0;
  assert_int_equal(lt_lung_mask_opt(v, &o, m, NULL, &err), 0);
  size_t in0 = 0;
  for (size_t q = 0; q < n; q++) in0 += full[q] && m[q];
  print_message("LIDC-IDRI-0001 nodule %s: %zu consensus voxels, %.1f%% inside the lung mask "
                "(%.1f%% without the closing)\n", nod->id, cnt, 100.0 * frac,
                100.0 * (double)in0 / (double)cnt);
  assert_true(frac >= 0.99);
  free(full);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  free(m);
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
        cmocka_unit_test(lungmask_lidc0001_adult_lungs_and_nodule_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lungmask_synthetic_two_lungs_and_vessels),
      cmocka_unit_test(lungmask_keeps_juxtapleural_nodule),
      cmocka_unit_test(lungmask_joined_lungs_one_component),
      cmocka_unit_test(lungmask_refuses_volume_without_lungs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
