/* engine/nn/backend.h — the layers of the network as forward/backward pairs behind a backend.
 * A backend is a table of function pointers: memory (alloc, free, copy, zero), convolution plans
 * and every layer's forward and backward. Backends, chosen by name:
 *   "cpu"  oneDNN 2.6 convolutions (engine/nn/cpu-dnnl.c, the only file calling oneDNN) and
 *          plain C + OpenMP for the rest (engine/nn/cpu-*.c); refuses a oneDNN "ref" kernel.
 *   "ref"  naive loops, slow and obviously right (engine/nn/ref-*.c); only tests select it.
 *   "cuda" later: the same table filled by cuDNN and kernels.
 * Conventions, for every function below:
 *   - Layouts as in tensor.h: activations NDHWC, batch outermost; S = D*H*W voxels per sample.
 *     Weights in the canonical layouts of tensor.h (conv OIDHW, transposed conv IODHW, FC
 *     (out, in)); a backend may keep its own copy in another layout, but takes and returns these.
 *   - Outputs first, then saved state, then inputs, then sizes. Pointers are backend memory.
 *   - Backward functions OVERWRITE their outputs (dx, dw, db, dgamma, ...); nothing accumulates.
 *     Parameter gradients are summed over the batch. Where an activation feeds two layers the
 *     caller adds the two gradients (add below).
 *   - Layer functions do not fail and do not allocate: everything that can fail (shape checks,
 *     primitive creation, scratch memory) happens in conv_create. Passing sizes that disagree
 *     with the buffers is a bug of the caller.
 *   - Threads: OpenMP, OMP_NUM_THREADS respected. A conv plan is used by one thread at a time.
 * This module does not know the model; engine/model builds it from these layers. */
#ifndef LT_NN_BACKEND_H
#define LT_NN_BACKEND_H

#include <stddef.h>

#include "lt-error.h"
#include "nn/tensor.h"

#define LT_GN_EPS 1e-5f /* GroupNorm epsilon, as torch.nn.GroupNorm */

typedef enum {
  LT_CONV = 0,            /* k = 3 (pad 1) or k = 1 (pad 0); stride 1 or 2 */
  LT_CONV_TRANSPOSED = 1, /* k = 2, stride 2, pad 0: doubles D, H and W */
} lt_conv_kind;

/* One convolution shape. A zeroed struct plus the fields set by lt_conv_desc_make is valid. */
typedef struct {
  lt_conv_kind kind;
  int n;            /* batch */
  int c_in, c_out;
  int d, h, w;      /* input spatial size */
  int k;            /* kernel edge (cubic kernel) */
  int stride;
  int pad;          /* symmetric padding on every side */
  int forward_only; /* 1: the plan only runs conv_forward (no training buffers) */
} lt_conv_desc;
/* Every convolution has a bias (C_out). */

typedef enum {
  LT_PASS_FORWARD = 0,
  LT_PASS_BACKWARD_DATA = 1,
  LT_PASS_BACKWARD_WEIGHTS = 2,
} lt_conv_pass;

typedef enum {
  LT_COPY_HOST_TO_DEVICE = 0,
  LT_COPY_DEVICE_TO_HOST = 1,
  LT_COPY_DEVICE_TO_DEVICE = 2,
} lt_copy_dir;

/* A backend's prepared convolution for one lt_conv_desc (primitives, scratch, weight copies). */
typedef struct lt_conv lt_conv;

