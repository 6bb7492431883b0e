/* db/lt-import-study.c — see lt-import-study.h. */
#include "lt-import-study.h"

#include <limits.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/picture.h"
#include "ct/series.h"
#include "lt-db-write.h"

/* An 8-bit grey or RGB image as PNG in memory (libpng's simplified API). */
static int png_encode(const uint8_t *pix, int w, int h, bool rgb, void **out, size_t *n,
                      lt_error *err) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = (png_uint_32)w;
  im.height = (png_uint_32)h;
  im.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&im, NULL, &size, 0, pix, 0, NULL))
    return lt_error_set(err, "PNG: %s", im.message);
  void *buf = malloc(size);
  if (!buf) return lt_error_set(err, "out of memory");
  if (!png_image_write_to_memory(&im, buf, &size, 0, pix, 0, NULL)) {
    free(buf);
    return lt_error_set(err, "PNG: %s", im.message);
  }
  *out = buf;
  *n = size;
  return 0;
}

/* The consensus mask's slices stacked top to bottom: nx wide, ny*nz high, 0 / 255. */
static int mask_png(const lt_nodule *nd, void **out, size_t *n, lt_error *err) {
  int nx = nd->box.hi[0] - nd->box.lo[0] + 1, ny = nd->box.hi[1] - nd->box.lo[1] + 1,
      nz = nd->box.hi[2] - nd->box.lo[2] + 1;
  size_t count = lt_box_count(&nd->box);
  uint8_t *pix = malloc(count);
  if (!pix) return lt_error_set(err, "out of memory");
  for (size_t i = 0; i < count; i++) pix[i] = nd->consensus[i] ? 255 : 0;
  int rc = png_encode(pix, nx, ny * nz, false, out, n, err);
  free(pix);
  return rc;
}

enum { THUMB_VOX = 64, THUMB_SCALE = 2 };

/* The centre slice around the nodule, lung window [-1000, 400] HU, consensus contour in red. */
static int thumbnail(const lt_volume *vol, const lt_nodule *nd, void **out, size_t *n,
                     lt_error *err) {
  const lt_geometry *g = &vol->geom;
  int ci = (int)lround(nd->centroid_vox[0]), cj = (int)lround(nd->centroid_vox[1]),
      ck = (int)lround(nd->centroid_vox[2]);
  if (ck < 0) ck = 0;
  if (ck >= g->dim[2]) ck = g->dim[2] - 1;
  int i0 = ci - THUMB_VOX / 2, j0 = cj - THUMB_VOX / 2;
  float grey[THUMB_VOX * THUMB_VOX];
  uint8_t mask[THUMB_VOX * THUMB_VOX];
  memset(mask, 0, sizeof mask);
  for (int y = 0; y < THUMB_VOX; y++)
    for (int x = 0; x < THUMB_VOX; x++) {
      int i = i0 + x, j = j0 + y;
      float v = 0;
      if (i >= 0 && j >= 0 && i < g->dim[0] && j < g->dim[1]) {
        int hu = vol->hu[(size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * (size_t)ck)];
        v = (float)((hu + 1000) / 1400.0);
      }
      grey[y * THUMB_VOX + x] = v;
      const lt_box *b = &nd->box;
      if (nd->consensus && i >= b->lo[0] && i <= b->hi[0] && j >= b->lo[1] && j <= b->hi[1] &&
          ck >= b->lo[2] && ck <= b->hi[2]) {
        int bx = b->hi[0] - b->lo[0] + 1, by = b->hi[1] - b->lo[1] + 1;
        mask[y * THUMB_VOX + x] =
            nd->consensus[(size_t)(i - b->lo[0]) +
                          (size_t)bx * ((size_t)(j - b->lo[1]) + (size_t)by * (size_t)(ck - b->lo[2]))];
      }
    }
  lt_picture *p = lt_picture_new(THUMB_VOX * THUMB_SCALE, THUMB_VOX * THUMB_SCALE);
  if (!p) return lt_error_set(err, "out of memory");
  lt_picture_put_grey(p, 0, 0, grey, THUMB_VOX, THUMB_VOX, THUMB_SCALE);
  static const uint8_t red[3] = {255, 40, 40};
  lt_picture_contour(p, 0, 0, mask, THUMB_VOX, THUMB_VOX, THUMB_SCALE, red);
  int rc = png_encode(p->rgb, p->w, p->h, true, out, n, err);
  lt_picture_free(p);
  return rc;
}

