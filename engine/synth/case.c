/* engine/synth/case.c — see case.h. */
#include "synth/case.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ct/lidc.h"
#include "ct/lungmask.h"
#include "ct/nifti.h"
#include "ct/series.h"
#include "synth/contour.h"
#include "synth/dicom-write.h"
#include "synth/lidc-write.h"

#define CROP_MARGIN_MM 30.0
#define PLACE_TRIES 4000
#define ATTR_TRIES 6

void lt_synth_options_default(lt_synth_options *o) {
  memset(o, 0, sizeof *o);
  o->count_min = 1;
  o->count_max = 3;
  o->slab_mm = 100;
  o->sure_fraction = 0.5;
  o->confound = false;
  lt_reader_model_default(&o->readers);
}

/* mm box of voxel box b (voxel footprints), grown by grow mm. */
static lt_mm_box box_mm(const lt_geometry *g, const lt_box *b, double grow) {
  lt_mm_box m;
  for (int d = 0; d < 3; d++) {
    m.lo[d] = INFINITY;
    m.hi[d] = -INFINITY;
  }
  for (int c = 0; c < 8; c++) {
    double ijk[3] = {(c & 1) ? b->hi[0] + 0.5 : b->lo[0] - 0.5, (c & 2) ? b->hi[1] + 0.5 : b->lo[1] - 0.5,
                     (c & 4) ? b->hi[2] + 0.5 : b->lo[2] - 0.5};
    double mm[3];
    lt_geometry_voxel_to_mm(g, ijk, mm);
    for (int d = 0; d < 3; d++) {
      if (mm[d] < m.lo[d]) m.lo[d] = mm[d];
      if (mm[d] > m.hi[d]) m.hi[d] = mm[d];
    }
  }
  for (int d = 0; d < 3; d++) {
    m.lo[d] -= grow;
    m.hi[d] += grow;
  }
  return m;
}

static lt_mm_box point_box(const double p[3], double r) {
  lt_mm_box m;
  for (int d = 0; d < 3; d++) {
    m.lo[d] = p[d] - r;
    m.hi[d] = p[d] + r;
  }
  return m;
}

