/* engine/train/refit-fit.h — fitting the attribute refit (model/refit.h) to the readers' mean
 * ratings: a ridge fit of least squares, or of least absolute error by reweighting. Training
 * code: the model only applies a refit that this fitted (model/refit.h lt_attr_refit_apply).
 * It computes no measures (model/refit.h, refit-ct.h) and reads no files (refit-data.h). */
#ifndef LT_TRAIN_REFIT_FIT_H
#define LT_TRAIN_REFIT_FIT_H

#include "lt-error.h"
#include "model/refit.h"

/* Fits r on n samples: in (n x LT_REFIT_N_IN, row-major: scores then measures) and y (n x 6,
 * the readers' mean ratings). Each input is standardised over the n samples, the penalty
 * lambda * |coefficients|^2 spares the intercept, and the map is stored on the raw inputs.
 * LT_REFIT_SQUARED solves the ridge's normal equations. LT_REFIT_ABSOLUTE starts there and
 * reweights (iteratively reweighted least squares: a sample's weight 1 / max(|residual|, 0.01),
 * the weights scaled to mean 1 so that lambda weighs as in the squared fit) until no
 * coefficient moves by more than 1e-9 or 200 rounds. Fails for n < LT_REFIT_N_IN + 2 (more
 * samples than coefficients), lambda < 0 or an input without spread. */
int lt_attr_refit_fit(lt_attr_refit *r, const double *in, const double *y, int n, double lambda,
                      lt_refit_loss loss, lt_error *err);

#endif
