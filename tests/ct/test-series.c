/* tests/ct/test-series.c — lt_series_read on LIDC-IDRI-0001 (geometry, HU, the nodule and the
 * lung around it), and on temporary folders built from it: a dropped slice (filled, not closed
 * up), a duplicated slice, a slice with another orientation or pixel spacing, an empty folder, a
 * folder with no CT, a path that does not exist.
 * With the argument "gap" (issue 29): a middle slice deleted, or truncated so that it cannot be
 * read: the volume keeps the complete study's slice positions (the hole filled by interpolation
 * and flagged), lt_series_warning says so, and nodule 1's centroid stays where it is in the
 * complete study; a hole of more slices than LT_SERIES_MAX_FILL is refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-test.h"

static char lidc[4096];
static lt_volume *vol;
static lt_series_info vinfo;

static int cmp_i16(const void *a, const void *b) {
  return *(const int16_t *)a - *(const int16_t *)b;
}

static int setup_lidc(void **state) {
  (void)state;
  lt_error err = {{0}};
  if (lt_series_read(lidc, NULL, &vol, &vinfo, &err)) {
    print_error("%s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown_lidc(void **state) {
  (void)state;
  lt_volume_free(vol);
  lt_series_info_free(&vinfo);
  return 0;
}

static void lidc0001_geometry_133_slices_of_512_at_2_5_mm(void **state) {
  (void)state;
  const lt_geometry *g = &vol->geom;
  assert_int_equal(g->dim[0], 512);
  assert_int_equal(g->dim[1], 512);
  assert_int_equal(g->dim[2], 133);
  assert_float_equal(g->spacing[0], 0.703125, 1e-9);
  assert_float_equal(g->spacing[1], 0.703125, 1e-9);
  assert_float_equal(g->spacing[2], 2.5, 1e-6);
  assert_float_equal(g->origin[0], -166.0, 1e-6);
  assert_float_equal(g->origin[1], -171.7, 1e-6);
  assert_float_equal(g->origin[2], -340.0, 1e-6);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) assert_float_equal(g->dir[3 * r + c], r == c ? 1.0 : 0.0, 1e-9);
  assert_float_equal(vol->slice_pos[0], -340.0, 1e-6);
  assert_float_equal(vol->slice_pos[132], -10.0, 1e-6);
  double ijk[3] = {0, 0, 132}, mm[3];
  lt_geometry_voxel_to_mm(g, ijk, mm);
  assert_float_equal(mm[2], -10.0, 1e-6);
  for (int k = 1; k < 133; k++) {
    assert_float_equal(vol->slice_pos[k] - vol->slice_pos[k - 1], 2.5, 1e-4);
    assert_true(strlen(vol->sop_uid[k]) > 20);
    assert_true(strcmp(vol->sop_uid[k], vol->sop_uid[k - 1]) != 0);
  }
  assert_float_equal(vol->slice_thickness, 2.5, 1e-6);
  assert_string_equal(vol->modality, "CT");
  assert_string_equal(vol->manufacturer, "GE MEDICAL SYSTEMS");
  assert_string_equal(vol->model_name, "LightSpeed Plus");
  assert_string_equal(vol->series_uid,
                      "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192");
  assert_string_equal(vol->study_uid,
                      "1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178");
  /* 133 slices + 069.xml, which is skipped as not DICOM. */
  assert_int_equal(vinfo.n_files, 134);
  assert_int_equal(vinfo.n_skipped_unreadable, 1);
  assert_non_null(strstr(vinfo.skip_example, "069.xml"));
  assert_int_equal(vinfo.n_series, 1);
  assert_int_equal(vinfo.series[0].n_slices, 133);
  assert_string_equal(vinfo.series[0].modality, "CT");
  assert_int_equal(vinfo.n_duplicates, 0);
  assert_int_equal(vinfo.n_uneven_gaps, 0);
  assert_float_equal(vinfo.spacing_positions, 2.5, 1e-6);
  assert_float_equal(vinfo.slice_thickness, 2.5, 1e-6);
}

/* Padding 63536 (US) on signed pixels is -2000 and becomes air; the outside of the scan circle
 * (stored -1024 -> -2048 HU) becomes air; nothing below -1024 is left. */
