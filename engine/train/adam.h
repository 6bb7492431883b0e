/* engine/train/adam.h — the Adam optimiser (Kingma and Ba; PyTorch's torch.optim.Adam without
 * weight decay or amsgrad) over one flat parameter block.
 * The two moments are one allocation laid out as the parameter block (params.h), so a
 * checkpoint saves them as two more views of the same table. It knows no model. */
#ifndef LT_TRAIN_ADAM_H
#define LT_TRAIN_ADAM_H

#include <stddef.h>

#include "lt-error.h"

typedef struct {
  double lr, beta1, beta2, eps;
  long step;     /* steps taken */
  size_t n;      /* floats in the block */
  float *m, *v;  /* m = moments, v = m + n: one allocation */
} lt_adam;

/* lr (1e-3 in the paper), betas 0.9 and 0.999, eps 1e-8; zero moments. */
int lt_adam_init(lt_adam *a, size_t n, double lr, lt_error *err);
void lt_adam_free(lt_adam *a);
/* One update: params -= lr * m_hat / (sqrt(v_hat) + eps), bias-corrected. */
void lt_adam_step(lt_adam *a, float *params, const float *grads);

#endif