typedef struct {
  void *mask, *thumb;
  size_t mask_n, thumb_n;
} pictures;

/* A reader's outlines of a mark, one contour per ROI (float32 col,row pairs). */
static int write_contours(lt_db *db, int64_t nid, const lt_lidc_mark *mark, const char *key,
                          lt_study_report *rep, lt_error *err) {
  for (int r = 0; r < mark->n_rois; r++) {
    const lt_lidc_roi *roi = &mark->rois[r];
    if (roi->n_points < 1) continue;
    float *xy = malloc((size_t)roi->n_points * 2 * sizeof *xy);
    if (!xy) return lt_error_set(err, "out of memory");
    for (int p = 0; p < roi->n_points; p++) {
      xy[2 * p] = (float)roi->points[p].x;
      xy[2 * p + 1] = (float)roi->points[p].y;
    }
    int rc = lt_db_put_contour(db, nid, "reader", key, r, roi->sop_uid, roi->z,
                               roi->inclusion, xy, roi->n_points, err);
    free(xy);
    if (rc) return -1;
    rep->contours++;
  }
  return 0;
}

static int write_study(lt_db *db, const char *path, const lt_volume *vol, const lt_lidc_doc *doc,
                       const lt_nodule_set *set, const pictures *pics, lt_study_report *rep,
                       lt_error *err) {
  int64_t pid, study, series;
  if (lt_db_put_patient(db, rep->patient, "study", &pid, err)) return -1;
  const char *study_uid = vol->study_uid[0] ? vol->study_uid : vol->series_uid;
  if (lt_db_put_study(db, pid, study_uid, NULL, NULL, &study, err)) return -1;
  if (lt_db_put_series(db, study, vol->series_uid, vol->modality, vol->geom.dim, vol->geom.spacing,
                       path, &series, err))
    return -1;
  for (int i = 0; set && i < set->n_nodules; i++) {
    const lt_nodule *nd = &set->nodules[i];
    char key[160];
    snprintf(key, sizeof key, "%s/%s", vol->series_uid, nd->id);
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    n.patient_id = pid;
    n.study_id = study;
    n.series_id = series;
    n.source = "lidc-xml";
    n.source_key = key;
    n.x_mm = nd->centroid_mm[0];
    n.y_mm = nd->centroid_mm[1];
    n.z_mm = nd->centroid_mm[2];
    n.col = nd->centroid_vox[0];
    n.row = nd->centroid_vox[1];
    n.slice = nd->centroid_vox[2];
    if (nd->large) {
      n.diameter_mm = nd->eq_diameter_mm;
      n.volume_mm3 = nd->volume_mm3;
    }
    int64_t nid;
    if (lt_db_put_nodule(db, &n, &nid, err)) return -1;
    rep->nodules++;
    for (int m = 0; m < nd->n_marks; m++) {
      const lt_nodule_mark *mk = &nd->marks[m];
      char rkey[96];
      snprintf(rkey, sizeof rkey, "r%d:%s", mk->reader, mk->reader_nodule_id);
      if (mk->reader >= 0 && mk->reader < doc->n_readers && mk->mark >= 0 &&
          mk->mark < doc->readers[mk->reader].n_marks &&
          write_contours(db, nid, &doc->readers[mk->reader].marks[mk->mark], rkey, rep, err))
        return -1;
      if (!mk->has_ratings) continue;
      double ch[LT_NCHAR];
      for (int c = 0; c < LT_NCHAR; c++) ch[c] = mk->ratings[c] > 0 ? mk->ratings[c] : NAN;
      if (lt_db_put_attributes(db, nid, LT_ATTRS_READER, rkey, 1, NULL, ch, NULL, err)) return -1;
      rep->reader_sets++;
    }
    if (nd->n_rated > 0) {
      double ch[LT_NCHAR];
      for (int c = 0; c < LT_NCHAR; c++) ch[c] = nd->mean_ratings[c];
      if (lt_db_put_attributes(db, nid, LT_ATTRS_READERS_MEAN, "lidc-xml", nd->n_rated, NULL, ch,
                               NULL, err))
        return -1;
      rep->nodules_rated++;
    }
    if (pics[i].mask) {
      int dims[3];
      for (int a = 0; a < 3; a++) dims[a] = nd->box.hi[a] - nd->box.lo[a] + 1;
      if (lt_db_put_segmentation(db, nid, "consensus", "lidc-50%", nd->box.lo, dims, pics[i].mask,
                                 pics[i].mask_n, err))
        return -1;
      rep->masks++;
    }
    if (pics[i].thumb) {
      if (lt_db_put_thumbnail(db, nid, "centre-slice", pics[i].thumb, pics[i].thumb_n,
                              THUMB_VOX * THUMB_SCALE, THUMB_VOX * THUMB_SCALE, err))
        return -1;
      rep->thumbnails++;
    }
  }
  char json[512];
  snprintf(json, sizeof json,
           "{\"patient\":\"%s\",\"slices\":%d,\"readers\":%d,\"nodules\":%d,\"rated\":%d,"
           "\"reader_sets\":%d,\"contours\":%d,\"masks\":%d,\"thumbnails\":%d}",
           rep->patient, rep->slices, rep->readers, rep->nodules, rep->nodules_rated,
           rep->reader_sets, rep->contours, rep->masks, rep->thumbnails);
  return lt_db_log_import(db, "study", vol->series_uid, json, err);
}

