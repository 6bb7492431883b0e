/* tests/fuzz/fuzz-dicom.c — libFuzzer target for the DICOM reader (engine/ct/dicom.h, series.h).
 * Each input is a DICOM file image. It goes through the same C API paths as a study does:
 * the in-memory decoder (header fields, frame geometry, every codec, J2K fragments), then, written
 * to a temporary file, lt_series_read on that one file (header-only read, series checks, sorting,
 * parallel decode, HU conversion). Every failure must come back as one line, never a crash.
 * An input that starts with "LTFR" is not a file but encoded frames to wrap (lt_wrap below): the
 * harness builds a CT file around them with encapsulated pixel data in the syntax the input
 * names, its frames split into fragments of the size it names (a split may fall anywhere in an
 * RLE segment or a JPEG scan), with or without a basic offset table. That reaches the fragment
 * joining and the codecs directly, without the fuzzer having to find a DICOM file's structure.
 * tests/fuzz/run-fuzz-dicom.sh seeds both kinds.
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

/* ---- "LTFR" inputs: encoded frames wrapped into a CT file ----
 * Layout: "LTFR", syntax (index into lt_syntaxes, modulo its size), frames (1..4), rows, cols
 * (1..255 each), flags (bit 0: basic offset table, bit 1: signed pixels, bit 2: 8-bit samples),
 * fragment size (2 bytes little endian, rounded up to even, 0 = one fragment per frame), then
 * the payload: the frames' encoded bytes, split into `frames` equal parts. */
static const char *const lt_syntaxes[] = {
    "1.2.840.10008.1.2.5",    /* RLE */
    "1.2.840.10008.1.2.4.70", /* JPEG lossless SV1 */
    "1.2.840.10008.1.2.4.57", /* JPEG lossless */
    "1.2.840.10008.1.2.4.80", /* JPEG-LS lossless */
    "1.2.840.10008.1.2.4.81", /* JPEG-LS near-lossless */
    "1.2.840.10008.1.2.4.90", /* JPEG 2000 lossless */
    "1.2.840.10008.1.2.4.91", /* JPEG 2000 */
    "1.2.840.10008.1.2.4.50", /* JPEG baseline */
    "1.2.840.10008.1.2.4.51", /* JPEG extended */
};
#define LT_NSYNTAX (sizeof lt_syntaxes / sizeof lt_syntaxes[0])

typedef struct {
  uint8_t *b;
  size_t n, cap;
} lt_buf;

static void put(lt_buf *o, const void *p, size_t n) {
  if (o->n + n > o->cap) {
    size_t cap = (o->n + n) * 2 + 1024;
    uint8_t *nb = realloc(o->b, cap);
    if (!nb) abort();
    o->b = nb;
    o->cap = cap;
  }
  memcpy(o->b + o->n, p, n);
  o->n += n;
}

static void put16(lt_buf *o, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  put(o, b, 2);
}

static void put32(lt_buf *o, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(o, b, 4);
}

/* An explicit VR little-endian element with a short (2-byte) length; strings padded to even. */
static void elem(lt_buf *o, uint16_t g, uint16_t e, const char *vr, const void *v, size_t n) {
  int pad = n % 2;
  put16(o, g);
  put16(o, e);
  put(o, vr, 2);
  put16(o, (uint16_t)(n + (size_t)pad));
  put(o, v, n);
  if (pad) put(o, strcmp(vr, "UI") == 0 ? "\0" : " ", 1);
}

static void elem_str(lt_buf *o, uint16_t g, uint16_t e, const char *vr, const char *v) {
  elem(o, g, e, vr, v, strlen(v));
}

static void elem_us(lt_buf *o, uint16_t g, uint16_t e, uint16_t v) {
  uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  elem(o, g, e, "US", b, 2);
}

/* An item tag (FFFE,E000) with its length. */
static void item(lt_buf *o, const uint8_t *p, size_t n) {
  put16(o, 0xFFFE);
  put16(o, 0xE000);
  put32(o, (uint32_t)n);
  if (n) put(o, p, n);
}

