/* tests/bench/bench-model.c — the whole model on the cpu backend against PyTorch on the CPU in
 * the same run, same architecture and weights (tests/reference/bench_model.py, the faster of
 * contiguous and channels_last_3d), same thread count (2):
 *   infer: forward + Grad-CAM, batch 1, default architecture (w = 16, 64^3)
 *   train: forward, joint loss with the Grad-CAM debug term, backward, Adam step, batch 1
 * Prints medians, the ratio, GFLOP/s and the share of the two cores' peak (445 GFLOP/s), and
 * the 1-minute load average (this machine is shared).
 * Usage: bench-model [--runs N] [--no-torch] [--preset NAME]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/adam.h"
#include "model/model.h"
#include "model/weights.h"

#define PEAK_GFLOPS 445.0

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static double loadavg(void) {
  double l = -1;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &l) != 1) l = -1;
    fclose(f);
  }
  return l;
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

static void json_str(const char *js, const char *key, char *out, size_t n) {
  snprintf(out, n, "?");
  const char *p = strstr(js, key);
  if (!p || !(p = strchr(p, ':')) || !(p = strchr(p, '"'))) return;
  const char *e = strchr(p + 1, '"');
  if (e && (size_t)(e - p - 1) < n) snprintf(out, n, "%.*s", (int)(e - p - 1), p + 1);
}

int main(int argc, char **argv) {
  int runs = 10, torch = 1;
  const char *preset = "default";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--no-torch")) torch = 0;
    else if (!strcmp(argv[i], "--preset") && i + 1 < argc) preset = argv[++i];
    else {
      fprintf(stderr, "usage: bench-model [--runs N] [--no-torch] [--preset NAME]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 1000) runs = 10;
  setenv("OMP_NUM_THREADS", "2", 0);
  lt_error err;
  lt_model_config c;
  if (lt_model_config_preset(&c, preset, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const lt_backend *be = lt_backend_get("cpu", &err);
  lt_model *mi, *mt;
  if (!be || lt_model_create(&mi, &c, be, 1, false, &err) || lt_model_create(&mt, &c, be, 1, true, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const lt_param_table *t = lt_model_table(mi);
  lt_param_init(t, lt_model_params(mi), 1);
  memcpy(lt_model_params(mt), lt_model_params(mi), t->total * sizeof(float));
  const int S = c.input_size;
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc(S3 * (size_t)c.in_channels * sizeof *x);
  float *cam = malloc((size_t)lt_model_cam_cells(mi) * sizeof *cam);
  float *cam_up = malloc(S3 * sizeof *cam_up);
  lt_rng r;
  lt_rng_seed(&r, 0);
  for (size_t i = 0; i < S3 * (size_t)c.in_channels; i++) x[i] = (float)lt_rng_uniform(&r);
  double *ti = malloc((size_t)runs * sizeof *ti), *tt = malloc((size_t)runs * sizeof *tt);
  const int F = lt_model_config_fusion_side(&c);
  for (int k = -1; k < runs; k++) {
    double t0 = now_ms();
    lt_model_forward(mi, x, 1);
    lt_model_cam(mi, 0, cam);
    lt_cam_upsample(cam_up, S, cam, F);
    if (k >= 0) ti[k] = now_ms() - t0;
  }
  lt_adam adam;
  if (lt_adam_init(&adam, t->total, c.lr, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  lt_sample_labels L;
  memset(&L, 0, sizeof L);
  L.sure = true;
  L.has_label = true;
  L.label = 1;
  lt_loss_terms terms;
  for (int k = -1; k < runs; k++) {
    double t0 = now_ms();
    lt_model_forward(mt, x, 1);
    if (lt_model_backward(mt, &L, &terms, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    lt_adam_step(&adam, lt_model_params(mt), lt_model_grads(mt));
    if (k >= 0) tt[k] = now_ms() - t0;
  }
  const double gf = lt_model_forward_flops(mi) / 1e9;
  const double mi_ms = median(ti, runs), mt_ms = median(tt, runs);
  printf("model %s (w = %d, %d^3): %.2f GFLOP forward, %d runs, load average %.1f\n", preset,
         c.width, S, gf, runs, loadavg());
  printf("ours  infer (forward + Grad-CAM)     median %8.1f ms  %6.1f GFLOP/s  %4.1f%% of peak\n",
         mi_ms, gf / mi_ms * 1e3, 100 * gf / mi_ms * 1e3 / PEAK_GFLOPS);
  printf("ours  train step (joint + debug)     median %8.1f ms  %6.1f GFLOP/s  %4.1f%% of peak "
         "(debug term %s)\n", mt_ms, 3 * gf / mt_ms * 1e3, 100 * 3 * gf / mt_ms * 1e3 / PEAK_GFLOPS,
         terms.n_debug_applied ? "applied" : terms.n_debug_zero ? "hinge zero" : "skipped");
  int rc = 0;
  if (torch) {
    char dir[] = "/tmp/lt-bench-model-XXXXXX", wpath[128], cmd[1024], line[1024] = "";
    const char *src = getenv("LT_SOURCE_ROOT");
    if (!mkdtemp(dir) || !src) {
      printf("torch: skipped (no temporary directory or LT_SOURCE_ROOT)\n");
      goto done;
    }
    snprintf(wpath, sizeof wpath, "%s/w.safetensors", dir);
    if (lt_weights_save(wpath, &c, t, lt_model_params(mi), NULL, NULL, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/reference/bench_model.py %s %d 2", src,
             wpath, runs);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p)) line[0] = 0;
    if (p) pclose(p);
    remove(wpath);
    remove(dir);
    double pi = json_num(line, "infer_ms"), pt = json_num(line, "train_ms");
    if (pi <= 0 || pt <= 0) {
      printf("torch: no result (python3 with torch missing?)\n");
      goto done;
    }
    char fi[32], ft[32];
    json_str(line, "infer_format", fi, sizeof fi);
    json_str(line, "train_format", ft, sizeof ft);
    printf("torch infer (forward + Grad-CAM)     median %8.1f ms  (%s)  ours %.2fx faster\n", pi, fi,
           pi / mi_ms);
    printf("torch train step (joint + debug)     median %8.1f ms  (%s)  ours %.2fx faster\n", pt, ft,
           pt / mt_ms);
  }
done:
  lt_adam_free(&adam);
  free(x);
  free(cam);
  free(cam_up);
  free(ti);
  free(tt);
  lt_model_free(mi);
  lt_model_free(mt);
  return rc;
}
