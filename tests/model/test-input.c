/* tests/model/test-input.c — the model's input from the patch (model/input.h): the pooled
 * windows, the fovea's central crop, the refusals, and that the cube's symmetries act on the
 * fovea as on the whole field (so augmentation keeps the channels aligned). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "train/augment.h"
#include "model/config.h"
#include "model/input.h"
#include "model/params.h"

#define N LT_PATCH_N
#define V LT_PATCH_VOXELS

static size_t at(int x, int y, int z) { return (size_t)x + N * ((size_t)y + N * (size_t)z); }

/* Two windows of distinct values: lung = a function of the voxel, mediastinal another. */
static void fill(float *lung, float *med) {
  lt_rng r;
  lt_rng_seed(&r, 7);
  for (size_t v = 0; v < V; v++) {
    lung[v] = (float)lt_rng_uniform(&r);
    med[v] = (float)lt_rng_uniform(&r);
  }
}

static void fovea_is_the_central_half_at_twice_the_resolution(void **state) {
  (void)state;
  float *lung = malloc(V * sizeof *lung), *med = malloc(V * sizeof *med);
  assert_non_null(lung);
  assert_non_null(med);
  fill(lung, med);
  enum { S = 32 };
  float *x = malloc((size_t)S * S * S * 4 * sizeof *x);
  assert_non_null(x);
  lt_model_input_make(x, S, 4, lung, med);
  for (int z = 0; z < S; z += 3)
    for (int y = 0; y < S; y += 5)
      for (int xx = 0; xx < S; xx++) {
        const size_t o = ((size_t)z * S + (size_t)y) * S + (size_t)xx;
        /* channels 0-1: the mean of the 2^3 block at (2x, 2y, 2z) */
        double a = 0, b = 0;
        for (int d = 0; d < 8; d++) {
          const size_t v = at(2 * xx + (d & 1), 2 * y + (d >> 1 & 1), 2 * z + (d >> 2));
          a += lung[v];
          b += med[v];
        }
        assert_float_equal(x[4 * o], a / 8, 1e-6);
        assert_float_equal(x[4 * o + 1], b / 8, 1e-6);
        /* channels 2-3: voxel (16 + x, 16 + y, 16 + z) itself, 0.5 mm */
        assert_true(x[4 * o + 2] == lung[at(16 + xx, 16 + y, 16 + z)]);
        assert_true(x[4 * o + 3] == med[at(16 + xx, 16 + y, 16 + z)]);
      }
  /* Two channels: exactly channels 0-1 of the four. */
  float *x2 = malloc((size_t)S * S * S * 2 * sizeof *x2);
  assert_non_null(x2);
  lt_model_input_make(x2, S, 2, lung, med);
  for (size_t o = 0; o < (size_t)S * S * S; o++) {
    assert_true(x2[2 * o] == x[4 * o]);
    assert_true(x2[2 * o + 1] == x[4 * o + 1]);
  }
  /* At side 16 the fovea is the central 32^3 averaged by 2^3 (1 mm against 2 mm). */
  enum { T = 16 };
  float *x16 = malloc((size_t)T * T * T * 4 * sizeof *x16);
  assert_non_null(x16);
  lt_model_input_make(x16, T, 4, lung, med);
  const int zz = 5, yy = 11, xs = 13;
  double a = 0;
  for (int d = 0; d < 8; d++) a += lung[at(16 + 2 * xs + (d & 1), 16 + 2 * yy + (d >> 1 & 1), 16 + 2 * zz + (d >> 2))];
  assert_float_equal(x16[4 * (((size_t)zz * T + yy) * T + xs) + 2], a / 8, 1e-6);
  free(x16);
  free(x2);
  free(x);
  free(lung);
  free(med);
}

/* Augmenting the patch and then making the input = making the input and then augmenting it:
 * both fields share the patch's centre, so each symmetry maps the fovea onto itself. */
