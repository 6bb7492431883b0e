/* engine/model/cuda-model.cu — model-level kernels (cuda-model.h): Grad-CAM's weighted
 * sum, the mask fraction, the debug loss with its gradient, the debug term into f and g, Dice,
 * Adam. engine/model runs these on the host today; they are here, each with its CPU twin, for a
 * model and trainer that keep the heads and losses on the GPU. */
#include <math.h>
#include <string.h>

#include "model/loss.h" /* the lt_debug_status values only */
#include "model/cuda-model.h"
#include "nn/cuda/cuda-internal.h"

/* CPU twin: lt_cam_weighted_sum in engine/model/gradcam.c. */
__global__ void k_cam_sum(float *u, const float *f, const float *g, int N, int K) {
  int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  const float *row = f + (size_t)n * K;
  double s = 0;
  for (int k = 0; k < K; k++) s += (double)g[k] * row[k];
  u[n] = (float)s;
}

extern "C" void lt_cuda_cam_weighted_sum(float *u, const float *f, const float *g, int N, int K) {
  k_cam_sum<<<(N + 127) / 128, 128, 0, lt_cuda_stream>>>(u, f, g, N, K);
  lt_cuda_done("cam_weighted_sum");
}

/* CPU twin: add_outer in engine/model/model.c (the debug term's gradient into f). */
__global__ void k_debug_f(float *fg, const float *du, const float *g, int N, int K) {
  size_t total = (size_t)N * K;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x)
    fg[i] += du[i / K] * g[i % K];
}

/* CPU twin: cells_weighted_sum in engine/model/model.c (w_add 0, div 1: the debug term's
 * dL/dg). Thread per k. */
__global__ void k_debug_g(float *dg, const float *du, const float *f, int N, int K) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= K) return;
  double acc = 0;
  for (int q = 0; q < N; q++) acc += (double)du[q] * f[(size_t)q * K + k];
  dg[k] = (float)acc;
}

extern "C" void lt_cuda_debug_into_f(float *fg, float *dg, const float *du, const float *g,
                                     const float *f, int N, int K) {
  k_debug_g<<<(K + 127) / 128, 128, 0, lt_cuda_stream>>>(dg, du, f, N, K);
  size_t total = (size_t)N * K;
  k_debug_f<<<lt_cuda_blocks(total, 256), 256, 0, lt_cuda_stream>>>(fg, du, g, N, K);
  lt_cuda_done("debug_into_f");
}

/* CPU twin: lt_mask_fraction in engine/model/gradcam.c. Thread per cell. */
__global__ void k_mask_fraction(float *p, const float *mask, int side, int k) {
  const int n = side / k;
  int cell = blockIdx.x * blockDim.x + threadIdx.x;
  if (cell >= n * n * n) return;
  int x = cell % n, y = cell / n % n, z = cell / (n * n);
  int c = 0;
  for (int a = 0; a < k; a++)
    for (int b = 0; b < k; b++)
      for (int d = 0; d < k; d++)
        c += mask[(((size_t)(z * k + a) * side) + (y * k + b)) * side + (x * k + d)] >= 0.5f;
  p[cell] = (float)c * (1.0f / (float)(k * k * k));
}

extern "C" void lt_cuda_mask_fraction(float *p, const float *mask, int side, int k) {
  int cells = (side / k) * (side / k) * (side / k);
  k_mask_fraction<<<(cells + 127) / 128, 128, 0, lt_cuda_stream>>>(p, mask, side, k);
  lt_cuda_done("mask_fraction");
}

#define DBG_T 1024

/* Block-wide double sum of v (all threads get it). */
__device__ double block_sum(double v, double *sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = DBG_T / 2; s > 0; s /= 2) {
    if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  double r = sh[0];
  __syncthreads();
  return r;
}

/* CPU twin: lt_loss_debug in engine/model/loss.c (and lt_cam_minmax in gradcam.c for the
 * min-max: the first index wins a tie, as the CPU's strict comparisons). One block of DBG_T
 * threads. out: status, hinge, mean_in, mean_out, loss. */
