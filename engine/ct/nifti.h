/* engine/ct/nifti.h — NIfTI-1 export and import (.nii or .nii.gz) through nifticlib, so volumes,
 * masks and patches open in other tools (ITK-SNAP, 3D Slicer, nibabel, FSL).
 *
 * Geometry: lt_geometry is in DICOM LPS; NIfTI's world is RAS, so x and y change sign:
 *   srow = diag(-1, -1, 1) * [dir * diag(spacing) | origin].
 * Both the sform and the qform (quaternion, qfac = -1 when the axes are left-handed) are
 * written with code NIFTI_XFORM_SCANNER_ANAT; pixdim[1..3] = spacing; units mm. Several
 * channels (a patch's two windows) are a 4D image: dim[4] = channels, voxel index
 * i + nx*(j + ny*(k + nz*c)), the layout of lt_patch.ch.
 *
 * Does not resample, convert data types on write, or read anything but what it can map back
 * onto an lt_geometry (sform preferred, else qform, else pixdim only). */
#ifndef LT_NIFTI_H
#define LT_NIFTI_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

typedef enum { LT_NIFTI_I16, LT_NIFTI_U8, LT_NIFTI_F32 } lt_nifti_type;

typedef struct {
  lt_geometry geom;
  int channels;       /* dim[4] (1 for a 3D image) */
  lt_nifti_type type;
  void *data;         /* malloc'd: channels * lt_geometry_count(&geom) values of type */
} lt_nifti_image;

/* Writes data (channels * count voxels of type) with geometry g to path (".nii.gz" compresses).
 * description goes into the header's 80-byte descrip (may be NULL). The file is written under
 * a temporary name beside path, read back whole (for .nii.gz through the gzip check), synced
 * and renamed: on failure (a full disk) path is untouched, nothing is left beside it, nothing
 * is printed, and err holds one line. */
int lt_nifti_write(const char *path, const lt_geometry *g, int channels, lt_nifti_type type,
                   const void *data, const char *description, lt_error *err);

/* Reads a NIfTI-1 image of int16, uint8 or float32 with up to 4 dimensions. */
int lt_nifti_read(const char *path, lt_nifti_image *out, lt_error *err);
void lt_nifti_image_clear(lt_nifti_image *im);

/* The 4x4 voxel -> RAS mm matrix (row-major) written for g. */
void lt_nifti_affine(const lt_geometry *g, double m[16]);

#endif
