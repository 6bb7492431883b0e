/* tests/train/test-dataset-synth.c — `lungtrust-cli dataset --synth` on small synthetic sets made
 * by `lungtrust-cli synth` from LIDC-IDRI-0001: unsure samples carry the consensus mask and the
 * mean ratings and no label, sure samples the label and the sphere of their radius (a debug
 * region, never a Dice target) and no ratings; patients are unique across seeds and the split is
 * recorded; a training set is the same without the manifest's truth objects; an evaluation set
 * carries the true labels, masks and attributes and the trainer refuses it; the held-out
 * evaluation (model/heldout.h) agrees with the trainer's evaluation and its bootstrap interval
 * behaves as a percentile interval of the mean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lt-test.h"
#include "train/dataset.h"
#include "train/heldout.h"
#include "train/refit-data.h"
#include "model/params.h"
#include "train/trainer.h"

static char dir[256], cli[1024], study[1024], synA[600], synB[600];

static char out[1 << 16];

static int setup(void **state) {
  (void)state;
  const char *b = getenv("LT_BUILD_ROOT");
  if (!b || !lt_test_lidc0001_dir(study, sizeof study)) {
    printf("skip: LT_BUILD_ROOT or ../shared/data/lidc/LIDC-IDRI-0001 absent\n");
    exit(LT_TEST_SKIP);
  }
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", b);
  if (!lt_test_tmpdir(dir, sizeof dir))
    return -1;
  char cmd[4096];
  /* A: five cases with the confound (case 5 is the test split); B: two cases, another seed. */
  snprintf(synA, sizeof synA, "%s/synA", dir);
  snprintf(synB, sizeof synB, "%s/synB", dir);
  snprintf(cmd, sizeof cmd, "%s synth --out %s --count 5 --seed 11 --confound --study %s", cli,
           synA, study);
  if (lt_test_run(cmd, out, sizeof out)) {
    printf("%s", out);
    return -1;
  }
  snprintf(cmd, sizeof cmd, "%s synth --out %s --count 2 --seed 12 --study %s", cli, synB, study);
  if (lt_test_run(cmd, out, sizeof out)) {
    printf("%s", out);
    return -1;
  }
  return 0;
}

static cJSON *load_json(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  static char buf[1 << 22];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return cJSON_Parse(buf);
}

/* The synthetic manifest's sample "case-000C/nK" as the data set's id "s<seed>-case-000C-nK". */
static const cJSON *synth_sample(const cJSON *root, const char *ds_id) {
  const cJSON *c, *s;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "samples")) {
      char want[128];
      snprintf(want, sizeof want, "s%s-%s-n%d", cJSON_GetObjectItem(root, "seed")->valuestring,
               cJSON_GetObjectItem(c, "id")->valuestring, cJSON_GetObjectItem(s, "nodule")->valueint);
      if (!strcmp(want, ds_id))
        return s;
    }
  }
  return NULL;
}

static long count_mask(const lt_dataset *ds, int i, bool truth) {
  static float m[64 * 64 * 64];
  lt_error err;
  assert_int_equal(
      lt_dataset_read_input(ds, i, 64, 2, NULL, truth ? NULL : m, truth ? m : NULL, &err), 0);
  long n = 0;
  for (int v = 0; v < 64 * 64 * 64; v++)
    n += m[v] > 0.5f;
  return n;
}

