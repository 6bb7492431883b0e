/* engine/ct/volume.h — a CT volume in Hounsfield units and its geometry.
 * The geometry maps voxel indices to DICOM patient coordinates (LPS, mm): column i, row j,
 * slice k (slices sorted along the normal of ImageOrientationPatient). Masks and patches
 * share the same geometry struct so NIfTI export and overlays need one code path.
 * This module allocates, frees and converts coordinates; it reads no files. */
#ifndef LT_VOLUME_H
#define LT_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#define LT_HU_AIR (-1024)

/* dim[0] = columns (i), dim[1] = rows (j), dim[2] = slices (k); voxel (i,j,k) is at
 * index i + dim[0] * (j + dim[1] * k).
 * Physical position of the voxel centre, LPS mm:
 *   p[r] = origin[r] + dir[3*r+0]*i*spacing[0] + dir[3*r+1]*j*spacing[1] + dir[3*r+2]*k*spacing[2]
 * i.e. the columns of dir (row-major 3x3) are the unit vectors along i, j and k. For an axial
 * DICOM series: column 0 = ImageOrientationPatient[0..2] (along a row, increasing column),
 * column 1 = IOP[3..5], column 2 = their cross product; origin = IPP of slice 0. */
typedef struct {
  int dim[3];
  double spacing[3];
  double origin[3];
  double dir[9];
} lt_geometry;

#define LT_UID_MAX 68

typedef struct {
  lt_geometry geom;
  int16_t *hu;                  /* dim[0]*dim[1]*dim[2], Hounsfield units, air = -1024 */
  char (*sop_uid)[LT_UID_MAX];  /* dim[2] entries: SOPInstanceUID of each slice ("" if unknown) */
  double *slice_pos;            /* dim[2] entries: position along the normal, mm */
  uint8_t *slice_filled;        /* dim[2] entries: 1 where no file held the slice and the reader
                                   interpolated it from its neighbours (sop_uid ""), else 0 */
  double slice_thickness;       /* SliceThickness tag (mm, 0 if absent); spacing[2] is from positions */
  char series_uid[LT_UID_MAX];
  char study_uid[LT_UID_MAX];
  char patient_id[LT_UID_MAX];
  char modality[16];
  char manufacturer[64];
  char model_name[64];
} lt_volume;

/* One allocation holds the struct, the voxels and the per-slice arrays. Voxels are zeroed;
 * direction is identity, spacing 1. Returns NULL when out of memory or dims are not positive
 * or the voxel count overflows. */
lt_volume *lt_volume_new(int nx, int ny, int nz);
void lt_volume_free(lt_volume *v);

static inline size_t lt_geometry_count(const lt_geometry *g) {
  return (size_t)g->dim[0] * (size_t)g->dim[1] * (size_t)g->dim[2];
}

void lt_geometry_init(lt_geometry *g, int nx, int ny, int nz);
/* Continuous voxel index (i, j, k) -> LPS mm. */
void lt_geometry_voxel_to_mm(const lt_geometry *g, const double ijk[3], double mm[3]);
/* LPS mm -> continuous voxel index; assumes dir is orthonormal (it is for CT series). */
void lt_geometry_mm_to_voxel(const lt_geometry *g, const double mm[3], double ijk[3]);

#endif
