/* engine/train/trainer.h — training the collaborative model on a data set (dataset.h):
 * k-fold cross-validation with folds split by patient, 20% of each training fold's patients held
 * out for validation, early stopping on the validation loss, Adam (adam.h) with gradient
 * accumulation over a configurable batch, augmentation (augment.h), a checkpoint after every
 * epoch (safetensors through weights.h plus state.json) and resume after an interruption that
 * loses at most the epoch in progress. One progress line per epoch.
 * Every random choice (folds, initialisation, order, augmentation) derives from the seed, the
 * fold and the epoch, so a resumed run repeats the uninterrupted one.
 * Also the evaluation of a model on a list of samples (the validation and test passes, and
 * `lungtrust-cli evaluate`). It reads no DICOM and draws nothing.
 * Memory: every sample is held at the model's input side (3 S^3 floats: 3 MB at 64^3), so a
 * data set of n samples needs about 3n MB; a streaming reader is not written yet. */
#ifndef LT_TRAIN_TRAINER_H
#define LT_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lt-error.h"
#include "train/augment.h"
#include "model/config.h"
#include "train/dataset.h"
#include "model/metrics.h"
#include "model/model.h"
#include "model/weights.h"

#define LT_MAX_FOLDS 10

/* The learning rate over a fold's epochs. Constant is the paper's (Adam at 1e-3 throughout).
 * Cosine multiplies the configured rate by LT_LR_COSINE_FLOOR + (1 - floor) (1 + cos(pi e / E)) / 2
 * at epoch e of E (= epochs): a run whose length is fixed in advance ends at small steps, so its
 * last epochs average out the noise of batch-1 updates instead of sampling it. */
typedef enum {
  LT_LR_CONSTANT = 0,
  LT_LR_COSINE,
} lt_lr_schedule;
#define LT_LR_COSINE_FLOOR 0.01

typedef struct {
  int folds;       /* 5 (2..LT_MAX_FOLDS) */
  int only_fold;   /* -1: every fold; else that one only */
  int epochs;      /* at most (30) */
  int patience;    /* stop after this many epochs without a better validation loss (5) */
  int batch;       /* samples per Adam step (1) */
  double val_frac; /* share of a training fold's patients held for validation (0.2) */
  lt_augment_set augment; /* the symmetries drawn for each sample (augment.h; cube) */
  lt_lr_schedule lr_schedule; /* LT_LR_CONSTANT; a resume must use the same (and, for
                               * cosine, the same epochs) */
  uint64_t seed;
  const char *out_dir;   /* checkpoints and state.json; NULL: nothing written */
  bool resume;           /* continue from out_dir/state.json */
  long stop_after_steps; /* > 0: stop (return 1) at that many steps in this call, mid-epoch:
                          * the epoch in progress is lost, as when the process is killed */
  const char *backend;   /* "cpu", "ref", "cuda" or NULL: the automatic choice (nn/backend-select.h) */
  const char *init_from; /* a weights file: every fold starts from its tensors of matching name
                          * and shape (transfer.h; the others initialised as usual); NULL: none */
  const int *fold_of;    /* the fold of every sample (ds->n values in [0, folds)), e.g. to keep
                          * the folds of a larger data set; NULL: lt_train_folds by seed */
  FILE *progress;        /* progress lines; NULL: silent */
  double max_seconds;    /* > 0: start no epoch that would end later than this many seconds
                          * after this call began (judged by the mean epoch so far); the fold
                          * then ends as by early stopping, with its best epoch's weights.
                          * Every fold gets at least one epoch; a resumed call a new budget */
} lt_train_options;

void lt_train_options_default(lt_train_options *o);

/* The learning rate of epoch (0-based) under o's schedule, for a configured rate lr. */
double lt_train_lr(const lt_train_options *o, double lr, int epoch);
/* "constant" or "cosine"; -1 for another name. */
int lt_lr_schedule_parse(const char *name, lt_lr_schedule *s);
const char *lt_lr_schedule_name(lt_lr_schedule s);

/* What a model gives on some samples. */
typedef struct {
  int n, n_labelled, n_masked, n_rated, n_trust;
  double loss, bce, dice_loss,
      mse;            /* means over the samples carrying each term; loss = their sum */
  lt_cls_metrics cls; /* at 0.5, over the labelled samples */
  double auc;         /* = cls.auc (NaN with one class) */
  double dice;        /* mean Dice of the segmentation (>= 0.5) against the masks */
  double attr_mae;    /* mean absolute error of the attributes (rating scale) */
  double share_in, mean_in, mean_out, pass_rate; /* trust vs the samples' masks (means) */
} lt_eval;

typedef struct {
  int fold, n_train, n_val, n_test;
  int epochs_run, best_epoch;
  bool out_of_time; /* stopped by max_seconds, not by patience or the epoch limit */
  double best_val_loss, best_val_auc;
  lt_eval test; /* the fold's held-out patients, best epoch's weights */
} lt_fold_result;

typedef struct {
  int n_folds; /* folds run */
  lt_fold_result fold[LT_MAX_FOLDS];
  char model_path[600]; /* out_dir/model.safetensors when written */
  int init_copied, init_tensors; /* with init_from: tensors copied, tensors in the model */
} lt_train_result;

/* Trains. Returns 0 when done, 1 when stopped by stop_after_steps (the last finished epoch is
 * on disk), -1 with err set. */
int lt_train(const lt_dataset *ds, const lt_model_config *c, const lt_train_options *o,
             lt_train_result *res, lt_error *err);

/* The patient fold of every sample: fold[i] in [0, k), by folds.h's lt_folds_by_patient on the
 * samples' patient ids (patients shuffled by seed, folds balanced in samples). */
/* The trainer's split of one fold: role[i] = 0 train, 1 validation (val_frac of the training
 * fold's patients, drawn by seed and fold), 2 test (fold_of[i] == fold). What `train` does,
 * shared with whatever must find the same validation split later (scope-calibrate). */
int lt_train_roles(const lt_dataset *ds, const int *fold_of, int fold, uint64_t seed,
                   double val_frac, int *role, lt_error *err);
int lt_train_folds(const lt_dataset *ds, int k, uint64_t seed, int *fold, lt_error *err);

/* Evaluates model m (batch >= 1) on samples idx[0..n) of ds. */
int lt_evaluate(lt_model *m, const lt_dataset *ds, const int *idx, int n, lt_eval *out,
                lt_error *err);

/* The training statistics of a data set for the weights file. */
void lt_train_stats_of(const lt_dataset *ds, lt_train_stats *st);

#endif
