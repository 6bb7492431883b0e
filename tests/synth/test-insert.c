/* tests/synth/test-insert.c — a nodule inserted into LIDC-IDRI-0001 has the asked size, solid HU
 * with texture and the study's noise, changes nothing outside its box, and a reader at threshold
 * 0.5 without jitter outlines the truth; the noise estimate recovers a known sd; placement refuses
 * when everything is kept out; shapes follow their attributes (elongation, spikes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-test.h"
#include "synth/case.h"
#include "synth/insert.h"
#include "synth/shape.h"

static void noise_estimate_recovers_a_known_sd(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(128, 128, 8);
  assert_non_null(v);
  lt_srng r;
  lt_srng_seed(&r, 9, 0);
  for (size_t q = 0; q < lt_geometry_count(&v->geom); q++) v->hu[q] = (int16_t)lround(40 + 20 * lt_srng_normal(&r));
  lt_scanner_model m;
  lt_error err;
  assert_int_equal(lt_scanner_estimate(v, &m, &err), 0);
  printf("noise estimate on N(40, 20^2): %.2f HU from %d blocks\n", m.noise_sd_hu, m.noise_blocks);
  assert_true(fabs(m.noise_sd_hu - 20) < 1.0); /* bias-corrected 20th percentile of block sds */
  /* Nothing uniform (all air): refused with a message. */
  for (size_t q = 0; q < lt_geometry_count(&v->geom); q++) v->hu[q] = LT_HU_AIR;
  assert_int_equal(lt_scanner_estimate(v, &m, &err), -1);
  assert_true(strstr(err.msg, "noise") != NULL);
  lt_volume_free(v);
}

static void shapes_follow_their_attributes(void **state) {
  (void)state;
  lt_srng r;
  lt_srng_seed(&r, 4, 0);
  lt_synth_attrs round = {{5, 5, 5, 1, 1, 3}, 10, -1}, linear = {{5, 1, 5, 1, 1, 3}, 10, -1};
  lt_synth_attrs spic = {{5, 5, 5, 1, 5, 3}, 10, -1};
  lt_nodule_shape a, b, c;
  lt_nodule_shape_make(&a, &round, &r);
  lt_nodule_shape_make(&b, &linear, &r);
  lt_nodule_shape_make(&c, &spic, &r);
  assert_true(fabs(a.semi[0] - 5) < 1e-9 && fabs(a.semi[2] - 5) < 1e-9);
  assert_true(fabs(b.semi[2] / b.semi[0] - 0.4) < 1e-9);
  assert_true(fabs(b.semi[0] * b.semi[1] * b.semi[2] - 125) < 1e-6); /* volume kept */
  assert_int_equal(a.n_spikes, 0);
  assert_true(c.n_spikes >= 12);
  /* Occupancy: 1 at the centre, 0.5 on the surface of the round one, 0 far out. */
  double o0[3] = {0, 0, 0}, on[3] = {5, 0, 0}, far[3] = {9, 0, 0};
  assert_true(lt_nodule_shape_occupancy(&a, o0, NULL) > 0.999);
  assert_true(fabs(lt_nodule_shape_occupancy(&a, on, NULL) - 0.5) < 1e-6);
  assert_true(lt_nodule_shape_occupancy(&a, far, NULL) < 1e-6);
  /* Along a spike, well beyond the body, the spiculated one is still occupied. */
  double tip[3];
  for (int d = 0; d < 3; d++) tip[d] = c.spike_dir[0][d] * (c.spike_base[0] + 0.3 * c.spike_len[0]);
  assert_true(lt_nodule_shape_occupancy(&c, tip, NULL) > 0.5);
}

