/* engine/train/dataset-patch.c — see dataset-patch.h. */
#include "train/dataset-patch.h"

#include <string.h>

#include "ct/nifti.h"

int lt_dataset_patch_at(lt_patch *p, const lt_volume *v, const double centre_mm[3], lt_error *err) {
  return lt_patch_extract(p, v, centre_mm, err);
}

int lt_dataset_patch_nodule(lt_patch *p, uint8_t *mask, const lt_volume *v, const lt_nodule *d,
                            uint8_t *full, lt_error *err) {
  if (lt_patch_extract(p, v, d->centroid_mm, err)) return -1;
  memset(full, 0, lt_geometry_count(&v->geom));
  lt_nodule_rasterise(d, -1, &v->geom, full);
  return lt_patch_mask(mask, &p->geom, full, &v->geom, err) < 0 ? -1 : 0;
}

/* Reads a NIfTI mask in the series' geometry and resamples it into the patch. Returns the
 * number of voxels of the full mask (for the equivalent diameter), or -1. */
long lt_dataset_mask_file(uint8_t *out, const char *path, const lt_volume *v, const lt_patch *p,
                       lt_error *err) {
  lt_nifti_image im;
  memset(&im, 0, sizeof im);
  if (lt_nifti_read(path, &im, err))
    return -1;
  long count = -1;
  const size_t n = lt_geometry_count(&im.geom);
  if (im.type != LT_NIFTI_U8 || im.channels != 1) {
    lt_error_set(err, "%s: not a uint8 mask", path);
  } else if (lt_geometry_count(&v->geom) != n) {
    lt_error_set(err, "%s: mask size differs from the series", path);
  } else if (lt_patch_mask(out, &p->geom, im.data, &im.geom, err) >= 0) {
    count = 0;
    const uint8_t *d = im.data;
    for (size_t i = 0; i < n; i++)
      count += d[i] != 0;
  }
  lt_nifti_image_clear(&im);
  return count;
}

/* The sphere of radius r (mm) about c on the patch grid. */
void lt_dataset_sphere(uint8_t *out, const lt_geometry *g, const double c[3], double r) {
  for (int k = 0; k < LT_PATCH_N; k++)
    for (int j = 0; j < LT_PATCH_N; j++)
      for (int i = 0; i < LT_PATCH_N; i++) {
        const double ijk[3] = {i, j, k};
        double mm[3];
        lt_geometry_voxel_to_mm(g, ijk, mm);
        const double d2 = (mm[0] - c[0]) * (mm[0] - c[0]) + (mm[1] - c[1]) * (mm[1] - c[1]) +
                          (mm[2] - c[2]) * (mm[2] - c[2]);
        out[((size_t)k * LT_PATCH_N + (size_t)j) * LT_PATCH_N + (size_t)i] = d2 <= r * r;
      }
}

