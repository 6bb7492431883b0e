/* engine/review/review.c — see review.h. */
#include "review/review.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "ct/lungmask.h"
#include "lt-sha256.h"
#include "model/input.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int lt_review_model_load(lt_review_model **out, const char *path, lt_error *err) {
  *out = NULL;
  lt_review_model *m = calloc(1, sizeof *m);
  if (!m) return lt_error_set(err, "out of memory");
  snprintf(m->path, sizeof m->path, "%s", path);
  const char *slash = strrchr(path, '/');
  snprintf(m->name, sizeof m->name, "%s", slash ? slash + 1 : path);
  if (lt_weights_load(path, NULL, &m->w, err)) {
    free(m);
    return -1;
  }
  const int S = m->w.config.input_size;
  if (S <= 0 || S > LT_PATCH_N || LT_PATCH_N % S) {
    lt_weights_free(&m->w);
    free(m);
    return lt_error_set(err, "%s: input side %d does not divide the 64^3 patch", path, S);
  }
  if (lt_model_input_check(S, m->w.config.in_channels, err) ||
      lt_sha256_file(path, m->sha256, err) || lt_model_create_from_weights(&m->m, &m->w, err)) {
    lt_weights_free(&m->w);
    free(m);
    return -1;
  }
  if (m->w.unusual_json) {
    if (lt_unusual_from_json(&m->unusual, m->w.unusual_json, err)) {
      lt_error_prefix(err, "%s", path);
      lt_review_model_free(m);
      return -1;
    }
    if (m->unusual.dim != lt_model_config_fusion_channels(&m->w.config)) {
      lt_review_model_free(m);
      return lt_error_set(err, "%s: the 'unusual' statistics have %d features, the model %d", path,
                          m->unusual.dim, lt_model_config_fusion_channels(&m->w.config));
    }
    m->has_unusual = true;
  }
  *out = m;
  return 0;
}

void lt_review_model_free(lt_review_model *m) {
  if (!m) return;
  lt_model_free(m->m);
  lt_weights_free(&m->w);
  free(m);
}

void lt_review_study_init(lt_review_study *s, const lt_volume *vol, const lt_nodule_set *nodules,
                          const lt_series_info *info) {
  memset(s, 0, sizeof *s);
  s->vol = vol;
  s->nodules = nodules;
  s->info = info;
}

void lt_review_study_clear(lt_review_study *s) {
  free(s->lung);
  s->lung = NULL;
}

int lt_review_study_lungs(lt_review_study *s, lt_error *err) {
  if (s->lung || s->lung_failed) return 0;
  const double t0 = now_ms();
  uint8_t *m = malloc(lt_geometry_count(&s->vol->geom));
  if (!m) return lt_error_set(err, "out of memory for the lung mask");
  lt_error e = {{0}};
  if (lt_lung_mask(s->vol, m, &s->lung_info, &e)) {
    free(m);
    s->lung_failed = true;
    snprintf(s->lung_error, sizeof s->lung_error, "%s", e.msg);
  } else {
    s->lung = m;
  }
  s->lung_ms = now_ms() - t0;
  return 0;
}

/* The nodule whose consensus holds the voxel nearest to mm, or NULL. */
static const lt_nodule *nodule_at(const lt_nodule_set *set, const lt_geometry *g,
                                  const double mm[3]) {
  double f[3];
  lt_geometry_mm_to_voxel(g, mm, f);
  int v[3];
  for (int a = 0; a < 3; a++) v[a] = (int)lround(f[a]);
  for (int n = 0; set && n < set->n_nodules; n++) {
    const lt_nodule *d = &set->nodules[n];
    if (!d->consensus) continue;
    int in = 1;
    for (int a = 0; a < 3; a++) in &= v[a] >= d->box.lo[a] && v[a] <= d->box.hi[a];
    if (!in) continue;
    const int nx = d->box.hi[0] - d->box.lo[0] + 1, ny = d->box.hi[1] - d->box.lo[1] + 1;
    const size_t q =
        (size_t)(v[0] - d->box.lo[0]) +
        (size_t)nx * ((size_t)(v[1] - d->box.lo[1]) + (size_t)ny * (size_t)(v[2] - d->box.lo[2]));
    if (d->consensus[q]) return d;
  }
  return NULL;
}

