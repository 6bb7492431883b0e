/* tests/gui/test-demo-bundle.c — the bundled demo study (resources/demo/LIDC-IDRI-0001, JPEG-LS
 * lossless) decodes to exactly the HU volume of the original LIDC-IDRI-0001 in ../shared/data:
 * same geometry, same slice UIDs, every voxel equal. Skips when the original is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ct/series.h"
#include "lt-test.h"

static char orig_dir[4096];
static char demo_dir[4096];

static void demo_bundle_jpegls_decodes_to_the_original_hu(void **state) {
  lt_volume *a = NULL, *b = NULL;
  lt_series_info ia = {0}, ib = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_series_read(orig_dir, NULL, &a, &ia, &err), 0);
  assert_int_equal(lt_series_read(demo_dir, NULL, &b, &ib, &err), 0);
  for (int r = 0; r < 3; r++) {
    assert_int_equal(a->geom.dim[r], b->geom.dim[r]);
    assert_float_equal(a->geom.spacing[r], b->geom.spacing[r], 1e-9);
    assert_float_equal(a->geom.origin[r], b->geom.origin[r], 1e-9);
  }
  for (int r = 0; r < 9; r++) assert_float_equal(a->geom.dir[r], b->geom.dir[r], 1e-12);
  assert_int_equal(a->geom.dim[2], 133);
  assert_string_equal(a->series_uid, b->series_uid);
  for (int k = 0; k < a->geom.dim[2]; k++) assert_string_equal(a->sop_uid[k], b->sop_uid[k]);
  size_t n = lt_geometry_count(&a->geom), diff = 0;
  for (size_t i = 0; i < n; i++) diff += a->hu[i] != b->hu[i];
  printf("voxels %zu, differing %zu, HU range %d..%d\n", n, diff, ib.hu_min, ib.hu_max);
  assert_int_equal(diff, 0);
  assert_int_equal(ia.hu_min, ib.hu_min);
  assert_int_equal(ia.hu_max, ib.hu_max);
  lt_series_info_free(&ia);
  lt_series_info_free(&ib);
  lt_volume_free(a);
  lt_volume_free(b);
}

int main(void) {
  if (!lt_test_lidc0001_dir(orig_dir, sizeof orig_dir)) {
    printf("skip: ../shared/data/lidc/LIDC-IDRI-0001 (the original) is absent\n");
    return LT_TEST_SKIP;
  }
  const char *src = getenv("LT_SOURCE_ROOT");
  snprintf(demo_dir, sizeof demo_dir, "%s/resources/demo/LIDC-IDRI-0001", src ? src : ".");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(demo_bundle_jpegls_decodes_to_the_original_hu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