typedef struct lt_backend {
  const char *name; /* "cpu", "ref" */

  /* 0 when the backend runs here, with one line for `info --engine` in info (e.g.
   * "oneDNN 2.6.3, 2 OpenMP threads"); -1 with err set when it does not. */
  int (*probe)(char *info, size_t info_size, lt_error *err);

  /* ---- memory ---- */
  void *(*alloc)(size_t bytes); /* 64-byte aligned; NULL when out of memory (bytes 0: NULL) */
  void (*free)(void *p);        /* NULL is fine */
  void (*copy)(void *dst, const void *src, size_t bytes, lt_copy_dir dir);
  void (*zero)(void *p, size_t bytes);
  void (*sync)(void); /* waits until queued work is done; nothing to do on cpu and ref */

  /* ---- convolution, 3D, with bias ----
   * x: (N, D, H, W, C_in)   y: (N, Do, Ho, Wo, C_out)   (lt_conv_in_shape / lt_conv_out_shape)
   * w: LT_CONV (C_out, C_in, k, k, k); LT_CONV_TRANSPOSED (C_in, C_out, 2, 2, 2)   b: (C_out) */
  int (*conv_create)(lt_conv **out, const lt_conv_desc *desc, lt_error *err);
  void (*conv_destroy)(lt_conv *conv); /* NULL is fine */
  /* The implementation chosen for a pass, e.g. "brgconv:avx512_core", "jit:avx512_core",
   * "gemm+scatter(brgconv_1x1:avx512_core)" (cpu transposed), "ref" (ref backend); "none" for
   * a backward pass of a forward_only plan. The string lives as long as the plan. */
  const char *(*conv_impl)(const lt_conv *conv, lt_conv_pass pass);
  void (*conv_forward)(lt_conv *conv, float *y, const float *x, const float *w, const float *b);
  /* dx: (N, D, H, W, C_in) */
  void (*conv_backward_data)(lt_conv *conv, float *dx, const float *dy, const float *w);
  /* dw: canonical layout as w; db: (C_out) */
  void (*conv_backward_weights)(lt_conv *conv, float *dw, float *db, const float *dy,
                                const float *x);

  /* ---- GroupNorm over g groups of c/g channels, per sample, then ReLU ----
   * y, x: (N, S, C); mean, rstd: (N, G) saved by the forward; gamma, beta: (C).
   * y = max(0, (x - mean) * rstd * gamma + beta), rstd = 1 / sqrt(var + LT_GN_EPS), var biased. */
  void (*gn_relu_forward)(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                          const float *beta, int n, int spatial, int c, int g);
  /* dx: (N, S, C); dgamma, dbeta: (C). The ReLU mask is y > 0. */
  void (*gn_relu_backward)(float *dx, float *dgamma, float *dbeta, const float *dy,
                           const float *y, const float *x, const float *mean, const float *rstd,
                           const float *gamma, int n, int spatial, int c, int g);

  /* ---- global average pooling ---- y: (N, C); x: (N, S, C) */
  void (*global_avg_pool_forward)(float *y, const float *x, int n, int spatial, int c);
  /* dx: (N, S, C) = dy / S */
  void (*global_avg_pool_backward)(float *dx, const float *dy, int n, int spatial, int c);

  /* ---- average pooling, window k*k*k, stride k (64^3 -> 16^3 with k = 4) ----
   * x: (N, D, H, W, C) with k dividing D, H and W; y: (N, D/k, H/k, W/k, C) */
  void (*avg_pool_forward)(float *y, const float *x, int n, int d, int h, int w, int c, int k);
  /* dx: (N, D, H, W, C); d, h, w are the INPUT (larger) sizes as in the forward */
  void (*avg_pool_backward)(float *dx, const float *dy, int n, int d, int h, int w, int c, int k);

  /* ---- fully connected ---- y: (N, out) = x w^T + b; x: (N, in); w: (out, in); b: (out) */
  void (*fc_forward)(float *y, const float *x, const float *w, const float *b, int n, int in,
                     int out);
  /* dx: (N, in) = dy w (dx NULL: not computed); dw: (out, in) = dy^T x; db: (out) */
  void (*fc_backward)(float *dx, float *dw, float *db, const float *dy, const float *x,
                      const float *w, int n, int in, int out);

  /* ---- element-wise, count floats; y may alias x (and dx may alias dy) ---- */
  void (*relu_forward)(float *y, const float *x, size_t count);
  void (*relu_backward)(float *dx, const float *dy, const float *y, size_t count); /* y > 0 */
  void (*sigmoid_forward)(float *y, const float *x, size_t count);
  void (*sigmoid_backward)(float *dx, const float *dy, const float *y, size_t count);
  /* y = a + b (skip connections; also accumulates gradients: add(g, g, h, n)). The backward of
   * an add hands dy to both inputs. y may alias a or b. */
  void (*add)(float *y, const float *a, const float *b, size_t count);

  /* ---- concatenation along channels ----
   * y: (rows, C0 + ... + C{k-1}); xs[i]: (rows, cs[i]); rows = N * S (or N for vectors) */
  void (*concat_forward)(float *y, const float *const *xs, const int *cs, int k, size_t rows);
  /* dxs[i]: (rows, cs[i]) = its columns of dy; a NULL dxs[i] is skipped */
  void (*concat_backward)(float *const *dxs, const float *dy, const int *cs, int k, size_t rows);

  /* ---- GroupNorm without ReLU (residual blocks: conv-GN before the skip addition) ----
   * Arguments as gn_relu_*; y = (x - mean) * rstd * gamma + beta. Added last so that
   * positional tables stay valid; a backend without them leaves both NULL (the model then
   * refuses the ResNet configuration). */
  void (*gn_forward)(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                     const float *beta, int n, int spatial, int c, int g);
  void (*gn_backward)(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                      const float *mean, const float *rstd, const float *gamma, int n,
                      int spatial, int c, int g);
} lt_backend;

/* The backend called name ("cpu", "ref"), or NULL with err set when the name is unknown or
 * its probe fails. */
const lt_backend *lt_backend_get(const char *name, lt_error *err);
/* The names compiled in, NULL-terminated. */
const char *const *lt_backend_names(void);
/* The fastest backend that runs here (cpu until cuda exists). Never NULL. */
const lt_backend *lt_backend_default(void);

/* The two tables themselves (cpu-backend.c, ref-backend.c). */
extern const lt_backend lt_backend_cpu;
extern const lt_backend lt_backend_ref;

/* A desc with pad = 1 for k = 3, else 0. */
lt_conv_desc lt_conv_desc_make(lt_conv_kind kind, int n, int c_in, int c_out, int d, int h,
                               int w, int k, int stride);
/* 0 when desc is a supported shape (kinds, k, stride and pad as above, sizes positive,
 * output at least 1); -1 with err set otherwise. */
int lt_conv_desc_check(const lt_conv_desc *desc, lt_error *err);
lt_shape lt_conv_in_shape(const lt_conv_desc *desc);
lt_shape lt_conv_out_shape(const lt_conv_desc *desc);
/* Floats in w: C_out * C_in * k^3. */
size_t lt_conv_weight_count(const lt_conv_desc *desc);
/* Multiply-adds times 2 of the forward pass (each backward costs the same). */
double lt_conv_flops(const lt_conv_desc *desc);

#endif