/* The nodule's consensus on the patch grid. Its mask lives on the nodule's box; it is copied
 * into that box grown by one empty voxel, because resampling reads a point half a voxel past a
 * grid's edge as the edge voxel: without the rim the consensus would grow by up to half a voxel
 * where an outline meets its box (1.25 mm on 2.5 mm slices), unlike the whole volume's mask. */
static int consensus_on_patch(uint8_t *out, const lt_nodule *nod, const lt_geometry *vol,
                              const lt_geometry *patch, lt_error *err) {
  lt_geometry g = *vol;
  int lo[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = nod->box.lo[a] - 1;
    g.dim[a] = nod->box.hi[a] - nod->box.lo[a] + 3;
  }
  const double ijk[3] = {lo[0], lo[1], lo[2]};
  lt_geometry_voxel_to_mm(vol, ijk, g.origin);
  uint8_t *m = calloc(lt_geometry_count(&g), 1);
  if (!m) return lt_error_set(err, "out of memory");
  const int nx = nod->box.hi[0] - nod->box.lo[0] + 1, ny = nod->box.hi[1] - nod->box.lo[1] + 1;
  const int nz = nod->box.hi[2] - nod->box.lo[2] + 1;
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++)
      memcpy(m + 1 + (size_t)g.dim[0] * ((size_t)(j + 1) + (size_t)g.dim[1] * (size_t)(k + 1)),
             nod->consensus + (size_t)nx * ((size_t)j + (size_t)ny * (size_t)k), (size_t)nx);
  long n = lt_patch_mask(out, patch, m, &g, err);
  free(m);
  return n < 0 ? -1 : 0;
}

/* Geometry of the pooled grid of side S inside the 64^3 patch geometry. */
static void pooled_geometry(lt_geometry *g, const lt_geometry *patch, int S) {
  *g = *patch;
  const double k = (double)LT_PATCH_N / S, c = (k - 1) / 2;
  const double ijk[3] = {c, c, c};
  lt_geometry_voxel_to_mm(patch, ijk, g->origin);
  for (int a = 0; a < 3; a++) {
    g->dim[a] = S;
    g->spacing[a] = patch->spacing[a] * k;
  }
}

/* Distance in mm from mm to the nearest voxel of the lung mask, searched within radius_mm;
 * INFINITY when none is that near. */
static double lung_distance(const lt_geometry *g, const uint8_t *lung, const double mm[3],
                            double radius_mm) {
  double f[3];
  lt_geometry_mm_to_voxel(g, mm, f);
  int c[3], r[3];
  for (int a = 0; a < 3; a++) {
    c[a] = (int)lround(f[a]);
    r[a] = (int)ceil(radius_mm / g->spacing[a]);
  }
  double best = INFINITY;
  for (int k = c[2] - r[2]; k <= c[2] + r[2]; k++)
    for (int j = c[1] - r[1]; j <= c[1] + r[1]; j++)
      for (int i = c[0] - r[0]; i <= c[0] + r[0]; i++) {
        if (i < 0 || j < 0 || k < 0 || i >= g->dim[0] || j >= g->dim[1] || k >= g->dim[2])
          continue;
        if (!lung[(size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * (size_t)k)])
          continue;
        const double dx = (i - f[0]) * g->spacing[0], dy = (j - f[1]) * g->spacing[1];
        const double dz = (k - f[2]) * g->spacing[2];
        const double d = sqrt(dx * dx + dy * dy + dz * dz);
        if (d < best) best = d;
      }
  /* inside the mask: the nearest voxel is the centre's own, at most half a voxel away */
  return best;
}

/* The lung mask at the centres of the patch's 2^3 blocks (the scope checks' 32^3 grid, 1 mm),
 * nearest voxel: the shell and opening tests need no more. */
