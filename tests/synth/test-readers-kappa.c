/* tests/synth/test-readers-kappa.c — the simulated readers agree with each other as much as the
 * LIDC readers do: mean pairwise quadratic-weighted kappa per attribute within 0.1 of the value
 * computed the same way from nodule_chara_list.csv grouped by list3.2.csv. Also checks the kappa
 * against hand-computed values and the grouping counts against the data README. */
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
#include "synth/attrs.h"
#include "synth/kappa.h"
#include "synth/lidc-tables.h"
#include "synth/readers.h"

#define SLOTS 8
#define MIN_ITEMS 30
#define SIM_NODULES 3000

static void kappa_matches_hand_values(void **state) {
  (void)state;
  /* Perfect agreement: 1. */
  const int a[6] = {1, 2, 3, 4, 5, 3};
  assert_true(fabs(lt_kappa_quadratic(a, a, 6, 5) - 1.0) < 1e-12);
  /* x = 1,2,3 ; y = 1,3,2: O off-diagonal (2,3),(3,2) weight 1 each: sum wO = 2.
   * Marginals 1,1,1 each: sum wE = sum_ij (i-j)^2 / 3 = (0+1+4+1+0+1+4+1+0)/3 = 4.
   * kappa = 1 - 2/4 = 0.5. */
  const int x[3] = {1, 2, 3}, y[3] = {1, 3, 2};
  assert_true(fabs(lt_kappa_quadratic(x, y, 3, 5) - 0.5) < 1e-12);
  /* Reversed order: complete disagreement, kappa = 1 - 8/4 = -1. */
  const int z[3] = {3, 2, 1};
  assert_true(fabs(lt_kappa_quadratic(x, z, 3, 5) + 1.0) < 1e-12);
  /* Zeros are skipped; no variation -> NAN. */
  const int c[3] = {2, 2, 0}, d[3] = {2, 2, 5};
  assert_true(isnan(lt_kappa_quadratic(c, d, 3, 5)));
}

