/* engine/synth/shape.c — see shape.h. */
#include "synth/shape.h"

#include <math.h>
#include <string.h>

#include "synth/rng.h"

static void random_unit(lt_srng *rng, double u[3]) {
  double n;
  do {
    for (int i = 0; i < 3; i++) u[i] = lt_srng_normal(rng);
    n = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
  } while (n < 1e-6);
  for (int i = 0; i < 3; i++) u[i] /= n;
}

static double dot3(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross3(const double a[3], const double b[3], double c[3]) {
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
}

static double legendre(int l, double x) {
  double p0 = 1, p1 = x;
  if (l == 0) return p0;
  for (int k = 2; k <= l; k++) {
    double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  return p1;
}

/* Lobulation term L(u) for a unit direction u. */
static double lobes(const lt_nodule_shape *s, const double u[3]) {
  double L = 0;
  for (int h = 0; h < LT_SHAPE_HARMONICS; h++)
    L += s->harm_coef[h] * legendre(s->harm_degree[h], dot3(u, s->harm_axis[h]));
  return L;
}

const char *const lt_nodule_kind_names[LT_KIND_N] = {"solid", "ground-glass", "part-solid",
                                                       "calcified", "oversize"};
const char *const lt_calc_pattern_names[LT_CALC_N] = {"diffuse", "central", "laminated", "popcorn"};

int lt_nodule_kind_parse(const char *name) {
  for (int k = 0; k < LT_KIND_N; k++)
    if (!strcmp(name, lt_nodule_kind_names[k])) return k;
  return -1;
}

/* Distance from the centre to the body's surface along unit direction u (LPS), mm. */
static double surface_distance(const lt_nodule_shape *s, const double u[3]) {
  double e2 = 0;
  for (int a = 0; a < 3; a++) {
    double q = dot3(u, s->axis[a]) / s->semi[a];
    e2 += q * q;
  }
  double L = lobes(s, u);
  if (L < -0.6) L = -0.6;
  return (1.0 + L) / sqrt(e2);
}

void lt_nodule_shape_make(lt_nodule_shape *s, const lt_synth_attrs *a, lt_srng *rng) {
  memset(s, 0, sizeof *s);
  s->attrs = *a;
  double sub = a->score[LT_ATTR_SUBTLETY], sph = a->score[LT_ATTR_SPHERICITY];
  double mar = a->score[LT_ATTR_MARGIN], lob = a->score[LT_ATTR_LOBULATION];
  double spi = a->score[LT_ATTR_SPICULATION];
  double r0 = a->diameter_mm / 2;

  /* Ellipsoid: major 1, middle m, minor q, volume-preserving. */
  double q = 0.4 + 0.6 * (sph - 1) / 4;
  double m = (1 + q) / 2;
  double k = r0 / cbrt(q * m);
  s->semi[0] = k;
  s->semi[1] = k * m;
  s->semi[2] = k * q;
  random_unit(rng, s->axis[0]);
  double t[3];
  random_unit(rng, t);
  cross3(s->axis[0], t, s->axis[1]);
  double n = sqrt(dot3(s->axis[1], s->axis[1]));
  if (n < 1e-6) { /* t parallel to axis 0: pick any perpendicular */
    double e[3] = {fabs(s->axis[0][0]) < 0.9 ? 1 : 0, fabs(s->axis[0][0]) < 0.9 ? 0 : 1, 0};
    cross3(s->axis[0], e, s->axis[1]);
    n = sqrt(dot3(s->axis[1], s->axis[1]));
  }
  for (int i = 0; i < 3; i++) s->axis[1][i] /= n;
  cross3(s->axis[0], s->axis[1], s->axis[2]);

  /* Lobulation: zonal harmonics of degree 3..5, RMS amplitude 0.045 (l - 1). */
  double amp = 0.045 * (lob - 1);
  double ss = 0;
  for (int h = 0; h < LT_SHAPE_HARMONICS; h++) {
    random_unit(rng, s->harm_axis[h]);
    s->harm_degree[h] = 3 + lt_srng_int(rng, 3);
    s->harm_coef[h] = lt_srng_normal(rng);
    ss += s->harm_coef[h] * s->harm_coef[h] / (2 * s->harm_degree[h] + 1);
  }
  for (int h = 0; h < LT_SHAPE_HARMONICS; h++) s->harm_coef[h] *= ss > 0 ? amp / sqrt(ss) : 0;

  s->edge_sd_mm = 0.15 + 1.2 * (5 - mar) / 4;

  /* Spikes. */
  int ns = (int)lround(3 * (spi - 1)) + lt_srng_int(rng, 3);
  if (spi < 1.5) ns = 0;
  if (ns > LT_SHAPE_MAX_SPIKES) ns = LT_SHAPE_MAX_SPIKES;
  s->n_spikes = ns;
  double longest = 0;
  for (int i = 0; i < ns; i++) {
    random_unit(rng, s->spike_dir[i]);
    /* Flattened towards the axial plane: with slices of 1-3 mm, spicules seen on a slice are
     * the ones that run in it. */
    double *u = s->spike_dir[i];
    u[2] *= 0.25;
    double un = sqrt(dot3(u, u));
    for (int c = 0; c < 3; c++) u[c] /= un;
    s->spike_base[i] = surface_distance(s, s->spike_dir[i]);
    s->spike_len[i] = lt_srng_range(rng, 0.4, 1.1) * r0 * (spi / 5) + 2.0;
    s->spike_width[i] = lt_srng_range(rng, 0.7, 1.1);
    double reach = s->spike_base[i] + s->spike_len[i];
    if (reach > longest) longest = reach;
  }

  s->core_hu = -60 + 100 * (sub - 1) / 4;
  s->texture_sd_hu = 35;
  s->alpha = 0.7 + 0.3 * (sub - 1) / 4;

  double body = s->semi[0] * (1 + 4 * amp) + 3.5 * s->edge_sd_mm;
  s->radius_mm = body > longest + 1 ? body : longest + 1;
}

/* Gaussian CDF of x / sd. */
static double smooth_step(double x, double sd) { return 0.5 * erfc(-x / (sd * M_SQRT2)); }

double lt_nodule_shape_occupancy(const lt_nodule_shape *s, const double p[3], const double *jitter) {
  double r = sqrt(dot3(p, p));
  if (r > s->radius_mm + 2) return 0;
  double u[3] = {1, 0, 0};
  if (r > 1e-9) {
    u[0] = p[0] / r;
    u[1] = p[1] / r;
    u[2] = p[2] / r;
  }
  double d = surface_distance(s, u) - r;
  if (jitter) {
    double th = atan2(u[1], u[0]);
    d += jitter[0] + jitter[1] * cos(th) + jitter[2] * sin(th) + jitter[3] * cos(2 * th) +
         jitter[4] * sin(2 * th) + jitter[5] * u[2] + jitter[6] * cos(3 * th) +
         jitter[7] * sin(3 * th);
  }
  double occ = smooth_step(d, s->edge_sd_mm);
  for (int i = 0; i < s->n_spikes && occ < 0.999; i++) {
    double tt = dot3(p, s->spike_dir[i]);
    double reach = s->spike_base[i] + s->spike_len[i];
    if (tt < 0.3 * s->spike_base[i] || tt > reach + 1) continue;
    double perp2 = r * r - tt * tt;
    double perp = perp2 > 0 ? sqrt(perp2) : 0;
    double f = (reach - tt) / s->spike_len[i];
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    double w = s->spike_width[i] * sqrt(f);
    double o = smooth_step(w - perp, 0.2) * smooth_step(reach - tt, 0.3);
    if (o > occ) occ = o;
  }
  return occ;
}

/* ---- Kinds other than solid (docs/synth.md, "Abnormal nodules: the scope sets"). ---- */

/* The ranges, with why, are in docs/synth.md. */
#define GGO_HU_LO -750.0      /* pure ground-glass nodules measure about -800..-300 HU */
#define GGO_HU_HI -450.0
#define GGO_TEXTURE_SD 40.0   /* hazier and more heterogeneous than a solid nodule's 35 HU */
#define CORE_HU_LO -50.0      /* the solid component: soft tissue */
#define CORE_HU_HI 60.0
#define CORE_FRACTION_LO 0.25 /* the solid core's diameter over the nodule's */
#define CORE_FRACTION_HI 0.60
#define CALCIUM_HU_LO 300.0   /* calcified granulomas: dense calcium, a few hundred to >1000 HU */
#define CALCIUM_HU_HI 1000.0
#define SOFT_HU_LO -20.0      /* the non-calcified remainder: soft tissue */
#define SOFT_HU_HI 40.0
#define OVERSIZE_LO_MM 38.0   /* the drawn largest extent; measured 35-60 mm with the voxels */
#define OVERSIZE_HI_MM 56.0

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static double log_uniform(lt_srng *rng, double lo, double hi) {
  return exp(lt_srng_range(rng, log(lo), log(hi)));
}

void lt_nodule_kind_attrs(lt_nodule_kind kind, lt_synth_attrs *a, lt_srng *rng) {
  double *sc = a->score;
  switch (kind) {
  case LT_KIND_SOLID:
    return;
  case LT_KIND_GROUND_GLASS:
    /* Pure GGNs are rarely spiculated; their size spans the small focal GGN to the large one. */
    a->diameter_mm = log_uniform(rng, 6, 30);
    sc[LT_ATTR_SPICULATION] = clampd(sc[LT_ATTR_SPICULATION], 1, 2);
    return;
  case LT_KIND_PART_SOLID:
    a->diameter_mm = log_uniform(rng, 8, 30);
    return;
  case LT_KIND_CALCIFIED:
    /* Calcified granulomas: small, round, sharply marginated, smooth, conspicuous. */
    a->diameter_mm = log_uniform(rng, 4, 20);
    sc[LT_ATTR_SPHERICITY] = clampd(sc[LT_ATTR_SPHERICITY], 4, 5);
    sc[LT_ATTR_MARGIN] = clampd(sc[LT_ATTR_MARGIN], 4, 5);
    sc[LT_ATTR_LOBULATION] = clampd(sc[LT_ATTR_LOBULATION], 1, 1.5);
    sc[LT_ATTR_SPICULATION] = 1;
    sc[LT_ATTR_SUBTLETY] = clampd(sc[LT_ATTR_SUBTLETY], 4, 5);
    return;
  case LT_KIND_OVERSIZE:
    /* A mass is obvious; no spicules and little lobulation, so that its extent is the drawn one
     * (the diameter is set from the scaled shape in lt_nodule_shape_make_kind). */
    a->diameter_mm = 40;
    sc[LT_ATTR_SPICULATION] = clampd(sc[LT_ATTR_SPICULATION], 1, 1.4);
    sc[LT_ATTR_LOBULATION] = clampd(sc[LT_ATTR_LOBULATION], 1, 2.5);
    sc[LT_ATTR_SUBTLETY] = clampd(sc[LT_ATTR_SUBTLETY], 4, 5);
    return;
  default:
    return;
  }
}

double lt_nodule_shape_surface_mm(const lt_nodule_shape *s, const double u[3]) {
  return surface_distance(s, u);
}

void lt_nodule_shape_extent(const lt_nodule_shape *s, double extent_mm[3]) {
  double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  const int n = 2000;
  const double golden = M_PI * (3 - sqrt(5.0));
  for (int t = 0; t < n; t++) { /* Fibonacci sphere: near-even directions */
    double z = 1 - (t + 0.5) * 2.0 / n, rr = sqrt(1 - z * z), ph = golden * t;
    double u[3] = {rr * cos(ph), rr * sin(ph), z};
    double r = surface_distance(s, u);
    for (int d = 0; d < 3; d++) {
      if (r * u[d] < lo[d]) lo[d] = r * u[d];
      if (r * u[d] > hi[d]) hi[d] = r * u[d];
    }
  }
  for (int i = 0; i < s->n_spikes; i++)
    for (int d = 0; d < 3; d++) {
      double tip = (s->spike_base[i] + s->spike_len[i]) * s->spike_dir[i][d];
      if (tip < lo[d]) lo[d] = tip;
      if (tip > hi[d]) hi[d] = tip;
    }
  for (int d = 0; d < 3; d++) extent_mm[d] = hi[d] - lo[d];
}

static void random_in_ball(lt_srng *rng, double r, double p[3]) {
  double u[3];
  random_unit(rng, u);
  double rad = r * cbrt(lt_srng_uniform(rng));
  for (int d = 0; d < 3; d++) p[d] = rad * u[d];
}

void lt_nodule_shape_make_kind(lt_nodule_shape *s, const lt_synth_attrs *a, lt_nodule_kind kind,
                               lt_srng *rng) {
  lt_nodule_shape_make(s, a, rng);
  s->kind = kind;
  double r0 = a->diameter_mm / 2;
  switch (kind) {
  case LT_KIND_SOLID:
    return;
  case LT_KIND_GROUND_GLASS:
    s->ggo_hu = lt_srng_range(rng, GGO_HU_LO, GGO_HU_HI);
    s->core_hu = s->ggo_hu;
    s->texture_sd_hu = GGO_TEXTURE_SD;
    s->alpha = 1; /* its faintness is its HU, not a blend */
    return;
  case LT_KIND_PART_SOLID: {
    s->ggo_hu = lt_srng_range(rng, GGO_HU_LO, GGO_HU_HI);
    s->core_hu = lt_srng_range(rng, CORE_HU_LO, CORE_HU_HI);
    s->core_fraction = lt_srng_range(rng, CORE_FRACTION_LO, CORE_FRACTION_HI);
    s->texture_sd_hu = GGO_TEXTURE_SD;
    s->alpha = 1;
    /* Solid components are often eccentric: off the centre by up to a third of the room the
     * halo leaves, so the core stays inside it. */
    double u[3];
    random_unit(rng, u);
    double off = lt_srng_uniform(rng) * (1 - s->core_fraction) * r0 / 3;
    for (int d = 0; d < 3; d++) s->core_offset[d] = off * u[d];
    return;
  }
  case LT_KIND_CALCIFIED:
    s->calc_pattern = (lt_calc_pattern)lt_srng_int(rng, LT_CALC_N);
    s->calcium_hu = lt_srng_range(rng, CALCIUM_HU_LO, CALCIUM_HU_HI);
    s->soft_hu = lt_srng_range(rng, SOFT_HU_LO, SOFT_HU_HI);
    s->core_hu = s->calcium_hu;
    s->texture_sd_hu = 35;
    s->alpha = 1;
    /* "Most of the nodule": a central core of 0.85-0.95 of the size is 61-86% of the volume;
     * popcorn clumps are many and large enough to fill most of it. */
    s->calc_fraction = lt_srng_range(rng, 0.85, 0.95);
    s->ring_mm = lt_srng_range(rng, 1.5, 3.0);
    s->n_clumps = 7 + lt_srng_int(rng, 5);
    for (int c = 0; c < s->n_clumps; c++) {
      random_in_ball(rng, 0.55 * r0, s->clump_centre[c]);
      s->clump_radius[c] = lt_srng_range(rng, 0.40, 0.55) * r0;
    }
    return;
  case LT_KIND_OVERSIZE: {
    double ext[3];
    lt_nodule_shape_extent(s, ext);
    double mx = fmax(ext[0], fmax(ext[1], ext[2]));
    double want = lt_srng_range(rng, OVERSIZE_LO_MM, OVERSIZE_HI_MM);
    double f = want / mx;
    for (int d = 0; d < 3; d++) s->semi[d] *= f;
    for (int i = 0; i < s->n_spikes; i++) {
      s->spike_base[i] *= f;
      s->spike_len[i] *= f;
    }
    s->radius_mm = (s->radius_mm - 3.5 * s->edge_sd_mm) * f + 3.5 * s->edge_sd_mm;
    s->attrs.diameter_mm = 2 * cbrt(s->semi[0] * s->semi[1] * s->semi[2]);
    return;
  }
  default:
    return;
  }
}

/* Occupancy of the same body scaled by f about offset c (a core inside the nodule). */
static double scaled_occupancy(const lt_nodule_shape *s, const double p[3], const double c[3],
                               double f, double sd) {
  double q[3] = {p[0] - c[0], p[1] - c[1], p[2] - c[2]};
  double r = sqrt(dot3(q, q));
  double u[3] = {1, 0, 0};
  if (r > 1e-9)
    for (int d = 0; d < 3; d++) u[d] = q[d] / r;
  return smooth_step(f * surface_distance(s, u) - r, sd);
}

double lt_nodule_shape_target_hu(const lt_nodule_shape *s, const double p[3], double tex) {
  static const double zero[3] = {0, 0, 0};
  switch (s->kind) {
  case LT_KIND_PART_SOLID: {
    double co = scaled_occupancy(s, p, s->core_offset, s->core_fraction, 0.4);
    return s->ggo_hu + (s->core_hu - s->ggo_hu) * co + (s->texture_sd_hu + (35 - s->texture_sd_hu) * co) * tex;
  }
  case LT_KIND_CALCIFIED: {
    double level = s->calcium_hu, co = 1;
    switch (s->calc_pattern) {
    case LT_CALC_CENTRAL:
      co = scaled_occupancy(s, p, zero, s->calc_fraction, 0.3);
      break;
    case LT_CALC_LAMINATED: /* concentric rings between the calcium's HU and 0.7 of it */
      level = s->calcium_hu * (0.85 + 0.15 * cos(2 * M_PI * sqrt(dot3(p, p)) / s->ring_mm));
      break;
    case LT_CALC_POPCORN:
      co = 0;
      for (int c = 0; c < s->n_clumps; c++) {
        double q[3] = {p[0] - s->clump_centre[c][0], p[1] - s->clump_centre[c][1], p[2] - s->clump_centre[c][2]};
        double o = smooth_step(s->clump_radius[c] - sqrt(dot3(q, q)), 0.3);
        if (o > co) co = o;
      }
      break;
    default:
      break;
    }
    return s->soft_hu + (level - s->soft_hu) * co + s->texture_sd_hu * tex;
  }
  default: /* solid, ground-glass, oversize */
    return s->core_hu + s->texture_sd_hu * tex;
  }
}
