/* engine/nn/cpu-dnnl.h — the cpu backend's convolutions through oneDNN 2.6.
 * cpu-dnnl.c is the only file that includes oneDNN's headers (oneDNN 3 changed the API).
 * Activations are given to oneDNN as dnnl_ndhwc; weights take the layout oneDNN prefers
 * ("any"), reordered from and to the canonical layouts of tensor.h inside every call (the
 * reorders are a small fraction of a convolution's time). A plan whose primitive oneDNN would
 * run with a "ref" kernel is refused at creation. A 1x1x1 convolution's weight gradient is one
 * dnnl_sgemm (dy^T x) instead of the primitive. */
#ifndef LT_NN_CPU_DNNL_H
#define LT_NN_CPU_DNNL_H

#include <stddef.h>

#include "nn/backend.h"

/* 1 when an implementation name oneDNN reports is one we run (jit, brgemm, jit gemm), 0 for
 * a reference kernel (a name containing "ref") or none. */
int lt_dnnl_impl_acceptable(const char *impl);
/* 0 when oneDNN's cpu engine starts, with "oneDNN 2.6.3, isa avx512_core_amx" in info. */
int lt_dnnl_probe(char *info, size_t info_size, lt_error *err);
int lt_dnnl_conv_create(lt_conv **out, const lt_conv_desc *desc, lt_error *err);
void lt_dnnl_conv_destroy(lt_conv *conv);
const char *lt_dnnl_conv_impl(const lt_conv *conv, lt_conv_pass pass);
void lt_dnnl_conv_forward(lt_conv *conv, float *y, const float *x, const float *w,
                          const float *b);
void lt_dnnl_conv_backward_data(lt_conv *conv, float *dx, const float *dy, const float *w);
void lt_dnnl_conv_backward_weights(lt_conv *conv, float *dw, float *db, const float *dy,
                                   const float *x);

#endif
