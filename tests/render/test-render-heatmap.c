/* tests/render/test-render-heatmap.c — offscreen: the Grad-CAM heatmap (a float volume on a
 * 16^3 sub-box grid) is coloured with the inferno table only inside its box, values under the
 * threshold leave the grey alone, its box is outlined, opacity mixes as stated, and the colour
 * bar runs from inferno(0) at the bottom to inferno(1) at the top. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lt-colormap.h"
#include "render-test.h"

#define W 400
#define H 400
static lt_offscreen *ctx;
static lt_renderer *ren;

static int near(const uint8_t *p, double r, double g, double b, double tol) {
  return fabs(p[0] - r) <= tol && fabs(p[1] - g) <= tol && fabs(p[2] - b) <= tol;
}

static void heatmap_only_inside_its_box(void **state) {
  (void)state;
  lt_volume *vol = rt_volume(64, 64, 64, -600);
  lt_gpu_scene s = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_gpu_scene_set_volume(&s, vol, &err), 0);
  /* heat grid: 16^3 voxels of 1 mm at volume voxel (20, 24, 20); left half 0.1 (under the 0.2
   * threshold), right half 1.0 */
  lt_geometry hg;
  lt_geometry_init(&hg, 16, 16, 16);
  const double off[3] = {20, 24, 20};
  lt_geometry_voxel_to_mm(&vol->geom, off, hg.origin);
  float *heat = malloc(16 * 16 * 16 * sizeof *heat);
  for (int k = 0; k < 16; k++)
    for (int j = 0; j < 16; j++)
      for (int i = 0; i < 16; i++) heat[i + 16 * (j + 16 * k)] = i < 8 ? 0.1f : 1.0f;
  assert_int_equal(lt_gpu_scene_set_heatmap(&s, heat, &hg, &err), 0);
  free(heat);

  lt_render_opts o;
  rt_opts_plain(&o, 1500, -600);
  o.heat_on = 1;
  o.heat_opacity = 1.0f;
  o.heat_threshold = 0.2f;
  o.heat_box = 1;
  o.heat_box_rgba[0] = o.heat_box_rgba[1] = 0;
  o.heat_box_rgba[2] = o.heat_box_rgba[3] = 1;
  lt_view v;
  lt_view_init(&v, LT_PLANE_AXIAL, &vol->geom, W, H);
  v.slice = 28;
  uint8_t *img = rt_draw_read(ctx, ren, &s, &v, &o, "heatmap-box");
  double a[3] = {19.5, 23.5, 28}, b[3] = {35.5, 39.5, 28}, x0, y0, x1, y1;
  lt_view_voxel_to_screen(&v, &vol->geom, a, &x0, &y0);
  lt_view_voxel_to_screen(&v, &vol->geom, b, &x1, &y1);
  double hot[3];
  lt_inferno(1.0, hot);
  double vox_px = (x1 - x0) / 16.0;
  int coloured_outside = 0, box_px = 0, hot_px = 0, cold_grey = 0, bad_inside = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const uint8_t *p = rt_px(img, W, x, y);
      double cx = x + 0.5, cy = y + 0.5;
      int inside = cx >= x0 && cx < x1 && cy >= y0 && cy < y1;
      int grey = p[0] == p[1] && p[1] == p[2] && abs(p[0] - 128) <= 1;
      if (!inside) {
        if (!grey) coloured_outside++;
        continue;
      }
      int edge = cx < x0 + 2 || cx > x1 - 2 || cy < y0 + 2 || cy > y1 - 2;
      if (near(p, 0, 0, 255, 2)) {
        box_px++;
        if (!edge) bad_inside++;
      } else if (edge) {
        continue;
      } else if (cx < 0.5 * (x0 + x1) - vox_px) { /* linear blend within a voxel of the mid */
        cold_grey += grey;
        if (!grey) bad_inside++;
      } else if (cx > 0.5 * (x0 + x1) + vox_px) {
        if (near(p, 255 * hot[0], 255 * hot[1], 255 * hot[2], 3))
          hot_px++;
        else
          bad_inside++;
      }
    }
  printf("# outside coloured %d, box outline %d, hot %d, cold grey %d, wrong inside %d\n",
         coloured_outside, box_px, hot_px, cold_grey, bad_inside);
  assert_int_equal(coloured_outside, 0);
  assert_int_equal(bad_inside, 0);
  double side = x1 - x0;
  assert_true(box_px > 3.5 * side); /* the four sides, at least one pixel wide */
  assert_true(hot_px > 0.3 * side * side && cold_grey > 0.3 * side * side);

  /* opacity 0.4: the mix of grey 0.5 and inferno(1) */
  o.heat_opacity = 0.4f;
  free(img);
  img = rt_draw_read(ctx, ren, &s, &v, &o, NULL);
  const uint8_t *p = rt_px(img, W, (int)(0.25 * x0 + 0.75 * x1), (int)(0.5 * (y0 + y1)));
  double g = 127.5;
  assert_true(near(p, 0.6 * g + 0.4 * 255 * hot[0], 0.6 * g + 0.4 * 255 * hot[1],
                   0.6 * g + 0.4 * 255 * hot[2], 3));
  free(img);

  /* the colour bar: top of the bar inferno(1), bottom inferno(0) */
  o.colorbar = 1;
  img = rt_draw_read(ctx, ren, &s, &v, &o, "heatmap-colorbar");
  float bh = fminf(0.4f * H, 240), bx = W - 36 + 6, by0 = 0.5f * (H - bh);
  int yt = (int)by0 + 1, yb = (int)(by0 + bh) - 1;
  double hi[3], lo[3];
  lt_inferno(1 - (yt + 0.5 - by0) / bh, hi);
  lt_inferno(1 - (yb + 0.5 - by0) / bh, lo);
  const uint8_t *top = rt_px(img, W, (int)bx, yt);
  const uint8_t *bot = rt_px(img, W, (int)bx, yb);
  printf("# bar top %d,%d,%d bottom %d,%d,%d\n", top[0], top[1], top[2], bot[0], bot[1], bot[2]);
  assert_true(near(top, 255 * hi[0], 255 * hi[1], 255 * hi[2], 6));
  assert_true(near(bot, 255 * lo[0], 255 * lo[1], 255 * lo[2], 6));
  free(img);
  lt_gpu_scene_clear(&s);
  lt_volume_free(vol);
}

