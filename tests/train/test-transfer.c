/* tests/train/test-transfer.c — transfer learning (model/transfer.h, trainer init_from, CLI
 * `train --init`): tensors of matching name and shape are copied and counted, the others keep
 * their own initialisation; a file whose encoder does not fit is refused with one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-test.h"
#include "train/trainer.h"
#include "train/transfer.h"
#include "model/weights.h"
#include "train-data.h"

static char dir[512], data[600], f_mal[600], f_wide[600], f_tiny[600];
static lt_dataset ds;

/* The small test configuration as the malignancy regressor, the basic classifier, and
 * attributes + concatenation. */
static void small(lt_model_config *c, const char *kind) {
  lt_test_small_config(c);
  c->debug = LT_DEBUG_OFF;
  if (!strcmp(kind, "mal")) {
    c->attributes = true;
    c->malignancy_only = true;
  } else if (!strcmp(kind, "concat")) {
    c->attributes = true;
    c->concat = true;
  }
}

/* Writes a weights file of config c with parameters initialised from seed. */
static int save(const char *path, const lt_model_config *c, uint64_t seed) {
  lt_param_table t;
  lt_error err;
  if (lt_param_table_build(&t, c, &err))
    return -1;
  float *p = lt_param_block_new(&t);
  lt_param_init(&t, p, seed);
  int rc = lt_weights_save(path, c, &t, p, NULL, NULL, &err);
  free(p);
  lt_param_table_free(&t);
  return rc;
}

static int setup(void **state) {
  (void)state;
  if (!lt_test_tmpdir(dir, sizeof dir))
    return -1;
  snprintf(data, sizeof data, "%s/data", dir);
  int r = lt_test_planted_dataset(&ds, data, 16, 21);
  if (r == 77)
    exit(LT_TEST_SKIP);
  if (r)
    return r;
  lt_model_config c;
  small(&c, "mal");
  snprintf(f_mal, sizeof f_mal, "%s/mal.safetensors", dir);
  if (save(f_mal, &c, 7))
    return -1;
  c.width = 8; /* another width: no encoder tensor fits the w = 4 models */
  snprintf(f_wide, sizeof f_wide, "%s/wide.safetensors", dir);
  if (save(f_wide, &c, 7))
    return -1;
  lt_error err;
  lt_model_config_preset(&c, "tiny", &err);
  snprintf(f_tiny, sizeof f_tiny, "%s/tiny.safetensors", dir);
  return save(f_tiny, &c, 9);
}

static int teardown(void **state) {
  (void)state;
  lt_dataset_free(&ds);
  return 0;
}

static const float *tensor(const lt_param_table *t, const float *block, const char *name) {
  const int k = lt_param_find(t, name);
  return k < 0 ? NULL : block + t->v[k].offset;
}

/* Copies into a fresh block of config c (seed 3) from file; returns the count. */
static int copy_into(const char *file, const lt_model_config *c, lt_param_table *t, float **block,
                     lt_weights *w, lt_error *err) {
  assert_int_equal(lt_param_table_build(t, c, err), 0);
  *block = lt_param_block_new(t);
  lt_param_init(t, *block, 3);
  assert_int_equal(lt_weights_load(file, NULL, w, err), 0);
  return lt_transfer_copy(t, *block, w, file, err);
}

static void matching_tensors_are_copied_and_counted(void **state) {
  (void)state;
  lt_error err;
  lt_weights w;
  lt_param_table t;
  float *b;
  lt_model_config c;
  /* basic <- mal: every tensor of basic is in the regressor with its shape (the regressor's
   * reg1/reg2 have no place in basic). */
  small(&c, "basic");
  const int nb = copy_into(f_mal, &c, &t, &b, &w, &err);
  assert_int_equal(nb, t.n);
  assert_int_equal(lt_transfer_count(&t, &w), t.n);
  const char *same[3] = {"e1.0.conv.weight", "fuse.conv.weight", "cls2.weight"};
  for (int k = 0; k < 3; k++) {
    const int i = lt_param_find(&t, same[k]);
    assert_true(i >= 0);
    assert_memory_equal(tensor(&t, b, same[k]), tensor(&w.table, w.params, same[k]),
                        t.v[i].count * sizeof(float));
  }
  const int basic_n = t.n;
  lt_weights_free(&w);
  free(b);
  lt_param_table_free(&t);

  /* attr+concat <- basic: the file lacks the regression branch and has another cls2 shape. */
  char f_basic[700];
  snprintf(f_basic, sizeof f_basic, "%s/basic.safetensors", dir);
  assert_int_equal(save(f_basic, &c, 11), 0);
  small(&c, "concat");
  const int nc = copy_into(f_basic, &c, &t, &b, &w, &err);
  /* concat has basic's tensors plus reg1/reg2 (4), and cls2.weight is (1, 2H) instead of
   * (1, H): all but 5 are copied. */
  assert_int_equal(t.n, basic_n + 4);
  assert_int_equal(nc, t.n - 5);
  /* The ones not copied keep their own initialisation (seed 3). */
  float *own = lt_param_block_new(&t);
  lt_param_init(&t, own, 3);
  const char *kept[3] = {"reg1.weight", "reg2.weight", "cls2.weight"};
  for (int k = 0; k < 3; k++) {
    const int i = lt_param_find(&t, kept[k]);
    assert_true(i >= 0);
    assert_memory_equal(tensor(&t, b, kept[k]), tensor(&t, own, kept[k]),
                        t.v[i].count * sizeof(float));
  }
  assert_memory_equal(tensor(&t, b, "cls2.bias"), tensor(&w.table, w.params, "cls2.bias"),
                      sizeof(float));
  free(own);
  lt_weights_free(&w);
  free(b);
  lt_param_table_free(&t);
}

