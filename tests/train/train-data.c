/* tests/train/train-data.c — the planted-rule data set on LIDC-IDRI-0001 (train-data.h). */
#include "train-data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/lungmask.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "lt-test.h"
#include "model/params.h"

void lt_test_small_config(lt_model_config *c) {
  lt_error err;
  lt_model_config_preset(c, "tiny", &err);
  c->width = 4;
  c->groups = 4;
  c->input_size = 16;
  c->hidden = 16;
  for (int s = 0; s < 4; s++)
    c->stage_convs[s] = 0;
  c->dec_convs[0] = c->dec_convs[1] = 0;
  c->attributes = false; /* the attribute branch slows the classifier down at this size */
  c->concat = false;
  c->lr = 2e-3;
}

/* Blends a ball of HU value hu (plus noise) into both windows of the patch. */
static void plant_ball(lt_patch *p, uint8_t *mask, const double ctr[3], double r_mm, double hu,
                       double noise, lt_rng *rng) {
  const double r = r_mm / LT_PATCH_SPACING;
  for (int k = 0; k < LT_PATCH_N; k++)
    for (int j = 0; j < LT_PATCH_N; j++)
      for (int i = 0; i < LT_PATCH_N; i++) {
        const double dx = i - ctr[0], dy = j - ctr[1], dz = k - ctr[2];
        const double d = sqrt(dx * dx + dy * dy + dz * dz);
        double a = r - d + 0.5;
        if (a <= 0)
          continue;
        if (a > 1)
          a = 1;
        const size_t v = (size_t)i + LT_PATCH_N * ((size_t)j + LT_PATCH_N * (size_t)k);
        /* Recover HU from the lung window (exact inside [-1000, 400]). */
        const double old = -1000.0 + 1400.0 * p->ch[0][v];
        const double h = (1 - a) * old + a * (hu + noise * lt_rng_normal(rng));
        p->ch[0][v] = lt_window01((float)h, -1000.0f, 400.0f);
        p->ch[1][v] = lt_window01((float)h, -160.0f, 240.0f);
        if (mask && d <= r)
          mask[v] = 1;
      }
}

int lt_test_planted_dataset(lt_dataset *ds, const char *dir, int n, unsigned seed) {
  char sdir[1024];
  if (!lt_test_lidc0001_dir(sdir, sizeof sdir)) {
    printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 is absent\n");
    return 77;
  }
  lt_error err;
  lt_volume *v = NULL;
  if (lt_series_read(sdir, NULL, &v, NULL, &err)) {
    printf("series: %s\n", err.msg);
    return -1;
  }
  const size_t nv = lt_geometry_count(&v->geom);
  uint8_t *lung = malloc(nv), *mask = malloc(LT_PATCH_VOXELS);
  lt_patch *p = malloc(sizeof *p);
  int rc = -1;
  if (!lung || !mask || !p || lt_lung_mask(v, lung, NULL, &err) || lt_dataset_init(ds, dir, &err)) {
    printf("setup: %s\n", err.msg);
    goto out;
  }
  lt_rng rng;
  lt_rng_seed(&rng, seed);
  const int *dim = v->geom.dim;
  int made = 0, tries = 0;
  while (made < n && tries < 100000) {
    tries++;
    const int i = (int)(lt_rng_next(&rng) % (uint64_t)dim[0]),
              j = (int)(lt_rng_next(&rng) % (uint64_t)dim[1]);
    const int k = 8 + (int)(lt_rng_next(&rng) % (uint64_t)(dim[2] - 16));
    if (!lung[(size_t)i + (size_t)dim[0] * ((size_t)j + (size_t)dim[1] * (size_t)k)])
      continue;
    double mm[3];
    const double idx[3] = {i, j, k};
    lt_geometry_voxel_to_mm(&v->geom, idx, mm);
    if (lt_patch_extract(p, v, mm, &err))
      continue;
    const int label = made % 2;
    double ctr[3];
    for (int a = 0; a < 3; a++)
      ctr[a] = LT_PATCH_CENTRE + 4.0 * (2 * lt_rng_uniform(&rng) - 1);
    const double r_mm = label ? 6.0 + 2.0 * lt_rng_uniform(&rng) : 2.5 + 1.5 * lt_rng_uniform(&rng);
    memset(mask, 0, LT_PATCH_VOXELS);
    plant_ball(p, mask, ctr, r_mm, 30.0, 20.0, &rng);
    const int confound = lt_rng_uniform(&rng) < (label ? 0.9 : 0.1);
    if (confound) {
      double c2[3];
      for (int a = 0; a < 3; a++)
        c2[a] = LT_PATCH_CENTRE +
                ((lt_rng_next(&rng) & 1) ? 1 : -1) * 11.0 / sqrt(3.0) / LT_PATCH_SPACING;
      plant_ball(p, NULL, c2, 4.0, 300.0, 0.0, &rng);
    }
    lt_sample s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "loc-%03d", made);
    snprintf(s.patient, sizeof s.patient, "loc-%03d", made);
    s.has_label = true;
    s.label = label;
    s.sure = true;
    s.has_ratings = true;
    for (int a = 0; a < LT_N_ATTRIBUTES; a++)
      s.ratings[a] = 3.0f;
    s.ratings[5] = (float)(1.0 + 4.0 * (r_mm - 2.5) / 5.5);
    s.spacing_mm = v->geom.spacing[0];
    s.thickness_mm = v->geom.spacing[2];
    s.nodule_mm = 2 * r_mm;
    if (lt_dataset_add(ds, &s, &p->ch[0][0], mask, &err)) {
      printf("dataset: %s\n", err.msg);
      goto out;
    }
    made++;
  }
  if (made < n || lt_dataset_save(ds, &err)) {
    printf("dataset: %d of %d samples; %s\n", made, n, err.msg);
    goto out;
  }
  rc = 0;
out:
  free(lung), free(mask), free(p);
  lt_volume_free(v);
  return rc;
}