static void inserted_nodule_has_size_hu_noise_and_stays_in_its_box(void **state) {
  (void)state;
  char dir[4096];
  if (!lt_test_data_path(dir, sizeof dir, "lidc/LIDC-IDRI-0001")) {
    printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 absent\n");
    skip();
  }
  lt_synth_study *st;
  lt_error err;
  assert_int_equal(lt_synth_study_load(dir, &st, &err), 0);
  printf("LIDC-IDRI-0001: noise %.2f HU (%d blocks), PSF sigma %.3f mm, %d real nodules kept clear\n",
         st->scanner.noise_sd_hu, st->scanner.noise_blocks, st->scanner.psf_sigma_mm, st->n_real_nodules);
  assert_true(st->scanner.noise_sd_hu > 5 && st->scanner.noise_sd_hu < 40);
  assert_true(st->has_real && fabs(st->real_diameter_mm - 23.1) < 2.0);
  const lt_geometry *g = &st->vol->geom;
  lt_srng r;
  lt_srng_seed(&r, 12, 0);
  lt_synth_attrs at = {{5, 5, 5, 1, 1, 3}, 12, -1};
  lt_nodule_shape s;
  lt_nodule_shape_make(&s, &at, &r);
  double c[3];
  assert_int_equal(lt_nodule_place(st->vol, st->lung, st->keepout, st->n_keepout, s.radius_mm, 10,
                                   g->dim[2] - 11, 4000, &r, c, &err), 0);
  size_t nvox = lt_geometry_count(g);
  lt_volume *v = lt_volume_new(g->dim[0], g->dim[1], g->dim[2]);
  assert_non_null(v);
  v->geom = *g;
  memcpy(v->hu, st->vol->hu, nvox * sizeof *v->hu);
  lt_box box;
  lt_nodule_box(g, &s, c, &box);
  uint8_t *truth = malloc(lt_box_count(&box));
  assert_non_null(truth);
  assert_int_equal(lt_nodule_insert(v, &s, c, &st->scanner, &r, &box, truth, &err), 0);
  long n = 0;
  for (size_t q = 0; q < lt_box_count(&box); q++) n += truth[q];
  double vol = n * g->spacing[0] * g->spacing[1] * g->spacing[2];
  double eqd = cbrt(6 * vol / M_PI);
  /* HU in the core (within 0.6 of the radius) and outside the box. */
  double sum = 0, sum2 = 0;
  long core = 0, changed_outside = 0;
  for (int k = 0; k < g->dim[2]; k++)
    for (int j = 0; j < g->dim[1]; j++)
      for (int i = 0; i < g->dim[0]; i++) {
        size_t idx = (size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * k);
        bool in_box = i >= box.lo[0] && i <= box.hi[0] && j >= box.lo[1] && j <= box.hi[1] &&
                      k >= box.lo[2] && k <= box.hi[2];
        if (!in_box) {
          changed_outside += v->hu[idx] != st->vol->hu[idx];
          continue;
        }
        double ijk[3] = {i, j, k}, p[3];
        lt_geometry_voxel_to_mm(g, ijk, p);
        double d2 = 0;
        for (int d = 0; d < 3; d++) d2 += (p[d] - c[d]) * (p[d] - c[d]);
        if (sqrt(d2) > 0.6 * 6) continue;
        sum += v->hu[idx];
        sum2 += (double)v->hu[idx] * v->hu[idx];
        core++;
      }
  double mean = sum / core, sd = sqrt(sum2 / core - mean * mean);
  printf("inserted 12 mm nodule: truth %ld voxels, equivalent diameter %.2f mm; core %ld voxels "
         "mean %.1f HU sd %.1f HU (core HU %.0f); %ld voxels changed outside its box\n",
         n, eqd, core, mean, sd, s.core_hu, changed_outside);
  assert_true(fabs(eqd - 12) < 0.6);
  assert_true(fabs(mean - s.core_hu) < 25);
  assert_true(sd > st->scanner.noise_sd_hu && sd < 80); /* texture + noise, not flat */
  assert_int_equal(changed_outside, 0);
  /* A reader at threshold 0.5 without jitter outlines the truth. */
  lt_reader_view view;
  memset(&view, 0, sizeof view);
  view.seen = true;
  view.threshold = 0.5;
  uint8_t *rm = malloc(lt_box_count(&box));
  assert_non_null(rm);
  long nr = lt_nodule_reader_mask(g, &s, c, &view, &box, rm);
  long inter = 0;
  for (size_t q = 0; q < lt_box_count(&box); q++) inter += rm[q] && truth[q];
  assert_true(2.0 * inter / (double)(n + nr) > 0.99);
  /* Nowhere to go: everything kept out. */
  lt_mm_box all = {{-1e6, -1e6, -1e6}, {1e6, 1e6, 1e6}};
  assert_int_equal(lt_nodule_place(st->vol, st->lung, &all, 1, s.radius_mm, 0, g->dim[2] - 1, 200,
                                   &r, c, &err), -1);
  assert_true(strstr(err.msg, "no place") != NULL);
  free(rm);
  free(truth);
  lt_volume_free(v);
  lt_synth_study_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(noise_estimate_recovers_a_known_sd),
      cmocka_unit_test(shapes_follow_their_attributes),
      cmocka_unit_test(inserted_nodule_has_size_hu_noise_and_stays_in_its_box),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
