/* engine/ct/picture.c — see picture.h. */
#include "picture.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* libpng's default handlers print on stderr; ours keep the message for the one error line
 * (png_error must not return: it jumps back to the setjmp in write_png). */
static void png_fail(png_structp png, png_const_charp msg) {
  char *keep = png_get_error_ptr(png);
  if (keep) snprintf(keep, 200, "%s", msg);
  png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg;
}

/* Writes p as PNG to f; 0 or -1 with why in msg (errno's text when the write failed). */
static int write_png(const lt_picture *p, FILE *f, char msg[200]) {
  msg[0] = 0;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, png_fail, png_quiet);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  png_bytep *rows = info ? malloc((size_t)p->h * sizeof *rows) : NULL;
  if (!rows) {
    png_destroy_write_struct(&png, &info);
    snprintf(msg, 200, "out of memory");
    return -1;
  }
  errno = 0;
  if (setjmp(png_jmpbuf(png))) {
    int e = errno;
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (e) snprintf(msg, 200, "%s", strerror(e)); /* a failed write says more than libpng */
    return -1;
  }
  for (int y = 0; y < p->h; y++) rows[y] = p->rgb + (size_t)y * p->w * 3;
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)p->w, (png_uint_32)p->h, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_rows(png, info, rows);
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
  png_destroy_write_struct(&png, &info);
  free(rows);
  return 0;
}

/* Reads the file back whole through libpng (which checks every chunk's CRC and the image
 * data's zlib stream) and compares its pixels with p. */
static int read_back(const lt_picture *p, const char *tmp) {
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, tmp)) return -1;
  im.format = PNG_FORMAT_RGB;
  size_t n = (size_t)p->w * (size_t)p->h * 3;
  uint8_t *px = im.width == (png_uint_32)p->w && im.height == (png_uint_32)p->h ? malloc(n) : NULL;
  int ok = px && png_image_finish_read(&im, NULL, px, 0, NULL) && !memcmp(px, p->rgb, n);
  png_image_free(&im);
  free(px);
  return ok ? 0 : -1;
}

/* Under a temporary name beside path, read back, synced, then renamed: path holds the old file
 * or the whole new one, never an empty or partial one, and a failure prints nothing. */
int lt_picture_write_png(const lt_picture *p, const char *path, lt_error *err) {
  char tmp[4096];
  static unsigned seq; /* two writes at once in one process get two names */
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%u", path, (long)getpid(),
               __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED)) >= (int)sizeof tmp)
    return lt_error_set(err, "cannot write %s: path too long", path);
  FILE *f = fopen(tmp, "wbe");
  if (!f) return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  char msg[200];
  int rc = write_png(p, f, msg);
  if (rc == 0 && fflush(f) != 0) rc = -1, snprintf(msg, sizeof msg, "%s", strerror(errno));
  if (rc == 0 && fsync(fileno(f)) != 0) rc = -1, snprintf(msg, sizeof msg, "%s", strerror(errno));
  if (fclose(f) != 0 && rc == 0) rc = -1, snprintf(msg, sizeof msg, "%s", strerror(errno));
  if (rc == 0 && read_back(p, tmp) != 0)
    rc = -1, snprintf(msg, sizeof msg, "the file read back differs from the picture");
  if (rc == 0 && rename(tmp, path) != 0) rc = -1, snprintf(msg, sizeof msg, "%s", strerror(errno));
  if (rc != 0) {
    unlink(tmp);
    return lt_error_set(err, "cannot write %s: %s", path, msg);
  }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}
