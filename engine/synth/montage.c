/* engine/synth/montage.c — see montage.h. */
#include "synth/montage.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "ct/picture.h"
#include "synth/font.h"
#include "synth/insert.h"
#include "synth/shape.h"

#define TILES 10
#define COLS 5
#define FOV_MM 40.0
#define SCALE 4
#define LABEL_H 22
#define GAP 6

typedef struct {
  const char *label;
  double d, s[LT_ATTR_N]; /* diameter; subtlety, sphericity, margin, lobulation, spiculation, malignancy */
} preset;

static const preset PRESETS[TILES - 2] = {
    {"ROUND 10MM", 10, {5, 5, 5, 1, 1, 2}},
    {"SMALL 5MM", 5, {3, 4, 4, 1, 1, 2}},
    {"ELONGATED 12MM", 12, {5, 1, 4, 1, 1, 3}},
    {"FUZZY MARGIN 12MM", 12, {5, 4, 1, 1, 1, 3}},
    {"LOBULATED 16MM", 16, {5, 4, 4, 5, 1, 4}},
    {"SPICULATED 14MM", 14, {5, 4, 3, 2, 5, 5}},
    {"SUBTLE 8MM", 8, {1, 4, 3, 1, 1, 2}},
    {"LOB+SPIC 24MM", 24, {5, 3, 2, 4, 4, 5}},
};

static void tile(lt_picture *pic, const lt_volume *v, const double c[3], int x0, int y0, int T,
                 const char *label) {
  double ijk[3];
  lt_geometry_mm_to_voxel(&v->geom, c, ijk);
  int ci = (int)lround(ijk[0]), cj = (int)lround(ijk[1]), ck = (int)lround(ijk[2]);
  float *img = malloc((size_t)T * T * sizeof *img);
  if (!img) return;
  for (int y = 0; y < T; y++)
    for (int x = 0; x < T; x++) {
      int i = ci - T / 2 + x, j = cj - T / 2 + y;
      float h = LT_HU_AIR;
      if (i >= 0 && j >= 0 && i < v->geom.dim[0] && j < v->geom.dim[1] && ck >= 0 && ck < v->geom.dim[2])
        h = v->hu[(size_t)i + (size_t)v->geom.dim[0] * ((size_t)j + (size_t)v->geom.dim[1] * ck)];
      img[y * T + x] = lt_window01(h, -1000, 400);
    }
  lt_picture_put_grey(pic, x0, y0, img, T, T, SCALE);
  free(img);
  static const uint8_t white[3] = {235, 235, 235};
  lt_font_draw(pic, x0 + 4, y0 + T * SCALE + 4, label, 2, white);
}

int lt_synth_montage(const lt_synth_study *st, const lt_attr_pool *pool, uint64_t seed,
                     const char *png_path, lt_error *err) {
  const lt_geometry *g = &st->vol->geom;
  lt_volume *v = lt_volume_new(g->dim[0], g->dim[1], g->dim[2]);
  lt_mm_box *ko = malloc((size_t)(st->n_keepout + TILES) * sizeof *ko);
  lt_picture *pic = NULL;
  int rc = -1;
  if (!v || !ko) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  v->geom = *g;
  memcpy(v->hu, st->vol->hu, lt_geometry_count(g) * sizeof *v->hu);
  int nko = st->n_keepout;
  memcpy(ko, st->keepout, (size_t)nko * sizeof *ko);
  lt_srng rng;
  lt_srng_seed(&rng, seed, 77);
  double centre[TILES][3];
  char labels[TILES][64];
  int n = 0;
  if (st->has_real) {
    memcpy(centre[n], st->real_centre_mm, sizeof centre[n]);
    const char *pid = st->vol->patient_id;
    bool lidc = !strncmp(pid, "LIDC-IDRI-", 10);
    snprintf(labels[n], sizeof labels[n], "REAL %s%.8s %.0fMM", lidc ? "LIDC-" : "", lidc ? pid + 10 : pid,
             st->real_diameter_mm);
    n++;
  }
  int kmargin = (int)ceil(LT_SYNTH_PATCH_HALF_MM / g->spacing[2]);
  for (int t = 0; t < TILES - 1 && n < TILES; t++) {
    lt_synth_attrs a;
    lt_attr_draw(pool, &rng, &a);
    if (t < TILES - 2) {
      a.diameter_mm = PRESETS[t].d;
      memcpy(a.score, PRESETS[t].s, sizeof a.score);
      snprintf(labels[n], sizeof labels[n], "%s", PRESETS[t].label);
    } else {
      snprintf(labels[n], sizeof labels[n], "FROM LIDC %.0fMM", a.diameter_mm);
    }
    lt_nodule_shape s;
    lt_nodule_shape_make(&s, &a, &rng);
    if (lt_nodule_place(v, st->lung, ko, nko, s.radius_mm, kmargin, g->dim[2] - 1 - kmargin, 20000,
                        &rng, centre[n], err) != 0)
      continue;
    lt_box box;
    lt_nodule_box(&v->geom, &s, centre[n], &box);
    if (lt_nodule_insert(v, &s, centre[n], &st->scanner, &rng, &box, NULL, err) != 0) goto out;
    for (int d = 0; d < 3; d++) {
      ko[nko].lo[d] = centre[n][d] - s.radius_mm;
      ko[nko].hi[d] = centre[n][d] + s.radius_mm;
    }
    nko++;
    n++;
  }
  int T = (int)lround(FOV_MM / g->spacing[0]);
  int tw = T * SCALE, th = T * SCALE + LABEL_H;
  int rows = (n + COLS - 1) / COLS;
  pic = lt_picture_new(COLS * tw + (COLS + 1) * GAP, rows * th + (rows + 1) * GAP);
  if (!pic) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int t = 0; t < n; t++)
    tile(pic, v, centre[t], GAP + (t % COLS) * (tw + GAP), GAP + (t / COLS) * (th + GAP), T, labels[t]);
  rc = lt_picture_write_png(pic, png_path, err);
out:
  lt_picture_free(pic);
  lt_volume_free(v);
  free(ko);
  return rc;
}
