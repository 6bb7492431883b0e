/* tests/model/test-augment.c — augmentation by the 48 cube symmetries, folds by patient,
 * validation split and early stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/augment.h"
#include "train/folds.h"

static int cmpf(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static void cube_symmetries_are_48_distinct_voxel_permutations(void **state) {
  (void)state;
  enum { S = 6, C = 2, N = S * S * S * C };
  float in[N], out[48][N], a[N], b[N];
  for (int i = 0; i < N; i++) in[i] = (float)i; /* every voxel distinct: no symmetry fixes it */
  for (int k = 0; k < 48; k++) {
    lt_augment s;
    lt_augment_nth(&s, k);
    lt_augment_apply(&s, out[k], in, S, C);
    memcpy(a, in, sizeof a);
    memcpy(b, out[k], sizeof b);
    qsort(a, N, sizeof *a, cmpf);
    qsort(b, N, sizeof *b, cmpf);
    assert_memory_equal(a, b, sizeof a); /* a permutation of the voxels */
    for (int v = 0; v < S * S * S; v++) /* channels travel together */
      assert_true(out[k][v * C + 1] == out[k][v * C] + 1);
    for (int j = 0; j < k; j++) assert_memory_not_equal(out[j], out[k], sizeof out[k]);
  }
  assert_memory_equal(out[0], in, sizeof in); /* symmetry 0 is the identity */
  /* A flip along x: output (z, y, x) = input (z, y, S-1-x). */
  lt_augment s = {{0, 1, 2}, {0, 0, 1}};
  lt_augment_apply(&s, a, in, S, C);
  assert_true(a[((1 * S + 2) * S + 0) * C] == in[((1 * S + 2) * S + 5) * C]);
  /* A transpose of y and x: output (z, y, x) = input (z, x, y). */
  lt_augment t = {{0, 2, 1}, {0, 0, 0}};
  lt_augment_apply(&t, a, in, S, C);
  assert_true(a[((3 * S + 1) * S + 4) * C] == in[((3 * S + 4) * S + 1) * C]);
  /* Random draws cover all 48. */
  lt_rng r;
  lt_rng_seed(&r, 2);
  int seen[48] = {0}, distinct = 0;
  for (int i = 0; i < 2000; i++) {
    lt_augment q;
    lt_augment_random(&q, &r);
    lt_augment_apply(&q, b, in, S, C);
    for (int k = 0; k < 48; k++)
      if (!memcmp(b, out[k], sizeof b) && !seen[k]++) distinct++;
  }
  assert_int_equal(distinct, 48);
  /* The axial draws cover 16 distinct symmetries, each keeping every slice a slice: the voxels
   * of input slice z all land in one output slice (z or S-1-z). */
  int seen_ax[48] = {0}, distinct_ax = 0;
  for (int i = 0; i < 1000; i++) {
    lt_augment q;
    lt_augment_random_axial(&q, &r);
    assert_int_equal(q.perm[0], 0);
    lt_augment_apply(&q, b, in, S, C);
    for (int k = 0; k < 48; k++)
      if (!memcmp(b, out[k], sizeof b) && !seen_ax[k]++) distinct_ax++;
    for (int v = 0; v < S * S * S; v++) {
      int zin = (int)b[v * C] / (S * S * C), zout = v / (S * S);
      assert_true(zin == zout || zin == S - 1 - zout);
    }
  }
  assert_int_equal(distinct_ax, 16);

  /* The sets' names (train --augment, the training state) go both ways; another name is refused. */
  for (int k = LT_AUGMENT_NONE; k <= LT_AUGMENT_AXIAL; k++) {
    lt_augment_set back;
    assert_int_equal(lt_augment_set_parse(lt_augment_set_name((lt_augment_set)k), &back), 0);
    assert_int_equal(back, k);
  }
  lt_augment_set x = LT_AUGMENT_CUBE;
  assert_int_equal(lt_augment_set_parse("Cube", &x), -1);
  assert_int_equal(x, LT_AUGMENT_CUBE);
}

static void folds_keep_each_patient_in_one_fold(void **state) {
  (void)state;
  enum { N = 203 };
  char ids[N][16];
  const char *pid[N];
  lt_rng r;
  lt_rng_seed(&r, 9);
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "LIDC-%04d", (int)(lt_rng_next(&r) % 60));
    pid[i] = ids[i];
  }
  int fold[N], role[N];
  lt_error err;
  assert_int_equal(lt_folds_by_patient(fold, pid, N, 5, 1, &err), 0);
  int size[5] = {0};
  for (int i = 0; i < N; i++) {
    assert_true(fold[i] >= 0 && fold[i] < 5);
    size[fold[i]]++;
    for (int j = 0; j < i; j++)
      if (!strcmp(pid[i], pid[j])) assert_int_equal(fold[i], fold[j]);
  }
  for (int f = 0; f < 5; f++) assert_true(abs(size[f] - N / 5) <= 8);
  for (int t = 0; t < 5; t++) {
    assert_int_equal(lt_split_validation(role, fold, pid, N, t, 0.2, 3, &err), 0);
    int nt = 0, nv = 0;
    for (int i = 0; i < N; i++) {
      assert_int_equal(role[i] == 2, fold[i] == t);
      nt += role[i] == 0;
      nv += role[i] == 1;
      for (int j = 0; j < i; j++)
        if (!strcmp(pid[i], pid[j])) assert_int_equal(role[i], role[j]);
    }
    double share = (double)nv / (nv + nt);
    assert_true(share > 0.12 && share < 0.28);
  }
  assert_int_equal(lt_folds_by_patient(fold, pid, 3, 5, 1, &err), -1);
}

static void early_stopping_waits_patience_epochs(void **state) {
  (void)state;
  lt_early_stop e;
  lt_early_stop_init(&e, 3);
  const double s[] = {0.6, 0.7, 0.69, 0.71, 0.70, NAN, 0.705, 0.9};
  bool imp, stop;
  int stopped_at = -1;
  for (int i = 0; i < 8; i++) {
    stop = lt_early_stop_update(&e, s[i], &imp);
    assert_int_equal(imp, i == 0 || i == 1 || i == 3 || i == 7);
    if (stop && stopped_at < 0) stopped_at = i;
  }
  assert_int_equal(stopped_at, 6); /* best at epoch 3, three epochs without improvement */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cube_symmetries_are_48_distinct_voxel_permutations),
      cmocka_unit_test(folds_keep_each_patient_in_one_fold),
      cmocka_unit_test(early_stopping_waits_patience_epochs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
