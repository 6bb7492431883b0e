/* engine/nn/cuda/cuda-layers.cu — the cuda backend's layers other than convolutions: kernels of
 * ours, one per CPU function of engine/nn/cpu-layers.c, with sums in double as there.
 * Arguments as backend.h. Scratch slots: 0 statistics, 1 and 2 staging, 3 conv bias sums. */
#include <math.h>
#include <stdio.h>

#include "nn/cuda/cuda-internal.h"

#define GRID_STRIDE(i, n)                                                         \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (size_t)(n); \
       i += (size_t)gridDim.x * blockDim.x)

/* ---- GroupNorm + ReLU ----
 * Per-channel sums over a sample's voxels: block (chunk, sample), blockDim = C * r threads,
 * thread t sums channel t % C over rows t / C, t / C + r, ...; a shared-memory reduction over
 * the r rows, then double atomics into acc[(s C + c) 2 + {0, 1}].
 * mode 0: x and x^2 (forward); mode 1: masked dy and masked dy * x (backward; y NULL: no
 * mask, plain GroupNorm). */
__global__ void __launch_bounds__(1024)
    k_gn_sums(double *acc, const float *x, const float *dy, const float *y, int spatial, int C,
              int mode) {
  extern __shared__ double sh[];
  const int s = blockIdx.y, t = threadIdx.x, r = blockDim.x / C;
  const int c = t % C, row0 = t / C;
  const size_t base = (size_t)s * spatial * C;
  double a = 0, b = 0;
  if (row0 < r) {
    for (int v = blockIdx.x * r + row0; v < spatial; v += gridDim.x * r) {
      size_t i = base + (size_t)v * C + c;
      if (mode == 0) {
        double e = x[i];
        a += e;
        b += e * e;
      } else {
        float d = !y || y[i] > 0.0f ? dy[i] : 0.0f;
        a += d;
        b += (double)d * x[i];
      }
    }
  }
  sh[t] = a;
  sh[blockDim.x + t] = b;
  __syncthreads();
  if (t < C) {
    for (int k = 1; k < r; k++) {
      a += sh[k * C + t];
      b += sh[blockDim.x + k * C + t];
    }
    atomicAdd(&acc[((size_t)s * C + t) * 2], a);
    atomicAdd(&acc[((size_t)s * C + t) * 2 + 1], b);
  }
}

/* CPU twin: the statistics step of lt_cpu_gn_relu_forward (engine/nn/cpu-layers.c).
 * One thread per (sample, group): mean, rstd, and the per-channel a, b of y = max(0, x a + b). */
__global__ void k_gn_fwd_stats(float *mean, float *rstd, float *ab, const double *acc,
                               const float *gamma, const float *beta, int n, int C, int G,
                               double cnt) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * G) return;
  int s = i / G, gi = i % G, cg = C / G;
  double t1 = 0, t2 = 0;
  for (int j = gi * cg; j < (gi + 1) * cg; j++) {
    t1 += acc[((size_t)s * C + j) * 2];
    t2 += acc[((size_t)s * C + j) * 2 + 1];
  }
  double m = t1 / cnt, var = t2 / cnt - m * m;
  if (var < 0) var = 0;
  mean[i] = (float)m;
  rstd[i] = (float)(1.0 / sqrt(var + (double)LT_GN_EPS));
  for (int j = gi * cg; j < (gi + 1) * cg; j++) {
    double sc = (double)rstd[i] * gamma[j];
    ab[((size_t)s * C + j) * 2] = (float)sc;
    ab[((size_t)s * C + j) * 2 + 1] = (float)(beta[j] - (double)mean[i] * sc);
  }
}

/* CPU twin: the apply loop of lt_cpu_gn_relu_forward (engine/nn/cpu-layers.c). */
__global__ void k_gn_fwd_apply(float *y, const float *x, const float *ab, size_t per_sample,
                               size_t total, int C, int relu) {
  GRID_STRIDE(i, total) {
    size_t s = i / per_sample;
    int c = (int)(i % C);
    const float *q = ab + (s * C + c) * 2;
    float t = x[i] * q[0] + q[1];
    y[i] = t > 0.0f || !relu ? t : 0.0f;
  }
}

/* CPU twin: the group step of lt_cpu_gn_relu_backward (engine/nn/cpu-layers.c). One block;
 * thread j owns channel j's dgamma and dbeta (summed over samples in sample order). */
