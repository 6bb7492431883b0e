/* engine/nn/cuda/cuda-conv.cu — the cuda backend's convolutions through cuDNN 9's Nd API.
 * Activations are NDHWC, given to cuDNN as (N, C, D, H, W) dims with NDHWC strides; weights
 * are reordered every call from the canonical OIDHW / IODHW layouts into an NHWC-format filter
 * (KDRSC) the plan owns, and the weight gradient back. A transposed convolution is the
 * convolution it transposes run the other way: its forward is cuDNN's backward-data, its
 * backward-data cuDNN's forward, its filter gradient cuDNN's backward-filter with the two
 * activations swapped. Algorithms are chosen once at creation, measured on the GPU (cudnnFind*,
 * FMA math, no FFT or Winograd, workspace <= 1 GiB; remembered per shape for the process) and
 * one workspace is sized for them. A plan runs cuDNN on our NDHWC activations directly or in
 * NCDHW (activations transposed at the boundary into plan buffers, weights used in their
 * canonical layout, which is cuDNN's NCHW filter format), whichever pick_layout times faster,
 * and NCDHW where NDHWC has no algorithm. Biases and their gradients, and the weight gradient
 * of thin convolutions, are kernels of ours.
 * CPU twin of the whole file: engine/nn/cpu-dnnl.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/cuda/cuda-internal.h"

#define WS_LIMIT ((size_t)1 << 30)

struct lt_conv {
  lt_conv_desc desc;
  cudnnTensorDescriptor_t cx, cy;  /* the cuDNN convolution's input and output */
  cudnnFilterDescriptor_t fd;
  cudnnConvolutionDescriptor_t cd;
  cudnnConvolutionFwdAlgo_t fwd;
  cudnnConvolutionBwdDataAlgo_t bwd_data;
  cudnnConvolutionBwdFilterAlgo_t bwd_filter;
  int has_fwd, has_bwd_data, has_bwd_filter;
  void *ws;
  size_t ws_bytes;
  float *wk;   /* filter in KDRSC */
  float *dwk;  /* filter gradient in KDRSC */
  int fk, fc;  /* filter dims K (outputs of the cuDNN convolution) and C */
  int nc;      /* 1: the NCDHW fallback */
  lt_shape xs, ys; /* shapes on cx and cy */
  float *bx, *by;  /* NCDHW buffers of the fallback */
  char impl[3][64];
  char label[3][80]; /* by our pass, for LT_CUDA_PROFILE: "conv bwd-filter 16->32 s2 @64 n16" */
  int thin;          /* the weight gradient by k_thin_bwd_filter instead of cuDNN */
};

/* CPU twin: none (layout only). to_nc: dst (N, C, S) from src (N, S, C); else the inverse. */
__global__ void k_layout(float *dst, const float *src, int N, size_t S, int C, int to_nc) {
  size_t n = (size_t)N * S * C;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    int c = (int)(i % C);
    size_t v = i / C % S, s = i / ((size_t)C * S);
    size_t j = (s * C + c) * S + v;
    if (to_nc)
      dst[j] = src[i];
    else
      dst[i] = src[j];
  }
}

static void layout(float *dst, const float *src, lt_shape sh, int to_nc) {
  size_t n = lt_shape_count(sh);
  k_layout<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(dst, src, sh.n,
                                                              lt_shape_spatial(sh), sh.c, to_nc);
}

/* CPU twin: the weight reorders inside lt_dnnl_conv_forward (engine/nn/cpu-dnnl.c).
 * to_kdrsc: dst[(k T + t) C + c] = src[(k C + c) T + t]; else the inverse. */
__global__ void k_reorder(float *dst, const float *src, int K, int C, int T, int to_kdrsc) {
  size_t n = (size_t)K * C * T;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    int c = (int)(i % C), t = (int)(i / C % T), k = (int)(i / ((size_t)C * T));
    size_t canon = ((size_t)k * C + c) * T + t;
    if (to_kdrsc)
      dst[i] = src[canon];
    else
      dst[canon] = src[i];
  }
}

/* CPU twin: the bias of lt_dnnl_conv_forward (engine/nn/cpu-dnnl.c). y[r C + c] += b[c]. */
__global__ void k_bias_add(float *y, const float *b, size_t rows, int C) {
  size_t n = rows * C;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    y[i] += b[i % C];
}

