/* engine/nn/cuda/cuda-backend.h — the "cuda" backend (cuDNN 9 convolutions and kernels of ours)
 * and the model-level kernels the model and trainer can move to the GPU (Grad-CAM sum, mask
 * fraction, debug loss, the debug term into f and g, Dice, Adam). C interface; the code is
 * CUDA (cuda-*.cu), built only when meson finds nvcc and cuDNN (option cuda). LT_HAVE_CUDA is
 * defined for the engine when built.
 *
 * Memory: alloc returns CUDA managed memory (cudaMallocManaged), so the host code of
 * engine/model (heads, losses, Grad-CAM on the host) reads and writes it as it does for cpu.
 * Every entry point therefore finishes its queued work before returning (stream sync), and
 * pageable host pointers given for the small vectors (global pooling, FC) are staged through
 * device scratch. Layouts as backend.h (NDHWC, canonical weights); cuDNN is given the NDHWC
 * activations through strides and an NHWC-format filter copy (KDRSC) that every call reorders
 * from the canonical OIDHW / IODHW weights. Math: CUDNN_FMA_MATH (no TF32), sums in double in
 * our kernels, as the cpu backend.
 * Layer functions cannot fail (backend.h); a CUDA error or an allocation that fails inside one
 * is kept as a sticky error that lt_cuda_take_error reports (the job runner checks it).
 * This module does not choose backends (engine-select.h does). */
#ifndef LT_NN_CUDA_BACKEND_H
#define LT_NN_CUDA_BACKEND_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "nn/backend.h"

extern const lt_backend lt_backend_cuda;

/* Probes once (thread-safe): device count, cuDNN handle. 0 with "NVIDIA H100 ..., cuDNN 9.19.0"
 * in info, or -1 with the reason (e.g. "cudaGetDeviceCount: CUDA driver version is
 * insufficient ...") in err. Later calls return the first answer. */
int lt_cuda_probe(char *info, size_t info_size, lt_error *err);
/* 1 when the probe failed because this machine has no CUDA device or driver (a CPU machine);
 * 0 when it has one, usable or not. */
int lt_cuda_no_device(void);
/* cudnnGetVersion() of the linked cuDNN (works without a device), e.g. 91900. */
size_t lt_cuda_cudnn_version(void);
/* The CUDA runtime version compiled against, e.g. 13000. */
int lt_cuda_runtime_version(void);

/* 1 once an allocation failed for want of device memory (since the last take); -1 and the
 * message of the first sticky error (CUDA error, device out of memory) into err; 0 when none.
 * Both clear the state. */
int lt_cuda_take_oom(void);
int lt_cuda_take_error(lt_error *err);

/* With LT_CUDA_PROFILE=1 in the environment: the time between entry points by name since the
 * last reset (see cuda-runtime.cu), largest first, under title; nothing without it. */
void lt_cuda_profile_reset(void);
void lt_cuda_profile_report(FILE *out, const char *title);

/* ---- model-level kernels; pointers are backend (managed or device) memory ---- */
/* u[n] = sum_k g[k] f[n K + k]. CPU twin: lt_cam_weighted_sum (engine/model/gradcam.c). */
void lt_cuda_cam_weighted_sum(float *u, const float *f, const float *g, int N, int K);
/* fg[n K + k] += du[n] g[k] and dg[k] = sum_n du[n] f[n K + k] (the debug term into f and
 * into g). CPU twin: the two loops of lt_model_backward (engine/model/model.c). */
void lt_cuda_debug_into_f(float *fg, float *dg, const float *du, const float *g, const float *f,
                          int N, int K);
/* p[cell] = fraction of each k^3 cell's voxels with mask >= 0.5. CPU twin: lt_mask_fraction
 * (engine/model/gradcam.c). */
void lt_cuda_mask_fraction(float *p, const float *mask, int side, int k);
/* The debug loss of Eq. 4 with dL/du and the min-max CAM; the result on the host, its fields
 * those of lt_debug_result (engine/model/loss.h; status is its lt_debug_status value).
 * CPU twin: lt_loss_debug (engine/model/loss.c). */
typedef struct {
  int status;
  double hinge, mean_in, mean_out, loss;
} lt_cuda_debug_out;
void lt_cuda_debug_loss(lt_cuda_debug_out *r, float *du, float *cam, const float *u, float s,
                        const float *p, int N, double lambda, double coef);
/* Dice loss and dy. CPU twin: lt_loss_dice (engine/model/loss.c). Returns the loss. */
double lt_cuda_dice(const float *y, const float *g, size_t n, double theta, float *dy);
/* One Adam step with bias corrections for step (>= 1). CPU twin: lt_adam_step
 * (engine/model/adam.c); m and v as lt_adam's. */
void lt_cuda_adam_step(float *params, float *m, float *v, const float *grads, size_t n,
                       double lr, double beta1, double beta2, double eps, long step);

#ifdef __cplusplus
}
#endif

#endif
