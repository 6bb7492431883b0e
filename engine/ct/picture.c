/* engine/ct/picture.c — see picture.h. */
#include "picture.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lt_picture *lt_picture_new(int w, int h) {
  if (w <= 0 || h <= 0 || w > 65536 || h > 65536) return NULL;
  lt_picture *p = malloc(sizeof *p);
  if (!p) return NULL;
  p->w = w;
  p->h = h;
  p->rgb = calloc((size_t)w * h * 3, 1);
  if (!p->rgb) {
    free(p);
    return NULL;
  }
  return p;
}

void lt_picture_free(lt_picture *p) {
  if (!p) return;
  free(p->rgb);
  free(p);
}

static void put(lt_picture *p, int x, int y, const uint8_t c[3]) {
  if (x < 0 || y < 0 || x >= p->w || y >= p->h) return;
  uint8_t *d = p->rgb + ((size_t)y * p->w + x) * 3;
  d[0] = c[0];
  d[1] = c[1];
  d[2] = c[2];
}

void lt_picture_put_grey(lt_picture *p, int x0, int y0, const float *img, int w, int h,
                         int scale) {
  for (int y = 0; y < h * scale; y++)
    for (int x = 0; x < w * scale; x++) {
      float v = img[(size_t)(y / scale) * w + x / scale];
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      uint8_t g = (uint8_t)(v * 255.0f + 0.5f);
      uint8_t c[3] = {g, g, g};
      put(p, x0 + x, y0 + y, c);
    }
}

void lt_picture_contour(lt_picture *p, int x0, int y0, const uint8_t *mask, int w, int h,
                        int scale, const uint8_t rgb[3]) {
  const int W = w * scale, H = h * scale;
#define IN(X, Y) ((X) >= 0 && (Y) >= 0 && (X) < W && (Y) < H && mask[(size_t)((Y) / scale) * w + (X) / scale])
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (IN(x, y) && (!IN(x - 1, y) || !IN(x + 1, y) || !IN(x, y - 1) || !IN(x, y + 1)))
        put(p, x0 + x, y0 + y, rgb);
#undef IN
}

void lt_picture_fill(lt_picture *p, int x0, int y0, int w, int h, const uint8_t rgb[3]) {
  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++) put(p, x, y, rgb);
}

int lt_picture_write_png(const lt_picture *p, const char *path, lt_error *err) {
  FILE *f = fopen(path, "wb");
  if (!f) return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return lt_error_set(err, "PNG: out of memory");
  }
  png_bytep *rows = malloc((size_t)p->h * sizeof *rows);
  if (!rows || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(rows);
    return lt_error_set(err, "PNG: writing %s failed", path);
  }
  for (int y = 0; y < p->h; y++) rows[y] = p->rgb + (size_t)y * p->w * 3;
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)p->w, (png_uint_32)p->h, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_rows(png, info, rows);
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  png_destroy_write_struct(&png, &info);
  free(rows);
  if (fclose(f) != 0) return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  return 0;
}
