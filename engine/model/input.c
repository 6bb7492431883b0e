/* engine/model/input.c — the model's input from the patch (input.h). */
#include "model/input.h"

#include <stdbool.h>
#include <stddef.h>

#include "ct/patch.h"

#define FOVEA_N (LT_PATCH_N / 2)               /* central voxels a side */
#define FOVEA_LO ((LT_PATCH_N - FOVEA_N) / 2)  /* its first voxel */

int lt_model_input_check(int side, int in_channels, lt_error *err) {
  if (side < 1 || side > LT_PATCH_N || LT_PATCH_N % side)
    return lt_error_set(err, "input side %d does not divide the 64^3 patch", side);
  if (in_channels == 2)
    return 0;
  if (in_channels == 4) {
    if (FOVEA_N % side)
      return lt_error_set(err, "input side %d: the fovea (4 channels) needs a side dividing 32",
                          side);
    return 0;
  }
  return lt_error_set(err, "input of %d channels: 2 (the two windows) or 4 (with the fovea)",
                      in_channels);
}

/* Channels c0, c0 + 1 of x (stride C): the k^3 block means of the windows over the cube of
 * side S * k starting at voxel lo on every axis. */
static void pool_into(float *x, int C, int c0, int S, int k, int lo, const float *a,
                      const float *b) {
  const double inv = 1.0 / ((double)k * k * k);
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int xx = 0; xx < S; xx++) {
        double sa = 0, sb = 0;
        for (int dz = 0; dz < k; dz++)
          for (int dy = 0; dy < k; dy++) {
            const size_t row = (size_t)LT_PATCH_N * ((size_t)(lo + y * k + dy) +
                                                     (size_t)LT_PATCH_N * (size_t)(lo + z * k + dz));
            for (int dx = 0; dx < k; dx++) {
              const size_t v = row + (size_t)(lo + xx * k + dx);
              sa += a[v];
              sb += b[v];
            }
          }
        const size_t o = ((size_t)z * S + (size_t)y) * S + (size_t)xx;
        x[o * C + c0] = (float)(sa * inv);
        x[o * C + c0 + 1] = (float)(sb * inv);
      }
}

void lt_model_input_make(float *x, int side, int in_channels, const float *lung,
                         const float *mediastinal) {
  pool_into(x, in_channels, 0, side, LT_PATCH_N / side, 0, lung, mediastinal);
  if (in_channels == 4)
    pool_into(x, 4, 2, side, FOVEA_N / side, FOVEA_LO, lung, mediastinal);
}

/* The mask's voxel v: a byte each, or bit v of a packed plane. */
static inline int mask_at(const uint8_t *mask, bool packed, size_t v) {
  return packed ? (mask[v >> 3] >> (v & 7)) & 1 : mask[v] != 0;
}

/* One rule for both layouts: half of the k^3 block inside makes the cell inside. Inline, so that
 * each caller gets a loop for its own layout. */
static inline void pool_mask(float *m, int side, const uint8_t *mask, bool packed) {
  const int k = LT_PATCH_N / side;
  for (int z = 0; z < side; z++)
    for (int y = 0; y < side; y++)
      for (int xx = 0; xx < side; xx++) {
        int in = 0;
        for (int dz = 0; dz < k; dz++)
          for (int dy = 0; dy < k; dy++)
            for (int dx = 0; dx < k; dx++)
              in += mask_at(mask, packed,
                            (size_t)(xx * k + dx) + LT_PATCH_N * ((size_t)(y * k + dy) +
                                                                  LT_PATCH_N * (size_t)(z * k + dz)));
        m[((size_t)z * side + (size_t)y) * side + (size_t)xx] = 2 * in >= k * k * k ? 1.0f : 0.0f;
      }
}

void lt_model_input_mask(float *m, int side, const uint8_t *mask) { pool_mask(m, side, mask, false); }

void lt_model_input_mask_bits(float *m, int side, const uint8_t *bits) {
  pool_mask(m, side, bits, true);
}
