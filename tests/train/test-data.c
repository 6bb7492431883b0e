/* tests/train/test-data.c — data set files, augmentation and patient folds: patch files round
 * trip within the 16-bit quantisation, damaged files are refused, pooling to the model's side,
 * every cube symmetry is a permutation applied alike to patch and mask, folds never split a
 * patient. */
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

#include "lt-test.h"
#include "train/augment.h"
#include "train/dataset.h"
#include "train/trainer.h"

#define V (64 * 64 * 64)

static void patch_files_round_trip_and_refuse_damage(void **state) {
  (void)state;
  char dir[512];
  assert_non_null(lt_test_tmpdir(dir, sizeof dir));
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_init(&ds, dir, &err), 0);
  float *ch = malloc(2 * V * sizeof *ch);
  uint8_t *mask = calloc(V, 1);
  for (int v = 0; v < 2 * V; v++)
    ch[v] = (float)(((long)v * 7919) % 1000) / 999.0f;
  for (int v = 0; v < V; v++)
    mask[v] = (v % 64) < 32;
  lt_sample s;
  memset(&s, 0, sizeof s);
  strcpy(s.id, "a-1");
  strcpy(s.patient, "p1");
  s.has_label = true;
  s.label = 1;
  s.has_ratings = true;
  for (int k = 0; k < 6; k++)
    s.ratings[k] = 1.5f + (float)k * 0.5f;
  assert_int_equal(lt_dataset_add(&ds, &s, ch, mask, &err), 0);
  strcpy(s.id, "../x");
  assert_int_equal(lt_dataset_add(&ds, &s, ch, NULL, &err), -1);
  strcpy(s.id, "a-1");
  assert_int_equal(lt_dataset_add(&ds, &s, ch, NULL, &err), -1);
  assert_int_equal(lt_dataset_save(&ds, &err), 0);
  lt_dataset_free(&ds);

  assert_int_equal(lt_dataset_load(&ds, dir, &err), 0);
  assert_int_equal(ds.n, 1);
  assert_true(ds.s[0].has_mask && ds.s[0].has_label && ds.s[0].label == 1);
  assert_true(fabsf(ds.s[0].ratings[5] - 4.0f) < 1e-6f);
  float *x = malloc(2 * V * sizeof *x), *m = malloc(V * sizeof *m);
  assert_int_equal(lt_dataset_read_input(&ds, 0, 64, 2, x, m, NULL, &err), 0);
  double worst = 0;
  for (int v = 0; v < V; v++)
    for (int c = 0; c < 2; c++)
      worst = fmax(worst, fabs(x[2 * v + c] - ch[c * V + v]));
  printf("patch round trip: worst error %.2e\n", worst);
  assert_true(worst <= 8e-6);
  for (int v = 0; v < V; v++)
    assert_true(m[v] == (float)mask[v]);
  /* Pooling to 16: means of 4^3 blocks; the mask's left half stays the left half. */
  assert_int_equal(lt_dataset_read_input(&ds, 0, 16, 2, x, m, NULL, &err), 0);
  double acc = 0;
  for (int z = 0; z < 4; z++)
    for (int y = 0; y < 4; y++)
      for (int xx = 0; xx < 4; xx++)
        acc += ch[(z * 64 + y) * 64 + xx];
  assert_true(fabs(x[0] - acc / 64) < 1e-5);
  assert_true(m[0] == 1.0f && m[7] == 1.0f && m[8] == 0.0f);
  assert_int_equal(lt_dataset_read_input(&ds, 0, 24, 2, x, m, NULL, &err), -1);

  /* Damage: one flipped byte, then a truncation. */
  char p[700];
  snprintf(p, sizeof p, "%s/%s", dir, ds.s[0].patch_file);
  FILE *f = fopen(p, "r+b");
  fseek(f, 5000, SEEK_SET);
  int b = fgetc(f);
  fseek(f, 5000, SEEK_SET);
  fputc(b ^ 0x40, f);
  fclose(f);
  assert_int_equal(lt_dataset_read_input(&ds, 0, 16, 2, x, m, NULL, &err), -1);
  printf("damaged: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "checksum"));
  assert_int_equal(truncate(p, 1000), 0);
  assert_int_equal(lt_dataset_read_input(&ds, 0, 16, 2, x, m, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "truncated"));
  lt_dataset_free(&ds);
  /* Not a manifest. */
  snprintf(p, sizeof p, "%s/manifest.json", dir);
  f = fopen(p, "w");
  fputs("{\"format\": \"x\"}", f);
  fclose(f);
  assert_int_equal(lt_dataset_load(&ds, dir, &err), -1);
  free(ch), free(mask), free(x), free(m);
}

