/* engine/synth/shape.h — the geometry of one synthetic nodule, made from its attributes,
 * as a partial-volume occupancy function of position (0 outside .. 1 inside), and, for the kinds
 * other than solid (ground-glass, part-solid, calcified, oversize), the HU inside it.
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
#define LT_SHAPE_MAX_CLUMPS 12

/* What the nodule is made of (docs/synth.md, "Abnormal nodules: the scope sets"). Solid is the
 * model's own kind and the default; the others exist to test when the model must not be
 * believed. */
typedef enum {
  LT_KIND_SOLID = 0,
  LT_KIND_GROUND_GLASS, /* hazy, ggo_hu with texture, no solid component */
  LT_KIND_PART_SOLID,   /* ground-glass halo around a solid core of core_fraction of the size */
  LT_KIND_CALCIFIED,    /* calcium (calcium_hu) over most of the nodule, in one of four patterns */
  LT_KIND_OVERSIZE,     /* a solid mass of 35-60 mm on at least one axis */
  LT_KIND_N
} lt_nodule_kind;

/* Radiology's names of the calcification patterns (LIDC calcification ratings 3, 5, 2, 1). */
typedef enum {
  LT_CALC_DIFFUSE = 0,
  LT_CALC_CENTRAL,
  LT_CALC_LAMINATED,
  LT_CALC_POPCORN,
  LT_CALC_N
} lt_calc_pattern;

/* "solid", "ground-glass", "part-solid", "calcified", "oversize". */
extern const char *const lt_nodule_kind_names[LT_KIND_N];
/* "diffuse", "central", "laminated", "popcorn". */
extern const char *const lt_calc_pattern_names[LT_CALC_N];
/* The kind named s, -1 for none. */
int lt_nodule_kind_parse(const char *s);

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
  /* Kind (lt_nodule_kind_apply; zero for solid, which uses core_hu and texture_sd_hu alone). */
  lt_nodule_kind kind;
  double ggo_hu;             /* ground-glass and part-solid: the hazy part's mean HU */
  double core_fraction;      /* part-solid: the solid core's size over the nodule's */
  double core_offset[3];     /* part-solid: the core's centre from the nodule's, mm */
  double calcium_hu;         /* calcified: the calcium's HU (laminated: its densest rings) */
  double soft_hu;            /* calcified: HU of what is not calcium */
  lt_calc_pattern calc_pattern;
  double calc_fraction;      /* central: the calcium core's size over the nodule's */
  double ring_mm;            /* laminated: the rings' period */
  int n_clumps;              /* popcorn: balls of calcium */
  double clump_centre[LT_SHAPE_MAX_CLUMPS][3], clump_radius[LT_SHAPE_MAX_CLUMPS];
} lt_nodule_shape;

void lt_nodule_shape_make(lt_nodule_shape *s, const lt_synth_attrs *a, lt_srng *rng);

/* The attributes a nodule of this kind is drawn with: a's scores from the LIDC pool, then the
 * kind's own rules (the diameter from the kind's range; calcified: round, sharp, smooth, no
 * spicules; oversize: obvious, no spicules, little lobulation so that its extent is what was
 * drawn). Draws from rng only for kinds other than solid (solid leaves a unchanged). */
void lt_nodule_kind_attrs(lt_nodule_kind kind, lt_synth_attrs *a, lt_srng *rng);
/* Makes the shape of a nodule of this kind: lt_nodule_shape_make, then the kind's densities and
 * patterns from rng. Oversize: the shape is scaled so that its largest extent along L, P or S is
 * a length drawn in 38-56 mm. Solid is exactly lt_nodule_shape_make. */
void lt_nodule_shape_make_kind(lt_nodule_shape *s, const lt_synth_attrs *a, lt_nodule_kind kind,
                               lt_srng *rng);
/* The body's surface distance from the centre along unit direction u (LPS), mm. */
double lt_nodule_shape_surface_mm(const lt_nodule_shape *s, const double u[3]);
/* The shape's extent along L, P and S (mm): body and spicules, from 2,000 directions. */
void lt_nodule_shape_extent(const lt_nodule_shape *s, double extent_mm[3]);
/* The target HU at p (mm from the centre) before blending, given the texture field's value
 * there (unit sd). For solid: core_hu + texture_sd_hu * tex. */
double lt_nodule_shape_target_hu(const lt_nodule_shape *s, const double p[3], double tex);

/* Occupancy at p (mm, LPS, relative to the nodule's centre), in [0, 1]. jitter: NULL, or 8
 * coefficients (mm) of a boundary displacement sum c0 + c1 cos t + c2 sin t + c3 cos 2t +
 * c4 sin 2t + c5 z/r + c6 cos 3t + c7 sin 3t (t the in-plane angle of p, z/r its elevation):
 * a reader's hand. */
double lt_nodule_shape_occupancy(const lt_nodule_shape *s, const double p[3], const double *jitter);

#endif
