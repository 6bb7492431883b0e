/* engine/model/input.h — the model's input made from the 2x64^3 patch (ct/patch.h): the one
 * place that decides what the network sees, shared by the data sets (training, evaluation, the
 * refit), `lungtrust-cli analyze` and the GUI.
 *
 * Channels (NDHWC, side S, 64 / S = k an integer):
 *   0, 1  the lung and mediastinal windows over the whole patch (32 mm), each voxel the mean of
 *         a k^3 block: a voxel of k / 2 mm;
 *   2, 3  (in_channels 4, "the fovea") the same two windows over the patch's central 32^3
 *         voxels (16 mm), each voxel the mean of a (k/2)^3 block: twice the resolution of
 *         channels 0-1 over the middle half of the field. Why: three in four nodules of the
 *         synthetic benchmark are under 10 mm, and at the default 32^3 input (1 mm voxels) their
 *         density and their spicules (1.4-2.2 mm wide at the base) are averaged with the lung
 *         around them; a 64^3 input at 0.5 mm costs eight times as much and does not train in
 *         the hour on two cores. The two fields share their centre, so the cube's symmetries
 *         (augment.h) act on both alike.
 * The mask (segmentation target, consensus) is pooled onto channel 0's grid only.
 * It reads no files and runs no model. */
#ifndef LT_MODEL_INPUT_H
#define LT_MODEL_INPUT_H

#include <stdint.h>

#include "lt-error.h"

/* Whether (side, in_channels) is an input this module can make: S divides 64, in_channels 2,
 * or 4 with S dividing 32. Fails with one line saying why. */
int lt_model_input_check(int side, int in_channels, lt_error *err);

/* x (S^3 * in_channels, NDHWC) from the patch's two windows lung, mediastinal (64^3 each,
 * x fastest, values in [0, 1]). (side, in_channels) must pass lt_model_input_check. */
void lt_model_input_make(float *x, int side, int in_channels, const float *lung,
                         const float *mediastinal);

/* m (S^3): 1 where at least half of the k^3 block of mask (64^3 bytes, non-zero inside) is
 * inside, else 0. */
void lt_model_input_mask(float *m, int side, const uint8_t *mask);
/* The same rule for a bit-packed mask (bit v & 7 of byte v >> 3 is voxel v), as the data set's
 * files store it: no unpacking on the training path. */
void lt_model_input_mask_bits(float *m, int side, const uint8_t *bits);

#endif
