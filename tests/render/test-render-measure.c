/* tests/render/test-render-measure.c — offscreen: the distance measurement. Its length comes
 * from the geometry (anisotropic spacing: 0.7 x 1.1 x 2.5 mm voxels), the line is drawn in the
 * measurement colour through the screen pixels the mapping API gives for its ends (midpoint and
 * quarter points), not beside it, only on the slice it was made on, with its "N.N mm" label
 * beside the right end; on a sagittal slice the length includes the 2.5 mm slice spacing.
 * Colours within 2/255. Pictures in tests/render-out/measure-*.png. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lt-hud.h"
#include "lt-measure.h"
#include "render-test.h"

#define W 512
#define H 512
static lt_offscreen *ctx;
static lt_renderer *ren;
static lt_volume *vol;
static lt_gpu_scene scene;

static int is_measure(const uint8_t *p) {
  return abs(p[0] - 0) <= 2 && abs(p[1] - 230) <= 2 && abs(p[2] - 230) <= 2;
}
static int is_bg(const uint8_t *p) { return abs(p[0] - 128) <= 1 && p[0] == p[1] && p[1] == p[2]; }

static int setup(void **state) {
  (void)state;
  vol = rt_volume(64, 64, 32, -600); /* grey 128 in W1500/L-600 */
  vol->geom.spacing[0] = 0.7;
  vol->geom.spacing[1] = 1.1;
  vol->geom.spacing[2] = 2.5;
  vol->geom.origin[0] = -20;
  vol->geom.origin[1] = -30;
  vol->geom.origin[2] = -100;
  lt_error err = {{0}};
  assert_int_equal(lt_gpu_scene_set_volume(&scene, vol, &err), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lt_offscreen_make_current(ctx);
  lt_gpu_scene_clear(&scene);
  lt_volume_free(vol);
  return 0;
}

static void opts_with(lt_render_opts *o, const double a[3], const double b[3]) {
  rt_opts_plain(o, 1500, -600);
  o->measure_n = 2;
  memcpy(o->measure_ijk[0], a, sizeof o->measure_ijk[0]);
  memcpy(o->measure_ijk[1], b, sizeof o->measure_ijk[1]);
  const float c[4] = {0, 0.9f, 0.9f, 1}; /* 230 / 255 */
  memcpy(o->measure_rgba, c, sizeof c);
}

static void length_from_geometry(void **state) {
  (void)state;
  const double a[3] = {10, 20, 15}, b[3] = {50, 40, 15};
  double mm = lt_measure_length_mm(&vol->geom, a, b);
  assert_true(fabs(mm - sqrt(40 * 0.7 * 40 * 0.7 + 20 * 1.1 * 20 * 1.1)) < 1e-9); /* 35.61 */
  char label[32];
  lt_measure_label(label, sizeof label, mm);
  assert_string_equal(label, "35.6 mm");
  const double c[3] = {30, 10, 5}, d[3] = {30, 40, 25};
  assert_true(fabs(lt_measure_length_mm(&vol->geom, c, d) - sqrt(33.0 * 33.0 + 50.0 * 50.0)) <
              1e-9);
}

/* pixels along the segment between the ends' screen positions are the measurement colour */
static int line_hits(const uint8_t *img, double ax, double ay, double bx, double by) {
  int hits = 0;
  for (int q = 1; q <= 3; q++) {
    double t = q / 4.0;
    int x = (int)floor(ax + t * (bx - ax)), y = (int)floor(ay + t * (by - ay));
    int ok = 0;
    for (int dy = -1; dy <= 1 && !ok; dy++)
      for (int dx = -1; dx <= 1 && !ok; dx++) ok = is_measure(rt_px(img, W, x + dx, y + dy));
    hits += ok;
  }
  return hits;
}