static void file_of_another_width_is_refused_with_one_line(void **state) {
  (void)state;
  lt_error err;
  lt_weights w;
  lt_param_table t;
  float *b;
  lt_model_config c;
  small(&c, "basic");
  assert_int_equal(lt_param_table_build(&t, &c, &err), 0);
  float *before = lt_param_block_new(&t);
  lt_param_init(&t, before, 3);
  lt_param_table_free(&t);
  assert_int_equal(copy_into(f_wide, &c, &t, &b, &w, &err), -1);
  printf("refused: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "does not fit"));
  assert_non_null(strstr(err.msg, "e1.0.conv.weight"));
  assert_non_null(strstr(err.msg, "8x2x3x3x3 there, 4x2x3x3x3 here"));
  assert_null(strchr(err.msg, '\n'));
  assert_memory_equal(b, before, t.total * sizeof(float)); /* untouched */
  free(before);
  lt_weights_free(&w);
  free(b);
  lt_param_table_free(&t);
}

/* The trainer starts every fold from the file, reports the counts, and refuses a misfit. */
static void trainer_starts_from_the_file_and_refuses_a_misfit(void **state) {
  (void)state;
  lt_model_config c;
  small(&c, "basic");
  lt_train_options o;
  lt_train_options_default(&o);
  o.folds = 2;
  o.only_fold = 0;
  o.epochs = 1;
  o.init_from = f_mal;
  o.progress = stdout;
  lt_train_result r;
  lt_error err;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), 0);
  lt_param_table t;
  assert_int_equal(lt_param_table_build(&t, &c, &err), 0);
  assert_int_equal(r.init_tensors, t.n);
  assert_int_equal(r.init_copied, t.n);
  lt_param_table_free(&t);
  o.init_from = f_wide;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), -1);
  assert_non_null(strstr(err.msg, "does not fit"));
  char junk[700];
  snprintf(junk, sizeof junk, "%s/junk.safetensors", dir);
  FILE *f = fopen(junk, "w");
  fputs("not a weights file", f);
  fclose(f);
  o.init_from = junk;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), -1);
  assert_null(strchr(err.msg, '\n'));
}

static void cli_train_init_reports_counts_and_refuses_a_misfit(void **state) {
  (void)state;
  const char *b = getenv("LT_BUILD_ROOT");
  if (!b) {
    printf("skip: LT_BUILD_ROOT unset\n");
    return;
  }
  static char out[1 << 16];
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "%s/app/lungtrust-cli train %s --out %s/cli-run --config tiny --folds 2 --fold 1 "
           "--epochs 1 --init %s",
           b, data, dir, f_tiny);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  lt_model_config c;
  lt_error err;
  lt_model_config_preset(&c, "tiny", &err);
  lt_param_table t;
  assert_int_equal(lt_param_table_build(&t, &c, &err), 0);
  char want[200];
  snprintf(want, sizeof want, "%d of %d tensors copied", t.n, t.n);
  lt_param_table_free(&t);
  printf("%s", out);
  assert_non_null(strstr(out, want));
  /* The tiny preset is w = 8; the w = 4 regressor does not fit it. */
  snprintf(cmd, sizeof cmd,
           "%s/app/lungtrust-cli train %s --out %s/cli-run2 --config tiny --folds 2 --fold 1 "
           "--epochs 1 --init %s",
           b, data, dir, f_mal);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("%s", out);
  assert_non_null(strstr(out, "does not fit"));
  int lines = 0;
  for (const char *s = out; *s; s++)
    lines += *s == '\n';
  assert_int_equal(lines, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matching_tensors_are_copied_and_counted),
      cmocka_unit_test(file_of_another_width_is_refused_with_one_line),
      cmocka_unit_test(trainer_starts_from_the_file_and_refuses_a_misfit),
      cmocka_unit_test(cli_train_init_reports_counts_and_refuses_a_misfit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
