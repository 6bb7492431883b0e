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

/* Scan-line flood fill: the 4-connected region of pixels equal to `from` that holds pixel seed,
 * within the window [wx0, wx1] x [wy0, wy1] of an image nx wide, becomes `to`. stack: room for
 * 2 * (window pixels) + 2 ints. Returns the pixels changed. */
static long span_fill(uint8_t *img, int nx, int wx0, int wx1, int wy0, int wy1, int seed,
                      uint8_t from, uint8_t to, int *stack) {
  long count = 0;
  int top = 0;
  if (img[seed] != from) return 0;
  stack[top++] = seed;
  while (top > 0) {
    int p = stack[--top];
    if (img[p] != from) continue;
    int y = p / nx, x = p % nx, xl = x, xr = x;
    uint8_t *row = img + (size_t)y * nx;
    while (xl > wx0 && row[xl - 1] == from) xl--;
    while (xr < wx1 && row[xr + 1] == from) xr++;
    memset(row + xl, to, (size_t)(xr - xl + 1));
    count += xr - xl + 1;
    for (int dy = -1; dy <= 1; dy += 2) {
      int yy = y + dy;
      if (yy < wy0 || yy > wy1) continue;
      const uint8_t *r2 = img + (size_t)yy * nx;
      for (int xx = xl; xx <= xr; xx++)
        if (r2[xx] == from && (xx == xl || r2[xx - 1] != from)) stack[top++] = yy * nx + xx;
    }
  }
  return count;
}

/* The same with 8-connectivity over the whole image (nx x ny), growing bb = {x0, x1, y0, y1}. */
static long span_fill8(uint8_t *img, int nx, int ny, int seed, uint8_t from, uint8_t to,
                       int *stack, int bb[4]) {
  long count = 0;
  int top = 0;
  if (img[seed] != from) return 0;
  stack[top++] = seed;
  while (top > 0) {
    int p = stack[--top];
    if (img[p] != from) continue;
    int y = p / nx, x = p % nx, xl = x, xr = x;
    uint8_t *row = img + (size_t)y * nx;
    while (xl > 0 && row[xl - 1] == from) xl--;
    while (xr < nx - 1 && row[xr + 1] == from) xr++;
    memset(row + xl, to, (size_t)(xr - xl + 1));
    count += xr - xl + 1;
    if (xl < bb[0]) bb[0] = xl;
    if (xr > bb[1]) bb[1] = xr;
    if (y < bb[2]) bb[2] = y;
    if (y > bb[3]) bb[3] = y;
    int sa = xl > 0 ? xl - 1 : 0, sb = xr < nx - 1 ? xr + 1 : nx - 1;
    for (int dy = -1; dy <= 1; dy += 2) {
      int yy = y + dy;
      if (yy < 0 || yy >= ny) continue;
      const uint8_t *r2 = img + (size_t)yy * nx;
      for (int xx = sa; xx <= sb; xx++)
        if (r2[xx] == from && (xx == sa || r2[xx - 1] != from)) stack[top++] = yy * nx + xx;
    }
  }
  return count;
}

/* Clears the set pixels of one slice that are 4-connected to its border. */
static void remove_border_air(uint8_t *m, int nx, int ny, int *stack) {
  for (int x = 0; x < nx; x++) {
    span_fill(m, nx, 0, nx - 1, 0, ny - 1, x, 1, 0, stack);
    span_fill(m, nx, 0, nx - 1, 0, ny - 1, (ny - 1) * nx + x, 1, 0, stack);
  }
  for (int y = 0; y < ny; y++) {
    span_fill(m, nx, 0, nx - 1, 0, ny - 1, y * nx, 1, 0, stack);
    span_fill(m, nx, 0, nx - 1, 0, ny - 1, y * nx + nx - 1, 1, 0, stack);
  }
}

