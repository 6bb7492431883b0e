/* engine/nn/cuda/cuda-runtime.cu — the cuda backend's probe, memory (managed, with a device
 * memory budget so that running out is an error and not silent paging), sticky errors and
 * scratch. See cuda-backend.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/cuda/cuda-internal.h"

cudaStream_t lt_cuda_stream = NULL;
cudnnHandle_t lt_cuda_cudnn = NULL;

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_rc = -1;
static char probe_info[256];
static char probe_why[256];
static int probe_no_device = 0; /* the probe failed because there is no device (or driver) */

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static char sticky[256];
static int sticky_set = 0, oom_seen = 0;

/* Managed allocations are paged, not refused, beyond the device's memory; we refuse them
 * ourselves beyond this budget (free device memory at the probe, less 5%). */
static size_t budget = 0, live = 0;
#define HEADER 256 /* bytes before each allocation holding its size; keeps 256-byte alignment */

static void probe_run(void) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    snprintf(probe_why, sizeof probe_why, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
    (void)cudaGetLastError();
    probe_no_device = 1;
    return;
  }
  if (n <= 0) {
    snprintf(probe_why, sizeof probe_why, "no CUDA device");
    probe_no_device = 1;
    return;
  }
  cudaDeviceProp p;
  if ((e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess ||
      (e = cudaSetDevice(0)) != cudaSuccess) {
    snprintf(probe_why, sizeof probe_why, "CUDA device 0: %s", cudaGetErrorString(e));
    return;
  }
  if (p.major < 7 || (p.major == 7 && p.minor < 5)) {
    snprintf(probe_why, sizeof probe_why, "%.100s is sm_%d%d; built for sm_75 to sm_90", p.name,
             p.major, p.minor);
    return;
  }
  if (!p.managedMemory) {
    snprintf(probe_why, sizeof probe_why, "%.100s has no managed memory", p.name);
    return;
  }
  if ((e = cudaStreamCreateWithFlags(&lt_cuda_stream, cudaStreamNonBlocking)) != cudaSuccess) {
    snprintf(probe_why, sizeof probe_why, "cudaStreamCreate: %s", cudaGetErrorString(e));
    return;
  }
  cudnnStatus_t s = cudnnCreate(&lt_cuda_cudnn);
  if (s != CUDNN_STATUS_SUCCESS) {
    snprintf(probe_why, sizeof probe_why, "cudnnCreate: %s", cudnnGetErrorString(s));
    lt_cuda_cudnn = NULL;
    return;
  }
  cudnnSetStream(lt_cuda_cudnn, lt_cuda_stream);
  size_t fr = 0, total = 0;
  if (cudaMemGetInfo(&fr, &total) != cudaSuccess) fr = 0;
  budget = fr - fr / 20;
  size_t v = cudnnGetVersion();
  snprintf(probe_info, sizeof probe_info, "%.100s (sm_%d%d, %.1f GiB), cuDNN %zu.%zu.%zu, FMA math",
           p.name, p.major, p.minor, (double)total / (1u << 30), v / 10000, v / 100 % 100,
           v % 100);
  probe_rc = 0;
}

extern "C" int lt_cuda_probe(char *info, size_t info_size, lt_error *err) {
  pthread_once(&probe_once, probe_run);
  if (probe_rc != 0) return lt_error_set(err, "%s", probe_why);
  if (info && info_size) snprintf(info, info_size, "%s", probe_info);
  return 0;
}

extern "C" int lt_cuda_no_device(void) {
  pthread_once(&probe_once, probe_run);
  return probe_no_device;
}

extern "C" size_t lt_cuda_cudnn_version(void) { return cudnnGetVersion(); }
extern "C" int lt_cuda_runtime_version(void) { return CUDART_VERSION; }

static void note_msg(const char *msg, int oom) {
  pthread_mutex_lock(&state_lock);
  if (!sticky_set) {
    snprintf(sticky, sizeof sticky, "%.250s", msg);
    sticky_set = 1;
  }
  if (oom) oom_seen = 1;
  pthread_mutex_unlock(&state_lock);
}