static void lung_on_grid(uint8_t *out, const lt_geometry *g, const uint8_t *lung,
                         const lt_geometry *patch) {
  /* patch index -> volume index is affine: step it instead of converting each point */
  enum { G = LT_PATCH_N / 2 };
  double o[3], e[3][3], p0[3], p1[3];
  const double start[3] = {0.5, 0.5, 0.5};
  lt_geometry_voxel_to_mm(patch, start, p0);
  lt_geometry_mm_to_voxel(g, p0, o);
  for (int a = 0; a < 3; a++) {
    double step[3] = {0.5, 0.5, 0.5};
    step[a] += 2;
    lt_geometry_voxel_to_mm(patch, step, p1);
    lt_geometry_mm_to_voxel(g, p1, e[a]);
    for (int b = 0; b < 3; b++) e[a][b] -= o[b];
  }
  for (int k = 0; k < G; k++)
    for (int j = 0; j < G; j++)
      for (int i = 0; i < G; i++) {
        long v[3];
        bool in = true;
        for (int b = 0; b < 3; b++) {
          v[b] = lround(o[b] + i * e[0][b] + j * e[1][b] + k * e[2][b]);
          in &= v[b] >= 0 && v[b] < g->dim[b];
        }
        out[i + G * (j + G * k)] =
            in && lung[(size_t)v[0] + (size_t)g->dim[0] * ((size_t)v[1] + (size_t)g->dim[1] * (size_t)v[2])];
      }
}

/* The centre, the nodule it belongs to, the patch and the consensus on it: what every review
 * starts from. Fills out's identity, patch and consensus; returns the nodule (or NULL). */
static int resolve_and_patch(lt_review_study *s, const lt_review_request *req,
                             lt_review_result *out, const lt_nodule **nod_out, lt_error *err) {
  memset(out, 0, sizeof *out);
  for (int c = 0; c < LT_LIDC_NCHAR; c++) out->mean_ratings[c] = NAN;
  out->where = req->where;
  const lt_volume *v = s->vol;
  const lt_geometry *g = &v->geom;
  const lt_nodule *nod = NULL;
  switch (req->where) {
  case LT_REVIEW_AT_NODULE:
    nod = s->nodules ? lt_nodule_set_find(s->nodules, req->nodule_id) : NULL;
    if (!nod)
      return lt_error_set(err, "no nodule '%s' in this study%s", req->nodule_id,
                          s->nodules ? "" : " (it has no readings)");
    memcpy(out->centre_mm, nod->centroid_mm, sizeof out->centre_mm);
    break;
  case LT_REVIEW_AT_MM:
    memcpy(out->centre_mm, req->at, sizeof out->centre_mm);
    break;
  case LT_REVIEW_AT_VOXEL:
    lt_geometry_voxel_to_mm(g, req->at, out->centre_mm);
    break;
  default:
    return lt_error_set(err, "review: unknown request");
  }
  lt_geometry_mm_to_voxel(g, out->centre_mm, out->centre_vox);
  if (!nod) nod = nodule_at(s->nodules, g, out->centre_mm); /* a point inside an outline */
  if (nod) {
    snprintf(out->nodule_id, sizeof out->nodule_id, "%s", nod->id);
    out->has_nodule = true;
    memcpy(out->mean_ratings, nod->mean_ratings, sizeof out->mean_ratings);
    out->n_readers = nod->n_readers;
  }
  *nod_out = nod;
  out->patch = malloc(sizeof *out->patch);
  if (!out->patch) return lt_error_set(err, "out of memory for the patch");
  if (lt_patch_extract(out->patch, v, out->centre_mm, err)) goto fail;
  if (nod && nod->consensus) {
    out->consensus = malloc(LT_PATCH_VOXELS);
    if (!out->consensus) {
      lt_error_set(err, "out of memory");
      goto fail;
    }
    if (consensus_on_patch(out->consensus, nod, g, &out->patch->geom, err)) goto fail;
  }
  return 0;
fail:
  lt_review_result_free(out);
  return -1;
}

