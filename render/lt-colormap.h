/* render/lt-colormap.h — the perceptual colormap of the Grad-CAM overlay.
 * Inferno (matplotlib, colour-blind safe, monotonic lightness) as a 256-entry RGB table,
 * from Matt Zucker's degree-6 polynomial fit of the matplotlib data (max error < 0.01).
 * No GL here: the renderer uploads the table as a 1D texture. */
#ifndef LT_COLORMAP_H
#define LT_COLORMAP_H

#include <stdint.h>

#define LT_COLORMAP_SIZE 256

/* RGB in [0, 1] at t in [0, 1] (clamped). */
void lt_inferno(double t, double rgb[3]);
/* rgb[3 * LT_COLORMAP_SIZE], 8-bit. */
void lt_inferno_table(uint8_t *rgb);

#endif