int lt_import_study(lt_db *db, const char *path, lt_study_report *rep, lt_error *err) {
  memset(rep, 0, sizeof *rep);
  lt_volume *vol = NULL;
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  pictures *pics = NULL;
  int rc = -1;
  lt_series_info sinfo;
  int read_rc = lt_series_read(path, NULL, &vol, &sinfo, err);
  lt_series_warning(&sinfo, rep->warning, sizeof rep->warning); /* a filled slice, say */
  lt_series_info_free(&sinfo);
  if (read_rc) goto out;
  if (lt_lidc_read_for_series(path, vol->series_uid, &doc, err)) goto out;
  if (doc && lt_nodules_build(doc, vol, NULL, &set, err)) goto out;
  if (lt_db_pseudonym(db, vol->patient_id, vol->study_uid, rep->patient, sizeof rep->patient, err))
    goto out;
  snprintf(rep->series_uid, sizeof rep->series_uid, "%s", vol->series_uid);
  rep->slices = vol->geom.dim[2];
  rep->readers = doc ? doc->n_readers : 0;
  int nn = set ? set->n_nodules : 0;
  pics = calloc((size_t)nn + 1, sizeof *pics);
  if (!pics) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < nn; i++) {
    const lt_nodule *nd = &set->nodules[i];
    if (nd->consensus && mask_png(nd, &pics[i].mask, &pics[i].mask_n, err)) goto out;
    if (thumbnail(vol, nd, &pics[i].thumb, &pics[i].thumb_n, err)) goto out;
  }
  /* The series' folder is stored absolute: a card opens it from any working directory. */
  char abs[PATH_MAX];
  const char *stored = realpath(path, abs) ? abs : path;
  if (lt_db_begin(db, err)) goto out;
  if (write_study(db, stored, vol, doc, set, pics, rep, err)) {
    lt_db_rollback(db);
    goto out;
  }
  if (lt_db_commit(db, err)) goto out;
  rc = 0;
out:
  if (rc) lt_error_prefix(err, "import %s", path);
  for (int i = 0; pics && set && i < set->n_nodules; i++) {
    free(pics[i].mask);
    free(pics[i].thumb);
  }
  free(pics);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(vol);
  return rc;
}
