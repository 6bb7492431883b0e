/* tests/ct/test-nifti.c — NIfTI export and import (nifti.h): int16 volumes, uint8 masks and
 * 2-channel float patches written as .nii.gz read back with the same geometry and data; the
 * file's voxel -> world (RAS) is lt_geometry_voxel_to_mm with x and y negated; nibabel (when
 * Debian's python3-nibabel is installed) reads the same affine and data; bad paths refused. */
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

#include "ct/nifti.h"
#include "lt-test.h"

static char tmp[512];

static void rotated_geometry(lt_geometry *g, int nx, int ny, int nz) {
  lt_geometry_init(g, nx, ny, nz);
  g->spacing[0] = 0.703125;
  g->spacing[1] = 0.8;
  g->spacing[2] = 2.5;
  g->origin[0] = -166.0;
  g->origin[1] = -171.7;
  g->origin[2] = -340.0;
  double c = cos(0.3), s = sin(0.3);
  double dir[9] = {c, 0, s, 0, 1, 0, -s, 0, c}; /* rotation about y */
  memcpy(g->dir, dir, sizeof dir);
}

static void check_geometry_equal(const lt_geometry *a, const lt_geometry *b) {
  for (int q = 0; q < 3; q++) {
    assert_int_equal(a->dim[q], b->dim[q]);
    assert_float_equal(a->spacing[q], b->spacing[q], 1e-5);
    assert_float_equal(a->origin[q], b->origin[q], 1e-3);
  }
  for (int q = 0; q < 9; q++) assert_float_equal(a->dir[q], b->dir[q], 1e-5);
}

static void nifti_int16_volume_roundtrip_geometry_and_ras(void **state) {
  (void)state;
  lt_geometry g;
  rotated_geometry(&g, 23, 19, 7);
  size_t n = lt_geometry_count(&g);
  int16_t *d = malloc(n * sizeof *d);
  for (size_t q = 0; q < n; q++) d[q] = (int16_t)((int)(q * 37 % 3000) - 1024);
  char path[600];
  snprintf(path, sizeof path, "%s/vol.nii.gz", tmp);
  lt_error err = {{0}};
  assert_int_equal(lt_nifti_write(path, &g, 1, LT_NIFTI_I16, d, "test volume", &err), 0);
  /* gzip magic: the .nii.gz is compressed. */
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  unsigned char mg[2];
  assert_int_equal(fread(mg, 1, 2, f), 2);
  fclose(f);
  assert_int_equal(mg[0], 0x1f);
  assert_int_equal(mg[1], 0x8b);
  lt_nifti_image im;
  assert_int_equal(lt_nifti_read(path, &im, &err), 0);
  assert_int_equal(im.type, LT_NIFTI_I16);
  assert_int_equal(im.channels, 1);
  check_geometry_equal(&g, &im.geom);
  assert_memory_equal(im.data, d, n * sizeof *d);
  /* The affine: RAS = LPS with x, y negated, for a few voxels. */
  double m[16];
  lt_nifti_affine(&g, m);
  const double pts[3][3] = {{0, 0, 0}, {22, 18, 6}, {3.5, 7.25, 1}};
  for (int p = 0; p < 3; p++) {
    double lps[3];
    lt_geometry_voxel_to_mm(&g, pts[p], lps);
    for (int r = 0; r < 3; r++) {
      double ras = m[4 * r + 3];
      for (int c = 0; c < 3; c++) ras += m[4 * r + c] * pts[p][c];
      assert_float_equal(ras, r < 2 ? -lps[r] : lps[r], 1e-9);
    }
  }
  lt_nifti_image_clear(&im);
  free(d);
}

static void nifti_u8_mask_and_f32_patch_roundtrip(void **state) {
  (void)state;
  lt_geometry g;
  rotated_geometry(&g, 16, 12, 10);
  g.spacing[0] = g.spacing[1] = g.spacing[2] = 0.5;
  size_t n = lt_geometry_count(&g);
  uint8_t *mk = malloc(n);
  float *pf = malloc(2 * n * sizeof *pf);
  for (size_t q = 0; q < n; q++) {
    mk[q] = (q % 7) == 0;
    pf[q] = (float)q / (float)n;
    pf[n + q] = 1.0f - (float)q / (float)n;
  }
  char path[600];
  lt_error err = {{0}};
  lt_nifti_image im;
  snprintf(path, sizeof path, "%s/mask.nii.gz", tmp);
  assert_int_equal(lt_nifti_write(path, &g, 1, LT_NIFTI_U8, mk, NULL, &err), 0);
  assert_int_equal(lt_nifti_read(path, &im, &err), 0);
  assert_int_equal(im.type, LT_NIFTI_U8);
  check_geometry_equal(&g, &im.geom);
  assert_memory_equal(im.data, mk, n);
  lt_nifti_image_clear(&im);
  snprintf(path, sizeof path, "%s/patch.nii", tmp); /* uncompressed works too */
  assert_int_equal(lt_nifti_write(path, &g, 2, LT_NIFTI_F32, pf, "patch", &err), 0);
  assert_int_equal(lt_nifti_read(path, &im, &err), 0);
  assert_int_equal(im.type, LT_NIFTI_F32);
  assert_int_equal(im.channels, 2);
  check_geometry_equal(&g, &im.geom);
  assert_memory_equal(im.data, pf, 2 * n * sizeof *pf);
  lt_nifti_image_clear(&im);
  free(mk);
  free(pf);
}

