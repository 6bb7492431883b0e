/* tests/train/test-resume.c — an interrupted training resumes from its last checkpoint, losing
 * at most the epoch in progress, and ends where the uninterrupted run ends, with a constant or a
 * cosine learning rate; a checkpoint from another configuration, schedule, validation share or
 * augmentation set is refused. */
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
  int r = lt_test_planted_dataset(&ds, sub, 30, 5);
  if (r == 77)
    exit(LT_TEST_SKIP);
  return r;
}

static int teardown(void **state) {
  (void)state;
  lt_dataset_free(&ds);
  return 0;
}

static void options(lt_train_options *o, const char *out) {
  lt_train_options_default(o);
  o->folds = 3;
  o->epochs = 4;
  o->patience = 10;
  o->seed = 3;
  o->out_dir = out;
  o->progress = stdout;
}

static int state_epoch(const char *out) {
  char p[700], buf[4096];
  snprintf(p, sizeof p, "%s/state.json", out);
  FILE *f = fopen(p, "r");
  if (!f)
    return -100;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *e = strstr(buf, "\"epoch\":");
  return e ? atoi(e + 8) : -100;
}

static void interrupted_training_resumes_to_the_same_result(void **state) {
  (void)state;
  lt_model_config c;
  lt_test_small_config(&c);
  char a[600], b[600];
  snprintf(a, sizeof a, "%s/uninterrupted", dir);
  snprintf(b, sizeof b, "%s/interrupted", dir);
  lt_train_options o;
  lt_train_result ra, rb;
  lt_error err;
  options(&o, a);
  assert_int_equal(lt_train(&ds, &c, &o, &ra, &err), 0);
  assert_int_equal(ra.n_folds, 3);

  /* Fold 1 trains on 16 samples an epoch: 40 steps stop it in epoch 3, epoch 2 on disk. */
  options(&o, b);
  o.stop_after_steps = 40;
  int rc = lt_train(&ds, &c, &o, &rb, &err);
  assert_int_equal(rc, 1);
  const int e_stop = state_epoch(b);
  printf("stopped at step 40 (epoch 3 of fold 1); state.json: last finished epoch %d\n", e_stop + 1);
  assert_int_equal(e_stop, 1); /* epochs 1 and 2 kept; only epoch 3 (in progress) is lost */
  options(&o, b);
  o.resume = true;
  assert_int_equal(lt_train(&ds, &c, &o, &rb, &err), 0);
  assert_int_equal(rb.n_folds, 3);
  for (int k = 0; k < 3; k++) {
    const lt_fold_result *x = &ra.fold[k], *y = &rb.fold[k];
    printf("fold %d: val loss %.6f vs %.6f, test AUC %.4f vs %.4f, test loss %.6f vs %.6f\n", k + 1,
           x->best_val_loss, y->best_val_loss, x->test.auc, y->test.auc, x->test.loss,
           y->test.loss);
    assert_int_equal(x->best_epoch, y->best_epoch);
    assert_true(fabs(x->best_val_loss - y->best_val_loss) <= 1e-4 * (1 + fabs(x->best_val_loss)));
    assert_true(fabs(x->test.loss - y->test.loss) <= 1e-4 * (1 + fabs(x->test.loss)));
  }
  /* A different configuration does not resume this state. */
  lt_model_config c2 = c;
  c2.width = 8;
  c2.groups = 8;
  options(&o, b);
  o.resume = true;
  assert_int_equal(lt_train(&ds, &c2, &o, &rb, &err), -1);
  printf("other config: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "another configuration"));
}

/* The cosine schedule is a function of the epoch, so an interrupted scheduled run resumes to the
 * uninterrupted one too; the schedule changes the training (else the rate is not applied); and a
 * state is not resumed under another schedule, another epoch count (which moves a cosine) or
 * another validation share. */
static void cosine_schedule_resumes_and_is_part_of_the_state(void **state) {
  (void)state;
  lt_model_config c;
  lt_test_small_config(&c);
  lt_train_options o;
  lt_train_options_default(&o);
  o.epochs = 8;
  o.lr_schedule = LT_LR_COSINE;
  assert_true(fabs(lt_train_lr(&o, 1e-3, 0) - 1e-3) < 1e-12);
  assert_true(fabs(lt_train_lr(&o, 1e-3, 4) - 1e-3 * (0.01 + 0.99 * 0.5)) < 1e-12);
  for (int e = 1; e < 8; e++)
    assert_true(lt_train_lr(&o, 1e-3, e) < lt_train_lr(&o, 1e-3, e - 1));
  assert_true(lt_train_lr(&o, 1e-3, 7) < 0.05e-3 && lt_train_lr(&o, 1e-3, 7) > 0.01e-3);
  o.lr_schedule = LT_LR_CONSTANT;
  assert_true(lt_train_lr(&o, 1e-3, 7) == 1e-3);

  char a[600], b[600], k[600];
  snprintf(a, sizeof a, "%s/cosine-uninterrupted", dir);
  snprintf(b, sizeof b, "%s/cosine-interrupted", dir);
  snprintf(k, sizeof k, "%s/constant", dir);
  lt_train_result ra, rb, rk;
  lt_error err;
  options(&o, a);
  o.only_fold = 0;
  o.lr_schedule = LT_LR_COSINE;
  assert_int_equal(lt_train(&ds, &c, &o, &ra, &err), 0);
  options(&o, k);
  o.only_fold = 0;
  assert_int_equal(lt_train(&ds, &c, &o, &rk, &err), 0);
  printf("cosine: val loss %.6f; constant: %.6f\n", ra.fold[0].best_val_loss,
         rk.fold[0].best_val_loss);
  assert_true(fabs(ra.fold[0].best_val_loss - rk.fold[0].best_val_loss) > 1e-6);

  options(&o, b);
  o.only_fold = 0;
  o.lr_schedule = LT_LR_COSINE;
  o.stop_after_steps = 40; /* in epoch 3, as above */
  assert_int_equal(lt_train(&ds, &c, &o, &rb, &err), 1);
  /* Refused: constant, cosine over other epochs, another validation share. */
  for (int v = 0; v < 3; v++) {
    options(&o, b);
    o.only_fold = 0;
    o.resume = true;
    o.lr_schedule = v == 0 ? LT_LR_CONSTANT : LT_LR_COSINE;
    if (v == 1)
      o.epochs = 5;
    if (v == 2)
      o.val_frac = 0.3;
    assert_int_equal(lt_train(&ds, &c, &o, &rb, &err), -1);
    printf("resume %d: %s\n", v, err.msg);
    assert_non_null(strstr(err.msg, "learning-rate schedule"));
  }
  /* Refused: another augmentation set (the state names it). */
  for (int v = 0; v < 2; v++) {
    options(&o, b);
    o.only_fold = 0;
    o.resume = true;
    o.lr_schedule = LT_LR_COSINE;
    o.augment = v == 0 ? LT_AUGMENT_AXIAL : LT_AUGMENT_NONE;
    assert_int_equal(lt_train(&ds, &c, &o, &rb, &err), -1);
    printf("resume, augment %s: %s\n", lt_augment_set_name(o.augment), err.msg);
    assert_non_null(strstr(err.msg, "augmentation"));
  }
  options(&o, b);
  o.only_fold = 0;
  o.resume = true;
  o.lr_schedule = LT_LR_COSINE;
  assert_int_equal(lt_train(&ds, &c, &o, &rb, &err), 0);
  printf("cosine resumed: best epoch %d vs %d, val loss %.6f vs %.6f\n", ra.fold[0].best_epoch,
         rb.fold[0].best_epoch, ra.fold[0].best_val_loss, rb.fold[0].best_val_loss);
  assert_int_equal(ra.fold[0].best_epoch, rb.fold[0].best_epoch);
  assert_true(fabs(ra.fold[0].best_val_loss - rb.fold[0].best_val_loss) <=
              1e-4 * (1 + fabs(ra.fold[0].best_val_loss)));
  assert_true(fabs(ra.fold[0].test.loss - rb.fold[0].test.loss) <=
              1e-4 * (1 + fabs(ra.fold[0].test.loss)));
}

int main(void) {
  omp_set_num_threads(1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(interrupted_training_resumes_to_the_same_result),
      cmocka_unit_test(cosine_schedule_resumes_and_is_part_of_the_state),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
