/* engine/ct/picture.h — small RGB pictures written as PNG (libpng): greyscale slices of a
 * volume or a patch, and a mask's contour drawn over them in colour. For the CLI's and the
 * tests' pictures (lungtrust-cli patch, analyze, reports), not for the GUI's live drawing.
 *
 * Does not resample arbitrarily (only integer nearest-neighbour magnification), does not draw
 * text, does not read PNG. */
#ifndef LT_PICTURE_H
#define LT_PICTURE_H

#include <stdint.h>

#include "lt-error.h"

typedef struct {
  int w, h;
  uint8_t *rgb; /* w*h*3, row-major, top row first */
} lt_picture;

/* NULL when out of memory or a size is not positive. Starts black. */
lt_picture *lt_picture_new(int w, int h);
void lt_picture_free(lt_picture *p);

/* Draws img (w x h values in [0, 1], clamped; row 0 at the top) at (x0, y0), each pixel as a
 * scale x scale block. Pixels falling outside the picture are clipped. */
void lt_picture_put_grey(lt_picture *p, int x0, int y0, const float *img, int w, int h,
                         int scale);

/* Draws the boundary of mask (w x h, non-zero = inside) magnified by scale at (x0, y0): every
 * magnified pixel inside the mask with a 4-neighbour outside it (or at the mask's edge) is
 * painted rgb. */
void lt_picture_contour(lt_picture *p, int x0, int y0, const uint8_t *mask, int w, int h,
                        int scale, const uint8_t rgb[3]);

/* Fills a rectangle (clipped). */
void lt_picture_fill(lt_picture *p, int x0, int y0, int w, int h, const uint8_t rgb[3]);

/* Writes p to path under a temporary name beside it, reads it back whole, syncs and renames it:
 * on failure (a full disk) path is untouched, nothing is left beside it, libpng prints nothing,
 * and err holds one line. */
int lt_picture_write_png(const lt_picture *p, const char *path, lt_error *err);

#endif
