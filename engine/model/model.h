/* engine/model/model.h — the collaborative model of DESIGN section 3 on an nn backend.
 *
 * Forward: a batch of 2 x S^3 patches (NDHWC) -> malignancy probability x_c, attribute scores,
 * an S^3 segmentation, and the fusion map f ((S/4)^3 cells, 8w channels). The heads see f's
 * mean, and with the config's mask_pool also f's mean weighted by the segmentation pooled to
 * the fusion grid (heads.h), whose gradient reaches the segmentation. Grad-CAM (or CAM)
 * from f and the head weights (gradcam.h). Backward: the joint loss of one batch,
 *   L = (1/n) sum_i [ BCE_i + Dice_i + MSE_i + debug_weight * L_debug,i ],
 * each term present only when sample i's labels allow it, with every parameter's gradient
 * (one block laid out by the parameter table, overwritten). The debug term's gradient is the
 * analytic one of docs/debug-loss.md, carried into f and the head weights.
 * Architecture names follow params.h; tests/reference/model.py is the same network in PyTorch.
 * Parameters and gradients live in backend memory (host memory for cpu and ref).
 * It reads no files (weights.h) and does not train (the trainer owns the loop). */
#ifndef LT_MODEL_MODEL_H
#define LT_MODEL_MODEL_H

#include <stdbool.h>

#include "lt-error.h"
#include "model/config.h"
#include "model/gradcam.h"
#include "model/loss.h"
#include "model/params.h"
#include "model/refit.h"
#include "model/weights.h"
#include "nn/backend.h"

typedef struct lt_model lt_model;

/* What one sample is labelled with. Pointers are host arrays of S^3 values in (z, y, x) order. */
typedef struct {
  bool sure;                /* sure data (pathology label) or unsure (reader annotations) */
  bool has_label;
  float label;              /* 1 malignant, 0 benign */
  const float *mask;        /* unsure: consensus mask for the Dice term, or NULL */
  bool has_ratings;
  float ratings[LT_N_ATTRIBUTES]; /* mean ratings 1-5 (with malignancy_only: ratings[5] used) */
  const float *nodule_mask; /* the annotated nodule (consensus mask or the sphere of a sure
                             * sample) for the debug term when the predicted mask is empty;
                             * NULL: none */
} lt_sample_labels;

typedef struct {
  double total;           /* L (mean over the batch) */
  double bce, dice, mse, debug; /* sums over the batch, before the 1/n */
  int n_bce, n_dice, n_mse;
  int n_debug_applied, n_debug_zero, n_debug_skipped, n_debug_fallback;
} lt_loss_terms;

/* training: allocate gradients and backward plans. batch: the largest n passed later. */
int lt_model_create(lt_model **out, const lt_model_config *c, const lt_backend *be, int batch,
                    bool training, lt_error *err);
/* lt_model_create on the engine's automatic backend (nn/backend-select.h: the GPU when one
 * answers, else the CPU). When the GPU cannot hold the model, one log line says so and the model
 * is made on the CPU. The jobs that run a model (analysis, evaluation, training) start here. */
int lt_model_create_auto(lt_model **out, const lt_model_config *c, int batch, bool training,
                         lt_error *err);
/* An inference model (batch 1, the automatic backend) with w's parameters and, when w has one,
 * its attribute refit: what the analysis, evaluate and the workstation run. */
int lt_model_create_from_weights(lt_model **out, const lt_weights *w, lt_error *err);
void lt_model_free(lt_model *m);

const lt_model_config *lt_model_config_of(const lt_model *m);
const lt_param_table *lt_model_table(const lt_model *m);
float *lt_model_params(lt_model *m); /* table->total floats */
float *lt_model_grads(lt_model *m);  /* NULL unless training */

/* Multiply-adds times 2 of the convolutions in one forward pass of the whole batch (a
 * backward costs twice that). */
double lt_model_forward_flops(const lt_model *m);

/* Forward pass of n == batch samples; x: (n, S, S, S, in_channels). */
void lt_model_forward(lt_model *m, const float *x, int n);
/* The same, with each sample's lung window at the patch's 0.5 mm (lung: n x 64^3, ct/patch.h
 * channel 0), which a refit of version 3 reads (refit-ct.h). Given NULL, such a refit is not
 * applied and the attribute scores are the heads' own: what reports a model's attributes
 * (analyze.h, heldout.h) passes the window. */
void lt_model_forward_patch(lt_model *m, const float *x, const float *lung, int n);

/* An inference model reports refitted attribute scores (refit.h) from the next forward on.
 * Refused (-1) for a training model, whose loss needs the heads' scores, and for a model
 * without the six attributes and a segmentation. */
int lt_model_set_attr_refit(lt_model *m, const lt_attr_refit *r, lt_error *err);
/* The refit's inputs that the last forward held at their range's edge for sample i, as bits
 * (lt_attr_refit_warnings words them); 0 without a refit. */
int lt_model_attr_refit_clipped(const lt_model *m, int i);

/* Results of the last forward, sample i. */
float lt_model_prob(const lt_model *m, int i);
float lt_model_logit(const lt_model *m, int i);
const float *lt_model_attrs(const lt_model *m, int i); /* lt_model_config_n_attr floats */
const float *lt_model_seg(const lt_model *m, int i);   /* S^3 probabilities */
const float *lt_model_fusion(const lt_model *m, int i); /* (N, K): N = (S/4)^3, K = 8w */
int lt_model_cam_cells(const lt_model *m); /* N */

/* For tests that compare backends: the output of the j-th convolution + GroupNorm + ReLU layer
 * (creation order) after the last forward, the whole batch (count floats, on the backend), and
 * where its parameters end in the table: every parameter upstream of it lies before that. A
 * pre-activation within rounding of 0 can pass the ReLU on one backend and not on the other;
 * comparing these outputs' signs finds such a flip. NULL when there is no j-th such layer. */
const float *lt_model_relu_output(const lt_model *m, int j, size_t *count, size_t *params_end);

/* g (K): d z / d h, so that Grad-CAM = minmax(s sum_k g_k f_k) (gradcam.h); for the CAM
 * configuration, the classifier's weights. */
void lt_model_g(const lt_model *m, int i, float *g);
/* The min-max scaled Grad-CAM (or CAM) of sample i on the fusion grid (N). Returns -1 when the
 * map is flat (cam all 0). */
int lt_model_cam(const lt_model *m, int i, float *cam);

/* The joint loss of the last forward's n samples and every parameter's gradient (overwritten).
 * Needs training mode. */
int lt_model_backward(lt_model *m, const lt_sample_labels *labels, lt_loss_terms *terms,
                      lt_error *err);

#endif
