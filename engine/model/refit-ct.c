/* engine/model/refit-ct.c — see refit-ct.h. */
#include "model/refit-ct.h"

#include <assert.h>
#include <math.h>

#include "ct/patch.h"
#include "model/refit.h"

enum { N = LT_PATCH_N, N_RAYS = 400 };
#define VOX LT_PATCH_SPACING /* mm */
#define RAY_STEP 0.25        /* mm */
#define RAY_MAX 15.5         /* mm: inside the 32 mm patch from near its centre */

static double hu_of(float v) {
  return LT_PATCH_LUNG_LO_HU + (double)v * (LT_PATCH_LUNG_HI_HU - LT_PATCH_LUNG_LO_HU);
}

/* Trilinear HU at p (mm from the patch's corner), held inside the grid of voxel centres. */
static double hu_at(const float *lung, const double p[3]) {
  int i[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    double g = p[a] / VOX - 0.5;
    g = g < 0 ? 0 : g > N - 1.001 ? N - 1.001 : g;
    i[a] = (int)g;
    f[a] = g - i[a];
  }
  double s = 0;
  for (int dz = 0; dz < 2; dz++)
    for (int dy = 0; dy < 2; dy++)
      for (int dx = 0; dx < 2; dx++) {
        const double w = (dz ? f[0] : 1 - f[0]) * (dy ? f[1] : 1 - f[1]) * (dx ? f[2] : 1 - f[2]);
        s += w * hu_of(lung[((size_t)(i[0] + dz) * N + (i[1] + dy)) * N + (i[2] + dx)]);
      }
  return s;
}

/* The quadric's six features of direction u: u^T Q u = sum_k f_k q_k. */
static void quad_features(const double u[3], double f[6]) {
  f[0] = u[0] * u[0], f[1] = u[1] * u[1], f[2] = u[2] * u[2];
  f[3] = 2 * u[0] * u[1], f[4] = 2 * u[0] * u[2], f[5] = 2 * u[1] * u[2];
}

/* Measures 3 and 4 from the rays' distances r (N_RAYS) along directions u. */
static void ray_ellipsoid(const double (*u)[3], const double *r, double *ratio, double *resid) {
  double A[6][6] = {{0}}, q[6] = {0};
  *ratio = 1, *resid = 0;
  for (int i = 0; i < N_RAYS; i++) {
    if (!(r[i] > RAY_STEP)) continue; /* no boundary found off the centre */
    double f[6];
    quad_features(u[i], f);
    const double t = 1 / (r[i] * r[i]);
    for (int a = 0; a < 6; a++) {
      q[a] += f[a] * t;
      for (int b = 0; b < 6; b++) A[a][b] += f[a] * f[b];
    }
  }
  for (int a = 0; a < 6; a++) A[a][a] += 1e-9; /* too few rays: stays solvable, fit ignored */
  if (lt_cholesky_solve(&A[0][0], q, 6)) return;
  const double Q[3][3] = {{q[0], q[3], q[4]}, {q[3], q[1], q[5]}, {q[4], q[5], q[2]}};
  double e[3]; /* descending: 1 / (semi-axis)^2, the shortest axis first */
  lt_sym3_eigenvalues(Q, e);
  if (e[2] > 0) *ratio = sqrt(e[2] / e[0]);
  double s2 = 0;
  int n = 0;
  for (int i = 0; i < N_RAYS; i++) {
    double f[6], v = 0;
    quad_features(u[i], f);
    for (int a = 0; a < 6; a++) v += f[a] * q[a];
    if (!(v > 0)) continue;
    const double rel = r[i] * sqrt(v) - 1; /* r / r_fit - 1 */
    s2 += rel * rel;
    n++;
  }
  if (n > 0) *resid = sqrt(s2 / n);
}

