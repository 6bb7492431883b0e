/* engine/synth/manifest.h — the manifest of a synthetic data set (manifest.json, cJSON): one
 * entry per case (id, folder, fold = index % 5 so folds split by case, split for the confound
 * experiment) and per inserted nodule a sample: patch centre (LPS mm), set "sure" (label and
 * radius, no ratings, no mask) or "unsure" (mean ratings of the readers and the consensus mask
 * path as imported through ct/nodules.h, no label), the confound speck when there is one, and a
 * "truth" object (true label, rule score, true attributes and diameter, truth mask, Dice of the
 * consensus against it; the nodule's kind, solid, calcified, juxtapleural, centre, extents, the
 * HU of its truth mask and its kind's parameters) for evaluation only: a trainer must not read it;
 * the physical nodule's ID in the case's readings (lidc_id) and the readers' texture and
 * calcification ratings.
 * Also records the seed, the truth rule, the background study and the model-card note that every
 * background comes from the few real CTs available. Does not read manifests back (a later
 * trainer does). */
#ifndef LT_SYNTH_MANIFEST_H
#define LT_SYNTH_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "lt-error.h"
#include "synth/case.h"

typedef struct {
  uint64_t seed;
  bool confound;
  const char *study_dir;
  const lt_synth_study *study;
  const char *ratings_dir;
  int attr_pool_size;
  lt_nodule_kind kind;   /* the run's options (case.h) */
  double juxtapleural;
  double max_extent_mm;
} lt_synth_manifest_info;

#define LT_SYNTH_MODEL_CARD_NOTE                                                                  \
  "Every background comes from the few real CTs available (here one study per --study run); "     \
  "the nodules are synthetic and their malignancy follows a documented rule, not pathology. "     \
  "A model trained on this data has seen one scanner, one patient's anatomy and one noise level."

int lt_synth_manifest_write(const char *path, const lt_synth_manifest_info *info,
                            const lt_synth_case *cases, int n_cases, lt_error *err);

#endif
