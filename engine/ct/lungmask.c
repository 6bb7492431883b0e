/* engine/ct/lungmask.c — see lungmask.h. */
#include "lungmask.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lt_lung_mask_opts_default(lt_lung_mask_opts *o) {
  o->threshold_hu = -400.0;
  o->closing_mm = 15.0;
  o->max_hole_mm2 = 2500.0;
}

/* Clears the set pixels of one slice that are 4-connected to its border. */
static void remove_border_air(uint8_t *m, int nx, int ny, int *queue) {
  int tail = 0;
#define PUSH(x, y)                                   \
  do {                                               \
    int q_ = (y) * nx + (x);                         \
    if (m[q_]) {                                     \
      m[q_] = 0;                                     \
      queue[tail++] = q_;                            \
    }                                                \
  } while (0)
  for (int x = 0; x < nx; x++) {
    PUSH(x, 0);
    PUSH(x, ny - 1);
  }
  for (int y = 0; y < ny; y++) {
    PUSH(0, y);
    PUSH(nx - 1, y);
  }
  for (int head = 0; head < tail; head++) {
    int p = queue[head], x = p % nx, y = p / nx;
    if (x > 0) PUSH(x - 1, y);
    if (x < nx - 1) PUSH(x + 1, y);
    if (y > 0) PUSH(x, y - 1);
    if (y < ny - 1) PUSH(x, y + 1);
  }
#undef PUSH
}

typedef struct {
  int x0, x1; /* [x0, x1) */
} run;

static int uf_find(int *parent, int a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

static void uf_union(int *parent, int a, int b) {
  a = uf_find(parent, a);
  b = uf_find(parent, b);
  if (a != b) {
    if (a < b)
      parent[b] = a;
    else
      parent[a] = b;
  }
}

static void union_rows(const run *runs, int *parent, int a0, int a1, int b0, int b1) {
  int i = a0, j = b0;
  while (i < a1 && j < b1) {
    if (runs[i].x1 <= runs[j].x0) {
      i++;
    } else if (runs[j].x1 <= runs[i].x0) {
      j++;
    } else {
      uf_union(parent, i, j);
      if (runs[i].x1 < runs[j].x1)
        i++;
      else
        j++;
    }
  }
}

/* Binary dilation of in (w x h) by the disk of the table hw: hw[g] is the largest column offset
 * reachable at row offset g (g <= gmax). g: w*h ints of scratch. Exact Euclidean disk. */
static void dilate_disk(const uint8_t *in, uint8_t *out, int w, int h, const int *hw, int gmax,
                        int *g) {
  const int big = INT_MAX / 4;
  for (int x = 0; x < w; x++) g[x] = in[x] ? 0 : big;
  for (int y = 1; y < h; y++) {
    const uint8_t *r = in + (size_t)y * w;
    int *gy = g + (size_t)y * w, *gp = gy - w;
    for (int x = 0; x < w; x++) gy[x] = r[x] ? 0 : (gp[x] < big ? gp[x] + 1 : big);
  }
  for (int y = h - 2; y >= 0; y--) {
    int *gy = g + (size_t)y * w, *gn = gy + w;
    for (int x = 0; x < w; x++)
      if (gn[x] + 1 < gy[x]) gy[x] = gn[x] + 1;
  }
  for (int y = 0; y < h; y++) {
    const int *gr = g + (size_t)y * w;
    uint8_t *o = out + (size_t)y * w;
    int reach = INT_MIN;
    for (int x = 0; x < w; x++) {
      if (gr[x] <= gmax && x + hw[gr[x]] > reach) reach = x + hw[gr[x]];
      o[x] = reach >= x;
    }
    reach = INT_MAX;
    for (int x = w - 1; x >= 0; x--) {
      if (gr[x] <= gmax && x - hw[gr[x]] < reach) reach = x - hw[gr[x]];
      if (reach <= x) o[x] = 1;
    }
  }
}

typedef struct {
  int nx, ny;
  double sx, sy;
  int *lab, *queue, *g, *hw;
  uint8_t *out, *w1, *w2;
  int gmax, padx, pady;
  long max_hole_px;
} slice_work;

/* Closing of one 8-connected piece (its pixels in queue[0..n), bbox) OR-ed into sw->out. */
static void close_piece(slice_work *sw, const int *pix, int n, int x0, int x1, int y0, int y1) {
  int bx0 = x0 - sw->padx < 0 ? 0 : x0 - sw->padx;
  int by0 = y0 - sw->pady < 0 ? 0 : y0 - sw->pady;
  int bx1 = x1 + sw->padx > sw->nx - 1 ? sw->nx - 1 : x1 + sw->padx;
  int by1 = y1 + sw->pady > sw->ny - 1 ? sw->ny - 1 : y1 + sw->pady;
  int w = bx1 - bx0 + 1, h = by1 - by0 + 1;
  memset(sw->w1, 0, (size_t)w * h);
  for (int q = 0; q < n; q++) {
    int x = pix[q] % sw->nx, y = pix[q] / sw->nx;
    sw->w1[(size_t)(y - by0) * w + (x - bx0)] = 1;
    sw->out[pix[q]] = 1;
  }
  dilate_disk(sw->w1, sw->w2, w, h, sw->hw, sw->gmax, sw->g);
  for (size_t q = 0; q < (size_t)w * h; q++) sw->w1[q] = !sw->w2[q];
  dilate_disk(sw->w1, sw->w2, w, h, sw->hw, sw->gmax, sw->g);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (!sw->w2[(size_t)y * w + x]) sw->out[(size_t)(by0 + y) * sw->nx + bx0 + x] = 1;
}

/* Steps 4 and 5 on one slice m (in place). */
static void process_slice(slice_work *sw, uint8_t *m) {
  const int nx = sw->nx, ny = sw->ny, np = nx * ny;
  memset(sw->lab, 0, (size_t)np * sizeof *sw->lab);
  memset(sw->out, 0, (size_t)np);
  for (int p0 = 0; p0 < np; p0++) {
    if (!m[p0] || sw->lab[p0]) continue;
    int tail = 0, x0 = nx, x1 = -1, y0 = ny, y1 = -1;
    sw->lab[p0] = 1;
    sw->queue[tail++] = p0;
    for (int head = 0; head < tail; head++) {
      int p = sw->queue[head], x = p % nx, y = p / nx;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= nx || yy >= ny) continue;
          int q = yy * nx + xx;
          if (m[q] && !sw->lab[q]) {
            sw->lab[q] = 1;
            sw->queue[tail++] = q;
          }
        }
    }
    close_piece(sw, sw->queue, tail, x0, x1, y0, y1);
  }
  /* Holes: background not 4-connected to the border, up to max_hole_px pixels. */
  memset(sw->lab, 0, (size_t)np * sizeof *sw->lab);
  uint8_t *o = sw->out;
  int tail = 0;
