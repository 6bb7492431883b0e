/* tests/ct/test-dicom.c — every file in ../shared/data/dicom, each with its expected outcome:
 * decoded with the right size and pixels (each encoding against its uncompressed twin, exact for
 * the lossless ones, bounded for the lossy ones; and exactly against pydicom as a peer decoder
 * where pydicom can decode it), or refused with one clear line; and for lt_series_read on the
 * single file, a volume only from CT, with its geometry. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ct/dicom.h"
#include "ct/series.h"
#include "lt-test.h"

typedef enum { LT_OUT_IMAGE, LT_OUT_NO_IMAGE, LT_OUT_REFUSED } lt_outcome;
typedef enum { LT_CMP_NONE, LT_CMP_EXACT, LT_CMP_LOSSY } lt_cmp;

typedef struct {
  const char *rel;        /* under dicom/ */
  lt_outcome out;
  const char *msg;        /* REFUSED / NO_IMAGE: substring of the decoder's line */
  int cols, rows, frames, samples;
  const char *modality;
  const char *twin;       /* uncompressed twin under dicom/, or NULL */
  lt_cmp how;
  int offset;             /* expected mean of (decoded - twin), rounded: see .51 below */
  double max_mean_abs;    /* LOSSY: bound on the mean |decoded - offset - twin| */
  double min_psnr;        /* LOSSY: bound on the PSNR (dB) over the twin's value range */
  int peer;               /* pydicom decodes it: compare exactly */
  const char *vol_msg;    /* NULL: lt_series_read(file) builds a volume; else substring of error */
  double vol_spacing;     /* the volume's column spacing (PixelSpacing[1]) */
  double vol_z0;          /* origin z of the volume */
} lt_case;

#define DP "dicomParser/"
#define MF DP "encapsulated/multi-frame/"
#define SF DP "encapsulated/single-frame/"
#define PD "pydicom/"
#define CT1 DP "CT1_UNC.explicit_little_endian.dcm"
#define CT12 MF "CT0012.explicit_little_endian.dcm"
#define IM1 MF "IM00001.implicit_little_endian.dcm"
#define NOT_DICOM "no DICOM preamble or meta header"
#define NOT_CT "not CT"

/* Lossy bounds: measured values (mean abs diff, PSNR) are in the report; the bounds leave about
 * a factor 2 of margin. .51 (JPEG extended 12 bit): dcmcjpeg's lossy path wrote the values through
 * DCMTK's rendering (modality LUT -1024, then +2048 to make them unsigned 12 bit), i.e. +1024,
 * without updating the functional groups; we assert that offset and the error after it. */
