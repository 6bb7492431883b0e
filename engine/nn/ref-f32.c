/* engine/nn/ref-f32.c — the reference layers in float (see ref-kernels.h). */
#include "nn/ref-kernels.h"

#define T float
#define FN(name) lt_ref_f32_##name
#include "nn/ref-kernels.inc"
