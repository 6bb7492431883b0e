/* engine/nn/backend-select.h — which backend the engine runs on, and running a job with a
 * CPU retry. The automatic choice probes once: cuda when it is built in (meson option cuda) and
 * a device and cuDNN answer, else cpu, with ONE log line saying why cuda is not used when a GPU
 * is there but unusable (none on a machine without a CUDA device or driver, the ordinary CPU
 * machine, and none when cuda is not built; `lungtrust-cli engine` always says why).
 * LT_BACKEND=cpu|cuda|ref in the environment overrides the choice.
 * lt_engine_describe fills what `lungtrust-cli engine` prints. lt_run_with_fallback runs a job
 * on a backend and, when it runs out of GPU memory, once more on the cpu backend, telling the
 * user through the log. Built with or without CUDA; it computes no layer. */
#ifndef LT_NN_BACKEND_SELECT_H
#define LT_NN_BACKEND_SELECT_H

#include <stddef.h>

#include "lt-error.h"
#include "nn/backend.h"

/* 1 when the cuda backend is compiled in. */
int lt_engine_cuda_built(void);
/* The cuda backend table, or NULL when it is not built. */
const lt_backend *lt_engine_cuda_backend(void);

/* The first CUDA error since the last call: layer functions cannot fail on their own (backend.h),
 * so whatever turns a model's outputs into results asks here before it trusts or saves them
 * (lt_analyze_patch, lt_heldout_evaluate, each training epoch). -1 with the error in err, else
 * 0; always 0 without cuda. */
int lt_engine_take_error(lt_error *err);

/* The automatic choice (see above). Never NULL; the probe and the log line happen once. */
const lt_backend *lt_backend_select_auto(void);
/* "auto" as lt_backend_select_auto; "cuda" the cuda backend when built and its probe passes;
 * otherwise lt_backend_get (cpu, ref). NULL with err set when the named one cannot run. */
const lt_backend *lt_backend_select(const char *name, lt_error *err);

typedef struct {
  char backend[16];   /* "cuda" or "cpu": the automatic choice */
  char device[256];   /* that backend's probe line (GPU name and memory, or oneDNN's ISA) */
  char onednn[128];   /* the cpu backend's probe line (oneDNN version), or why it fails */
  char cudnn[64];     /* "9.19.0 (CUDA runtime 13.0)", or "not built" */
  char cuda_why[256]; /* why cuda is not used; empty when it is */
} lt_engine_info;
void lt_engine_describe(lt_engine_info *info);

/* A job returns 0, -1 with err set, or LT_JOB_DEVICE_OOM (err set) when it ran out of device
 * memory. */
#define LT_JOB_DEVICE_OOM (-2)
typedef int (*lt_backend_job_fn)(const lt_backend *be, void *ctx, lt_error *err);

/* Runs job on be. When it reports LT_JOB_DEVICE_OOM, or fails (or leaves a CUDA error) after
 * the cuda backend ran out of memory, and be is not the cpu backend: logs one line for the user
 * and runs job again on the cpu backend. *on_cpu_retry (may be NULL) is set to 1 when the
 * retry happened. Returns the last attempt's 0 / -1 (err set). */
int lt_run_with_fallback(const lt_backend *be, lt_backend_job_fn job, void *ctx,
                         int *on_cpu_retry, lt_error *err);

#endif
