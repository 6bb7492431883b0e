/* engine/nn/cpu-layers.h — the cpu backend's layers other than convolutions: plain C with
 * OpenMP (oneDNN 2.6 has no GroupNorm, and the rest is memory-bound and simple). Written by
 * hand because no library here does GroupNorm+ReLU in NDHWC; arguments as in backend.h. */
#ifndef LT_NN_CPU_LAYERS_H
#define LT_NN_CPU_LAYERS_H

#include <stddef.h>

void lt_cpu_gn_relu_forward(float *y, float *mean, float *rstd, const float *x,
                            const float *gamma, const float *beta, int n, int spatial, int c,
                            int g);
void lt_cpu_gn_relu_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *y, const float *x, const float *mean, const float *rstd,
                             const float *gamma, int n, int spatial, int c, int g);
void lt_cpu_gn_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                       const float *beta, int n, int spatial, int c, int g);
void lt_cpu_gn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                        const float *mean, const float *rstd, const float *gamma, int n,
                        int spatial, int c, int g);
void lt_cpu_global_avg_pool_forward(float *y, const float *x, int n, int spatial, int c);
void lt_cpu_global_avg_pool_backward(float *dx, const float *dy, int n, int spatial, int c);
void lt_cpu_avg_pool_forward(float *y, const float *x, int n, int d, int h, int w, int c, int k);
void lt_cpu_avg_pool_backward(float *dx, const float *dy, int n, int d, int h, int w, int c,
                              int k);
void lt_cpu_fc_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                       int out);
void lt_cpu_fc_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, int n, int in, int out);
void lt_cpu_relu_forward(float *y, const float *x, size_t count);
void lt_cpu_relu_backward(float *dx, const float *dy, const float *y, size_t count);
void lt_cpu_sigmoid_forward(float *y, const float *x, size_t count);
void lt_cpu_sigmoid_backward(float *dx, const float *dy, const float *y, size_t count);
void lt_cpu_add(float *y, const float *a, const float *b, size_t count);
void lt_cpu_concat_forward(float *y, const float *const *xs, const int *cs, int k, size_t rows);
void lt_cpu_concat_backward(float *const *dxs, const float *dy, const int *cs, int k,
                            size_t rows);

#endif
