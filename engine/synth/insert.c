/* engine/synth/insert.c — see insert.h. */
#include "synth/insert.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int lt_scanner_estimate(const lt_volume *v, lt_scanner_model *m, lt_error *err) {
  const int nx = v->geom.dim[0], ny = v->geom.dim[1], nz = v->geom.dim[2];
  const int B = 8;
  size_t cap = (size_t)(nx / B) * (size_t)(ny / B) * (size_t)(nz / 4 + 1);
  double *sds = malloc((cap ? cap : 1) * sizeof *sds);
  if (!sds) return lt_error_set(err, "out of memory"), -1;
  size_t n = 0;
  for (int k = 0; k < nz; k += 4)
    for (int by = 0; by + B <= ny; by += B)
      for (int bx = 0; bx + B <= nx; bx += B) {
        double s = 0, s2 = 0;
        int ok = 1;
        for (int j = by; j < by + B && ok; j++)
          for (int i = bx; i < bx + B; i++) {
            int h = v->hu[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k)];
            if (h < -300 || h > 300) {
              ok = 0;
              break;
            }
            s += h;
            s2 += (double)h * h;
          }
        if (!ok) continue;
        double mean = s / (B * B);
        if (mean < -150 || mean > 150) continue;
        double var = (s2 - s * mean) / (B * B - 1);
        sds[n++] = sqrt(var > 0 ? var : 0);
      }
  if (n < 20) {
    free(sds);
    return lt_error_set(err, "cannot estimate the scanner's noise: only %zu soft-tissue blocks", n), -1;
  }
  qsort(sds, n, sizeof *sds, cmp_double);
  /* For pure Gaussian noise the 20th percentile of a 64-sample sd lies 0.8416 standard errors
   * (sd / sqrt(2 * 63)) below the sd: undo that bias. */
  m->noise_sd_hu = sds[n / 5] / (1.0 - 0.8416 / sqrt(2.0 * (B * B - 1)));
  m->noise_blocks = (int)n;
  double px = v->geom.spacing[0] > v->geom.spacing[1] ? v->geom.spacing[0] : v->geom.spacing[1];
  m->psf_sigma_mm = 1.5 * px / 2.3548;
  free(sds);
  return 0;
}

/* Voxel (i,j,k) -> LPS mm, with precomputed axis steps. */
typedef struct {
  double o[3], ax[3][3];
} vox_map;

static void vox_map_init(vox_map *vm, const lt_geometry *g) {
  for (int r = 0; r < 3; r++) {
    vm->o[r] = g->origin[r];
    for (int c = 0; c < 3; c++) vm->ax[c][r] = g->dir[3 * r + c] * g->spacing[c];
  }
}

static inline void vox_to_mm(const vox_map *vm, double i, double j, double k, double p[3]) {
  for (int r = 0; r < 3; r++) p[r] = vm->o[r] + i * vm->ax[0][r] + j * vm->ax[1][r] + k * vm->ax[2][r];
}

static int box_intersects(const lt_mm_box *a, const lt_mm_box *b) {
  for (int d = 0; d < 3; d++)
    if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d]) return 0;
  return 1;
}

