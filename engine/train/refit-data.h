/* engine/train/refit-data.h — fits the attribute refit (refit.h) of a model on a data set: the
 * model runs (inference, its heads' own scores) on every rated sample, and the readers' mean
 * ratings are fitted on [the six scores, the seven measures of its segmentation and the CT
 * inside it (lt_refit_measures)]. An
 * evaluation data set (labels and truth from the synthetic generator) is refused: the refit is
 * part of training. It reads the data set's patches; it writes nothing. */
#ifndef LT_TRAIN_REFIT_DATA_H
#define LT_TRAIN_REFIT_DATA_H

#include "lt-error.h"
#include "train/dataset.h"
#include "model/model.h"
#include "model/refit.h"

typedef struct {
  int n;                              /* rated samples fitted on */
  double mae_before[LT_N_ATTRIBUTES]; /* the heads' scores vs the readers' mean, per attribute */
  double mae_after[LT_N_ATTRIBUTES];  /* the refitted scores, on the same samples */
} lt_refit_report;

/* m: an inference model without a refit (its heads' scores are the inputs); lambda and loss as
 * for lt_attr_refit_fit. */
int lt_attr_refit_on_dataset(lt_attr_refit *r, lt_model *m, const lt_dataset *ds, double lambda,
                             lt_refit_loss loss, lt_refit_report *rep, lt_error *err);

#endif