/* CPU twin: the bias gradient of lt_dnnl_conv_backward_weights (engine/nn/cpu-dnnl.c).
 * db[c] = sum_r dy[r C + c], in double. blockDim is a multiple of C, so thread t only ever
 * reads channel t % C while the block walks dy contiguously (coalesced); each thread sums its
 * elements, the block adds its threads per channel in shared memory, then one double atomic per
 * channel. (The first version gave each channel one thread per block walking the rows: 1 of 128
 * threads busy for a 1-channel layer, latency-bound over 2^22 rows.) */
__global__ void k_bias_grad(double *acc, const float *dy, size_t rows, int C) {
  extern __shared__ double part[];
  const size_t n = rows * (size_t)C, step = (size_t)gridDim.x * blockDim.x;
  double s = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += step) s += dy[i];
  part[threadIdx.x] = s;
  __syncthreads();
  if ((int)threadIdx.x < C) {
    double t = 0;
    for (unsigned j = threadIdx.x; j < blockDim.x; j += (unsigned)C) t += part[j];
    atomicAdd(&acc[threadIdx.x], t);
  }
}

/* The same for more channels than a block has threads: a thread per channel, rows split
 * between the blocks. */
__global__ void k_bias_grad_wide(double *acc, const float *dy, size_t rows, int C) {
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    double s = 0;
    for (size_t r = blockIdx.x; r < rows; r += gridDim.x) s += dy[r * C + c];
    atomicAdd(&acc[c], s);
  }
}

__global__ void k_double_to_float(float *y, const double *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = (float)x[i];
}

/* CPU twin: the weight gradient of lt_dnnl_conv_backward_weights (engine/nn/cpu-dnnl.c) for a
 * "thin" convolution: k^3 with k 3 (padding 1) or 1 (padding 0), stride 1, at most 2 input or
 * output channels (the model's first layer, 3^3 2 -> w, and its segmentation output, 1^3
 * w -> 1, both at 64^3). cuDNN's backward-filter took 64 ms per training step for each of these
 * two on an H200 (batch 16, the fastest algorithm cudnnFind listed), more than all the other
 * convolutions' passes together: its 3D float kernels are made for many channels. Here each
 * thread walks voxels of the NDHWC activations and keeps up to THIN_ACC partial sums dw[o][p]
 * for the (c, t) pairs p of its blockIdx.y (t the tap of the k^3 kernel); the block sums them
 * over its threads, then adds them in double to acc (O * C * k^3, canonical OIDHW order). */
#define THIN_ACC 32
__global__ void __launch_bounds__(256) k_thin_bwd_filter(double *acc, const float *x,
                                                         const float *dy, int N, int D, int H,
                                                         int W, int C, int O, int k, int P) {
  float part[THIN_ACC];
  const int T = k * k * k, pad = k / 2, p0 = blockIdx.y * P, np = min(P, C * T - p0);
  for (int i = 0; i < THIN_ACC; i++) part[i] = 0;
  const size_t V = (size_t)D * H * W, total = (size_t)N * V;
  for (size_t g = blockIdx.x * (size_t)blockDim.x + threadIdx.x; g < total;
       g += (size_t)gridDim.x * blockDim.x) {
    const size_t n = g / V, v = g % V;
    const int z = (int)(v / ((size_t)H * W)), y = (int)(v / W % H), xx = (int)(v % W);
    const float *dyv = dy + g * O;
    for (int q = 0; q < np; q++) {
      const int p = p0 + q, c = p / T, t = p % T;
      const int zz = z + t / (k * k) - pad, yy = y + t / k % k - pad, xq = xx + t % k - pad;
      if (zz < 0 || zz >= D || yy < 0 || yy >= H || xq < 0 || xq >= W) continue;
      const float xv = x[(((n * D + zz) * H + yy) * W + xq) * C + c];
      for (int o = 0; o < O; o++) part[q * O + o] += dyv[o] * xv;
    }
  }
  __shared__ float red[8][THIN_ACC]; /* one row per warp of the 256 threads */
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int i = 0; i < np * O; i++) {
    float s = part[i];
    for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
    if (lane == 0) red[warp][i] = s;
  }
  __syncthreads();
  if ((int)threadIdx.x < np * O) {
    const int q = threadIdx.x / O, o = threadIdx.x % O;
    double s = 0;
    for (int w8 = 0; w8 < 8; w8++) s += red[w8][threadIdx.x];
    atomicAdd(&acc[(size_t)o * C * T + p0 + q], s);
  }
}

