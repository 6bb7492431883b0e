/* engine/ct/resample.c — see resample.h. */
#include "resample.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define POLE (-0.267949192431122706) /* sqrt(3) - 2 */

/* Mirror (whole-sample symmetric) index into [0, n-1]. */
static int mirror_index(int k, int n) {
  if (n == 1) return 0;
  int p = 2 * n - 2;
  k %= p;
  if (k < 0) k += p;
  return k >= n ? p - k : k;
}

void lt_bspline_prefilter_line(double *c, int n) {
  if (n < 2) return;
  const double z = POLE;
  for (int k = 0; k < n; k++) c[k] *= 6.0; /* (1 - z)(1 - 1/z) */
  /* Causal initialisation (mirror boundary), truncated where z^k < 1e-12. */
  int horizon = (int)ceil(log(1e-12) / log(fabs(z)));
  double sum;
  if (horizon < n) {
    double zn = z;
    sum = c[0];
    for (int k = 1; k < horizon; k++) {
      sum += zn * c[k];
      zn *= z;
    }
  } else {
    double zn = z, iz = 1.0 / z, z2n = pow(z, n - 1);
    sum = c[0] + z2n * c[n - 1];
    z2n *= z2n * iz;
    for (int k = 1; k < n - 1; k++) {
      sum += (zn + z2n) * c[k];
      zn *= z;
      z2n *= iz;
    }
    sum /= 1.0 - zn * zn;
  }
  c[0] = sum;
  for (int k = 1; k < n; k++) c[k] += z * c[k - 1];
  c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1]);
  for (int k = n - 2; k >= 0; k--) c[k] = z * (c[k + 1] - c[k]);
}

/* The same prefilter on nl lines at once, in float: element k of line l at d[k * ks + l] (the
 * lines interleaved, so every step is a contiguous, vectorisable loop over l). acc: nl floats.
 * The causal initial value uses weights computed in double (exact mirror sum when the line is
 * shorter than the 1e-12 horizon, else the truncated sum). */
static void prefilter_lines(float *d, int n, size_t ks, int nl, float *acc) {
  if (n < 2) return;
  const double z = POLE;
  const float zf = (float)z;
  for (size_t q = 0; q < (size_t)n * ks; q++) d[q] *= 6.0f;
  int horizon = (int)ceil(log(1e-12) / log(fabs(z)));
  for (int l = 0; l < nl; l++) acc[l] = d[l];
  if (horizon < n) {
    double zk = z;
    for (int k = 1; k < horizon; k++, zk *= z) {
      const float w = (float)zk;
      const float *r = d + (size_t)k * ks;
      for (int l = 0; l < nl; l++) acc[l] += w * r[l];
    }
  } else {
    double z2n2 = pow(z, 2 * n - 2), norm = 1.0 / (1.0 - z2n2);
    for (int l = 0; l < nl; l++) acc[l] = (float)(norm * acc[l]);
    for (int k = 1; k < n; k++) {
      double w = k < n - 1 ? (pow(z, k) + pow(z, 2 * n - 2 - k)) * norm : pow(z, n - 1) * norm;
      const float wf = (float)w;
      const float *r = d + (size_t)k * ks;
      for (int l = 0; l < nl; l++) acc[l] += wf * r[l];
    }
  }
  for (int l = 0; l < nl; l++) d[l] = acc[l];
  for (int k = 1; k < n; k++) {
    float *r = d + (size_t)k * ks;
    const float *p = r - ks;
    for (int l = 0; l < nl; l++) r[l] += zf * p[l];
  }
  {
    const float a = (float)(z / (z * z - 1.0));
    float *r = d + (size_t)(n - 1) * ks;
    const float *p = r - ks;
    for (int l = 0; l < nl; l++) r[l] = a * (zf * p[l] + r[l]);
  }
  for (int k = n - 2; k >= 0; k--) {
    float *r = d + (size_t)k * ks;
    const float *nx = r + ks;
    for (int l = 0; l < nl; l++) r[l] = zf * (nx[l] - r[l]);
  }
}

/* Where each output index along one axis reads the source. */
typedef struct {
  int n, ntaps;
  int lo, hi;        /* source region [lo, hi] (inclusive) loaded for this axis */
  int *tap;          /* n * ntaps source indices (mirrored), later made relative to lo */
  float *w;          /* n * ntaps weights */
  uint8_t *inside;   /* n flags */
  bool any;
} axis_plan;

static void plan_free(axis_plan *p) {
  free(p->tap);
  free(p->w);
  free(p->inside);
}