void lt_patch_ct_measures(double out[LT_REFIT_N_CT], const float *lung, const float *seg, int S) {
  const double vs = LT_PATCH_N * VOX / S; /* the segmentation's voxel, mm */
  double V = 0, c[3] = {0, 0, 0};
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        const double w = seg[((size_t)z * S + y) * S + x];
        V += w;
        c[0] += w * (z + 0.5) * vs, c[1] += w * (y + 0.5) * vs, c[2] += w * (x + 0.5) * vs;
      }
  double R = 0.5;
  if (V > 1e-6) {
    for (int a = 0; a < 3; a++) c[a] /= V;
    R = fmax(R, cbrt(3 * V * vs * vs * vs / (4 * M_PI)));
  } else {
    c[0] = c[1] = c[2] = LT_PATCH_N * VOX / 2;
  }
  /* one pass over the 0.5 mm grid: the background shell's values, the core and the two thin
   * shells of the edge profile */
  const double r_core = fmax(R - 1, 0.75);
  /* the background's median from a histogram of 1 HU bins over the window's range */
  enum { N_BINS = (int)(LT_PATCH_LUNG_HI_HU - LT_PATCH_LUNG_LO_HU) + 1 };
  static_assert(N_BINS == 1401, "a bin per HU of the lung window");
  int hist[N_BINS] = {0}, n_shell = 0;
  double core = 0, prof[2] = {0, 0};
  int n_core = 0, n_prof[2] = {0, 0};
  /* every voxel that counts lies within R + 8 mm of c: only that box is visited */
  int lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = (int)floor((c[a] - R - 8) / VOX - 0.5);
    hi[a] = (int)ceil((c[a] + R + 8) / VOX - 0.5);
    lo[a] = lo[a] < 0 ? 0 : lo[a];
    hi[a] = hi[a] > N - 1 ? N - 1 : hi[a];
  }
  for (int z = lo[0]; z <= hi[0]; z++)
    for (int y = lo[1]; y <= hi[1]; y++)
      for (int x = lo[2]; x <= hi[2]; x++) {
        const double d[3] = {(z + 0.5) * VOX - c[0], (y + 0.5) * VOX - c[1], (x + 0.5) * VOX - c[2]};
        const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        const double h = hu_of(lung[((size_t)z * N + y) * N + x]);
        if (r > R + 4 && r < R + 8) {
          const int b = (int)lround(h - LT_PATCH_LUNG_LO_HU);
          hist[b < 0 ? 0 : b >= N_BINS ? N_BINS - 1 : b]++;
          n_shell++;
        }
        if (r < r_core) core += h, n_core++;
        for (int k = 0; k < 2; k++)
          if (fabs(r - (R - 1 + 2 * k)) < 0.35) prof[k] += h, n_prof[k]++;
      }
  double bg = -850;
  if (n_shell > 10) { /* the value of rank n / 2, as a sorted list would give */
    int b = 0;
    for (int seen = hist[0]; seen <= n_shell / 2; seen += hist[++b]) {}
    bg = LT_PATCH_LUNG_LO_HU + b;
  }
  const double contrast = (n_core ? core / n_core : bg) - bg, scale = fmax(contrast, 20);
  for (int k = 0; k < 2; k++) prof[k] = n_prof[k] ? prof[k] / n_prof[k] : bg;
  out[0] = contrast;
  out[1] = bg;
  out[2] = (prof[0] - prof[1]) / scale;

  /* the rays: directions on a Fibonacci sphere, each marched to its first drop below the
   * half-contrast level */
  double dir[N_RAYS][3];
  for (int i = 0; i < N_RAYS; i++) {
    const double z = 1 - 2.0 * (i + 0.5) / N_RAYS, rho = sqrt(1 - z * z);
    const double phi = i * M_PI * (3 - sqrt(5.0));
    dir[i][0] = z, dir[i][1] = rho * sin(phi), dir[i][2] = rho * cos(phi);
  }
  const double level = bg + 0.5 * scale;
  double rr[N_RAYS];
  for (int i = 0; i < N_RAYS; i++) {
    double r = 0;
    for (; r < RAY_MAX; r += RAY_STEP) {
      const double p[3] = {c[0] + r * dir[i][0], c[1] + r * dir[i][1], c[2] + r * dir[i][2]};
      if (hu_at(lung, p) < level) break;
    }
    rr[i] = r;
  }
  ray_ellipsoid((const double(*)[3])dir, rr, &out[3], &out[4]);
}
