/* engine/synth/dicom-write.h — writing one CT slice as a DICOM file (DCMTK), for the synthetic
 * studies: CT Image Storage, explicit VR little endian, 16-bit signed pixels holding Hounsfield
 * units directly (RescaleSlope 1, RescaleIntercept 0), with the tags ct/series.h reads (UIDs,
 * ImagePositionPatient, ImageOrientationPatient, PixelSpacing, SliceThickness, ...).
 * The implementation is C++ (dicom-write.cc); this header is plain C. Reads nothing; the
 * reading side is ct/dicom.h. */
#ifndef LT_SYNTH_DICOM_WRITE_H
#define LT_SYNTH_DICOM_WRITE_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *patient_id, *patient_name;
  const char *study_uid, *series_uid, *sop_uid, *frame_of_reference_uid;
  const char *study_date;          /* YYYYMMDD */
  const char *series_description, *manufacturer, *model_name;
  int instance_number;
  double ipp[3], iop[6];
  double pixel_spacing[2];         /* as stored: between rows, between columns */
  double slice_thickness;
  int rows, cols;
  const int16_t *hu;               /* rows*cols, row-major */
} lt_ct_slice;

int lt_dicom_write_ct_slice(const char *path, const lt_ct_slice *s, lt_error *err);

/* A deterministic DICOM UID under the 2.25 root (a UUID as a decimal integer): "2.25." followed by
 * the 128-bit value (hi, lo) in decimal. buf needs LT_UID_MAX bytes. */
void lt_dicom_uid_from_bits(char *buf, uint64_t hi, uint64_t lo);

#ifdef __cplusplus
}
#endif

#endif