/* The next run of 1s in a 0/1 row at or after x: [*x0, *x1). 0 when there is none. */
static int next_run(const uint8_t *m, int nx, int x, int *x0, int *x1) {
  if (x >= nx) return 0;
  const uint8_t *s = memchr(m + x, 1, (size_t)(nx - x));
  if (!s) return 0;
  *x0 = (int)(s - m);
  const uint8_t *e = memchr(s, 0, (size_t)(nx - *x0));
  *x1 = e ? (int)(e - m) : nx;
  return 1;
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
  int *g, *hw, *stack;
  uint8_t *out, *w1, *w2;
  int gmax, padx, pady;
  long max_hole_px;
} slice_work;

/* Closing of one 8-connected piece (the pixels of m marked 2 within the box x0..x1, y0..y1)
 * OR-ed into sw->out; the piece's pixels are then marked 3 (done). */
static void close_piece(slice_work *sw, uint8_t *m, int x0, int x1, int y0, int y1) {
  int bx0 = x0 - sw->padx < 0 ? 0 : x0 - sw->padx;
  int by0 = y0 - sw->pady < 0 ? 0 : y0 - sw->pady;
  int bx1 = x1 + sw->padx > sw->nx - 1 ? sw->nx - 1 : x1 + sw->padx;
  int by1 = y1 + sw->pady > sw->ny - 1 ? sw->ny - 1 : y1 + sw->pady;
  int w = bx1 - bx0 + 1, h = by1 - by0 + 1;
  memset(sw->w1, 0, (size_t)w * h);
  for (int y = y0; y <= y1; y++) {
    uint8_t *r = m + (size_t)y * sw->nx, *o = sw->out + (size_t)y * sw->nx;
    uint8_t *d = sw->w1 + (size_t)(y - by0) * w - bx0;
    for (int x = x0; x <= x1; x++)
      if (r[x] == 2) {
        d[x] = 1;
        o[x] = 1;
        r[x] = 3;
      }
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
  memset(sw->out, 0, (size_t)np);
  for (int p0 = 0; p0 < np;) {
    const uint8_t *f = memchr(m + p0, 1, (size_t)(np - p0));
    if (!f) break;
    p0 = (int)(f - m);
    int bb[4] = {nx, -1, ny, -1};
    span_fill8(m, nx, ny, p0, 1, 2, sw->stack, bb);
    close_piece(sw, m, bb[0], bb[1], bb[2], bb[3]);
  }
  /* Holes: background not 4-connected to the border, up to max_hole_px pixels. */
  /* Holes: background not 4-connected to the border, up to max_hole_px pixels. Only the mask's
   * bounding box (grown by one pixel) can hold holes: everything outside it is background
   * connected to the border. Marks: 2 = reaches the border, 3 = a hole being measured. */
  uint8_t *o = sw->out;
  int bx0 = nx, bx1 = -1, by0 = ny, by1 = -1;
  for (int y = 0; y < ny; y++) {
    const uint8_t *r = o + (size_t)y * nx;
    const uint8_t *f = memchr(r, 1, (size_t)nx);
    if (!f) continue;
    int xa = (int)(f - r), xb = nx - 1;
    while (!r[xb]) xb--;
    if (xa < bx0) bx0 = xa;
    if (xb > bx1) bx1 = xb;
    if (y < by0) by0 = y;
    by1 = y;
  }
  if (bx1 >= 0) {
    bx0 = bx0 > 0 ? bx0 - 1 : 0;
    by0 = by0 > 0 ? by0 - 1 : 0;
    bx1 = bx1 < nx - 1 ? bx1 + 1 : nx - 1;
    by1 = by1 < ny - 1 ? by1 + 1 : ny - 1;
    for (int x = bx0; x <= bx1; x++) {
      span_fill(o, nx, bx0, bx1, by0, by1, by0 * nx + x, 0, 2, sw->stack);
      span_fill(o, nx, bx0, bx1, by0, by1, by1 * nx + x, 0, 2, sw->stack);
    }
    for (int y = by0; y <= by1; y++) {
      span_fill(o, nx, bx0, bx1, by0, by1, y * nx + bx0, 0, 2, sw->stack);
      span_fill(o, nx, bx0, bx1, by0, by1, y * nx + bx1, 0, 2, sw->stack);
    }
    for (int y = by0; y <= by1; y++)
      for (int x = bx0; x <= bx1; x++) {
        int p = y * nx + x;
        if (o[p] != 0) continue;
        long area = span_fill(o, nx, bx0, bx1, by0, by1, p, 0, 3, sw->stack);
        if (area <= sw->max_hole_px) span_fill(o, nx, bx0, bx1, by0, by1, p, 3, 1, sw->stack);
      }
    for (int y = by0; y <= by1; y++) {
      uint8_t *r = o + (size_t)y * nx;
      for (int x = bx0; x <= bx1; x++) r[x] = r[x] == 1;
    }
  }
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
  for (int a = 0; a < 3; a++)
    if (!(G->spacing[a] > 0 && G->spacing[a] < 1e4))
      return lt_error_set(err, "lung mask: voxel spacing must be positive");
  if (!(opts->closing_mm >= 0 && opts->closing_mm <= 200) || !(opts->max_hole_mm2 >= 0))
    return lt_error_set(err, "lung mask: closing radius must be 0-200 mm, hole area >= 0");
  const double voxel_ml = G->spacing[0] * G->spacing[1] * G->spacing[2] / 1000.0;
  const int16_t thr = (int16_t)(opts->threshold_hu < -32768 ? -32768
                                : opts->threshold_hu > 32767 ? 32767
                                                             : ceil(opts->threshold_hu));
  int rc = -1;
  int *row_start = NULL, *parent = NULL;
  run *runs = NULL;
  double *stats = NULL;
  slice_work sw;
  memset(&sw, 0, sizeof sw);

  /* 1-2: threshold, remove air connected to each slice's border. */
  sw.stack = malloc((2 * np + 2) * sizeof *sw.stack);
  if (!sw.stack) goto oom;
  for (size_t q = 0; q < n; q++) mask[q] = v->hu[q] < thr;
  for (int k = 0; k < nz; k++) remove_border_air(mask + (size_t)k * np, nx, ny, sw.stack);

  /* 3: 3D components over runs. */
  const int nrows = ny * nz;
  row_start = malloc(((size_t)nrows + 1) * sizeof *row_start);
  if (!row_start) goto oom;
  size_t nruns = 0;
  for (int r = 0; r < nrows; r++) {
    const uint8_t *m = mask + (size_t)r * nx;
    for (int x = 0, x0, x1; next_run(m, nx, x, &x0, &x1); x = x1) nruns++;
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
    for (int x = 0, x0, x1; next_run(m, nx, x, &x0, &x1); x = x1) {
      runs[nr].x0 = x0;
      runs[nr].x1 = x1;
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
  double hole_px = floor(opts->max_hole_mm2 / (sw.sx * sw.sy));
  sw.max_hole_px = hole_px > (double)np ? (long)np : (long)hole_px;
  sw.g = malloc(np * sizeof *sw.g);
  sw.hw = malloc(((size_t)sw.gmax + 1) * sizeof *sw.hw);
  sw.out = malloc(np);
  sw.w1 = malloc(np);
  sw.w2 = malloc(np);
  if (!sw.g || !sw.hw || !sw.out || !sw.w1 || !sw.w2) goto oom;
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
      /* Right: x0 + dx * i < split, a range of i. */
      int ra = 0, rb = 0; /* [ra, rb) */
      if (dx > 0) {
        double is = ceil((split - x0) / dx);
        rb = is < 0 ? 0 : is > nx ? nx : (int)is;
      } else if (dx < 0) {
        double is = floor((split - x0) / dx) + 1;
        ra = is < 0 ? 0 : is > nx ? nx : (int)is;
        rb = nx;
      } else if (x0 < split) {
        rb = nx;
      }
      long all = 0, r = 0;
      for (int i = 0; i < nx; i++) all += m[i];
      for (int i = ra; i < rb; i++) r += m[i];
      right += r;
      left += all - r;
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
  free(row_start);
  free(runs);
  free(parent);
  free(stats);
  free(sw.stack);
  free(sw.g);
  free(sw.hw);
  free(sw.out);
  free(sw.w1);
  free(sw.w2);
  return rc;
}