__global__ void k_gn_bwd_stats(float *abc, float *dgamma, float *dbeta, const double *acc,
                               const float *mean, const float *rstd, const float *gamma, int n,
                               int C, int G, double cnt) {
  const int cg = C / G;
  for (int j = threadIdx.x; j < C; j += blockDim.x) {
    double dg = 0, dbt = 0;
    int gi = j / cg;
    for (int s = 0; s < n; s++) {
      double m = mean[s * G + gi], r = rstd[s * G + gi], m1 = 0, m2 = 0;
      for (int q = gi * cg; q < (gi + 1) * cg; q++) {
        double sd = acc[((size_t)s * C + q) * 2], sdx = acc[((size_t)s * C + q) * 2 + 1];
        double sxh = r * (sdx - m * sd);
        if (q == j) {
          dg += sxh;
          dbt += sd;
        }
        m1 += gamma[q] * sd;
        m2 += gamma[q] * sxh;
      }
      m1 /= cnt;
      m2 /= cnt;
      float *o = abc + ((size_t)s * C + j) * 3;
      o[0] = (float)(r * gamma[j]);
      o[1] = (float)(-r * r * m2);
      o[2] = (float)(-r * m1 + m * r * r * m2);
    }
    dgamma[j] = (float)dg;
    dbeta[j] = (float)dbt;
  }
}

/* CPU twin: the apply loop of lt_cpu_gn_relu_backward (engine/nn/cpu-layers.c). */
__global__ void k_gn_bwd_apply(float *dx, const float *dy, const float *y, const float *x,
                               const float *abc, size_t per_sample, size_t total, int C) {
  GRID_STRIDE(i, total) {
    size_t s = i / per_sample;
    int c = (int)(i % C);
    const float *q = abc + (s * C + c) * 3;
    float d = !y || y[i] > 0.0f ? dy[i] : 0.0f;
    dx[i] = d * q[0] + x[i] * q[1] + q[2];
  }
}

static int gn_launch_sums(double *acc, const float *x, const float *dy, const float *y, int n,
                          int spatial, int c, int mode) {
  if (c > 1024) {
    lt_cuda_note(cudaErrorInvalidValue, "gn_relu: more than 1024 channels");
    return -1;
  }
  cudaMemsetAsync(acc, 0, (size_t)n * c * 2 * sizeof(double), lt_cuda_stream);
  int r = 256 / c > 0 ? 256 / c : 1;
  int threads = c * r;
  int chunks = (spatial + r * 64 - 1) / (r * 64);
  if (chunks > 1024) chunks = 1024;
  if (chunks < 1) chunks = 1;
  dim3 grid((unsigned)chunks, (unsigned)n);
  k_gn_sums<<<grid, threads, 2 * threads * sizeof(double), lt_cuda_stream>>>(acc, x, dy, y,
                                                                            spatial, c, mode);
  return 0;
}

static void gn_forward_any(float *y, float *mean, float *rstd, const float *x,
                           const float *gamma, const float *beta, int n, int spatial, int c,
                           int g, int relu) {
  double *acc = (double *)lt_cuda_scratch(0, (size_t)n * c * 2 * sizeof(double) +
                                                 (size_t)n * c * 2 * sizeof(float));
  if (!acc || gn_launch_sums(acc, x, NULL, NULL, n, spatial, c, 0)) return;
  float *ab = (float *)(acc + (size_t)n * c * 2);
  double cnt = (double)spatial * (c / g);
  k_gn_fwd_stats<<<(n * g + 63) / 64, 64, 0, lt_cuda_stream>>>(mean, rstd, ab, acc, gamma, beta,
                                                               n, c, g, cnt);
  size_t per = (size_t)spatial * c, total = per * n;
  k_gn_fwd_apply<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(y, x, ab, per, total,
                                                                         c, relu);
  lt_cuda_done(relu ? "gn_relu_forward" : "gn_forward");
}

extern "C" void lt_cuda_gn_relu_forward(float *y, float *mean, float *rstd, const float *x,
                                        const float *gamma, const float *beta, int n,
                                        int spatial, int c, int g) {
  gn_forward_any(y, mean, rstd, x, gamma, beta, n, spatial, c, g, 1);
}

extern "C" void lt_cuda_gn_forward(float *y, float *mean, float *rstd, const float *x,
                                   const float *gamma, const float *beta, int n, int spatial,
                                   int c, int g) {
  gn_forward_any(y, mean, rstd, x, gamma, beta, n, spatial, c, g, 0);
}

