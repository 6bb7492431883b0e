/* tests/ct/test-dicom-encodings.c — encodings made at run time from the shared CT files, each
 * decoded against its uncompressed twin:
 * - fragments: every encapsulated syntax with its frames split over many small fragments, so an
 *   RLE segment or a JPEG scan crosses fragment boundaries (DCMTK's dcmcrle, dcmcjpeg, dcmcjpls
 *   with +fs; pydicom re-fragmenting at odd sizes for JPEG 2000 and RLE), single- and multi-frame,
 *   with and without a basic offset table: exact for the lossless syntaxes, |diff| <= NEAR for
 *   JPEG-LS near-lossless, exact against the same lossy JPEG codestream in one fragment. Before the fix, DCMTK's RLE frame decoder read a frame only from its
 *   first fragment: an error when an early segment crossed into the next fragment, and, when only
 *   the last one did (32 KiB fragments and up on a CT slice), the rest of that byte plane filled
 *   with its last value and no error: stored values up to 255 off.
 * - un: a CT slice whose Modality, SliceThickness, ImagePositionPatient and RescaleIntercept are
 *   stored with VR UN reads as CT with the values of the original (before: "modality 43, not CT").
 * Argument: "fragments" or "un". Needs DCMTK's command-line tools (and /usr/bin/python3 with
 * pydicom for the re-fragmented cases); says why it skips without them. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ct/dicom.h"
#include "ct/series.h"
#include "lt-test.h"

static char shared[4096], lidc_slice[4400], midrc_slice[4400];
static char tmp[512];

/* The first .dcm in a folder, in name order. */
static int first_dcm(const char *dir, const char *want, char *out, size_t n) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  char best[256] = "";
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".dcm") && (!want || strcmp(e->d_name, want) == 0) &&
        (!best[0] || strcmp(e->d_name, best) < 0))
      snprintf(best, sizeof best, "%s", e->d_name);
  closedir(d);
  if (!best[0]) return 0;
  snprintf(out, n, "%s/%s", dir, best);
  return 1;
}

static int have(const char *tool) {
  char cmd[256], out[256];
  snprintf(cmd, sizeof cmd, "command -v %s", tool);
  return lt_test_run(cmd, out, sizeof out) == 0;
}

/* ---- fragments ---- */

typedef struct {
  const char *what;  /* encoding, fragment size */
  const char *src;   /* "lidc", "midrc", or a path under dicom/ */
  const char *cmd;   /* {S} = source, {O} = output, {T} = a scratch file, {R} = source root */
  int bound;         /* max |decoded - twin|: 0 for lossless */
  int python;        /* needs /usr/bin/python3 with pydicom */
  const char *twin;  /* lossy: the same encoder with one fragment per frame ({O}: its output),
                        so the twin is the same codestream unsplit and the match is exact */
} lt_frag_case;

#define CT12 "dicomParser/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm"
#define IM1 "dicomParser/encapsulated/multi-frame/IM00001.implicit_little_endian.dcm"
#define CT12_RLE "dicomParser/encapsulated/multi-frame/CT0012.not_fragmented_bot_rle.dcm"
#define J2KI "pydicom/693_J2KI.dcm"
#define NM_J2K "pydicom/JPEG2000.dcm"
#define REFRAG "/usr/bin/python3 {R}/tests/ct/dicom-refragment.py"

