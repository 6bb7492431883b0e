/* tests/render/test-render-overlays.c — offscreen: overlays land at the pixels the mapping
 * API computes for their voxels: a reader's label outline on its own sub-box grid, the dashed
 * consensus, the model's outline from a 0.5 mm patch grid, the crosshair; and nothing is
 * drawn where no overlay is. Colours asserted within 2/255. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lt-window-level.h"
#include "render-test.h"

#define W 512
#define H 512
static lt_offscreen *ctx;
static lt_renderer *ren;
static lt_volume *vol;
static lt_gpu_scene scene;
static lt_geometry lab_g, seg_g;
static const double seg_centre_vox[3] = {20, 40, 15};

static int near(const uint8_t *p, int r, int g, int b) {
  return abs(p[0] - r) <= 2 && abs(p[1] - g) <= 2 && abs(p[2] - b) <= 2;
}
static int is_bg(const uint8_t *p) { return near(p, 128, 128, 128) || near(p, 127, 127, 127); }

static void set_colour(float *c, float r, float g, float b) {
  c[0] = r;
  c[1] = g;
  c[2] = b;
  c[3] = 1;
}

static void opts(lt_render_opts *o) {
  rt_opts_plain(o, 1500, -600);
  o->labels_mask = 0x81;
  o->labels_dashed = 0x80;
  o->label_width = 2;
  set_colour(o->label_rgba[0], 1, 0, 0);
  set_colour(o->label_rgba[7], 0, 0, 1);
  o->seg_on = 1;
  o->seg_width = 2;
  set_colour(o->seg_rgba, 0, 1, 0);
}

static void view(lt_view *v) {
  lt_view_init(v, LT_PLANE_AXIAL, &vol->geom, W, H);
  v->zoom = 1.3;
  v->pan[0] = 3;
  v->pan[1] = -2;
  v->slice = 15;
}

static int setup(void **state) {
  (void)state;
  vol = rt_volume(64, 64, 32, -600);
  vol->geom.spacing[0] = vol->geom.spacing[1] = 0.7;
  vol->geom.spacing[2] = 2.5;
  vol->geom.origin[0] = -20;
  vol->geom.origin[1] = -30;
  vol->geom.origin[2] = -100;
  lt_error err = {{0}};
  assert_int_equal(lt_gpu_scene_set_volume(&scene, vol, &err), 0);
  /* reader labels: a 20x20x8 sub-box at voxel (30, 10, 12) of the volume */
  lt_geometry_init(&lab_g, 20, 20, 8);
  memcpy(lab_g.spacing, vol->geom.spacing, sizeof lab_g.spacing);
  const double off[3] = {30, 10, 12};
  lt_geometry_voxel_to_mm(&vol->geom, off, lab_g.origin);
  uint8_t *bits = calloc(20 * 20 * 8, 1);
  for (int k = 2; k <= 5; k++)
    for (int j = 5; j <= 14; j++)
      for (int i = 5; i <= 14; i++) {
        uint8_t b = 1;
        if (i >= 8 && i <= 11 && j >= 8 && j <= 11) b |= 0x80;
        bits[i + 20 * (j + 20 * k)] = b;
      }
  assert_int_equal(lt_gpu_scene_set_labels(&scene, bits, &lab_g, &err), 0);
  free(bits);
  /* model segmentation: a 64^3 patch at 0.5 mm centred on seg_centre_vox, an 8 mm cube */
  lt_geometry_init(&seg_g, 64, 64, 64);
  double c[3];
  lt_geometry_voxel_to_mm(&vol->geom, seg_centre_vox, c);
  for (int a = 0; a < 3; a++) {
    seg_g.spacing[a] = 0.5;
    seg_g.origin[a] = c[a] - 31.5 * 0.5;
  }
  uint8_t *m = calloc(64 * 64 * 64, 1);
  for (int k = 24; k <= 39; k++)
    for (int j = 24; j <= 39; j++)
      for (int i = 24; i <= 39; i++) m[i + 64 * (j + 64 * k)] = 255;
  assert_int_equal(lt_gpu_scene_set_seg(&scene, m, &seg_g, &err), 0);
  free(m);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lt_gpu_scene_clear(&scene);
  lt_volume_free(vol);
  return 0;
}

/* first pixel whose centre lies at or right of screen x XB */
static int first_px(double xb) { return (int)ceil(xb - 0.5); }

static void reader_outline_at_known_voxel(void **state) {
  (void)state;
  lt_render_opts o;
  opts(&o);
  lt_view v;
  view(&v);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, "overlay-reader-seg");
  /* bit 0 covers volume voxels i 35..44, j 15..24: its left edge is at i = 34.5 */
  double e[3] = {34.5, 19.5, 15}, xb, yb;
  lt_view_voxel_to_screen(&v, &vol->geom, e, &xb, &yb);
  int x0 = first_px(xb), y = (int)yb;
  assert_true(near(rt_px(img, W, x0, y), 255, 0, 0));
  assert_true(near(rt_px(img, W, x0 + 1, y), 255, 0, 0));
  assert_true(is_bg(rt_px(img, W, x0 - 2, y)));
  assert_true(is_bg(rt_px(img, W, x0 + 4, y))); /* inside, past the 2-pixel outline */
  /* right edge at i = 44.5: last pixel whose centre is left of it */
  double e2[3] = {44.5, 19.5, 15}, xr, yr;
  lt_view_voxel_to_screen(&v, &vol->geom, e2, &xr, &yr);
  int x1 = first_px(xr) - 1;
  assert_true(near(rt_px(img, W, x1, y), 255, 0, 0));
  assert_true(is_bg(rt_px(img, W, x1 + 2, y)));
  /* another slice outside the labelled k range shows no outline */
  v.slice = 20;
  free(img);
  img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  for (int x = 0; x < W; x++) assert_true(is_bg(rt_px(img, W, x, y)));
  free(img);
}

