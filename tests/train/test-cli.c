/* tests/train/test-cli.c — lungtrust-cli train, evaluate and analyze end to end: train writes a
 * model, evaluate reports the Table 1 measures, analyze writes seg/cam NIfTI in the CT volume's
 * geometry and the PNG, and a truncated or damaged weights file is refused by evaluate and
 * analyze with one line and exit 1; dataset builds a sample from a study's outlined nodule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/nifti.h"
#include "lt-test.h"
#include "train/dataset.h"
#include "model/weights.h"
#include "train-data.h"

static char dir[512], cli[1024], data[600], model[600], study[1024];

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
  snprintf(data, sizeof data, "%s/data", dir);
  snprintf(model, sizeof model, "%s/run/model.safetensors", dir);
  lt_dataset ds;
  int r = lt_test_planted_dataset(&ds, data, 24, 3);
  if (r == 0)
    lt_dataset_free(&ds);
  return r;
}

static int lines(const char *s) {
  int k = 0;
  for (; *s; s++)
    k += *s == '\n';
  return k;
}

static void train_evaluate_analyze_and_refuse_bad_weights(void **state) {
  (void)state;
  static char out[1 << 16];
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/run --config tiny --folds 3 --epochs 2", cli,
           data, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  assert_non_null(strstr(out, "fold 3/3 epoch 2/2"));
  assert_non_null(strstr(out, "over 3 folds"));
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s --json", cli, data, model);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "\"auc\""));
  assert_non_null(strstr(out, "\"cross_validation\""));

  /* --samples: a header and one row per sample; a path it cannot write (a folder) is one line
   * and exit 1, and the folder is left as it was */
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s --boot 10 --samples %s/per.csv", cli, data,
           model, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  char p[700], row[2048];
  snprintf(p, sizeof p, "%s/per.csv", dir);
  FILE *csv = fopen(p, "r");
  assert_non_null(csv);
  int rows = 0;
  assert_non_null(fgets(row, sizeof row, csv));
  assert_true(!strncmp(row, "id,patient,sure,label,nodule_mm,probability,model_", 50));
  while (fgets(row, sizeof row, csv))
    rows++;
  fclose(csv);
  assert_int_equal(rows, 24);
  /* refit: fitted on the 24 rated samples, written beside, and evaluate reads it; a damaged
   * input model is one line and exit 1, and OUT is not written */
  snprintf(cmd, sizeof cmd, "%s refit %s --model %s --out %s/refit.safetensors", cli, data, model,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  assert_non_null(strstr(out, "refit on 24 rated samples"));
  assert_non_null(strstr(out, "sphericity"));
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s/refit.safetensors --boot 10", cli, data,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "attribute MAE vs readers"));
  snprintf(cmd, sizeof cmd, "head -c 5000 %s > %s/cut.safetensors && %s refit %s --model "
           "%s/cut.safetensors --out %s/refit2.safetensors", model, dir, cli, data, dir, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("refit of a cut model: %s", out);
  assert_int_equal(lines(out), 1);
  snprintf(p, sizeof p, "%s/refit2.safetensors", dir);
  assert_int_equal(access(p, F_OK), -1);
  snprintf(cmd, sizeof cmd, "%s refit %s --model %s", cli, data, model);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
  /* the absolute error's fit; evaluate reads it; an unknown loss is a usage error */
  snprintf(cmd, sizeof cmd, "%s refit %s --model %s --loss absolute --out %s/refit-abs.safetensors",
           cli, data, model, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "absolute error"));
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s/refit-abs.safetensors --boot 10", cli, data,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "attribute MAE vs readers"));
  snprintf(cmd, sizeof cmd, "%s refit %s --model %s --loss huber --out %s/refit3.safetensors", cli,
           data, model, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
  printf("refit --loss huber: %s", out);
  snprintf(p, sizeof p, "%s/refit3.safetensors", dir);
  assert_int_equal(access(p, F_OK), -1);

  snprintf(cmd, sizeof cmd, "mkdir -p %s/csvdir && %s evaluate %s --model %s --boot 10 --samples "
           "%s/csvdir", dir, cli, data, model, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("evaluate --samples FOLDER: %s", out);
  assert_int_equal(lines(out), 1);
  assert_non_null(strstr(out, "csvdir"));
  snprintf(p, sizeof p, "%s/csvdir", dir);
  assert_int_equal(access(p, W_OK), 0);
  snprintf(p, sizeof p, "%s/csvdir.tmp", dir);
  assert_int_equal(access(p, F_OK), -1);

  snprintf(cmd, sizeof cmd, "%s analyze %s --nodule 1 --model %s --out %s/an", cli, study, model,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  assert_non_null(strstr(out, "malignancy probability"));
  assert_non_null(strstr(out, "trust vs consensus"));
  assert_non_null(strstr(out, "Dice of the segmentation"));
  lt_nifti_image seg, cam;
  lt_error err;
  snprintf(p, sizeof p, "%s/an/seg.nii.gz", dir);
  assert_int_equal(lt_nifti_read(p, &seg, &err), 0);
  snprintf(p, sizeof p, "%s/an/cam.nii.gz", dir);
  assert_int_equal(lt_nifti_read(p, &cam, &err), 0);
  assert_int_equal(seg.geom.dim[0], 512);
  assert_int_equal(seg.geom.dim[1], 512);
  assert_int_equal(cam.geom.dim[2], seg.geom.dim[2]);
  assert_int_equal(cam.type, LT_NIFTI_F32);
  /* The CAM is non-zero only around the nodule: inside a 32 mm box, not far from it. */
  const float *c = cam.data;
  size_t nz = 0, n = (size_t)cam.geom.dim[0] * cam.geom.dim[1] * cam.geom.dim[2];
  for (size_t q = 0; q < n; q++)
    nz += c[q] > 0;
  printf("CAM voxels set in the CT volume: %zu\n", nz);
  assert_true(nz > 1000 && nz < 70 * 70 * 40);
  lt_nifti_image_clear(&seg);
  lt_nifti_image_clear(&cam);
  snprintf(p, sizeof p, "%s/an/analysis.png", dir);
  assert_int_equal(access(p, R_OK), 0);

  /* A point inside nodule 1's consensus is compared with that consensus. */
  snprintf(cmd, sizeof cmd, "%s analyze %s --at-voxel 316,366,89 --model %s --json", cli, study,
           model);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "\"nodule\": \"1\""));
  assert_non_null(strstr(out, "\"dice_consensus\""));

  /* Truncated and damaged weights: one line, exit 1. */
  snprintf(cmd, sizeof cmd,
           "head -c 3000 %s > %s/trunc.safetensors && cp %s %s/bad.safetensors && "
           "printf '\\377' | dd of=%s/bad.safetensors bs=1 seek=20000 conv=notrunc 2>/dev/null",
           model, dir, model, dir, dir);
  assert_int_equal(system(cmd), 0);
  const char *bad[2] = {"trunc", "bad"};
  for (int k = 0; k < 2; k++) {
    snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s/%s.safetensors", cli, data, dir, bad[k]);
    assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
    printf("evaluate %s: %s", bad[k], out);
    assert_int_equal(lines(out), 1);
    snprintf(cmd, sizeof cmd, "%s analyze %s --nodule 1 --model %s/%s.safetensors", cli, study, dir,
             bad[k]);
    assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
    printf("analyze %s: %s", bad[k], out);
    assert_int_equal(lines(out), 1);
  }
}

/* Trains the tiny preset for one epoch on fold 1 of 2 into dir/SUB with EXTRA options (a later
 * --epochs overrides the one); out gets
 * the output, model_path the weights file's path, and c (when not NULL) the configuration stored
 * in it. */
static void train_tiny(const char *sub, const char *extra, char *out, size_t n,
                       char model_path[700], lt_model_config *c) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/%s --config tiny --side 8 --folds 2 --fold 1 "
           "--epochs 1 %s", cli, data, dir, sub, extra);
  assert_int_equal(lt_test_run(cmd, out, n), 0);
  snprintf(model_path, 700, "%s/%s/model.safetensors", dir, sub);
  lt_weights w;
  lt_error err;
  assert_int_equal(lt_weights_load(model_path, NULL, &w, &err), 0);
  if (c)
    *c = w.config;
  lt_weights_free(&w);
}