static const lt_frag_case frag_cases[] = {
    {"RLE, 1 KiB fragments, LIDC slice", "lidc", "dcmcrle +fs 1 {S} {O}", 0, 0, NULL},
    {"RLE, 8 KiB fragments, LIDC slice", "lidc", "dcmcrle +fs 8 {S} {O}", 0, 0, NULL},
    {"RLE, 32 KiB fragments, LIDC slice", "lidc", "dcmcrle +fs 32 {S} {O}", 0, 0, NULL},
    {"RLE, 64 KiB fragments, LIDC slice", "lidc", "dcmcrle +fs 64 {S} {O}", 0, 0, NULL},
    {"RLE, 2 KiB fragments, MIDRC slice", "midrc", "dcmdjpeg {S} {T} && dcmcrle +fs 2 {T} {O}", 0, 0, NULL},
    {"RLE, 48 KiB fragments, MIDRC slice", "midrc", "dcmdjpeg {S} {T} && dcmcrle +fs 48 {T} {O}", 0, 0, NULL},
    {"RLE, 128 KiB fragments, MIDRC slice", "midrc", "dcmdjpeg {S} {T} && dcmcrle +fs 128 {T} {O}", 0, 0, NULL},
    {"RLE, 4 KiB fragments, 2 frames, offset table", CT12, "dcmcrle +fs 4 {S} {O}", 0, 0, NULL},
    {"RLE, 4 KiB fragments, 2 frames, no offset table", CT12, "dcmcrle +fs 4 -ot {S} {O}", 0, 0, NULL},
    {"RLE, 998 B fragments, 2 frames, no offset table", CT12_RLE, REFRAG " {S} {O} 998 nobot", 0, 1, NULL},
    {"RLE, 1002 B fragments, 2 frames, offset table", CT12_RLE, REFRAG " {S} {O} 1002 bot", 0, 1, NULL},
    {"RLE, 4 KiB fragments, 8 frames of 8-bit colour", IM1, "dcmcrle +fs 4 {S} {O}", 0, 0, NULL},
    {"JPEG lossless SV1, 2 KiB fragments, LIDC slice", "lidc", "dcmcjpeg +e1 +fs 2 {S} {O}", 0, 0, NULL},
    {"JPEG lossless, 2 KiB fragments, 2 frames", CT12, "dcmcjpeg +el +fs 2 {S} {O}", 0, 0, NULL},
    {"JPEG lossless (original), 2 KiB fragments, MIDRC slice", "midrc", "dcmdjpeg {S} {T} && dcmcjpeg +e1 +fs 2 {T} {O}", 0, 0, NULL},
    {"JPEG-LS lossless, 2 KiB fragments, LIDC slice", "lidc", "dcmcjpls +fs 2 {S} {O}", 0, 0, NULL},
    {"JPEG-LS lossless, 2 KiB fragments, 2 frames, no offset table", CT12, "dcmcjpls +fs 2 -ot {S} {O}", 0, 0, NULL},
    {"JPEG extended 12-bit (lossy), 2 KiB fragments, 2 frames", CT12, "dcmcjpeg +ee +fs 2 {S} {O}", 0, 0, "dcmcjpeg +ee {S} {O}"},
    {"JPEG baseline (lossy), 2 KiB fragments, 8 colour frames", IM1, "dcmcjpeg +eb +fs 2 {S} {O}", 0, 0, "dcmcjpeg +eb {S} {O}"},
    {"JPEG-LS near-lossless NEAR 2, 2 KiB fragments, 2 frames", CT12, "dcmcjpls +en +md 2 +fs 2 {S} {O}", 2, 0, NULL},
    {"JPEG 2000, 100 B fragments, offset table", J2KI, REFRAG " {S} {O} 100 bot", 0, 1, NULL},
    {"JPEG 2000, 62 B fragments, no offset table", NM_J2K, REFRAG " {S} {O} 62 nobot", 0, 1, NULL},
};
#define NFRAG ((int)(sizeof frag_cases / sizeof frag_cases[0]))

static const char *source_of(const lt_frag_case *c, char *buf, size_t n) {
  if (!strcmp(c->src, "lidc")) return lidc_slice;
  if (!strcmp(c->src, "midrc")) return midrc_slice;
  snprintf(buf, n, "%s/dicom/%s", shared, c->src);
  return buf;
}

/* The command line of a case: its template with {S}, {O}, {T}, {R} replaced. */
static void expand(char *out, size_t n, const char *tpl, const char *src, const char *dst,
                   const char *scratch, const char *root) {
  size_t len = 0;
  for (const char *p = tpl; *p && len + 1 < n; p++) {
    const char *v = NULL;
    if (p[0] == '{' && p[1] && p[2] == '}') {
      v = p[1] == 'S' ? src : p[1] == 'O' ? dst : p[1] == 'T' ? scratch : p[1] == 'R' ? root : NULL;
      if (v) {
        len += (size_t)snprintf(out + len, n - len, "%s", v);
        if (len >= n) len = n - 1;
        p += 2;
        continue;
      }
    }
    out[len++] = *p;
  }
  out[len] = '\0';
}

/* Every case runs and prints its maximum difference; the test fails at the end if any case
 * failed, so one run gives the whole table. */