int lt_synth_study_load(const char *dir, lt_synth_study **out, lt_error *err) {
  *out = NULL;
  lt_synth_study *st = calloc(1, sizeof *st);
  if (!st) return lt_error_set(err, "out of memory"), -1;
  snprintf(st->dir, sizeof st->dir, "%s", dir);
  if (lt_series_read(dir, NULL, &st->vol, NULL, err) != 0) goto fail;
  const lt_geometry *g = &st->vol->geom;
  size_t nvox = lt_geometry_count(g);
  st->lung = malloc(nvox);
  st->lung_per_slice = calloc((size_t)g->dim[2], sizeof *st->lung_per_slice);
  if (!st->lung || !st->lung_per_slice) {
    lt_error_set(err, "out of memory");
    goto fail;
  }
  if (lt_lung_mask(st->vol, st->lung, NULL, err) != 0) goto fail;
  if (lt_scanner_estimate(st->vol, &st->scanner, err) != 0) goto fail;
  const int nx = g->dim[0], ny = g->dim[1], nz = g->dim[2];
  st->body_lo[0] = nx;
  st->body_lo[1] = ny;
  st->body_hi[0] = st->body_hi[1] = -1;
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      for (int i = 0; i < nx; i++) {
        size_t idx = (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k);
        if (!st->lung[idx]) continue;
        st->lung_per_slice[k]++;
        if (i < st->body_lo[0]) st->body_lo[0] = i;
        if (i > st->body_hi[0]) st->body_hi[0] = i;
        if (j < st->body_lo[1]) st->body_lo[1] = j;
        if (j > st->body_hi[1]) st->body_hi[1] = j;
      }
  if (st->body_hi[0] < 0) {
    lt_error_set(err, "%s: the lung mask is empty", dir);
    goto fail;
  }
  for (int d = 0; d < 2; d++) {
    int m = (int)ceil(CROP_MARGIN_MM / g->spacing[d]);
    st->body_lo[d] = st->body_lo[d] - m < 0 ? 0 : st->body_lo[d] - m;
    st->body_hi[d] = st->body_hi[d] + m > g->dim[d] - 1 ? g->dim[d] - 1 : st->body_hi[d] + m;
  }
  /* Real nodules to keep clear of. */
  lt_lidc_doc *doc = NULL;
  if (lt_lidc_read_for_series(dir, st->vol->series_uid, &doc, err) != 0) goto fail;
  if (doc) {
    lt_nodule_set *set = NULL;
    if (lt_nodules_build(doc, st->vol, NULL, &set, err) != 0) {
      lt_lidc_doc_free(doc);
      goto fail;
    }
    int cap = set->n_nodules + set->n_non_nodules;
    st->keepout = malloc((size_t)(cap ? cap : 1) * sizeof *st->keepout);
    if (!st->keepout) {
      lt_nodule_set_free(set);
      lt_lidc_doc_free(doc);
      lt_error_set(err, "out of memory");
      goto fail;
    }
    for (int k = 0; k < set->n_nodules; k++) {
      const lt_nodule *n = &set->nodules[k];
      st->keepout[st->n_keepout++] =
          n->consensus ? box_mm(g, &n->box, 2.0) : point_box(n->centroid_mm, 3.0);
      if (n->consensus && n->eq_diameter_mm > st->real_diameter_mm) {
        st->has_real = true;
        st->real_diameter_mm = n->eq_diameter_mm;
        memcpy(st->real_centre_mm, n->centroid_mm, sizeof st->real_centre_mm);
      }
    }
    for (int k = 0; k < set->n_non_nodules; k++)
      st->keepout[st->n_keepout++] = point_box(set->non_nodules[k].pos_mm, 3.0);
    st->n_real_nodules = set->n_nodules;
    lt_nodule_set_free(set);
    lt_lidc_doc_free(doc);
  }
  *out = st;
  return 0;
fail:
  lt_synth_study_free(st);
  return -1;
}

void lt_synth_study_free(lt_synth_study *st) {
  if (!st) return;
  lt_volume_free(st->vol);
  free(st->lung);
  free(st->lung_per_slice);
  free(st->keepout);
  free(st);
}

void lt_synth_case_clear(lt_synth_case *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->nodules[i].truth);
    c->nodules[i].truth = NULL;
  }
  c->n = 0;
}

static void make_uid(char *buf, lt_srng *r) {
  uint64_t hi = lt_srng_next(r) >> 4, lo = lt_srng_next(r);
  lt_dicom_uid_from_bits(buf, hi, lo);
}

/* Appends a ROI (points of one outline) to a mark. */
static int add_roi(lt_lidc_mark *m, const lt_outline *o, double z, const char *sop, int dx, int dy) {
  lt_lidc_roi *r = realloc(m->rois, (size_t)(m->n_rois + 1) * sizeof *r);
  if (!r) return -1;
  m->rois = r;
  lt_lidc_roi *roi = &m->rois[m->n_rois];
  memset(roi, 0, sizeof *roi);
  roi->z = z;
  snprintf(roi->sop_uid, sizeof roi->sop_uid, "%s", sop);
  roi->inclusion = true;
  roi->points = malloc((size_t)o->n * sizeof *roi->points);
  if (!roi->points) return -1;
  for (int p = 0; p < o->n; p++) {
    roi->points[p].x = o->xy[2 * p] + dx;
    roi->points[p].y = o->xy[2 * p + 1] + dy;
  }
  roi->n_points = o->n;
  m->n_rois++;
  return 0;
}

