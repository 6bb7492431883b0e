/* engine/model/refit.h — the attribute refit: the six attribute scores of the heads, corrected
 * by a linear map of those scores and four shape measures of the model's own segmentation.
 *
 * Why: the heads see the fusion map averaged (over the patch, and inside the segmentation), and
 * an average keeps little of a nodule's shape: on the default model's data a ridge regression on
 * the heads' inputs reads the attributes no better than the heads, while the segmentation's
 * principal axes read sphericity better than either (docs/synth.md, the limits). So after
 * training, on the training set's rated samples, each attribute's readers' mean is fitted by
 * ridge regression on [the six scores, the four measures]; the model then reports the fitted
 * scores. The measures are plain geometry an auditor can check against the outline drawn.
 *
 * The measures of a segmentation s (probabilities on an S^3 grid, unit voxels), weights s:
 *   0 log of the volume V = sum s (voxels);
 *   1, 2 sqrt(l3 / l1) and sqrt(l2 / l1), l1 >= l2 >= l3 the eigenvalues of the s-weighted
 *     covariance of the voxel positions plus 1/12 (a voxel's own spread): 1 for a sphere;
 *   3 the surface sum |grad s| (central differences, one-sided at the border) over V^(2/3):
 *     about 4.8 for a sphere, more for an elongated, lobulated or spiculated one.
 * The malignancy probability, Grad-CAM and the trust check are not touched. Only models with all
 * six attributes and a segmentation can be refitted. No I/O; JSON in and out for the weights'
 * metadata (weights.h). */
#ifndef LT_MODEL_REFIT_H
#define LT_MODEL_REFIT_H

#include <stdbool.h>

#include "lt-error.h"
#include "model/config.h"

#define LT_REFIT_N_SHAPE 4
#define LT_REFIT_N_IN (LT_N_ATTRIBUTES + LT_REFIT_N_SHAPE)

typedef struct {
  /* score'_k = w[k][0] + sum_j w[k][1 + j] in_j over in = [the six scores, the four measures] */
  double w[LT_N_ATTRIBUTES][1 + LT_REFIT_N_IN];
  /* each input's range over the samples fitted on: a linear map must not extrapolate, so an
   * input outside it is held at its edge (a real nodule's segmentation, joined to a vessel, can
   * be far less compact than any synthetic one) */
  double lo[LT_REFIT_N_IN], hi[LT_REFIT_N_IN];
  double lambda; /* the ridge penalty it was fitted with (on standardised inputs) */
  int n_fit;     /* samples it was fitted on */
} lt_attr_refit;

/* Whether a model of config c can carry a refit: the collaborative model (a segmentation) with
 * all six attributes. */
bool lt_attr_refit_allowed(const lt_model_config *c);

/* The four measures of seg (S^3, probabilities). */
void lt_seg_shape_measures(double out[LT_REFIT_N_SHAPE], const float *seg, int S);

/* Fits r on n samples: in (n x LT_REFIT_N_IN, row-major: scores then measures) and y (n x 6,
 * the readers' mean ratings). Each input is standardised over the n samples, the penalty
 * lambda * |coefficients|^2 spares the intercept, and the map is stored on the raw inputs.
 * Fails for n < 2 * LT_REFIT_N_IN, lambda < 0 or an input without spread. */
int lt_attr_refit_fit(lt_attr_refit *r, const double *in, const double *y, int n, double lambda,
                      lt_error *err);

/* attrs (6): the heads' scores in, the refitted scores out, clamped to [1, 5] as the readers'
 * scale; shape: lt_seg_shape_measures of the same sample's segmentation. Returns the inputs
 * held at the edge of their range, bit j for input j (0: none). */
int lt_attr_refit_apply(const lt_attr_refit *r, float *attrs,
                        const double shape[LT_REFIT_N_SHAPE]);

/* Warning lines (up to 160 characters, at most max) for the inputs in the mask `clipped`;
 * returns how many were written. */
int lt_attr_refit_warnings(int clipped, char (*lines)[160], int max);

/* {"version": 1, "lambda": L, "n_fit": N, "weights": [[...11], x6], "lo": [...10],
 * "hi": [...10]}; NULL when out of memory.
 * Parsing refuses another version, a wrong count, a non-finite number or lo > hi. */
char *lt_attr_refit_to_json(const lt_attr_refit *r);
int lt_attr_refit_from_json(lt_attr_refit *r, const char *json, lt_error *err);

#endif