/* y NULL: plain GroupNorm. */
extern "C" void lt_cuda_gn_relu_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                         const float *y, const float *x, const float *mean,
                                         const float *rstd, const float *gamma, int n,
                                         int spatial, int c, int g) {
  double *acc = (double *)lt_cuda_scratch(0, (size_t)n * c * 2 * sizeof(double) +
                                                 (size_t)n * c * 3 * sizeof(float));
  if (!acc || gn_launch_sums(acc, x, dy, y, n, spatial, c, 1)) return;
  float *abc = (float *)(acc + (size_t)n * c * 2);
  double cnt = (double)spatial * (c / g);
  k_gn_bwd_stats<<<1, 256, 0, lt_cuda_stream>>>(abc, dgamma, dbeta, acc, mean, rstd, gamma, n,
                                                c, g, cnt);
  size_t per = (size_t)spatial * c, total = per * n;
  k_gn_bwd_apply<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(dx, dy, y, x, abc, per,
                                                                         total, c);
  lt_cuda_done(y ? "gn_relu_backward" : "gn_backward");
}

extern "C" void lt_cuda_gn_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                    const float *x, const float *mean, const float *rstd,
                                    const float *gamma, int n, int spatial, int c, int g) {
  lt_cuda_gn_relu_backward(dx, dgamma, dbeta, dy, NULL, x, mean, rstd, gamma, n, spatial, c, g);
}

/* ---- pooling ---- */

/* CPU twin: lt_cpu_global_avg_pool_forward (engine/nn/cpu-layers.c). Thread per (sample,
 * channel), double sum over the voxels (consecutive threads read consecutive channels). */
__global__ void k_gap_fwd(float *y, const float *x, int n, int spatial, int C) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * C) return;
  int s = i / C, c = i % C;
  const float *xs = x + (size_t)s * spatial * C + c;
  double acc = 0;
  for (int v = 0; v < spatial; v++) acc += xs[(size_t)v * C];
  y[i] = (float)(acc / spatial);
}

/* CPU twin: lt_cpu_global_avg_pool_backward (engine/nn/cpu-layers.c). */
__global__ void k_gap_bwd(float *dx, const float *dy, int spatial, int C, size_t total) {
  float inv = 1.0f / (float)spatial;
  GRID_STRIDE(i, total) {
    size_t s = i / ((size_t)spatial * C);
    dx[i] = dy[s * C + i % C] * inv;
  }
}

extern "C" void lt_cuda_global_avg_pool_forward(float *y, const float *x, int n, int spatial,
                                                int c) {
  size_t yb = (size_t)n * c * sizeof(float);
  float *yd = (float *)lt_cuda_stage_buf(y, yb, 1);
  if (!yd) return;
  k_gap_fwd<<<(n * c + 127) / 128, 128, 0, lt_cuda_stream>>>(yd, x, n, spatial, c);
  lt_cuda_stage_out(y, yd, yb);
  lt_cuda_done("global_avg_pool_forward");
}

extern "C" void lt_cuda_global_avg_pool_backward(float *dx, const float *dy, int n, int spatial,
                                                 int c) {
  const float *dyd = (const float *)lt_cuda_stage_in(dy, (size_t)n * c * sizeof(float), 1);
  if (!dyd) return;
  size_t total = (size_t)n * spatial * c;
  k_gap_bwd<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(dx, dyd, spatial, c, total);
  lt_cuda_done("global_avg_pool_backward");
}

/* CPU twin: lt_cpu_avg_pool_forward (engine/nn/cpu-layers.c). Thread per output element. */
__global__ void k_pool_fwd(float *y, const float *x, int d, int h, int w, int C, int k,
                           size_t total) {
  int od = d / k, oh = h / k, ow = w / k;
  float inv = 1.0f / (float)(k * k * k);
  GRID_STRIDE(i, total) {
    int c = (int)(i % C);
    size_t r = i / C;
    int xx = (int)(r % ow), yy = (int)(r / ow % oh), z = (int)(r / ((size_t)ow * oh) % od);
    size_t s = r / ((size_t)ow * oh * od);
    float acc = 0.0f;
    for (int a = 0; a < k; a++)
      for (int b = 0; b < k; b++)
        for (int e = 0; e < k; e++)
          acc += x[((((s * d + (size_t)(z * k + a)) * h + (size_t)(yy * k + b)) * w +
                     (size_t)(xx * k + e)) * C) + c];
    y[i] = acc * inv;
  }
}