/* One reader's mark of nodule nd on volume v (the written slab). */
static int reader_mark(const lt_volume *v, const lt_synth_nodule *nd, const lt_reader_view *view,
                       const char *case_id, int reader, lt_lidc_mark *m, lt_error *err) {
  memset(m, 0, sizeof *m);
  snprintf(m->id, sizeof m->id, "%s-n%d-r%d", case_id, nd->number, reader + 1);
  m->has_characteristics = true;
  m->ratings[LT_LIDC_INTERNAL_STRUCTURE] = 1; /* soft tissue */
  m->ratings[LT_LIDC_CALCIFICATION] = view->calcification ? view->calcification : 6; /* 6 absent */
  m->ratings[LT_LIDC_TEXTURE] = view->texture ? view->texture : 5;                   /* 5 solid */
  for (int a = 0; a < LT_ATTR_N; a++) m->ratings[lt_synth_attr_lidc[a]] = view->rating[a];
  const lt_box *b = &nd->box;
  int bx = b->hi[0] - b->lo[0] + 1, by = b->hi[1] - b->lo[1] + 1, bz = b->hi[2] - b->lo[2] + 1;
  uint8_t *mask = malloc(lt_box_count(b));
  if (!mask) return lt_error_set(err, "out of memory"), -1;
  long cnt = lt_nodule_reader_mask(&v->geom, &nd->shape, nd->centre_mm, view, b, mask);
  if (cnt == 0) { /* a faint small nodule under this reader's threshold: outline its centre voxel */
    double c[3];
    lt_geometry_mm_to_voxel(&v->geom, nd->centre_mm, c);
    int ci = (int)lround(c[0]) - b->lo[0], cj = (int)lround(c[1]) - b->lo[1], ck = (int)lround(c[2]) - b->lo[2];
    if (ci >= 0 && cj >= 0 && ck >= 0 && ci < bx && cj < by && ck < bz)
      mask[(size_t)ci + (size_t)bx * ((size_t)cj + (size_t)by * ck)] = 1;
  }
  for (int k = 0; k < bz; k++) {
    const uint8_t *sl = mask + (size_t)bx * by * k;
    int any = 0;
    for (int t = 0; t < bx * by && !any; t++) any = sl[t];
    if (!any) continue;
    lt_outline *outs;
    int no;
    if (lt_outlines_trace(sl, bx, by, &outs, &no, err) != 0) {
      free(mask);
      return -1;
    }
    int kk = b->lo[2] + k;
    double ijk[3] = {0, 0, kk}, mm[3]; /* imageZposition: the slice's patient z */
    lt_geometry_voxel_to_mm(&v->geom, ijk, mm);
    for (int o = 0; o < no; o++)
      if (add_roi(m, &outs[o], mm[2], v->sop_uid[kk], b->lo[0], b->lo[1]) != 0) {
        lt_outlines_free(outs, no);
        free(mask);
        return lt_error_set(err, "out of memory"), -1;
      }
    lt_outlines_free(outs, no);
  }
  free(mask);
  return 0;
}

static int cmp_i16(const void *a, const void *b) {
  int16_t x = *(const int16_t *)a, y = *(const int16_t *)b;
  return (x > y) - (x < y);
}

/* The truth of a nodule just inserted into v: its shape's extent, its truth mask's extent, lung
 * share and HU as written, and its centre's distance to the lung boundary. */
