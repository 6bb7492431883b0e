/* engine/model/refit.h — the attribute refit: the six attribute scores of the heads, corrected
 * by a linear map of those scores and twelve plain measures of the model's own segmentation and
 * of the CT inside and around it.
 *
 * Why: the heads see the fusion map averaged (over the patch, and inside the segmentation), and
 * an average keeps little of a nodule's shape: on the default model's data a ridge regression on
 * the heads' inputs reads the attributes no better than the heads, while the segmentation's
 * principal axes read sphericity better than either, and the density inside it reads subtlety
 * better (docs/synth.md, the limits). So after training, on the training set's rated samples,
 * each attribute's readers' mean is fitted by ridge regression on [the six scores, the twelve
 * measures]; the model then reports the fitted scores. The measures are what an auditor can
 * check against the outline drawn and the CT under it.
 *
 * The shape measures of a segmentation s (probabilities on an S^3 grid, unit voxels), weights s:
 *   0 log of the volume V = sum s (voxels);
 *   1, 2 sqrt(l3 / l1) and sqrt(l2 / l1), l1 >= l2 >= l3 the eigenvalues of the s-weighted
 *     covariance of the voxel positions plus 1/12 (a voxel's own spread): 1 for a sphere;
 *   3 the surface sum |grad s| (central differences, one-sided at the border) over V^(2/3):
 *     about 4.8 for a sphere, more for an elongated, lobulated or spiculated one.
 * The density measures, from the model's input x (the patch's two windows, ct/patch.h) and s:
 *   4 core density, HU: the mean of the mediastinal window weighted by s^4 (the segmentation's
 *     sure core; its partial-volume rim barely counts);
 *   5 peak density, HU: the densest lung-window voxel where s > 0.5;
 *   6 edge sharpness, HU/mm: the root mean square of the mediastinal window's gradient (central
 *     differences, interior voxels) over the outline's band, weighted 4 s (1 - s).
 * The CT measures, from the patch's lung window at its own 0.5 mm and s (model/refit-ct.h):
 *   7 contrast, 8 background (HU), 9 edge fall, 10 the minor/major ratio of an ellipsoid fitted
 *     to the half-contrast boundary along 400 rays, 11 the rays' residual from it.
 * A refit of version 1 (LungTrust before 2026-11-26) has the shape measures only, one of
 * version 2 (before 2026-12-07) the shape and density measures; each is read and applied as it
 * was fitted.
 * The malignancy probability, Grad-CAM and the trust check are not touched. Only models with all
 * six attributes and a segmentation can be refitted. No I/O; JSON in and out for the weights'
 * metadata (weights.h). */
#ifndef LT_MODEL_REFIT_H
#define LT_MODEL_REFIT_H

#include <stdbool.h>

#include "lt-error.h"
#include "model/config.h"
#include "model/refit-ct.h"

#define LT_REFIT_N_SHAPE 4
#define LT_REFIT_N_DENSITY 3
#define LT_REFIT_N_MEASURES (LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY + LT_REFIT_N_CT)
#define LT_REFIT_N_IN (LT_N_ATTRIBUTES + LT_REFIT_N_MEASURES)

/* What the fit minimises over the samples (plus the ridge penalty): the squared error, or the
 * absolute error, the measure the held-out sets are scored with. A readers' mean near the scale's
 * ends is skewed (four ratings clipped to 1-5), and the absolute error's fit follows its median
 * there instead of its mean. */
typedef enum { LT_REFIT_SQUARED = 0, LT_REFIT_ABSOLUTE = 1 } lt_refit_loss;

/* "squared" / "absolute": the names the CLI takes and the JSON stores. */
const char *lt_refit_loss_name(lt_refit_loss loss);
/* The loss of that name into *loss; false (and *loss untouched) for any other string. */
bool lt_refit_loss_parse(const char *name, lt_refit_loss *loss);

