/* tests/bench/bench-cuda.c — the whole model on the cuda backend against PyTorch on the same
 * GPU in the same run (tests/bench/bench_cuda_torch.py: same architecture and weights, float32,
 * TF32 off on both sides), default architecture (w = 16, 64^3):
 *   infer 1: forward + Grad-CAM of one nodule (target: <= 2 ms on an H100)
 *   infer B: the same for a batch of B nodules, per nodule
 *   train:   forward, BCE + the Grad-CAM debug term, backward, Adam step (the cuda kernel)
 *            with B sure samples: samples per second
 * Prints medians and the ratios against PyTorch. Exits 77 with the reason where the cuda backend
 * is not built or no GPU answers.
 * LT_CUDA_PROFILE=1 adds where the time of batched inference and of training goes.
 * Usage: bench-cuda [--runs N] [--batch B] [--no-torch]. LT_PYTHON names the interpreter that
 * has torch with CUDA (default /usr/bin/python3, Debian's; a GPU machine's may be elsewhere). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "model/weights.h"
#include "nn/backend-select.h"
#ifdef LT_HAVE_CUDA
#include "model/cuda-model.h"
#include "nn/cuda/cuda-backend.h"
#endif

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double json_num(const char *js, const char *key) {
  const char *p = strstr(js, key);
  if (!p) return -1;
  p = strchr(p, ':');
  return p ? atof(p + 1) : -1;
}

/* Median ms of forward + Grad-CAM of every sample of model m over runs (after one warm-up). */
static double time_infer(lt_model *m, const float *x, int n, int runs, float *cam) {
  double *t = malloc((size_t)runs * sizeof *t), med;
  for (int k = -1; k < runs; k++) {
    double t0 = now_ms();
    lt_model_forward(m, x, n);
    for (int i = 0; i < n; i++) lt_model_cam(m, i, cam);
    if (k >= 0) t[k] = now_ms() - t0;
  }
  med = median(t, runs);
  free(t);
  return med;
}

