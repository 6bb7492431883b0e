/* tests/train/train-data.h — a small data set of REAL-CT patches with a planted, learnable rule,
 * for the training tests.
 * Patches are cut at random points inside the lungs of LIDC-IDRI-0001 (ct/patch.h). At each
 * centre (within 2 mm) a soft-tissue sphere is planted: radius 6-8 mm for label 1, 2.5-4 mm for
 * label 0, with 20 HU noise; its voxels are the sample's mask. A confound is planted outside
 * the nodule: a bright (+300 HU) 4 mm ball 11 mm away along a random diagonal, present in 90%
 * of label-1 and 10% of label-0 samples. Ratings: malignancy follows the radius, the rest 3.
 * Each sample is its own "patient" (one real scan offers no more patients), so folds split
 * locations. */
#ifndef LT_TEST_TRAIN_DATA_H
#define LT_TEST_TRAIN_DATA_H

#include "model/config.h"
#include "train/dataset.h"

/* Builds n samples under dir. Returns 0, 77 when the shared data is absent (reason printed),
 * -1 on failure (message printed). */
int lt_test_planted_dataset(lt_dataset *ds, const char *dir, int n, unsigned seed);

/* The small configuration the training tests use: w = 4, 16^3 input (2 mm voxels from the
 * 64^3 patch), no extra convolutions, hidden 16, no attribute branch, Grad-CAM debugging, lr 2e-3.
 */
void lt_test_small_config(lt_model_config *c);

#endif
