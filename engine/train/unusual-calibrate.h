/* engine/train/unusual-calibrate.h — fitting the "unusual for the model" statistics
 * (model/unusual.h) on the data a model was trained on: the trainer's own split of that data
 * (trainer.h lt_train_roles: the same folds, fold, seed and validation share as `train` was
 * given) decides which samples are training and which validation; the model runs on each, its
 * pooled fusion features are kept, the statistics are fitted on (at most max_train of) the
 * training samples and the threshold is the percentile of the validation samples' distances.
 * Held-out sets are never read. It writes no files (the caller stores the JSON in the weights). */
#ifndef LT_TRAIN_UNUSUAL_CALIBRATE_H
#define LT_TRAIN_UNUSUAL_CALIBRATE_H

#include <stdint.h>

#include "lt-error.h"
#include "model/model.h"
#include "model/unusual.h"
#include "train/dataset.h"

typedef struct {
  int folds;          /* as train was given: --folds */
  int fold;           /* 0-based: the fold whose model this is (train --fold F: F - 1) */
  uint64_t seed;      /* train --seed */
  double val_frac;    /* train --val-frac */
  int max_train;      /* training samples used for the fit (evenly spaced), 0: all */
  int n_axes;
  double percentile;
  void (*progress)(int done, int total, void *user); /* may be NULL */
  void *user;
} lt_unusual_calibration;

/* m: created from the weights with batch 1. Fills s. */
int lt_unusual_calibrate(lt_unusual_stats *s, lt_model *m, const lt_dataset *ds,
                         const lt_unusual_calibration *opt, lt_error *err);

#endif