static void axial_line_and_label(void **state) {
  (void)state;
  const double a[3] = {10, 20, 15}, b[3] = {50, 40, 15};
  lt_view v;
  lt_view_init(&v, LT_PLANE_AXIAL, &vol->geom, W, H);
  v.slice = 15;
  lt_render_opts o;
  opts_with(&o, a, b);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, "measure-axial");
  double ax, ay, bx, by;
  lt_view_voxel_to_screen(&v, &vol->geom, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &vol->geom, b, &bx, &by);
  printf("# ends at screen (%.1f, %.1f) and (%.1f, %.1f), %.1f px long\n", ax, ay, bx, by,
         hypot(bx - ax, by - ay));
  assert_int_equal(line_hits(img, ax, ay, bx, by), 3);
  /* 10 px off the line's midpoint, perpendicular: background */
  double len = hypot(bx - ax, by - ay), nx = -(by - ay) / len, ny = (bx - ax) / len;
  double mx = 0.5 * (ax + bx), my = 0.5 * (ay + by);
  assert_true(is_bg(rt_px(img, W, (int)(mx + 10 * nx), (int)(my + 10 * ny))));
  assert_true(is_bg(rt_px(img, W, (int)(mx - 10 * nx), (int)(my - 10 * ny))));
  /* the label: measurement-coloured pixels right of the right end, within a text line */
  double rx = ax > bx ? ax : bx, ry = ax > bx ? ay : by;
  int label = 0, wrong = 0;
  float tw = lt_hud_text_width("35.6 mm", o.text_scale), th = lt_hud_text_height(o.text_scale);
  for (int y = (int)(ry - th); y <= (int)(ry + th); y++)
    for (int x = (int)rx + 6; x < (int)(rx + 10 + tw) && x < W; x++)
      if (is_measure(rt_px(img, W, x, y))) label++;
  for (int y = 0; y < H; y++) /* nothing in the colour far from the line and label */
    for (int x = 0; x < W; x++)
      if (is_measure(rt_px(img, W, x, y)) && y < fmin(ay, by) - 20) wrong++;
  printf("# label pixels %d (text %.0f px wide), stray %d\n", label, tw, wrong);
  assert_true(label >= 40);
  assert_int_equal(wrong, 0);
  free(img);
  /* another slice: not drawn */
  v.slice = 16;
  img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  int any = 0;
  for (int i = 0; i < W * H; i++) any += is_measure(img + 4 * i);
  assert_int_equal(any, 0);
  free(img);
  /* no measurement: nothing */
  v.slice = 15;
  o.measure_n = 0;
  img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  for (int i = 0; i < W * H; i++) any += is_measure(img + 4 * i);
  assert_int_equal(any, 0);
  free(img);
}

static void sagittal_line(void **state) {
  (void)state;
  const double a[3] = {30, 10, 5}, b[3] = {30, 40, 25};
  lt_view v;
  lt_view_init(&v, LT_PLANE_SAGITTAL, &vol->geom, W, H);
  lt_view_set_slice_from_voxel(&v, &vol->geom, a);
  lt_render_opts o;
  opts_with(&o, a, b);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, "measure-sagittal");
  double ax, ay, bx, by;
  lt_view_voxel_to_screen(&v, &vol->geom, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &vol->geom, b, &bx, &by);
  lt_view_frame f;
  lt_view_frame_compute(&f, &v, &vol->geom);
  double px_len = hypot(bx - ax, by - ay);
  printf("# sagittal: %.1f px on screen = %.2f mm at %.3f px/mm; geometry says %.2f mm\n", px_len,
         px_len / f.px_per_mm, f.px_per_mm, lt_measure_length_mm(&vol->geom, a, b));
  /* square screen pixels are square millimetres: the drawn length is the measured length */
  assert_true(fabs(px_len / f.px_per_mm - lt_measure_length_mm(&vol->geom, a, b)) < 0.05);
  assert_int_equal(line_hits(img, ax, ay, bx, by), 3);
  free(img);
}

int main(void) {
  ctx = rt_context_or_skip(W, H, &ren);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(length_from_geometry),
      cmocka_unit_test(axial_line_and_label),
      cmocka_unit_test(sagittal_line),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  lt_offscreen_make_current(ctx);
  lt_renderer_free(ren);
  lt_offscreen_free(ctx);
  return rc;
}