static void lidc0001_no_value_below_air(void **state) {
  (void)state;
  size_t n = lt_geometry_count(&vol->geom), air = 0;
  int lo = 32767, hi = -32768;
  for (size_t p = 0; p < n; p++) {
    if (vol->hu[p] < lo) lo = vol->hu[p];
    if (vol->hu[p] > hi) hi = vol->hu[p];
    air += vol->hu[p] == LT_HU_AIR;
  }
  assert_int_equal(lo, -1024);
  assert_int_equal(vinfo.hu_min, -1024);
  assert_int_equal(vinfo.hu_max, hi);
  assert_true(hi > 1000 && hi <= 4000); /* bone, and no wrapped padding like 62512 */
  /* The corner of slice 0 lies outside the scan circle: air, not -2048 or -3024. */
  assert_int_equal(vol->hu[0], -1024);
  assert_true(air > n / 10);
}

/* Nodule centre about (56.2, 86.2, -116) mm LPS (data README): soft tissue there; the lung
 * around it (a ring 22-30 mm from the centre in its slice) near -850 HU. */
static void lidc0001_nodule_soft_tissue_lung_around_it(void **state) {
  (void)state;
  const double c_mm[3] = {56.2, 86.2, -116.0};
  double ijk[3];
  lt_geometry_mm_to_voxel(&vol->geom, c_mm, ijk);
  int ci = (int)lround(ijk[0]), cj = (int)lround(ijk[1]), ck = (int)lround(ijk[2]);
  assert_in_range(ci, 297, 340);
  assert_in_range(cj, 340, 391);
  const int nx = 512, ny = 512;
  const int16_t *sl = vol->hu + (size_t)ck * nx * ny;
  int16_t core[25];
  int m = 0;
  for (int dj = -2; dj <= 2; dj++)
    for (int di = -2; di <= 2; di++) core[m++] = sl[(cj + dj) * nx + ci + di];
  qsort(core, 25, sizeof core[0], cmp_i16);
  int core_med = core[12];
  static int16_t ring[20000];
  int nr = 0;
  for (int j = cj - 45; j <= cj + 45; j++)
    for (int i = ci - 45; i <= ci + 45; i++) {
      if (i < 0 || j < 0 || i >= nx || j >= ny) continue;
      double d = hypot((i - ci) * 0.703125, (j - cj) * 0.703125);
      if (d >= 18 && d <= 24 && nr < 20000) ring[nr++] = sl[j * nx + i];
    }
  qsort(ring, (size_t)nr, sizeof ring[0], cmp_i16);
  int ring_med = ring[nr / 2];
  /* The ring also crosses the chest wall the nodule lies against; its lung part (below -400 HU)
   * is the parenchyma. */
  int nlung = 0;
  while (nlung < nr && ring[nlung] < -400) nlung++;
  int lung_med = ring[nlung / 2];
  print_message("nodule centre voxel (%d,%d,%d): median 5x5 %d HU; ring 18-24 mm: median %d HU"
                " over %d voxels, its lung part (%d voxels) %d HU\n", ci, cj, ck, core_med,
                ring_med, nr, nlung, lung_med);
  assert_in_range(core_med + 200, -100 + 200, 200 + 200); /* soft tissue: -100..200 HU */
  assert_in_range(ring_med + 1024, -900 + 1024, -750 + 1024);
  assert_in_range(lung_med + 1024, -900 + 1024, -800 + 1024); /* lung: near -850 */
  assert_true(nlung > nr / 2);
}

/* ---- temporary folders made from LIDC-IDRI-0001 ---- */

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
  char *name[200];
  int n;
} lt_list;

static void list_dcm(const char *dir, lt_list *l) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  l->n = 0;
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".dcm") && l->n < 200) l->name[l->n++] = strdup(e->d_name);
  closedir(d);
  qsort(l->name, (size_t)l->n, sizeof l->name[0], cmp_name);
}

static void free_list(lt_list *l) {
  for (int i = 0; i < l->n; i++) free(l->name[i]);
}

/* Links every LIDC slice into tmp except `skip` (a name or NULL). */
static void link_all(const char *tmp, const lt_list *l, const char *skip) {
  char src[8192], dst[8192];
  for (int i = 0; i < l->n; i++) {
    if (skip && strcmp(l->name[i], skip) == 0) continue;
    snprintf(src, sizeof src, "%s/%s", lidc, l->name[i]);
    snprintf(dst, sizeof dst, "%s/%s", tmp, l->name[i]);
    assert_int_equal(symlink(src, dst), 0);
  }
}