int lt_nodule_place(const lt_volume *v, const uint8_t *lung, const lt_mm_box *keepout, int n_keepout,
                    double radius_mm, int k_lo, int k_hi, int tries, lt_srng *rng,
                    double centre_mm[3], lt_error *err) {
  const lt_geometry *g = &v->geom;
  const int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
  if (k_lo < 0) k_lo = 0;
  if (k_hi > nz - 1) k_hi = nz - 1;
  if (k_hi < k_lo) return lt_error_set(err, "no slices to place a nodule on"), -1;
  vox_map vm;
  vox_map_init(&vm, g);
  double reach = radius_mm + LT_SYNTH_LUNG_MARGIN_MM;
  int ri = (int)ceil(reach / g->spacing[0]), rj = (int)ceil(reach / g->spacing[1]);
  int rk = (int)ceil(reach / g->spacing[2]);
  for (int t = 0; t < tries; t++) {
    int i = lt_srng_int(rng, nx), j = lt_srng_int(rng, ny), k = k_lo + lt_srng_int(rng, k_hi - k_lo + 1);
    if (!lung[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k)]) continue;
    if (i - ri < 0 || i + ri >= nx || j - rj < 0 || j + rj >= ny || k - rk < 0 || k + rk >= nz) continue;
    double c[3];
    vox_to_mm(&vm, i, j, k, c);
    lt_mm_box own, patch;
    for (int d = 0; d < 3; d++) {
      own.lo[d] = c[d] - radius_mm;
      own.hi[d] = c[d] + radius_mm;
      patch.lo[d] = c[d] - LT_SYNTH_PATCH_HALF_MM;
      patch.hi[d] = c[d] + LT_SYNTH_PATCH_HALF_MM;
    }
    int clear = 1;
    for (int b = 0; b < n_keepout && clear; b++)
      if (box_intersects(&own, &keepout[b]) || box_intersects(&patch, &keepout[b])) clear = 0;
    if (!clear) continue;
    /* Every voxel within reach in the lung; the background is parenchyma. */
    long cnt = 0, dense = 0;
    double sum = 0;
    int inside = 1;
    for (int dk = -rk; dk <= rk && inside; dk++)
      for (int dj = -rj; dj <= rj && inside; dj++)
        for (int di = -ri; di <= ri; di++) {
          double x = di * g->spacing[0], y = dj * g->spacing[1], z = dk * g->spacing[2];
          if (x * x + y * y + z * z > reach * reach) continue;
          size_t idx = (size_t)(i + di) + (size_t)nx * ((size_t)(j + dj) + (size_t)ny * (size_t)(k + dk));
          if (!lung[idx]) {
            inside = 0;
            break;
          }
          int h = v->hu[idx];
          sum += h;
          dense += h > -300;
          cnt++;
        }
    if (!inside || !cnt || sum / cnt > -500 || dense > 0.15 * cnt) continue;
    memcpy(centre_mm, c, sizeof c);
    return 0;
  }
  return lt_error_set(err, "no place in the lungs for a %.1f mm nodule after %d tries",
                      2 * radius_mm, tries), -1;
}

double lt_lung_edge_distance_mm(const lt_geometry *g, const uint8_t *lung, const double centre_mm[3],
                                double max_mm) {
  const int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
  double c[3];
  lt_geometry_mm_to_voxel(g, centre_mm, c);
  int ci = (int)lround(c[0]), cj = (int)lround(c[1]), ck = (int)lround(c[2]);
  if (ci < 0 || cj < 0 || ck < 0 || ci >= nx || cj >= ny || ck >= nz) return 0;
  if (!lung[(size_t)ci + (size_t)nx * ((size_t)cj + (size_t)ny * (size_t)ck)]) return 0;
  vox_map vm;
  vox_map_init(&vm, g);
  int r[3];
  for (int d = 0; d < 3; d++) r[d] = (int)ceil(max_mm / g->spacing[d]) + 1;
  double best = INFINITY;
  for (int k = ck - r[2]; k <= ck + r[2]; k++)
    for (int j = cj - r[1]; j <= cj + r[1]; j++)
      for (int i = ci - r[0]; i <= ci + r[0]; i++) {
        bool outside = i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz;
        if (!outside && lung[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k)]) continue;
        double p[3];
        vox_to_mm(&vm, i, j, k, p);
        double d2 = 0;
        for (int d = 0; d < 3; d++) d2 += (p[d] - centre_mm[d]) * (p[d] - centre_mm[d]);
        if (d2 < best * best) best = sqrt(d2);
      }
  return best <= max_mm ? best : INFINITY;
}

