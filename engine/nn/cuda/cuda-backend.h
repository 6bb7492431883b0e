/* engine/nn/cuda/cuda-backend.h — the "cuda" backend (cuDNN 9 convolutions and kernels of ours;
 * the model-level kernels are engine/model/cuda-model.h). C interface; the code is
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
 * This module does not choose backends (nn/backend-select.h does). */
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

#ifdef __cplusplus
}
#endif

#endif
