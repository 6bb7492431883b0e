/* engine/model/weights.h — the model's weights file: safetensors plus what the model needs to
 * know about itself.
 *
 * __metadata__ keys (all strings, as safetensors requires):
 *   "lt_format"    "lungtrust-weights-2" (written), or "lungtrust-weights-1" (still read)
 *   "config"       the config as JSON (config.h)
 *   "data_hash"    hash of the training data (its manifest), e.g. "fnv1a64:..."
 *   "train_stats"  JSON {"n_samples", "spacing_mm": [min, max], "thickness_mm": [min, max],
 *                  "nodule_mm": [min, max], "nodule_mean_mm", "manufacturers": [..]}
 *   "metrics"      JSON as the trainer wrote it (free form)
 *   "attr_refit"   JSON of the attribute refit (refit.h), when `lungtrust-cli refit` added one
 *   "unusual"      JSON of the "unusual for the model" statistics (engine/model/unusual.h),
 *                  when `lungtrust-cli scope-calibrate` added them
 *   "lt_checksum"  version 2: FNV-1a 64 over the header (this metadata and the tensor table) and
 *                  the data; version 1: over the data alone, so its metadata can change unseen
 *                  (safetensors.h). A version-2 file with a data-only checksum is refused.
 * Loading refuses a file whose tensors do not match the config's table (a missing, extra or
 * misshapen tensor) before it allocates the parameters, so a config edited to a huge width
 * costs nothing, and, when the caller expects an architecture, a config that differs.
 * It runs no model. */
#ifndef LT_MODEL_WEIGHTS_H
#define LT_MODEL_WEIGHTS_H

#include <stdbool.h>

#include "lt-error.h"
#include "model/config.h"
#include "model/params.h"
#include "model/refit.h"

#define LT_WEIGHTS_FORMAT "lungtrust-weights-2"
#define LT_WEIGHTS_FORMAT_1 "lungtrust-weights-1"

typedef struct {
  char data_hash[80];
  int n_samples;
  double spacing_mm[2];   /* in-plane pixel spacing, min and max */
  double thickness_mm[2]; /* slice thickness, min and max */
  double nodule_mm[2];    /* nodule diameter, min and max */
  double nodule_mean_mm;
  char manufacturers[256]; /* comma-separated */
} lt_train_stats;

typedef struct {
  char format[32]; /* the file's lt_format: LT_WEIGHTS_FORMAT or LT_WEIGHTS_FORMAT_1 */
  lt_model_config config;
  lt_param_table table;
  float *params; /* lt_param_block_new(&table) */
  bool has_stats;
  lt_train_stats stats;
  char *metrics_json; /* NULL when absent */
  char *unusual_json; /* "unusual" metadata (model/unusual.h), NULL when absent */
  bool has_refit;     /* the attribute scores are refitted (refit.h) */
  lt_attr_refit refit;
} lt_weights;

/* Saves params (laid out by table) with the config, optional stats and metrics JSON. */
int lt_weights_save(const char *path, const lt_model_config *c, const lt_param_table *t,
                    const float *params, const lt_train_stats *stats, const char *metrics_json,
                    lt_error *err);

/* Saves everything w holds (params, config, stats, metrics, refit) to path. */
int lt_weights_write(const char *path, const lt_weights *w, lt_error *err);

/* Loads and checks a weights file. When expect is not NULL its architecture (every field that
 * changes the tensors or the forward pass) must equal the file's. */
int lt_weights_load(const char *path, const lt_model_config *expect, lt_weights *out, lt_error *err);
void lt_weights_free(lt_weights *w);

/* Same architecture: the fields that change parameter shapes or the forward pass. */
bool lt_model_config_same_arch(const lt_model_config *a, const lt_model_config *b);


#endif
