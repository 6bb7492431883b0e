/* tests/fuzz/fuzz-dicom.c — libFuzzer target for the DICOM reader (engine/ct/dicom.h, series.h).
 * Each input is a DICOM file image. It goes through the same C API paths as a study does:
 * the in-memory decoder (header fields, frame geometry, every codec, J2K fragments), then, written
 * to a temporary file, lt_series_read on that one file (header-only read, series checks, sorting,
 * parallel decode, HU conversion). Every failure must come back as one line, never a crash.
 * Build: CC=clang CXX=clang++ meson setup B -Dfuzz=true -Db_sanitize=address
 *        -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link
 *        && ninja -C B tests/fuzz/fuzz-dicom
 * Run:   B/tests/fuzz/fuzz-dicom -max_total_time=600 -jobs=1 -max_len=600000
 *        -malloc_limit_mb=4200 CORPUS   (CORPUS seeded with the files of ../shared/data/dicom and
 *        one LIDC slice). DCMTK 3.6.7 allocates the length a value inside a sequence claims
 *        (up to 4 GiB, nothrow new) before checking it against the file; that is its code, not
 *        ours, and a failed allocation comes back as an error, hence the malloc limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/dicom.h"
#include "ct/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_temp(void) { unlink(path); }

static void check_line(const lt_error *err) {
  /* One clear line: a non-empty message without a newline. */
  if (!err->msg[0] || strchr(err->msg, '\n')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lt_dicom_header h;
  lt_dicom_pixels px;
  lt_error err = {{0}};
  if (lt_dicom_decode_buffer(data, size, &h, &px, &err) == 0) {
    size_t n = (size_t)px.rows * px.cols * px.frames * px.samples;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += px.data[i]; /* touches every sample: ASan checks bounds */
    if (h.frames < 1 || !h.frame || (sum == 1 && n == 0)) abort();
    lt_dicom_pixels_free(&px);
    lt_dicom_header_free(&h);
  } else {
    check_line(&err);
  }

  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/lt-fuzz-dicom-%d.dcm", (int)getpid());
    atexit(remove_temp);
  }
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  lt_volume *v = NULL;
  lt_series_info info;
  if (lt_series_read(path, NULL, &v, &info, &err) == 0) {
    size_t n = lt_geometry_count(&v->geom);
    for (size_t i = 0; i < n; i++)
      if (v->hu[i] < LT_HU_AIR) abort(); /* the clamp holds whatever the input */
    lt_volume_free(v);
  } else {
    check_line(&err);
  }
  lt_series_info_free(&info);
  return 0;
}
