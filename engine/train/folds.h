/* engine/train/folds.h — cross-validation splits by patient: k folds (5 in the paper) and, within
 * each training part, a validation share (20%) for early stopping; every sample of a patient
 * lands in the same fold and the same side of the validation split, so no patient is both
 * trained and tested on. Plus the early-stopping rule. Deterministic in the seed.
 * It reads no files and trains nothing. */
#ifndef LT_TRAIN_FOLDS_H
#define LT_TRAIN_FOLDS_H

#include <stdbool.h>
#include <stdint.h>

#include "lt-error.h"

/* fold[i] in [0, k) for each of n samples; patient[i] identifies sample i's patient. Patients
 * are shuffled (seed) and each goes to the fold with the fewest samples so far, largest
 * patients first, so folds differ in size by at most one patient's samples. -1 when k < 2 or
 * there are fewer patients than folds. */
int lt_folds_by_patient(int *fold, const char *const *patient, int n, int k, uint64_t seed,
                        lt_error *err);

/* For test fold t: role[i] = 0 train, 1 validation, 2 test. Validation takes about frac of the
 * training part's samples, whole patients at a time (at least one patient). */
int lt_split_validation(int *role, const int *fold, const char *const *patient, int n, int t,
                        double frac, uint64_t seed, lt_error *err);

/* Early stopping on a validation score (higher is better, e.g. AUC). */
typedef struct {
  int patience;   /* epochs without improvement before stopping */
  double best;
  int best_epoch;
  int epoch;
} lt_early_stop;

void lt_early_stop_init(lt_early_stop *e, int patience);
/* Records an epoch's score; *improved says whether it is the best so far (save a checkpoint).
 * Returns true when training should stop. NaN scores never improve. */
bool lt_early_stop_update(lt_early_stop *e, double score, bool *improved);

#endif
