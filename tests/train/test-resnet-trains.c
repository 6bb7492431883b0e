/* tests/train/test-resnet-trains.c — the ResNet baseline (config arch "resnet") trains with the
 * project's trainer on the planted-rule data set of real-CT patches (train-data.h): on the
 * fold's held-out samples the BCE falls well below the untrained model's and the AUC exceeds
 * 0.9; evaluation reports no Dice (no segmentation) but a finite CAM share inside the nodule
 * (Grad-CAM on the last (S/4)^3 map), the measure the ablation table reports for every row.
 * Size: w = 8, 16^3, hidden 32, lr 1e-3 (the default), 40 epochs, patience 12: about 20 s on
 * one thread. At w = 4, hidden 16 and lr 2e-3 (the other training tests' size) the ResNet's
 * classifier units die (a constant output, AUC 0.5) in some runs; at lr 5e-4 it learns. Over
 * seeds 3-7 this size reached test AUC 0.97-1.00. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-test.h"
#include "train/trainer.h"
#include "train-data.h"

static lt_dataset ds;
static char dir[512];

static int setup(void **state) {
  (void)state;
  if (!lt_test_tmpdir(dir, sizeof dir))
    return -1;
  char sub[600];
  snprintf(sub, sizeof sub, "%s/data", dir);
  int r = lt_test_planted_dataset(&ds, sub, 80, 7);
  if (r == 77)
    exit(LT_TEST_SKIP);
  return r;
}

static int teardown(void **state) {
  (void)state;
  lt_dataset_free(&ds);
  return 0;
}

static void resnet_baseline_learns_planted_rule(void **state) {
  (void)state;
  lt_error err;
  lt_model_config c;
  assert_int_equal(lt_model_config_preset(&c, "resnet", &err), 0);
  c.width = 8;
  c.input_size = 16;
  c.hidden = 32;
  assert_int_equal(lt_model_config_validate(&c, &err), 0);
  int *fold = malloc((size_t)ds.n * sizeof *fold), *test = malloc((size_t)ds.n * sizeof *test);
  assert_int_equal(lt_train_folds(&ds, 5, 3, fold, &err), 0);
  int n_test = 0;
  for (int i = 0; i < ds.n; i++)
    if (fold[i] == 0) test[n_test++] = i;
  /* the untrained model on the held-out fold */
  lt_model *m;
  assert_int_equal(lt_model_create(&m, &c, &lt_backend_cpu, 1, false, &err), 0);
  lt_param_init(lt_model_table(m), lt_model_params(m), 1);
  lt_eval e0;
  assert_int_equal(lt_evaluate(m, &ds, test, n_test, &e0, &err), 0);
  lt_model_free(m);

  lt_train_options o;
  lt_train_options_default(&o);
  o.folds = 5;
  o.only_fold = 0;
  o.epochs = 40;
  o.patience = 12;
  o.seed = 3;
  o.fold_of = fold;
  o.progress = stdout;
  lt_train_result r;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), 0);
  const lt_fold_result *f = &r.fold[0];
  assert_int_equal(f->n_test, n_test);
  printf("ResNet baseline: untrained test BCE %.4f AUC %.3f; trained (best epoch %d of %d) test "
         "BCE %.4f AUC %.3f accuracy %.3f, val AUC %.3f; CAM share inside %.3f (pass %.2f), "
         "Dice %g\n",
         e0.bce, e0.auc, f->best_epoch, f->epochs_run, f->test.bce, f->test.auc,
         f->test.cls.accuracy, f->best_val_auc, f->test.share_in, f->test.pass_rate, f->test.dice);
  assert_true(f->test.bce < 0.7 * e0.bce);
  assert_true(f->test.auc > 0.9);
  assert_true(isnan(f->test.dice)); /* no segmentation */
  assert_int_equal(f->test.n_masked, 0);
  assert_true(f->test.n_trust > 0);
  assert_true(isfinite(f->test.share_in));
  free(fold);
  free(test);
}

int main(void) {
  omp_set_num_threads(1); /* one thread: the shared 2-core machine is loaded */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(resnet_baseline_learns_planted_rule),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