static int nodule_measure(const lt_volume *v, const uint8_t *lung, lt_synth_nodule *nd) {
  const lt_geometry *g = &v->geom;
  const lt_box *b = &nd->box;
  lt_nodule_shape_extent(&nd->shape, nd->extent_mm);
  nd->pleura_mm = lt_lung_edge_distance_mm(g, lung, nd->centre_mm, 40.0);
  int bx = b->hi[0] - b->lo[0] + 1, by = b->hi[1] - b->lo[1] + 1, bz = b->hi[2] - b->lo[2] + 1;
  int lo[3] = {bx, by, bz}, hi[3] = {-1, -1, -1};
  int16_t *hu = malloc((size_t)(nd->truth_voxels ? nd->truth_voxels : 1) * sizeof *hu);
  if (!hu) return -1;
  long n = 0, in_lung = 0, above = 0;
  double sum = 0;
  for (int k = 0; k < bz; k++)
    for (int j = 0; j < by; j++)
      for (int i = 0; i < bx; i++) {
        if (!nd->truth[(size_t)i + (size_t)bx * ((size_t)j + (size_t)by * k)]) continue;
        int ijk[3] = {i, j, k};
        for (int d = 0; d < 3; d++) {
          if (ijk[d] < lo[d]) lo[d] = ijk[d];
          if (ijk[d] > hi[d]) hi[d] = ijk[d];
        }
        size_t idx = (size_t)(b->lo[0] + i) +
                     (size_t)g->dim[0] * ((size_t)(b->lo[1] + j) + (size_t)g->dim[1] * (size_t)(b->lo[2] + k));
        in_lung += lung[idx] != 0;
        /* On the boundary: outside the lung, or a face neighbour is (or the slab's edge). */
        if (!nd->touches_boundary) {
          int gi = b->lo[0] + i, gj = b->lo[1] + j, gk = b->lo[2] + k;
          static const int nb[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
          bool edge = !lung[idx];
          for (int q = 0; q < 6 && !edge; q++) {
            int a = gi + nb[q][0], bb = gj + nb[q][1], cc = gk + nb[q][2];
            edge = a < 0 || bb < 0 || cc < 0 || a >= g->dim[0] || bb >= g->dim[1] || cc >= g->dim[2] ||
                   !lung[(size_t)a + (size_t)g->dim[0] * ((size_t)bb + (size_t)g->dim[1] * (size_t)cc)];
          }
          nd->touches_boundary = edge;
        }
        hu[n++] = v->hu[idx];
        sum += v->hu[idx];
        above += v->hu[idx] >= 200;
      }
  for (int d = 0; d < 3; d++) nd->mask_extent_mm[d] = hi[d] >= lo[d] ? (hi[d] - lo[d] + 1) * g->spacing[d] : 0;
  if (n) {
    qsort(hu, (size_t)n, sizeof *hu, cmp_i16);
    nd->hu_mean = sum / n;
    nd->hu_p10 = hu[n / 10];
    nd->hu_p50 = hu[n / 2];
    nd->hu_p90 = hu[(n * 9) / 10];
    nd->hu_share_200 = (double)above / n;
    nd->lung_share = (double)in_lung / n;
  } else {
    nd->hu_mean = nd->hu_p10 = nd->hu_p50 = nd->hu_p90 = NAN;
  }
  free(hu);
  return 0;
}

static int ensure_dir(const char *d, lt_error *err) {
  if (mkdir(d, 0777) != 0 && errno != EEXIST) return lt_error_set(err, "cannot create %s: %s", d, strerror(errno)), -1;
  return 0;
}

int lt_synth_case_make(const lt_synth_study *st, const lt_attr_pool *pool,
                       const lt_synth_options *opt, uint64_t seed, int index, const char *case_dir,
                       lt_synth_case *c, lt_error *err) {
  memset(c, 0, sizeof *c);
  c->index = index;
  snprintf(c->id, sizeof c->id, "case-%04d", index + 1);
  c->fold = index % 5;
  c->split = opt->confound ? (c->fold == 4 ? "test" : "train") : "all";
  lt_srng rng, uidrng;
  lt_srng_seed(&rng, seed, 1000 + (uint64_t)index);
  lt_srng_seed(&uidrng, seed, 5000000 + (uint64_t)index);
  lt_srng krng; /* the kind's and the placement's own draws */
  lt_srng_seed(&krng, seed, 9000000 + (uint64_t)index);
  const lt_geometry *sg = &st->vol->geom;
  const int snx = sg->dim[0], sny = sg->dim[1], snz = sg->dim[2];

  /* Slab. */
  int S = (int)lround(opt->slab_mm / sg->spacing[2]);
  if (S > snz) S = snz;
  if (S < 1) S = 1;
  int maxl = 0;
  for (int k = 0; k < snz; k++)
    if (st->lung_per_slice[k] > maxl) maxl = st->lung_per_slice[k];
  int ncand = 0;
  for (int k = 0; k < snz; k++) ncand += st->lung_per_slice[k] >= 0.2 * maxl;
  if (!maxl || !ncand) return lt_error_set(err, "%s: no lung slices", st->dir), -1;
  int pick = lt_srng_int(&rng, ncand), kc = 0;
  for (int k = 0; k < snz; k++)
    if (st->lung_per_slice[k] >= 0.2 * maxl && pick-- == 0) {
      kc = k;
      break;
    }
  int k0 = kc - S / 2;
  if (k0 < 0) k0 = 0;
  if (k0 > snz - S) k0 = snz - S;
  c->k0 = k0;
  int x0 = st->body_lo[0], y0 = st->body_lo[1];
  int bx = st->body_hi[0] - x0 + 1, by = st->body_hi[1] - y0 + 1;

  lt_volume *v = lt_volume_new(bx, by, S);
  uint8_t *lung = malloc((size_t)bx * by * S);
  lt_mm_box *ko = malloc((size_t)(st->n_keepout + 4) * sizeof *ko);
  lt_lidc_doc *doc = NULL;
  if (!v || !lung || !ko) {
    lt_error_set(err, "out of memory");
    goto fail;
  }
  v->geom = *sg;
  v->geom.dim[0] = bx;
  v->geom.dim[1] = by;
  v->geom.dim[2] = S;
  double o_ijk[3] = {x0, y0, k0};
  lt_geometry_voxel_to_mm(sg, o_ijk, v->geom.origin);
  v->slice_thickness = st->vol->slice_thickness;
  for (int k = 0; k < S; k++) {
    v->slice_pos[k] = st->vol->slice_pos[k0 + k];
    for (int j = 0; j < by; j++) {
      size_t src = (size_t)x0 + (size_t)snx * ((size_t)(y0 + j) + (size_t)sny * (size_t)(k0 + k));
      size_t dst = (size_t)bx * ((size_t)j + (size_t)by * k);
      memcpy(v->hu + dst, st->vol->hu + src, (size_t)bx * sizeof *v->hu);
      memcpy(lung + dst, st->lung + src, (size_t)bx);
    }
  }
  make_uid(c->study_uid, &uidrng);
  make_uid(c->series_uid, &uidrng);
  char for_uid[LT_UID_MAX];
  make_uid(for_uid, &uidrng);
  for (int k = 0; k < S; k++) make_uid(v->sop_uid[k], &uidrng);
  snprintf(v->series_uid, sizeof v->series_uid, "%s", c->series_uid);
  snprintf(v->study_uid, sizeof v->study_uid, "%s", c->study_uid);
  c->geom = v->geom;

  int nko = st->n_keepout;
  memcpy(ko, st->keepout, (size_t)nko * sizeof *ko);
  int want = opt->count_min + lt_srng_int(&rng, opt->count_max - opt->count_min + 1);
  if (want > 4) want = 4;
  int kmargin = (int)ceil(LT_SYNTH_PATCH_HALF_MM / v->geom.spacing[2]);
  int klo = kmargin, khi = S - 1 - kmargin;
  if (khi < klo) {
    klo = 0;
    khi = S - 1;
  }
  lt_error perr = {{0}};
  for (int j = 0; j < want; j++) {
    lt_synth_nodule *nd = &c->nodules[c->n];
    memset(nd, 0, sizeof *nd);
    int placed = 0;
    nd->kind = opt->kind;
    nd->juxtapleural = opt->juxtapleural > 0 && lt_srng_uniform(&krng) < opt->juxtapleural;
    lt_place_mode mode = nd->juxtapleural              ? LT_PLACE_JUXTAPLEURAL
                         : opt->kind == LT_KIND_OVERSIZE ? LT_PLACE_RELAXED
                                                         : LT_PLACE_INSIDE;
    int attr_tries = opt->max_extent_mm > 0 || mode != LT_PLACE_INSIDE ? 40 : ATTR_TRIES;
    for (int t = 0; t < attr_tries && !placed; t++) {
      lt_attr_draw(pool, &rng, &nd->attrs);
      lt_nodule_kind_attrs(opt->kind, &nd->attrs, &krng);
      lt_nodule_shape_make_kind(&nd->shape, &nd->attrs, opt->kind, &rng);
      if (opt->max_extent_mm > 0) {
        double e[3];
        lt_nodule_shape_extent(&nd->shape, e);
        if (e[0] >= opt->max_extent_mm || e[1] >= opt->max_extent_mm || e[2] >= opt->max_extent_mm) continue;
      }
      int lo = klo, hi = khi;
      if (mode != LT_PLACE_INSIDE) { /* a large mass needs its whole box inside the slab */
        int km = (int)ceil((nd->shape.radius_mm + 2) / v->geom.spacing[2]);
        if (km > kmargin) {
          lo = km;
          hi = S - 1 - km;
        }
      }
      placed = lt_nodule_place_mode(v, lung, ko, nko, &nd->shape, mode, lo, hi, PLACE_TRIES,
                                    mode == LT_PLACE_INSIDE ? &rng : &krng, nd->centre_mm, &perr) == 0;
    }
    if (!placed) continue;
    nd->attrs = nd->shape.attrs; /* oversize: the diameter of the scaled shape */
    nd->number = c->n + 1;
    lt_nodule_box(&v->geom, &nd->shape, nd->centre_mm, &nd->box);
    nd->truth = malloc(lt_box_count(&nd->box));
    if (!nd->truth) {
      lt_error_set(err, "out of memory");
      goto fail;
    }
    if (lt_nodule_insert(v, &nd->shape, nd->centre_mm, &st->scanner, &rng, &nd->box, nd->truth, err) != 0)
      goto fail;
    for (size_t q = 0; q < lt_box_count(&nd->box); q++) nd->truth_voxels += nd->truth[q];
    if (nodule_measure(v, lung, nd) != 0) {
      lt_error_set(err, "out of memory");
      goto fail;
    }
    lt_readers_read(&opt->readers, &nd->attrs, &rng, nd->views);
    {
      static const int calc_code[LT_CALC_N] = {3, 5, 2, 1}; /* LIDC: solid, central, laminated, popcorn */
      int texture = opt->kind == LT_KIND_GROUND_GLASS ? 1 : opt->kind == LT_KIND_PART_SOLID ? 3 : 5;
      int calc = opt->kind == LT_KIND_CALCIFIED ? calc_code[nd->shape.calc_pattern] : 6;
      lt_readers_rate_kind(texture, calc, &krng, nd->views);
    }
    lt_truth_draw(&nd->attrs, &rng, &nd->truth_label);
    nd->sure = lt_srng_uniform(&rng) < opt->sure_fraction;
    double u = lt_srng_uniform(&rng);
    if (opt->confound && !strcmp(c->split, "train"))
      nd->speck = u < (nd->truth_label.label ? 0.9 : 0.1);
    nd->speck_mm[0] = nd->centre_mm[0] + LT_SYNTH_SPECK_OFFSET_X;
    nd->speck_mm[1] = nd->centre_mm[1] + LT_SYNTH_SPECK_OFFSET_Y;
    nd->speck_mm[2] = nd->centre_mm[2];
    ko[nko++] = point_box(nd->centre_mm, nd->shape.radius_mm);
    c->n++;
  }
  if (!c->n) {
    lt_error_set(err, "%s: %s", c->id, perr.msg[0] ? perr.msg : "no nodule placed");
    goto fail;
  }
  for (int j = 0; j < c->n; j++)
    if (c->nodules[j].speck)
      lt_speck_insert(v, c->nodules[j].speck_mm, LT_SYNTH_SPECK_RADIUS, LT_SYNTH_SPECK_HU, &st->scanner);

  /* DICOM series. */
  if (ensure_dir(case_dir, err) != 0) goto fail;
  char path[4200], pid[64], pname[64], desc[64];
  snprintf(pid, sizeof pid, "LT-SYNTH-%04d", index + 1);
  snprintf(pname, sizeof pname, "SYNTH^CASE%04d", index + 1);
  snprintf(desc, sizeof desc, "LungTrust synthetic nodules on %.32s", st->vol->patient_id);
  for (int k = 0; k < S; k++) {
    lt_ct_slice s;
    memset(&s, 0, sizeof s);
    s.patient_id = pid;
    s.patient_name = pname;
    s.study_uid = c->study_uid;
    s.series_uid = c->series_uid;
    s.sop_uid = v->sop_uid[k];
    s.frame_of_reference_uid = for_uid;
    s.study_date = "20000101";
    s.series_description = desc;
    s.manufacturer = st->vol->manufacturer;
    s.model_name = st->vol->model_name;
    s.instance_number = k + 1;
    double ijk[3] = {0, 0, k};
    lt_geometry_voxel_to_mm(&v->geom, ijk, s.ipp);
    for (int r = 0; r < 3; r++) {
      s.iop[r] = v->geom.dir[3 * r + 0];
      s.iop[3 + r] = v->geom.dir[3 * r + 1];
    }
    s.pixel_spacing[0] = v->geom.spacing[1];
    s.pixel_spacing[1] = v->geom.spacing[0];
    s.slice_thickness = v->slice_thickness > 0 ? v->slice_thickness : v->geom.spacing[2];
    s.rows = by;
    s.cols = bx;
    s.hu = v->hu + (size_t)bx * by * k;
    snprintf(path, sizeof path, "%s/IM%04d.dcm", case_dir, k + 1);
    if (lt_dicom_write_ct_slice(path, &s, err) != 0) goto fail;
  }

  /* Readings of the unsure nodules. */
  doc = calloc(1, sizeof *doc);
  if (!doc || !(doc->readers = calloc(LT_SYNTH_READERS, sizeof *doc->readers))) {
    lt_error_set(err, "out of memory");
    goto fail;
  }
  snprintf(doc->series_uid, sizeof doc->series_uid, "%s", c->series_uid);
  snprintf(doc->study_uid, sizeof doc->study_uid, "%s", c->study_uid);
  doc->n_readers = LT_SYNTH_READERS;
  for (int r = 0; r < LT_SYNTH_READERS; r++) {
    lt_lidc_reader *rd = &doc->readers[r];
    snprintf(rd->radiologist_id, sizeof rd->radiologist_id, "synth-reader-%d", r + 1);
    snprintf(rd->annotation_version, sizeof rd->annotation_version, "3.12");
    rd->marks = calloc(4, sizeof *rd->marks);
    if (!rd->marks) {
      lt_error_set(err, "out of memory");
      goto fail;
    }
    for (int j = 0; j < c->n; j++) {
      const lt_synth_nodule *nd = &c->nodules[j];
      if (nd->sure || !nd->views[r].seen) continue;
      if (reader_mark(v, nd, &nd->views[r], c->id, r, &rd->marks[rd->n_marks++], err) != 0) goto fail;
    }
  }
  snprintf(path, sizeof path, "%s/readings.xml", case_dir);
  if (lt_lidc_write_file(doc, path, err) != 0) goto fail;
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
  free(lung);
  free(ko);
  return 0;
fail:
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
  free(lung);
  free(ko);
  lt_synth_case_clear(c);
  return -1;
}

int lt_synth_case_import(const char *case_dir, lt_synth_case *c, lt_error *err) {
  lt_volume *v = NULL;
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  uint8_t *full = NULL;
  int rc = -1;
  if (lt_series_read(case_dir, NULL, &v, NULL, err) != 0) goto out;
  if (lt_lidc_read_for_series(case_dir, v->series_uid, &doc, err) != 0) goto out;
  lt_nodule_options nopt;
  lt_nodule_options_default(&nopt);
  if (doc && lt_nodules_build(doc, v, &nopt, &set, err) != 0) goto out;
  size_t nvox = lt_geometry_count(&v->geom);
  full = malloc(nvox);
  if (!full) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  char path[4200];
  for (int j = 0; j < c->n; j++) {
    lt_synth_nodule *nd = &c->nodules[j];
    /* Truth mask, slab geometry. */
    memset(full, 0, nvox);
    const lt_box *b = &nd->box;
    int bx = b->hi[0] - b->lo[0] + 1, by = b->hi[1] - b->lo[1] + 1;
    for (int k = b->lo[2]; k <= b->hi[2]; k++)
      for (int jj = b->lo[1]; jj <= b->hi[1]; jj++)
        for (int i = b->lo[0]; i <= b->hi[0]; i++)
          full[(size_t)i + (size_t)v->geom.dim[0] * ((size_t)jj + (size_t)v->geom.dim[1] * k)] =
              nd->truth[(size_t)(i - b->lo[0]) + (size_t)bx * ((size_t)(jj - b->lo[1]) + (size_t)by * (k - b->lo[2]))];
    snprintf(nd->truth_file, sizeof nd->truth_file, "truth-%d.nii.gz", nd->number);
    snprintf(path, sizeof path, "%s/%s", case_dir, nd->truth_file);
    if (lt_nifti_write(path, &v->geom, 1, LT_NIFTI_U8, full, "LungTrust synthetic truth", err) != 0) goto out;
    if (nd->sure || !set) continue;
    /* The imported physical nodule nearest the centre. */
    const lt_nodule *best = NULL;
    double bd = INFINITY;
    for (int k = 0; k < set->n_nodules; k++) {
      double d2 = 0;
      for (int d = 0; d < 3; d++)
        d2 += (set->nodules[k].centroid_mm[d] - nd->centre_mm[d]) * (set->nodules[k].centroid_mm[d] - nd->centre_mm[d]);
      if (d2 < bd) {
        bd = d2;
        best = &set->nodules[k];
      }
    }
    if (!best || sqrt(bd) > nd->attrs.diameter_mm / 2 + 3) continue;
    nd->imported = true;
    snprintf(nd->lidc_id, sizeof nd->lidc_id, "%s", best->id);
    nd->n_readers = best->n_readers;
    for (int a = 0; a < LT_ATTR_N; a++) nd->mean_ratings[a] = best->mean_ratings[lt_synth_attr_lidc[a]];
    uint8_t *truth_full = full; /* holds the truth mask now */
    uint8_t *cons = malloc(nvox);
    if (!cons) {
      lt_error_set(err, "out of memory");
      goto out;
    }
    nd->consensus_voxels = (long)lt_nodule_rasterise(best, -1, &v->geom, cons);
    long inter = 0;
    for (size_t q = 0; q < nvox; q++) inter += cons[q] && truth_full[q];
    nd->dice_consensus_truth = nd->consensus_voxels + nd->truth_voxels
                                   ? 2.0 * inter / (double)(nd->consensus_voxels + nd->truth_voxels)
                                   : 0;
    snprintf(nd->mask_file, sizeof nd->mask_file, "mask-%d.nii.gz", nd->number);
    snprintf(path, sizeof path, "%s/%s", case_dir, nd->mask_file);
    int wr = lt_nifti_write(path, &v->geom, 1, LT_NIFTI_U8, cons, "LungTrust 50% reader consensus", err);
    free(cons);
    if (wr != 0) goto out;
  }
  rc = 0;
out:
  free(full);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
  return rc;
}
