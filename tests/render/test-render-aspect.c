/* tests/render/test-render-aspect.c — offscreen: a 20 mm x 20 mm bright square made of
 * anisotropic voxels (1 x 1 x 5 mm on the coronal plane, 0.5 x 1 mm in-plane on the axial) is
 * drawn square on the screen, at the size the mapping's px_per_mm says (within 2 pixels). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "render-test.h"

#define W 300
#define H 240
static lt_offscreen *ctx;
static lt_renderer *ren;

/* bounding box of pixels brighter than 200 */
static void bright_box(const uint8_t *img, int *w, int *h) {
  int x0 = W, x1 = -1, y0 = H, y1 = -1;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (rt_px(img, W, x, y)[0] > 200) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  *w = x1 - x0 + 1;
  *h = y1 - y0 + 1;
}

static void check(lt_volume *vol, lt_plane plane, const char *name) {
  lt_gpu_scene s = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_gpu_scene_set_volume(&s, vol, &err), 0);
  lt_render_opts o;
  rt_opts_plain(&o, 400, 40);
  lt_view v;
  lt_view_init(&v, plane, &vol->geom, W, H);
  uint8_t *img = rt_draw_read(ctx, ren, &s, &v, &o, name);
  lt_view_frame f;
  lt_view_frame_compute(&f, &v, &vol->geom);
  int bw, bh;
  bright_box(img, &bw, &bh);
  double want = 20 * f.px_per_mm;
  printf("# %s: square %d x %d px, expected %.1f\n", name, bw, bh, want);
  assert_true(fabs(bw - want) <= 2 && fabs(bh - want) <= 2);
  free(img);
  lt_gpu_scene_clear(&s);
}

static void coronal_square_of_thick_slices_is_square(void **state) {
  (void)state;
  lt_volume *vol = rt_volume(100, 100, 20, -1000);
  vol->geom.spacing[2] = 5;
  for (int k = 8; k < 12; k++)
    for (int j = 0; j < 100; j++)
      for (int i = 40; i < 60; i++) vol->hu[i + 100 * (j + 100 * k)] = 1000;
  check(vol, LT_PLANE_CORONAL, "aspect-coronal");
  lt_volume_free(vol);
}

static void axial_square_of_oblong_pixels_is_square(void **state) {
  (void)state;
  lt_volume *vol = rt_volume(160, 80, 4, -1000);
  vol->geom.spacing[0] = 0.5;
  for (int k = 0; k < 4; k++)
    for (int j = 30; j < 50; j++)
      for (int i = 60; i < 100; i++) vol->hu[i + 160 * (j + 80 * k)] = 1000;
  check(vol, LT_PLANE_AXIAL, "aspect-axial");
  lt_volume_free(vol);
}

int main(void) {
  ctx = rt_context_or_skip(W, H, &ren);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(coronal_square_of_thick_slices_is_square),
      cmocka_unit_test(axial_square_of_oblong_pixels_is_square),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  lt_renderer_free(ren);
  lt_offscreen_free(ctx);
  return rc;
}
