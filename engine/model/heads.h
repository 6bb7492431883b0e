/* engine/model/heads.h — the model's heads after global average pooling, on host memory.
 * h is the heads' input: f's mean over the fusion cells (K values), with mask_pool followed by
 * f's mean inside the predicted nodule (Kin = 2K in all). Since both are weighted means over
 * the cells, the Grad-CAM weight of channel k folds the two: g_k = dz/dh_k + dz/dh_{K+k}.
 * Regression branch a = relu(Wr1 h + br1), attributes = Wr2 a + br2; classification branch
 * c = relu(Wc1 h + bc1), z = wc2 . [c; a] + bc2 (a only with concatenation); or, for the CAM
 * configuration, z = wcls . h + bcls. Also g = dz/dh (docs/debug-loss.md) and the backward,
 * including the debug term's gradient through g into the head weights.
 * Internal to engine/model (model.c); parameter names as params.h. */
#ifndef LT_MODEL_HEADS_H
#define LT_MODEL_HEADS_H

#include <stdbool.h>

#include "model/config.h"
#include "model/params.h"

typedef struct {
  int K, Kin, H, na; /* f's channels, the heads' input width (K or 2K) */
  bool concat, cam;
  /* parameters (NULL when absent) */
  const float *Wr1, *br1, *Wr2, *br2, *Wc1, *bc1, *Wc2, *bc2;
  /* gradients, same layout (NULL when not training) */
  float *dWr1, *dbr1, *dWr2, *dbr2, *dWc1, *dbc1, *dWc2, *dbc2;
  /* per-sample cache of the last forward: (batch, H) each, and (batch) / (batch, na) */
  float *a, *c, *z, *x, *attrs;
  double *scratch; /* 2 H, for the backward */
} lt_heads;

/* Points the heads at their parameters (and gradients if grads is not NULL). */
void lt_heads_bind(lt_heads *hd, const lt_model_config *cfg, const lt_param_table *t,
                   const float *params, float *grads);
/* h: (n, Kin). Fills the cache. */
void lt_heads_forward(lt_heads *hd, const float *h, int n);
/* g (K) for sample i: dz/dh, folded to f's K channels. */
void lt_heads_g(const lt_heads *hd, int i, float *g);
/* Zeroes the head parameters' gradients. */
void lt_heads_zero_grads(lt_heads *hd);
/* Sample i: accumulates parameter gradients for dL/dz = dz, dL/dattrs = dattrs (na, or NULL),
 * dL/dg = dg (K, or NULL), and writes dL/dh into dh (Kin). h: sample i's pooled features (Kin). */
void lt_heads_backward(lt_heads *hd, int i, const float *h, float dz, const float *dattrs,
                       const float *dg, float *dh);

#endif
