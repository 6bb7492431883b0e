/* engine/nn/tensor.h — shapes and float32 tensors of the network.
 * Activations are NDHWC: batch N outermost, then depth, height, width, channels innermost,
 * i.e. element (n, z, y, x, c) is at ((((n * D + z) * H + y) * W + x) * C + c).
 * Vectors (features, logits) are shapes with d = h = w = 1.
 * Canonical weight layouts (what is saved, what the optimiser updates, what PyTorch uses):
 *   convolution          OIDHW  (C_out, C_in, k, k, k)   = torch.nn.Conv3d.weight
 *   transposed conv      IODHW  (C_in, C_out, 2, 2, 2)   = torch.nn.ConvTranspose3d.weight
 *   fully connected      (out, in) row-major             = torch.nn.Linear.weight
 *   biases, GroupNorm gamma and beta: (C)
 * Memory comes from a backend (backend.h), so the same struct describes host or device data.
 * This module knows shapes and allocation only; it computes nothing. */
#ifndef LT_NN_TENSOR_H
#define LT_NN_TENSOR_H

#include <stddef.h>

#include "lt-error.h"

struct lt_backend;

typedef struct {
  int n, d, h, w, c;
} lt_shape;

typedef struct {
  float *data;    /* backend memory (host memory for cpu and ref), NULL when empty */
  lt_shape shape;
} lt_tensor;

static inline lt_shape lt_shape_make(int n, int d, int h, int w, int c) {
  lt_shape s = {n, d, h, w, c};
  return s;
}

/* D * H * W: voxels per sample and channel. */
static inline size_t lt_shape_spatial(lt_shape s) {
  return (size_t)s.d * (size_t)s.h * (size_t)s.w;
}

/* N * D * H * W * C: floats in the tensor. */
static inline size_t lt_shape_count(lt_shape s) {
  return (size_t)s.n * lt_shape_spatial(s) * (size_t)s.c;
}

/* 1 when every dimension is positive and the count fits in a size_t; 0 otherwise. */
int lt_shape_valid(lt_shape s);

/* Allocates an uninitialised tensor of shape s with be->alloc. t is zeroed first so that
 * lt_tensor_free is safe after a failure. Returns 0, or -1 with err set. */
int lt_tensor_alloc(lt_tensor *t, const struct lt_backend *be, lt_shape s, lt_error *err);
/* As lt_tensor_alloc, then sets every element to 0. */
int lt_tensor_zeros(lt_tensor *t, const struct lt_backend *be, lt_shape s, lt_error *err);
/* Frees t->data with be->free (NULL is fine) and empties t. */
void lt_tensor_free(lt_tensor *t, const struct lt_backend *be);

#endif
