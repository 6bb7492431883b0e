/* engine/ct/resample.h — resampling a volume (or a mask) onto a grid whose axes are parallel to
 * the volume's own axes: interpolating cubic B-spline for Hounsfield units, trilinear for masks.
 *
 * Written by hand (DESIGN section 7): no library packaged for Debian 12 that the engine may use
 * (no ITK, no GLib-free C library) offers an interpolating cubic B-spline on a sub-region of an
 * int16 volume. The method is Unser's (IEEE Signal Processing Magazine 1999; Thevenaz, Blu and
 * Unser, "Interpolation revisited", IEEE TMI 2000): a recursive prefilter (pole sqrt(3) - 2,
 * gain 6, causal and anti-causal passes, mirror boundaries) along each axis turns the samples
 * into B-spline coefficients, so the spline passes exactly through every sample; then the
 * cubic B-spline basis (4 taps per axis) is evaluated. The prefilter runs only on the region the
 * output grid needs plus a margin of LT_RESAMPLE_MARGIN voxels per side (clipped at the volume's
 * faces, where the mirror boundary is the true one): the prefilter's impulse response decays as
 * 0.268^d, so the margin's truncation error is below 0.005 HU for a 2000 HU step.
 *
 * Grid convention: the output grid is an lt_geometry; its dir must equal the source's dir (the
 * axes are parallel, so the interpolation is separable: a pass along i, then j, then k). A grid
 * point is inside the source when its continuous voxel index lies in [-0.5, n - 0.5] on every
 * axis (the voxels' footprint); points outside get the `outside` value. Inside, samples beyond
 * the first/last voxel centre use the mirror boundary.
 *
 * Does not rotate (no arbitrary direction), does not read files, does not allocate the output. */
#ifndef LT_RESAMPLE_H
#define LT_RESAMPLE_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

#define LT_RESAMPLE_MARGIN 10

/* Interpolating cubic B-spline of src (int16, geometry src_geom) on grid: out has
 * lt_geometry_count(grid) floats, index i + n0 * (j + n1 * k). Returns -1 (err set) when the
 * grid's axes are not parallel to the source's, a dimension or spacing is not positive, or
 * memory runs out. */
int lt_resample_bspline_i16(float *out, const lt_geometry *grid, const int16_t *src,
                            const lt_geometry *src_geom, float outside, lt_error *err);

/* Trilinear interpolation of src on grid (same conventions); for the 0/1 masks and as the
 * benchmark's peer. */
int lt_resample_linear_i16(float *out, const lt_geometry *grid, const int16_t *src,
                           const lt_geometry *src_geom, float outside, lt_error *err);
int lt_resample_linear_u8(float *out, const lt_geometry *grid, const uint8_t *src,
                          const lt_geometry *src_geom, float outside, lt_error *err);

/* In-place conversion of n consecutive samples to cubic B-spline coefficients with
 * mirror boundaries (exposed for tests). */
void lt_bspline_prefilter_line(double *c, int n);

#endif
