/* engine/ct/patch.c — see patch.h. */
#include "patch.h"

#include <math.h>
#include <stdlib.h>

#include "ct/resample.h"

void lt_patch_geometry(lt_geometry *g, const lt_geometry *vol, const double center_mm[3]) {
  lt_geometry_init(g, LT_PATCH_N, LT_PATCH_N, LT_PATCH_N);
  for (int q = 0; q < 9; q++) g->dir[q] = vol->dir[q];
  for (int a = 0; a < 3; a++) g->spacing[a] = LT_PATCH_SPACING;
  for (int r = 0; r < 3; r++) {
    double s = center_mm[r];
    for (int c = 0; c < 3; c++) s -= g->dir[3 * r + c] * LT_PATCH_CENTRE * LT_PATCH_SPACING;
    g->origin[r] = s;
  }
}

int lt_patch_point_in_volume(const lt_geometry *vol, const double center_mm[3]) {
  double ijk[3];
  lt_geometry_mm_to_voxel(vol, center_mm, ijk);
  for (int a = 0; a < 3; a++)
    if (!(ijk[a] >= -0.5 && ijk[a] <= vol->dim[a] - 0.5)) return 0;
  return 1;
}

int lt_patch_extract(lt_patch *out, const lt_volume *v, const double center_mm[3], lt_error *err) {
  if (!lt_patch_point_in_volume(&v->geom, center_mm))
    return lt_error_set(err, "the point (%.1f, %.1f, %.1f) mm lies outside the volume",
                        center_mm[0], center_mm[1], center_mm[2]);
  lt_patch_geometry(&out->geom, &v->geom, center_mm);
  float *hu = out->ch[1];
  if (lt_resample_bspline_i16(hu, &out->geom, v->hu, &v->geom, (float)LT_HU_AIR, err))
    return lt_error_prefix(err, "patch");
  for (int q = 0; q < LT_PATCH_VOXELS; q++) {
    float h = hu[q];
    out->ch[0][q] = lt_window01(h, LT_PATCH_LUNG_LO_HU, LT_PATCH_LUNG_HI_HU);
    out->ch[1][q] = lt_window01(h, LT_PATCH_MEDIASTINAL_LO_HU, LT_PATCH_MEDIASTINAL_HI_HU);
  }
  return 0;
}

int lt_patch_check_in_lung(const lt_geometry *vol, const uint8_t *lung_mask,
                           const double center_mm[3], lt_error *err) {
  if (!lt_patch_point_in_volume(vol, center_mm))
    return lt_error_set(err, "the point (%.1f, %.1f, %.1f) mm lies outside the volume",
                        center_mm[0], center_mm[1], center_mm[2]);
  double ijk[3];
  lt_geometry_mm_to_voxel(vol, center_mm, ijk);
  int id[3];
  for (int a = 0; a < 3; a++) {
    id[a] = (int)lround(ijk[a]);
    if (id[a] < 0) id[a] = 0;
    if (id[a] >= vol->dim[a]) id[a] = vol->dim[a] - 1;
  }
  size_t q = (size_t)id[0] + (size_t)vol->dim[0] * ((size_t)id[1] + (size_t)vol->dim[1] * id[2]);
  if (!lung_mask[q])
    return lt_error_set(err,
                        "the point (%.1f, %.1f, %.1f) mm (voxel %d,%d,%d) lies outside the lungs; "
                        "patches are taken only inside the lung mask",
                        center_mm[0], center_mm[1], center_mm[2], id[0], id[1], id[2]);
  return 0;
}

long lt_patch_mask(uint8_t *out, const lt_geometry *geom, const uint8_t *mask,
                   const lt_geometry *mask_geom, lt_error *err) {
  size_t n = lt_geometry_count(mask_geom);
  uint8_t *bin = malloc(n);
  float *f = malloc(lt_geometry_count(geom) * sizeof *f);
  if (!bin || !f) {
    free(bin);
    free(f);
    return lt_error_set(err, "mask patch: out of memory");
  }
  for (size_t q = 0; q < n; q++) bin[q] = mask[q] != 0;
  long count = 0;
  if (lt_resample_linear_u8(f, geom, bin, mask_geom, 0.0f, err)) {
    count = lt_error_prefix(err, "mask patch");
  } else {
    size_t m = lt_geometry_count(geom);
    for (size_t q = 0; q < m; q++) {
      out[q] = f[q] >= 0.5f;
      count += out[q];
    }
  }
  free(bin);
  free(f);
  return count;
}
