/* engine/ct/nodules.c — LIDC readings placed on a volume (see nodules.h for the rules). */
#include "ct/nodules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Index of voxel (i, j, k) in a mask over box b (see lt_box). */
static inline size_t box_index(const lt_box *b, int i, int j, int k) {
  size_t w = (size_t)(b->hi[0] - b->lo[0] + 1), h = (size_t)(b->hi[1] - b->lo[1] + 1);
  return (size_t)(i - b->lo[0]) + w * ((size_t)(j - b->lo[1]) + h * (size_t)(k - b->lo[2]));
}

void lt_nodule_options_default(lt_nodule_options *opt) {
  opt->z_tolerance_mm = 0.5;
  opt->outline_in_mask = false;
  opt->cluster_distance_mm = 5.0;
  opt->max_slice_thickness_mm = 3.0;
  opt->min_readers = 3;
  opt->min_mean_texture = 5.0;
  opt->min_diameter_mm = 3.0;
  opt->max_diameter_mm = 0.0;
}

/* ---- slices ---- */

typedef struct {
  const lt_volume *vol;
  int nz;
  int *by_uid;     /* slice indices sorted by SOP UID (those with a UID) */
  int n_by_uid;
  double *z;       /* patient z of each slice's first voxel */
} slice_index;

static int cmp_uid(const void *a, const void *b, void *vol) {
  const lt_volume *v = vol;
  return strcmp(v->sop_uid[*(const int *)a], v->sop_uid[*(const int *)b]);
}

static int slice_index_init(slice_index *s, const lt_volume *vol) {
  memset(s, 0, sizeof *s);
  s->vol = vol;
  s->nz = vol->geom.dim[2];
  s->by_uid = malloc((size_t)s->nz * sizeof *s->by_uid);
  s->z = malloc((size_t)s->nz * sizeof *s->z);
  if (!s->by_uid || !s->z) return -1;
  for (int k = 0; k < s->nz; k++) {
    double ijk[3] = {0, 0, k}, mm[3];
    lt_geometry_voxel_to_mm(&vol->geom, ijk, mm);
    s->z[k] = mm[2];
    if (vol->sop_uid && vol->sop_uid[k][0]) s->by_uid[s->n_by_uid++] = k;
  }
  qsort_r(s->by_uid, (size_t)s->n_by_uid, sizeof *s->by_uid, cmp_uid, (void *)vol);
  return 0;
}

static void slice_index_free(slice_index *s) {
  free(s->by_uid);
  free(s->z);
}