static void inferno_table_is_dark_to_bright(void **state) {
  (void)state;
  uint8_t t[3 * LT_COLORMAP_SIZE];
  lt_inferno_table(t);
  /* matplotlib's inferno: (0, 0, 4) at 0, (252, 255, 164) at 1 */
  assert_true(abs(t[0] - 0) <= 3 && abs(t[1] - 0) <= 3 && abs(t[2] - 4) <= 6);
  const uint8_t *e = t + 3 * (LT_COLORMAP_SIZE - 1);
  assert_true(abs(e[0] - 252) <= 4 && abs(e[1] - 255) <= 4 && abs(e[2] - 164) <= 6);
  /* perceived lightness rises monotonically (Rec. 709 luma as a proxy, 2/255 slack) */
  double prev = -1;
  for (int i = 0; i < LT_COLORMAP_SIZE; i++) {
    double y = 0.2126 * t[3 * i] + 0.7152 * t[3 * i + 1] + 0.0722 * t[3 * i + 2];
    assert_true(y >= prev - 2);
    prev = y;
  }
}

int main(void) {
  ctx = rt_context_or_skip(W, H, &ren);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(heatmap_only_inside_its_box),
      cmocka_unit_test(inferno_table_is_dark_to_bright),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  lt_renderer_free(ren);
  lt_offscreen_free(ctx);
  return rc;
}