/* CPU twin: lt_cpu_avg_pool_backward (engine/nn/cpu-layers.c). Thread per input element. */
__global__ void k_pool_bwd(float *dx, const float *dy, int d, int h, int w, int C, int k,
                           size_t total) {
  int od = d / k, oh = h / k, ow = w / k;
  float inv = 1.0f / (float)(k * k * k);
  GRID_STRIDE(i, total) {
    int c = (int)(i % C);
    size_t r = i / C;
    int xx = (int)(r % w), yy = (int)(r / w % h), z = (int)(r / ((size_t)w * h) % d);
    size_t s = r / ((size_t)w * h * d);
    dx[i] = dy[(((s * od + (size_t)(z / k)) * oh + (size_t)(yy / k)) * ow + (size_t)(xx / k)) * C +
               c] * inv;
  }
}

extern "C" void lt_cuda_avg_pool_forward(float *y, const float *x, int n, int d, int h, int w,
                                         int c, int k) {
  size_t total = (size_t)n * (d / k) * (h / k) * (w / k) * c;
  k_pool_fwd<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(y, x, d, h, w, c, k, total);
  lt_cuda_done("avg_pool_forward");
}

extern "C" void lt_cuda_avg_pool_backward(float *dx, const float *dy, int n, int d, int h, int w,
                                          int c, int k) {
  size_t total = (size_t)n * d * h * w * c;
  k_pool_bwd<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(dx, dy, d, h, w, c, k,
                                                                     total);
  lt_cuda_done("avg_pool_backward");
}

/* ---- fully connected (small: the heads; kernels, not cuBLAS, so sums run in double) ---- */

/* CPU twin: lt_cpu_fc_forward (engine/nn/cpu-layers.c). */
__global__ void k_fc_fwd(float *y, const float *x, const float *w, const float *b, int n, int in,
                         int out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * out) return;
  int s = i / out, o = i % out;
  const float *wr = w + (size_t)o * in, *xr = x + (size_t)s * in;
  double acc = b[o];
  for (int q = 0; q < in; q++) acc += (double)wr[q] * xr[q];
  y[i] = (float)acc;
}

/* CPU twin: the dx loop of lt_cpu_fc_backward (engine/nn/cpu-layers.c). */
__global__ void k_fc_bwd_dx(float *dx, const float *dy, const float *w, int n, int in, int out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * in) return;
  int s = i / in, q = i % in;
  double acc = 0;
  for (int o = 0; o < out; o++) acc += (double)dy[(size_t)s * out + o] * w[(size_t)o * in + q];
  dx[i] = (float)acc;
}

/* CPU twin: the dw and db loops of lt_cpu_fc_backward (engine/nn/cpu-layers.c). */
__global__ void k_fc_bwd_dw(float *dw, float *db, const float *dy, const float *x, int n, int in,
                            int out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= out * in) return;
  int o = i / in, q = i % in;
  double acc = 0;
  for (int s = 0; s < n; s++) acc += (double)dy[(size_t)s * out + o] * x[(size_t)s * in + q];
  dw[i] = (float)acc;
  if (q == 0) {
    double sb = 0;
    for (int s = 0; s < n; s++) sb += dy[(size_t)s * out + o];
    db[o] = (float)sb;
  }
}

extern "C" void lt_cuda_fc_forward(float *y, const float *x, const float *w, const float *b,
                                   int n, int in, int out) {
  size_t xb = (size_t)n * in * sizeof(float), yb = (size_t)n * out * sizeof(float);
  const float *xd = (const float *)lt_cuda_stage_in(x, xb, 1);
  float *yd = (float *)lt_cuda_stage_buf(y, yb, 2);
  if (!xd || !yd) return;
  k_fc_fwd<<<(n * out + 127) / 128, 128, 0, lt_cuda_stream>>>(yd, xd, w, b, n, in, out);
  lt_cuda_stage_out(y, yd, yb);
  lt_cuda_done("fc_forward");
}

extern "C" void lt_cuda_fc_backward(float *dx, float *dw, float *db, const float *dy,
                                    const float *x, const float *w, int n, int in, int out) {
  /* the heads' vectors may be host arrays: dy and x staged in, dx staged out (slots 1-3) */
  size_t xb = (size_t)n * in * sizeof(float), yb = (size_t)n * out * sizeof(float);
  const float *dyd = (const float *)lt_cuda_stage_in(dy, yb, 1);
  const float *xd = (const float *)lt_cuda_stage_in(x, xb, 2);
  if (!dyd || !xd) return;
  if (dx) {
    float *dxd = (float *)lt_cuda_stage_buf(dx, xb, 3);
    if (!dxd) return;
    k_fc_bwd_dx<<<(n * in + 127) / 128, 128, 0, lt_cuda_stream>>>(dxd, dyd, w, n, in, out);
    lt_cuda_stage_out(dx, dxd, xb);
  }
  k_fc_bwd_dw<<<(out * in + 127) / 128, 128, 0, lt_cuda_stream>>>(dw, db, dyd, xd, n, in, out);
  lt_cuda_done("fc_backward");
}

