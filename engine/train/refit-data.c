/* engine/train/refit-data.c — see refit-data.h. */
#include "train/refit-data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "train/refit-fit.h"
#include "nn/backend-select.h"

int lt_attr_refit_on_dataset(lt_attr_refit *r, lt_model *m, const lt_dataset *ds, double lambda,
                             lt_refit_loss loss, lt_refit_report *rep, lt_error *err) {
  memset(rep, 0, sizeof *rep);
  if (ds->evaluation)
    return lt_error_set(err, "%s is an evaluation data set (labels from the synthetic truth): "
                             "the refit is fitted on training data", ds->dir);
  const lt_model_config *c = lt_model_config_of(m);
  if (!lt_attr_refit_allowed(c))
    return lt_error_set(err, "refit: the model needs the six attributes and a segmentation");
  const int S = c->input_size;
  const size_t S3 = (size_t)S * S * S;
  int n = 0;
  for (int i = 0; i < ds->n; i++) n += ds->s[i].has_ratings;
  double *in = malloc((size_t)(n ? n : 1) * LT_REFIT_N_IN * sizeof *in);
  double *y = malloc((size_t)(n ? n : 1) * LT_N_ATTRIBUTES * sizeof *y);
  float *x = malloc((size_t)c->in_channels * S3 * sizeof *x);
  float *lung = malloc((size_t)LT_PATCH_VOXELS * sizeof *lung);
  int rc = -1, k = 0;
  if (!in || !y || !x || !lung) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    if (!s->has_ratings) continue;
    if (lt_dataset_read_patch(ds, i, S, c->in_channels, x, NULL, NULL, lung, err)) goto out;
    lt_model_forward(m, x, 1);
    const float *a = lt_model_attrs(m, 0);
    double *row = in + (size_t)k * LT_REFIT_N_IN;
    for (int j = 0; j < LT_N_ATTRIBUTES; j++) {
      row[j] = a[j];
      y[(size_t)k * LT_N_ATTRIBUTES + j] = s->ratings[j];
    }
    lt_refit_measures(row + LT_N_ATTRIBUTES, x, c->in_channels, lt_model_seg(m, 0), S, lung);
    k++;
  }
  /* a GPU error in a layer is sticky, not returned: the scores above cannot be trusted */
  if (lt_engine_take_error(err)) goto out;
  if (lt_attr_refit_fit(r, in, y, n, lambda, loss, err)) goto out;
  rep->n = n;
  for (int i = 0; i < n; i++) {
    float a[LT_N_ATTRIBUTES];
    const double *row = in + (size_t)i * LT_REFIT_N_IN;
    for (int j = 0; j < LT_N_ATTRIBUTES; j++) a[j] = (float)row[j];
    lt_attr_refit_apply(r, a, row + LT_N_ATTRIBUTES);
    for (int j = 0; j < LT_N_ATTRIBUTES; j++) {
      const double t = y[(size_t)i * LT_N_ATTRIBUTES + j];
      rep->mae_before[j] += fabs(row[j] - t) / n;
      rep->mae_after[j] += fabs(a[j] - t) / n;
    }
  }
  rc = 0;
out:
  free(in), free(y), free(x), free(lung);
  return rc;
}