static void every_cube_symmetry_moves_patch_and_mask_alike(void **state) {
  (void)state;
  const int S = 6;
  float src[6 * 6 * 6 * 2], dst[6 * 6 * 6 * 2], ms[6 * 6 * 6], md[6 * 6 * 6];
  for (int v = 0; v < S * S * S; v++) {
    src[2 * v] = (float)v;
    src[2 * v + 1] = (float)(1000 + v);
    ms[v] = (float)v;
  }
  lt_rng r;
  lt_rng_seed(&r, 9);
  int seen[48] = {0}, distinct = 0;
  for (int t = 0; t < 2000; t++) {
    lt_augment a;
    lt_augment_random(&a, &r);
    int code = 0;
    for (int k = 0; k < 3; k++)
      code = code * 3 + a.perm[k];
    code = code * 8 + a.flip[0] * 4 + a.flip[1] * 2 + a.flip[2];
    lt_augment_apply(&a, dst, src, S, 2);
    lt_augment_apply(&a, md, ms, S, 1);
    /* A permutation of voxels, channels kept together, the mask moved the same way. */
    double sum = 0;
    for (int v = 0; v < S * S * S; v++) {
      assert_true(dst[2 * v + 1] == dst[2 * v] + 1000);
      assert_true(md[v] == dst[2 * v]);
      sum += dst[2 * v];
    }
    assert_true(sum == (double)(S * S * S - 1) * S * S * S / 2);
    int idx = -1;
    static int codes[48];
    for (int q = 0; q < distinct; q++)
      if (codes[q] == code)
        idx = q;
    if (idx < 0 && distinct < 48) {
      codes[distinct] = code;
      seen[distinct++] = 1;
    }
  }
  assert_int_equal(distinct, 48);
  (void)seen;
  /* A hand case: swap z and x, flip y. Output (z,y,x) reads input (x, S-1-y, z). */
  lt_augment a = {{2, 1, 0}, {false, true, false}};
  lt_augment_apply(&a, md, ms, S, 1);
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++)
        assert_true(md[(z * S + y) * S + x] == ms[(x * S + (S - 1 - y)) * S + z]);
}

static void folds_never_split_a_patient(void **state) {
  (void)state;
  lt_dataset ds;
  memset(&ds, 0, sizeof ds);
  ds.n = ds.cap = 40;
  ds.s = calloc(40, sizeof *ds.s);
  for (int i = 0; i < 40; i++)
    snprintf(ds.s[i].patient, sizeof ds.s[i].patient, "p%d", i % 13);
  int fold[40], count[5] = {0};
  lt_error err;
  assert_int_equal(lt_train_folds(&ds, 5, 4, fold, &err), 0);
  for (int i = 0; i < 40; i++) {
    count[fold[i]]++;
    for (int j = 0; j < 40; j++)
      if (i % 13 == j % 13)
        assert_int_equal(fold[i], fold[j]);
  }
  for (int k = 0; k < 5; k++)
    assert_true(count[k] > 0);
  assert_int_equal(lt_train_folds(&ds, 14, 4, fold, &err), -1); /* 13 patients */
  free(ds.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(patch_files_round_trip_and_refuse_damage),
      cmocka_unit_test(every_cube_symmetry_moves_patch_and_mask_alike),
      cmocka_unit_test(folds_never_split_a_patient),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
