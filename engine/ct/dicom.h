/* engine/ct/dicom.h — the one small C API over DCMTK: one DICOM file (or an in-memory copy of
 * one) in, its header fields and its decoded stored pixel values out.
 * Decodes every transfer syntax DCMTK decodes (implicit/explicit little endian, explicit big
 * endian, deflate, JPEG baseline/extended/lossless, JPEG-LS), RLE with its own decoder (a frame
 * may span any number of fragments: DCMTK's frame decoder reads only the first) and JPEG 2000
 * through OpenJPEG (dicom-j2k.h). Reads enhanced multi-frame per-frame functional groups.
 * Elements stored with VR UN are read by their dictionary VR. Works on any modality.
 * Does not group files into series, sort slices or convert to Hounsfield units (see series.h).
 * The implementation is C++ (dicom.cc); this header is plain C. Thread-safe: any number of files
 * may be read at once from different threads. */
#ifndef LT_DICOM_H
#define LT_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Images above these sizes are refused (rows, columns: the US VR allows 65535). */
#define LT_DICOM_MAX_SAMPLES ((int64_t)1 << 31) /* rows*cols*frames*samples per pixel */
#define LT_DICOM_MAX_FRAMES 65535

/* Geometry and value transformation of one frame. For a single-frame file, the top-level
 * tags; for enhanced multi-frame, the per-frame functional groups (falling back to the shared
 * groups, then to the top level). */
typedef struct {
  double ipp[3];        /* ImagePositionPatient, mm */
  double iop[6];        /* ImageOrientationPatient: row direction, column direction */
  double pixel_spacing[2]; /* PixelSpacing as stored: [0] between rows, [1] between columns */
  double thickness;     /* SliceThickness, 0 when absent */
  double slope, intercept; /* RescaleSlope/Intercept (1, 0 when absent) */
  int has_ipp, has_iop, has_spacing;
} lt_dicom_frame;

typedef struct {
  char sop_uid[LT_UID_MAX];
  char sop_class_uid[LT_UID_MAX];
  char series_uid[LT_UID_MAX];
  char study_uid[LT_UID_MAX];
  char patient_id[LT_UID_MAX];
  char transfer_syntax[LT_UID_MAX]; /* UID as read ("" when DCMTK had to guess, no meta header) */
  char modality[16];
  char manufacturer[64];
  char model_name[64];
  char series_description[64];
  char photometric[20];
  int has_meta;          /* the file had a meta header (group 0002) */
  int instance_number;   /* 0 when absent */
  int rows, cols, frames, samples;
  int bits_allocated, bits_stored, high_bit, pixel_signed, planar;
  int has_pixel_data;    /* (7FE0,0010) present with a value */
  /* PixelPaddingValue / PixelPaddingRangeLimit, already reinterpreted as a stored value in the
   * pixels' signedness and BitsStored (LIDC's US 63536 with signed pixels is -2000). */
  int has_padding, has_padding_limit;
  int32_t padding, padding_limit;
  lt_dicom_frame *frame; /* `frames` entries (at least 1) when the header read succeeded */
} lt_dicom_header;

/* Stored pixel values (before any rescale), one int32 per sample, sign-extended from BitsStored
 * when PixelRepresentation is 1. Layout: frame-major, then row, then column, then sample
 * (color samples interleaved whatever PlanarConfiguration was). */
typedef struct {
  int rows, cols, frames, samples;
  char photometric[20]; /* after decoding: JPEG YBR_FULL(_422) comes back as RGB */
  int32_t *data;
} lt_dicom_pixels;

/* Reads the header of a file without loading the pixel data. A file that is not DICOM, or
 * whose image tags are unusable (Rows 0, NumberOfFrames "1A", sizes over the limits), fails with
 * one line. A file without an image (SR, ECG) succeeds with rows = cols = 0, has_pixel_data 0. */
int lt_dicom_read_header(const char *path, lt_dicom_header *h, lt_error *err);
void lt_dicom_header_free(lt_dicom_header *h);

/* Reads header and decodes every frame of an image file of any modality. h may be NULL. */
int lt_dicom_decode_frames(const char *path, lt_dicom_header *h, lt_dicom_pixels *px,
                           lt_error *err);
/* The same on a file image in memory (used by the fuzzer). */
int lt_dicom_decode_buffer(const void *data, size_t size, lt_dicom_header *h, lt_dicom_pixels *px,
                           lt_error *err);
void lt_dicom_pixels_free(lt_dicom_pixels *px);

/* Decodes frame after frame into a per-thread scratch buffer and calls fn(ctx, f, values, h, err)
 * for each: values holds rows*cols*samples stored values (layout of lt_dicom_pixels) and is
 * valid only during the call. fn returns 0 to go on, or -1 with err set to stop. On success *h is
 * filled (free it with lt_dicom_header_free). No whole-image allocation: the series reader's path. */
typedef int (*lt_dicom_frame_fn)(void *ctx, int frame, const int32_t *values,
                                 const lt_dicom_header *h, lt_error *err);
int lt_dicom_decode_each_frame(const char *path, lt_dicom_header *h, lt_dicom_frame_fn fn,
                               void *ctx, lt_error *err);

/* Interprets a raw stored bit pattern in the pixels' BitsStored and signedness. */
int32_t lt_dicom_stored_value(uint32_t raw, int bits_stored, int pixel_signed);

#ifdef __cplusplus
}
#endif

#endif
