/* engine/synth/readers.h — four simulated radiologists.
 *
 * Ratings: reader r rates attribute a of a nodule with true score s as
 *   clamp(round(s + bias[r][a] + noise_sd[a] * N(0, 1)), 1, 5).
 * Detection: a reader misses a nodule (no mark at all) with probability
 *   miss_max * max(0, 1 - (d - 3) / (miss_below_mm - 3)) * (5.5 - subtlety) / 4.5
 * (d the diameter in mm): only small, subtle nodules are missed, and never by all four (the
 * last one is kept).
 * Contours: each reader outlines the voxels where the nodule's partial-volume occupancy exceeds
 * a threshold of their own (0.5 + thr_bias[r] + thr_sd * N(0, 1), clamped to [0.25, 0.75]:
 * some readers draw tight, others generous outlines) after a smooth random displacement of the
 * boundary (jitter_mm * a low-order random function of the angle and the slice).
 * The constants in lt_reader_model_default were calibrated so that the mean pairwise
 * quadratic-weighted kappa of the simulated ratings matches the LIDC readers' (kappa.h,
 * tests/synth/test-readers-kappa.c). Texture and calcification follow the nodule's kind
 * (lt_readers_rate_kind). Does no I/O. */
#ifndef LT_SYNTH_READERS_H
#define LT_SYNTH_READERS_H

#include <stdbool.h>

#include "synth/attrs.h"
#include "synth/rng.h"

#define LT_SYNTH_READERS 4

typedef struct {
  double bias[LT_SYNTH_READERS][LT_ATTR_N];
  double noise_sd[LT_ATTR_N];
  double miss_max, miss_below_mm;
  double thr_bias[LT_SYNTH_READERS], thr_sd;
  double jitter_mm;
} lt_reader_model;

/* One reader's view of one nodule. */
typedef struct {
  bool seen;
  int rating[LT_ATTR_N];  /* 1..5; 0 when not seen */
  double threshold;       /* occupancy threshold of the contour */
  double jitter[8];       /* boundary displacement coefficients (mm), see insert.h */
  int texture;            /* LIDC texture 1-5 (1 non-solid/GGO, 3 part-solid, 5 solid); 0 unset */
  int calcification;      /* LIDC calcification 1-6 (6 absent); 0 unset */
} lt_reader_view;

void lt_reader_model_default(lt_reader_model *m);

/* Draws the four readers' views of a nodule. */
void lt_readers_read(const lt_reader_model *m, const lt_synth_attrs *truth, lt_srng *rng,
                     lt_reader_view views[LT_SYNTH_READERS]);

/* The texture and calcification each reader gives a nodule of true LIDC texture texture (1, 3
 * or 5) and calcification calcification (1-6; 6 absent). Solid and uncalcified (5, 6): every
 * reader says so and nothing is drawn (so solid cases stay as they were). Otherwise, per reader:
 * texture 1 is rated 1 (80%) or 2; texture 3 is rated 3 (60%), 2 or 4 (20% each); a calcium
 * pattern is named right by 85%, the rest rate it 3 ("solid") or, when it is solid, 5 ("central"):
 * readers agree on these far more than on shape (the LIDC texture ratings' kappa is high). */
void lt_readers_rate_kind(int texture, int calcification, lt_srng *rng,
                          lt_reader_view views[LT_SYNTH_READERS]);

#endif