__global__ void __launch_bounds__(DBG_T)
    k_debug_loss(double *out, float *du, float *cam, const float *u, float s, const float *p,
                 int N, double lambda, double coef) {
  __shared__ double sh[DBG_T];
  __shared__ float vmin[DBG_T], vmax[DBG_T];
  __shared__ int imin[DBG_T], imax[DBG_T];
  const int t = threadIdx.x;
  double sp = 0, sq = 0;
  float lo = INFINITY, hi = -INFINITY;
  int ilo = N, ihi = N;
  for (int n = t; n < N; n += DBG_T) {
    sp += p[n];
    sq += 1.0 - p[n];
    float v = s * u[n];
    if (v < lo) lo = v, ilo = n;
    if (v > hi) hi = v, ihi = n;
    du[n] = 0.0f;
  }
  vmin[t] = lo, vmax[t] = hi, imin[t] = ilo, imax[t] = ihi;
  __syncthreads();
  for (int h = DBG_T / 2; h > 0; h /= 2) {
    if (t < h) {
      int o = t + h;
      if (vmin[o] < vmin[t] || (vmin[o] == vmin[t] && imin[o] < imin[t]))
        vmin[t] = vmin[o], imin[t] = imin[o];
      if (vmax[o] > vmax[t] || (vmax[o] == vmax[t] && imax[o] < imax[t]))
        vmax[t] = vmax[o], imax[t] = imax[o];
    }
    __syncthreads();
  }
  const int i_lo = imin[0], i_hi = imax[0];
  const float l = s * u[i_lo], r = s * u[i_hi] - l;
  const int flat = !(r > 0);
  for (int n = t; n < N; n += DBG_T) cam[n] = flat ? 0.0f : (s * u[n] - l) / r;
  sp = block_sum(sp, sh);
  sq = block_sum(sq, sh);
  if (t == 0) out[0] = out[1] = out[2] = out[3] = out[4] = 0;
  if (!(sp > 0) || !(sq > 0)) {
    if (t == 0) out[0] = (double)LT_DEBUG_SKIP_MASK;
    return;
  }
  if (flat) {
    if (t == 0) out[0] = (double)LT_DEBUG_SKIP_FLAT;
    return;
  }
  __syncthreads(); /* cam written */
  double a = 0, b = 0;
  for (int n = t; n < N; n += DBG_T) {
    a += (double)p[n] * cam[n];
    b += (1.0 - p[n]) * cam[n];
  }
  a = block_sum(a, sh) / sp;
  b = block_sum(b, sh) / sq;
  double h = b - a + lambda;
  if (t == 0) {
    out[2] = a;
    out[3] = b;
  }
  if (!(h > 0)) {
    if (t == 0) out[0] = (double)LT_DEBUG_HINGE_ZERO;
    return;
  }
  if (t == 0) {
    out[0] = (double)LT_DEBUG_APPLIED;
    out[1] = h;
    out[4] = coef * h;
  }
  const double inv_r = 1.0 / r;
  double slo = 0, shi = 0;
  for (int n = t; n < N; n += DBG_T) {
    double dc = coef * ((1.0 - p[n]) / sq - p[n] / sp);
    slo += dc * (1.0 - cam[n]);
    shi += dc * cam[n];
    du[n] = (float)(dc * inv_r);
  }
  slo = block_sum(slo, sh);
  shi = block_sum(shi, sh);
  if (t == 0) {
    du[i_lo] -= (float)(slo * inv_r);
    du[i_hi] -= (float)(shi * inv_r);
  }
  __syncthreads();
  for (int n = t; n < N; n += DBG_T) du[n] *= s;
}

extern "C" void lt_cuda_debug_loss(lt_cuda_debug_out *res, float *du, float *cam,
                                   const float *u, float s, const float *p, int N, double lambda,
                                   double coef) {
  memset(res, 0, sizeof *res);
  double *out = (double *)lt_cuda_scratch(3, 5 * sizeof(double));
  if (!out) return;
  k_debug_loss<<<1, DBG_T, 0, lt_cuda_stream>>>(out, du, cam, u, s, p, N, lambda, coef);
  double h[5] = {0, 0, 0, 0, 0};
  lt_cuda_note(cudaMemcpyAsync(h, out, sizeof h, cudaMemcpyDeviceToHost, lt_cuda_stream),
               "debug_loss");
  lt_cuda_done("debug_loss");
  res->status = (int)h[0];
  res->hinge = h[1];
  res->mean_in = h[2];
  res->mean_out = h[3];
  res->loss = h[4];
}

/* CPU twin: the sums of lt_loss_dice in engine/model/loss.c. */
__global__ void k_dice_sums(double *acc, const float *y, const float *g, size_t n) {
  __shared__ double sh[3][256];
  double a = 0, b = 0, c = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    a += (double)y[i] * g[i];
    b += y[i];
    c += g[i];
  }
  sh[0][threadIdx.x] = a;
  sh[1][threadIdx.x] = b;
  sh[2][threadIdx.x] = c;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if ((int)threadIdx.x < s)
      for (int q = 0; q < 3; q++) sh[q][threadIdx.x] += sh[q][threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    for (int q = 0; q < 3; q++) atomicAdd(&acc[q], sh[q][0]);
}

/* CPU twin: the gradient loop of lt_loss_dice in engine/model/loss.c. */
__global__ void k_dice_grad(float *dy, const float *g, size_t n, const double *acc,
                            double theta) {
  double num = 2 * acc[0] + theta, den = acc[1] + acc[2] + theta, inv2 = 1.0 / (den * den);
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    dy[i] = (float)(-(2.0 * g[i] * den - num) * inv2);
}

extern "C" double lt_cuda_dice(const float *y, const float *g, size_t n, double theta,
                               float *dy) {
  double *acc = (double *)lt_cuda_scratch(3, 3 * sizeof(double));
  if (!acc) return NAN;
  cudaMemsetAsync(acc, 0, 3 * sizeof(double), lt_cuda_stream);
  unsigned blocks = lt_cuda_blocks(n, 256);
  if (blocks > 1024) blocks = 1024;
  k_dice_sums<<<blocks, 256, 0, lt_cuda_stream>>>(acc, y, g, n);
  if (dy) k_dice_grad<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(dy, g, n, acc, theta);
  double h[3] = {0, 0, 0};
  lt_cuda_note(cudaMemcpyAsync(h, acc, sizeof h, cudaMemcpyDeviceToHost, lt_cuda_stream), "dice");
  lt_cuda_done("dice");
  return 1.0 - (2 * h[0] + theta) / (h[1] + h[2] + theta);
}

/* CPU twin: lt_adam_step in engine/train/adam.c (same float expressions, sqrtf). */
__global__ void k_adam(float *p, float *m, float *v, const float *grads, size_t n, float b1,
                       float b2, float step, float rbc2, float eps) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    float g = grads[i];
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step * mi / (sqrtf(vi) * rbc2 + eps);
  }
}

extern "C" void lt_cuda_adam_step(float *params, float *m, float *v, const float *grads, size_t n,
                                  double lr, double beta1, double beta2, double eps, long step) {
  const double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
  k_adam<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(
      params, m, v, grads, n, (float)beta1, (float)beta2, (float)(lr / bc1),
      (float)(1.0 / sqrt(bc2)), (float)eps);
  lt_cuda_done("adam_step");
}
