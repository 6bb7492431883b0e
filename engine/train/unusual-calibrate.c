/* engine/train/unusual-calibrate.c — see unusual-calibrate.h. */
#include "train/unusual-calibrate.h"

#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "model/config.h"
#include "nn/backend-select.h"
#include "train/trainer.h"

int lt_unusual_calibrate(lt_unusual_stats *s, lt_model *m, const lt_dataset *ds,
                         const lt_unusual_calibration *opt, lt_error *err) {
  const lt_model_config *c = lt_model_config_of(m);
  const int S = c->input_size, C = c->in_channels, K = lt_model_config_fusion_channels(c);
  if (K > LT_UNUSUAL_MAX_DIM)
    return lt_error_set(err, "unusual: %d fusion channels, at most %d", K, LT_UNUSUAL_MAX_DIM);
  int *fold = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *fold);
  int *role = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *role);
  int *use = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *use);
  float *x = malloc((size_t)S * S * S * (size_t)C * sizeof *x);
  float *lung = malloc(LT_PATCH_VOXELS * sizeof *lung);
  float *tr = NULL, *va = NULL;
  int rc = -1, n_tr = 0, n_va = 0;
  if (!fold || !role || !use || !x || !lung) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  if (lt_train_folds(ds, opt->folds, opt->seed, fold, err) ||
      lt_train_roles(ds, fold, opt->fold, opt->seed, opt->val_frac, role, err))
    goto out;
  int all_tr = 0;
  for (int i = 0; i < ds->n; i++) all_tr += role[i] == 0;
  const int want = opt->max_train > 0 && opt->max_train < all_tr ? opt->max_train : all_tr;
  /* evenly spaced training samples, every validation sample, no test sample */
  int k = 0, total = 0;
  for (int i = 0; i < ds->n; i++) {
    use[i] = 0;
    if (role[i] == 1) use[i] = 1, n_va++;
    if (role[i] == 0) {
      if ((long)k * want / all_tr != (long)(k + 1) * want / all_tr) use[i] = 1, n_tr++;
      k++;
    }
    total += use[i];
  }
  tr = malloc((size_t)(n_tr ? n_tr : 1) * K * sizeof *tr);
  va = malloc((size_t)(n_va ? n_va : 1) * K * sizeof *va);
  if (!tr || !va) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  int a = 0, b = 0, done = 0;
  for (int i = 0; i < ds->n; i++) {
    if (!use[i]) continue;
    if (lt_dataset_read_patch(ds, i, S, C, x, NULL, NULL, lung, err)) goto out;
    lt_model_forward_patch(m, x, lung, 1);
    if (lt_engine_take_error(err)) goto out;
    lt_unusual_features(m, 0, role[i] == 1 ? va + (size_t)b++ * K : tr + (size_t)a++ * K);
    if (opt->progress) opt->progress(++done, total, opt->user);
  }
  rc = lt_unusual_fit(s, tr, n_tr, va, n_va, K, opt->n_axes, opt->percentile, err);
out:
  free(fold), free(role), free(use), free(x), free(lung), free(tr), free(va);
  return rc;
}
