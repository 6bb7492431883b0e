/* engine/model/gradcam.h — Grad-CAM and plain CAM maps on the fusion grid, their placement in
 * the 64^3 patch and back in the CT volume, and the trust measures (DESIGN section 3).
 *
 * As docs/debug-loss.md works out, for our heads (pooling then fully connected layers)
 * d x_c / d f[k, n] = sigmoid'(z) g[k] / N, with g computed by the model from its head weights
 * (model.h: lt_model_g). Grad-CAM (the paper's Eq. 2-3) min-max scaled is then
 * CAM = minmax(s * u), u[n] = sum_k g[k] f[n, k], s = sign(x_c - 0.5) (+1 at x_c = 0.5).
 * Plain CAM (ablation row 7) is the same with g = the linear classifier's weights.
 * Maps are host float arrays; f is (N, K) with K innermost (NDHWC). This module computes maps
 * and measures only; it runs no network and knows nothing of losses (loss.h). */
#ifndef LT_MODEL_GRADCAM_H
#define LT_MODEL_GRADCAM_H

#include <stdbool.h>
#include <stddef.h>

#include "ct/volume.h"

/* u[n] = sum_k g[k] f[n * K + k] for n < N. */
void lt_cam_weighted_sum(float *u, const float *f, const float *g, int N, int K);

/* cam[n] = (s u[n] - min) / (max - min) with min and max over s u. Returns 0, or -1 when the
 * map is flat (max == min; cam is then all 0). argmin, argmax, range may be NULL. */
int lt_cam_minmax(float *cam, int *argmin, int *argmax, float *range, const float *u, float s, int N);

/* Trilinear upsampling of a cube of side n to side m (m a multiple of n), sampling at cell
 * centres with edge clamping: torch.nn.functional.interpolate(mode="trilinear",
 * align_corners=False). Layout (z, y, x), x fastest. */
void lt_cam_upsample(float *out, int m, const float *in, int n);

/* Places a patch-grid map into a CT-sized float volume: every CT voxel whose centre lies inside
 * the patch's extent gets the trilinear sample of the patch map there; others are untouched.
 * patch: the patch's geometry (dims of the map, 0.5 mm spacing, origin, direction); vol is
 * (ct->dim[2], ct->dim[1], ct->dim[0]) i.e. lt_volume's voxel order. */
void lt_cam_to_volume(float *vol, const lt_geometry *ct, const float *map, const lt_geometry *patch);

/* p[cell] = fraction of the k^3 voxels of each cell with mask >= 0.5 (side / k cells a side). */
void lt_mask_fraction(float *p, const float *mask, int side, int k);

typedef struct {
  bool valid;      /* the mask has cells inside and outside */
  double mean_in;  /* sum p CAM / sum p */
  double mean_out; /* sum (1 - p) CAM / sum (1 - p) */
  double share_in; /* CAM mass inside: sum p CAM / sum CAM (0 when the CAM is all 0) */
  bool pass;       /* mean_in - mean_out >= margin (0.5: the paper's lambda) */
} lt_trust;

/* Trust measures of a [0, 1] CAM on the fusion grid against a mask fraction p (same grid). */
void lt_trust_measure(lt_trust *t, const float *cam, const float *p, int N, double margin);

#endif
