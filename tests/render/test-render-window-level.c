/* tests/render/test-render-window-level.c — offscreen: a made-up volume whose columns hold
 * known HU values, drawn at each window/level preset (and inverted), gives the grey values of
 * the formula in lt-window-level.h within 1 of 255; trilinear sampling at voxel centres gives
 * the same greys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lt-window-level.h"
#include "render-test.h"

#define N 8
static const int16_t column_hu[N] = {-1024, -1000, -600, -300, -160, 40, 240, 1500};
static lt_offscreen *ctx;
static lt_renderer *ren;

static void check_greys(int linear, int invert) {
  lt_volume *vol = rt_volume(N, N, 3, 0);
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) vol->hu[i + N * (j + N * k)] = column_hu[i];
  lt_gpu_scene s = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_gpu_scene_set_volume(&s, vol, &err), 0);
  lt_view v;
  lt_view_init(&v, LT_PLANE_AXIAL, &vol->geom, 72, 72); /* 9 px per voxel: centres on pixel centres */
  for (int p = 0; p < LT_WL_COUNT; p++) {
    const lt_wl *wl = lt_wl_preset_get((lt_wl_preset)p);
    lt_render_opts o;
    rt_opts_plain(&o, wl->width, wl->level);
    o.linear = linear;
    o.invert = invert;
    char name[64];
    snprintf(name, sizeof name, "wl-preset%d%s%s", p, linear ? "-linear" : "", invert ? "-inv" : "");
    uint8_t *img = rt_draw_read(ctx, ren, &s, &v, &o, p == 0 ? name : NULL);
    for (int i = 0; i < N; i++) {
      double ijk[3] = {i, 3, 1}, px, py;
      lt_view_voxel_to_screen(&v, &vol->geom, ijk, &px, &py);
      const uint8_t *q = rt_px(img, 72, (int)px, (int)py);
      double want = 255 * lt_wl_grey(column_hu[i], wl->width, wl->level, invert);
      if (fabs(q[0] - want) > 1.0 || q[0] != q[1] || q[1] != q[2] || q[3] != 255)
        fail_msg("preset %s hu %d: got %d,%d,%d want %.1f", wl->name, column_hu[i], q[0], q[1],
                 q[2], want);
    }
    free(img);
  }
  lt_gpu_scene_clear(&s);
  lt_volume_free(vol);
}

static void presets_give_known_greys_nearest(void **state) {
  (void)state;
  check_greys(0, 0);
}
static void presets_give_known_greys_inverted(void **state) {
  (void)state;
  check_greys(0, 1);
}
static void presets_give_known_greys_linear_at_centres(void **state) {
  (void)state;
  check_greys(1, 0);
}

static void paper_windows_are_the_papers_ranges(void **state) {
  (void)state;
  const lt_wl *a = lt_wl_preset_get(LT_WL_PAPER_LUNG), *b = lt_wl_preset_get(LT_WL_PAPER_MEDIASTINAL);
  assert_true(fabs(a->level - a->width / 2 - -1000) < 1e-9 && fabs(a->level + a->width / 2 - 400) < 1e-9);
  assert_true(fabs(b->level - b->width / 2 - -160) < 1e-9 && fabs(b->level + b->width / 2 - 240) < 1e-9);
}

int main(void) {
  ctx = rt_context_or_skip(72, 72, &ren);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(presets_give_known_greys_nearest),
      cmocka_unit_test(presets_give_known_greys_inverted),
      cmocka_unit_test(presets_give_known_greys_linear_at_centres),
      cmocka_unit_test(paper_windows_are_the_papers_ranges),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  lt_renderer_free(ren);
  lt_offscreen_free(ctx);
  return rc;
}
