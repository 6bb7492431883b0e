/* engine/synth/shape.h — the geometry of one synthetic solid nodule, made from its attributes,
 * as a partial-volume occupancy function of position (0 outside .. 1 inside).
 *
 * Mapping from the six attributes (LIDC scales, 1-5):
 * - diameter d (mm): the body is an ellipsoid of volume pi d^3 / 6 before modulation;
 * - sphericity s: axis ratio minor/major = 0.4 + 0.6 (s-1)/4 (1 linear .. 5 round), the middle
 *   axis halfway, in a random orientation;
 * - lobulation l: the surface radius is multiplied by 1 + L(u), L a sum of six zonal spherical
 *   harmonics of degree 3-5 about random axes (low-order surface harmonics), RMS amplitude
 *   0.045 (l-1) (0 for l = 1, 0.18 for l = 5);
 * - spiculation p: round(3 (p-1)) + (0..2) radial spikes (none below p = 1.5, 12-14 at p = 5),
 *   cones from the surface in random directions flattened towards the axial plane (z
 *   component * 0.25: on 1-3 mm slices the spicules one sees run in the slice), length
 *   (0.4..1.1) * d/2 * (p/5) + 2 mm, base half-width 0.7-1.1 mm tapering as the square root of the distance to the tip;
 * - margin m: the surface is a smooth step of width sd 0.15 + 1.2 (5-m)/4 mm (sharp at 5,
 *   poorly defined at 1), Gaussian CDF of the signed distance;
 * - subtlety t: contrast, core HU -60 + 100 (t-1)/4 (solid: -60..+40 HU, texture sd 35 HU)
 *   and peak blending alpha 0.7 + 0.3 (t-1)/4 (see insert.h); size is drawn jointly with it.
 * The occupancy's signed distance is measured along the ray from the centre (exact for a sphere,
 * an approximation for ellipsoids), which is enough for a smooth edge.
 * Does no I/O and knows no volume (insert.h places the shape in a CT). */
#ifndef LT_SYNTH_SHAPE_H
#define LT_SYNTH_SHAPE_H

#include "synth/attrs.h"
#include "synth/rng.h"

#define LT_SHAPE_MAX_SPIKES 16
#define LT_SHAPE_HARMONICS 6

typedef struct {
  lt_synth_attrs attrs;
  double axis[3][3];   /* unit axes (LPS) of the ellipsoid */
  double semi[3];      /* semi-axes, mm */
  double harm_axis[LT_SHAPE_HARMONICS][3];
  int harm_degree[LT_SHAPE_HARMONICS];
  double harm_coef[LT_SHAPE_HARMONICS];
  int n_spikes;
  double spike_dir[LT_SHAPE_MAX_SPIKES][3];
  double spike_base[LT_SHAPE_MAX_SPIKES]; /* body surface distance along the spike, mm */
  double spike_len[LT_SHAPE_MAX_SPIKES];  /* beyond the surface, mm */
  double spike_width[LT_SHAPE_MAX_SPIKES];/* base half-width, mm */
  double edge_sd_mm;
  double core_hu, texture_sd_hu, alpha;
  double radius_mm;    /* bounding radius: occupancy < 1e-3 beyond it */
} lt_nodule_shape;

void lt_nodule_shape_make(lt_nodule_shape *s, const lt_synth_attrs *a, lt_srng *rng);

/* Occupancy at p (mm, LPS, relative to the nodule's centre), in [0, 1]. jitter: NULL, or 8
 * coefficients (mm) of a boundary displacement sum c0 + c1 cos t + c2 sin t + c3 cos 2t +
 * c4 sin 2t + c5 z/r + c6 cos 3t + c7 sin 3t (t the in-plane angle of p, z/r its elevation):
 * a reader's hand. */
double lt_nodule_shape_occupancy(const lt_nodule_shape *s, const double p[3], const double *jitter);

#endif