static void cube_symmetries_commute_with_the_fovea(void **state) {
  (void)state;
  enum { S = 16, C = 4 };
  float *lung = malloc(V * sizeof *lung), *med = malloc(V * sizeof *med);
  float *la = malloc(V * sizeof *la), *ma = malloc(V * sizeof *ma);
  float *x = malloc((size_t)S * S * S * C * sizeof *x), *xa = malloc((size_t)S * S * S * C * sizeof *xa),
        *y = malloc((size_t)S * S * S * C * sizeof *y);
  assert_true(lung && med && la && ma && x && xa && y);
  fill(lung, med);
  lt_model_input_make(x, S, C, lung, med);
  for (int k = 0; k < 48; k += 5) {
    lt_augment a;
    lt_augment_nth(&a, k);
    lt_augment_apply(&a, la, lung, N, 1);
    lt_augment_apply(&a, ma, med, N, 1);
    lt_model_input_make(y, S, C, la, ma);
    lt_augment_apply(&a, xa, x, S, C);
    for (size_t i = 0; i < (size_t)S * S * S * C; i++) assert_float_equal(xa[i], y[i], 1e-6);
  }
  free(lung), free(med), free(la), free(ma), free(x), free(xa), free(y);
}

static void mask_pools_onto_the_whole_field(void **state) {
  (void)state;
  uint8_t *mask = calloc(V, 1);
  assert_non_null(mask);
  /* a 4x4x4 block at (8..11): at side 16 exactly cell (2, 2, 2) */
  for (int z = 8; z < 12; z++)
    for (int y = 8; y < 12; y++)
      for (int x = 8; x < 12; x++) mask[at(x, y, z)] = 255;
  float m[16 * 16 * 16];
  lt_model_input_mask(m, 16, mask);
  for (int i = 0; i < 16 * 16 * 16; i++) assert_true(m[i] == (i == (2 * 16 + 2) * 16 + 2 ? 1.0f : 0.0f));
  /* the bit-packed form (the data set's files) pools the same: a random mask, half blocks too */
  uint8_t *bits = calloc(V / 8, 1);
  assert_non_null(bits);
  srand(7);
  for (size_t v = 0; v < V; v++) {
    mask[v] = rand() % 2 ? 255 : 0;
    if (mask[v]) bits[v >> 3] |= (uint8_t)(1u << (v & 7));
  }
  static const int sides[3] = {64, 32, 16};
  static float a[64 * 64 * 64], b[64 * 64 * 64];
  for (int s = 0; s < 3; s++) {
    const int n = sides[s] * sides[s] * sides[s];
    lt_model_input_mask(a, sides[s], mask);
    lt_model_input_mask_bits(b, sides[s], bits);
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
  }
  free(bits);
  free(mask);
}

static void refusals(void **state) {
  (void)state;
  lt_error err = {{0}};
  assert_int_equal(lt_model_input_check(32, 2, &err), 0);
  assert_int_equal(lt_model_input_check(64, 2, &err), 0);
  assert_int_equal(lt_model_input_check(32, 4, &err), 0);
  assert_int_equal(lt_model_input_check(16, 4, &err), 0);
  assert_int_equal(lt_model_input_check(64, 4, &err), -1);
  assert_non_null(strstr(err.msg, "fovea"));
  assert_int_equal(lt_model_input_check(32, 3, &err), -1);
  assert_int_equal(lt_model_input_check(24, 2, &err), -1);
  lt_model_config c;
  lt_model_config_default(&c);
  c.in_channels = 4; /* the default input is 64^3: no room for a finer fovea */
  assert_int_equal(lt_model_config_validate(&c, &err), -1);
  assert_non_null(strstr(err.msg, "fovea"));
  c.input_size = 32;
  assert_int_equal(lt_model_config_validate(&c, &err), 0);
  c.in_channels = 3;
  assert_int_equal(lt_model_config_validate(&c, &err), -1);
  /* 4 channels survive the JSON of the weights' metadata */
  c.in_channels = 4;
  char *j = lt_model_config_to_json(&c);
  assert_non_null(j);
  lt_model_config back;
  assert_int_equal(lt_model_config_from_json(&back, j, &err), 0);
  assert_int_equal(back.in_channels, 4);
  free(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fovea_is_the_central_half_at_twice_the_resolution),
      cmocka_unit_test(cube_symmetries_commute_with_the_fovea),
      cmocka_unit_test(mask_pools_onto_the_whole_field),
      cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
