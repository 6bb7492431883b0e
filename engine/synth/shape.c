/* engine/synth/shape.c — see shape.h. */
#include "synth/shape.h"

#include <math.h>
#include <string.h>

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