int lt_nodule_place_mode(const lt_volume *v, const uint8_t *lung, const lt_mm_box *keepout,
                         int n_keepout, const lt_nodule_shape *s, lt_place_mode mode, int k_lo,
                         int k_hi, int tries, lt_srng *rng, double centre_mm[3], lt_error *err) {
  if (mode == LT_PLACE_INSIDE)
    return lt_nodule_place(v, lung, keepout, n_keepout, s->radius_mm, k_lo, k_hi, tries, rng,
                           centre_mm, err);
  const lt_geometry *g = &v->geom;
  const int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
  if (k_lo < 0) k_lo = 0;
  if (k_hi > nz - 1) k_hi = nz - 1;
  if (k_hi < k_lo) return lt_error_set(err, "no slices to place a nodule on"), -1;
  vox_map vm;
  vox_map_init(&vm, g);
  double radius_mm = s->radius_mm, reach = radius_mm + LT_SYNTH_LUNG_MARGIN_MM;
  int ri = (int)ceil(reach / g->spacing[0]), rj = (int)ceil(reach / g->spacing[1]);
  int rk = (int)ceil(reach / g->spacing[2]);
  long ball = 0; /* voxels of the ball of the bounding radius, lung or not */
  for (int dk = -rk; dk <= rk; dk++)
    for (int dj = -rj; dj <= rj; dj++)
      for (int di = -ri; di <= ri; di++) {
        double off[3];
        for (int r = 0; r < 3; r++) off[r] = di * vm.ax[0][r] + dj * vm.ax[1][r] + dk * vm.ax[2][r];
        ball += off[0] * off[0] + off[1] * off[1] + off[2] * off[2] <= radius_mm * radius_mm;
      }
  for (int t = 0; t < tries; t++) {
    int i = lt_srng_int(rng, nx), j = lt_srng_int(rng, ny), k = k_lo + lt_srng_int(rng, k_hi - k_lo + 1);
    if (!lung[(size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k)]) continue;
    if (i - ri < 0 || i + ri >= nx || j - rj < 0 || j + rj >= ny || k - rk < 0 || k + rk >= nz) continue;
    double c[3];
    vox_to_mm(&vm, i, j, k, c);
    lt_mm_box own, patch;
    for (int d = 0; d < 3; d++) {
      own.lo[d] = c[d] - radius_mm;
      own.hi[d] = c[d] + radius_mm;
      patch.lo[d] = c[d] - LT_SYNTH_PATCH_HALF_MM;
      patch.hi[d] = c[d] + LT_SYNTH_PATCH_HALF_MM;
    }
    int clear = 1;
    for (int b = 0; b < n_keepout && clear; b++)
      if (box_intersects(&own, &keepout[b]) || box_intersects(&patch, &keepout[b])) clear = 0;
    if (!clear) continue;
    /* The ball of the bounding radius: its lung share and the parenchyma in it; the nearest
     * voxel outside the lung within reach. */
    long cnt = 0, dense = 0;
    double sum = 0, near2 = INFINITY, near_off[3] = {0, 0, 0};
    for (int dk = -rk; dk <= rk; dk++)
      for (int dj = -rj; dj <= rj; dj++)
        for (int di = -ri; di <= ri; di++) {
          double off[3];
          for (int r = 0; r < 3; r++) off[r] = di * vm.ax[0][r] + dj * vm.ax[1][r] + dk * vm.ax[2][r];
          double d2 = off[0] * off[0] + off[1] * off[1] + off[2] * off[2];
          if (d2 > reach * reach) continue;
          size_t idx = (size_t)(i + di) + (size_t)nx * ((size_t)(j + dj) + (size_t)ny * (size_t)(k + dk));
          if (!lung[idx]) {
            if (d2 < near2) {
              near2 = d2;
              memcpy(near_off, off, sizeof off);
            }
            continue;
          }
          if (d2 > radius_mm * radius_mm) continue;
          int h = v->hu[idx];
          sum += h;
          dense += h > -300;
          cnt++;
        }
    if (!cnt || cnt < 0.5 * ball || sum / cnt > -500) continue;
    if (mode == LT_PLACE_JUXTAPLEURAL) {
      /* A mass engulfs vessels; a nodule should sit in parenchyma. */
      if (!isfinite(near2) || (s->kind != LT_KIND_OVERSIZE && dense > 0.25 * cnt)) continue;
      double D = sqrt(near2), u[3];
      for (int d = 0; d < 3; d++) u[d] = near_off[d] / D;
      double R = lt_nodule_shape_surface_mm(s, u);
      /* A mass's centre cannot lie half its radius deep in this lung: 3 mm, past the scope's
       * lung margin, is enough to keep it in the lung. */
      double deep = s->kind == LT_KIND_OVERSIZE ? 3.0 : 0.5 * R;
      if (D > R + 0.5 || D < deep) continue;
    }
    memcpy(centre_mm, c, sizeof c);
    return 0;
  }
  return lt_error_set(err, "no %s place in the lungs for a %.1f mm nodule after %d tries",
                      mode == LT_PLACE_JUXTAPLEURAL ? "juxtapleural" : "relaxed", 2 * radius_mm,
                      tries), -1;
}