#define SEED(q)                          \
  do {                                   \
    int q_ = (q);                        \
    if (!o[q_] && !sw->lab[q_]) {        \
      sw->lab[q_] = 1;                   \
      sw->queue[tail++] = q_;            \
    }                                    \
  } while (0)
  for (int x = 0; x < nx; x++) {
    SEED(x);
    SEED((ny - 1) * nx + x);
  }
  for (int y = 0; y < ny; y++) {
    SEED(y * nx);
    SEED(y * nx + nx - 1);
  }
  for (int head = 0; head < tail; head++) {
    int p = sw->queue[head], x = p % nx, y = p / nx;
    if (x > 0) SEED(p - 1);
    if (x < nx - 1) SEED(p + 1);
    if (y > 0) SEED(p - nx);
    if (y < ny - 1) SEED(p + nx);
  }
  for (int p0 = 0; p0 < np; p0++) {
    if (o[p0] || sw->lab[p0]) continue;
    tail = 0;
    SEED(p0);
    for (int head = 0; head < tail; head++) {
      int p = sw->queue[head], x = p % nx, y = p / nx;
      if (x > 0) SEED(p - 1);
      if (x < nx - 1) SEED(p + 1);
      if (y > 0) SEED(p - nx);
      if (y < ny - 1) SEED(p + nx);
    }
    if (tail <= sw->max_hole_px)
      for (int q = 0; q < tail; q++) o[sw->queue[q]] = 1;
  }
#undef SEED
  memcpy(m, o, (size_t)np);
}