static int lt_wrap(const uint8_t *data, size_t size, lt_buf *o) {
  if (size < 12 || memcmp(data, "LTFR", 4) != 0) return 0;
  const char *ts = lt_syntaxes[data[4] % LT_NSYNTAX];
  int frames = 1 + data[5] % 4, rows = data[6] ? data[6] : 1, cols = data[7] ? data[7] : 1;
  int bot = data[8] & 1, sgn = (data[8] >> 1) & 1, bits = (data[8] & 4) ? 8 : 16;
  size_t frag = (size_t)(data[9] | data[10] << 8);
  frag += frag % 2;
  const uint8_t *pay = data + 11;
  size_t np = size - 11;
  static const uint8_t pre[128];
  put(o, pre, sizeof pre);
  put(o, "DICM", 4);
  lt_buf m = {0};
  static const uint8_t ver[2] = {0, 1};
  put16(&m, 0x0002);
  put16(&m, 0x0001);
  put(&m, "OB\0\0", 4);
  put32(&m, 2);
  put(&m, ver, 2);
  elem_str(&m, 0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.2");
  elem_str(&m, 0x0002, 0x0003, "UI", "1.2.3.4.5.6.7.8.1");
  elem_str(&m, 0x0002, 0x0010, "UI", ts);
  uint8_t gl[4] = {(uint8_t)m.n, (uint8_t)(m.n >> 8), (uint8_t)(m.n >> 16), (uint8_t)(m.n >> 24)};
  elem(o, 0x0002, 0x0000, "UL", gl, 4);
  put(o, m.b, m.n);
  free(m.b);
  char num[16];
  elem_str(o, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2");
  elem_str(o, 0x0008, 0x0018, "UI", "1.2.3.4.5.6.7.8.1");
  elem_str(o, 0x0008, 0x0060, "CS", "CT");
  elem_str(o, 0x0018, 0x0050, "DS", "2.5");
  elem_str(o, 0x0020, 0x000E, "UI", "1.2.3.4.5.6.7.8.2");
  elem_str(o, 0x0020, 0x0032, "DS", "-100\\-100\\-50");
  elem_str(o, 0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0");
  elem_us(o, 0x0028, 0x0002, 1);
  elem_str(o, 0x0028, 0x0004, "CS", "MONOCHROME2");
  snprintf(num, sizeof num, "%d", frames);
  elem_str(o, 0x0028, 0x0008, "IS", num);
  elem_us(o, 0x0028, 0x0010, (uint16_t)rows);
  elem_us(o, 0x0028, 0x0011, (uint16_t)cols);
  elem_str(o, 0x0028, 0x0030, "DS", "0.7\\0.7");
  elem_us(o, 0x0028, 0x0100, (uint16_t)bits);
  elem_us(o, 0x0028, 0x0101, (uint16_t)(bits == 16 ? 12 : 8));
  elem_us(o, 0x0028, 0x0102, (uint16_t)(bits == 16 ? 11 : 7));
  elem_us(o, 0x0028, 0x0103, (uint16_t)sgn);
  elem_str(o, 0x0028, 0x1052, "DS", "-1024");
  elem_str(o, 0x0028, 0x1053, "DS", "1");
  /* Pixel data: OB, undefined length, offset table item, fragments, sequence delimiter. */
  put16(o, 0x7FE0);
  put16(o, 0x0010);
  put(o, "OB\0\0", 4);
  put32(o, 0xFFFFFFFFu);
  size_t part = np / (size_t)frames;
  uint32_t off[4] = {0}, at = 0;
  /* the fragments each frame becomes, for the offset table */
  for (int f = 0; f < frames; f++) {
    size_t len = f + 1 < frames ? part : np - part * (size_t)(frames - 1);
    off[f] = at;
    size_t step = frag ? frag : len + len % 2;
    for (size_t k = 0; k < len || k == 0; k += step) {
      size_t n = len - k < step ? len - k : step;
      at += 8 + (uint32_t)(n + n % 2);
      if (len == 0) break;
    }
  }
  if (bot) {
    uint8_t t[16];
    for (int f = 0; f < frames; f++)
      for (int b = 0; b < 4; b++) t[4 * f + b] = (uint8_t)(off[f] >> (8 * b));
    item(o, t, (size_t)frames * 4);
  } else {
    item(o, NULL, 0);
  }
  for (int f = 0; f < frames; f++) {
    const uint8_t *p = pay + part * (size_t)f;
    size_t len = f + 1 < frames ? part : np - part * (size_t)(frames - 1);
    size_t step = frag ? frag : len + len % 2;
    for (size_t k = 0; k < len || k == 0; k += step) {
      size_t n = len - k < step ? len - k : step;
      uint8_t z = 0;
      put16(o, 0xFFFE);
      put16(o, 0xE000);
      put32(o, (uint32_t)(n + n % 2));
      if (n) put(o, p + k, n);
      if (n % 2) put(o, &z, 1); /* items are even */
      if (len == 0) break;
    }
  }
  put16(o, 0xFFFE);
  put16(o, 0xE0DD);
  put32(o, 0);
  return 1;
}

static void remove_temp(void) { unlink(path); }

static void check_line(const lt_error *err) {
  /* One clear line: a non-empty message without a newline. */
  if (!err->msg[0] || strchr(err->msg, '\n')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lt_buf wrapped = {0};
  if (lt_wrap(data, size, &wrapped)) {
    data = wrapped.b;
    size = wrapped.n;
    /* LT_FUZZ_DUMP=FILE keeps the wrapped file, so a crash from an "LTFR" input can be looked at
     * with dcmdump or decoded with DCMTK's tools */
    const char *dump = getenv("LT_FUZZ_DUMP");
    FILE *df = dump ? fopen(dump, "wb") : NULL;
    if (df) {
      fwrite(data, 1, size, df);
      fclose(df);
    }
  }
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
  if (!f) {
    free(wrapped.b);
    return 0;
  }
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
  free(wrapped.b);
  return 0;
}
