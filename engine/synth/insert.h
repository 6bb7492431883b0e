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
 * (sd * sqrt(1 - (1 - alpha*o)^2)). The truth mask is o >= 0.5. For kinds other than solid the
 * target is shape.h's lt_nodule_shape_target_hu, averaged over the slice's N sub-samples along z
 * (a part-solid core or a calcium pattern has its own partial volume through the slice). An
 * oversize mass takes 1 in-plane sub-sample instead of 3 x 3, and its voxels far inside or
 * outside its edge skip the sub-samples (docs/synth.md, section 8).
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

/* How a nodule may sit in the lungs (lt_nodule_place_mode).
 * INSIDE: lt_nodule_place's rule above (every voxel within radius + 2 mm in the lung).
 * JUXTAPLEURAL: the centre in the lung, and the nearest voxel outside the lung mask (the pleura,
 *   or the mediastinum's) lies along some direction u at a distance D between half the body's
 *   surface distance R(u) (oversize: 3 mm) and R(u) + 0.5 mm: the nodule's edge reaches the lung
 *   boundary while its centre stays in the lung; at least half the voxels within the bounding radius in the lung,
 *   their mean below -500 HU and (oversize aside, which engulfs vessels) at most 25% of them
 *   above -300 HU.
 * RELAXED (oversize masses that cannot fit inside the lung with a margin): the centre in the
 *   lung, at least half the voxels within the bounding radius in the lung and their mean below
 *   -500 HU; the mass may reach the pleura, the mediastinum or the hilum.
 * In every mode the nodule's box stays in the volume and its box and 32 mm patch cube keep clear
 * of the keep-out boxes. */
typedef enum { LT_PLACE_INSIDE = 0, LT_PLACE_JUXTAPLEURAL, LT_PLACE_RELAXED } lt_place_mode;

/* lt_nodule_place with a mode; INSIDE is exactly lt_nodule_place (the same draws). */
int lt_nodule_place_mode(const lt_volume *v, const uint8_t *lung, const lt_mm_box *keepout,
                         int n_keepout, const lt_nodule_shape *s, lt_place_mode mode, int k_lo,
                         int k_hi, int tries, lt_srng *rng, double centre_mm[3], lt_error *err);

/* Distance (mm) from centre_mm to the nearest voxel centre outside the lung mask, searched within
 * max_mm (INFINITY when none is that near; 0 when the centre's voxel is outside the lung). */
double lt_lung_edge_distance_mm(const lt_geometry *g, const uint8_t *lung, const double centre_mm[3],
                                double max_mm);

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