static int is_thin(const lt_conv_desc *d) {
  return d->kind != LT_CONV_TRANSPOSED && (d->k == 3 || d->k == 1) && d->pad == d->k / 2 &&
         d->stride == 1 && (d->c_in <= 2 || d->c_out <= 2) && d->c_out <= THIN_ACC;
}

static void thin_bwd_filter(lt_conv *c, float *dw, const float *dy, const float *x) {
  const lt_conv_desc *d = &c->desc;
  const int C = d->c_in, O = d->c_out, T = d->k * d->k * d->k, P = THIN_ACC / O;
  const int groups = (C * T + P - 1) / P;
  const size_t n_w = (size_t)O * C * T, total = (size_t)d->n * d->d * d->h * d->w;
  double *acc = (double *)lt_cuda_scratch(2, n_w * sizeof(double));
  if (!acc) return;
  cudaMemsetAsync(acc, 0, n_w * sizeof(double), lt_cuda_stream);
  size_t bx = (total + 256 * 16 - 1) / (256 * 16); /* >= 16 voxels a thread */
  dim3 grid((unsigned)(bx > 1024 ? 1024 : bx), (unsigned)groups);
  k_thin_bwd_filter<<<grid, 256, 0, lt_cuda_stream>>>(acc, x, dy, d->n, d->d, d->h, d->w, C, O,
                                                      d->k, P);
  k_double_to_float<<<(unsigned)((n_w + 127) / 128), 128, 0, lt_cuda_stream>>>(dw, acc,
                                                                               (int)n_w);
}

static int set_act(cudnnTensorDescriptor_t t, int n, int c, int d, int h, int w, int nc) {
  int dims[5] = {n, c, d, h, w};
  int str[5] = {d * h * w * c, 1, h * w * c, w * c, c};
  if (nc) {
    str[0] = c * d * h * w, str[1] = d * h * w, str[2] = h * w, str[3] = w, str[4] = 1;
  }
  return cudnnSetTensorNdDescriptor(t, CUDNN_DATA_FLOAT, 5, dims, str) == CUDNN_STATUS_SUCCESS
             ? 0
             : -1;
}

static int fft_or_winograd_fwd(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_FFT || a == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
}
static int fft_or_winograd_bd(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
}
static int fft_or_winograd_bf(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
}
static int fma_only(cudnnMathType_t m) {
  return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
}

extern "C" void lt_cuda_conv_destroy(lt_conv *c) {
  if (!c) return;
  cudaStreamSynchronize(lt_cuda_stream);
  if (c->cx) cudnnDestroyTensorDescriptor(c->cx);
  if (c->cy) cudnnDestroyTensorDescriptor(c->cy);
  if (c->fd) cudnnDestroyFilterDescriptor(c->fd);
  if (c->cd) cudnnDestroyConvolutionDescriptor(c->cd);
  cudaFree(c->ws);
  cudaFree(c->wk);
  cudaFree(c->dwk);
  cudaFree(c->bx);
  cudaFree(c->by);
  free(c);
}

#define NALG 16

static int fail(lt_conv *c, lt_error *err, const char *what, cudnnStatus_t s) {
  lt_cuda_conv_destroy(c);
  return lt_error_set(err, "cuDNN %s: %s", what, cudnnGetErrorString(s));
}

/* How algorithms are chosen. cudnnFind* runs every algorithm once on this GPU and returns them
 * fastest first, as PyTorch's cudnn.benchmark does; the *_v7 heuristics only predict. On an H200
 * (cuDNN 9.14) the heuristics gave algorithm 1 to every pass of every layer of the default
 * model, and a training step took 8x PyTorch's. Measuring costs time at plan creation, so each
 * shape's choice is remembered for the life of the process (a second model of the same shapes,
 * the next analysis in the workstation, measures nothing). LT_CUDNN_ALGO=heuristic keeps the
 * heuristics, to compare the two. */
enum { PASS_FWD, PASS_BD, PASS_BF };
typedef struct {
  int key[18];
  int algo;
  size_t memory;
  float ms; /* measured time (0 for the heuristics) */
} algo_memo;
static algo_memo memo[256];
static int n_memo = 0;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static int measure_algorithms(void) {
  const char *e = getenv("LT_CUDNN_ALGO");
  return !(e && strcmp(e, "heuristic") == 0);
}