static void remove_dir(const char *tmp) {
  DIR *d = opendir(tmp);
  if (!d) return;
  struct dirent *e;
  char p[8192];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(tmp);
}

/* Copies src to dst, replacing the first occurrence of `from` by `to` (same length). */
static void copy_replacing(const char *src, const char *dst, const char *from, const char *to) {
  FILE *f = fopen(src, "rb");
  assert_non_null(f);
  static unsigned char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  size_t lf = strlen(from);
  assert_int_equal(lf, strlen(to));
  int done = 0;
  for (size_t i = 0; i + lf <= n && !done; i++)
    if (memcmp(buf + i, from, lf) == 0) {
      memcpy(buf + i, to, lf);
      done = 1;
    }
  assert_true(done);
  f = fopen(dst, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, n, f), n);
  fclose(f);
}

/* The slice nearest z = target among the sorted volume (by SOP UID -> file name is unknown, so
 * find the file whose position matches by reading it as a one-file series). */
static const char *file_at_index(const lt_list *l, int k) {
  static char best[256];
  char p[8192];
  for (int i = 0; i < l->n; i++) {
    snprintf(p, sizeof p, "%s/%s", lidc, l->name[i]);
    lt_volume *v = NULL;
    lt_error err;
    if (lt_series_read(p, NULL, &v, NULL, &err)) continue;
    int hit = strcmp(v->sop_uid[0], vol->sop_uid[k]) == 0;
    lt_volume_free(v);
    if (hit) {
      snprintf(best, sizeof best, "%s", l->name[i]);
      return best;
    }
  }
  return NULL;
}

/* A dropped slice leaves a hole of two spacings: filled, so no uneven gap and 133 slices. */
static void dropped_slice_filled_not_closed_up(void **state) {
  (void)state;
  lt_list l;
  list_dcm(lidc, &l);
  assert_int_equal(l.n, 133);
  const char *mid = file_at_index(&l, 60);
  assert_non_null(mid);
  char tmp[512];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  link_all(tmp, &l, mid);
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  int rc = lt_series_read(tmp, NULL, &v, &info, &err);
  if (rc) fail_msg("%s", err.msg);
  assert_int_equal(v->geom.dim[2], 133);
  assert_int_equal(info.n_uneven_gaps, 0);
  assert_int_equal(info.n_filled, 1);
  assert_int_equal(info.n_duplicates, 0);
  assert_float_equal(info.gap_min, 2.5, 1e-4);
  assert_float_equal(info.gap_max, 2.5, 1e-4);
  assert_float_equal(v->geom.spacing[2], 2.5, 1e-4); /* the median gap, not the hole */
  assert_true(v->slice_filled[60]);
  char line[256];
  assert_int_equal(lt_series_info_line(&info, line, sizeof line), 1);
  print_message("%s\n", line);
  assert_non_null(strstr(line, "133 slices, spacing 2.5 mm from positions"));
  assert_non_null(strstr(line, "1 missing slice filled by interpolation"));
  lt_volume_free(v);
  lt_series_info_free(&info);
  remove_dir(tmp);
  free_list(&l);
}

static void duplicate_position_reported_and_dropped(void **state) {
  (void)state;
  lt_list l;
  list_dcm(lidc, &l);
  char tmp[512], src[8192], dst[8192];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  link_all(tmp, &l, NULL);
  /* A second copy of one slice under another name (and another SOP UID's worth of bytes is not
   * needed: the position is what repeats). */
  snprintf(src, sizeof src, "%s/%s", lidc, l.name[40]);
  snprintf(dst, sizeof dst, "%s/zz-duplicate.dcm", tmp);
  copy_replacing(src, dst, "DICM", "DICM");
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  if (lt_series_read(tmp, NULL, &v, &info, &err)) fail_msg("%s", err.msg);
  assert_int_equal(info.n_duplicates, 1);
  char line[256];
  assert_int_equal(lt_series_info_line(&info, line, sizeof line), 1);
  assert_non_null(strstr(line, "1 duplicate position dropped"));
  assert_int_equal(info.series[0].n_slices, 134);
  assert_int_equal(v->geom.dim[2], 133);
  assert_int_equal(info.n_uneven_gaps, 0);
  assert_float_equal(v->geom.spacing[2], 2.5, 1e-6);
  lt_volume_free(v);
  lt_series_info_free(&info);
  remove_dir(tmp);
  free_list(&l);
}

