/* engine/nn/ref-f64.c — the reference layers in double (see ref-kernels.h). */
#include "nn/ref-kernels.h"

#define T double
#define FN(name) lt_ref_f64_##name
#include "nn/ref-kernels.inc"
