/* engine/ct/dicom-j2k.h — decodes one JPEG 2000 frame (a raw codestream or a JP2 file, as found
 * in the encapsulated pixel data of transfer syntaxes 1.2.840.10008.1.2.4.90/.91) with OpenJPEG.
 * Knows nothing of DICOM beyond the image size it must check against; dicom.cc extracts the
 * fragments with DCMTK and calls this. */
#ifndef LT_DICOM_J2K_H
#define LT_DICOM_J2K_H

#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes data[0..size) into out: rows*cols*samples int32 values, samples interleaved.
 * Unsigned components of a signed image (pixel_signed) are sign-extended from their precision.
 * Fails (one line in err) when the codestream is broken or its size or component count differs
 * from rows x cols x samples. */
int lt_j2k_decode(const uint8_t *data, size_t size, int rows, int cols, int samples,
                  int pixel_signed, int32_t *out, lt_error *err);

#ifdef __cplusplus
}
#endif

#endif