static void fragmented_encodings_match_uncompressed_twins(void **state) {
  (void)state;
  const char *root = getenv("LT_SOURCE_ROOT");
  if (!have("dcmcrle") || !have("dcmcjpeg") || !have("dcmcjpls") || !have("dcmdjpeg")) {
    print_message("DCMTK's command-line tools (dcmcrle, dcmcjpeg, dcmcjpls) are not on PATH\n");
    skip();
  }
  char out[256];
  int py = root && lt_test_run("/usr/bin/python3 -c 'import pydicom'", out, sizeof out) == 0;
  if (!py) print_message("no /usr/bin/python3 with pydicom (or LT_SOURCE_ROOT): re-fragmented cases skipped\n");
  int failed = 0, ran = 0;
  for (int i = 0; i < NFRAG; i++) {
    const lt_frag_case *c = &frag_cases[i];
    if (c->python && !py) continue;
    char sbuf[4400], dst[700], scratch[700], cmd[16384], log[2048];
    const char *src = source_of(c, sbuf, sizeof sbuf);
    snprintf(dst, sizeof dst, "%s/case-%d.dcm", tmp, i);
    snprintf(scratch, sizeof scratch, "%s/scratch-%d.dcm", tmp, i);
    expand(cmd, sizeof cmd, c->cmd, src, dst, scratch, root ? root : ".");
    if (lt_test_run(cmd, log, sizeof log) != 0) fail_msg("%s: '%s' failed: %s", c->what, cmd, log);
    const char *twin = src;
    char twin_path[700];
    if (c->twin) {
      snprintf(twin_path, sizeof twin_path, "%s/twin-%d.dcm", tmp, i);
      expand(cmd, sizeof cmd, c->twin, src, twin_path, scratch, root ? root : ".");
      if (lt_test_run(cmd, log, sizeof log) != 0) fail_msg("%s: '%s' failed: %s", c->what, cmd, log);
      twin = twin_path;
    }
    lt_dicom_header h;
    lt_dicom_pixels px, tw;
    lt_error err = {{0}};
    int rc = lt_dicom_decode_frames(dst, &h, &px, &err);
    if (lt_dicom_decode_frames(twin, NULL, &tw, &err) != 0) fail_msg("twin of %s: %s", c->what, err.msg);
    ran++;
    if (rc != 0) {
      print_message("%-62s %s: decode failed: %s\n", c->what, h.transfer_syntax, err.msg);
      failed++;
      lt_dicom_pixels_free(&tw);
      continue;
    }
    /* how many fragments: the reader must really have met a split frame */
    char dump[64];
    snprintf(cmd, sizeof cmd, "dcmdump +P PixelData %s | grep -c 'pi '", dst);
    lt_test_run(cmd, dump, sizeof dump);
    int nfrag = atoi(dump) - 1; /* minus the offset table */
    assert_int_equal(px.rows, tw.rows);
    assert_int_equal(px.cols, tw.cols);
    assert_int_equal(px.frames, tw.frames);
    size_t n = (size_t)px.rows * px.cols * px.frames * px.samples, nbad = 0, first = n;
    long mx = 0;
    for (size_t k = 0; k < n; k++) {
      long d = labs((long)px.data[k] - tw.data[k]);
      if (d > mx) mx = d;
      if (d > c->bound) {
        nbad++;
        if (first == n) first = k;
      }
    }
    print_message("%-62s %2d fragments, %d frame(s): max |diff| %ld (bound %d)%s\n", c->what,
                  nfrag, px.frames, mx, c->bound, nbad ? "  FAIL" : "");
    if (nbad) {
      print_message("    %zu of %zu values over the bound, first at sample %zu\n", nbad, n, first);
      failed++;
    }
    if (nfrag < 2 * px.frames) {
      print_message("    the encoder did not split the frames (%d fragments)\n", nfrag);
      failed++;
    }
    lt_dicom_pixels_free(&px);
    lt_dicom_pixels_free(&tw);
    lt_dicom_header_free(&h);
  }
  print_message("%d of %d fragmented encodings decoded as their twins\n", ran - failed, ran);
  assert_int_equal(failed, 0);
  assert_true(ran >= 12);
}

/* ---- VR UN ---- */

/* Rewrites an explicit-VR little-endian element with a 2-byte length (tag, VR, length: 8 bytes)
 * as the same value with VR UN (tag, "UN", 2 reserved bytes, 4-byte length: 12 bytes), as a
 * converter that did not know the tag writes it. Returns the new size. */
static size_t to_un(unsigned char *b, size_t n, size_t cap, uint16_t group, uint16_t elem) {
  for (size_t i = 132; i + 8 <= n; i++) {
    if (!(b[i] == (group & 0xFF) && b[i + 1] == group >> 8 && b[i + 2] == (elem & 0xFF) &&
          b[i + 3] == elem >> 8 && b[i + 4] >= 'A' && b[i + 4] <= 'Z' && b[i + 5] >= 'A' &&
          b[i + 5] <= 'Z'))
      continue;
    unsigned len = (unsigned)(b[i + 6] | b[i + 7] << 8);
    assert_true(n + 4 <= cap);
    memmove(b + i + 12, b + i + 8, n - (i + 8));
    memcpy(b + i + 4, "UN\0\0", 4);
    b[i + 8] = len & 0xFF;
    b[i + 9] = (len >> 8) & 0xFF;
    b[i + 10] = b[i + 11] = 0;
    return n + 4;
  }
  fail_msg("element (%04x,%04x) not found", group, elem);
  return n;
}