static void consensus_outline_is_dashed(void **state) {
  (void)state;
  lt_render_opts o;
  opts(&o);
  lt_view v;
  view(&v);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  /* consensus (bit 7) covers i 38..41, j 18..21; walk down its left outline column */
  double a[3] = {37.5, 17.5, 15}, b[3] = {37.5, 21.5, 15}, xa, ya, xb, yb;
  lt_view_voxel_to_screen(&v, &vol->geom, a, &xa, &ya);
  lt_view_voxel_to_screen(&v, &vol->geom, b, &xb, &yb);
  int x = first_px(xa), on = 0, off = 0, other = 0;
  for (int y = (int)ya + 3; y < (int)yb - 3; y++) {
    const uint8_t *p = rt_px(img, W, x, y);
    if (near(p, 0, 0, 255))
      on++;
    else if (is_bg(p))
      off++;
    else
      other++;
  }
  printf("# consensus edge: %d dash pixels, %d gaps, %d other\n", on, off, other);
  assert_int_equal(other, 0);
  assert_true(on > 0 && off > 0);
  double frac = on / (double)(on + off);
  assert_true(frac > 0.3 && frac < 0.7);
  free(img);
}

static void model_outline_from_half_mm_patch(void **state) {
  (void)state;
  lt_render_opts o;
  opts(&o);
  o.labels_mask = 0;
  lt_view v;
  view(&v);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  /* the cube spans patch voxels 24..39: its left face at 23.5 = 4 mm left of the centre */
  double c[3], xc, yc;
  lt_geometry_voxel_to_mm(&vol->geom, seg_centre_vox, c);
  double left_mm[3] = {c[0] - 4.0, c[1], c[2]};
  double xl, yl;
  lt_view_mm_to_screen(&v, &vol->geom, c, &xc, &yc);
  lt_view_mm_to_screen(&v, &vol->geom, left_mm, &xl, &yl);
  int y = (int)yc, x0 = first_px(xl);
  assert_true(near(rt_px(img, W, x0, y), 0, 255, 0));
  assert_true(near(rt_px(img, W, x0 + 1, y), 0, 255, 0));
  assert_true(is_bg(rt_px(img, W, x0 - 2, y)));
  assert_true(is_bg(rt_px(img, W, (int)xc, y)));
  /* width: 4 px outline */
  o.seg_width = 4;
  free(img);
  img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  assert_true(near(rt_px(img, W, x0 + 3, y), 0, 255, 0));
  assert_true(is_bg(rt_px(img, W, x0 + 6, y)));
  free(img);
}

static void crosshair_passes_through_voxel(void **state) {
  (void)state;
  lt_render_opts o;
  rt_opts_plain(&o, 1500, -600);
  o.crosshair = 1;
  o.crosshair_gap = 8;
  set_colour(o.crosshair_rgba, 1, 1, 0);
  o.crosshair_ijk[0] = 10;
  o.crosshair_ijk[1] = 50;
  o.crosshair_ijk[2] = 15;
  lt_view v;
  view(&v);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, NULL);
  double px, py;
  lt_view_voxel_to_screen(&v, &vol->geom, o.crosshair_ijk, &px, &py);
  int x = (int)floor(px), y = (int)floor(py);
  assert_true(near(rt_px(img, W, x, 5), 255, 255, 0));
  assert_true(near(rt_px(img, W, x, y - 20), 255, 255, 0));
  assert_true(near(rt_px(img, W, x + 20, y), 255, 255, 0));
  assert_true(is_bg(rt_px(img, W, x, y)));     /* the gap keeps the point itself clear */
  assert_true(is_bg(rt_px(img, W, x + 3, y - 3)));
  assert_true(is_bg(rt_px(img, W, x + 2, 5)));
  free(img);
}

static void full_hud_picture(void **state) {
  (void)state;
  lt_render_opts o;
  lt_render_opts_default(&o);
  o.crosshair_ijk[0] = 40;
  o.crosshair_ijk[1] = 20;
  o.crosshair_ijk[2] = 15;
  o.text = "W 1500 L -600\nSLICE 16/32";
  lt_view v;
  view(&v);
  uint8_t *img = rt_draw_read(ctx, ren, &scene, &v, &o, "overlay-all-hud");
  /* the orientation letter 'R' sits at the left edge, mid-height: some white there */
  int white = 0;
  for (int y = H / 2 - 10; y < H / 2 + 10; y++)
    for (int x = 0; x < 24; x++)
      if (near(rt_px(img, W, x, y), 242, 242, 242)) white++;
  assert_true(white > 10);
  free(img);
}

int main(void) {
  ctx = rt_context_or_skip(W, H, &ren);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reader_outline_at_known_voxel),
      cmocka_unit_test(consensus_outline_is_dashed),
      cmocka_unit_test(model_outline_from_half_mm_patch),
      cmocka_unit_test(crosshair_passes_through_voxel),
      cmocka_unit_test(full_hud_picture),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  lt_renderer_free(ren);
  lt_offscreen_free(ctx);
  return rc;
}