static void nifti_refuses_bad_paths_and_files(void **state) {
  (void)state;
  lt_geometry g;
  lt_geometry_init(&g, 2, 2, 2);
  uint8_t d[8] = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_nifti_write("/nonexistent-dir/x.nii.gz", &g, 1, LT_NIFTI_U8, d, NULL, &err), -1);
  assert_non_null(strstr(err.msg, "cannot write"));
  char path[600];
  snprintf(path, sizeof path, "%s/x.png", tmp);
  assert_int_equal(lt_nifti_write(path, &g, 1, LT_NIFTI_U8, d, NULL, &err), -1);
  assert_non_null(strstr(err.msg, ".nii"));
  /* Not a NIfTI file. */
  snprintf(path, sizeof path, "%s/junk.nii", tmp);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("this is not a nifti file at all, but it is long enough to be read as a header......"
        "....................................................................................."
        ".....................................................................................",
        f);
  fclose(f);
  lt_nifti_image im;
  assert_int_equal(lt_nifti_read(path, &im, &err), -1);
  assert_non_null(strstr(err.msg, "NIfTI"));
}

static void nifti_nibabel_reads_same_affine(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import nibabel' 2>/dev/null") != 0) {
    print_message("skipped: Debian's python3-nibabel is not installed\n");
    skip();
  }
  lt_geometry g;
  rotated_geometry(&g, 9, 8, 5);
  size_t n = lt_geometry_count(&g);
  int16_t *d = malloc(n * sizeof *d);
  for (size_t q = 0; q < n; q++) d[q] = (int16_t)(q * 3 - 100);
  char path[600], out[600], cmd[2048];
  snprintf(path, sizeof path, "%s/nib.nii.gz", tmp);
  snprintf(out, sizeof out, "%s/nib.txt", tmp);
  lt_error err = {{0}};
  assert_int_equal(lt_nifti_write(path, &g, 1, LT_NIFTI_I16, d, NULL, &err), 0);
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import nibabel as nib, numpy as np; im = nib.load('%s'); "
           "a = im.affine; q = im.get_qform(); x = np.asarray(im.dataobj); "
           "print(*a[:3].ravel(), *q[:3].ravel(), *x.shape, int(x[3, 2, 1]), int(x.sum()), "
           "int(im.header['sform_code']), int(im.header['qform_code']))\" > %s",
           path, out);
  assert_int_equal(system(cmd), 0);
  FILE *f = fopen(out, "r");
  assert_non_null(f);
  double v[24 + 3 + 4];
  for (int q = 0; q < 31; q++) assert_int_equal(fscanf(f, "%lf", &v[q]), 1);
  fclose(f);
  double m[16];
  lt_nifti_affine(&g, m);
  for (int q = 0; q < 12; q++) {
    assert_float_equal(v[q], m[q], 1e-4);      /* sform */
    assert_float_equal(v[12 + q], m[q], 1e-4); /* qform agrees */
  }
  assert_int_equal((int)v[24], 9);
  assert_int_equal((int)v[25], 8);
  assert_int_equal((int)v[26], 5);
  /* nibabel indexes x[i, j, k]: voxel (3, 2, 1). */
  assert_int_equal((int)v[27], d[3 + 9 * (2 + 8 * 1)]);
  long sum = 0;
  for (size_t q = 0; q < n; q++) sum += d[q];
  assert_int_equal((long)v[28], sum);
  assert_int_equal((int)v[29], 1);
  assert_int_equal((int)v[30], 1);
  free(d);
}

static int setup(void **state) {
  (void)state;
  return lt_test_tmpdir(tmp, sizeof tmp) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nifti_int16_volume_roundtrip_geometry_and_ras),
      cmocka_unit_test(nifti_u8_mask_and_f32_patch_roundtrip),
      cmocka_unit_test(nifti_refuses_bad_paths_and_files),
      cmocka_unit_test(nifti_nibabel_reads_same_affine),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
