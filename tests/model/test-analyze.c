/* tests/model/test-analyze.c — one nodule through the model (analyze.h): outputs agree with
 * the model's own accessors, the upsampled map keeps the grid's values at cell centres, the
 * trust measures and Dice are those of the two masks. Tiny configuration, cpu backend. And the
 * rule that a nodule is too small for the trust check's grid (the scope's coarse_map). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review/analyze.h"
#include "model/metrics.h"

static void analysis_of_one_patch_is_consistent(void **state) {
  (void)state;
  lt_error err;
  lt_model_config c;
  assert_int_equal(lt_model_config_preset(&c, "tiny", &err), 0);
  lt_model *m;
  assert_int_equal(lt_model_create(&m, &c, lt_backend_get("cpu", &err), 1, false, &err), 0);
  lt_param_init(lt_model_table(m), lt_model_params(m), 8);
  const int S = c.input_size, F = S / 4;
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc(S3 * 2 * sizeof *x), *cons = calloc(S3, sizeof *cons);
  lt_rng r;
  lt_rng_seed(&r, 1);
  for (size_t i = 0; i < S3 * 2; i++) x[i] = (float)lt_rng_uniform(&r);
  for (int z = 4; z < 12; z++)
    for (int y = 4; y < 12; y++)
      for (int xx = 4; xx < 12; xx++) cons[((size_t)z * S + y) * S + xx] = 1;
  lt_analysis a;
  assert_int_equal(lt_analyze_patch(m, x, NULL, cons, &a, &err), 0);
  assert_true(a.prob > 0 && a.prob < 1);
  assert_int_equal(a.n_attr, 6);
  assert_false(a.cam_flat);
  float lo = 1, hi = 0;
  for (int n = 0; n < F * F * F; n++) {
    lo = fminf(lo, a.cam_grid[n]);
    hi = fmaxf(hi, a.cam_grid[n]);
  }
  assert_true(lo == 0.0f && hi == 1.0f);
  for (size_t v = 0; v < S3; v++) assert_true(a.cam[v] >= -1e-6f && a.cam[v] <= 1 + 1e-6f);
  /* Consensus = cells 1..2 of a 4^3 grid exactly: trust against it by hand. */
  double in = 0, out = 0, all = 0;
  for (int z = 0; z < F; z++)
    for (int y = 0; y < F; y++)
      for (int xx = 0; xx < F; xx++) {
        float v = a.cam_grid[(z * F + y) * F + xx];
        int inside = z >= 1 && z <= 2 && y >= 1 && y <= 2 && xx >= 1 && xx <= 2;
        *(inside ? &in : &out) += v;
        all += v;
      }
  assert_true(a.has_consensus);
  assert_true(fabs(a.trust_consensus.mean_in - in / 8) < 1e-6);
  assert_true(fabs(a.trust_consensus.mean_out - out / 56) < 1e-6);
  assert_true(fabs(a.trust_consensus.share_in - in / all) < 1e-6);
  assert_true(a.trust_consensus.pass == (in / 8 - out / 56 >= 0.5));
  assert_true(fabs(a.dice_consensus - lt_dice(a.seg, cons, S3, 0.5f)) < 1e-12);
  lt_analysis_free(&a);
  free(x);
  free(cons);
  lt_model_free(m);
}

/* The coarse-grid warning: under two cells of the trust check's grid, and only then. */
static void trust_grid_warning_under_two_cells(void **state) {
  (void)state;
  assert_float_equal(lt_trust_grid_cell_mm(8), 4.0, 1e-12);  /* the default model's 32^3 input */
  assert_float_equal(lt_trust_grid_cell_mm(16), 2.0, 1e-12); /* the 64^3 input */
  /* the rule the scope decision's coarse_map caution asks (engine/review/scope.h) */
  assert_true(lt_trust_grid_coarse(8, 7.9));
  assert_false(lt_trust_grid_coarse(8, 24.4)); /* LIDC-IDRI-0001's nodule */
  assert_false(lt_trust_grid_coarse(16, 5.0));
  assert_true(lt_trust_grid_coarse(16, 3.5));
  assert_false(lt_trust_grid_coarse(8, NAN));
  /* the window's question, the same rule */
  assert_true(lt_trust_grid_coarse(8, 5.0));
  assert_false(lt_trust_grid_coarse(8, 8.0));
  assert_false(lt_trust_grid_coarse(8, 0));
  assert_false(lt_trust_grid_coarse(0, 5.0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(analysis_of_one_patch_is_consistent),
      cmocka_unit_test(trust_grid_warning_under_two_cells),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