int main(int argc, char **argv) {
  int runs = 20, batch = 16, torch = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--no-torch")) torch = 0;
    else {
      fprintf(stderr, "usage: bench-cuda [--runs N] [--batch B] [--no-torch]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 1000) runs = 20;
  if (batch < 1 || batch > 256) batch = 16;
  lt_error err = {{0}};
  if (!lt_engine_cuda_built()) {
    printf("SKIP: the cuda backend is not built into this program (meson option cuda)\n");
    return 77;
  }
  const lt_backend *be = lt_backend_select("cuda", &err);
  if (!be) {
    printf("SKIP: no GPU: %s\n", err.msg);
    return 77;
  }
  char info[256];
  be->probe(info, sizeof info, &err);
  lt_model_config c;
  lt_model_config_default(&c);
  lt_model *m1, *mb, *mt;
  if (lt_model_create(&m1, &c, be, 1, false, &err) ||
      lt_model_create(&mb, &c, be, batch, false, &err) ||
      lt_model_create(&mt, &c, be, batch, true, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const lt_param_table *t = lt_model_table(m1);
  float *P = calloc(t->total, sizeof *P);
  lt_param_init(t, P, 1);
  be->copy(lt_model_params(m1), P, t->total * sizeof *P, LT_COPY_HOST_TO_DEVICE);
  be->copy(lt_model_params(mb), P, t->total * sizeof *P, LT_COPY_HOST_TO_DEVICE);
  be->copy(lt_model_params(mt), P, t->total * sizeof *P, LT_COPY_HOST_TO_DEVICE);
  const int S = c.input_size;
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc((size_t)batch * S3 * (size_t)c.in_channels * sizeof *x);
  float *cam = malloc((size_t)lt_model_cam_cells(m1) * sizeof *cam);
  lt_rng r;
  lt_rng_seed(&r, 0);
  for (size_t i = 0; i < (size_t)batch * S3 * (size_t)c.in_channels; i++)
    x[i] = (float)lt_rng_uniform(&r);
  double i1 = time_infer(m1, x, 1, runs, cam);
#ifdef LT_HAVE_CUDA
  lt_cuda_profile_reset();
#endif
  double ib = time_infer(mb, x, batch, runs, cam) / batch;
#ifdef LT_HAVE_CUDA
  lt_cuda_profile_report(stdout, "inference, batch");
#endif
  float *mv = be->alloc(2 * t->total * sizeof(float));
  if (!mv) {
    fprintf(stderr, "out of GPU memory for the Adam moments\n");
    return 1;
  }
  be->zero(mv, 2 * t->total * sizeof(float));
  lt_sample_labels *L = calloc((size_t)batch, sizeof *L);
  for (int i = 0; i < batch; i++) L[i].sure = L[i].has_label = true, L[i].label = 1;
  double *tt = malloc((size_t)runs * sizeof *tt);
  lt_loss_terms terms;
#ifdef LT_HAVE_CUDA
  lt_cuda_profile_reset();
#endif
  for (int k = -1; k < runs; k++) {
    double t0 = now_ms();
    lt_model_forward(mt, x, batch);
    if (lt_model_backward(mt, L, &terms, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
#ifdef LT_HAVE_CUDA
    lt_cuda_adam_step(lt_model_params(mt), mv, mv + t->total, lt_model_grads(mt), t->total, c.lr,
                      0.9, 0.999, 1e-8, k + 2);
#endif
    if (k >= 0) tt[k] = now_ms() - t0;
  }
  double tr = median(tt, runs);
#ifdef LT_HAVE_CUDA
  lt_cuda_profile_report(stdout, "training steps");
  if (lt_cuda_take_error(&err)) {
    fprintf(stderr, "CUDA error during the benchmark: %s\n", err.msg);
    return 1;
  }
#endif
  printf("cuda: %s; default model, %d runs, batch %d\n", info, runs, batch);
  printf("ours  infer 1 nodule (forward + Grad-CAM)  median %8.3f ms  (target <= 2 ms on H100)\n",
         i1);
  printf("ours  infer batch %d, per nodule          median %8.3f ms\n", batch, ib);
  printf("ours  train step batch %d                 median %8.2f ms  %8.1f samples/s\n", batch,
         tr, batch / tr * 1e3);
  if (torch) {
    char dir[] = "/tmp/lt-bench-cuda-XXXXXX", wpath[128], cmd[1024], line[2048] = "";
    const char *src = getenv("LT_SOURCE_ROOT"), *py = getenv("LT_PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    if (!mkdtemp(dir) || !src) {
      printf("torch: skipped (no temporary directory or LT_SOURCE_ROOT)\n");
      goto done;
    }
    snprintf(wpath, sizeof wpath, "%s/w.safetensors", dir);
    if (lt_weights_save(wpath, &c, t, P, NULL, NULL, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    snprintf(cmd, sizeof cmd, "%s %s/tests/bench/bench_cuda_torch.py %s %d %d", py, src, wpath,
             runs, batch);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p)) line[0] = 0;
    if (p) pclose(p);
    remove(wpath);
    remove(dir);
    double p1 = json_num(line, "\"infer1_ms\""), pb = json_num(line, "\"inferB_ms\"");
    double pt = json_num(line, "\"train_ms\"");
    if (p1 <= 0 || pb <= 0 || pt <= 0) {
      printf("torch: no result: %s\n", line[0] ? line : "(python3 with torch missing?)");
      goto done;
    }
    printf("torch infer 1 nodule                       median %8.3f ms  ours %.2fx faster\n", p1,
           p1 / i1);
    printf("torch infer batch %d, per nodule          median %8.3f ms  ours %.2fx faster\n",
           batch, pb / batch, pb / batch / ib);
    printf("torch train step batch %d                 median %8.2f ms  %8.1f samples/s  ours "
           "%.2fx faster\n", batch, pt, batch / pt * 1e3, pt / tr);
  }
done:
  be->free(mv);
  free(P), free(x), free(cam), free(tt), free(L);
  lt_model_free(m1);
  lt_model_free(mb);
  lt_model_free(mt);
  return 0;
}
