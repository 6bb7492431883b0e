/* engine/model/params.h — the model's parameters as one block with a table of named views.
 *
 * The table is built from a config: every tensor's name (PyTorch-style, e.g. "e2.0.conv.weight"),
 * shape (canonical layouts of nn/tensor.h: conv OIDHW, transposed conv IODHW, FC (out, in)) and
 * offset into one 64-byte aligned float block. Parameters, gradients and Adam moments are each
 * one such block, so zeroing, copying and saving are one call each, and the safetensors header
 * is built from this table. Also deterministic initialisation.
 * The ResNet baseline (config arch "resnet", Table 1 row 1) has its own trunk: "stem" (3x3x3
 * in -> w at S^3, GN, ReLU), then one residual block per stage "r1".."r4" with widths w, 2w,
 * 4w, 8w and strides 1, 2, 2, 1 (stage 4 stays at S/4 so that the map Grad-CAM is taken on has
 * (S/4)^3 cells, like the fusion map): "rS.conv1" (3x3x3, the stage's stride, GN, ReLU),
 * "rS.conv2" (3x3x3, GN, no ReLU), a shortcut that is the identity when the shape is kept,
 * else "rS.proj" (2x2x2 average pooling when the stage halves, then 1x1x1 convolution and GN:
 * the projection of ResNet-D), the sum, ReLU. Then the same heads (cls1, cls2 or cls).
 * It computes no layer. */
#ifndef LT_MODEL_PARAMS_H
#define LT_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"
#include "model/config.h"

#define LT_PARAM_NAME_MAX 48

typedef enum {
  LT_PK_CONV,      /* 3D convolution weight, followed by GroupNorm + ReLU */
  LT_PK_TCONV,     /* transposed convolution weight, followed by GroupNorm + ReLU */
  LT_PK_GN_GAMMA,
  LT_PK_GN_BETA,
  LT_PK_FC_RELU,   /* FC weight followed by ReLU */
  LT_PK_FC_OUT,    /* output layer weight (logit, attributes, segmentation 1x1) */
  LT_PK_BIAS,
} lt_param_kind;

typedef struct {
  char name[LT_PARAM_NAME_MAX];
  lt_param_kind kind;
  int ndim;
  int shape[5];
  size_t offset; /* floats from the block start; multiple of 16 */
  size_t count;
  int fan_in;
} lt_param_view;

typedef struct {
  int n;
  lt_param_view *v;
  size_t total; /* floats in a block, padding included */
} lt_param_table;

/* Builds the table for a validated config. */
int lt_param_table_build(lt_param_table *t, const lt_model_config *c, lt_error *err);
void lt_param_table_free(lt_param_table *t);
/* Index of NAME, or -1. */
int lt_param_find(const lt_param_table *t, const char *name);

/* A zeroed, 64-byte aligned block of t->total floats (free with free()); NULL when out of memory. */
float *lt_param_block_new(const lt_param_table *t);

/* Kaiming-normal (ReLU gain) for convolution and hidden FC weights, N(0, 1/fan_in) for the output
 * layers, GroupNorm gamma 1 and beta 0, biases 0. Deterministic in seed. */
void lt_param_init(const lt_param_table *t, float *block, uint64_t seed);

/* Deterministic random numbers (splitmix64), shared by init, augmentation and tests. */
typedef struct {
  uint64_t s;
} lt_rng;
void lt_rng_seed(lt_rng *r, uint64_t seed);
uint64_t lt_rng_next(lt_rng *r);
double lt_rng_uniform(lt_rng *r); /* [0, 1) */
double lt_rng_normal(lt_rng *r);

#endif
