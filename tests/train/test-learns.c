/* tests/train/test-learns.c — training learns a planted rule on real-CT patches (validation AUC
 * > 0.95), and Grad-CAM debugging puts more CAM inside the nodule than no debugging, over three
 * seeds, when a confound outside the nodule is correlated with the label (train-data.h). */
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

static void options(lt_train_options *o, uint64_t seed) {
  lt_train_options_default(o);
  o->folds = 5;
  o->only_fold = 0;
  o->epochs = 16;
  o->patience = 5;
  o->seed = seed;
  o->progress = stdout;
}

static void training_reaches_validation_auc_above_095(void **state) {
  (void)state;
  lt_model_config c;
  lt_test_small_config(&c);
  lt_train_options o;
  options(&o, 1);
  lt_train_result r;
  lt_error err;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), 0);
  assert_int_equal(r.n_folds, 1);
  const lt_fold_result *f = &r.fold[0];
  printf("planted rule: train %d val %d test %d; best epoch %d val loss %.4f val AUC %.3f; "
         "test AUC %.3f accuracy %.3f Dice %.3f\n",
         f->n_train, f->n_val, f->n_test, f->best_epoch, f->best_val_loss, f->best_val_auc,
         f->test.auc, f->test.cls.accuracy, f->test.dice);
  assert_true(f->best_val_auc > 0.95);
  assert_true(f->test.auc > 0.9);
}

static void debugging_raises_cam_share_inside_nodule(void **state) {
  (void)state;
  const int seeds = 3;
  double on[3], off[3];
  for (int s = 0; s < seeds; s++)
    for (int mode = 0; mode < 2; mode++) {
      lt_model_config c;
      lt_test_small_config(&c);
      c.debug = mode ? LT_DEBUG_GRADCAM : LT_DEBUG_OFF;
      lt_train_options o;
      options(&o, 11 + (uint64_t)s);
      o.progress = NULL;
      lt_train_result r;
      lt_error err;
      assert_int_equal(lt_train(&ds, &c, &o, &r, &err), 0);
      const lt_eval *t = &r.fold[0].test;
      (mode ? on : off)[s] = t->share_in;
      printf("seed %d debug %-7s: test CAM share inside %.3f (mean in %.3f out %.3f, pass %.2f), "
             "AUC %.3f\n",
             11 + s, mode ? "gradcam" : "off", t->share_in, t->mean_in, t->mean_out, t->pass_rate,
             t->auc);
      assert_true(isfinite(t->share_in));
    }
  double m_on, m_off, sd_on, sd_off;
  lt_mean_sd(on, seeds, &m_on, &sd_on);
  lt_mean_sd(off, seeds, &m_off, &sd_off);
  printf("CAM share inside the nodule over %d seeds: debug on %.3f +- %.3f, off %.3f +- %.3f, "
         "difference %.3f\n",
         seeds, m_on, sd_on, m_off, sd_off, m_on - m_off);
  assert_true(m_on - m_off > 0);
}

int main(void) {
  omp_set_num_threads(1); /* one thread: the shared 2-core machine is loaded */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(training_reaches_validation_auc_above_095),
      cmocka_unit_test(debugging_raises_cam_share_inside_nodule),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