static void unsure_consensus_and_ratings_sure_label_and_sphere(void **state) {
  (void)state;
  char cmd[4096], ds_dir[600], mpath[700];
  snprintf(ds_dir, sizeof ds_dir, "%s/dsA", dir);
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s", cli, synA, ds_dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  snprintf(mpath, sizeof mpath, "%s/manifest.json", synA);
  cJSON *root = load_json(mpath);
  assert_non_null(root);
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_load(&ds, ds_dir, &err), 0);
  assert_false(ds.evaluation);
  int n_sure = 0, n_unsure = 0;
  for (int i = 0; i < ds.n; i++) {
    const lt_sample *s = &ds.s[i];
    const cJSON *m = synth_sample(root, s->id);
    assert_non_null(m);
    assert_false(s->has_truth_mask);
    assert_false(s->has_truth_attrs);
    assert_true(!strcmp(s->split, "train") || !strcmp(s->split, "test"));
    if (!strcmp(cJSON_GetObjectItem(m, "set")->valuestring, "sure")) {
      n_sure++;
      assert_true(s->has_label && s->sure && s->mask_sphere && s->has_mask);
      assert_false(s->has_ratings);
      assert_int_equal(s->label, cJSON_GetObjectItem(m, "label")->valueint);
      const double r = cJSON_GetObjectItem(m, "radius_mm")->valuedouble;
      const double want = 4.0 / 3.0 * M_PI * r * r * r / 0.125; /* 0.5 mm voxels */
      const long got = count_mask(&ds, i, false);
      printf("%s: sure, radius %.2f mm, sphere %ld voxels (%.0f expected)\n", s->id, r, got, want);
      assert_true(fabs(got - want) <= 0.05 * want + 30);
      assert_float_equal(s->nodule_mm, 2 * r, 1e-9);
    } else {
      n_unsure++;
      assert_false(s->has_label);
      assert_false(s->sure);
      assert_false(s->mask_sphere);
      assert_true(s->has_ratings && s->has_mask);
      const cJSON *rt = cJSON_GetObjectItem(m, "ratings");
      for (int k = 0; k < LT_N_ATTRIBUTES; k++)
        assert_float_equal(s->ratings[k], cJSON_GetArrayItem(rt, k)->valuedouble, 1e-4);
      /* The consensus patch holds the nodule: its volume matches the full mask's. */
      const long got = count_mask(&ds, i, false);
      const double vol = got * 0.125, want = M_PI / 6 * pow(s->nodule_mm, 3);
      printf("%s: unsure, consensus %.0f mm^3 in the patch, %.0f mm^3 in the series\n", s->id,
             vol, want);
      assert_true(fabs(vol - want) <= 0.2 * want + 5);
    }
  }
  assert_true(n_sure >= 1 && n_unsure >= 1);
  lt_dataset_free(&ds);
  cJSON_Delete(root);
}

static void patients_unique_across_seeds_and_split_selects_cases(void **state) {
  (void)state;
  char cmd[8192], ds_dir[600];
  snprintf(ds_dir, sizeof ds_dir, "%s/dsAB", dir);
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s && %s dataset --synth %s --out %s",
           cli, synA, ds_dir, cli, synB, ds_dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_load(&ds, ds_dir, &err), 0);
  int a = 0, b = 0;
  for (int i = 0; i < ds.n; i++) {
    a += !strncmp(ds.s[i].patient, "s11-case-", 9);
    b += !strncmp(ds.s[i].patient, "s12-case-", 9);
  }
  printf("%d samples: %d from seed 11, %d from seed 12\n", ds.n, a, b);
  assert_int_equal(a + b, ds.n);
  assert_true(a > 0 && b > 0);
  /* The same case numbers from two seeds are two patients, so the folds keep them apart. */
  int folds[256];
  assert_true(ds.n <= 256);
  assert_int_equal(lt_train_folds(&ds, 2, 1, folds, &err), 0);
  for (int i = 0; i < ds.n; i++)
    for (int j = 0; j < ds.n; j++)
      if (!strcmp(ds.s[i].patient, ds.s[j].patient))
        assert_int_equal(folds[i], folds[j]);
  lt_dataset_free(&ds);

  snprintf(ds_dir, sizeof ds_dir, "%s/dsA-test", dir);
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s --split test", cli, synA, ds_dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_int_equal(lt_dataset_load(&ds, ds_dir, &err), 0);
  for (int i = 0; i < ds.n; i++) {
    assert_string_equal(ds.s[i].split, "test");
    assert_string_equal(ds.s[i].patient, "s11-case-0005");
  }
  lt_dataset_free(&ds);
  /* No case of B is in a "test" split (no confound: every case is "all"). */
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s/none --split test", cli, synB, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  assert_non_null(strstr(out, "no sample in split 'test'"));
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s/x --split nope", cli, synB, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
}

/* Copies SYN's manifest into DST with every "truth" object removed; the cases are links. */
static void strip_truth(const char *syn, const char *dst) {
  char cmd[4096], path[700];
  snprintf(cmd, sizeof cmd, "mkdir -p %s && for c in %s/case-*; do ln -s \"$c\" %s/; done", dst,
           syn, dst);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/manifest.json", syn);
  cJSON *root = load_json(path);
  assert_non_null(root);
  cJSON *c, *s;
  int removed = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "samples")) {
      cJSON_DeleteItemFromObject(s, "truth");
      removed++;
    }
  }
  assert_true(removed > 0);
  char *txt = cJSON_Print(root);
  snprintf(path, sizeof path, "%s/manifest.json", dst);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(txt, f);
  fclose(f);
  free(txt);
  cJSON_Delete(root);
}

