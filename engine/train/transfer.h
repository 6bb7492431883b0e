/* engine/train/transfer.h — initialising a model from another model's weights (transfer
 * learning, the paper's Table 1 second baseline): every tensor whose name and shape equal a
 * tensor of the source weights is copied; the others keep their own initialisation.
 * It trains nothing and reads no file itself (weights.h loads the source). */
#ifndef LT_TRAIN_TRANSFER_H
#define LT_TRAIN_TRANSFER_H

#include "lt-error.h"
#include "model/params.h"
#include "model/weights.h"

/* How many of dst's tensors (dst->n) have a tensor of the same name and shape in src. */
int lt_transfer_count(const lt_param_table *dst, const lt_weights *src);

/* Copies every tensor of src whose name and shape match a tensor of dst into block (laid out
 * by dst). Returns the number copied; -1 with err set (block untouched) when the file does not
 * fit: an encoder tensor of dst ("e1.0.conv.weight", ...) is missing from src or has another
 * shape there (another width, input or stage layout), or no tensor matches at all. */
int lt_transfer_copy(const lt_param_table *dst, float *block, const lt_weights *src,
                     const char *src_name, lt_error *err);

#endif
