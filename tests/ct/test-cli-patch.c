/* tests/ct/test-cli-patch.c — `lungtrust-cli patch` end to end: usage errors exit 2, bad input
 * exits 1 with one line, and on LIDC-IDRI-0001 --nodule 1 writes a 2-channel NIfTI patch whose
 * centre is the nodule's centroid, a consensus mask patch centred within 1 mm, a PNG, and the
 * volume and lung mask as NIfTI with the series' geometry; a point outside the lungs is refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "ct/nifti.h"
#include "ct/patch.h"
#include "lt-test.h"

static char tmp[512], cli[1024], study[4096];

/* Runs the CLI with args; returns its exit status; stderr's lines counted into *lines and the
 * first kept in first (may be NULL). */
static int run(const char *args, int *lines, char *first, size_t n) {
  char cmd[8192], errf[600];
  snprintf(errf, sizeof errf, "%s/stderr.txt", tmp);
  snprintf(cmd, sizeof cmd, "'%s' patch %s >/dev/null 2>'%s'", cli, args, errf);
  int st = system(cmd);
  FILE *f = fopen(errf, "r");
  int c = 0;
  char line[1024];
  if (first && n) first[0] = '\0';
  while (f && fgets(line, sizeof line, f)) {
    if (c == 0 && first) snprintf(first, n, "%s", line);
    c++;
  }
  if (f) fclose(f);
  if (lines) *lines = c;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cli_patch_usage_errors_exit_2(void **state) {
  (void)state;
  int lines;
  assert_int_equal(run("", &lines, NULL, 0), 2);
  assert_int_equal(run("/x --out /tmp", &lines, NULL, 0), 2);                      /* no point */
  assert_int_equal(run("/x --at-mm 1,2 --out /tmp", &lines, NULL, 0), 2);          /* bad triple */
  assert_int_equal(run("/x --at-mm 1,2,3 --nodule 1 --out /tmp", &lines, NULL, 0), 2);
  assert_int_equal(run("/x --at-mm 1,2,3", &lines, NULL, 0), 2);                   /* no --out */
  assert_int_equal(run("/x --at-mm 1,2,3 --out /tmp --bogus", &lines, NULL, 0), 2);
  assert_int_equal(run("--help", &lines, NULL, 0), 0);
}

static void cli_patch_missing_study_exit_1_one_line(void **state) {
  (void)state;
  int lines;
  char first[1024], args[8192];
  snprintf(args, sizeof args, "/nonexistent-study --at-mm 1,2,3 --out '%s/o'", tmp);
  assert_int_equal(run(args, &lines, first, sizeof first), 1);
  assert_int_equal(lines, 1);
}

static void cli_patch_lidc0001_refusals_exit_1_one_line(void **state) {
  (void)state;
  int lines;
  char first[1024], args[8192];
  assert_non_null(lt_test_lidc0001_dir(study, sizeof study));
  snprintf(args, sizeof args, "'%s' --nodule 99 --out '%s/o'", study, tmp);
  assert_int_equal(run(args, &lines, first, sizeof first), 1);
  assert_int_equal(lines, 1);
  assert_non_null(strstr(first, "no nodule '99'"));
  /* The midline at the nodule's level: mediastinum, outside the lungs. */
  snprintf(args, sizeof args, "'%s' --at-mm 0,0,-116 --out '%s/o'", study, tmp);
  assert_int_equal(run(args, &lines, first, sizeof first), 1);
  assert_int_equal(lines, 1);
  assert_non_null(strstr(first, "outside the lungs"));
  snprintf(args, sizeof args, "'%s' --at-voxel 10,10,500 --out '%s/o'", study, tmp);
  assert_int_equal(run(args, &lines, first, sizeof first), 1);
  assert_non_null(strstr(first, "outside the volume"));
}

static void cli_patch_lidc0001_nodule_outputs(void **state) {
  (void)state;
  assert_non_null(lt_test_lidc0001_dir(study, sizeof study));
  char args[8192], path[700];
  int lines;
  snprintf(args, sizeof args, "'%s' --nodule 1 --out '%s/n1' --volume --lung-mask", study, tmp);
  assert_int_equal(run(args, &lines, NULL, 0), 0);
  lt_error err = {{0}};
  lt_nifti_image p, m, vol, lung;
  snprintf(path, sizeof path, "%s/n1/patch.nii.gz", tmp);
  assert_int_equal(lt_nifti_read(path, &p, &err), 0);
  assert_int_equal(p.channels, 2);
  assert_int_equal(p.type, LT_NIFTI_F32);
  for (int a = 0; a < 3; a++) {
    assert_int_equal(p.geom.dim[a], 64);
    assert_float_equal(p.geom.spacing[a], 0.5, 1e-6);
  }
  double mid[3] = {31.5, 31.5, 31.5}, c[3];
  lt_geometry_voxel_to_mm(&p.geom, mid, c);
  /* The README's centre: about x 56.2, y 86.2, z -116. */
  assert_true(fabs(c[0] - 56.2) < 1.5 && fabs(c[1] - 86.2) < 1.5 && fabs(c[2] + 116) < 2);
  snprintf(path, sizeof path, "%s/n1/mask.nii.gz", tmp);
  assert_int_equal(lt_nifti_read(path, &m, &err), 0);
  assert_int_equal(m.type, LT_NIFTI_U8);
  const uint8_t *mk = m.data;
  double s[3] = {0, 0, 0}, n = 0;
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 64; j++)
      for (int i = 0; i < 64; i++)
        if (mk[i + 64 * (j + 64 * k)]) {
          s[0] += i;
          s[1] += j;
          s[2] += k;
          n++;
        }
  assert_true(n > 10000);
  for (int a = 0; a < 3; a++) assert_true(fabs(s[a] / n - 31.5) < 2.0); /* 1 mm */
  const float *ch1 = (const float *)p.data + LT_PATCH_VOXELS;
  assert_true(ch1[31 + 64 * (31 + 64 * 31)] > 0.3f); /* soft tissue: above -40 HU */
  snprintf(path, sizeof path, "%s/n1/volume.nii.gz", tmp);
  assert_int_equal(lt_nifti_read(path, &vol, &err), 0);
  assert_int_equal(vol.geom.dim[0], 512);
  assert_int_equal(vol.geom.dim[2], 133);
  assert_float_equal(vol.geom.spacing[2], 2.5, 1e-4);
  snprintf(path, sizeof path, "%s/n1/lung-mask.nii.gz", tmp);
  assert_int_equal(lt_nifti_read(path, &lung, &err), 0);
  size_t nl = 0, cnt = lt_geometry_count(&lung.geom);
  for (size_t q = 0; q < cnt; q++) nl += ((const uint8_t *)lung.data)[q];
  double litres = (double)nl * lung.geom.spacing[0] * lung.geom.spacing[1] * lung.geom.spacing[2] / 1e6;
  assert_true(litres > 3 && litres < 8);
  struct stat st;
  snprintf(path, sizeof path, "%s/n1/patch.png", tmp);
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_size > 1000);
  lt_nifti_image_clear(&p);
  lt_nifti_image_clear(&m);
  lt_nifti_image_clear(&vol);
  lt_nifti_image_clear(&lung);
}

static int setup(void **state) {
  (void)state;
  const char *b = getenv("LT_BUILD_ROOT");
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", b && *b ? b : ".");
  return lt_test_tmpdir(tmp, sizeof tmp) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* No argument: the tests on made-up data. "lidc0001": those on LIDC-IDRI-0001 (exit 77 when
 * ../shared/data is absent). */
int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "lidc0001")) {
    char dir[4096];
    if (!lt_test_lidc0001_dir(dir, sizeof dir)) {
      printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 is absent (set LT_SHARED_DATA)\n");
      return LT_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cli_patch_lidc0001_refusals_exit_1_one_line),
        cmocka_unit_test(cli_patch_lidc0001_nodule_outputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cli_patch_usage_errors_exit_2),
      cmocka_unit_test(cli_patch_missing_study_exit_1_one_line),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