static void training_set_never_reads_truth_evaluation_set_needs_it(void **state) {
  (void)state;
  char cmd[8192], stripped[600];
  snprintf(stripped, sizeof stripped, "%s/synB-notruth", dir);
  strip_truth(synB, stripped);
  snprintf(cmd, sizeof cmd,
           "%s dataset --synth %s --out %s/dsB1 && %s dataset --synth %s --out %s/dsB2 && "
           "diff -r %s/dsB1 %s/dsB2 && echo SAME",
           cli, synB, dir, cli, stripped, dir, dir, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  assert_non_null(strstr(out, "SAME"));
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s/dsB3 --evaluation", cli, stripped,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  assert_non_null(strstr(out, "no truth label"));
}

static void evaluation_set_has_truth_and_trainer_refuses_it(void **state) {
  (void)state;
  char cmd[4096], ds_dir[600], mpath[700];
  snprintf(ds_dir, sizeof ds_dir, "%s/evA", dir);
  snprintf(cmd, sizeof cmd, "%s dataset --synth %s --out %s --evaluation", cli, synA, ds_dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  snprintf(mpath, sizeof mpath, "%s/manifest.json", synA);
  cJSON *root = load_json(mpath);
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_load(&ds, ds_dir, &err), 0);
  assert_true(ds.evaluation);
  double vol_patch = 0, vol_truth = 0;
  for (int i = 0; i < ds.n; i++) {
    const lt_sample *s = &ds.s[i];
    const cJSON *m = synth_sample(root, s->id), *t = cJSON_GetObjectItem(m, "truth");
    assert_true(s->has_label && s->has_truth_mask && s->has_truth_attrs);
    assert_int_equal(s->label, cJSON_GetObjectItem(t, "label")->valueint);
    for (int k = 0; k < LT_N_ATTRIBUTES; k++)
      assert_float_equal(s->truth_attrs[k],
                         cJSON_GetArrayItem(cJSON_GetObjectItem(t, "attributes"), k)->valuedouble,
                         1e-4);
    const double d = cJSON_GetObjectItem(t, "diameter_mm")->valuedouble;
    vol_patch += count_mask(&ds, i, true) * 0.125;
    vol_truth += M_PI / 6 * d * d * d;
  }
  printf("true masks: %.0f mm^3 in the patches, %.0f mm^3 from the true diameters\n", vol_patch,
         vol_truth);
  assert_true(fabs(vol_patch - vol_truth) <= 0.1 * vol_truth);
  lt_model_config c;
  lt_model_config_preset(&c, "tiny", &err);
  lt_train_options o;
  lt_train_options_default(&o);
  o.epochs = 1;
  lt_train_result r;
  assert_int_equal(lt_train(&ds, &c, &o, &r, &err), -1);
  printf("lt_train: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "evaluation data set"));
  lt_dataset_free(&ds);
  cJSON_Delete(root);
}

/* The held-out evaluation gives the trainer's numbers on the same samples, and the sphere of a
 * sure sample is never scored as a segmentation. */
static void heldout_matches_trainer_and_sphere_is_not_a_dice_target(void **state) {
  (void)state;
  char ds_dir[600];
  snprintf(ds_dir, sizeof ds_dir, "%s/evA", dir);
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_load(&ds, ds_dir, &err), 0);
  lt_model_config c;
  lt_model_config_preset(&c, "tiny", &err);
  lt_model *m = NULL;
  assert_int_equal(lt_model_create(&m, &c, lt_backend_default(), 1, false, &err), 0);
  lt_param_init(lt_model_table(m), lt_model_params(m), 5);
  int idx[64], n_consensus = 0;
  assert_true(ds.n <= 64);
  for (int i = 0; i < ds.n; i++) {
    idx[i] = i;
    n_consensus += ds.s[i].has_mask && !ds.s[i].mask_sphere;
  }
  lt_eval e;
  assert_int_equal(lt_evaluate(m, &ds, idx, ds.n, &e, &err), 0);
  lt_heldout h;
  lt_heldout_sample one[64];
  assert_int_equal(lt_heldout_evaluate(m, &ds, 200, 3, &h, one, &err), 0);
  /* the per-sample results are what the measures average */
  double sum_dice = 0, sum_mae = 0;
  int n_dice = 0, n_mae = 0;
  for (int i = 0; i < ds.n; i++) {
    assert_true(one[i].prob > 0 && one[i].prob < 1);
    if (isfinite(one[i].dice))
      sum_dice += one[i].dice, n_dice++;
    if (isfinite(one[i].attr_mae))
      sum_mae += one[i].attr_mae, n_mae++;
  }
  assert_int_equal(n_dice, h.m[LT_HO_DICE].n);
  assert_int_equal(n_mae, h.m[LT_HO_ATTR_MAE].n);
  assert_true(n_dice > 0 && n_mae > 0);
  assert_float_equal(sum_dice / n_dice, h.m[LT_HO_DICE].value, 1e-9);
  assert_float_equal(sum_mae / n_mae, h.m[LT_HO_ATTR_MAE].value, 1e-9);
  printf("trainer: AUC %.4f accuracy %.4f Dice %.4f (n %d) MAE %.4f; held-out: AUC %.4f [%.4f, "
         "%.4f] Dice %.4f (n %d) Dice vs truth %.4f (n %d)\n",
         e.auc, e.cls.accuracy, e.dice, e.n_masked, e.attr_mae, h.m[LT_HO_AUC].value,
         h.m[LT_HO_AUC].lo, h.m[LT_HO_AUC].hi, h.m[LT_HO_DICE].value, h.m[LT_HO_DICE].n,
         h.m[LT_HO_DICE_TRUTH].value, h.m[LT_HO_DICE_TRUTH].n);
  assert_int_equal(e.n_masked, n_consensus);
  assert_int_equal(h.m[LT_HO_DICE].n, n_consensus);
  assert_int_equal(h.m[LT_HO_DICE_TRUTH].n, ds.n);
  assert_int_equal(h.m[LT_HO_AUC].n, e.n_labelled);
  assert_float_equal(h.m[LT_HO_ACCURACY].value, e.cls.accuracy, 1e-9);
  if (isfinite(e.auc))
    assert_float_equal(h.m[LT_HO_AUC].value, e.auc, 1e-9);
  assert_float_equal(h.m[LT_HO_DICE].value, e.dice, 1e-6);
  assert_float_equal(h.m[LT_HO_ATTR_MAE].value, e.attr_mae, 1e-5);
  for (int q = 0; q < LT_HO_N; q++)
    if (h.m[q].n > 0 && isfinite(h.m[q].lo))
      assert_true(h.m[q].lo <= h.m[q].value + 1e-9 && h.m[q].value <= h.m[q].hi + 1e-9);
  /* the attribute refit is part of training: never fitted on an evaluation set */
  lt_attr_refit refit;
  lt_refit_report rep;
  assert_int_equal(lt_attr_refit_on_dataset(&refit, m, &ds, 10, LT_REFIT_SQUARED, &rep, &err), -1);
  printf("refit on an evaluation set: %s\n", err.msg);
  assert_non_null(strstr(err.msg, "evaluation data set"));
  lt_model_free(m);
  lt_dataset_free(&ds);
}

static void bootstrap_interval_of_a_mean(void **state) {
  (void)state;
  /* 400 values, mean 2, sd 1 (a fixed sequence): the 95% interval of the mean is about
   * 2 +- 1.96 / 20 = [1.902, 2.098]. */
  static double x[401];
  lt_rng r;
  lt_rng_seed(&r, 9);
  for (int i = 0; i < 400; i += 2) {
    double u1 = ((lt_rng_next(&r) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((lt_rng_next(&r) >> 11) + 0.5) / 9007199254740992.0;
    double rad = sqrt(-2 * log(u1));
    x[i] = 2 + rad * cos(2 * M_PI * u2);
    x[i + 1] = 2 + rad * sin(2 * M_PI * u2);
  }
  double m = 0, v = 0;
  for (int i = 0; i < 400; i++)
    m += x[i];
  m /= 400;
  for (int i = 0; i < 400; i++)
    v += (x[i] - m) * (x[i] - m);
  const double se = sqrt(v / 399) / 20;
  x[400] = NAN; /* skipped */
  lt_ci a, b, c;
  lt_bootstrap_mean(x, 401, 2000, 1, &a);
  lt_bootstrap_mean(x, 401, 2000, 1, &b);
  lt_bootstrap_mean(x, 401, 2000, 2, &c);
  printf("mean %.4f se %.4f: [%.4f, %.4f] (seed 1), [%.4f, %.4f] (seed 2)\n", m, se, a.lo, a.hi,
         c.lo, c.hi);
  assert_int_equal(a.n, 400);
  assert_float_equal(a.value, m, 1e-12);
  assert_true(a.lo == b.lo && a.hi == b.hi);
  assert_true(a.lo != c.lo || a.hi != c.hi);
  assert_float_equal(a.hi - a.lo, 2 * 1.96 * se, 0.15 * 2 * 1.96 * se);
  assert_float_equal((a.hi + a.lo) / 2, m, 0.2 * se);
}

static int teardown(void **state) {
  (void)state;
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bootstrap_interval_of_a_mean),
      cmocka_unit_test(unsure_consensus_and_ratings_sure_label_and_sphere),
      cmocka_unit_test(patients_unique_across_seeds_and_split_selects_cases),
      cmocka_unit_test(training_set_never_reads_truth_evaluation_set_needs_it),
      cmocka_unit_test(evaluation_set_has_truth_and_trainer_refuses_it),
      cmocka_unit_test(heldout_matches_trainer_and_sphere_is_not_a_dice_target),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