static const lt_case cases[] = {
  {CT1, LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", NULL, LT_CMP_NONE, 0, 0, 0, 1, NULL, 0.661468, -75.7},
  {DP "CT1_UNC.implicit_little_endian.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 1, NULL, 0.661468, -75.7},
  {DP "CT1_UNC.explicit_big_endian.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 1, NULL, 0.661468, -75.7},
  {SF "CT1_UNC.explicit_little_endian.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 1, NULL, 0.661468, -75.7},
  {SF "CT1_UNC.fragmented_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.661468, -75.7},
  {SF "CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.661468, -75.7},
  {SF "CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.661468, -75.7},
  {SF "CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", CT1, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.661468, -75.7},
  {CT12, LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", NULL, LT_CMP_NONE, 0, 0, 0, 1, NULL, 0.388672, -149},
  {MF "CT0012.not_fragmented_bot_rle.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 1, NULL, 0.388672, -149},
  {MF "CT0012.not_fragmented_no_bot_rle.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 1, NULL, 0.388672, -149},
  {MF "CT0012.fragmented_no_bot_jpeg_lossless.57.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.388672, -149},
  {MF "CT0012.fragmented_no_bot_jpeg_lossless.70.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.388672, -149},
  {MF "CT0012.fragmented_no_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.388672, -149},
  {MF "CT0012.not_fragmented_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.388672, -149},
  {MF "CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_EXACT, 0, 0, 0, 0, NULL, 0.388672, -149},
  {MF "CT0012.fragmented_no_bot_jpeg_ls.81.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_LOSSY, 0, 1.0, 50, 0, NULL, 0.388672, -149},
  {MF "CT0012.fragmented_no_bot_jpeg_baseline.51.dcm", LT_OUT_IMAGE, NULL, 512, 512, 2, 1, "CT", CT12, LT_CMP_LOSSY, 1024, 1.5, 50, 0, NULL, 0.388672, -149},
  {IM1, LT_OUT_IMAGE, NULL, 320, 240, 8, 3, "US", NULL, LT_CMP_NONE, 0, 0, 0, 1, NOT_CT, 0, 0},
  {MF "IM00001.fragmented_no_bot_jpeg_baseline.50.dcm", LT_OUT_IMAGE, NULL, 320, 240, 8, 3, "US", IM1, LT_CMP_LOSSY, 0, 3.0, 34, 0, NOT_CT, 0, 0},
  {DP "deflate/image_dfl", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "OT", NULL, LT_CMP_NONE, 0, 0, 0, 1, NOT_CT, 0, 0},
  {DP "deflate/report_dfl", LT_OUT_NO_IMAGE, "no pixel data", 0, 0, 0, 0, "SR", NULL, LT_CMP_NONE, 0, 0, 0, 0, "no image (modality SR)", 0, 0},
  {DP "deflate/wave_dfl", LT_OUT_NO_IMAGE, "no pixel data", 0, 0, 0, 0, "ECG", NULL, LT_CMP_NONE, 0, 0, 0, 0, "no image (modality ECG)", 0, 0},
  {PD "CT_small.dcm", LT_OUT_IMAGE, NULL, 128, 128, 1, 1, "CT", NULL, LT_CMP_NONE, 0, 0, 0, 1, NULL, 0.661468, -75.7},
  {PD "693_J2KI.dcm", LT_OUT_IMAGE, NULL, 512, 512, 1, 1, "CT", NULL, LT_CMP_NONE, 0, 0, 0, 1, NULL, 0.478516, 47},
  {PD "JPEG2000.dcm", LT_OUT_IMAGE, NULL, 256, 1024, 1, 1, "NM", NULL, LT_CMP_NONE, 0, 0, 0, 1, NOT_CT, 0, 0},
  {PD "MR_small.dcm", LT_OUT_IMAGE, NULL, 64, 64, 1, 1, "MR", NULL, LT_CMP_NONE, 0, 0, 0, 1, NOT_CT, 0, 0},
  {PD "rtdose.dcm", LT_OUT_IMAGE, NULL, 10, 10, 15, 1, "RTDOSE", NULL, LT_CMP_NONE, 0, 0, 0, 1, NOT_CT, 0, 0},
  {PD "MR_truncated.dcm", LT_OUT_REFUSED, "truncated", 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, "truncated", 0, 0},
  {PD "badVR.dcm", LT_OUT_REFUSED, "NumberOfFrames '1A' is not a whole number", 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, "NumberOfFrames '1A'", 0, 0},
  {PD "meta_missing_tsyntax.dcm", LT_OUT_REFUSED, "no TransferSyntaxUID", 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, "no TransferSyntaxUID", 0, 0},
  /* no_meta.dcm: no preamble, no meta header, and its first byte is off (0x20 before the first
   * tag), so neither DCMTK nor pydicom finds a data set in it: refused. */
  {PD "no_meta.dcm", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {PD "README.txt", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {PD "LICENSE", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {DP "README.md", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {DP "LICENSE", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {DP "deflate/README.md", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {MF "README.md", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
  {SF "README.md", LT_OUT_REFUSED, NOT_DICOM, 0, 0, 0, 0, NULL, NULL, LT_CMP_NONE, 0, 0, 0, 0, NOT_DICOM, 0, 0},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

static char root[4096];

static const char *case_path(char *buf, size_t n, const char *rel) {
  snprintf(buf, n, "%s/dicom/%s", root, rel);
  return buf;
}

/* One clear line: non-empty, no newline, fits lt_error. */
static void assert_one_line(const char *what, const char *msg) {
  if (!msg[0] || strchr(msg, '\n')) fail_msg("%s: message is not one line: '%s'", what, msg);
}

/* Looks for sub after the file's name, so a name like MR_truncated.dcm cannot match itself. */
static void assert_contains(const char *what, const char *msg, const char *sub) {
  const char *base = strrchr(what, '/');
  base = base ? base + 1 : what;
  const char *after = strstr(msg, base);
  after = after ? after + strlen(base) : msg;
  if (!strstr(after, sub)) fail_msg("%s: message '%s' lacks '%s'", what, msg, sub);
}

/* ---- every file is listed ---- */

static int walk_count(const char *dir, const char *rel, int *unlisted) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char p[4096], r[4096];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
    struct stat st;
    if (stat(p, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      n += walk_count(p, r, unlisted);
      continue;
    }
    n++;
    int found = 0;
    for (int i = 0; i < NCASES; i++) found |= strcmp(cases[i].rel, r) == 0;
    if (!found) {
      print_message("not in the table: %s\n", r);
      (*unlisted)++;
    }
  }
  closedir(d);
  return n;
}

static void every_shared_dicom_file_has_an_expected_outcome(void **state) {
  (void)state;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/dicom", root);
  int unlisted = 0;
  int n = walk_count(dir, "", &unlisted);
  assert_int_equal(unlisted, 0);
  assert_int_equal(n, NCASES);
}

/* ---- the decoder ---- */

typedef struct {
  double mean_abs, psnr, mean_diff;
  long max_abs;
} lt_diff;

static lt_diff compare(const lt_dicom_pixels *a, const lt_dicom_pixels *b) {
  size_t n = (size_t)a->rows * a->cols * a->frames * a->samples;
  double sum = 0, sumd = 0, sq = 0;
  long mx = 0;
  int32_t lo = b->data[0], hi = b->data[0];
  for (size_t i = 0; i < n; i++) {
    long d = (long)a->data[i] - b->data[i];
    sumd += (double)d;
    if (b->data[i] < lo) lo = b->data[i];
    if (b->data[i] > hi) hi = b->data[i];
  }
  long off = lround(sumd / (double)n);
  for (size_t i = 0; i < n; i++) {
    long d = (long)a->data[i] - b->data[i] - off;
    long ad = d < 0 ? -d : d;
    sum += (double)ad;
    sq += (double)d * (double)d;
    if (ad > mx) mx = ad;
  }
  lt_diff r;
  r.mean_diff = sumd / (double)n;
  r.mean_abs = sum / (double)n;
  r.max_abs = mx;
  double range = (double)hi - lo;
  r.psnr = sq > 0 ? 10 * log10(range * range / (sq / (double)n)) : INFINITY;
  return r;
}

static void decodes_every_image_file_to_its_twin(void **state) {
  (void)state;
  char p[4400], t[4400];
  for (int i = 0; i < NCASES; i++) {
    const lt_case *c = &cases[i];
    lt_dicom_header h;
    lt_dicom_pixels px;
    lt_error err = {{0}};
    int rc = lt_dicom_decode_frames(case_path(p, sizeof p, c->rel), &h, &px, &err);
    if (c->out != LT_OUT_IMAGE) {
      if (rc == 0) fail_msg("%s: decoded, expected a refusal containing '%s'", c->rel, c->msg);
      assert_one_line(c->rel, err.msg);
      assert_contains(c->rel, err.msg, c->msg);
      continue;
    }
    if (rc != 0) fail_msg("%s: %s", c->rel, err.msg);
    assert_int_equal(px.cols, c->cols);
    assert_int_equal(px.rows, c->rows);
    assert_int_equal(px.frames, c->frames);
    assert_int_equal(px.samples, c->samples);
    assert_string_equal(h.modality, c->modality);
    if (c->twin) {
      lt_dicom_pixels tw;
      if (lt_dicom_decode_frames(case_path(t, sizeof t, c->twin), NULL, &tw, &err))
        fail_msg("twin %s: %s", c->twin, err.msg);
      assert_int_equal(tw.rows, px.rows);
      assert_int_equal(tw.cols, px.cols);
      assert_int_equal(tw.frames, px.frames);
      assert_int_equal(tw.samples, px.samples);
      lt_diff d = compare(&px, &tw);
      print_message("%-55s vs twin: mean diff %.3f, mean |diff - offset| %.4f, max %ld, PSNR %.1f dB\n",
                    c->rel, d.mean_diff, d.mean_abs, d.max_abs, d.psnr);
      if (c->how == LT_CMP_EXACT) {
        if (d.max_abs != 0 || d.mean_diff != 0) fail_msg("%s differs from its twin", c->rel);
      } else {
        if (fabs(d.mean_diff - c->offset) > 2.0)
          fail_msg("%s: mean offset %.2f, expected %d", c->rel, d.mean_diff, c->offset);
        if (d.mean_abs > c->max_mean_abs || d.psnr < c->min_psnr)
          fail_msg("%s: lossy error over the bound (%.3f > %.3f or %.1f < %.1f dB)", c->rel,
                   d.mean_abs, c->max_mean_abs, d.psnr, c->min_psnr);
      }
      lt_dicom_pixels_free(&tw);
    }
    lt_dicom_pixels_free(&px);
    lt_dicom_header_free(&h);
  }
}

/* The in-memory path (the fuzzer's) gives the same pixels as the file path. */
static void buffer_decode_matches_file_decode(void **state) {
  (void)state;
  char p[4400];
  for (int i = 0; i < NCASES; i++) {
    const lt_case *c = &cases[i];
    FILE *f = fopen(case_path(p, sizeof p, c->rel), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    lt_dicom_pixels a, b;
    lt_error e1 = {{0}}, e2 = {{0}};
    int r1 = lt_dicom_decode_buffer(buf, (size_t)n, NULL, &a, &e1);
    int r2 = lt_dicom_decode_frames(p, NULL, &b, &e2);
    if (r1 != r2) fail_msg("%s: buffer rc %d (%s), file rc %d (%s)", c->rel, r1, e1.msg, r2, e2.msg);
    if (r1 == 0) {
      assert_int_equal(a.rows * a.cols * a.frames * a.samples, b.rows * b.cols * b.frames * b.samples);
      assert_memory_equal(a.data, b.data, (size_t)a.rows * a.cols * a.frames * a.samples * 4);
      lt_dicom_pixels_free(&a);
      lt_dicom_pixels_free(&b);
    } else {
      assert_one_line(c->rel, e1.msg);
    }
    free(buf);
  }
}

/* pydicom (with Pillow for JPEG 2000) as an independent decoder: exact agreement. */
static void decodes_like_pydicom_where_pydicom_decodes(void **state) {
  (void)state;
  const char *src = getenv("LT_SOURCE_ROOT");
  if (!src || access("/usr/bin/python3", X_OK) != 0) skip();
  char tmp[512], cmd[16384], p[4400];
  if (!lt_test_tmpdir(tmp, sizeof tmp)) fail_msg("no temporary folder");
  int len = snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import pydicom, numpy' 2>/dev/null && "
                     "/usr/bin/python3 %s/tests/ct/dicom-peer.py %s", src, tmp);
  for (int i = 0; i < NCASES; i++)
    len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s'",
                    cases[i].peer ? case_path(p, sizeof p, cases[i].rel) : "/dev/null");
  if (system(cmd) != 0) {
    print_message("pydicom with numpy is not available to /usr/bin/python3: peer check skipped\n");
    skip();
  }
  int checked = 0;
  for (int i = 0; i < NCASES; i++) {
    const lt_case *c = &cases[i];
    if (!c->peer) continue;
    char bin[700];
    snprintf(bin, sizeof bin, "%s/%d.bin", tmp, i);
    FILE *f = fopen(bin, "rb");
    if (!f) fail_msg("%s: pydicom could not decode it", c->rel);
    int r, co, fr, s;
    char line[128];
    assert_non_null(fgets(line, sizeof line, f)); /* the header line; binary values follow */
    assert_int_equal(sscanf(line, "%d %d %d %d", &r, &co, &fr, &s), 4);
    size_t n = (size_t)r * co * fr * s;
    int32_t *ref = malloc(n * 4);
    assert_non_null(ref);
    assert_int_equal(fread(ref, 4, n, f), n);
    fclose(f);
    unlink(bin);
    lt_dicom_pixels px;
    lt_error err = {{0}};
    if (lt_dicom_decode_frames(case_path(p, sizeof p, c->rel), NULL, &px, &err))
      fail_msg("%s: %s", c->rel, err.msg);
    assert_int_equal(px.rows, r);
    assert_int_equal(px.cols, co);
    assert_int_equal(px.frames, fr);
    assert_int_equal(px.samples, s);
    size_t bad = 0;
    for (size_t k = 0; k < n; k++) bad += px.data[k] != ref[k];
    if (bad) fail_msg("%s: %zu of %zu values differ from pydicom", c->rel, bad, n);
    checked++;
    lt_dicom_pixels_free(&px);
    free(ref);
  }
  rmdir(tmp);
  print_message("%d files decoded exactly as pydicom does\n", checked);
  assert_true(checked >= 12);
}

/* ---- volumes: only from CT, with the file's geometry ---- */

static void builds_volumes_only_from_ct_files(void **state) {
  (void)state;
  char p[4400];
  for (int i = 0; i < NCASES; i++) {
    const lt_case *c = &cases[i];
    lt_volume *v = NULL;
    lt_error err = {{0}};
    int rc = lt_series_read(case_path(p, sizeof p, c->rel), NULL, &v, NULL, &err);
    if (c->vol_msg) {
      if (rc == 0) fail_msg("%s: built a volume, expected '%s'", c->rel, c->vol_msg);
      assert_null(v);
      assert_one_line(c->rel, err.msg);
      assert_contains(c->rel, err.msg, c->vol_msg);
      continue;
    }
    if (rc) fail_msg("%s: %s", c->rel, err.msg);
    assert_int_equal(v->geom.dim[0], c->cols);
    assert_int_equal(v->geom.dim[1], c->rows);
    assert_int_equal(v->geom.dim[2], c->frames);
    assert_float_equal(v->geom.spacing[0], c->vol_spacing, 1e-6);
    assert_float_equal(v->geom.origin[2], c->vol_z0, 1e-3);
    assert_string_equal(v->modality, "CT");
    size_t n = lt_geometry_count(&v->geom);
    for (size_t k = 0; k < n; k++)
      if (v->hu[k] < LT_HU_AIR) fail_msg("%s: HU %d below air", c->rel, v->hu[k]);
    lt_volume_free(v);
  }
}

/* HU = stored * slope + intercept; PixelPaddingValue (SS -2000 here) -> -1024. */
static void ct1_hu_is_rescaled_with_padding_as_air(void **state) {
  (void)state;
  char p[4400];
  lt_dicom_header h;
  lt_dicom_pixels px;
  lt_error err = {{0}};
  if (lt_dicom_decode_frames(case_path(p, sizeof p, CT1), &h, &px, &err)) fail_msg("%s", err.msg);
  assert_true(h.has_padding);
  assert_int_equal(h.padding, -2000);
  lt_volume *v = NULL;
  if (lt_series_read(p, NULL, &v, NULL, &err)) fail_msg("%s", err.msg);
  size_t n = (size_t)px.rows * px.cols, npad = 0;
  for (size_t k = 0; k < n; k++) {
    int32_t s = px.data[k];
    int want = s == -2000 ? -1024 : s - 1024 < -1024 ? -1024 : s - 1024;
    npad += s == -2000;
    if (v->hu[k] != want) fail_msg("voxel %zu: stored %d gave %d HU, want %d", k, s, v->hu[k], want);
  }
  assert_true(npad > 1000); /* the padding is really there, so the rule was exercised */
  lt_volume_free(v);
  lt_dicom_pixels_free(&px);
  lt_dicom_header_free(&h);
}

/* Enhanced CT: per-frame positions; IOP row (-1,0,0) x column (0,1,0) gives normal (0,0,-1), so
 * frame 2 (z -149) comes first and the spacing is 10 mm; HU = stored - 1024 from the
 * PixelValueTransformationSequence. */
static void enhanced_ct_frames_sorted_along_normal(void **state) {
  (void)state;
  char p[4400];
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  if (lt_series_read(case_path(p, sizeof p, CT12), NULL, &v, &info, &err)) fail_msg("%s", err.msg);
  assert_int_equal(v->geom.dim[2], 2);
  assert_float_equal(v->geom.spacing[2], 10.0, 1e-6);
  assert_float_equal(v->geom.origin[2], -149.0, 1e-6);
  assert_float_equal(v->geom.dir[0], -1.0, 1e-9);
  assert_float_equal(v->geom.dir[8], -1.0, 1e-9);
  double mm[3], ijk[3] = {0, 0, 1};
  lt_geometry_voxel_to_mm(&v->geom, ijk, mm);
  assert_float_equal(mm[2], -159.0, 1e-6);
  assert_float_equal(info.slice_thickness, 10.0, 1e-6);
  lt_dicom_pixels px;
  if (lt_dicom_decode_frames(p, NULL, &px, &err)) fail_msg("%s", err.msg);
  size_t n = 512 * 512;
  for (size_t k = 0; k < n; k += 997) {
    int want0 = px.data[n + k] - 1024, want1 = px.data[k] - 1024; /* slice 0 = frame 1 */
    if (want0 < -1024) want0 = -1024;
    if (want1 < -1024) want1 = -1024;
    assert_int_equal(v->hu[k], want0);
    assert_int_equal(v->hu[n + k], want1);
  }
  lt_dicom_pixels_free(&px);
  lt_volume_free(v);
  lt_series_info_free(&info);
}


/* LIDC-IDRI-0001 stores PixelPaddingValue as US 63536 on signed pixels: it means -2000. */
static void padding_read_in_the_pixels_signedness(void **state) {
  (void)state;
  assert_int_equal(lt_dicom_stored_value(63536, 16, 1), -2000);
  assert_int_equal(lt_dicom_stored_value(63536, 16, 0), 63536);
  assert_int_equal(lt_dicom_stored_value(0xFFF, 12, 1), -1);
  assert_int_equal(lt_dicom_stored_value(0xF7FF, 12, 1), 2047); /* bits above BitsStored ignored */
  char dir[4400];
  if (!lt_test_lidc0001_dir(dir, sizeof dir)) skip();
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  char p[8600] = "";
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".dcm")) {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      break;
    }
  closedir(d);
  lt_dicom_header h;
  lt_error err = {{0}};
  if (lt_dicom_read_header(p, &h, &err)) fail_msg("%s", err.msg);
  assert_true(h.has_padding);
  assert_int_equal(h.padding, -2000);
  assert_true(h.pixel_signed);
  assert_float_equal(h.frame[0].intercept, -1024, 1e-9);
  lt_dicom_header_free(&h);
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return b;
}

/* Patches the value of a US element (explicit VR little endian) in a file image. */
static void patch_us(unsigned char *b, size_t n, uint16_t group, uint16_t elem, uint16_t value) {
  for (size_t i = 132; i + 10 <= n; i++)
    if (b[i] == (group & 0xFF) && b[i + 1] == group >> 8 && b[i + 2] == (elem & 0xFF) &&
        b[i + 3] == elem >> 8 && b[i + 4] == 'U' && b[i + 5] == 'S' && b[i + 6] == 2) {
      b[i + 8] = value & 0xFF;
      b[i + 9] = value >> 8;
      return;
    }
  fail_msg("element (%04x,%04x) not found", group, elem);
}

/* Rows = Columns = 65535 with 16-bit samples: 4.3e9 samples, over the 2^31 limit; refused before
 * any allocation. Rows 0 is refused too. */
static void huge_or_zero_dimensions_refused(void **state) {
  (void)state;
  char p[4400];
  size_t n;
  unsigned char *b = slurp(case_path(p, sizeof p, PD "CT_small.dcm"), &n);
  patch_us(b, n, 0x0028, 0x0010, 65535);
  patch_us(b, n, 0x0028, 0x0011, 65535);
  lt_dicom_pixels px;
  lt_error err = {{0}};
  assert_int_equal(lt_dicom_decode_buffer(b, n, NULL, &px, &err), -1);
  assert_contains("huge", err.msg, "over the 2^31 limit");
  assert_null(px.data);
  patch_us(b, n, 0x0028, 0x0010, 0);
  assert_int_equal(lt_dicom_decode_buffer(b, n, NULL, &px, &err), -1);
  assert_contains("zero", err.msg, "Rows 0");
  free(b);
}

/* A file cut inside its pixel data, and a header whose size asks for more pixels than stored. */
static void cut_pixel_data_refused(void **state) {
  (void)state;
  char p[4400];
  size_t n;
  unsigned char *b = slurp(case_path(p, sizeof p, PD "CT_small.dcm"), &n);
  lt_dicom_pixels px;
  lt_error err = {{0}};
  assert_int_equal(lt_dicom_decode_buffer(b, n - 5000, NULL, &px, &err), -1);
  assert_one_line("cut", err.msg);
  assert_contains("cut", err.msg, "truncated");
  patch_us(b, n, 0x0028, 0x0010, 256); /* 256 rows where 128 are stored */
  assert_int_equal(lt_dicom_decode_buffer(b, n, NULL, &px, &err), -1);
  assert_contains("rows", err.msg, "pixel data truncated");
  free(b);
}

int main(void) {
  const char *sd = lt_test_shared_data();
  char probe[4400];
  if (!sd || !lt_test_data_path(probe, sizeof probe, "dicom")) {
    printf("skip: ../shared/data/dicom not found (set LT_SHARED_DATA)\n");
    return LT_TEST_SKIP;
  }
  snprintf(root, sizeof root, "%s", sd);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_shared_dicom_file_has_an_expected_outcome),
      cmocka_unit_test(decodes_every_image_file_to_its_twin),
      cmocka_unit_test(buffer_decode_matches_file_decode),
      cmocka_unit_test(decodes_like_pydicom_where_pydicom_decodes),
      cmocka_unit_test(builds_volumes_only_from_ct_files),
      cmocka_unit_test(ct1_hu_is_rescaled_with_padding_as_air),
      cmocka_unit_test(enhanced_ct_frames_sorted_along_normal),
      cmocka_unit_test(padding_read_in_the_pixels_signedness),
      cmocka_unit_test(huge_or_zero_dimensions_refused),
      cmocka_unit_test(cut_pixel_data_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