static void inconsistent_geometry_refused(const char *from, const char *to, const char *what) {
  lt_list l;
  list_dcm(lidc, &l);
  char tmp[512], src[8192], dst[8192];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  link_all(tmp, &l, l.name[70]);
  snprintf(src, sizeof src, "%s/%s", lidc, l.name[70]);
  snprintf(dst, sizeof dst, "%s/%s", tmp, l.name[70]);
  copy_replacing(src, dst, from, to);
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(tmp, NULL, &v, NULL, &err), -1);
  assert_null(v);
  print_message("%s\n", err.msg);
  assert_non_null(strstr(err.msg, "inconsistent geometry"));
  assert_non_null(strstr(err.msg, what));
  assert_null(strchr(err.msg, '\n'));
  remove_dir(tmp);
  free_list(&l);
}

static void other_orientation_in_series_refused(void **state) {
  (void)state;
  inconsistent_geometry_refused("1.000000\\0.000000\\0.000000\\0.000000\\1.000000\\0.000000",
                                "0.999848\\0.017452\\0.000000\\-.017452\\0.999848\\0.000000",
                                "ImageOrientationPatient");
}

static void other_pixel_spacing_in_series_refused(void **state) {
  (void)state;
  inconsistent_geometry_refused("0.703125\\0.703125", "0.703125\\0.800000", "PixelSpacing");
}

static void empty_folder_refused(void **state) {
  (void)state;
  char tmp[512];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(tmp, NULL, &v, NULL, &err), -1);
  assert_null(v);
  assert_non_null(strstr(err.msg, "empty folder"));
  rmdir(tmp);
}

static void folder_without_ct_refused(void **state) {
  (void)state;
  char tmp[512], src[8192], dst[8192];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  const char *rel[] = {"dicom/pydicom/MR_small.dcm", "dicom/pydicom/rtdose.dcm",
                       "dicom/dicomParser/deflate/report_dfl"};
  for (int i = 0; i < 3; i++) {
    assert_non_null(lt_test_data_path(src, sizeof src, rel[i]));
    snprintf(dst, sizeof dst, "%s/f%d", tmp, i);
    assert_int_equal(symlink(src, dst), 0);
  }
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(tmp, NULL, &v, &info, &err), -1);
  print_message("%s\n", err.msg);
  assert_non_null(strstr(err.msg, "no CT series"));
  assert_non_null(strstr(err.msg, "MR 1 slice"));
  assert_non_null(strstr(err.msg, "RTDOSE 15 slices"));
  assert_int_equal(info.n_series, 2);
  assert_int_equal(info.n_skipped_no_image, 1);
  /* Naming the MR series explicitly is refused too: a volume is built only from CT. */
  char uid[LT_UID_MAX];
  snprintf(uid, sizeof uid, "%s", strcmp(info.series[0].modality, "MR") == 0
                                      ? info.series[0].uid : info.series[1].uid);
  lt_series_info_free(&info);
  assert_int_equal(lt_series_read(tmp, uid, &v, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "is MR, not CT"));
  remove_dir(tmp);
}

static void missing_path_refused(void **state) {
  (void)state;
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read("/nonexistent/lt-no-such-study", NULL, &v, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "cannot open"));
  assert_int_equal(lt_series_read(lidc, "1.2.3.4.5", &v, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "no series 1.2.3.4.5"));
}

/* lt_series_list over the whole shared data: the LIDC series with 133 slices, and others. */
static void series_list_finds_every_series(void **state) {
  (void)state;
  const char *root = lt_test_shared_data();
  lt_series_summary *s = NULL;
  int n = 0;
  lt_error err = {{0}};
  if (lt_series_list(root, &s, &n, &err)) fail_msg("%s", err.msg);
  int lidc_found = 0, mr = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(s[i].uid, vol->series_uid) == 0) {
      lidc_found = 1;
      assert_int_equal(s[i].n_slices, 133);
      assert_int_equal(s[i].n_files, 133);
    }
    mr += strcmp(s[i].modality, "MR") == 0;
  }
  assert_true(lidc_found);
  assert_true(mr >= 1);
  assert_true(n >= 8);
  free(s);
}