static int plan_axis(axis_plan *p, double x0, double step, int n_out, int n_src, bool cubic,
                     int margin) {
  memset(p, 0, sizeof *p);
  p->n = n_out;
  p->ntaps = cubic ? 4 : 2;
  p->tap = malloc((size_t)n_out * (size_t)p->ntaps * sizeof *p->tap);
  p->w = malloc((size_t)n_out * (size_t)p->ntaps * sizeof *p->w);
  p->inside = calloc((size_t)n_out, 1);
  if (!p->tap || !p->w || !p->inside) return -1;
  int lo = n_src, hi = -1;
  for (int a = 0; a < n_out; a++) {
    double x = x0 + a * step;
    int *t = p->tap + a * p->ntaps;
    float *w = p->w + a * p->ntaps;
    bool in = x >= -0.5 - 1e-9 && x <= n_src - 0.5 + 1e-9;
    p->inside[a] = in;
    if (!in) {
      for (int q = 0; q < p->ntaps; q++) {
        t[q] = 0;
        w[q] = 0;
      }
      continue;
    }
    double b = floor(x);
    double f = x - b;
    int base = (int)b;
    if (cubic) {
      double g = 1.0 - f;
      w[0] = (float)(g * g * g / 6.0);
      w[1] = (float)(2.0 / 3.0 - f * f + 0.5 * f * f * f);
      w[2] = (float)(2.0 / 3.0 - g * g + 0.5 * g * g * g);
      w[3] = (float)(f * f * f / 6.0);
      for (int q = 0; q < 4; q++) t[q] = mirror_index(base - 1 + q, n_src);
    } else {
      w[0] = (float)(1.0 - f);
      w[1] = (float)f;
      t[0] = mirror_index(base, n_src);
      t[1] = mirror_index(base + 1, n_src);
    }
    for (int q = 0; q < p->ntaps; q++) {
      if (t[q] < lo) lo = t[q];
      if (t[q] > hi) hi = t[q];
    }
    p->any = true;
  }
  if (!p->any) return 0;
  lo -= margin;
  hi += margin;
  if (lo < 0) lo = 0;
  if (hi > n_src - 1) hi = n_src - 1;
  p->lo = lo;
  p->hi = hi;
  for (int q = 0; q < n_out * p->ntaps; q++)
    if (p->inside[q / p->ntaps]) p->tap[q] -= lo; /* outside: tap 0, weight 0 */
  return 0;
}

/* Continuous source index of grid voxel 0 along axis c and the step per grid voxel. */
static int grid_mapping(const lt_geometry *grid, const lt_geometry *src, double x0[3],
                        double step[3], lt_error *err) {
  for (int a = 0; a < 3; a++) {
    if (grid->dim[a] <= 0 || src->dim[a] <= 0)
      return lt_error_set(err, "resample: dimensions must be positive");
    if (!(grid->spacing[a] > 0) || !(src->spacing[a] > 0))
      return lt_error_set(err, "resample: spacing must be positive");
  }
  for (int q = 0; q < 9; q++)
    if (fabs(grid->dir[q] - src->dir[q]) > 1e-6)
      return lt_error_set(err, "resample: the grid's axes are not parallel to the volume's");
  double ijk[3];
  lt_geometry_mm_to_voxel(src, grid->origin, ijk);
  for (int a = 0; a < 3; a++) {
    x0[a] = ijk[a];
    step[a] = grid->spacing[a] / src->spacing[a];
  }
  return 0;
}

typedef enum { SRC_I16, SRC_U8 } src_type;

