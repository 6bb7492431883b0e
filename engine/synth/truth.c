/* engine/synth/truth.c — see truth.h. */
#include "synth/truth.h"

#include <math.h>

double lt_truth_score(const lt_synth_attrs *a) {
  return log2(a->diameter_mm / 8.0) + 0.8 * (a->score[LT_ATTR_SPICULATION] - 1) +
         0.5 * (a->score[LT_ATTR_LOBULATION] - 1) + 0.5 * (4 - a->score[LT_ATTR_MARGIN]) - 0.6;
}

void lt_truth_draw(const lt_synth_attrs *a, lt_srng *rng, lt_truth *out) {
  out->score = lt_truth_score(a);
  out->probability = 1.0 / (1.0 + exp(-2.0 * out->score));
  out->rule_label = out->score > 0;
  out->flipped = lt_srng_uniform(rng) < LT_TRUTH_FLIP;
  out->label = out->flipped ? !out->rule_label : out->rule_label;
}