/* train --side S: the model's input side is S (the 64^3 patch averaged), stored in the weights,
 * and analyze pools the patch the same way; a side that does not divide 64 is a usage error. */
static void train_side_sets_the_input_and_analyze_follows(void **state) {
  (void)state;
  static char out[1 << 16];
  char cmd[4096];
  char m[700];
  lt_model_config c;
  train_tiny("side", "", out, sizeof out, m, &c);
  assert_int_equal(c.input_size, 8);
  snprintf(cmd, sizeof cmd, "%s analyze %s --nodule 1 --model %s --json", cli, study, m);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_non_null(strstr(out, "\"probability\""));
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/side48 --config tiny --side 48", cli, data, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
  printf("side 48: %s", out);
  assert_non_null(strstr(out, "--side"));
}

/* --max-minutes: a run that patience and the epoch limit would let go on for days stops at its
 * time budget (0.02 min) with its best epoch saved as the model; a budget of 0 is a usage error. */
static void train_max_minutes_stops_and_keeps_the_best_epoch(void **state) {
  (void)state;
  static char out[1 << 16];
  char cmd[4096];
  char m[700];
  train_tiny("budget", "--epochs 100000 --patience 100000 --max-minutes 0.02", out, sizeof out, m,
             NULL);
  printf("%s", strstr(out, "stopped before") ? strstr(out, "stopped before") : out);
  assert_non_null(strstr(out, "the time budget of 1 s would be exceeded"));
  assert_non_null(strstr(out, "fold 1: stopped by --max-minutes"));
  assert_non_null(strstr(out, "epoch 1/100000"));
  assert_null(strstr(out, "epoch 1000/100000"));
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/budget0 --config tiny --max-minutes 0", cli, data,
           dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "--max-minutes"));
}