void lt_cuda_note(cudaError_t e, const char *where) {
  if (e == cudaSuccess) return;
  char m[256];
  snprintf(m, sizeof m, "%.60s: %.180s", where, cudaGetErrorString(e));
  note_msg(m, e == cudaErrorMemoryAllocation);
}

void lt_cuda_note_cudnn(cudnnStatus_t s, const char *where) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  char m[256];
  snprintf(m, sizeof m, "%.60s: %.180s", where, cudnnGetErrorString(s));
  note_msg(m, s == CUDNN_STATUS_ALLOC_FAILED);
}

void lt_cuda_note_oom(const char *where) {
  char m[256];
  snprintf(m, sizeof m, "%.60s: out of GPU memory", where);
  note_msg(m, 1);
}

/* LT_CUDA_PROFILE=1: the wall time from one entry point's end to the next one's end, by the
 * next one's name. Every entry point waits for its work, so each interval is that call's GPU
 * time plus whatever the host did before it (the model's host code over managed memory, page
 * migrations included): a host-heavy stretch shows on the GPU call that follows it. Names are
 * copied (a convolution's, its pass and shape, lives only as long as its plan). */
#define PROFILE_SLOTS 128
static int profile_on = -1;
static double profile_last;
static struct {
  char where[80];
  double ms;
  long calls;
} profile[PROFILE_SLOTS];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static void profile_add(const char *where) {
  double t = now_ms();
  pthread_mutex_lock(&state_lock);
  if (profile_last > 0) {
    int i = 0;
    while (i < PROFILE_SLOTS && profile[i].where[0] && strcmp(profile[i].where, where) != 0) i++;
    if (i < PROFILE_SLOTS) {
      snprintf(profile[i].where, sizeof profile[i].where, "%s", where);
      profile[i].ms += t - profile_last;
      profile[i].calls++;
    }
  }
  profile_last = t;
  pthread_mutex_unlock(&state_lock);
}

extern "C" void lt_cuda_profile_reset(void) {
  pthread_mutex_lock(&state_lock);
  memset(profile, 0, sizeof profile);
  profile_last = now_ms();
  pthread_mutex_unlock(&state_lock);
}

extern "C" void lt_cuda_profile_report(FILE *out, const char *title) {
  if (profile_on != 1) return;
  pthread_mutex_lock(&state_lock);
  double total = 0;
  for (int i = 0; i < PROFILE_SLOTS && profile[i].where[0]; i++) total += profile[i].ms;
  fprintf(out, "profile: %s, %.2f ms in all\n", title, total);
  for (;;) { /* largest first, each printed once */
    int best = -1;
    for (int i = 0; i < PROFILE_SLOTS && profile[i].where[0]; i++)
      if (profile[i].calls > 0 && (best < 0 || profile[i].ms > profile[best].ms)) best = i;
    if (best < 0) break;
    fprintf(out, "  %-40s %6ld calls %10.3f ms %5.1f%%\n", profile[best].where,
            profile[best].calls, profile[best].ms, total > 0 ? 100 * profile[best].ms / total : 0);
    profile[best].calls = -profile[best].calls;
  }
  for (int i = 0; i < PROFILE_SLOTS && profile[i].where[0]; i++)
    profile[i].calls = -profile[i].calls;
  pthread_mutex_unlock(&state_lock);
}

void lt_cuda_done(const char *where) {
  lt_cuda_note(cudaGetLastError(), where);
  lt_cuda_note(cudaStreamSynchronize(lt_cuda_stream), where);
  if (profile_on < 0) {
    const char *e = getenv("LT_CUDA_PROFILE");
    profile_on = e && strcmp(e, "1") == 0;
  }
  if (profile_on) profile_add(where);
}

extern "C" int lt_cuda_take_oom(void) {
  pthread_mutex_lock(&state_lock);
  int r = oom_seen;
  oom_seen = 0;
  pthread_mutex_unlock(&state_lock);
  return r;
}

extern "C" int lt_cuda_take_error(lt_error *err) {
  pthread_mutex_lock(&state_lock);
  int r = sticky_set;
  if (r) lt_error_set(err, "%s", sticky);
  sticky_set = 0;
  oom_seen = 0;
  pthread_mutex_unlock(&state_lock);
  return r ? -1 : 0;
}

/* ---- memory of the backend table ---- */