void lt_nodule_box(const lt_geometry *g, const lt_nodule_shape *s, const double centre_mm[3],
                   lt_box *box) {
  double c[3];
  lt_geometry_mm_to_voxel(g, centre_mm, c);
  for (int d = 0; d < 3; d++) {
    int r = (int)ceil(s->radius_mm / g->spacing[d]) + 2;
    int lo = (int)floor(c[d]) - r, hi = (int)ceil(c[d]) + r;
    box->lo[d] = lo < 0 ? 0 : lo;
    box->hi[d] = hi > g->dim[d] - 1 ? g->dim[d] - 1 : hi;
  }
}

/* Mean occupancy over ns x ns x nsz sub-samples of voxel (i,j,k). */
static double voxel_occupancy(const vox_map *vm, const lt_nodule_shape *s, const double c[3],
                              int i, int j, int k, int ns, int nsz, const double *jitter,
                              double diag) {
  double p[3];
  vox_to_mm(vm, i, j, k, p);
  double r2 = 0;
  for (int d = 0; d < 3; d++) {
    p[d] -= c[d];
    r2 += p[d] * p[d];
  }
  if (sqrt(r2) > s->radius_mm + diag + 2) return 0;
  if (s->kind == LT_KIND_OVERSIZE && r2 > 1e-12) {
    /* A mass's voxels lie mostly far inside or outside its edge, where every sub-sample's
     * occupancy is 1 or 0 to within 1e-6: skip them (a 50 mm mass has ~300,000 voxels, each 45
     * sub-samples, for the insertion and each reader). The margin covers the sub-samples' reach
     * (half the voxel's diagonal), how fast the ray's surface distance turns (the other half),
     * the edge's blur (5 sd: 3e-7 from 0 or 1) and a reader's jitter. Only oversize: the other
     * kinds' bytes stay as they were. */
    double r = sqrt(r2), u[3] = {p[0] / r, p[1] / r, p[2] / r};
    double d = lt_nodule_shape_surface_mm(s, u) - r, jmax = 0, vd2 = 0;
    if (jitter)
      for (int q = 0; q < 8; q++) jmax += fabs(jitter[q]);
    for (int a = 0; a < 3; a++)
      for (int q = 0; q < 3; q++) vd2 += vm->ax[a][q] * vm->ax[a][q];
    double margin = sqrt(vd2) + 5 * s->edge_sd_mm + jmax + 0.5;
    if (d > margin) return 1;
    if (d < -margin && s->n_spikes == 0) return 0;
  }
  double sum = 0;
  for (int sk = 0; sk < nsz; sk++)
    for (int sj = 0; sj < ns; sj++)
      for (int si = 0; si < ns; si++) {
        double q[3];
        vox_to_mm(vm, i + (si + 0.5) / ns - 0.5, j + (sj + 0.5) / ns - 0.5, k + (sk + 0.5) / nsz - 0.5, q);
        for (int d = 0; d < 3; d++) q[d] -= c[d];
        sum += lt_nodule_shape_occupancy(s, q, jitter);
      }
  return sum / (ns * ns * nsz);
}

