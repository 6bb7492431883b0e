/* app/cli-train.c — `lungtrust-cli train DATA --out DIR`: cross-validated training of the model
 * on a data set (engine/train/trainer.h), with checkpoints, resume and a progress line per epoch;
 * prints each fold's test metrics and their mean and sd. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train/trainer.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli train DATA --out DIR [--config NAME] [--folds 5] [--epochs N]\n"
        "                           [--seed S] [--batch B] [--patience P] [--augment SET] "
        "[--resume]\n"
        "                           [--init FILE] [--side S] [--max-minutes M]\n"
        "                           [--lr-schedule constant|cosine] [--val-frac F]\n"
        "                           [--attr-weight W] [--width W] [--mask-pool] [--fovea]\n\n"
        "Trains the collaborative model on DATA (a data set folder or its manifest.json) with\n"
        "k-fold cross-validation split by patient; 20% of each training fold's patients are held\n"
        "for validation and early stopping. DIR gets a checkpoint per fold and epoch, state.json,\n"
        "and model.safetensors (the fold with the lowest validation loss).\n"
        "  --config NAME   model preset (default, basic, attr, debug, attr+debug, mal+debug-cam,\n"
        "                  attr+concat, tiny, resnet: the 3D ResNet baseline, resnet-tiny)\n"
        "  --folds K       folds (default 5)        --epochs N   at most N epochs (default 30)\n"
        "  --seed S        seed (default 1)         --batch B    samples per step (default 1)\n"
        "  --patience P    early-stopping patience in epochs (default 5)\n"
        "  --fold F        train fold F only (1-based)\n"
        "  --augment SET   random symmetries of each training patch: cube (the default: all 48\n"
        "                  flips, rotations and transposes), axial (the 16 that keep the slice\n"
        "                  axis, where CT's thick slices blur) or none (also --no-augment)\n"
        "  --resume        continue the run in DIR after an interruption\n"
        "  --init FILE     start every fold from FILE's weights (transfer learning): tensors of\n"
        "                  the same name and shape are copied, the others initialised as usual;\n"
        "                  the encoder must fit (same width, input and stages)\n"
        "  --side S        the model's input side (the preset's, 64): 32 or 16 average the 64^3\n"
        "                  patch down to 1 or 2 mm voxels; analyze and the app do the same\n"
        "  --max-minutes M start no epoch that would end after M minutes of this call (every\n"
        "                  fold gets one); the fold then keeps its best epoch, as when stopped\n"
        "                  early\n"
        "  --lr-schedule S constant (the paper's Adam at 1e-3, the default) or cosine: the rate\n"
        "                  falls along half a cosine to 1% of it at the last of --epochs\n"
        "  --val-frac F    share of a training fold's patients held for validation (0.2)\n"
        "  --attr-weight W the attribute MSE's weight in the joint loss (1, the paper's; 0-100)\n"
        "  --width W       the first stage's channels (the preset's; stages w, 2w, 4w, 8w); a\n"
        "                  multiple of the preset's GroupNorm groups (8), at most 256\n"
        "  --mask-pool     the heads also see the fusion features averaged inside the model's\n"
        "                  own segmentation, not only over the whole patch (the collaborative\n"
        "                  presets with Grad-CAM or no debugging)\n"
        "  --fovea         two more input channels: the windows at twice the resolution over the\n"
        "                  patch's central 16 mm (needs --side 32 or less)\n",
        f);
}

static void print_mean_sd(const char *name, const double *v, int n) {
  double m, sd;
  lt_mean_sd(v, n, &m, &sd);
  printf("  %-17s %.4f +- %.4f\n", name, m, sd);
}

int lt_cli_train(int argc, char **argv) {
  const char *data = NULL, *out = NULL, *config = "default";
  int side = 0, width = 0;
  double attr_weight = -1;
  bool mask_pool = false, fovea = false;
  lt_train_options o;
  lt_train_options_default(&o);
  o.progress = stdout;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const bool has = i + 1 < argc;
    const char *nx = has ? argv[i + 1] : NULL; /* a number option's value; NULL: none given */
    int v;
    if (lt_cli_is_help(a)) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(a, "--out") && has) {
      out = argv[++i];
    } else if (!strcmp(a, "--config") && has) {
      config = argv[++i];
    } else if (!strcmp(a, "--folds")) {
      if (!lt_cli_opt_int("train", a, nx, 2, LT_MAX_FOLDS, &o.folds)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--fold")) {
      if (!lt_cli_opt_int("train", a, nx, 1, LT_MAX_FOLDS, &v)) return LT_EXIT_USAGE;
      o.only_fold = v - 1;
      i++;
    } else if (!strcmp(a, "--epochs")) {
      if (!lt_cli_opt_int("train", a, nx, 1, 100000, &o.epochs)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--batch")) {
      if (!lt_cli_opt_int("train", a, nx, 1, 4096, &o.batch)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--patience")) {
      if (!lt_cli_opt_int("train", a, nx, 1, 100000, &o.patience)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--seed")) {
      if (!lt_cli_opt_seed("train", a, nx, &o.seed)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--max-minutes")) {
      double m;
      if (!lt_cli_opt_double("train", a, nx, 0.001, 1e6, &m)) return LT_EXIT_USAGE;
      i++;
      o.max_seconds = 60.0 * m;
    } else if (!strcmp(a, "--lr-schedule") && has) {
      if (lt_lr_schedule_parse(argv[++i], &o.lr_schedule))
        return lt_cli_usage_error("train", "--lr-schedule is constant or cosine, not '%s'",
                                  argv[i]);
    } else if (!strcmp(a, "--val-frac")) {
      if (!lt_cli_opt_double("train", a, nx, 0.01, 0.5, &o.val_frac)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--attr-weight")) {
      if (!lt_cli_opt_double("train", a, nx, 0, 100, &attr_weight)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--mask-pool")) {
      mask_pool = true;
    } else if (!strcmp(a, "--fovea")) {
      fovea = true;
    } else if (!strcmp(a, "--no-augment")) {
      o.augment = LT_AUGMENT_NONE;
    } else if (!strcmp(a, "--augment") && has) {
      const char *set = argv[++i];
      if (lt_augment_set_parse(set, &o.augment))
        return lt_cli_usage_error("train", "--augment is cube, axial or none, not '%s'", set);
    } else if (!strcmp(a, "--side") && has) {
      if (!lt_cli_parse_side(argv[++i], &side))
        return lt_cli_usage_error("train", "--side must divide the 64^3 patch (8, 16, 32, 64)");
    } else if (!strcmp(a, "--width")) {
      if (!lt_cli_opt_int("train", a, nx, 1, 256, &width)) return LT_EXIT_USAGE;
      i++;
    } else if (!strcmp(a, "--init") && has) {
      o.init_from = argv[++i];
    } else if (!strcmp(a, "--resume")) {
      o.resume = true;
    } else if (a[0] == '-') {
      return lt_cli_usage_error("train", "unknown or incomplete option '%s'", a);
    } else if (!data) {
      data = a;
    } else {
      return lt_cli_usage_error("train", "one DATA only");
    }
  }
  if (!data || !out)
    return lt_cli_usage_error("train", "needs DATA and --out DIR");
  lt_error err = {{0}};
  lt_model_config c;
  if (lt_model_config_preset(&c, config, &err))
    return lt_cli_fail(&err);
  if (attr_weight >= 0)
    c.attr_weight = attr_weight;
  if (side)
    c.input_size = side;
  if (width)
    c.width = width;
  if (mask_pool)
    c.mask_pool = true;
  if (fovea)
    c.in_channels = 4;
  if ((side || width || mask_pool || fovea) && lt_model_config_validate(&c, &err))
    return lt_cli_fail(&err);
  lt_dataset ds;
  if (lt_dataset_load(&ds, data, &err))
    return lt_cli_fail(&err);
  o.out_dir = out;
  lt_train_result r;
  int rc = lt_train(&ds, &c, &o, &r, &err);
  lt_dataset_free(&ds);
  if (rc < 0)
    return lt_cli_fail(&err);
  double v[7][LT_MAX_FOLDS];
  for (int k = 0; k < r.n_folds; k++) {
    const lt_fold_result *f = &r.fold[k];
    printf(
        "fold %d: train %d val %d test %d, best epoch %d (val loss %.4f, AUC %.3f); test AUC %.3f "
        "accuracy %.3f F1 %.3f Dice %.3f attribute MAE %.3f\n",
        f->fold + 1, f->n_train, f->n_val, f->n_test, f->best_epoch, f->best_val_loss,
        f->best_val_auc, f->test.auc, f->test.cls.accuracy, f->test.cls.f1, f->test.dice,
        f->test.attr_mae);
    if (f->out_of_time) printf("fold %d: stopped by --max-minutes\n", f->fold + 1);
    v[0][k] = f->test.cls.accuracy;
    v[1][k] = f->test.auc;
    v[2][k] = f->test.cls.f1;
    v[3][k] = f->test.cls.sensitivity;
    v[4][k] = f->test.cls.specificity;
    v[5][k] = f->test.dice;
    v[6][k] = f->test.attr_mae;
  }
  if (r.n_folds > 1) {
    printf("over %d folds (test patients, mean +- sd):\n", r.n_folds);
    const char *names[7] = {"accuracy",    "AUC",  "F1",           "sensitivity",
                            "specificity", "Dice", "attribute MAE"};
    for (int q = 0; q < 7; q++)
      print_mean_sd(names[q], v[q], r.n_folds);
  }
  if (o.init_from)
    printf("initialised from %s: %d of %d tensors copied\n", o.init_from, r.init_copied,
           r.init_tensors);
  if (r.model_path[0])
    printf("model: %s\n", r.model_path);
  return LT_EXIT_OK;
}