/* Slices are decoded by several threads in whatever order they get them: the volume must not
 * depend on it. */
static void parallel_decode_gives_the_same_volume_each_time(void **state) {
  (void)state;
  assert_true(lt_series_threads() >= 1);
  for (int run = 0; run < 3; run++) {
    lt_volume *v = NULL;
    lt_error err = {{0}};
    if (lt_series_read(lidc, NULL, &v, NULL, &err)) fail_msg("%s", err.msg);
    assert_memory_equal(v->hu, vol->hu, lt_geometry_count(&vol->geom) * sizeof(int16_t));
    assert_memory_equal(v->slice_pos, vol->slice_pos, 133 * sizeof(double));
    for (int k = 0; k < 133; k++) assert_string_equal(v->sop_uid[k], vol->sop_uid[k]);
    lt_volume_free(v);
  }
}


/* ---- a tiny CT slice written by hand: the HU rules on known values ---- */

typedef struct {
  unsigned char b[4096];
  size_t n;
} lt_buf;

static void put(lt_buf *o, const void *p, size_t n) {
  assert_true(o->n + n <= sizeof o->b);
  memcpy(o->b + o->n, p, n);
  o->n += n;
}

/* One explicit VR little endian element; value padded to even length with pad. */
static void elem(lt_buf *o, uint16_t g, uint16_t e, const char *vr, const void *v, size_t len,
                 char pad) {
  unsigned char h[12] = {(unsigned char)g, (unsigned char)(g >> 8), (unsigned char)e,
                         (unsigned char)(e >> 8), (unsigned char)vr[0], (unsigned char)vr[1]};
  size_t plen = len + (len & 1);
  int lng = !strcmp(vr, "OB") || !strcmp(vr, "OW") || !strcmp(vr, "SQ") || !strcmp(vr, "UN");
  if (lng) {
    h[8] = (unsigned char)plen;
    h[9] = (unsigned char)(plen >> 8);
    h[10] = (unsigned char)(plen >> 16);
    put(o, h, 12);
  } else {
    h[6] = (unsigned char)plen;
    h[7] = (unsigned char)(plen >> 8);
    put(o, h, 8);
  }
  put(o, v, len);
  if (len & 1) put(o, &pad, 1);
}

static void str(lt_buf *o, uint16_t g, uint16_t e, const char *vr, const char *v) {
  elem(o, g, e, vr, v, strlen(v), strcmp(vr, "UI") ? ' ' : '\0');
}

static void us(lt_buf *o, uint16_t g, uint16_t e, uint16_t v) {
  unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
  elem(o, g, e, "US", b, 2, 0);
}

static void ss(lt_buf *o, uint16_t g, uint16_t e, int16_t v) {
  uint16_t u = (uint16_t)v;
  unsigned char b[2] = {(unsigned char)u, (unsigned char)(u >> 8)};
  elem(o, g, e, "SS", b, 2, 0);
}

