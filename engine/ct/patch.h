/* engine/ct/patch.h — the model's input: a 2x64^3 patch at 0.5 mm around a physical point
 * (DESIGN section 2 step 3), and the matching 64^3 mask patch.
 *
 * Grid: 64^3 voxels, spacing 0.5 mm, axes along the volume's direction (patch axis i follows the
 * volume's columns, j its rows, k its slices). The centre point lies at continuous patch index
 * (31.5, 31.5, 31.5): halfway between voxels 31 and 32 on every axis, so the patch spans
 * centre +- 16 mm. Values: cubic B-spline (resample.h) of the HU volume; outside the volume the
 * value is air (-1024 HU). Channel 0: lung window [-1000, 400] HU -> [0, 1]; channel 1:
 * mediastinal window [-160, 240] HU -> [0, 1]; both clamped. Voxel (i,j,k) at i + 64*(j + 64*k).
 *
 * Mask patch: trilinear interpolation of the 0/1 mask (any non-zero voxel counts as 1) on the
 * patch grid, thresholded at >= 0.5; outside the mask's volume 0.
 *
 * Does not read files, run the model or decide which points are nodules. */
#ifndef LT_PATCH_H
#define LT_PATCH_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

#define LT_PATCH_N 64
#define LT_PATCH_VOXELS (LT_PATCH_N * LT_PATCH_N * LT_PATCH_N)
#define LT_PATCH_SPACING 0.5
#define LT_PATCH_CENTRE 31.5 /* continuous patch index of the centre point */
/* the two channels' windows, HU mapped to [0, 1] */
#define LT_PATCH_LUNG_LO_HU (-1000.0f)
#define LT_PATCH_LUNG_HI_HU 400.0f
#define LT_PATCH_MEDIASTINAL_LO_HU (-160.0f)
#define LT_PATCH_MEDIASTINAL_HI_HU 240.0f

typedef struct {
  lt_geometry geom;
  float ch[2][LT_PATCH_VOXELS];
} lt_patch;

/* The patch grid around center_mm for a volume of geometry vol. */
void lt_patch_geometry(lt_geometry *g, const lt_geometry *vol, const double center_mm[3]);

/* True when center_mm lies within the volume's voxels (continuous index in [-0.5, n-0.5]). */
int lt_patch_point_in_volume(const lt_geometry *vol, const double center_mm[3]);

/* Refuses (-1, err: "... outside the volume ...") a point outside the volume's voxels; else
 * fills out (about 2 MB: allocate it, do not put it on the stack). */
int lt_patch_extract(lt_patch *out, const lt_volume *v, const double center_mm[3], lt_error *err);

/* Returns 0 when the voxel nearest to center_mm is inside lung_mask (non-zero; geometry of v),
 * -1 with "the point ... lies outside the lungs" (or outside the volume) otherwise. Used where
 * clicks outside the lungs are refused (DESIGN section 2 step 3). */
int lt_patch_check_in_lung(const lt_geometry *vol, const uint8_t *lung_mask,
                           const double center_mm[3], lt_error *err);

/* Resamples a volume-space mask (geometry mask_geom, non-zero = inside) onto the patch grid
 * geom: out has LT_PATCH_VOXELS bytes of 0/1. Returns the number of voxels set, or -1. */
long lt_patch_mask(uint8_t *out, const lt_geometry *geom, const uint8_t *mask,
                   const lt_geometry *mask_geom, lt_error *err);

/* HU -> window value in [0, 1] (clamped). */
static inline float lt_window01(float hu, float lo, float hi) {
  float t = (hu - lo) / (hi - lo);
  return t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
}

#endif