typedef struct {
  /* score'_k = w[k][0] + sum_j w[k][1 + j] in_j over in = [the six scores, the measures] */
  double w[LT_N_ATTRIBUTES][1 + LT_REFIT_N_IN];
  /* each input's range over the samples fitted on: a linear map must not extrapolate, so an
   * input outside it is held at its edge (a real nodule's segmentation, joined to a vessel, can
   * be far less compact than any synthetic one) */
  double lo[LT_REFIT_N_IN], hi[LT_REFIT_N_IN];
  double lambda;  /* the ridge penalty it was fitted with (on standardised inputs) */
  int n_fit;      /* samples it was fitted on */
  int n_measures; /* measures used: LT_REFIT_N_MEASURES; 7 for version 2, 4 for version 1 */
  lt_refit_loss loss; /* what it was fitted on (applying it is the same either way) */
} lt_attr_refit;

/* Whether a model of config c can carry a refit: the collaborative model (a segmentation) with
 * all six attributes, reading the patch's two windows (and, with 4 channels, their fovea). */
bool lt_attr_refit_allowed(const lt_model_config *c);

/* The eigenvalues of a symmetric 3x3 matrix, descending (cyclic Jacobi rotations): the
 * principal axes of the shape measures and of the rays' ellipsoid (refit-ct.h). */
void lt_sym3_eigenvalues(const double a[3][3], double out[3]);

/* Solves A x = b in place of b (A symmetric positive definite, n x n row-major, overwritten) by
 * Cholesky; -1 when A is not: the refit's ridge fits and the rays' ellipsoid. */
int lt_cholesky_solve(double *A, double *b, int n);

/* The four shape measures of seg (S^3, probabilities). */
void lt_seg_shape_measures(double out[LT_REFIT_N_SHAPE], const float *seg, int S);
/* The three density measures of x (S^3 x C, NDHWC, whose channels 0-1 are the patch's windows
 * at side S: a voxel of 32 / S mm; model/input.h) inside seg. With nothing segmented: the
 * windows' lower ends and 0. */
void lt_patch_density_measures(double out[LT_REFIT_N_DENSITY], const float *x, int C,
                               const float *seg, int S);
/* All twelve: shape, density, then the CT measures of lung (the patch's lung window, 64^3 at
 * 0.5 mm, ct/patch.h channel 0; NULL gives them as 0, enough only for a refit of version 1 or
 * 2, which does not read them). */
void lt_refit_measures(double out[LT_REFIT_N_MEASURES], const float *x, int C, const float *seg,
                       int S, const float *lung);

/* Whether r reads the CT measures (version 3): its callers must then give the lung window. */
bool lt_attr_refit_reads_ct(const lt_attr_refit *r);

/* attrs (6): the heads' scores in, the refitted scores out, clamped to [1, 5] as the readers'
 * scale; measures: lt_refit_measures of the same sample (a version-1 refit reads the first
 * four). Returns the inputs held at the edge of their range, bit j for input j (0: none). */
int lt_attr_refit_apply(const lt_attr_refit *r, float *attrs,
                        const double measures[LT_REFIT_N_MEASURES]);

/* Warning lines (up to 160 characters, at most max) for the inputs in the mask `clipped`;
 * returns how many were written. */
int lt_attr_refit_warnings(int clipped, char (*lines)[160], int max);

/* {"version": 3, "lambda": L, "n_fit": N, "loss": "squared" | "absolute", "weights": [[...19],
 * x6], "lo": [...18], "hi": [...18]}; NULL when out of memory. Version 2 has 14 weights and 13
 * ranges (no CT measures), version 1 11 and 10 (the shape measures only), written for a refit
 * read from that version. "loss" is absent from refits written before 2026-12-06 (squared).
 * Parsing refuses another version, a wrong count, a non-finite number, lo > hi or another loss. */
char *lt_attr_refit_to_json(const lt_attr_refit *r);
int lt_attr_refit_from_json(lt_attr_refit *r, const char *json, lt_error *err);

#endif