static void tables_group_like_the_readme(void **state) {
  (void)state;
  char dir[4096];
  if (!lt_test_data_path(dir, sizeof dir, "lidc-ratings")) {
    printf("skip: ../shared/data/lidc-ratings absent\n");
    skip();
  }
  lt_lidc_tables *t;
  lt_error err;
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), 0);
  printf("rating rows %d, list rows %d, readings used %d; R1 pairs %d (rows %d), R2 %d, R3 %d, "
         "R4 %d, R5 %d, R6 values %d\n",
         t->rating_rows, t->list_rows, t->n_readings, t->r1_pairs, t->r1_rating_rows, t->r2_rows,
         t->r3_ids, t->r4_rating_rows, t->r5_rating_rows, t->r6_values);
  /* README: 6870 rating rows, 2635 nodules, 9 pairs in two scans, 13 wide rows, 127 IDs without
   * ratings, 16 empty rating rows. */
  assert_int_equal(t->rating_rows, 6870);
  assert_int_equal(t->list_rows, 2635);
  assert_true(t->r1_pairs >= 9);
  assert_int_equal(t->r2_rows, 13);
  assert_int_equal(t->r3_ids, 127);
  assert_true(t->r5_rating_rows >= 16);
  /* LIDC-IDRI-0001's nodule: 4 readings, malignancy 5,5,5,4 (file order 5,5,5,4). */
  const lt_lidc_table_nodule *n1 = &t->nodules[0];
  assert_int_equal(n1->patient, 1);
  assert_int_equal(n1->n, 4);
  int msum = 0;
  for (int r = 0; r < 4; r++) msum += t->readings[n1->first + r][LT_LIDC_MALIGNANCY];
  assert_int_equal(msum, 19);
  assert_true(fabs(n1->diameter_mm - 23.107) < 1e-9);
  lt_lidc_tables_free(t);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char p[4200];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void broken_tables_are_refused_with_one_line(void **state) {
  (void)state;
  char dir[4096];
  assert_non_null(lt_test_tmpdir(dir, sizeof dir));
  lt_lidc_tables *t = NULL;
  lt_error err;
  /* Missing files. */
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), -1);
  assert_null(t);
  assert_true(strstr(err.msg, "nodule_chara_list.csv") != NULL);
  /* A rating that is not an integer. */
  write_file(dir, "nodule_chara_list.csv", "LIDC-IDRI-0001,A,5,1,6,3,3,x,4,5,5\n");
  write_file(dir, "list3.2.csv", "id,case,scan,roi,volume,eq. diam.,x loc.,y loc.,slice no.,,nodIDs\n"
                                 "1,1,3000566,1,6459.75,23.107,317,367,43,,A\n");
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), -1);
  assert_true(strstr(err.msg, "line 1") != NULL);
  assert_null(strchr(err.msg, '\n'));
  /* A patient that is not LIDC-IDRI-NNNN. */
  write_file(dir, "nodule_chara_list.csv", "PATIENT,A,5,1,6,3,3,3,4,5,5\n");
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), -1);
  /* A list row with a bad diameter. */
  write_file(dir, "nodule_chara_list.csv", "LIDC-IDRI-0001,A,5,1,6,3,3,3,4,5,5\nLIDC-IDRI-0001,B,4,1,6,3,3,3,4,5,4\n");
  write_file(dir, "list3.2.csv", "h\n1,1,3000566,1,6459.75,big,317,367,43,,A,B\n");
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), -1);
  assert_true(strstr(err.msg, "list3.2.csv line 2") != NULL);
  /* And the same files made right: one nodule with two readings. */
  write_file(dir, "list3.2.csv", "h\n1,1,3000566,1,6459.75,23.1,317,367,43,,A,B\n");
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), 0);
  assert_int_equal(t->n_nodules, 1);
  assert_int_equal(t->nodules[0].n, 2);
  assert_int_equal(t->readings[t->nodules[0].first + 1][LT_LIDC_MALIGNANCY], 4);
  lt_lidc_tables_free(t);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void simulated_readers_agree_like_lidc_readers(void **state) {
  (void)state;
  char dir[4096];
  if (!lt_test_data_path(dir, sizeof dir, "lidc-ratings")) {
    printf("skip: ../shared/data/lidc-ratings absent\n");
    skip();
  }
  lt_lidc_tables *t;
  lt_error err;
  assert_int_equal(lt_lidc_tables_read(dir, &t, &err), 0);
  lt_attr_pool *pool;
  assert_int_equal(lt_attr_pool_build(t, &pool, &err), 0);
  printf("attribute pool: %d LIDC nodules\n", pool->n);

  int *real = calloc((size_t)t->n_nodules * SLOTS, sizeof *real);
  int *sim = calloc((size_t)SIM_NODULES * LT_SYNTH_READERS, sizeof *sim);
  lt_synth_attrs *truth = malloc(SIM_NODULES * sizeof *truth);
  lt_reader_view(*views)[LT_SYNTH_READERS] = malloc(SIM_NODULES * sizeof *views);
  assert_non_null(real);
  assert_non_null(sim);
  assert_non_null(truth);
  assert_non_null(views);
  lt_reader_model model;
  lt_reader_model_default(&model);
  lt_srng rng;
  lt_srng_seed(&rng, 20261125, 0);
  int missed = 0;
  for (int i = 0; i < SIM_NODULES; i++) {
    lt_attr_draw(pool, &rng, &truth[i]);
    lt_readers_read(&model, &truth[i], &rng, views[i]);
    for (int r = 0; r < LT_SYNTH_READERS; r++) missed += !views[i][r].seen;
  }
  printf("simulated: %d nodules, %d reader marks missed\n", SIM_NODULES, missed);
  printf("%-12s %8s %8s %8s | %8s %8s\n", "attribute", "real", "sim", "diff", "real-pool",
         "sim-pool");
  int ok = 1;
  for (int a = 0; a < LT_ATTR_N; a++) {
    int li = lt_synth_attr_lidc[a];
    memset(real, 0, (size_t)t->n_nodules * SLOTS * sizeof *real);
    for (int k = 0; k < t->n_nodules; k++) {
      const lt_lidc_table_nodule *nd = &t->nodules[k];
      for (int s = 0; s < nd->n && s < SLOTS; s++)
        real[k * SLOTS + s] = t->readings[nd->first + s][li];
    }
    for (int i = 0; i < SIM_NODULES; i++)
      for (int r = 0; r < LT_SYNTH_READERS; r++)
        sim[i * LT_SYNTH_READERS + r] = views[i][r].rating[a];
    lt_agreement ar, as;
    lt_agreement_compute(&ar, real, t->n_nodules, SLOTS, 5, MIN_ITEMS);
    lt_agreement_compute(&as, sim, SIM_NODULES, LT_SYNTH_READERS, 5, MIN_ITEMS);
    printf("%-12s %8.3f %8.3f %+8.3f | %8.3f %8.3f   (real pairs of slots %d)\n",
           lt_synth_attr_names[a], ar.mean_pairwise, as.mean_pairwise,
           as.mean_pairwise - ar.mean_pairwise, ar.pooled, as.pooled, ar.pairs_used);
    ok &= ar.pairs_used >= 6 && as.pairs_used == 6;
    ok &= fabs(as.mean_pairwise - ar.mean_pairwise) <= 0.1;
    ok &= fabs(as.pooled - ar.pooled) <= 0.1;
  }
  assert_true(ok); /* every attribute: |sim - real| <= 0.1, both statistics */
  free(real);
  free(sim);
  free(truth);
  free(views);
  lt_attr_pool_free(pool);
  lt_lidc_tables_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kappa_matches_hand_values),
      cmocka_unit_test(tables_group_like_the_readme),
      cmocka_unit_test(broken_tables_are_refused_with_one_line),
      cmocka_unit_test(simulated_readers_agree_like_lidc_readers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
