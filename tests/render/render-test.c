/* tests/render/render-test.c — see render-test.h. */
#include "render-test.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lt-test.h"

lt_offscreen *rt_context_or_skip(int w, int h, lt_renderer **r) {
  lt_error err = {{0}};
  lt_offscreen *o = lt_offscreen_new(w, h, &err);
  if (!o) {
    printf("SKIP: no offscreen GL 3.3 context: %s\n", err.msg);
    exit(LT_TEST_SKIP);
  }
  *r = lt_renderer_new(&err);
  if (!*r) {
    fprintf(stderr, "renderer: %s\n", err.msg);
    exit(1);
  }
  printf("# GL: %s\n", lt_offscreen_renderer(o));
  return o;
}

lt_volume *rt_volume(int nx, int ny, int nz, int16_t hu) {
  lt_volume *v = lt_volume_new(nx, ny, nz);
  if (!v) exit(1);
  for (size_t i = 0; i < lt_geometry_count(&v->geom); i++) v->hu[i] = hu;
  return v;
}

const uint8_t *rt_px(const uint8_t *rgba, int w, int x, int y) {
  return rgba + 4 * ((size_t)y * (size_t)w + (size_t)x);
}

int rt_write_png(const char *name, const uint8_t *rgba, int w, int h) {
  const char *root = getenv("LT_BUILD_ROOT");
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/tests/render-out", root && *root ? root : ".");
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/%s.png", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return -1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGBA,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < h; y++) png_write_row(png, (png_bytep)(rgba + (size_t)y * (size_t)w * 4));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  fclose(f);
  printf("# wrote %s\n", path);
  return 0;
}

uint8_t *rt_draw_read(lt_offscreen *o, lt_renderer *r, const lt_gpu_scene *s, const lt_view *v,
                      const lt_render_opts *opt, const char *name) {
  uint8_t *rgba = malloc((size_t)v->width * (size_t)v->height * 4);
  if (!rgba) exit(1);
  lt_offscreen_make_current(o);
  lt_renderer_draw(r, s, v, opt);
  lt_offscreen_read(o, rgba);
  if (name) rt_write_png(name, rgba, v->width, v->height);
  return rgba;
}

void rt_opts_plain(lt_render_opts *o, double window, double level) {
  lt_render_opts_default(o);
  o->window = window;
  o->level = level;
  o->linear = 0;
  o->labels_mask = 0;
  o->seg_on = 0;
  o->heat_on = 0;
  o->crosshair = 0;
  o->scalebar = 0;
  o->letters = 0;
  o->colorbar = 0;
}
