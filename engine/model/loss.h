/* engine/model/loss.h — the loss terms of the paper's Eq. 1 and Eq. 4, each with its gradient.
 *   BCE on a sure label, from the logit (numerically stable).
 *   Dice with smoothing theta on an unsure mask: 1 - (2 sum y g + theta) / (sum y + sum g + theta).
 *   MSE on unsure mean ratings: mean over the k outputs of (y - t)^2.
 *   The debug loss of Eq. 4 on a CAM, with the analytic gradient of docs/debug-loss.md,
 *   down to d/du (u = sum_k g_k f_k, gradcam.h); the model carries it into f and the heads.
 * Gradients are overwritten, never accumulated. Which sample carries which term is the
 * model's decision (model.h). Host arrays; no network here. */
#ifndef LT_MODEL_LOSS_H
#define LT_MODEL_LOSS_H

#include <stddef.h>

/* Returns -(t log x + (1 - t) log(1 - x)) with x = sigmoid(z); *dz = x - t. */
double lt_loss_bce(float z, float t, float *dz);

/* Dice loss of probabilities y against mask g over n voxels; dy (n) may be NULL. */
double lt_loss_dice(const float *y, const float *g, size_t n, double theta, float *dy);

/* Mean squared error over k values; dy (k) may be NULL. */
double lt_loss_mse(const float *y, const float *t, int k, float *dy);

typedef enum {
  LT_DEBUG_APPLIED = 0,   /* hinge > 0: loss and gradient set */
  LT_DEBUG_HINGE_ZERO,    /* hinge = 0: loss and gradient zero */
  LT_DEBUG_SKIP_MASK,     /* the mask is empty or fills the grid: skipped */
  LT_DEBUG_SKIP_FLAT,     /* flat CAM (max = min): skipped */
} lt_debug_status;

typedef struct {
  lt_debug_status status;
  double hinge;    /* max(0, B - A + lambda) */
  double mean_in;  /* A */
  double mean_out; /* B */
  double loss;     /* coef * hinge */
} lt_debug_result;

/* Eq. 4: L = coef * max(0, B - A + lambda) with CAM = minmax(s u), A and B the p-weighted and
 * (1-p)-weighted means of CAM (p: mask fraction per cell, no gradient). Writes dL/du into du
 * (N; zero unless APPLIED) and CAM into cam (N). coef = |x_c - 0.5|, given by the caller. */
void lt_loss_debug(lt_debug_result *r, float *du, float *cam, const float *u, float s,
                   const float *p, int N, double lambda, double coef);

#endif
