/* engine/ct/lungmask.h — the lung mask of a chest CT: where a nodule may be.
 *
 * Written by hand (DESIGN section 7: no packaged C library does it). Steps:
 *  1. threshold: voxels below threshold_hu (default -400 HU) are air-like;
 *  2. per slice, air 4-connected to the slice's border (outside the body, the scan circle) is
 *     removed;
 *  3. 3D 6-connected components of what is left (run-length union-find): the largest is kept,
 *     and the second largest too when it holds at least 20% of the largest's volume (two
 *     lungs); otherwise the lungs are joined (typically through the trachea and bronchi) and one
 *     component holds both. Bowel gas and other small air pockets are dropped. Fails when the
 *     largest holds less than 50 mL;
 *  4. per slice, per 8-connected 2D piece of the kept mask: morphological closing with a disk of
 *     closing_mm (default 15 mm; exact Euclidean disk in mm, anisotropic pixels handled), each
 *     piece on its own so the two lungs are never bridged; this pulls nodules that touch the
 *     pleura (and vessels at the hilum) inside the mask;
 *  5. per slice, holes (background not 4-connected to the border) up to max_hole_mm2 (default
 *     2500 mm^2, a 56 mm disk) are filled: vessels and nodules inside the lung are kept, while
 *     the liver's dome, ringed by lung near the base, is left out.
 * The slices are the volume's k planes (i, j in-plane): meant for axial series.
 * Left and right: LPS +x points to the patient's left. With two components the plane x = the
 * midpoint of their centroids splits right from left; with one, the plane through its centroid.
 *
 * Does not segment lobes, airways or vessels, and does not read files. */
#ifndef LT_LUNGMASK_H
#define LT_LUNGMASK_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

typedef struct {
  double threshold_hu;
  double closing_mm;
  double max_hole_mm2;
} lt_lung_mask_opts;

typedef struct {
  int components;      /* 1 (lungs joined) or 2 */
  long voxels;         /* voxels in the final mask */
  double right_l;      /* litres on the right side of the split plane (LPS x < split_x_mm) */
  double left_l;
  double total_l;
  double split_x_mm;
} lt_lung_mask_info;

void lt_lung_mask_opts_default(lt_lung_mask_opts *o);

/* mask: lt_geometry_count(&v->geom) bytes, set to 1 inside the lungs and 0 elsewhere.
 * info may be NULL. Returns -1 (err set) when no lungs are found or memory runs out. */
int lt_lung_mask(const lt_volume *v, uint8_t *mask, lt_lung_mask_info *info, lt_error *err);
int lt_lung_mask_opt(const lt_volume *v, const lt_lung_mask_opts *opts, uint8_t *mask,
                     lt_lung_mask_info *info, lt_error *err);

#endif