int lt_lung_mask(const lt_volume *v, uint8_t *mask, lt_lung_mask_info *info, lt_error *err) {
  lt_lung_mask_opts o;
  lt_lung_mask_opts_default(&o);
  return lt_lung_mask_opt(v, &o, mask, info, err);
}

int lt_lung_mask_opt(const lt_volume *v, const lt_lung_mask_opts *opts, uint8_t *mask,
                     lt_lung_mask_info *info, lt_error *err) {
  const lt_geometry *G = &v->geom;
  const int nx = G->dim[0], ny = G->dim[1], nz = G->dim[2];
  const size_t np = (size_t)nx * ny, n = np * nz;
  if (np > INT_MAX / 2) return lt_error_set(err, "lung mask: slices too large");
  const double voxel_ml = G->spacing[0] * G->spacing[1] * G->spacing[2] / 1000.0;
  const int16_t thr = (int16_t)(opts->threshold_hu < -32768 ? -32768
                                : opts->threshold_hu > 32767 ? 32767
                                                             : ceil(opts->threshold_hu));
  int rc = -1;
  int *queue = NULL, *row_start = NULL, *parent = NULL;
  run *runs = NULL;
  double *stats = NULL;
  slice_work sw;
  memset(&sw, 0, sizeof sw);

  /* 1-2: threshold, remove air connected to each slice's border. */
  queue = malloc(np * sizeof *queue);
  if (!queue) goto oom;
  for (size_t q = 0; q < n; q++) mask[q] = v->hu[q] < thr;
  for (int k = 0; k < nz; k++) remove_border_air(mask + (size_t)k * np, nx, ny, queue);

  /* 3: 3D components over runs. */
  const int nrows = ny * nz;
  row_start = malloc(((size_t)nrows + 1) * sizeof *row_start);
  if (!row_start) goto oom;
  size_t nruns = 0;
  for (int r = 0; r < nrows; r++) {
    const uint8_t *m = mask + (size_t)r * nx;
    for (int x = 0; x < nx; x++)
      if (m[x] && (x == 0 || !m[x - 1])) nruns++;
  }
  if (nruns > INT_MAX / 2) {
    lt_error_set(err, "lung mask: too many runs");
    goto done;
  }
  runs = malloc((nruns ? nruns : 1) * sizeof *runs);
  parent = malloc((nruns ? nruns : 1) * sizeof *parent);
  stats = calloc((nruns ? nruns : 1) * 4, sizeof *stats); /* count, sum i, sum j, sum k */
  if (!runs || !parent || !stats) goto oom;
  int nr = 0;
  for (int r = 0; r < nrows; r++) {
    row_start[r] = nr;
    const uint8_t *m = mask + (size_t)r * nx;
    for (int x = 0; x < nx;) {
      if (!m[x]) {
        x++;
        continue;
      }
      int x0 = x;
      while (x < nx && m[x]) x++;
      runs[nr].x0 = x0;
      runs[nr].x1 = x;
      parent[nr] = nr;
      nr++;
    }
  }
  row_start[nrows] = nr;
  for (int r = 0; r < nrows; r++) {
    int j = r % ny, k = r / ny;
    if (j > 0) union_rows(runs, parent, row_start[r], row_start[r + 1], row_start[r - 1], row_start[r]);
    if (k > 0)
      union_rows(runs, parent, row_start[r], row_start[r + 1], row_start[r - ny],
                 row_start[r - ny + 1]);
  }
  for (int r = 0; r < nrows; r++) {
    int j = r % ny, k = r / ny;
    for (int q = row_start[r]; q < row_start[r + 1]; q++) {
      int root = uf_find(parent, q);
      double len = runs[q].x1 - runs[q].x0;
      double *s = stats + 4 * (size_t)root;
      s[0] += len;
      s[1] += len * 0.5 * (runs[q].x0 + runs[q].x1 - 1);
      s[2] += len * j;
      s[3] += len * k;
    }
  }
  int best = -1, second = -1;
  for (int q = 0; q < nr; q++) {
    if (parent[q] != q) continue;
    double c = stats[4 * (size_t)q];
    if (best < 0 || c > stats[4 * (size_t)best]) {
      second = best;
      best = q;
    } else if (second < 0 || c > stats[4 * (size_t)second]) {
      second = q;
    }
  }
  if (best < 0 || stats[4 * (size_t)best] * voxel_ml < 50.0) {
    lt_error_set(err, "lung mask: no lungs found (no air-filled region of 50 mL or more inside "
                      "the body below %.0f HU)",
                 opts->threshold_hu);
    goto done;
  }
  if (second >= 0 && stats[4 * (size_t)second] < 0.2 * stats[4 * (size_t)best]) second = -1;
  double cx[2];
  int keep[2] = {best, second};
  for (int c = 0; c < 2; c++) {
    if (keep[c] < 0) continue;
    const double *s = stats + 4 * (size_t)keep[c];
    double ijk[3] = {s[1] / s[0], s[2] / s[0], s[3] / s[0]}, mm[3];
    lt_geometry_voxel_to_mm(G, ijk, mm);
    cx[c] = mm[0];
  }
  memset(mask, 0, n);
  for (int r = 0; r < nrows; r++) {
    uint8_t *m = mask + (size_t)r * nx;
    for (int q = row_start[r]; q < row_start[r + 1]; q++) {
      int root = uf_find(parent, q);
      if (root == best || root == second) memset(m + runs[q].x0, 1, (size_t)(runs[q].x1 - runs[q].x0));
    }
  }
  free(runs);
  free(parent);
  free(stats);
  free(row_start);
  runs = NULL;
  parent = NULL;
  stats = NULL;
  row_start = NULL;

  /* 4-5: per slice closing of each piece, then size-limited hole filling. */
  sw.nx = nx;
  sw.ny = ny;
  sw.sx = G->spacing[0];
  sw.sy = G->spacing[1];
  double R = opts->closing_mm > 0 ? opts->closing_mm : 0;
  sw.gmax = (int)floor(R / sw.sy + 1e-9);
  sw.padx = (int)ceil(R / sw.sx) + 2;
  sw.pady = sw.gmax + 2;
  sw.max_hole_px = (long)floor(opts->max_hole_mm2 / (sw.sx * sw.sy));
  sw.queue = queue;
  sw.lab = malloc(np * sizeof *sw.lab);
  sw.g = malloc(np * sizeof *sw.g);
  sw.hw = malloc(((size_t)sw.gmax + 1) * sizeof *sw.hw);
  sw.out = malloc(np);
  sw.w1 = malloc(np);
  sw.w2 = malloc(np);
  if (!sw.lab || !sw.g || !sw.hw || !sw.out || !sw.w1 || !sw.w2) goto oom;
  for (int g = 0; g <= sw.gmax; g++) {
    double dy = g * sw.sy, r2 = R * R - dy * dy;
    sw.hw[g] = (int)floor(sqrt(r2 > 0 ? r2 : 0) / sw.sx + 1e-9);
  }
  for (int k = 0; k < nz; k++) {
    uint8_t *m = mask + (size_t)k * np;
    if (memchr(m, 1, np)) process_slice(&sw, m);
  }

  /* Volumes, split into right and left by a plane x = split (LPS). */
  double split = keep[1] >= 0 ? 0.5 * (cx[0] + cx[1]) : cx[0];
  long right = 0, left = 0;
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      const uint8_t *m = mask + ((size_t)k * ny + j) * nx;
      double x0 = G->origin[0] + G->dir[1] * j * G->spacing[1] + G->dir[2] * k * G->spacing[2];
      double dx = G->dir[0] * G->spacing[0];
      for (int i = 0; i < nx; i++) {
        if (!m[i]) continue;
        if (x0 + dx * i < split)
          right++;
        else
          left++;
      }
    }
  if (info) {
    info->components = keep[1] >= 0 ? 2 : 1;
    info->voxels = right + left;
    info->right_l = right * voxel_ml / 1000.0;
    info->left_l = left * voxel_ml / 1000.0;
    info->total_l = info->right_l + info->left_l;
    info->split_x_mm = split;
  }
  rc = 0;
  goto done;
oom:
  lt_error_set(err, "lung mask: out of memory");
done:
  free(queue);
  free(row_start);
  free(runs);
  free(parent);
  free(stats);
  free(sw.lab);
  free(sw.g);
  free(sw.hw);
  free(sw.out);
  free(sw.w1);
  free(sw.w2);
  return rc;
}