static void memo_key(const lt_conv *c, int nc, int pass, int key[18]) {
  const lt_shape x = c->xs, y = c->ys;
  int k[18] = {x.n, x.c, x.d, x.h, x.w, y.c, y.d, y.h, y.w, c->fk, c->fc, c->desc.k,
               c->desc.pad, c->desc.stride, nc, pass, measure_algorithms(), 0};
  memcpy(key, k, sizeof k);
}

static int memo_find(const int key[18], int *algo, size_t *memory, float *ms) {
  int found = 0;
  pthread_mutex_lock(&memo_lock);
  for (int i = 0; i < n_memo && !found; i++)
    if (!memcmp(memo[i].key, key, sizeof memo[i].key))
      *algo = memo[i].algo, *memory = memo[i].memory, *ms = memo[i].ms, found = 1;
  pthread_mutex_unlock(&memo_lock);
  return found;
}

static void memo_put(const int key[18], int algo, size_t memory, float ms) {
  pthread_mutex_lock(&memo_lock);
  if (n_memo < (int)(sizeof memo / sizeof memo[0])) {
    memcpy(memo[n_memo].key, key, sizeof memo[n_memo].key);
    memo[n_memo].algo = algo, memo[n_memo].memory = memory, memo[n_memo].ms = ms;
    n_memo++;
  }
  pthread_mutex_unlock(&memo_lock);
}

/* Chooses pass's algorithm on c's descriptors: the remembered one, else the fastest acceptable
 * measured (or, with LT_CUDNN_ALGO=heuristic, predicted) one. CUDNN_STATUS_NOT_SUPPORTED when
 * none is acceptable. */
static cudnnStatus_t choose_pass(lt_conv *c, int nc, int pass, int *algo, size_t *memory,
                                 float *ms) {
  int key[18];
  memo_key(c, nc, pass, key);
  if (memo_find(key, algo, memory, ms)) return CUDNN_STATUS_SUCCESS;
  const int find = measure_algorithms();
  cudnnHandle_t h = lt_cuda_cudnn;
  int cnt = 0, ok = 0;
  cudnnStatus_t s;
  if (pass == PASS_FWD) {
    cudnnConvolutionFwdAlgoPerf_t p[NALG];
    s = find ? cudnnFindConvolutionForwardAlgorithm(h, c->cx, c->fd, c->cd, c->cy, NALG, &cnt, p)
             : cudnnGetConvolutionForwardAlgorithm_v7(h, c->cx, c->fd, c->cd, c->cy, NALG, &cnt,
                                                      p);
    if (s) return s;
    for (int i = 0; i < cnt && !ok; i++)
      if (p[i].status == CUDNN_STATUS_SUCCESS && fma_only(p[i].mathType) &&
          !fft_or_winograd_fwd(p[i].algo) && p[i].memory <= WS_LIMIT)
        *algo = (int)p[i].algo, *memory = p[i].memory, *ms = find ? p[i].time : 0, ok = 1;
  } else if (pass == PASS_BD) {
    cudnnConvolutionBwdDataAlgoPerf_t p[NALG];
    s = find ? cudnnFindConvolutionBackwardDataAlgorithm(h, c->fd, c->cy, c->cd, c->cx, NALG,
                                                         &cnt, p)
             : cudnnGetConvolutionBackwardDataAlgorithm_v7(h, c->fd, c->cy, c->cd, c->cx, NALG,
                                                           &cnt, p);
    if (s) return s;
    for (int i = 0; i < cnt && !ok; i++)
      if (p[i].status == CUDNN_STATUS_SUCCESS && fma_only(p[i].mathType) &&
          !fft_or_winograd_bd(p[i].algo) && p[i].memory <= WS_LIMIT)
        *algo = (int)p[i].algo, *memory = p[i].memory, *ms = find ? p[i].time : 0, ok = 1;
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t p[NALG];
    s = find ? cudnnFindConvolutionBackwardFilterAlgorithm(h, c->cx, c->cy, c->cd, c->fd, NALG,
                                                           &cnt, p)
             : cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, c->cx, c->cy, c->cd, c->fd,
                                                             NALG, &cnt, p);
    if (s) return s;
    for (int i = 0; i < cnt && !ok; i++)
      if (p[i].status == CUDNN_STATUS_SUCCESS && fma_only(p[i].mathType) &&
          !fft_or_winograd_bf(p[i].algo) && p[i].memory <= WS_LIMIT)
        *algo = (int)p[i].algo, *memory = p[i].memory, *ms = find ? p[i].time : 0, ok = 1;
  }
  if (!ok) return CUDNN_STATUS_NOT_SUPPORTED;
  memo_put(key, *algo, *memory, *ms);
  return CUDNN_STATUS_SUCCESS;
}