/* A 4x1 signed CT slice with the given stored values, padding range and rescale. */
static void write_slice(const char *path, const int16_t v[4], const char *slope, const char *icpt) {
  lt_buf meta = {{0}, 0}, ds = {{0}, 0}, file = {{0}, 0};
  unsigned char ver[2] = {0, 1};
  elem(&meta, 0x0002, 0x0001, "OB", ver, 2, 0);
  str(&meta, 0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.2");
  str(&meta, 0x0002, 0x0003, "UI", "1.2.3.4.5.6.7");
  str(&meta, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
  str(&ds, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2");
  str(&ds, 0x0008, 0x0018, "UI", "1.2.3.4.5.6.7");
  str(&ds, 0x0008, 0x0060, "CS", "CT");
  str(&ds, 0x0018, 0x0050, "DS", "1.25");
  str(&ds, 0x0020, 0x000E, "UI", "1.2.3.4.5.6");
  str(&ds, 0x0020, 0x0032, "DS", "-10\\20\\-30.5");
  str(&ds, 0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0");
  us(&ds, 0x0028, 0x0002, 1);
  str(&ds, 0x0028, 0x0004, "CS", "MONOCHROME2");
  us(&ds, 0x0028, 0x0010, 1);
  us(&ds, 0x0028, 0x0011, 4);
  str(&ds, 0x0028, 0x0030, "DS", "0.5\\0.25");
  us(&ds, 0x0028, 0x0100, 16);
  us(&ds, 0x0028, 0x0101, 16);
  us(&ds, 0x0028, 0x0102, 15);
  us(&ds, 0x0028, 0x0103, 1);
  ss(&ds, 0x0028, 0x0120, -2000); /* PixelPaddingValue */
  ss(&ds, 0x0028, 0x0121, -1500); /* PixelPaddingRangeLimit */
  str(&ds, 0x0028, 0x1052, "DS", icpt);
  str(&ds, 0x0028, 0x1053, "DS", slope);
  unsigned char px[8];
  for (int i = 0; i < 4; i++) {
    px[2 * i] = (unsigned char)(uint16_t)v[i];
    px[2 * i + 1] = (unsigned char)((uint16_t)v[i] >> 8);
  }
  elem(&ds, 0x7FE0, 0x0010, "OW", px, 8, 0);
  unsigned char pre[128] = {0};
  put(&file, pre, 128);
  put(&file, "DICM", 4);
  uint32_t gl = (uint32_t)meta.n;
  unsigned char glv[4] = {(unsigned char)gl, (unsigned char)(gl >> 8), 0, 0};
  elem(&file, 0x0002, 0x0000, "UL", glv, 4, 0);
  put(&file, meta.b, meta.n);
  put(&file, ds.b, ds.n);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(file.b, 1, file.n, f), file.n);
  fclose(f);
}

/* Stored values in [-2000, -1500] (padding value to range limit) are air whatever the rescale;
 * others are value*slope + intercept rounded, then clamped at -1024. PixelSpacing 0.5\0.25 is
 * rows\columns: the column spacing (along i) is 0.25. */
static void padding_range_and_rescale_rules(void **state) {
  (void)state;
  char tmp[512], p[700];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(p, sizeof p, "%s/slice.dcm", tmp);
  const int16_t v[4] = {-1800, -1400, 0, 100};
  lt_volume *vol1 = NULL;
  lt_error err = {{0}};
  write_slice(p, v, "1", "1000");
  if (lt_series_read(p, NULL, &vol1, NULL, &err)) fail_msg("%s", err.msg);
  assert_int_equal(vol1->hu[0], -1024); /* padding range */
  assert_int_equal(vol1->hu[1], -400);
  assert_int_equal(vol1->hu[2], 1000);
  assert_int_equal(vol1->hu[3], 1100);
  assert_float_equal(vol1->geom.spacing[0], 0.25, 1e-12);
  assert_float_equal(vol1->geom.spacing[1], 0.5, 1e-12);
  assert_float_equal(vol1->geom.spacing[2], 1.25, 1e-12); /* one slice: SliceThickness */
  assert_float_equal(vol1->geom.origin[2], -30.5, 1e-12);
  lt_volume_free(vol1);
  write_slice(p, v, "0.5", "-1024.25");
  if (lt_series_read(p, NULL, &vol1, NULL, &err)) fail_msg("%s", err.msg);
  assert_int_equal(vol1->hu[0], -1024);
  assert_int_equal(vol1->hu[1], -1024); /* -1724.25 clamped to air */
  assert_int_equal(vol1->hu[2], -1024);
  assert_int_equal(vol1->hu[3], -974);  /* 50 - 1024.25 = -974.25 -> -974 */
  lt_volume_free(vol1);
  unlink(p);
  rmdir(tmp);
}

/* ---- issue 29: a missing or damaged slice in the middle ---- */

/* Nodule 1 (the large one) of the readings in dir, read against v: its centroid, mm. */
static void nodule1_centroid(const char *dir, const lt_volume *v, double mm[3]) {
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  lt_error err = {{0}};
  if (lt_lidc_read_for_series(dir, v->series_uid, &doc, &err)) fail_msg("%s", err.msg);
  assert_non_null(doc);
  if (lt_nodules_build(doc, v, NULL, &set, &err)) fail_msg("%s", err.msg);
  assert_true(set->n_nodules >= 1);
  assert_true(set->nodules[0].large);
  memcpy(mm, set->nodules[0].centroid_mm, sizeof(double) * 3);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
}

/* tmp holds the study with slice k absent or damaged (and the XML readings): the volume has the
 * complete study's 133 positions, slice k filled (the mean of its neighbours) and flagged, the
 * warning names it, nodule 1 is where it is in the complete study. */
static void check_hole_filled(const char *tmp, int k, const char *why) {
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  if (lt_series_read(tmp, NULL, &v, &info, &err)) fail_msg("%s", err.msg);
  char line[512];
  int facts = lt_series_warning(&info, line, sizeof line);
  print_message("slice %d %s: %d slices; warning: %s\n", k, why, v->geom.dim[2], line);
  assert_int_equal(v->geom.dim[2], 133);
  assert_true(facts >= 1);
  assert_null(strchr(line, '\n'));
  assert_non_null(strstr(line, "1 slice missing from the series"));
  char at[64];
  snprintf(at, sizeof at, "at %g mm", vol->slice_pos[k]);
  assert_non_null(strstr(line, at));
  assert_int_equal(info.n_filled, 1);
  assert_int_equal(info.n_uneven_gaps, 0);
  assert_float_equal(v->geom.spacing[2], 2.5, 1e-6);
  for (int r = 0; r < 3; r++) assert_float_equal(v->geom.origin[r], vol->geom.origin[r], 1e-6);
  for (int j = 0; j < 133; j++) {
    assert_float_equal(v->slice_pos[j], vol->slice_pos[j], 1e-4);
    assert_int_equal(v->slice_filled[j], j == k);
    if (j != k) assert_string_equal(v->sop_uid[j], vol->sop_uid[j]);
  }
  assert_string_equal(v->sop_uid[k], "");
  size_t npix = 512 * 512;
  for (size_t p = 0; p < npix; p += 101) {
    int want = (int)lround(0.5 * vol->hu[(size_t)(k - 1) * npix + p] +
                           0.5 * vol->hu[(size_t)(k + 1) * npix + p]);
    assert_int_equal(v->hu[(size_t)k * npix + p], want);
  }
  /* slice k + 1 (the first after the hole) is the complete study's slice k + 1, voxel for voxel */
  assert_memory_equal(v->hu + (size_t)(k + 1) * npix, vol->hu + (size_t)(k + 1) * npix, npix * 2);
  double ref[3], got[3];
  nodule1_centroid(lidc, vol, ref);
  nodule1_centroid(tmp, v, got);
  print_message("nodule 1 centroid: %.3f %.3f %.3f mm (complete study %.3f %.3f %.3f)\n", got[0],
                got[1], got[2], ref[0], ref[1], ref[2]);
  for (int r = 0; r < 3; r++) assert_float_equal(got[r], ref[r], 0.25); /* a tenth of a slice */
  lt_volume_free(v);
  lt_series_info_free(&info);
}

static void link_readings(const char *tmp) {
  char src[8192], dst[8192];
  snprintf(src, sizeof src, "%s/069.xml", lidc);
  snprintf(dst, sizeof dst, "%s/069.xml", tmp);
  assert_int_equal(symlink(src, dst), 0);
}

/* Deleted: slice 66 (z -175, below the nodule, so every nodule slice would shift by one if the
 * hole were closed up) and slice 90 (z -115, inside the nodule). */
static void deleted_middle_slice_filled_positions_kept(void **state) {
  (void)state;
  lt_list l;
  list_dcm(lidc, &l);
  assert_int_equal(l.n, 133);
  const int ks[2] = {66, 90};
  for (int i = 0; i < 2; i++) {
    const char *name = file_at_index(&l, ks[i]);
    assert_non_null(name);
    char tmp[512], skip[256];
    snprintf(skip, sizeof skip, "%s", name);
    assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
    link_all(tmp, &l, skip);
    link_readings(tmp);
    check_hole_filled(tmp, ks[i], "deleted");
    remove_dir(tmp);
  }
  free_list(&l);
}

/* Slice 66 cut to half its bytes: a damaged DICOM file, skipped, named in the warning. */
static void truncated_middle_slice_filled_and_named(void **state) {
  (void)state;
  lt_list l;
  list_dcm(lidc, &l);
  const char *name = file_at_index(&l, 66);
  assert_non_null(name);
  char tmp[512], skip[256], src[8192], dst[8192];
  snprintf(skip, sizeof skip, "%s", name);
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  link_all(tmp, &l, skip);
  link_readings(tmp);
  snprintf(src, sizeof src, "%s/%s", lidc, skip);
  snprintf(dst, sizeof dst, "%s/%s", tmp, skip);
  FILE *f = fopen(src, "rb");
  assert_non_null(f);
  static unsigned char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  f = fopen(dst, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, n / 2, f), n / 2);
  fclose(f);
  check_hole_filled(tmp, 66, "truncated");
  lt_volume *v = NULL;
  lt_series_info info;
  lt_error err = {{0}};
  if (lt_series_read(tmp, NULL, &v, &info, &err)) fail_msg("%s", err.msg);
  char line[512];
  lt_series_warning(&info, line, sizeof line);
  assert_int_equal(info.n_skipped_dicom, 1);
  assert_non_null(strstr(line, "1 damaged DICOM file skipped"));
  assert_non_null(strstr(line, skip));
  assert_non_null(strstr(line, "truncated"));
  lt_volume_free(v);
  lt_series_info_free(&info);
  remove_dir(tmp);
  free_list(&l);
}

/* Five slices in a row missing: more than LT_SERIES_MAX_FILL, refused with one line. And the
 * complete study has nothing to warn about. */
static void long_hole_refused_complete_study_not_warned(void **state) {
  (void)state;
  char line[512];
  assert_int_equal(lt_series_warning(&vinfo, line, sizeof line), 0);
  assert_string_equal(line, "");
  for (int k = 0; k < 133; k++) assert_int_equal(vol->slice_filled[k], 0);
  lt_list l;
  list_dcm(lidc, &l);
  char tmp[512], src[8192], dst[8192];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  char uid_lo[80], uid_hi[80];
  snprintf(uid_lo, sizeof uid_lo, "%s", vol->sop_uid[60]);
  snprintf(uid_hi, sizeof uid_hi, "%s", vol->sop_uid[64]);
  for (int i = 0; i < l.n; i++) { /* every slice but 60..64 (by position) */
    snprintf(src, sizeof src, "%s/%s", lidc, l.name[i]);
    lt_volume *one = NULL;
    lt_error e1 = {{0}};
    if (lt_series_read(src, NULL, &one, NULL, &e1)) fail_msg("%s", e1.msg);
    double z = one->slice_pos[0];
    lt_volume_free(one);
    if (z >= vol->slice_pos[60] - 0.01 && z <= vol->slice_pos[64] + 0.01) continue;
    snprintf(dst, sizeof dst, "%s/%s", tmp, l.name[i]);
    assert_int_equal(symlink(src, dst), 0);
  }
  lt_volume *v = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(tmp, NULL, &v, NULL, &err), -1);
  assert_null(v);
  print_message("%s\n", err.msg);
  assert_non_null(strstr(err.msg, "5 slices missing"));
  assert_non_null(strstr(err.msg, "cannot be filled"));
  assert_null(strchr(err.msg, '\n'));
  remove_dir(tmp);
  free_list(&l);
}

int main(int argc, char **argv) {
  if (!lt_test_lidc0001_dir(lidc, sizeof lidc)) {
    printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 not found (set LT_SHARED_DATA)\n");
    return LT_TEST_SKIP;
  }
  if (argc > 1 && !strcmp(argv[1], "gap")) {
    const struct CMUnitTest gap[] = {
        cmocka_unit_test(deleted_middle_slice_filled_positions_kept),
        cmocka_unit_test(truncated_middle_slice_filled_and_named),
        cmocka_unit_test(long_hole_refused_complete_study_not_warned),
    };
    return cmocka_run_group_tests(gap, setup_lidc, teardown_lidc);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lidc0001_geometry_133_slices_of_512_at_2_5_mm),
      cmocka_unit_test(lidc0001_no_value_below_air),
      cmocka_unit_test(lidc0001_nodule_soft_tissue_lung_around_it),
      cmocka_unit_test(parallel_decode_gives_the_same_volume_each_time),
      cmocka_unit_test(dropped_slice_filled_not_closed_up),
      cmocka_unit_test(duplicate_position_reported_and_dropped),
      cmocka_unit_test(other_orientation_in_series_refused),
      cmocka_unit_test(other_pixel_spacing_in_series_refused),
      cmocka_unit_test(empty_folder_refused),
      cmocka_unit_test(folder_without_ct_refused),
      cmocka_unit_test(missing_path_refused),
      cmocka_unit_test(series_list_finds_every_series),
      cmocka_unit_test(padding_range_and_rescale_rules),
  };
  return cmocka_run_group_tests(tests, setup_lidc, teardown_lidc);
}
