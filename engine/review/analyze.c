/* engine/review/analyze.c — see analyze.h. */
#include "review/analyze.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "model/metrics.h"
#include "nn/backend-select.h"

void lt_analysis_free(lt_analysis *a) {
  free(a->seg);
  free(a->cam);
  free(a->cam_grid);
  memset(a, 0, sizeof *a);
}

int lt_analyze_patch(lt_model *m, const float *patch, const float *lung, const float *consensus,
                     lt_analysis *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  const lt_model_config *c = lt_model_config_of(m);
  const int S = c->input_size, F = lt_model_config_fusion_side(c), N = F * F * F;
  const size_t S3 = (size_t)S * S * S;
  out->side = S;
  out->grid = F;
  out->seg = calloc(S3, sizeof(float));
  out->cam = malloc(S3 * sizeof(float));
  out->cam_grid = malloc((size_t)N * sizeof(float));
  float *p = malloc((size_t)N * sizeof(float));
  if (!out->seg || !out->cam || !out->cam_grid || !p) {
    free(p);
    lt_analysis_free(out);
    return lt_error_set(err, "analyze: out of memory");
  }
  lt_model_forward_patch(m, patch, lung, 1);
  out->prob = lt_model_prob(m, 0);
  out->n_attr = lt_model_config_n_attr(c);
  memcpy(out->attrs, lt_model_attrs(m, 0), (size_t)out->n_attr * sizeof(float));
  out->refit_clipped = lt_model_attr_refit_clipped(m, 0);
  out->has_seg = lt_model_seg(m, 0) != NULL;
  if (out->has_seg) memcpy(out->seg, lt_model_seg(m, 0), S3 * sizeof(float));
  out->cam_flat = lt_model_cam(m, 0, out->cam_grid) != 0;
  lt_cam_upsample(out->cam, S, out->cam_grid, F);
  if (out->has_seg) {
    lt_mask_fraction(p, out->seg, S, S / F);
    lt_trust_measure(&out->trust_own, out->cam_grid, p, N, c->lambda);
  }
  if (consensus) {
    out->has_consensus = true;
    lt_mask_fraction(p, consensus, S, S / F);
    lt_trust_measure(&out->trust_consensus, out->cam_grid, p, N, c->lambda);
    out->dice_consensus = out->has_seg ? lt_dice(out->seg, consensus, S3, 0.5f) : NAN;
  }
  free(p);
  /* a GPU error in a layer is sticky, not returned: the numbers above cannot be trusted */
  if (lt_engine_take_error(err)) {
    lt_analysis_free(out);
    return -1;
  }
  return 0;
}

double lt_trust_grid_cell_mm(int grid) { return LT_PATCH_N * LT_PATCH_SPACING / grid; }

bool lt_trust_grid_coarse(int grid, double nodule_mm) {
  return grid >= 1 && nodule_mm > 0 && nodule_mm < 2 * lt_trust_grid_cell_mm(grid);
}
