/* tests/nn/nn-shapes.h — the convolution shapes of the default model (DESIGN section 3,
 * w = 16, input 2x64^3), for the nn tests and tests/bench/bench-conv.c. Decoder convolutions
 * that repeat an encoder shape are marked as repeats (tests run each shape once; the benchmark
 * counts them twice for the model's total). */
#ifndef LT_NN_SHAPES_H
#define LT_NN_SHAPES_H

#include "nn/backend.h"

typedef struct {
  const char *name;
  lt_conv_kind kind;
  int c_in, c_out, size, k, stride; /* input size^3 */
  int repeat;                       /* 1: same shape as an earlier entry */
} nn_model_conv;

static const nn_model_conv nn_model_convs[] = {
    {"E1 conv 2->16 @64", LT_CONV, 2, 16, 64, 3, 1, 0},
    {"E2 conv 16->32 s2 @64", LT_CONV, 16, 32, 64, 3, 2, 0},
    {"E2 conv 32->32 @32", LT_CONV, 32, 32, 32, 3, 1, 0},
    {"E3 conv 32->64 s2 @32", LT_CONV, 32, 64, 32, 3, 2, 0},
    {"E3 conv 64->64 @16", LT_CONV, 64, 64, 16, 3, 1, 0},
    {"E4 conv 64->128 s2 @16", LT_CONV, 64, 128, 16, 3, 2, 0},
    {"E4 conv 128->128 @8", LT_CONV, 128, 128, 8, 3, 1, 0},
    {"U3 tconv 128->64 @8", LT_CONV_TRANSPOSED, 128, 64, 8, 2, 2, 0},
    {"D3 conv 64->64 @16", LT_CONV, 64, 64, 16, 3, 1, 1},
    {"U2 tconv 64->32 @16", LT_CONV_TRANSPOSED, 64, 32, 16, 2, 2, 0},
    {"D2 conv 32->32 @32", LT_CONV, 32, 32, 32, 3, 1, 1},
    {"U1 tconv 32->16 @32", LT_CONV_TRANSPOSED, 32, 16, 32, 2, 2, 0},
    {"S conv1 16->1 @64", LT_CONV, 16, 1, 64, 1, 1, 0},
    {"F conv1 129->128 @16", LT_CONV, 129, 128, 16, 1, 1, 0},
};

#define NN_MODEL_CONV_COUNT ((int)(sizeof nn_model_convs / sizeof nn_model_convs[0]))

#endif
