/* tests/render/render-test.h — helpers of the offscreen render tests: an EGL surfaceless
 * context (exit 77 with the reason when none can be made), made-up volumes, pixel access and
 * PNG output under $LT_BUILD_ROOT/tests/render-out/ for looking at. */
#ifndef LT_RENDER_TEST_H
#define LT_RENDER_TEST_H

#include <stdint.h>

#include "lt-offscreen.h"
#include "lt-renderer.h"

/* Context + renderer of WxH, or exit(77) with a one-line reason. */
lt_offscreen *rt_context_or_skip(int w, int h, lt_renderer **r);
/* A volume of constant HU. */
lt_volume *rt_volume(int nx, int ny, int nz, int16_t hu);
/* Draws, reads back into rgba (w*h*4), writes NAME.png; returns rgba. */
uint8_t *rt_draw_read(lt_offscreen *o, lt_renderer *r, const lt_gpu_scene *s, const lt_view *v,
                      const lt_render_opts *opt, const char *name);
/* Pixel (x, y) of a top-down RGBA image. */
const uint8_t *rt_px(const uint8_t *rgba, int w, int x, int y);
int rt_write_png(const char *name, const uint8_t *rgba, int w, int h);
/* Options with every overlay and HUD element off (plain window/level image). */
void rt_opts_plain(lt_render_opts *o, double window, double level);

#endif
