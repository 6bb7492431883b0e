/* engine/train/dataset-patch.h — a training sample's patch and mask from a study: the 2x64^3
 * patch around a readings nodule's centroid with its readers' consensus on the patch grid, around
 * a point (a synthetic nodule's centre), a mask read from a NIfTI file in the series' geometry,
 * or a sure sample's sphere. What `lungtrust-cli dataset` writes into a data set (dataset.h); the
 * CLI itself builds no patch. Reads the mask files it is given, nothing else. */
#ifndef LT_TRAIN_DATASET_PATCH_H
#define LT_TRAIN_DATASET_PATCH_H

#include <stdint.h>

#include "ct/nodules.h"
#include "ct/patch.h"
#include "lt-error.h"

/* The patch around centre_mm (ct/patch.h: refused outside the volume). */
int lt_dataset_patch_at(lt_patch *p, const lt_volume *v, const double centre_mm[3], lt_error *err);

/* The patch around nodule d's centroid and its 50% consensus on the patch (LT_PATCH_VOXELS
 * bytes of 0/1). full: scratch of lt_geometry_count(&v->geom) bytes. */
int lt_dataset_patch_nodule(lt_patch *p, uint8_t *mask, const lt_volume *v, const lt_nodule *d,
                            uint8_t *full, lt_error *err);

/* A uint8 NIfTI mask in the series' geometry, resampled onto the patch p. Returns the full
 * mask's voxel count (for an equivalent diameter), or -1 with err set. */
long lt_dataset_mask_file(uint8_t *out, const char *path, const lt_volume *v, const lt_patch *p,
                          lt_error *err);

/* The sphere of radius r_mm about c_mm on the patch grid g (a sure sample's debug region). */
void lt_dataset_sphere(uint8_t *out, const lt_geometry *g, const double c_mm[3], double r_mm);

#endif