static void un_elements_read_by_their_dictionary_vr(void **state) {
  (void)state;
  FILE *f = fopen(lidc_slice, "rb");
  assert_non_null(f);
  size_t cap = 1 << 20;
  unsigned char *b = malloc(cap);
  assert_non_null(b);
  size_t n = fread(b, 1, cap - 64, f);
  fclose(f);
  n = to_un(b, n, cap, 0x0008, 0x0060); /* Modality CS "CT" */
  n = to_un(b, n, cap, 0x0018, 0x0050); /* SliceThickness DS */
  n = to_un(b, n, cap, 0x0020, 0x0032); /* ImagePositionPatient DS\DS\DS */
  n = to_un(b, n, cap, 0x0028, 0x1052); /* RescaleIntercept DS */
  char path[700];
  snprintf(path, sizeof path, "%s/un.dcm", tmp);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
  free(b);
  char cmd[1600], dump[4096];
  snprintf(cmd, sizeof cmd, "dcmdump %s | grep -E '\\(0008,0060\\)|\\(0028,1052\\)'", path);
  if (have("dcmdump") && lt_test_run(cmd, dump, sizeof dump) == 0)
    print_message("as stored (dcmdump reads UN as such):\n%s", dump);

  lt_dicom_header h, ref;
  lt_error err = {{0}};
  if (lt_dicom_read_header(path, &h, &err)) fail_msg("%s", err.msg);
  if (lt_dicom_read_header(lidc_slice, &ref, &err)) fail_msg("%s", err.msg);
  print_message("modality '%s', thickness %g, z %g, intercept %g\n", h.modality,
                h.frame[0].thickness, h.frame[0].ipp[2], h.frame[0].intercept);
  assert_string_equal(h.modality, "CT");
  assert_true(h.frame[0].has_ipp);
  for (int r = 0; r < 3; r++) assert_float_equal(h.frame[0].ipp[r], ref.frame[0].ipp[r], 1e-9);
  assert_float_equal(h.frame[0].thickness, 2.5, 1e-9);
  assert_float_equal(h.frame[0].intercept, -1024, 1e-9);
  lt_dicom_header_free(&h);
  lt_dicom_header_free(&ref);

  lt_volume *v = NULL, *w = NULL;
  if (lt_series_read(path, NULL, &v, NULL, &err)) fail_msg("UN file: %s", err.msg);
  if (lt_series_read(lidc_slice, NULL, &w, NULL, &err)) fail_msg("%s", err.msg);
  assert_string_equal(v->modality, "CT");
  assert_float_equal(v->geom.origin[2], w->geom.origin[2], 1e-9);
  assert_memory_equal(v->hu, w->hu, lt_geometry_count(&w->geom) * sizeof *w->hu);
  lt_volume_free(v);
  lt_volume_free(w);
}

int main(int argc, char **argv) {
  const char *sd = lt_test_shared_data();
  char dir[4400];
  if (!sd || !lt_test_lidc0001_dir(dir, sizeof dir) || !first_dcm(dir, "000066.dcm", lidc_slice, sizeof lidc_slice)) {
    printf("skip: ../shared/data with LIDC-IDRI-0001 not found (set LT_SHARED_DATA)\n");
    return LT_TEST_SKIP;
  }
  snprintf(shared, sizeof shared, "%s", sd);
  char mdir[4400];
  if (!lt_test_data_path(mdir, sizeof mdir, "ct/MIDRC-RICORD-1A-419639") ||
      !first_dcm(mdir, "1-170.dcm", midrc_slice, sizeof midrc_slice)) {
    printf("skip: ../shared/data/ct/MIDRC-RICORD-1A-419639 not found\n");
    return LT_TEST_SKIP;
  }
  if (!lt_test_tmpdir(tmp, sizeof tmp)) {
    printf("no temporary folder\n");
    return 1;
  }
  const char *what = argc > 1 ? argv[1] : "fragments";
  const struct CMUnitTest frag[] = {cmocka_unit_test(fragmented_encodings_match_uncompressed_twins)};
  const struct CMUnitTest un[] = {cmocka_unit_test(un_elements_read_by_their_dictionary_vr)};
  if (!strcmp(what, "un")) return cmocka_run_group_tests(un, NULL, NULL);
  return cmocka_run_group_tests(frag, NULL, NULL);
}
