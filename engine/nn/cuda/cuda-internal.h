/* engine/nn/cuda/cuda-internal.h — what the cuda-*.cu files share: the stream, the cuDNN
 * handle, the sticky error, device scratch, and the launch helpers. Not for callers outside
 * engine/nn/cuda (they use cuda-backend.h). */
#ifndef LT_NN_CUDA_INTERNAL_H
#define LT_NN_CUDA_INTERNAL_H

#include <cuda_runtime.h>
#include <cudnn.h>

#include "nn/cuda/cuda-backend.h"

/* Set by lt_cuda_probe when it succeeds. */
extern cudaStream_t lt_cuda_stream;
extern cudnnHandle_t lt_cuda_cudnn;

/* Records the first error (sticky) with its place; a cudaErrorMemoryAllocation also marks OOM. */
void lt_cuda_note(cudaError_t e, const char *where);
void lt_cuda_note_cudnn(cudnnStatus_t s, const char *where);
void lt_cuda_note_oom(const char *where);
/* Waits for the stream and notes a launch or execution error; every entry point ends here. */
void lt_cuda_done(const char *where);

/* Device scratch slot i (0..3) of at least bytes, kept and grown; NULL (error noted) on failure. */
void *lt_cuda_scratch(int slot, size_t bytes);
/* p when the device can address it, else a device copy of bytes (slot) or NULL. */
const void *lt_cuda_stage_in(const void *p, size_t bytes, int slot);
/* For an output: p when device-addressable, else a scratch buffer (slot) to copy back with
 * lt_cuda_stage_out. */
void *lt_cuda_stage_buf(void *p, size_t bytes, int slot);
void lt_cuda_stage_out(void *p, const void *buf, size_t bytes);

static inline unsigned lt_cuda_blocks(size_t n, unsigned threads) {
  size_t b = (n + threads - 1) / threads;
  return (unsigned)(b > 65535u * 8u ? 65535u * 8u : (b ? b : 1));
}

#endif
