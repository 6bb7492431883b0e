/* engine/nn/cuda/cuda-table.cu — the "cuda" backend table (backend.h) over cuda-runtime.cu,
 * cuda-conv.cu and cuda-layers.cu. */
#include "nn/cuda/cuda-internal.h"

extern "C" {
void *lt_cuda_alloc(size_t bytes);
void lt_cuda_free(void *p);
void lt_cuda_copy(void *dst, const void *src, size_t bytes, lt_copy_dir dir);
void lt_cuda_zero(void *p, size_t bytes);
void lt_cuda_sync(void);
int lt_cuda_conv_create(lt_conv **out, const lt_conv_desc *desc, lt_error *err);
void lt_cuda_conv_destroy(lt_conv *conv);
const char *lt_cuda_conv_impl(const lt_conv *conv, lt_conv_pass pass);
void lt_cuda_conv_forward(lt_conv *conv, float *y, const float *x, const float *w,
                          const float *b);
void lt_cuda_conv_backward_data(lt_conv *conv, float *dx, const float *dy, const float *w);
void lt_cuda_conv_backward_weights(lt_conv *conv, float *dw, float *db, const float *dy,
                                   const float *x);
void lt_cuda_gn_relu_forward(float *y, float *mean, float *rstd, const float *x,
                             const float *gamma, const float *beta, int n, int spatial, int c,
                             int g);
void lt_cuda_gn_relu_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                              const float *y, const float *x, const float *mean,
                              const float *rstd, const float *gamma, int n, int spatial, int c,
                              int g);
void lt_cuda_global_avg_pool_forward(float *y, const float *x, int n, int spatial, int c);
void lt_cuda_global_avg_pool_backward(float *dx, const float *dy, int n, int spatial, int c);
void lt_cuda_avg_pool_forward(float *y, const float *x, int n, int d, int h, int w, int c, int k);
void lt_cuda_avg_pool_backward(float *dx, const float *dy, int n, int d, int h, int w, int c,
                               int k);
void lt_cuda_fc_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                        int out);
void lt_cuda_fc_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                         const float *w, int n, int in, int out);
void lt_cuda_relu_forward(float *y, const float *x, size_t count);
void lt_cuda_relu_backward(float *dx, const float *dy, const float *y, size_t count);
void lt_cuda_sigmoid_forward(float *y, const float *x, size_t count);
void lt_cuda_sigmoid_backward(float *dx, const float *dy, const float *y, size_t count);
void lt_cuda_add(float *y, const float *a, const float *b, size_t count);
void lt_cuda_concat_forward(float *y, const float *const *xs, const int *cs, int k, size_t rows);
void lt_cuda_concat_backward(float *const *dxs, const float *dy, const int *cs, int k,
                             size_t rows);
void lt_cuda_gn_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                        const float *beta, int n, int spatial, int c, int g);
void lt_cuda_gn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                         const float *mean, const float *rstd, const float *gamma, int n,
                         int spatial, int c, int g);

const lt_backend lt_backend_cuda = {
    "cuda",
    lt_cuda_probe,
    lt_cuda_alloc,
    lt_cuda_free,
    lt_cuda_copy,
    lt_cuda_zero,
    lt_cuda_sync,
    lt_cuda_conv_create,
    lt_cuda_conv_destroy,
    lt_cuda_conv_impl,
    lt_cuda_conv_forward,
    lt_cuda_conv_backward_data,
    lt_cuda_conv_backward_weights,
    lt_cuda_gn_relu_forward,
    lt_cuda_gn_relu_backward,
    lt_cuda_global_avg_pool_forward,
    lt_cuda_global_avg_pool_backward,
    lt_cuda_avg_pool_forward,
    lt_cuda_avg_pool_backward,
    lt_cuda_fc_forward,
    lt_cuda_fc_backward,
    lt_cuda_relu_forward,
    lt_cuda_relu_backward,
    lt_cuda_sigmoid_forward,
    lt_cuda_sigmoid_backward,
    lt_cuda_add,
    lt_cuda_concat_forward,
    lt_cuda_concat_backward,
    lt_cuda_gn_forward,
    lt_cuda_gn_backward,
};
}
