/* engine/synth/insert.h — putting a synthetic nodule (shape.h) into a real CT volume.
 *
 * Scanner model: the noise sd is estimated from the study itself: the 20th percentile of the
 * standard deviations of 8x8-pixel blocks of soft tissue (every value in -300..300 HU, block mean
 * in -150..150 HU) on every 4th slice, so uniform muscle, fat-free organ and blood blocks set it,
 * not edges; divided by 1 - 0.8416 / sqrt(126), which makes it unbiased for pure Gaussian noise. The point-spread function is a Gaussian of FWHM 1.5 pixels in-plane (a standard
 * reconstruction kernel resolves about one and a half of its pixels); through-plane, the slice
 * profile is the slice spacing itself (occupancy averaged over it).
 *
 * Insertion, per voxel of the nodule's box: occupancy o = mean of the shape's occupancy over
 * 3x3xN sub-samples (N = spacing_z / 0.5 mm, 1..5: partial volume and slice profile); target
 * HU = core + texture (a Gaussian random field, correlation 1.5 mm, sd texture_sd); the change
 * alpha*o*(target - background) (never darkening: a brighter vessel stays), blurred in-plane by
 * the PSF, is added to the original voxels, which keeps the anatomy behind a faint edge; where
 * the original noise was replaced, noise of the study's sd and the PSF's correlation is added back
 * (sd * sqrt(1 - (1 - alpha*o)^2)). The truth mask is o >= 0.5.
 *
 * Placement: a centre inside the lung mask and the given slice range such that every voxel
 * within radius + margin of it lies in the lung mask, the background there is parenchyma (mean
 * below -500 HU, at most 15% of voxels above -300 HU: not the hilum or a large vessel), and the
 * nodule's bounding box and its 32 mm patch cube keep clear of every keep-out box (real nodules'
 * consensus boxes, other inserted nodules).
 * Does no I/O. */
#ifndef LT_SYNTH_INSERT_H
#define LT_SYNTH_INSERT_H

#include <stdint.h>

#include "ct/nodules.h"
#include "ct/volume.h"
#include "lt-error.h"
#include "synth/readers.h"
#include "synth/shape.h"

typedef struct {
  double noise_sd_hu;
  double psf_sigma_mm;
  int noise_blocks;  /* blocks the estimate used */
} lt_scanner_model;

int lt_scanner_estimate(const lt_volume *v, lt_scanner_model *m, lt_error *err);

/* An axis-aligned box in LPS mm: lo[d] <= x[d] <= hi[d]. */
typedef struct {
  double lo[3], hi[3];
} lt_mm_box;

#define LT_SYNTH_PATCH_HALF_MM 16.0
#define LT_SYNTH_LUNG_MARGIN_MM 2.0

/* Finds a centre (LPS mm) for a nodule of bounding radius radius_mm with its centre on slices
 * k_lo..k_hi. Tries `tries` random points. 0 found, -1 none (err set). */
int lt_nodule_place(const lt_volume *v, const uint8_t *lung, const lt_mm_box *keepout, int n_keepout,
                    double radius_mm, int k_lo, int k_hi, int tries, lt_srng *rng,
                    double centre_mm[3], lt_error *err);

/* The voxel box around a nodule at centre_mm (its bounding radius plus 2 voxels for the PSF),
 * clipped to the volume. */
void lt_nodule_box(const lt_geometry *g, const lt_nodule_shape *s, const double centre_mm[3],
                   lt_box *box);

/* Inserts the nodule into v's voxels. truth (lt_box_count(box) bytes, may be NULL) gets the
 * truth mask over the box from lt_nodule_box. -1 only for out of memory. */
int lt_nodule_insert(lt_volume *v, const lt_nodule_shape *s, const double centre_mm[3],
                     const lt_scanner_model *sc, lt_srng *rng, const lt_box *box, uint8_t *truth,
                     lt_error *err);

/* A reader's outline of the nodule as a mask over box: sub-sampled occupancy with the reader's
 * jitter >= the reader's threshold. Returns the voxel count. */
long lt_nodule_reader_mask(const lt_geometry *g, const lt_nodule_shape *s, const double centre_mm[3],
                           const lt_reader_view *view, const lt_box *box, uint8_t *mask);

/* Adds a small bright sphere (radius_mm, peak hu) at centre_mm, blurred by the PSF and partial
 * volume like a nodule (the confound speck). */
void lt_speck_insert(lt_volume *v, const double centre_mm[3], double radius_mm, double hu,
                     const lt_scanner_model *sc);

#endif