int lt_review_patch(lt_review_study *s, const lt_review_request *req, lt_review_result *out,
                    lt_error *err) {
  const lt_nodule *nod;
  return resolve_and_patch(s, req, out, &nod, err);
}

bool lt_review_in_lungs(const lt_review_study *s, const double mm[3]) {
  return s->lung && lung_distance(&s->vol->geom, s->lung, mm, LT_SCOPE_LUNG_MARGIN_MM) <=
                        LT_SCOPE_LUNG_MARGIN_MM;
}

int lt_review_analyze(lt_review_study *s, lt_review_model *rm, const lt_review_request *req,
                      lt_review_result *out, lt_error *err) {
  const double t0 = now_ms();
  const lt_nodule *nod = NULL;
  if (resolve_and_patch(s, req, out, &nod, err)) return -1;
  snprintf(out->model_name, sizeof out->model_name, "%s", rm->name);
  memcpy(out->model_sha256, rm->sha256, sizeof out->model_sha256);
  const lt_volume *v = s->vol;
  const lt_geometry *g = &v->geom;
  const lt_model_config *cfg = &rm->w.config;
  const int S = cfg->input_size, C = cfg->in_channels;
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc(S3 * (size_t)C * sizeof *x), *cm = malloc(S3 * sizeof *cm);
  uint8_t *lung32 = NULL;
  int rc = -1;
  if (!x || !cm) {
    lt_error_set(err, "out of memory for the model's input");
    goto done;
  }
  lt_model_input_make(x, S, C, out->patch->ch[0], out->patch->ch[1]);
  if (out->consensus) lt_model_input_mask(cm, S, out->consensus);
  const double t1 = now_ms();
  out->ms_patch = t1 - t0;
  if (lt_analyze_patch(rm->m, x, out->patch->ch[0], out->consensus ? cm : NULL, &out->an, err))
    goto done;
  pooled_geometry(&out->grid_geom, &out->patch->geom, S);
  const double t2 = now_ms();
  out->ms_model = t2 - t1;

  /* the nodule's size: the readers' when they outlined it, else the model's segmentation */
  const int k = LT_PATCH_N / S;
  if (nod && nod->consensus && nod->eq_diameter_mm > 0) {
    out->nodule_mm = nod->eq_diameter_mm;
    out->nodule_mm_from_readers = true;
  } else if (out->an.has_seg) {
    size_t n = 0;
    for (size_t q = 0; q < S3; q++) n += out->an.seg[q] >= 0.5f;
    const double cell = LT_PATCH_SPACING * k;
    out->nodule_mm = n ? cbrt(6.0 * (double)n * cell * cell * cell / M_PI) : 0;
  }

  /* the scope decision; the study's lung mask first (once per study, timed apart) */
  lt_scope *sc = &out->scope;
  lt_scope_measures *me = &sc->m;
  me->feature_distance = me->feature_threshold = NAN;
  if (!s->lung && !s->lung_failed) {
    if (lt_review_study_lungs(s, err)) goto done;
    out->ms_lungs = s->lung_ms;
  }
  const double t3 = now_ms();
  if (s->lung) {
    lung32 = malloc(LT_PATCH_VOXELS / 8);
    if (!lung32) {
      lt_error_set(err, "out of memory");
      goto done;
    }
    lung_on_grid(lung32, g, s->lung, &out->patch->geom);
  }
  const lt_scope_patch sp = {.lung_window = out->patch->ch[0],
                             .seg = out->an.has_seg ? out->an.seg : NULL, .seg_side = S,
                             .consensus = out->consensus, .lung32 = lung32,
                             .readers_texture = nod ? nod->mean_ratings[LT_LIDC_TEXTURE] : NAN};
  lt_scope_check_patch(sc, &sp);
  me->slice_thickness_mm = v->slice_thickness > 0 ? v->slice_thickness : g->spacing[2];
  me->spacing_mm = g->spacing[0];
  if (s->lung_failed) {
    me->no_lungs = true;
    me->lung_distance_mm = INFINITY;
    lt_scope_add(sc, LT_SCOPE_OUTSIDE_LUNGS, "no lungs were found in this series (%s), so nothing "
                 "here can be a lung nodule", s->lung_error);
  } else {
    me->lung_distance_mm = lung_distance(g, s->lung, out->centre_mm, LT_SCOPE_LUNG_MARGIN_MM);
    if (!(me->lung_distance_mm <= LT_SCOPE_LUNG_MARGIN_MM) &&
        !(me->lung_contact >= LT_SCOPE_LUNG_CONTACT))
      lt_scope_add(sc, LT_SCOPE_OUTSIDE_LUNGS, "outside the lungs: the point lies more than %.0f "
                   "mm from the lung and what surrounds it is not lung, where the model was never "
                   "made to look", LT_SCOPE_LUNG_MARGIN_MM);
  }
  if (rm->has_unusual) {
    float feat[LT_UNUSUAL_MAX_DIM];
    lt_unusual_features(rm->m, 0, feat);
    me->feature_distance = lt_unusual_distance(&rm->unusual, feat);
    me->feature_threshold = rm->unusual.threshold;
    if (me->feature_distance > me->feature_threshold)
      lt_scope_add(sc, LT_SCOPE_UNUSUAL, "unusual for the model: its features lie %.2f from the "
                   "training data's, beyond %.2f, where %g%% of the validation nodules lie",
                   me->feature_distance, me->feature_threshold, rm->unusual.percentile);
  }
  if (v->slice_filled) { /* slices the series lacked, filled by interpolation (ct/series.h) */
    const double half = LT_PATCH_N * LT_PATCH_SPACING / 2 / g->spacing[2];
    int filled = 0;
    for (int sl = (int)floor(out->centre_vox[2] - half);
         sl <= (int)ceil(out->centre_vox[2] + half); sl++)
      if (sl >= 0 && sl < g->dim[2]) filled += v->slice_filled[sl] != 0;
    if (filled)
      lt_scope_add(sc, LT_SCOPE_FILLED_SLICES, "%d slice%s of the patch %s missing from the series "
                   "and filled in by interpolation: what lies on %s is not seen", filled,
                   filled > 1 ? "s" : "", filled > 1 ? "were" : "was", filled > 1 ? "them" : "it");
  }
  lt_scope_check_acquisition(sc, rm->w.has_stats ? &rm->w.stats : NULL, g->spacing[0],
                             me->slice_thickness_mm, v->manufacturer);
  if (lt_trust_grid_coarse(out->an.grid, out->nodule_mm))
    lt_scope_add(sc, LT_SCOPE_COARSE_MAP, "the nodule (%.1f mm) spans under two cells of the "
                 "model's %g mm Grad-CAM grid: the trust checks say little here", out->nodule_mm,
                 lt_trust_grid_cell_mm(out->an.grid));
  out->ms_scope = now_ms() - t3 + (t3 - t2 - out->ms_lungs);
  out->ms_total = now_ms() - t0;
  rc = 0;
done:
  free(x), free(cm), free(lung32);
  if (rc) lt_review_result_free(out);
  return rc;
}

void lt_review_result_free(lt_review_result *r) {
  lt_analysis_free(&r->an);
  free(r->patch);
  free(r->consensus);
  r->patch = NULL;
  r->consensus = NULL;
}

const char *lt_review_verdict_line(const lt_review_result *r, char *buf, size_t n) {
  const lt_scope *s = &r->scope;
  if (s->level == LT_SCOPE_IN) {
    snprintf(buf, n, "in scope");
    return buf;
  }
  size_t at = (size_t)snprintf(buf, n, "%s:", s->level == LT_SCOPE_OUT ? "out of scope" : "caution");
  for (int i = 0; i < s->n && at < n; i++)
    if (s->reasons[i].level == s->level)
      at += (size_t)snprintf(buf + at, n - at, " %s", lt_scope_code_name(s->reasons[i].code));
  if (s->level == LT_SCOPE_OUT && at < n)
    snprintf(buf + at, n - at, " (the model's numbers are not a verdict)");
  return buf;
}