/* Slice of (uid, z): by UID, else by nearest z within tol. *by_z tells which. -1 if none. */
static int slice_find(const slice_index *s, const char *uid, double z, double tol, bool *by_z) {
  *by_z = false;
  if (uid && uid[0]) {
    int lo = 0, hi = s->n_by_uid - 1;
    while (lo <= hi) {
      int mid = (lo + hi) / 2;
      int c = strcmp(uid, s->vol->sop_uid[s->by_uid[mid]]);
      if (c == 0) return s->by_uid[mid];
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
  }
  if (!isfinite(z)) return -1;
  int best = -1;
  double bd = INFINITY;
  for (int k = 0; k < s->nz; k++) {
    double d = fabs(s->z[k] - z);
    if (d < bd) {
      bd = d;
      best = k;
    }
  }
  if (best < 0 || !(bd <= tol)) return -1;
  *by_z = true;
  return best;
}

/* ---- rasterising one ROI into a box mask ---- */

typedef struct {
  uint8_t *mask;
  lt_box box;
  int bw, bh;
} box_mask;

static inline uint8_t *bm_at(box_mask *m, int i, int j, int k) {
  return &m->mask[box_index(&m->box, i, j, k)];
}

static long round_coord(double v) { return lround(v); } /* |v| <= 1e6 (lidc.c checks) */

static void set_px(box_mask *m, long i, long j, int k) {
  if (i < m->box.lo[0] || i > m->box.hi[0] || j < m->box.lo[1] || j > m->box.hi[1] ||
      k < m->box.lo[2] || k > m->box.hi[2])
    return;
  *bm_at(m, (int)i, (int)j, k) = 1;
}

/* Sets the pixels on the segment a-b (inclusive) of slice k that lie in the box; steps along
 * the longer axis, only over the box's range of it. */
static void draw_segment(box_mask *m, int k, const lt_lidc_point *a, const lt_lidc_point *b) {
  long xa = round_coord(a->x), ya = round_coord(a->y);
  long xb = round_coord(b->x), yb = round_coord(b->y);
  long dx = xb - xa, dy = yb - ya;
  if (labs(dx) >= labs(dy)) {
    long x0 = xa < xb ? xa : xb, x1 = xa < xb ? xb : xa;
    if (x0 < m->box.lo[0]) x0 = m->box.lo[0];
    if (x1 > m->box.hi[0]) x1 = m->box.hi[0];
    for (long x = x0; x <= x1; x++)
      set_px(m, x, dx == 0 ? ya : lround((double)ya + (double)(x - xa) * (double)dy / (double)dx),
             k);
  } else {
    long y0 = ya < yb ? ya : yb, y1 = ya < yb ? yb : ya;
    if (y0 < m->box.lo[1]) y0 = m->box.lo[1];
    if (y1 > m->box.hi[1]) y1 = m->box.hi[1];
    for (long y = y0; y <= y1; y++)
      set_px(m, lround((double)xa + (double)(y - ya) * (double)dx / (double)dy), y, k);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sets (value 1) or clears (value 0) the pixels of slice k whose centre is inside the polygon
 * (even-odd), within the box. xs: scratch of n doubles. */
static void fill_polygon(box_mask *m, int k, const lt_lidc_point *p, int n, double *xs,
                         uint8_t value) {
  /* an exclusion ROI on a slice where the mark has no inclusion ROI: outside the box */
  if (k < m->box.lo[2] || k > m->box.hi[2]) return;
  double ymin = p[0].y, ymax = p[0].y;
  for (int t = 1; t < n; t++) {
    if (p[t].y < ymin) ymin = p[t].y;
    if (p[t].y > ymax) ymax = p[t].y;
  }
  int j0 = (int)fmax(ceil(ymin), m->box.lo[1]);
  int j1 = (int)fmin(floor(ymax), m->box.hi[1]);
  for (int j = j0; j <= j1; j++) {
    double yc = j;
    int nx = 0;
    for (int t = 0; t < n; t++) {
      const lt_lidc_point *a = &p[t], *b = &p[(t + 1) % n];
      if ((a->y <= yc) != (b->y <= yc))
        xs[nx++] = a->x + (yc - a->y) * (b->x - a->x) / (b->y - a->y);
    }
    qsort(xs, (size_t)nx, sizeof *xs, cmp_double);
    for (int t = 0; t + 1 < nx; t += 2) {
      double x0 = fmax(ceil(xs[t]), m->box.lo[0]);
      double x1 = fmin(floor(xs[t + 1]), m->box.hi[0]);
      for (int i = (int)x0; i <= (int)x1 && x0 <= x1; i++) *bm_at(m, i, j, k) = value;
    }
  }
}

/* ---- one reader's mark ---- */

static double eq_diameter(double volume) { return cbrt(6.0 * volume / M_PI); }

static double voxel_volume(const lt_geometry *g) {
  return fabs(g->spacing[0] * g->spacing[1] * g->spacing[2]);
}

/* Counts voxels and their centroid over a box mask. */
static size_t mask_stats(const uint8_t *mask, const lt_box *b, double centroid_vox[3]) {
  size_t n = 0;
  double s[3] = {0, 0, 0};
  size_t idx = 0;
  for (int k = b->lo[2]; k <= b->hi[2]; k++)
    for (int j = b->lo[1]; j <= b->hi[1]; j++)
      for (int i = b->lo[0]; i <= b->hi[0]; i++, idx++)
        if (mask[idx]) {
          n++;
          s[0] += i;
          s[1] += j;
          s[2] += k;
        }
  for (int d = 0; d < 3; d++) centroid_vox[d] = n ? s[d] / (double)n : NAN;
  return n;
}

typedef struct {
  int *slice;            /* per ROI of the mark: slice index or -1 */
  double *xs;            /* scratch for polygon crossings */
  int xs_cap;
} mark_scratch;

/* Places mark (r, mi) on the volume. Returns 1 placed, 0 dropped (nothing on the volume),
 * -1 out of memory. */
static int place_mark(const lt_lidc_doc *doc, int r, int mi, const lt_volume *vol,
                      const slice_index *si, const lt_nodule_options *opt, lt_nodule_set *set,
                      mark_scratch *sc, lt_nodule_mark *out) {
  const lt_lidc_mark *lm = &doc->readers[r].marks[mi];
  const lt_geometry *g = &vol->geom;
  memset(out, 0, sizeof *out);
  out->reader = r;
  out->mark = mi;
  snprintf(out->reader_nodule_id, sizeof out->reader_nodule_id, "%s", lm->id);
  snprintf(out->radiologist_id, sizeof out->radiologist_id, "%s", doc->readers[r].radiologist_id);
  out->has_ratings = lm->has_characteristics;
  memcpy(out->ratings, lm->ratings, sizeof out->ratings);
  if (lm->n_rois == 0) return 0;

  int *slice = realloc(sc->slice, (size_t)lm->n_rois * sizeof *slice);
  if (!slice) return -1;
  sc->slice = slice;
  out->is_point = true;
  bool any = false;
  lt_box b = {{0, 0, 0}, {-1, -1, -1}};
  for (int t = 0; t < lm->n_rois; t++) {
    const lt_lidc_roi *roi = &lm->rois[t];
    bool by_z;
    slice[t] = slice_find(si, roi->sop_uid, roi->z, opt->z_tolerance_mm, &by_z);
    if (slice[t] < 0) {
      set->rois_unmatched++;
      continue;
    }
    if (by_z) set->rois_by_z++;
    else set->rois_by_uid++;
    if (roi->n_points >= 3) out->is_point = false;
    if (roi->n_points > sc->xs_cap) {
      double *xs = realloc(sc->xs, (size_t)roi->n_points * sizeof *xs);
      if (!xs) return -1;
      sc->xs = xs;
      sc->xs_cap = roi->n_points;
    }
    for (int q = 0; q < roi->n_points; q++) {
      const lt_lidc_point *p = &roi->points[q];
      if (p->x < -0.5 || p->y < -0.5 || p->x > g->dim[0] - 0.5 || p->y > g->dim[1] - 0.5)
        set->points_outside++;
    }
    if (!roi->inclusion) continue;
    /* this ROI's pixel range, clipped to the image */
    double x0 = roi->points[0].x, x1 = x0, y0 = roi->points[0].y, y1 = y0;
    for (int q = 1; q < roi->n_points; q++) {
      x0 = fmin(x0, roi->points[q].x);
      x1 = fmax(x1, roi->points[q].x);
      y0 = fmin(y0, roi->points[q].y);
      y1 = fmax(y1, roi->points[q].y);
    }
    long lx = (long)floor(x0 + 0.5), hx = (long)floor(x1 + 0.5);
    long ly = (long)floor(y0 + 0.5), hy = (long)floor(y1 + 0.5);
    if (lx < 0) lx = 0;
    if (ly < 0) ly = 0;
    if (hx > g->dim[0] - 1) hx = g->dim[0] - 1;
    if (hy > g->dim[1] - 1) hy = g->dim[1] - 1;
    if (lx > hx || ly > hy) continue; /* wholly outside the image */
    if (!any) {
      b = (lt_box){{(int)lx, (int)ly, slice[t]}, {(int)hx, (int)hy, slice[t]}};
      any = true;
    } else {
      if (lx < b.lo[0]) b.lo[0] = (int)lx;
      if (ly < b.lo[1]) b.lo[1] = (int)ly;
      if (hx > b.hi[0]) b.hi[0] = (int)hx;
      if (hy > b.hi[1]) b.hi[1] = (int)hy;
      if (slice[t] < b.lo[2]) b.lo[2] = slice[t];
      if (slice[t] > b.hi[2]) b.hi[2] = slice[t];
    }
  }
  if (!any) return 0;

  box_mask m = {.box = b, .bw = b.hi[0] - b.lo[0] + 1, .bh = b.hi[1] - b.lo[1] + 1};
  m.mask = calloc(lt_box_count(&b), 1);
  if (!m.mask) return -1;
  for (int pass = 0; pass < 2; pass++) {
    bool incl = pass == 0;
    for (int t = 0; t < lm->n_rois; t++) {
      const lt_lidc_roi *roi = &lm->rois[t];
      if (slice[t] < 0 || roi->inclusion != incl) continue;
      if (roi->n_points >= 3)
        fill_polygon(&m, slice[t], roi->points, roi->n_points, sc->xs, incl ? 1 : 0);
      if (!incl || (roi->n_points >= 3 && !opt->outline_in_mask)) continue;
      for (int q = 0; q < roi->n_points; q++)
        draw_segment(&m, slice[t], &roi->points[q], &roi->points[(q + 1) % roi->n_points]);
    }
  }
  out->box = b;
  out->mask = m.mask;
  out->n_voxels = mask_stats(m.mask, &b, out->centroid_vox);
  if (out->n_voxels == 0) {
    free(out->mask);
    out->mask = NULL;
    return 0;
  }
  lt_geometry_voxel_to_mm(g, out->centroid_vox, out->centroid_mm);
  if (!out->is_point) {
    out->volume_mm3 = (double)out->n_voxels * voxel_volume(g);
    out->eq_diameter_mm = eq_diameter(out->volume_mm3);
  }
  return 1;
}

/* ---- clustering ---- */

typedef struct {
  int a, b;
  bool overlap;
  double key; /* -dice when overlapping, else centroid distance */
} link;

static int cmp_link(const void *pa, const void *pb) {
  const link *x = pa, *y = pb;
  if (x->overlap != y->overlap) return x->overlap ? -1 : 1;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  if (x->a != y->a) return x->a - y->a;
  return x->b - y->b;
}

static size_t overlap_count(const lt_nodule_mark *x, const lt_nodule_mark *y) {
  lt_box o;
  for (int d = 0; d < 3; d++) {
    o.lo[d] = x->box.lo[d] > y->box.lo[d] ? x->box.lo[d] : y->box.lo[d];
    o.hi[d] = x->box.hi[d] < y->box.hi[d] ? x->box.hi[d] : y->box.hi[d];
    if (o.lo[d] > o.hi[d]) return 0;
  }
  size_t n = 0;
  for (int k = o.lo[2]; k <= o.hi[2]; k++)
    for (int j = o.lo[1]; j <= o.hi[1]; j++)
      for (int i = o.lo[0]; i <= o.hi[0]; i++)
        n += x->mask[box_index(&x->box, i, j, k)] && y->mask[box_index(&y->box, i, j, k)];
  return n;
}

static double dist3(const double a[3], const double b[3]) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

/* Groups marks: group[i] = group label (a mark index). -1 out of memory. */
static int cluster(const lt_nodule_mark *marks, int n, double max_dist, int *group) {
  for (int i = 0; i < n; i++) group[i] = i;
  size_t cap = 16, nl = 0;
  link *links = malloc(cap * sizeof *links);
  if (!links) return -1;
  for (int a = 0; a < n; a++)
    for (int b = a + 1; b < n; b++) {
      if (marks[a].reader == marks[b].reader) continue;
      double d = dist3(marks[a].centroid_mm, marks[b].centroid_mm);
      size_t ov = overlap_count(&marks[a], &marks[b]);
      if (ov == 0 && !(d <= max_dist)) continue;
      if (nl == cap) {
        link *nlk = realloc(links, 2 * cap * sizeof *links);
        if (!nlk) {
          free(links);
          return -1;
        }
        links = nlk;
        cap *= 2;
      }
      double dice = 2.0 * (double)ov / (double)(marks[a].n_voxels + marks[b].n_voxels);
      links[nl++] = (link){a, b, ov > 0, ov > 0 ? -dice : d};
    }
  qsort(links, nl, sizeof *links, cmp_link);
  for (size_t l = 0; l < nl; l++) {
    int ga = group[links[l].a], gb = group[links[l].b];
    if (ga == gb) continue;
    bool clash = false;
    for (int i = 0; i < n && !clash; i++) {
      if (group[i] != ga) continue;
      for (int j = 0; j < n && !clash; j++)
        if (group[j] == gb && marks[j].reader == marks[i].reader) clash = true;
    }
    if (clash) continue;
    int lo = ga < gb ? ga : gb, hi = ga < gb ? gb : ga;
    for (int i = 0; i < n; i++)
      if (group[i] == hi) group[i] = lo;
  }
  free(links);
  return 0;
}

/* ---- a physical nodule from its marks ---- */

static int cmp_mark_reader(const void *a, const void *b) {
  const lt_nodule_mark *x = a, *y = b;
  if (x->reader != y->reader) return x->reader - y->reader;
  return x->mark - y->mark;
}

static int make_consensus(lt_nodule *nd, const lt_geometry *g) {
  lt_box u = {{0, 0, 0}, {-1, -1, -1}};
  bool any = false;
  for (int t = 0; t < nd->n_marks; t++) {
    const lt_nodule_mark *mk = &nd->marks[t];
    if (mk->is_point) continue;
    if (!any) {
      u = mk->box;
      any = true;
      continue;
    }
    for (int d = 0; d < 3; d++) {
      if (mk->box.lo[d] < u.lo[d]) u.lo[d] = mk->box.lo[d];
      if (mk->box.hi[d] > u.hi[d]) u.hi[d] = mk->box.hi[d];
    }
  }
  if (!any) return 0;
  size_t cnt = lt_box_count(&u);
  uint16_t *count = calloc(cnt, sizeof *count);
  if (!count) return -1;
  for (int t = 0; t < nd->n_marks; t++) {
    const lt_nodule_mark *mk = &nd->marks[t];
    if (mk->is_point) continue;
    size_t idx = 0;
    for (int k = mk->box.lo[2]; k <= mk->box.hi[2]; k++)
      for (int j = mk->box.lo[1]; j <= mk->box.hi[1]; j++)
        for (int i = mk->box.lo[0]; i <= mk->box.hi[0]; i++, idx++)
          if (mk->mask[idx] && count[box_index(&u, i, j, k)] < UINT16_MAX)
            count[box_index(&u, i, j, k)]++;
  }
  /* tight box of the consensus */
  lt_box tb = {{u.hi[0], u.hi[1], u.hi[2]}, {u.lo[0], u.lo[1], u.lo[2]}};
  size_t idx = 0, nvox = 0;
  for (int k = u.lo[2]; k <= u.hi[2]; k++)
    for (int j = u.lo[1]; j <= u.hi[1]; j++)
      for (int i = u.lo[0]; i <= u.hi[0]; i++, idx++) {
        if (2 * (long)count[idx] < (long)nd->n_outlined || count[idx] == 0) continue;
        int v[3] = {i, j, k};
        for (int d = 0; d < 3; d++) {
          if (v[d] < tb.lo[d]) tb.lo[d] = v[d];
          if (v[d] > tb.hi[d]) tb.hi[d] = v[d];
        }
        nvox++;
      }
  if (nvox == 0) {
    free(count);
    return 0;
  }
  nd->consensus = calloc(lt_box_count(&tb), 1);
  if (!nd->consensus) {
    free(count);
    return -1;
  }
  idx = 0;
  for (int k = u.lo[2]; k <= u.hi[2]; k++)
    for (int j = u.lo[1]; j <= u.hi[1]; j++)
      for (int i = u.lo[0]; i <= u.hi[0]; i++, idx++) {
        if (2 * (long)count[idx] < (long)nd->n_outlined || count[idx] == 0) continue;
        nd->consensus[box_index(&tb, i, j, k)] = 1;
      }
  free(count);
  nd->box = tb;
  nd->consensus_voxels = mask_stats(nd->consensus, &tb, nd->centroid_vox);
  lt_geometry_voxel_to_mm(g, nd->centroid_vox, nd->centroid_mm);
  nd->volume_mm3 = (double)nd->consensus_voxels * voxel_volume(g);
  nd->eq_diameter_mm = eq_diameter(nd->volume_mm3);
  return 0;
}

static int finish_nodule(lt_nodule *nd, const lt_geometry *g) {
  qsort(nd->marks, (size_t)nd->n_marks, sizeof *nd->marks, cmp_mark_reader);
  nd->n_readers = nd->n_marks;
  for (int t = 0; t < nd->n_marks; t++) {
    if (!nd->marks[t].is_point) nd->n_outlined++;
    if (nd->marks[t].has_ratings) nd->n_rated++;
  }
  nd->large = nd->n_outlined > 0;
  for (int c = 0; c < LT_LIDC_NCHAR; c++) {
    double s = 0;
    int n = 0;
    for (int t = 0; t < nd->n_marks; t++)
      if (nd->marks[t].ratings[c] > 0) {
        s += nd->marks[t].ratings[c];
        n++;
      }
    nd->mean_ratings[c] = n ? s / n : NAN;
  }
  if (make_consensus(nd, g) != 0) return -1;
  if (nd->consensus_voxels == 0) {
    /* point-only nodule, or an empty consensus: mean of the marks' centroids */
    double s[3] = {0, 0, 0};
    for (int t = 0; t < nd->n_marks; t++)
      for (int d = 0; d < 3; d++) s[d] += nd->marks[t].centroid_vox[d];
    for (int d = 0; d < 3; d++) nd->centroid_vox[d] = s[d] / nd->n_marks;
    lt_geometry_voxel_to_mm(g, nd->centroid_vox, nd->centroid_mm);
  }
  return 0;
}

static int cmp_nodule(const void *a, const void *b) {
  const lt_nodule *x = a, *y = b;
  if (x->large != y->large) return x->large ? -1 : 1;
  for (int d = 2; d >= 0; d--)
    if (x->centroid_mm[d] != y->centroid_mm[d])
      return x->centroid_mm[d] < y->centroid_mm[d] ? -1 : 1;
  if (x->marks[0].reader != y->marks[0].reader) return x->marks[0].reader - y->marks[0].reader;
  return x->marks[0].mark - y->marks[0].mark;
}

static void select_nodule(lt_nodule *nd, const lt_nodule_set *set, const lt_nodule_options *opt) {
  unsigned r = 0;
  if (opt->max_slice_thickness_mm > 0 && set->slice_thickness_mm > opt->max_slice_thickness_mm)
    r |= LT_NODULE_REJECT_THICK_SLICES;
  if (opt->min_readers > 0 && nd->n_readers < opt->min_readers) r |= LT_NODULE_REJECT_FEW_READERS;
  if (opt->min_mean_texture > 0 && !(nd->mean_ratings[LT_LIDC_TEXTURE] >= opt->min_mean_texture))
    r |= LT_NODULE_REJECT_TEXTURE;
  if (opt->min_diameter_mm > 0 &&
      (nd->consensus_voxels == 0 || nd->eq_diameter_mm < opt->min_diameter_mm))
    r |= LT_NODULE_REJECT_SMALL;
  if (opt->max_diameter_mm > 0 && nd->eq_diameter_mm > opt->max_diameter_mm)
    r |= LT_NODULE_REJECT_LARGE;
  nd->reject = r;
  nd->selected = r == 0;
}

/* ---- the set ---- */

static int place_non_nodules(const lt_lidc_doc *doc, const lt_volume *vol, const slice_index *si,
                             const lt_nodule_options *opt, lt_nodule_set *set) {
  int total = 0;
  for (int r = 0; r < doc->n_readers; r++) total += doc->readers[r].n_non_nodules;
  if (total == 0) return 0;
  set->non_nodules = calloc((size_t)total, sizeof *set->non_nodules);
  if (!set->non_nodules) return -1;
  for (int r = 0; r < doc->n_readers; r++)
    for (int t = 0; t < doc->readers[r].n_non_nodules; t++) {
      const lt_lidc_non_nodule *nn = &doc->readers[r].non_nodules[t];
      bool by_z;
      int k = slice_find(si, nn->sop_uid, nn->z, opt->z_tolerance_mm, &by_z);
      if (k < 0) {
        set->non_nodules_unmatched++;
        continue;
      }
      lt_placed_non_nodule *p = &set->non_nodules[set->n_non_nodules++];
      p->reader = r;
      snprintf(p->id, sizeof p->id, "%s", nn->id);
      p->pos_vox[0] = nn->locus.x;
      p->pos_vox[1] = nn->locus.y;
      p->pos_vox[2] = k;
      lt_geometry_voxel_to_mm(&vol->geom, p->pos_vox, p->pos_mm);
    }
  return 0;
}

int lt_nodules_build(const lt_lidc_doc *doc, const lt_volume *vol, const lt_nodule_options *opt,
                     lt_nodule_set **out, lt_error *err) {
  *out = NULL;
  lt_nodule_options defaults;
  if (!opt) {
    lt_nodule_options_default(&defaults);
    opt = &defaults;
  }
  const lt_geometry *g = &vol->geom;
  if (g->dim[0] <= 0 || g->dim[1] <= 0 || g->dim[2] <= 0 || !(voxel_volume(g) > 0))
    return lt_error_set(err, "nodules: the volume has no voxels or a zero spacing");
  lt_nodule_set *set = calloc(1, sizeof *set);
  if (!set) return lt_error_set(err, "out of memory");
  set->n_readers = doc ? doc->n_readers : 0;
  set->slice_thickness_mm = vol->slice_thickness > 0 ? vol->slice_thickness : fabs(g->spacing[2]);
  *out = set;
  if (!doc) return 0;

  slice_index si;
  int total = lt_lidc_doc_mark_count(doc);
  lt_nodule_mark *marks = total ? calloc((size_t)total, sizeof *marks) : NULL;
  int *group = total ? calloc((size_t)total, sizeof *group) : NULL;
  mark_scratch sc = {0};
  int n = 0, rc = 0;
  if (slice_index_init(&si, vol) != 0 || (total && (!marks || !group))) {
    rc = -1;
    goto done;
  }
  for (int r = 0; r < doc->n_readers && rc == 0; r++)
    for (int m = 0; m < doc->readers[r].n_marks && rc == 0; m++) {
      int p = place_mark(doc, r, m, vol, &si, opt, set, &sc, &marks[n]);
      if (p < 0) rc = -1;
      else if (p == 1) n++;
      else set->marks_dropped++;
    }
  if (rc == 0) rc = place_non_nodules(doc, vol, &si, opt, set);
  if (rc == 0 && n > 0) rc = cluster(marks, n, opt->cluster_distance_mm, group);
  if (rc == 0 && n > 0) {
    int ng = 0;
    for (int i = 0; i < n; i++) ng += group[i] == i;
    set->nodules = calloc((size_t)ng, sizeof *set->nodules);
    if (!set->nodules) rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
      if (group[i] != i) continue;
      lt_nodule *nd = &set->nodules[set->n_nodules++];
      int cnt = 0;
      for (int j = i; j < n; j++) cnt += group[j] == i;
      nd->marks = calloc((size_t)cnt, sizeof *nd->marks);
      if (!nd->marks) {
        rc = -1;
        break;
      }
      for (int j = i; j < n; j++)
        if (group[j] == i) {
          nd->marks[nd->n_marks++] = marks[j];
          marks[j].mask = NULL; /* now owned by the nodule */
        }
      rc = finish_nodule(nd, g);
    }
    if (rc == 0) {
      qsort(set->nodules, (size_t)set->n_nodules, sizeof *set->nodules, cmp_nodule);
      for (int t = 0; t < set->n_nodules; t++) {
        snprintf(set->nodules[t].id, sizeof set->nodules[t].id, "%d", t + 1);
        select_nodule(&set->nodules[t], set, opt);
      }
    }
  }
done:
  for (int i = 0; i < n; i++) free(marks[i].mask);
  free(marks);
  free(group);
  free(sc.slice);
  free(sc.xs);
  slice_index_free(&si);
  if (rc != 0) {
    lt_nodule_set_free(set);
    *out = NULL;
    return lt_error_set(err, "nodules: out of memory");
  }
  return 0;
}

void lt_nodule_set_free(lt_nodule_set *set) {
  if (!set) return;
  for (int t = 0; t < set->n_nodules; t++) {
    for (int m = 0; m < set->nodules[t].n_marks; m++) free(set->nodules[t].marks[m].mask);
    free(set->nodules[t].marks);
    free(set->nodules[t].consensus);
  }
  free(set->nodules);
  free(set->non_nodules);
  free(set);
}

const lt_nodule *lt_nodule_set_find(const lt_nodule_set *set, const char *id) {
  for (int t = 0; set && id && t < set->n_nodules; t++)
    if (!strcmp(set->nodules[t].id, id)) return &set->nodules[t];
  return NULL;
}

size_t lt_nodule_rasterise(const lt_nodule *n, int mark, const lt_geometry *g, uint8_t *full) {
  memset(full, 0, lt_geometry_count(g));
  const uint8_t *mask = n->consensus;
  const lt_box *b = &n->box;
  if (mark >= 0) {
    if (mark >= n->n_marks) return 0;
    mask = n->marks[mark].mask;
    b = &n->marks[mark].box;
  }
  if (!mask) return 0;
  size_t idx = 0, cnt = 0;
  for (int k = b->lo[2]; k <= b->hi[2]; k++)
    for (int j = b->lo[1]; j <= b->hi[1]; j++)
      for (int i = b->lo[0]; i <= b->hi[0]; i++, idx++) {
        if (!mask[idx] || i >= g->dim[0] || j >= g->dim[1] || k >= g->dim[2]) continue;
        full[(size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * (size_t)k)] = 1;
        cnt++;
      }
  return cnt;
}

const char *lt_nodule_reject_string(unsigned reject, char *buf, size_t n) {
  static const char *const names[] = {"thick slices", "few readers", "texture", "small", "large"};
  if (n == 0) return buf;
  buf[0] = '\0';
  size_t len = 0;
  for (int b = 0; b < 5; b++) {
    if (!(reject & (1u << b))) continue;
    int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", names[b]);
    if (w < 0 || (size_t)w >= n - len) break;
    len += (size_t)w;
  }
  return buf;
}