static void *cu_alloc(size_t bytes) {
  pthread_once(&probe_once, probe_run);
  if (bytes == 0 || probe_rc != 0) return NULL;
  size_t total = bytes + HEADER;
  if (total < bytes) return NULL;
  pthread_mutex_lock(&state_lock);
  int over = live + total > budget;
  if (!over) live += total;
  pthread_mutex_unlock(&state_lock);
  if (over) {
    lt_cuda_note_oom("alloc");
    return NULL;
  }
  void *p = NULL;
  cudaError_t e = cudaMallocManaged(&p, total, cudaMemAttachGlobal);
  if (e != cudaSuccess) {
    lt_cuda_note(e, "cudaMallocManaged");
    pthread_mutex_lock(&state_lock);
    live -= total;
    pthread_mutex_unlock(&state_lock);
    return NULL;
  }
  *(size_t *)p = total;
  return (char *)p + HEADER;
}

static void cu_free(void *q) {
  if (!q) return;
  char *p = (char *)q - HEADER;
  cudaStreamSynchronize(lt_cuda_stream);
  pthread_mutex_lock(&state_lock);
  live -= *(size_t *)p;
  pthread_mutex_unlock(&state_lock);
  cudaFree(p);
}

static void cu_copy(void *dst, const void *src, size_t bytes, lt_copy_dir dir) {
  (void)dir; /* managed memory and unified addressing: cudaMemcpyDefault finds the direction */
  if (bytes) lt_cuda_note(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, lt_cuda_stream),
                          "copy");
  lt_cuda_done("copy");
}

static void cu_zero(void *p, size_t bytes) {
  if (bytes) lt_cuda_note(cudaMemsetAsync(p, 0, bytes, lt_cuda_stream), "zero");
  lt_cuda_done("zero");
}

static void cu_sync(void) { lt_cuda_done("sync"); }

/* ---- scratch and staging ---- */

static void *scratch_p[4];
static size_t scratch_n[4];

void *lt_cuda_scratch(int slot, size_t bytes) {
  if (bytes <= scratch_n[slot]) return scratch_p[slot];
  cudaStreamSynchronize(lt_cuda_stream);
  cudaFree(scratch_p[slot]);
  scratch_p[slot] = NULL;
  scratch_n[slot] = 0;
  size_t want = bytes < 4096 ? 4096 : bytes;
  cudaError_t e = cudaMalloc(&scratch_p[slot], want);
  if (e != cudaSuccess) {
    lt_cuda_note(e, "scratch");
    scratch_p[slot] = NULL;
    return NULL;
  }
  scratch_n[slot] = want;
  return scratch_p[slot];
}

static int device_addressable(const void *p) {
  cudaPointerAttributes a;
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged ||
         (a.type == cudaMemoryTypeHost && a.devicePointer == p);
}

const void *lt_cuda_stage_in(const void *p, size_t bytes, int slot) {
  if (!p || device_addressable(p)) return p;
  void *d = lt_cuda_scratch(slot, bytes);
  if (d) lt_cuda_note(cudaMemcpyAsync(d, p, bytes, cudaMemcpyHostToDevice, lt_cuda_stream),
                      "stage in");
  return d;
}

void *lt_cuda_stage_buf(void *p, size_t bytes, int slot) {
  if (!p || device_addressable(p)) return p;
  return lt_cuda_scratch(slot, bytes);
}

void lt_cuda_stage_out(void *p, const void *buf, size_t bytes) {
  if (p == buf || !buf) return;
  lt_cuda_note(cudaMemcpyAsync(p, buf, bytes, cudaMemcpyDeviceToHost, lt_cuda_stream),
               "stage out");
}

/* The memory entries of the table (cuda-table.cu). */
extern "C" void *lt_cuda_alloc(size_t bytes) { return cu_alloc(bytes); }
extern "C" void lt_cuda_free(void *p) { cu_free(p); }
extern "C" void lt_cuda_copy(void *dst, const void *src, size_t bytes, lt_copy_dir dir) {
  cu_copy(dst, src, bytes, dir);
}
extern "C" void lt_cuda_zero(void *p, size_t bytes) { cu_zero(p, bytes); }
extern "C" void lt_cuda_sync(void) { cu_sync(); }