/* Sets the descriptors for NDHWC (nc 0) or NCDHW (nc 1) and chooses the algorithms of the
 * passes needed, with their measured time summed in *ms_out (0 for the heuristics);
 * CUDNN_STATUS_NOT_SUPPORTED when a pass has no acceptable algorithm. */
static cudnnStatus_t choose(lt_conv *c, int nc, int need_fwd, int need_bd, int need_bf,
                            size_t *ws_out, float *ms_out, const char **what) {
  const lt_shape xs = c->xs, ys = c->ys;
  const lt_conv_desc *desc = &c->desc;
  cudnnStatus_t s;
  c->has_fwd = c->has_bwd_data = c->has_bwd_filter = 0;
  *ws_out = 0;
  *ms_out = 0;
  if (set_act(c->cx, xs.n, xs.c, xs.d, xs.h, xs.w, nc) ||
      set_act(c->cy, ys.n, ys.c, ys.d, ys.h, ys.w, nc))
    return *what = "tensor descriptor", CUDNN_STATUS_BAD_PARAM;
  int fdims[5] = {c->fk, c->fc, desc->k, desc->k, desc->k};
  cudnnTensorFormat_t ff = nc ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC;
  if ((s = cudnnSetFilterNdDescriptor(c->fd, CUDNN_DATA_FLOAT, ff, 5, fdims)))
    return *what = "filter descriptor", s;
  int pad[3] = {desc->pad, desc->pad, desc->pad}, str[3] = {desc->stride, desc->stride,
                                                             desc->stride};
  int dil[3] = {1, 1, 1};
  if ((s = cudnnSetConvolutionNdDescriptor(c->cd, 3, pad, str, dil, CUDNN_CROSS_CORRELATION,
                                           CUDNN_DATA_FLOAT)) ||
      (s = cudnnSetConvolutionMathType(c->cd, CUDNN_FMA_MATH)))
    return *what = "convolution descriptor", s;
  /* check cuDNN's output size against ours */
  int od[5];
  if ((s = cudnnGetConvolutionNdForwardOutputDim(c->cd, c->cx, c->fd, 5, od)))
    return *what = "output size", s;
  if (od[0] != ys.n || od[1] != ys.c || od[2] != ys.d || od[3] != ys.h || od[4] != ys.w)
    return *what = "output size disagrees", CUDNN_STATUS_BAD_PARAM;
  size_t ws = 0, mem = 0;
  int algo = 0;
  float ms = 0;
  if (need_fwd) {
    if ((s = choose_pass(c, nc, PASS_FWD, &algo, &mem, &ms)))
      return *what = s == CUDNN_STATUS_NOT_SUPPORTED ? "forward: no FMA algorithm"
                                                     : "forward algorithm", s;
    c->fwd = (cudnnConvolutionFwdAlgo_t)algo, c->has_fwd = 1;
    if (mem > ws) ws = mem;
    *ms_out += ms;
  }
  if (need_bd) {
    if ((s = choose_pass(c, nc, PASS_BD, &algo, &mem, &ms)))
      return *what = s == CUDNN_STATUS_NOT_SUPPORTED ? "backward-data: no FMA algorithm"
                                                     : "backward-data algorithm", s;
    c->bwd_data = (cudnnConvolutionBwdDataAlgo_t)algo, c->has_bwd_data = 1;
    if (mem > ws) ws = mem;
    *ms_out += ms;
  }
  if (need_bf) {
    if ((s = choose_pass(c, nc, PASS_BF, &algo, &mem, &ms)))
      return *what = s == CUDNN_STATUS_NOT_SUPPORTED ? "backward-filter: no FMA algorithm"
                                                     : "backward-filter algorithm", s;
    c->bwd_filter = (cudnnConvolutionBwdFilterAlgo_t)algo, c->has_bwd_filter = 1;
    if (mem > ws) ws = mem;
    *ms_out += ms;
  }
  *ws_out = ws;
  return CUDNN_STATUS_SUCCESS;
}

