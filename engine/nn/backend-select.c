/* engine/nn/backend-select.c — see backend-select.h. */
#include "nn/backend-select.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-log.h"

#ifdef LT_HAVE_CUDA
#include "nn/cuda/cuda-backend.h"
#endif

int lt_engine_cuda_built(void) {
#ifdef LT_HAVE_CUDA
  return 1;
#else
  return 0;
#endif
}

const lt_backend *lt_engine_cuda_backend(void) {
#ifdef LT_HAVE_CUDA
  return &lt_backend_cuda;
#else
  return NULL;
#endif
}

/* The cuda probe's answer: 0 usable (info set), -1 with why set. */
static int cuda_usable(char *info, size_t info_size, char *why, size_t why_size) {
  if (info_size) info[0] = 0;
  if (why_size) why[0] = 0;
  const lt_backend *cu = lt_engine_cuda_backend();
  if (!cu) {
    snprintf(why, why_size, "not built into this program (meson option cuda)");
    return -1;
  }
  lt_error err = {{0}};
  if (cu->probe(info, info_size, &err) != 0) {
    snprintf(why, why_size, "%s", err.msg);
    return -1;
  }
  return 0;
}

/* 1 when cuda is built but the machine has no CUDA device or driver. */
static int cuda_missing(void) {
#ifdef LT_HAVE_CUDA
  return lt_cuda_no_device();
#else
  return 0;
#endif
}

int lt_engine_take_error(lt_error *err) {
#ifdef LT_HAVE_CUDA
  if (lt_cuda_take_error(err) != 0) return -1;
#else
  (void)err;
#endif
  return 0;
}

static pthread_once_t auto_once = PTHREAD_ONCE_INIT;
static const lt_backend *auto_choice = NULL;

static void auto_run(void) {
  const char *env = getenv("LT_BACKEND");
  if (env && *env && strcmp(env, "auto") != 0) {
    lt_error err = {{0}};
    auto_choice = lt_backend_select(env, &err);
    if (auto_choice) return;
    lt_engine_log("LT_BACKEND=%s not used (%s); choosing automatically", env, err.msg);
  }
  char info[256], why[256];
  if (cuda_usable(info, sizeof info, why, sizeof why) == 0) {
    auto_choice = lt_engine_cuda_backend();
    return;
  }
  /* A machine without a GPU is the ordinary case and gets no line on every command (`engine`
   * says why); a GPU that is there but cannot be used is worth telling. */
  if (lt_engine_cuda_built() && !cuda_missing())
    lt_engine_log("cuda backend not used (%s); running on the CPU", why);
  auto_choice = lt_backend_default();
}

const lt_backend *lt_backend_select_auto(void) {
  pthread_once(&auto_once, auto_run);
  return auto_choice;
}

const lt_backend *lt_backend_select(const char *name, lt_error *err) {
  if (name && strcmp(name, "auto") == 0) return lt_backend_select_auto();
  if (name && strcmp(name, "cuda") == 0) {
    char info[256], why[256];
    if (cuda_usable(info, sizeof info, why, sizeof why) != 0)
      return lt_error_set(err, "backend cuda: %s", why), NULL;
    return lt_engine_cuda_backend();
  }
  return lt_backend_get(name, err);
}

void lt_engine_describe(lt_engine_info *info) {
  memset(info, 0, sizeof *info);
  const lt_backend *be = lt_backend_select_auto();
  snprintf(info->backend, sizeof info->backend, "%s", be->name);
  lt_error err = {{0}};
  if (be->probe(info->device, sizeof info->device, &err) != 0)
    snprintf(info->device, sizeof info->device, "(probe failed: %.200s)", err.msg);
  char line[256];
  if (lt_backend_cpu.probe(line, sizeof line, &err) == 0)
    snprintf(info->onednn, sizeof info->onednn, "%.120s", line);
  else
    snprintf(info->onednn, sizeof info->onednn, "unusable: %.100s", err.msg);
#ifdef LT_HAVE_CUDA
  size_t v = lt_cuda_cudnn_version();
  int rt = lt_cuda_runtime_version();
  snprintf(info->cudnn, sizeof info->cudnn, "%zu.%zu.%zu (CUDA runtime %d.%d)", v / 10000,
           v / 100 % 100, v % 100, rt / 1000, rt % 1000 / 10);
#else
  snprintf(info->cudnn, sizeof info->cudnn, "not built");
#endif
  char cinfo[256];
  if (strcmp(be->name, "cuda") != 0)
    cuda_usable(cinfo, sizeof cinfo, info->cuda_why, sizeof info->cuda_why);
  if (strcmp(be->name, "cuda") != 0 && !info->cuda_why[0])
    snprintf(info->cuda_why, sizeof info->cuda_why, "LT_BACKEND=%s", be->name);
}

/* Whether an attempt on be ran out of device memory; takes the cuda backend's sticky state. */
static int attempt_oom(const lt_backend *be, int rc, lt_error *err) {
  if (rc == LT_JOB_DEVICE_OOM) return 1;
#ifdef LT_HAVE_CUDA
  if (be == &lt_backend_cuda) {
    int oom = lt_cuda_take_oom();
    lt_error cerr = {{0}};
    int sticky = lt_cuda_take_error(&cerr);
    if (sticky && rc == 0) {
      /* a layer failed silently inside a job that looked fine: the job's results are void */
      if (err) *err = cerr;
      return oom ? 1 : -1;
    }
    return oom && rc != 0;
  }
#else
  (void)be;
  (void)err;
#endif
  return 0;
}

int lt_run_with_fallback(const lt_backend *be, lt_backend_job_fn job, void *ctx,
                         int *on_cpu_retry, lt_error *err) {
  if (on_cpu_retry) *on_cpu_retry = 0;
#ifdef LT_HAVE_CUDA
  if (be == &lt_backend_cuda) {
    lt_cuda_take_oom();
    lt_cuda_take_error(NULL);
  }
#endif
  int rc = job(be, ctx, err);
  int oom = attempt_oom(be, rc, err);
  if (oom < 0) return -1;
  if (!oom) return rc == 0 ? 0 : -1;
  if (be == &lt_backend_cpu) {
    if (rc == LT_JOB_DEVICE_OOM) lt_error_prefix(err, "out of memory on the CPU");
    return -1;
  }
  lt_engine_log("the GPU ran out of memory (%s); running this job again on the CPU, which is "
                "slower", err ? err->msg : "");
  if (on_cpu_retry) *on_cpu_retry = 1;
  if (err) memset(err, 0, sizeof *err);
  rc = job(&lt_backend_cpu, ctx, err);
  return rc == 0 ? 0 : -1;
}
