/* engine/model/unusual.h — "unusual for the model": how far a nodule's own features (the fusion
 * map f pooled over its cells, the vector the heads read) lie from the training data's.
 *
 * The statistics are fitted on the training split of the model's training data (mean and the
 * leading principal axes of the pooled features) and the threshold is a percentile of the
 * distances of the training data's validation split, so a nodule like the training data is
 * flagged with that percentile's rate (1% at the 99th). Distance: Mahalanobis in the leading
 * principal axes (each axis's variance shrunk towards the mean variance so that a small axis
 * does not dominate) plus the residual off those axes, scaled by the residual's mean over the
 * training split. They are stored in the weights file's metadata under "unusual" (JSON).
 * It reads no files: lt_unusual_fit is fed the features by the caller (engine/train/
 * unusual-calibrate.h, `lungtrust-cli scope-calibrate`); lt_unusual_features reads them off a
 * model that has just run. */
#ifndef LT_MODEL_UNUSUAL_H
#define LT_MODEL_UNUSUAL_H

#include "lt-error.h"
#include "model/model.h"

#define LT_UNUSUAL_MAX_DIM 512
#define LT_UNUSUAL_MAX_AXES 32

typedef struct {
  int dim;                     /* feature length (fusion channels) */
  int n_axes;
  int n_train, n_val;
  double percentile;           /* of the validation distances, e.g. 99 */
  double threshold;
  float mean[LT_UNUSUAL_MAX_DIM];
  float axes[LT_UNUSUAL_MAX_AXES][LT_UNUSUAL_MAX_DIM]; /* unit vectors */
  float var[LT_UNUSUAL_MAX_AXES];                      /* shrunk variances */
  float resid_scale;           /* mean squared residual off the axes over the training split */
} lt_unusual_stats;

/* Sample i's features after a forward pass of m: the fusion map f averaged over its cells (the
 * vector the heads' global pooling reads), K = lt_model_config_fusion_channels floats. */
void lt_unusual_features(const lt_model *m, int i, float *feat);

/* Distance of one feature vector (dim floats). */
double lt_unusual_distance(const lt_unusual_stats *s, const float *feat);

/* Fits on n_train vectors (row-major, dim each) and sets the threshold at percentile of the
 * n_val validation vectors' distances. -1 with err for too few samples or a dim over the max. */
int lt_unusual_fit(lt_unusual_stats *s, const float *train, int n_train, const float *val,
                   int n_val, int dim, int n_axes, double percentile, lt_error *err);

/* JSON round trip (the weights' "unusual" metadata). */
char *lt_unusual_to_json(const lt_unusual_stats *s);
int lt_unusual_from_json(lt_unusual_stats *s, const char *json, lt_error *err);

#endif
