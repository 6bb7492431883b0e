/* engine/model/refit-ct.h — five measures of the CT at the patch's own 0.5 mm voxels around the
 * model's segmentation, inputs of the attribute refit (model/refit.h) from its version 3.
 *
 * Why: the network and the refit's other measures see the patch at the model's input side (at
 * the default 32^3, 1 mm voxels). A nodule under 10 mm, three in four of the synthetic benchmark,
 * is then a few voxels across, and its outline's principal axes say little of its shape: on the
 * default model's data, a refit with these five measures read sphericity 0.05-0.09 closer to
 * the readers on the training set's cross-validation and on three held-out sets, and subtlety
 * 0.01-0.04 closer (docs/synth.md, "The CT at 0.5 mm"). What they are, from the segmentation s
 * (S^3, a voxel of 32 / S mm) and the lung window at 0.5 mm (HU):
 *   - centre c: the s-weighted centroid; radius R: that of a ball of s's volume (at least
 *     0.5 mm). An empty segmentation gives the patch's centre and R = 0.5 mm.
 *   0 contrast, HU: the mean inside the ball of radius max(R - 1, 0.75) mm about c, less the
 *     background;
 *   1 background, HU: the median over the shell R + 4 < r < R + 8 mm (-850 with fewer than 11
 *     voxels there), the lung around the nodule;
 *   2 edge fall: the mean over the shell |r - (R - 1)| < 0.35 mm less that over
 *     |r - (R + 1)| < 0.35 mm, over max(contrast, 20 HU): near 1 for a sharp margin, less for a
 *     blurred one (an empty shell reads as the background);
 *   3 ray ellipsoid's minor/major ratio: along 400 directions (a Fibonacci sphere) from c, the
 *     distance r_i to the first point (0.25 mm steps, trilinear, out to 15.5 mm) below the
 *     background plus half the contrast (at least 10 HU); an ellipsoid x^T Q x = 1 is fitted to
 *     those boundary points by least squares on r_i^-2 = u_i^T Q u_i (rays of r_i > 0.25 mm),
 *     and the measure is the square root of Q's smallest over its largest eigenvalue, its
 *     shortest semi-axis over its longest (1 when the fit fails);
 *   4 ray residual: the root mean square of r_i / r_fit(u_i) - 1 over the rays where the fitted
 *     quadric is positive: lobes and spicules make the outline leave the ellipsoid.
 * It reads no files and runs no model. */
#ifndef LT_MODEL_REFIT_CT_H
#define LT_MODEL_REFIT_CT_H

#define LT_REFIT_N_CT 5

/* out from lung (the patch's lung window, 64^3 values in [0, 1] for [-1000, 400] HU, x
 * fastest: ct/patch.h channel 0) and seg (S^3 probabilities, S dividing 64). */
void lt_patch_ct_measures(double out[LT_REFIT_N_CT], const float *lung, const float *seg, int S);

#endif