/* ---- element-wise ---- */

/* CPU twin: lt_cpu_relu_forward (engine/nn/cpu-layers.c). */
__global__ void k_relu_fwd(float *y, const float *x, size_t n) {
  GRID_STRIDE(i, n) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
/* CPU twin: lt_cpu_relu_backward (engine/nn/cpu-layers.c). */
__global__ void k_relu_bwd(float *dx, const float *dy, const float *y, size_t n) {
  GRID_STRIDE(i, n) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
/* CPU twin: lt_cpu_sigmoid_forward (engine/nn/cpu-layers.c); expf, not __expf. */
__global__ void k_sigmoid_fwd(float *y, const float *x, size_t n) {
  GRID_STRIDE(i, n) {
    float v = x[i];
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-v));
    } else {
      float e = expf(v);
      y[i] = e / (1.0f + e);
    }
  }
}
/* CPU twin: lt_cpu_sigmoid_backward (engine/nn/cpu-layers.c). */
__global__ void k_sigmoid_bwd(float *dx, const float *dy, const float *y, size_t n) {
  GRID_STRIDE(i, n) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
/* CPU twin: lt_cpu_add (engine/nn/cpu-layers.c). */
__global__ void k_add(float *y, const float *a, const float *b, size_t n) {
  GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

extern "C" void lt_cuda_relu_forward(float *y, const float *x, size_t count) {
  k_relu_fwd<<<lt_cuda_blocks(count, 256), 256, 0, lt_cuda_stream>>>(y, x, count);
  lt_cuda_done("relu_forward");
}
extern "C" void lt_cuda_relu_backward(float *dx, const float *dy, const float *y, size_t count) {
  k_relu_bwd<<<lt_cuda_blocks(count, 256), 256, 0, lt_cuda_stream>>>(dx, dy, y, count);
  lt_cuda_done("relu_backward");
}
extern "C" void lt_cuda_sigmoid_forward(float *y, const float *x, size_t count) {
  k_sigmoid_fwd<<<lt_cuda_blocks(count, 256), 256, 0, lt_cuda_stream>>>(y, x, count);
  lt_cuda_done("sigmoid_forward");
}
extern "C" void lt_cuda_sigmoid_backward(float *dx, const float *dy, const float *y,
                                         size_t count) {
  k_sigmoid_bwd<<<lt_cuda_blocks(count, 256), 256, 0, lt_cuda_stream>>>(dx, dy, y, count);
  lt_cuda_done("sigmoid_backward");
}
extern "C" void lt_cuda_add(float *y, const float *a, const float *b, size_t count) {
  k_add<<<lt_cuda_blocks(count, 256), 256, 0, lt_cuda_stream>>>(y, a, b, count);
  lt_cuda_done("add");
}

/* ---- concatenation along channels ---- */

/* CPU twin: one input's part of lt_cpu_concat_forward (engine/nn/cpu-layers.c); with back set,
 * of lt_cpu_concat_backward. */
__global__ void k_concat_part(float *big, float *part, int total, int c0, int cs, size_t rows,
                              int back) {
  GRID_STRIDE(i, rows * cs) {
    size_t r = i / cs;
    int j = (int)(i % cs);
    if (back)
      part[i] = big[r * total + c0 + j];
    else
      big[r * total + c0 + j] = part[i];
  }
}

extern "C" void lt_cuda_concat_forward(float *y, const float *const *xs, const int *cs, int k,
                                       size_t rows) {
  int total = 0, c0 = 0;
  for (int i = 0; i < k; i++) total += cs[i];
  for (int i = 0; i < k; i++) {
    size_t n = rows * cs[i];
    k_concat_part<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(y, (float *)xs[i], total,
                                                                      c0, cs[i], rows, 0);
    c0 += cs[i];
  }
  lt_cuda_done("concat_forward");
}

extern "C" void lt_cuda_concat_backward(float *const *dxs, const float *dy, const int *cs, int k,
                                        size_t rows) {
  int total = 0, c0 = 0;
  for (int i = 0; i < k; i++) total += cs[i];
  for (int i = 0; i < k; i++) {
    if (dxs[i]) {
      size_t n = rows * cs[i];
      k_concat_part<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>((float *)dy, dxs[i],
                                                                        total, c0, cs[i], rows,
                                                                        1);
    }
    c0 += cs[i];
  }
  lt_cuda_done("concat_backward");
}