/* 1 to run c in NCDHW. In NDHWC, cuDNN 9 offers 3D float convolutions one algorithm per pass
 * (implicit GEMM; an H200 spent 226 ms per training step of the default model at batch 16 in
 * backward-filter alone, PyTorch 47 ms for the whole step); NCDHW has more. With measured
 * choices both layouts are timed, and NCDHW wins when its passes plus the transposes it needs
 * (each pass transposes both of its activations: a read and a write, 8 bytes per element, at
 * an assumed 1.5 TB/s) take less time than NDHWC's. LT_CUDNN_LAYOUT=ndhwc or ncdhw forces one
 * (to compare); the heuristics keep NDHWC, which needs no transposes. */
static int pick_layout(lt_conv *c, int need_fwd, int need_bd, int need_bf) {
  const char *e = getenv("LT_CUDNN_LAYOUT");
  if (e && strcmp(e, "ncdhw") == 0) return 1;
  if ((e && strcmp(e, "ndhwc") == 0) || !measure_algorithms()) return 0;
  size_t ws;
  float t_nd = 0, t_nc = 0;
  const char *what;
  if (choose(c, 1, need_fwd, need_bd, need_bf, &ws, &t_nc, &what) != CUDNN_STATUS_SUCCESS)
    return 0;
  if (choose(c, 0, need_fwd, need_bd, need_bf, &ws, &t_nd, &what) != CUDNN_STATUS_SUCCESS)
    return 1;
  const int passes = need_fwd + need_bd + need_bf;
  const double elems = (double)lt_shape_count(c->xs) + (double)lt_shape_count(c->ys);
  const double t_transpose = passes * elems * 8.0 / 1.5e9; /* ms */
  return t_nc + t_transpose < t_nd;
}

