/* tests/ct/test-picture.c — PNG pictures (picture.h): greys magnified and clamped, a mask's
 * contour drawn only on its boundary, clipping at the picture's edges, the PNG read back with
 * libpng pixel for pixel, and an unwritable path refused. */
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct/picture.h"
#include "lt-test.h"

static const uint8_t *px(const lt_picture *p, int x, int y) { return p->rgb + ((size_t)y * p->w + x) * 3; }

static void picture_grey_contour_and_png_roundtrip(void **state) {
  (void)state;
  lt_picture *p = lt_picture_new(20, 12);
  assert_non_null(p);
  /* 4x3 image magnified 3x at (1, 1): values 0 .. 1 with one below 0 and one above 1. */
  float img[12] = {-0.5f, 0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 2.0f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  lt_picture_put_grey(p, 1, 1, img, 4, 3, 3);
  assert_int_equal(px(p, 0, 0)[0], 0);            /* untouched: black */
  assert_int_equal(px(p, 1, 1)[0], 0);            /* -0.5 clamped */
  assert_int_equal(px(p, 3, 3)[0], 0);            /* still pixel (0, 0) */
  assert_int_equal(px(p, 7, 1)[1], 64);           /* 0.25 * 255 rounded */
  assert_int_equal(px(p, 1 + 3 * 2, 1 + 3)[2], 255); /* 2.0 clamped to 1 */
  /* Mask: the 2x2 block at (1..2, 0..1) of a 4x3 mask, magnified 3x at (1, 1): a 6x6 square
   * from (4, 1) to (9, 6); its outline is drawn, its inside is not. */
  uint8_t mask[12] = {0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  const uint8_t red[3] = {255, 0, 0};
  lt_picture_contour(p, 1, 1, mask, 4, 3, 3, red);
  int drawn = 0;
  for (int y = 0; y < 12; y++)
    for (int x = 0; x < 20; x++) {
      const uint8_t *c = px(p, x, y);
      int is_red = c[0] == 255 && c[1] == 0 && c[2] == 0;
      int on_outline = x >= 4 && x <= 9 && y >= 1 && y <= 6 && (x == 4 || x == 9 || y == 1 || y == 6);
      assert_int_equal(is_red, on_outline);
      drawn += is_red;
    }
  assert_int_equal(drawn, 20);
  /* Drawing past the edges is clipped, not a crash. */
  lt_picture_fill(p, 18, 10, 10, 10, red);
  lt_picture_put_grey(p, -5, -5, img, 4, 3, 4);

  char dir[512], path[600];
  assert_non_null(lt_test_tmpdir(dir, sizeof dir));
  snprintf(path, sizeof path, "%s/p.png", dir);
  lt_error err = {{0}};
  assert_int_equal(lt_picture_write_png(p, path, &err), 0);
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  assert_true(png_image_begin_read_from_file(&im, path));
  assert_int_equal(im.width, 20);
  assert_int_equal(im.height, 12);
  im.format = PNG_FORMAT_RGB;
  uint8_t *back = malloc(PNG_IMAGE_SIZE(im));
  assert_true(png_image_finish_read(&im, NULL, back, 0, NULL));
  assert_memory_equal(back, p->rgb, (size_t)20 * 12 * 3);
  free(back);
  remove(path);
  remove(dir);
  assert_int_equal(lt_picture_write_png(p, "/nonexistent-dir/p.png", &err), -1);
  assert_non_null(strstr(err.msg, "cannot write"));
  lt_picture_free(p);
  assert_null(lt_picture_new(0, 5));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(picture_grey_contour_and_png_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