/* 3 x 3 sub-samples in-plane; 1 for an oversize mass, whose in-plane partial volume is one rim
 * of 0.7 mm pixels on a 35-60 mm lesion (the slices' 2.5 mm still get theirs). */
static int in_plane_subsamples(const lt_nodule_shape *s) { return s->kind == LT_KIND_OVERSIZE ? 1 : 3; }

static int sub_z(const lt_geometry *g) {
  int n = (int)lround(g->spacing[2] / 0.5);
  return n < 1 ? 1 : n > 5 ? 5 : n;
}

/* Separable Gaussian blur of f (nx*ny*nz) with sigma in voxels per axis (<= 0: skip). */
static int blur3(float *f, int nx, int ny, int nz, const double sigma[3]) {
  int dims[3] = {nx, ny, nz};
  int longest = nx > ny ? nx : ny;
  if (nz > longest) longest = nz;
  float *line = malloc((size_t)longest * 2 * sizeof *line);
  if (!line) return -1;
  float *tmp = line + longest;
  for (int ax = 0; ax < 3; ax++) {
    if (sigma[ax] <= 0.05) continue;
    int R = (int)ceil(3 * sigma[ax]);
    if (R > 15) R = 15;
    double w[31], ws = 0;
    for (int t = -R; t <= R; t++) ws += w[t + R] = exp(-0.5 * t * t / (sigma[ax] * sigma[ax]));
    for (int t = 0; t <= 2 * R; t++) w[t] /= ws;
    size_t stride = ax == 0 ? 1 : ax == 1 ? (size_t)nx : (size_t)nx * ny;
    int n = dims[ax];
    int o1 = ax == 0 ? ny : nx, o2 = ax == 2 ? ny : nz;
    for (int b = 0; b < o2; b++)
      for (int a = 0; a < o1; a++) {
        size_t base = ax == 0 ? (size_t)nx * ((size_t)a + (size_t)ny * b)
                    : ax == 1 ? (size_t)a + (size_t)nx * (size_t)ny * b
                              : (size_t)a + (size_t)nx * b;
        for (int t = 0; t < n; t++) line[t] = f[base + stride * t];
        for (int t = 0; t < n; t++) {
          double acc = 0;
          for (int u = -R; u <= R; u++) {
            int q = t + u;
            q = q < 0 ? 0 : q >= n ? n - 1 : q;
            acc += w[u + R] * line[q];
          }
          tmp[t] = (float)acc;
        }
        for (int t = 0; t < n; t++) f[base + stride * t] = tmp[t];
      }
  }
  free(line);
  return 0;
}

/* White noise blurred by sigma and normalised to unit sd over the box. */
static int correlated_noise(float *f, int nx, int ny, int nz, const double sigma[3], lt_srng *rng) {
  size_t n = (size_t)nx * ny * nz;
  for (size_t t = 0; t < n; t++) f[t] = (float)lt_srng_normal(rng);
  if (blur3(f, nx, ny, nz, sigma) != 0) return -1;
  double s = 0, s2 = 0;
  for (size_t t = 0; t < n; t++) {
    s += f[t];
    s2 += (double)f[t] * f[t];
  }
  double mean = s / n, var = s2 / n - mean * mean;
  double k = var > 1e-12 ? 1 / sqrt(var) : 0;
  for (size_t t = 0; t < n; t++) f[t] = (float)((f[t] - mean) * k);
  return 0;
}