extern "C" int lt_cuda_conv_create(lt_conv **out, const lt_conv_desc *desc, lt_error *err) {
  *out = NULL;
  if (lt_cuda_probe(NULL, 0, err) != 0) return -1;
  if (lt_conv_desc_check(desc, err) != 0) return -1;
  lt_conv *c = (lt_conv *)calloc(1, sizeof *c);
  if (!c) return lt_error_set(err, "out of memory");
  c->desc = *desc;
  const int tr = desc->kind == LT_CONV_TRANSPOSED;
  lt_shape in = lt_conv_in_shape(desc), o = lt_conv_out_shape(desc);
  /* the cuDNN convolution runs from big (cx) to small (cy) for a transposed one */
  lt_shape xs = tr ? o : in, ys = tr ? in : o;
  c->fk = tr ? desc->c_in : desc->c_out;
  c->fc = tr ? desc->c_out : desc->c_in;
  c->xs = xs;
  c->ys = ys;
  cudnnStatus_t s;
  if ((s = cudnnCreateTensorDescriptor(&c->cx)) || (s = cudnnCreateTensorDescriptor(&c->cy)) ||
      (s = cudnnCreateFilterDescriptor(&c->fd)) ||
      (s = cudnnCreateConvolutionDescriptor(&c->cd)))
    return fail(c, err, "descriptors", s);
  int need_fwd = !tr || !desc->forward_only, need_bd = tr || !desc->forward_only;
  c->thin = !desc->forward_only && is_thin(desc);
  int need_bf = !desc->forward_only && !c->thin;
  size_t ws = 0;
  float ms; /* the passes' measured time: pick_layout's business, not needed here */
  const char *what = "";
  c->nc = pick_layout(c, need_fwd, need_bd, need_bf);
  s = choose(c, c->nc, need_fwd, need_bd, need_bf, &ws, &ms, &what);
  if (s != CUDNN_STATUS_SUCCESS && !c->nc) { /* NDHWC refused: try NCDHW with transposes */
    c->nc = 1;
    s = choose(c, 1, need_fwd, need_bd, need_bf, &ws, &ms, &what);
  }
  if (s != CUDNN_STATUS_SUCCESS) return fail(c, err, what, s);
  size_t wbytes = lt_conv_weight_count(desc) * sizeof(float);
  size_t xb = lt_shape_count(xs) * sizeof(float), yb = lt_shape_count(ys) * sizeof(float);
  cudaError_t e = cudaSuccess;
  int bad = ws && (e = cudaMalloc(&c->ws, ws)) != cudaSuccess;
  if (!bad && !c->nc) /* NDHWC: the filter in KDRSC, and its gradient */
    bad = (e = cudaMalloc((void **)&c->wk, wbytes)) != cudaSuccess ||
          (need_bf && (e = cudaMalloc((void **)&c->dwk, wbytes)) != cudaSuccess);
  if (!bad && c->nc) /* NCDHW: both activations transposed */
    bad = (e = cudaMalloc((void **)&c->bx, xb)) != cudaSuccess ||
          (e = cudaMalloc((void **)&c->by, yb)) != cudaSuccess;
  if (bad) {
    (void)cudaGetLastError();
    lt_cuda_note_oom("conv_create");
    lt_cuda_conv_destroy(c);
    return lt_error_set(err, "convolution workspace: out of GPU memory (%s)",
                        cudaGetErrorString(e));
  }
  c->ws_bytes = ws;
  /* names for conv_impl, by our pass (not cuDNN's) */
  snprintf(c->impl[LT_PASS_FORWARD], 64, tr ? "cudnn:bwd_data_algo_%d" : "cudnn:fwd_algo_%d",
           tr ? (int)c->bwd_data : (int)c->fwd);
  snprintf(c->impl[LT_PASS_BACKWARD_DATA], 64,
           tr ? "cudnn:fwd_algo_%d" : "cudnn:bwd_data_algo_%d",
           tr ? (int)c->fwd : (int)c->bwd_data);
  snprintf(c->impl[LT_PASS_BACKWARD_WEIGHTS], 64, "cudnn:bwd_filter_algo_%d", (int)c->bwd_filter);
  if (c->nc)
    for (int i = 0; i < 3; i++) strncat(c->impl[i], ":ncdhw", 63 - strlen(c->impl[i]));
  if (c->thin) snprintf(c->impl[LT_PASS_BACKWARD_WEIGHTS], 64, "lt:thin_bwd_filter");
  static const char *pass_name[3] = {"fwd", "bwd-data", "bwd-filter"};
  for (int i = 0; i < 3; i++)
    snprintf(c->label[i], sizeof c->label[i], "%sconv %s %d->%d s%d @%d n%d", tr ? "t" : "",
             pass_name[i], desc->c_in, desc->c_out, desc->stride, desc->d, desc->n);
  *out = c;
  return 0;
}

extern "C" const char *lt_cuda_conv_impl(const lt_conv *c, lt_conv_pass pass) {
  if (pass == LT_PASS_FORWARD) return c->impl[0];
  if (c->desc.forward_only) return "none";
  return c->impl[pass];
}

/* The filter cuDNN is given: the canonical weights (NCDHW fallback) or their KDRSC copy. */
static const float *filter_in(lt_conv *c, const float *w) {
  if (c->nc) return w;
  int T = c->desc.k * c->desc.k * c->desc.k;
  size_t n = (size_t)c->fk * c->fc * T;
  k_reorder<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(c->wk, w, c->fk, c->fc, T, 1);
  return c->wk;
}

static const float one = 1.0f, zero = 0.0f;

/* cuDNN's three passes on this plan's descriptors; x on cx, y on cy, both NDHWC (transposed
 * through bx, by in the fallback). */
static void run_fwd(lt_conv *c, float *y, const float *x, const float *wf) {
  const float *xi = x;
  float *yo = y;
  if (c->nc) {
    layout(c->bx, x, c->xs, 1);
    xi = c->bx, yo = c->by;
  }
  lt_cuda_note_cudnn(cudnnConvolutionForward(lt_cuda_cudnn, &one, c->cx, xi, c->fd, wf, c->cd,
                                             c->fwd, c->ws, c->ws_bytes, &zero, c->cy, yo),
                     "cudnnConvolutionForward");
  if (c->nc) layout(y, c->by, c->ys, 0);
}
static void run_bwd_data(lt_conv *c, float *dx, const float *dy, const float *wf) {
  const float *di = dy;
  float *dxo = dx;
  if (c->nc) {
    layout(c->by, dy, c->ys, 1);
    di = c->by, dxo = c->bx;
  }
  lt_cuda_note_cudnn(cudnnConvolutionBackwardData(lt_cuda_cudnn, &one, c->fd, wf, c->cy, di,
                                                  c->cd, c->bwd_data, c->ws, c->ws_bytes, &zero,
                                                  c->cx, dxo),
                     "cudnnConvolutionBackwardData");
  if (c->nc) layout(dx, c->bx, c->xs, 0);
}
/* dwf: the canonical gradient (fallback) or the KDRSC one. */
static void run_bwd_filter(lt_conv *c, const float *x, const float *dy, float *dwf) {
  if (c->nc) {
    layout(c->bx, x, c->xs, 1);
    layout(c->by, dy, c->ys, 1);
    x = c->bx, dy = c->by;
  }
  lt_cuda_note_cudnn(cudnnConvolutionBackwardFilter(lt_cuda_cudnn, &one, c->cx, x, c->cy, dy,
                                                    c->cd, c->bwd_filter, c->ws, c->ws_bytes,
                                                    &zero, c->fd, dwf),
                     "cudnnConvolutionBackwardFilter");
}