static int resample(float *out, const lt_geometry *grid, const void *src, src_type type,
                    const lt_geometry *sg, float outside, bool cubic, lt_error *err) {
  double x0[3], step[3];
  if (grid_mapping(grid, sg, x0, step, err)) return -1;
  const int N0 = grid->dim[0], N1 = grid->dim[1], N2 = grid->dim[2];
  axis_plan P[3];
  memset(P, 0, sizeof P);
  float *roi = NULL, *t1 = NULL, *t2 = NULL, *tr = NULL, *acc = NULL;
  int rc = -1;
  for (int a = 0; a < 3; a++)
    if (plan_axis(&P[a], x0[a], step[a], grid->dim[a], sg->dim[a], cubic,
                  cubic ? LT_RESAMPLE_MARGIN : 0))
      goto oom;
  size_t total = lt_geometry_count(grid);
  if (!P[0].any || !P[1].any || !P[2].any) {
    for (size_t q = 0; q < total; q++) out[q] = outside;
    rc = 0;
    goto done;
  }
  const int RX = P[0].hi - P[0].lo + 1, RY = P[1].hi - P[1].lo + 1, RZ = P[2].hi - P[2].lo + 1;
  roi = malloc((size_t)RX * RY * RZ * sizeof *roi);
  t1 = malloc((size_t)RZ * RY * N0 * sizeof *t1);
  t2 = malloc((size_t)RZ * N1 * N0 * sizeof *t2);
  if (cubic) {
    tr = malloc((size_t)RX * RY * sizeof *tr);
    acc = malloc((size_t)RX * RY * sizeof *acc);
    if (!tr || !acc) goto oom;
  }
  if (!roi || !t1 || !t2) goto oom;

  /* Load the region as float. */
  const size_t sx = (size_t)sg->dim[0], sxy = sx * (size_t)sg->dim[1];
  for (int z = 0; z < RZ; z++)
    for (int y = 0; y < RY; y++) {
      size_t s = (size_t)(P[2].lo + z) * sxy + (size_t)(P[1].lo + y) * sx + (size_t)P[0].lo;
      float *d = roi + ((size_t)z * RY + y) * RX;
      if (type == SRC_I16) {
        const int16_t *p = (const int16_t *)src + s;
        for (int x = 0; x < RX; x++) d[x] = p[x];
      } else {
        const uint8_t *p = (const uint8_t *)src + s;
        for (int x = 0; x < RX; x++) d[x] = p[x];
      }
    }

  if (cubic) {
    /* Along i: each slice transposed so its rows become interleaved lines. */
    for (int z = 0; z < RZ; z++) {
      float *d = roi + (size_t)z * RY * RX;
      for (int y = 0; y < RY; y++)
        for (int x = 0; x < RX; x++) tr[(size_t)x * RY + y] = d[(size_t)y * RX + x];
      prefilter_lines(tr, RX, (size_t)RY, RY, acc);
      for (int y = 0; y < RY; y++)
        for (int x = 0; x < RX; x++) d[(size_t)y * RX + x] = tr[(size_t)x * RY + y];
    }
    /* Along j: per slice, the RX columns are interleaved lines. */
    for (int z = 0; z < RZ; z++) prefilter_lines(roi + (size_t)z * RY * RX, RY, (size_t)RX, RX, acc);
    /* Along k: the whole plane at once. */
    prefilter_lines(roi, RZ, (size_t)RX * RY, RX * RY, acc);
  }

  /* Only the rows the taps read need the passes (the margin served the prefilter). */
  int tlo[3], thi[3];
  for (int a = 0; a < 3; a++) {
    tlo[a] = INT_MAX;
    thi[a] = -1;
    for (int q = 0; q < P[a].n * P[a].ntaps; q++) {
      if (!P[a].inside[q / P[a].ntaps]) continue;
      if (P[a].tap[q] < tlo[a]) tlo[a] = P[a].tap[q];
      if (P[a].tap[q] > thi[a]) thi[a] = P[a].tap[q];
    }
  }
  /* Pass along i: t1[z][y][a]. */
  const int nt = P[0].ntaps;
  for (int z = tlo[2]; z <= thi[2]; z++)
    for (int y = tlo[1]; y <= thi[1]; y++) {
      const float *r = roi + ((size_t)z * RY + y) * RX;
      float *o = t1 + ((size_t)z * RY + y) * N0;
      for (int a = 0; a < N0; a++) {
        const int *t = P[0].tap + a * nt;
        const float *w = P[0].w + a * nt;
        float s = 0;
        for (int q = 0; q < nt; q++) s += w[q] * r[t[q]]; /* outside: weights 0, tap 0 */
        o[a] = s;
      }
    }
  /* Pass along j: t2[z][b][a]. */
  for (int z = tlo[2]; z <= thi[2]; z++)
    for (int b = 0; b < N1; b++) {
      if (!P[1].inside[b]) continue;
      float *o = t2 + ((size_t)z * N1 + b) * N0;
      const int *t = P[1].tap + b * nt;
      const float *w = P[1].w + b * nt;
      for (int a = 0; a < N0; a++) o[a] = 0;
      for (int q = 0; q < nt; q++) {
        const float *r = t1 + ((size_t)z * RY + t[q]) * N0;
        const float wq = w[q];
        for (int a = 0; a < N0; a++) o[a] += wq * r[a];
      }
    }
  /* Pass along k: out[c][b][a]. */
  for (int c = 0; c < N2; c++) {
    const int *t = P[2].tap + c * nt;
    const float *w = P[2].w + c * nt;
    for (int b = 0; b < N1; b++) {
      float *o = out + ((size_t)c * N1 + b) * N0;
      if (!P[2].inside[c] || !P[1].inside[b]) {
        for (int a = 0; a < N0; a++) o[a] = outside;
        continue;
      }
      for (int a = 0; a < N0; a++) o[a] = 0;
      for (int q = 0; q < nt; q++) {
        const float *r = t2 + ((size_t)t[q] * N1 + b) * N0;
        const float wq = w[q];
        for (int a = 0; a < N0; a++) o[a] += wq * r[a];
      }
      for (int a = 0; a < N0; a++)
        if (!P[0].inside[a]) o[a] = outside;
    }
  }
  rc = 0;
  goto done;
oom:
  lt_error_set(err, "resample: out of memory");
done:
  free(roi);
  free(t1);
  free(t2);
  free(tr);
  free(acc);
  for (int a = 0; a < 3; a++) plan_free(&P[a]);
  return rc;
}

int lt_resample_bspline_i16(float *out, const lt_geometry *grid, const int16_t *src,
                            const lt_geometry *src_geom, float outside, lt_error *err) {
  return resample(out, grid, src, SRC_I16, src_geom, outside, true, err);
}

int lt_resample_linear_i16(float *out, const lt_geometry *grid, const int16_t *src,
                           const lt_geometry *src_geom, float outside, lt_error *err) {
  return resample(out, grid, src, SRC_I16, src_geom, outside, false, err);
}

int lt_resample_linear_u8(float *out, const lt_geometry *grid, const uint8_t *src,
                          const lt_geometry *src_geom, float outside, lt_error *err) {
  return resample(out, grid, src, SRC_U8, src_geom, outside, false, err);
}
