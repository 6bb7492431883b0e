/* engine/model/gradcam.c — see gradcam.h. */
#include "model/gradcam.h"

#include <math.h>
#include <string.h>

void lt_cam_weighted_sum(float *u, const float *f, const float *g, int N, int K) {
#pragma omp parallel for schedule(static) if (N >= 4096)
  for (int n = 0; n < N; n++) {
    const float *row = f + (size_t)n * K;
    double s = 0;
    for (int k = 0; k < K; k++) s += (double)g[k] * row[k];
    u[n] = (float)s;
  }
}

int lt_cam_minmax(float *cam, int *argmin, int *argmax, float *range, const float *u, float s, int N) {
  int imin = 0, imax = 0;
  for (int n = 1; n < N; n++) {
    if (s * u[n] < s * u[imin]) imin = n;
    if (s * u[n] > s * u[imax]) imax = n;
  }
  float lo = s * u[imin], hi = s * u[imax], r = hi - lo;
  if (argmin) *argmin = imin;
  if (argmax) *argmax = imax;
  if (range) *range = r;
  if (!(r > 0)) {
    memset(cam, 0, (size_t)N * sizeof *cam);
    return -1;
  }
  for (int n = 0; n < N; n++) cam[n] = (s * u[n] - lo) / r;
  return 0;
}

/* Source coordinate of output index i (align_corners = False), clamped, split into i0, i1, t. */
static void src_index(int i, int m, int n, int *i0, int *i1, float *t) {
  double x = (i + 0.5) * (double)n / m - 0.5;
  if (x < 0) x = 0;
  int a = (int)x;
  if (a > n - 1) a = n - 1;
  int b = a + 1 < n ? a + 1 : n - 1;
  *i0 = a;
  *i1 = b;
  *t = (float)(x - a);
}

void lt_cam_upsample(float *out, int m, const float *in, int n) {
#pragma omp parallel for schedule(static)
  for (int z = 0; z < m; z++) {
    int z0, z1, y0, y1, x0, x1;
    float tz, ty, tx;
    src_index(z, m, n, &z0, &z1, &tz);
    for (int y = 0; y < m; y++) {
      src_index(y, m, n, &y0, &y1, &ty);
      for (int x = 0; x < m; x++) {
        src_index(x, m, n, &x0, &x1, &tx);
#define V(a, b, c) in[((size_t)(a) * n + (b)) * n + (c)]
        float c00 = V(z0, y0, x0) * (1 - tx) + V(z0, y0, x1) * tx;
        float c01 = V(z0, y1, x0) * (1 - tx) + V(z0, y1, x1) * tx;
        float c10 = V(z1, y0, x0) * (1 - tx) + V(z1, y0, x1) * tx;
        float c11 = V(z1, y1, x0) * (1 - tx) + V(z1, y1, x1) * tx;
#undef V
        float c0 = c00 * (1 - ty) + c01 * ty, c1 = c10 * (1 - ty) + c11 * ty;
        out[((size_t)z * m + y) * m + x] = c0 * (1 - tz) + c1 * tz;
      }
    }
  }
}

static float sample_trilinear(const float *map, const int *dim, const double *ijk) {
  double fi[3];
  int i0[3];
  for (int a = 0; a < 3; a++) {
    fi[a] = ijk[a];
    if (fi[a] < 0) fi[a] = 0;
    if (fi[a] > dim[a] - 1) fi[a] = dim[a] - 1;
    i0[a] = (int)floor(fi[a]);
    if (i0[a] > dim[a] - 2) i0[a] = dim[a] > 1 ? dim[a] - 2 : 0;
    fi[a] -= i0[a];
  }
  double v = 0;
  for (int c = 0; c < 8; c++) {
    int o[3] = {c & 1, (c >> 1) & 1, (c >> 2) & 1};
    double wgt = 1;
    int idx[3];
    for (int a = 0; a < 3; a++) {
      wgt *= o[a] ? fi[a] : 1 - fi[a];
      idx[a] = i0[a] + o[a] < dim[a] ? i0[a] + o[a] : dim[a] - 1;
    }
    if (wgt != 0) v += wgt * map[((size_t)idx[2] * dim[1] + idx[1]) * dim[0] + idx[0]];
  }
  return (float)v;
}

void lt_cam_to_volume(float *vol, const lt_geometry *ct, const float *map, const lt_geometry *patch) {
  /* Bounding box of the patch's eight corners in CT voxel indices. */
  double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
  for (int c = 0; c < 8; c++) {
    double ijk[3], mm[3], v[3];
    for (int a = 0; a < 3; a++) ijk[a] = ((c >> a) & 1) ? patch->dim[a] - 0.5 : -0.5;
    lt_geometry_voxel_to_mm(patch, ijk, mm);
    lt_geometry_mm_to_voxel(ct, mm, v);
    for (int a = 0; a < 3; a++) {
      if (v[a] < lo[a]) lo[a] = v[a];
      if (v[a] > hi[a]) hi[a] = v[a];
    }
  }
  int b0[3], b1[3];
  for (int a = 0; a < 3; a++) {
    b0[a] = (int)ceil(lo[a]);
    b1[a] = (int)floor(hi[a]);
    if (b0[a] < 0) b0[a] = 0;
    if (b1[a] > ct->dim[a] - 1) b1[a] = ct->dim[a] - 1;
    if (b0[a] > b1[a]) return;
  }
#pragma omp parallel for schedule(static)
  for (int k = b0[2]; k <= b1[2]; k++)
    for (int j = b0[1]; j <= b1[1]; j++)
      for (int i = b0[0]; i <= b1[0]; i++) {
        double ijk[3] = {i, j, k}, mm[3], p[3];
        lt_geometry_voxel_to_mm(ct, ijk, mm);
        lt_geometry_mm_to_voxel(patch, mm, p);
        int inside = 1;
        for (int a = 0; a < 3; a++) inside &= p[a] >= -0.5 && p[a] <= patch->dim[a] - 0.5;
        if (!inside) continue;
        vol[((size_t)k * ct->dim[1] + j) * ct->dim[0] + i] = sample_trilinear(map, patch->dim, p);
      }
}

void lt_mask_fraction(float *p, const float *mask, int side, int k) {
  const int n = side / k;
  const float inv = 1.0f / (float)(k * k * k);
  for (int z = 0; z < n; z++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++) {
        int c = 0;
        for (int a = 0; a < k; a++)
          for (int b = 0; b < k; b++)
            for (int d = 0; d < k; d++)
              c += mask[(((size_t)(z * k + a) * side) + (y * k + b)) * side + (x * k + d)] >= 0.5f;
        p[((size_t)z * n + y) * n + x] = (float)c * inv;
      }
}

void lt_trust_measure(lt_trust *t, const float *cam, const float *p, int N, double margin) {
  double sp = 0, sq = 0, in = 0, out = 0, all = 0;
  for (int n = 0; n < N; n++) {
    sp += p[n];
    sq += 1.0 - p[n];
    in += (double)p[n] * cam[n];
    out += (1.0 - p[n]) * cam[n];
    all += cam[n];
  }
  memset(t, 0, sizeof *t);
  t->valid = sp > 0 && sq > 0;
  t->mean_in = sp > 0 ? in / sp : 0;
  t->mean_out = sq > 0 ? out / sq : 0;
  t->share_in = all > 0 ? in / all : 0;
  t->pass = t->valid && t->mean_in - t->mean_out >= margin;
}
