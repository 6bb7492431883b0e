/* engine/review/analyze.h — one nodule through the model: what `lungtrust-cli analyze` and the
 * GUI's result panel show. Runs the forward pass on a patch, takes Grad-CAM (or CAM) on the
 * fusion grid and upsamples it to the patch, and computes the trust measures against the
 * model's own mask and, when given, the readers' consensus (with the Dice between the two
 * segmentations), and fails when the GPU reported an error on the way (lt_engine_take_error).
 * Placing maps back in the CT volume: gradcam.h (lt_cam_to_volume).
 * It reads no files and draws nothing. */
#ifndef LT_REVIEW_ANALYZE_H
#define LT_REVIEW_ANALYZE_H

#include <stdbool.h>

#include "lt-error.h"
#include "model/config.h"
#include "model/gradcam.h"
#include "model/model.h"

typedef struct {
  float prob;                      /* x_c, malignancy probability */
  int n_attr;
  float attrs[LT_N_ATTRIBUTES];    /* the first n_attr are set */
  int side;                        /* S: patch side */
  bool has_seg;                    /* false for a model without segmentation (the ResNet
                                    * baseline): seg is then all 0, trust_own invalid and
                                    * dice_consensus NaN */
  float *seg;                      /* S^3 probabilities, (z, y, x) */
  float *cam;                      /* S^3 Grad-CAM upsampled (trilinear), in [0, 1] */
  int grid;                        /* fusion grid side (S / 4) */
  float *cam_grid;                 /* grid^3, the map the trust check uses */
  bool cam_flat;                   /* max == min: the map carries no information */
  lt_trust trust_own;              /* against the model's own mask (seg >= 0.5) */
  bool has_consensus;
  lt_trust trust_consensus;        /* against the readers' consensus mask */
  double dice_consensus;           /* Dice of (seg >= 0.5) against the consensus */
  int refit_clipped;               /* the attribute refit's inputs held at their range's edge
                                    * (lt_attr_refit_warnings), 0 without a refit */
} lt_analysis;

/* The model must have been created with batch 1. patch: (S, S, S, in_channels) NDHWC, the
 * model's input; lung: the same patch's lung window at 0.5 mm (64^3, ct/patch.h channel 0),
 * which the attribute refit reads (model.h lt_model_forward_patch); consensus: S^3 mask in
 * (z, y, x) order, or NULL. PASS uses the config's lambda (0.5) as the margin. */
int lt_analyze_patch(lt_model *m, const float *patch, const float *lung, const float *consensus,
                     lt_analysis *out, lt_error *err);
void lt_analysis_free(lt_analysis *a);

/* The trust check is taken on the fusion grid: grid cells a side over the 32 mm patch, each
 * 32 / grid mm (2 mm at the 64^3 input, 4 mm at the default model's 32^3). A nodule narrower than
 * two cells lies in a handful of them, half of each its surroundings, so its inside/outside
 * contrast says little. True when nodule_mm (its diameter; <= 0 when unknown) is under two
 * cells of a grid of grid cells (>= 1). */
bool lt_trust_grid_coarse(int grid, double nodule_mm);
/* The side of one cell of that grid in mm: 32 / grid. */
double lt_trust_grid_cell_mm(int grid);
#endif