extern "C" void lt_cuda_conv_forward(lt_conv *c, float *y, const float *x, const float *w,
                                     const float *b) {
  const float *wf = filter_in(c, w);
  if (c->desc.kind == LT_CONV_TRANSPOSED)
    run_bwd_data(c, y, x, wf);
  else
    run_fwd(c, y, x, wf);
  lt_shape o = lt_conv_out_shape(&c->desc);
  size_t rows = (size_t)o.n * lt_shape_spatial(o);
  k_bias_add<<<lt_cuda_blocks(rows * o.c, 256), 256, 0, lt_cuda_stream>>>(y, b, rows, o.c);
  lt_cuda_done(c->label[LT_PASS_FORWARD]);
}

extern "C" void lt_cuda_conv_backward_data(lt_conv *c, float *dx, const float *dy,
                                           const float *w) {
  const float *wf = filter_in(c, w);
  if (c->desc.kind == LT_CONV_TRANSPOSED)
    run_fwd(c, dx, dy, wf);
  else
    run_bwd_data(c, dx, dy, wf);
  lt_cuda_done(c->label[LT_PASS_BACKWARD_DATA]);
}

extern "C" void lt_cuda_conv_backward_weights(lt_conv *c, float *dw, float *db, const float *dy,
                                              const float *x) {
  float *dwf = c->nc ? dw : c->dwk;
  if (c->thin)
    thin_bwd_filter(c, dw, dy, x);
  else if (c->desc.kind == LT_CONV_TRANSPOSED)
    run_bwd_filter(c, dy, x, dwf);
  else
    run_bwd_filter(c, x, dy, dwf);
  if (!c->nc && !c->thin) {
    int T = c->desc.k * c->desc.k * c->desc.k;
    size_t n = (size_t)c->fk * c->fc * T;
    k_reorder<<<lt_cuda_blocks(n, 256), 256, 0, lt_cuda_stream>>>(dw, c->dwk, c->fk, c->fc, T,
                                                                  0);
  }
  lt_shape o = lt_conv_out_shape(&c->desc);
  size_t rows = (size_t)o.n * lt_shape_spatial(o);
  double *acc = (double *)lt_cuda_scratch(3, (size_t)o.c * sizeof(double));
  if (acc) {
    cudaMemsetAsync(acc, 0, (size_t)o.c * sizeof(double), lt_cuda_stream);
    if (o.c <= 1024) {
      const unsigned threads = (unsigned)(o.c * (o.c >= 256 ? 1 : 256 / o.c));
      size_t n = rows * (size_t)o.c, per = (size_t)threads * 64; /* >= 64 elements a thread */
      unsigned blocks = (unsigned)((n + per - 1) / per);
      if (blocks > 1024) blocks = 1024;
      k_bias_grad<<<blocks, threads, threads * sizeof(double), lt_cuda_stream>>>(acc, dy, rows,
                                                                                 o.c);
    } else {
      unsigned blocks = (unsigned)(rows < 512 ? rows : 512);
      k_bias_grad_wide<<<blocks, 128, 0, lt_cuda_stream>>>(acc, dy, rows, o.c);
    }
    k_double_to_float<<<(o.c + 127) / 128, 128, 0, lt_cuda_stream>>>(db, acc, o.c);
  }
  lt_cuda_done(c->label[LT_PASS_BACKWARD_WEIGHTS]);
}