/* --lr-schedule cosine: each epoch's line gives its rate, falling from 1e-3 to near 1% of it at
 * the last of --epochs; --val-frac moves patients between training and validation; an unknown
 * schedule or a share outside 0.01-0.5 is a usage error. */
static void train_cosine_schedule_and_validation_share(void **state) {
  (void)state;
  static char out[1 << 16];
  char cmd[4096];
  char m[700];
  train_tiny("cosine", "--epochs 4 --patience 10 --lr-schedule cosine --val-frac 0.4", out,
             sizeof out, m, NULL);
  printf("%s", out);
  /* cos(pi e / 4) for e = 0..3: 1, 0.854, 0.505, 0.156 of the rate (floor 0.01) */
  assert_non_null(strstr(out, "epoch 1/4 ") && strstr(out, ", lr 1.00e-03\n"));
  assert_non_null(strstr(out, ", lr 8.55e-04\n"));
  assert_non_null(strstr(out, ", lr 5.05e-04\n"));
  assert_non_null(strstr(out, ", lr 1.55e-04\n"));
  int tr_cos = 0, val_cos = 0, tr_def = 0, val_def = 0;
  const char *f = strstr(out, "fold 1: train ");
  assert_non_null(f);
  assert_int_equal(sscanf(f, "fold 1: train %d val %d", &tr_cos, &val_cos), 2);
  train_tiny("constant", "", out, sizeof out, m, NULL);
  assert_null(strstr(out, ", lr "));
  f = strstr(out, "fold 1: train ");
  assert_non_null(f);
  assert_int_equal(sscanf(f, "fold 1: train %d val %d", &tr_def, &val_def), 2);
  printf("val-frac 0.4: train %d val %d; default 0.2: train %d val %d\n", tr_cos, val_cos, tr_def,
         val_def);
  assert_int_equal(tr_cos + val_cos, tr_def + val_def);
  assert_true(val_cos > val_def);
  /* --attr-weight is stored in the model's configuration. */
  lt_model_config c;
  train_tiny("aw", "--attr-weight 2.5", out, sizeof out, m, &c);
  printf("attr_weight in the weights file: %g\n", c.attr_weight);
  assert_true(c.attr_weight == 2.5);
  /* --width sets the stage widths (the weights file says so, and its tensors have them); a
   * width the GroupNorm groups do not divide fails with one line naming both. */
  train_tiny("width", "--width 16", out, sizeof out, m, &c);
  printf("width in the weights file: %d\n", c.width);
  assert_int_equal(c.width, 16);
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s --boot 10", cli, data, m);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  /* --mask-pool is stored too, and the model it writes evaluates; with the ResNet it is
   * refused in one line. */
  train_tiny("maskpool", "--mask-pool", out, sizeof out, m, &c);
  printf("mask_pool in the weights file: %d\n", c.mask_pool);
  assert_true(c.mask_pool);
  snprintf(cmd, sizeof cmd, "%s evaluate %s --model %s --boot 10", cli, data, m);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/mpr --config resnet-tiny --mask-pool", cli, data, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("--mask-pool with the ResNet: %s", out);
  assert_non_null(strstr(out, "mask pooling needs the segmentation"));
  assert_int_equal(lines(out), 1);
  snprintf(cmd, sizeof cmd, "%s train %s --out %s/w12 --config tiny --width 12", cli, data, dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("--width 12: %s", out);
  assert_non_null(strstr(out, "groups 8 must divide width 12"));
  assert_int_equal(lines(out), 1);
  /* --augment axial trains (the 16 symmetries that keep the slice axis; augment.h's test checks
   * them); an unknown set is a usage error below. */
  train_tiny("axial", "--augment axial", out, sizeof out, m, NULL);
  assert_non_null(strstr(out, "fold 1: train "));
  const char *bad[] = {"--lr-schedule linear", "--val-frac 0.9", "--val-frac 0", "--val-frac x",
                       "--augment diagonal"};
  for (int k = 0; k < 5; k++) {
    snprintf(cmd, sizeof cmd, "%s train %s --out %s/bad --config tiny %s", cli, data, dir, bad[k]);
    assert_int_equal(lt_test_run(cmd, out, sizeof out), 2);
    printf("%s: %s", bad[k], out);
    char opt[32];
    snprintf(opt, sizeof opt, "%.*s", (int)(strchr(bad[k], ' ') - bad[k]), bad[k]);
    assert_non_null(strstr(out, opt)); /* the line names the option */
  }
}

/* dataset from LIDC-IDRI-0001: its one outlined nodule, mean malignancy 4.75 (label 1). */
static void dataset_from_a_study_lists_its_outlined_nodule(void **state) {
  (void)state;
  static char out[1 << 14];
  char cmd[4096], ddir[600];
  snprintf(ddir, sizeof ddir, "%s/from-study", dir);
  snprintf(cmd, sizeof cmd, "%s dataset %s --out %s", cli, study, ddir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  lt_dataset ds;
  lt_error err;
  assert_int_equal(lt_dataset_load(&ds, ddir, &err), 0);
  assert_int_equal(ds.n, 1);
  assert_true(ds.s[0].has_label && ds.s[0].label == 1 && !ds.s[0].sure && ds.s[0].has_mask);
  assert_true(ds.s[0].has_ratings && ds.s[0].ratings[5] > 4.74f && ds.s[0].ratings[5] < 4.76f);
  assert_true(ds.s[0].nodule_mm > 20 && ds.s[0].nodule_mm < 30);
  static float x[16 * 16 * 16 * 2], m[16 * 16 * 16];
  assert_int_equal(lt_dataset_read_input(&ds, 0, 16, 2, x, m, NULL, &err), 0);
  int inside = 0;
  for (int v = 0; v < 16 * 16 * 16; v++)
    inside += m[v] > 0.5f;
  printf("consensus mask at 16^3: %d cells\n", inside);
  assert_true(inside > 300); /* a 24 mm nodule in a 32 mm patch */
  lt_dataset_free(&ds);
}

/* Runs cmd, which must fail as bad input (exit 1) with one line; returns that line. */
static const char *refused_in_one_line(const char *cmd) {
  static char out[1 << 12];
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 1);
  printf("%s", out);
  assert_int_equal(lines(out), 1);
  return out;
}

/* analyze without --model takes LUNGTRUST_MODEL, else the alphabetically first weights file in
 * the data folder's models/ (LUNGTRUST_DATADIR here), says which, and fails in one line when
 * there is none; --model still wins. Uses the model the first test trained. */
static void analyze_without_model_takes_the_default_or_says_where_it_looked(void **state) {
  (void)state;
  static char out[1 << 16];
  char cmd[4096], data_dir[600], empty_dir[600], want[700];
  snprintf(data_dir, sizeof data_dir, "%s/datadir", dir);
  snprintf(empty_dir, sizeof empty_dir, "%s/emptydir", dir);
  /* z-junk sorts after a-model: taking it would fail to load */
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s/models %s/models && cp %s %s/models/a-model.safetensors && "
           "echo junk > %s/models/z-junk.safetensors && echo card > %s/models/README.md",
           data_dir, empty_dir, model, data_dir, data_dir, data_dir);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);

  snprintf(cmd, sizeof cmd, "env -u LUNGTRUST_MODEL LUNGTRUST_DATADIR=%s %s analyze %s --nodule 1",
           data_dir, cli, study);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  printf("%s", out);
  snprintf(want, sizeof want, "model %s/models/a-model.safetensors (none named: the default)\n",
           data_dir);
  assert_true(strncmp(out, want, strlen(want)) == 0);
  assert_non_null(strstr(out, "malignancy probability"));

  snprintf(cmd, sizeof cmd,
           "env -u LUNGTRUST_MODEL LUNGTRUST_DATADIR=%s %s analyze %s --nodule 1 --json", data_dir,
           cli, study);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  snprintf(want, sizeof want, "{\"model\": \"%s/models/a-model.safetensors\", ", data_dir);
  assert_true(strncmp(out, want, strlen(want)) == 0);

  snprintf(cmd, sizeof cmd, "env -u LUNGTRUST_MODEL LUNGTRUST_DATADIR=%s %s analyze %s --nodule 1",
           empty_dir, cli, study);
  const char *why = refused_in_one_line(cmd);
  assert_non_null(strstr(why, "/models"));
  assert_non_null(strstr(why, "--model"));
  snprintf(cmd, sizeof cmd, "LUNGTRUST_MODEL=%s/models/z-junk.safetensors %s analyze %s --nodule 1",
           data_dir, cli, study);
  assert_non_null(strstr(refused_in_one_line(cmd), "z-junk"));

  snprintf(cmd, sizeof cmd,
           "LUNGTRUST_MODEL=%s/models/z-junk.safetensors %s analyze %s --nodule 1 --model %s",
           data_dir, cli, study, model);
  assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
  assert_null(strstr(out, "none named"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(train_evaluate_analyze_and_refuse_bad_weights),
      cmocka_unit_test(analyze_without_model_takes_the_default_or_says_where_it_looked),
      cmocka_unit_test(dataset_from_a_study_lists_its_outlined_nodule),
      cmocka_unit_test(train_side_sets_the_input_and_analyze_follows),
      cmocka_unit_test(train_max_minutes_stops_and_keeps_the_best_epoch),
      cmocka_unit_test(train_cosine_schedule_and_validation_share),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
