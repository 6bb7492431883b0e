/* engine/nn/ref-kernels.h — the reference layers: naive loops, slow and obviously right.
 * One source (ref-kernels.inc) compiled twice: in float (lt_ref_f32_*, the "ref" backend)
 * and in double (lt_ref_f64_*, which the finite-difference tests use). Both accumulate in
 * double. Shapes, layouts and argument order are those of backend.h, with the convolution
 * taking its lt_conv_desc instead of a plan. Nothing but tests should run these. */
#ifndef LT_NN_REF_KERNELS_H
#define LT_NN_REF_KERNELS_H

#include <stddef.h>

#include "nn/backend.h"

#define LT_REF_DECLARE(T, P)                                                                   \
  void P##conv_forward(const lt_conv_desc *c, T *y, const T *x, const T *w, const T *b);      \
  void P##conv_backward_data(const lt_conv_desc *c, T *dx, const T *dy, const T *w);          \
  void P##conv_backward_weights(const lt_conv_desc *c, T *dw, T *db, const T *dy, const T *x); \
  void P##gn_relu_forward(T *y, T *mean, T *rstd, const T *x, const T *gamma, const T *beta,  \
                          int n, int spatial, int c, int g);                                   \
  void P##gn_relu_backward(T *dx, T *dgamma, T *dbeta, const T *dy, const T *y, const T *x,   \
                           const T *mean, const T *rstd, const T *gamma, int n, int spatial,   \
                           int c, int g);                                                      \
  void P##gn_forward(T *y, T *mean, T *rstd, const T *x, const T *gamma, const T *beta, int n, \
                     int spatial, int c, int g);                                               \
  void P##gn_backward(T *dx, T *dgamma, T *dbeta, const T *dy, const T *x, const T *mean,      \
                      const T *rstd, const T *gamma, int n, int spatial, int c, int g);        \
  void P##global_avg_pool_forward(T *y, const T *x, int n, int spatial, int c);               \
  void P##global_avg_pool_backward(T *dx, const T *dy, int n, int spatial, int c);            \
  void P##avg_pool_forward(T *y, const T *x, int n, int d, int h, int w, int c, int k);       \
  void P##avg_pool_backward(T *dx, const T *dy, int n, int d, int h, int w, int c, int k);    \
  void P##fc_forward(T *y, const T *x, const T *w, const T *b, int n, int in, int out);       \
  void P##fc_backward(T *dx, T *dw, T *db, const T *dy, const T *x, const T *w, int n, int in, \
                      int out);                                                                \
  void P##relu_forward(T *y, const T *x, size_t count);                                       \
  void P##relu_backward(T *dx, const T *dy, const T *y, size_t count);                        \
  void P##sigmoid_forward(T *y, const T *x, size_t count);                                    \
  void P##sigmoid_backward(T *dx, const T *dy, const T *y, size_t count);                     \
  void P##add(T *y, const T *a, const T *b, size_t count);                                    \
  void P##concat_forward(T *y, const T *const *xs, const int *cs, int k, size_t rows);        \
  void P##concat_backward(T *const *dxs, const T *dy, const int *cs, int k, size_t rows);

LT_REF_DECLARE(float, lt_ref_f32_)
LT_REF_DECLARE(double, lt_ref_f64_)

#endif
