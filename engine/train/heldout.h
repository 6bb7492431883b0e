/* engine/train/heldout.h — a model on a held-out data set, sample by sample, with 95% bootstrap
 * confidence intervals: the paper's Table 1 measures at 0.5 (accuracy, AUC, F1, sensitivity,
 * specificity, precision, benign precision) over the labelled samples; Dice of the segmentation
 * (>= 0.5) against the readers' consensus (not against a sure sample's sphere) and against the
 * true mask where the data set has one; attribute MAE against the readers' mean ratings and
 * against the true attributes where present; the share of the (Grad-)CAM inside the sample's
 * mask (consensus or sphere). The interval is the 2.5th-97.5th percentile of the measure over
 * `boot` resamples of the samples with replacement (a fixed seed gives the same interval); a
 * resample where a measure is undefined (one class, no mask) is left out of that measure. It
 * fails when the GPU reported an error on the way (lt_engine_take_error). It reads the data
 * set's patches; it trains nothing and writes nothing. */
#ifndef LT_TRAIN_HELDOUT_H
#define LT_TRAIN_HELDOUT_H

#include <stdint.h>

#include "lt-error.h"
#include "train/dataset.h"
#include "model/model.h"

typedef enum {
  LT_HO_ACCURACY,
  LT_HO_AUC,
  LT_HO_F1,
  LT_HO_SENSITIVITY,
  LT_HO_SPECIFICITY,
  LT_HO_PRECISION,
  LT_HO_PRECISION_BENIGN,
  LT_HO_DICE,          /* vs the readers' consensus */
  LT_HO_DICE_TRUTH,    /* vs the synthetic true mask */
  LT_HO_ATTR_MAE,      /* vs the readers' mean ratings */
  LT_HO_ATTR_MAE_TRUTH, /* vs the true attributes */
  LT_HO_CAM_IN,        /* CAM share inside the sample's mask */
  LT_HO_N
} lt_heldout_measure;

/* JSON keys of the measures ("accuracy", "auc", ..., "cam_share_in"). */
extern const char *const lt_heldout_keys[LT_HO_N];

typedef struct {
  double value, lo, hi; /* NaN when undefined */
  int n;                /* samples the measure is taken over */
} lt_ci;

typedef struct {
  int n, boot;
  uint64_t seed;
  lt_ci m[LT_HO_N];
  int n_attr;                                /* attributes the model predicts (6 or 1) */
  double attr_mae[6], attr_mae_truth[6];     /* per attribute (NaN when none) */
} lt_heldout;

/* One sample's results, for an auditor's look at which samples the model gets wrong; NaN where
 * the sample has no such measure. */
typedef struct {
  float prob;
  float attrs[LT_N_ATTRIBUTES]; /* the model's scores: n_attr of them (malignancy only: [0]) */
  double dice, dice_truth, attr_mae, attr_mae_truth, cam_share_in;
} lt_heldout_sample;

/* Runs model m (batch 1, inference) on every sample of ds. boot >= 1 (1000 in the CLI).
 * samples: NULL, or ds->n entries that get each sample's results. */
int lt_heldout_evaluate(lt_model *m, const lt_dataset *ds, int boot, uint64_t seed,
                        lt_heldout *out, lt_heldout_sample *samples, lt_error *err);

/* The interval of a statistic over arrays, exposed for tests: the percentile bootstrap of the
 * mean of x[0..n) (NaN entries skipped). */
void lt_bootstrap_mean(const double *x, int n, int boot, uint64_t seed, lt_ci *out);

#endif
