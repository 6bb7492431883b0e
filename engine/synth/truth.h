/* engine/synth/truth.h — the synthetic malignancy truth: a fixed, documented rule over a nodule's
 * true (latent) attributes and size, with label noise. Committed before any ablation run; change
 * it only with a new rule version (LT_TRUTH_RULE_VERSION), since trained models depend on it.
 *
 * Rule (version 1):
 *   z = log2(d / 8 mm) + 0.8 (spiculation - 1) + 0.5 (lobulation - 1) + 0.5 (4 - margin) - 0.6
 *   malignant = z > 0, then flipped with probability LT_TRUTH_FLIP (0.05): label noise.
 * d is the equivalent diameter; the scores are the true ones the image was made from, not the
 * simulated readers' ratings. Over the LIDC-drawn attribute distribution (attrs.h) about 40% of
 * nodules are malignant. The reported probability is sigmoid(2 z), for calibration plots only.
 * Does no I/O. */
#ifndef LT_SYNTH_TRUTH_H
#define LT_SYNTH_TRUTH_H

#include <stdbool.h>

#include "synth/attrs.h"
#include "synth/rng.h"

#define LT_TRUTH_RULE_VERSION 1
#define LT_TRUTH_FLIP 0.05

double lt_truth_score(const lt_synth_attrs *a);

typedef struct {
  int label;       /* 1 malignant, 0 benign (after label noise) */
  int rule_label;  /* before label noise */
  bool flipped;
  double score, probability;
} lt_truth;

/* Draws exactly one uniform number from rng (for the flip). */
void lt_truth_draw(const lt_synth_attrs *a, lt_srng *rng, lt_truth *out);

#endif