int lt_nodule_insert(lt_volume *v, const lt_nodule_shape *s, const double centre_mm[3],
                     const lt_scanner_model *sc, lt_srng *rng, const lt_box *box, uint8_t *truth,
                     lt_error *err) {
  const lt_geometry *g = &v->geom;
  int bx = box->hi[0] - box->lo[0] + 1, by = box->hi[1] - box->lo[1] + 1, bz = box->hi[2] - box->lo[2] + 1;
  size_t n = (size_t)bx * by * bz;
  float *occ = malloc(n * sizeof *occ), *tex = malloc(n * sizeof *tex);
  float *delta = malloc(n * sizeof *delta), *noise = malloc(n * sizeof *noise);
  if (!occ || !tex || !delta || !noise) {
    free(occ);
    free(tex);
    free(delta);
    free(noise);
    return lt_error_set(err, "out of memory inserting a nodule"), -1;
  }
  vox_map vm;
  vox_map_init(&vm, g);
  double diag = sqrt(g->spacing[0] * g->spacing[0] + g->spacing[1] * g->spacing[1] +
                     g->spacing[2] * g->spacing[2]);
  int nsz = sub_z(g), ns = in_plane_subsamples(s);
  const double tex_sigma[3] = {1.5 / g->spacing[0], 1.5 / g->spacing[1], 1.5 / g->spacing[2]};
  const double psf[3] = {sc->psf_sigma_mm / g->spacing[0], sc->psf_sigma_mm / g->spacing[1], 0};
  int rc = correlated_noise(tex, bx, by, bz, tex_sigma, rng);
  if (rc == 0) rc = correlated_noise(noise, bx, by, bz, psf, rng);
  if (rc != 0) {
    free(occ);
    free(tex);
    free(delta);
    free(noise);
    return lt_error_set(err, "out of memory inserting a nodule"), -1;
  }
  const int nx = g->dim[0], ny = g->dim[1];
  for (int k = 0; k < bz; k++)
    for (int j = 0; j < by; j++)
      for (int i = 0; i < bx; i++) {
        size_t b = (size_t)i + (size_t)bx * ((size_t)j + (size_t)by * k);
        int gi = box->lo[0] + i, gj = box->lo[1] + j, gk = box->lo[2] + k;
        double o = voxel_occupancy(&vm, s, centre_mm, gi, gj, gk, ns, nsz, NULL, diag);
        occ[b] = (float)o;
        if (truth) truth[b] = o >= 0.5;
        double bg = v->hu[(size_t)gi + (size_t)nx * ((size_t)gj + (size_t)ny * gk)];
        double target = s->core_hu + s->texture_sd_hu * tex[b];
        if (s->kind != LT_KIND_SOLID && o > 0) {
          target = 0;
          for (int sk = 0; sk < nsz; sk++) {
            double q[3];
            vox_to_mm(&vm, gi, gj, gk + (sk + 0.5) / nsz - 0.5, q);
            for (int d = 0; d < 3; d++) q[d] -= centre_mm[d];
            target += lt_nodule_shape_target_hu(s, q, tex[b]);
          }
          target /= nsz;
        }
        double dl = s->alpha * o * (target - bg);
        delta[b] = (float)(dl > 0 ? dl : 0);
        tex[b] = (float)(s->alpha * o); /* reuse: blending weight */
      }
  if (blur3(delta, bx, by, bz, psf) != 0 || blur3(tex, bx, by, bz, psf) != 0) {
    free(occ);
    free(tex);
    free(delta);
    free(noise);
    return lt_error_set(err, "out of memory inserting a nodule"), -1;
  }
  for (int k = 0; k < bz; k++)
    for (int j = 0; j < by; j++)
      for (int i = 0; i < bx; i++) {
        size_t b = (size_t)i + (size_t)bx * ((size_t)j + (size_t)by * k);
        size_t idx = (size_t)(box->lo[0] + i) +
                     (size_t)nx * ((size_t)(box->lo[1] + j) + (size_t)ny * (size_t)(box->lo[2] + k));
        double a = tex[b];
        if (a > 1) a = 1;
        double keep = 1 - a;
        double add = sqrt(1 - keep * keep > 0 ? 1 - keep * keep : 0) * sc->noise_sd_hu * noise[b];
        double h = v->hu[idx] + delta[b] + add;
        h = h < LT_HU_AIR ? LT_HU_AIR : h > 3071 ? 3071 : h;
        v->hu[idx] = (int16_t)lround(h);
      }
  free(occ);
  free(tex);
  free(delta);
  free(noise);
  return 0;
}

