/* engine/review/export.h — one review's maps as files others can open: seg.nii.gz (uint8, the
 * model's mask) and cam.nii.gz (float32 Grad-CAM) in the CT volume's geometry, and analysis.png
 * (the patch's centre slices in three planes, the CAM heatmap blended under them, the model's
 * contour red and the readers' consensus green). The writers (ct/nifti.h, ct/picture.h) leave no
 * partial file behind. It computes nothing the review did not. */
#ifndef LT_REVIEW_EXPORT_H
#define LT_REVIEW_EXPORT_H

#include "review/review.h"

/* Writes the three files into dir (created when missing); paths gets their names. v: the volume
 * the review was made on. */
int lt_review_export(const lt_review_result *r, const lt_volume *v, const char *dir,
                     char paths[3][4096], lt_error *err);

#endif