long lt_nodule_reader_mask(const lt_geometry *g, const lt_nodule_shape *s, const double centre_mm[3],
                           const lt_reader_view *view, const lt_box *box, uint8_t *mask) {
  vox_map vm;
  vox_map_init(&vm, g);
  double diag = sqrt(g->spacing[0] * g->spacing[0] + g->spacing[1] * g->spacing[1] +
                     g->spacing[2] * g->spacing[2]);
  int nsz = sub_z(g), ns = in_plane_subsamples(s);
  int bx = box->hi[0] - box->lo[0] + 1, by = box->hi[1] - box->lo[1] + 1, bz = box->hi[2] - box->lo[2] + 1;
  long cnt = 0;
  for (int k = 0; k < bz; k++)
    for (int j = 0; j < by; j++)
      for (int i = 0; i < bx; i++) {
        double o = voxel_occupancy(&vm, s, centre_mm, box->lo[0] + i, box->lo[1] + j, box->lo[2] + k,
                                   ns, nsz, view->jitter, diag + 2);
        uint8_t in = o >= view->threshold;
        mask[(size_t)i + (size_t)bx * ((size_t)j + (size_t)by * k)] = in;
        cnt += in;
      }
  return cnt;
}

void lt_speck_insert(lt_volume *v, const double centre_mm[3], double radius_mm, double hu,
                     const lt_scanner_model *sc) {
  const lt_geometry *g = &v->geom;
  double c[3];
  lt_geometry_mm_to_voxel(g, centre_mm, c);
  vox_map vm;
  vox_map_init(&vm, g);
  double reach = radius_mm + 3 * sc->psf_sigma_mm + 1;
  int r[3];
  for (int d = 0; d < 3; d++) r[d] = (int)ceil(reach / g->spacing[d]) + 1;
  const int nx = g->dim[0], ny = g->dim[1];
  double sig = sc->psf_sigma_mm > 0.2 ? sc->psf_sigma_mm : 0.2;
  for (int k = (int)c[2] - r[2]; k <= (int)c[2] + r[2] + 1; k++)
    for (int j = (int)c[1] - r[1]; j <= (int)c[1] + r[1] + 1; j++)
      for (int i = (int)c[0] - r[0]; i <= (int)c[0] + r[0] + 1; i++) {
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= g->dim[2]) continue;
        /* Sphere blurred by the PSF, averaged over the slice: a few sub-samples along z. */
        double o = 0;
        int nsz = sub_z(g);
        for (int sk = 0; sk < nsz; sk++) {
          double p[3];
          vox_to_mm(&vm, i, j, k + (sk + 0.5) / nsz - 0.5, p);
          double d2 = 0;
          for (int d = 0; d < 3; d++) d2 += (p[d] - centre_mm[d]) * (p[d] - centre_mm[d]);
          o += 0.5 * erfc((sqrt(d2) - radius_mm) / (sig * M_SQRT2));
        }
        o /= nsz;
        size_t idx = (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k);
        double h = v->hu[idx] + o * (hu - v->hu[idx] > 0 ? hu - v->hu[idx] : 0);
        v->hu[idx] = (int16_t)lround(h > 3071 ? 3071 : h);
      }
}
