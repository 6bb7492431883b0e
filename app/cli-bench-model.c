/* app/cli-bench-model.c — bench infer / bench train against PyTorch (cli-bench-model.h). */
#include "cli-bench-model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lt-locale.h"
#include "train/adam.h"
#include "model/model.h"
#include "model/weights.h"

#define PEAK_GFLOPS 445.0

static double ms_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double med(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double load1(void) {
  double l = -1;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &l) != 1)
      l = -1;
    fclose(f);
  }
  return l;
}

/* PyTorch's median for key ("infer_ms" / "train_ms") with these weights, or -1. */
static double torch_ms(const lt_model_config *c, const lt_param_table *t, const float *params,
                       int runs, const char *key, char *fmt, size_t fmt_n) {
  const char *src = getenv("LT_SOURCE_ROOT");
  char script[1024];
  snprintf(script, sizeof script, "%s/tests/reference/bench_model.py", src ? src : ".");
  FILE *probe = fopen(script, "r");
  if (!probe) {
    printf("torch: skipped (%s not found; set LT_SOURCE_ROOT to the source tree)\n", script);
    return -1;
  }
  fclose(probe);
  char dir[] = "/tmp/lt-bench-model-XXXXXX", wpath[128], cmd[2048], line[1024] = "";
  if (!mkdtemp(dir))
    return -1;
  snprintf(wpath, sizeof wpath, "%s/w.safetensors", dir);
  lt_error err;
  if (lt_weights_save(wpath, c, t, params, NULL, NULL, &err)) {
    printf("torch: skipped (%s)\n", err.msg);
    remove(dir);
    return -1;
  }
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %d 2 2>/dev/null", script, wpath, runs);
  FILE *p = popen(cmd, "r");
  if (!p || !fgets(line, sizeof line, p))
    line[0] = 0;
  if (p)
    pclose(p);
  remove(wpath);
  remove(dir);
  const char *q = strstr(line, key);
  double v = q && (q = strchr(q, ':')) ? lt_strtod(q + 1, NULL) : -1;
  char fkey[32];
  snprintf(fkey, sizeof fkey, "%.*s_format", (int)(strlen(key) - 3), key);
  snprintf(fmt, fmt_n, "?");
  const char *f = strstr(line, fkey);
  if (f && (f = strchr(f + strlen(fkey) + 1, '"'))) {
    const char *e = strchr(f + 1, '"');
    if (e && (size_t)(e - f - 1) < fmt_n)
      snprintf(fmt, fmt_n, "%.*s", (int)(e - f - 1), f + 1);
  }
  if (v <= 0)
    printf("torch: no result (/usr/bin/python3 with torch missing?)\n");
  return v;
}

static int bench(int runs, int argc, char **argv, int train) {
  const char *name = train ? "train" : "infer";
  if (argc > 3)
    return lt_cli_usage_error("bench", "%s takes at most a PRESET and a SIDE", name);
  const char *preset = argc > 1 ? argv[1] : "default";
  int side = 0;
  if (argc > 2 && !lt_cli_parse_side(argv[2], &side))
    return lt_cli_usage_error("bench", "SIDE divides the 64^3 patch (8, 16, 32, 64)");
  if (runs < 3)
    runs = 10;
  lt_error err = {{0}};
  lt_model_config c;
  if (lt_model_config_preset(&c, preset, &err))
    return lt_cli_fail(&err);
  if (side) { /* the shipped model's 32^3, as train --side sets it */
    c.input_size = side;
    if (lt_model_config_validate(&c, &err))
      return lt_cli_fail(&err);
  }
  const lt_backend *be = lt_backend_get("cpu", &err);
  lt_model *m = NULL;
  if (!be || lt_model_create(&m, &c, be, 1, train, &err))
    return lt_cli_fail(&err);
  const lt_param_table *t = lt_model_table(m);
  lt_param_init(t, lt_model_params(m), 1);
  float *saved = malloc(t->total * sizeof *saved);
  const int S = c.input_size, F = lt_model_config_fusion_side(&c);
  const size_t S3 = (size_t)S * S * S;
  float *x = malloc(S3 * (size_t)c.in_channels * sizeof *x);
  float *cam = malloc((size_t)lt_model_cam_cells(m) * sizeof *cam), *up = malloc(S3 * sizeof *up);
  double *tm = malloc((size_t)runs * sizeof *tm);
  lt_adam adam;
  memset(&adam, 0, sizeof adam);
  int rc = LT_EXIT_INPUT;
  if (!saved || !x || !cam || !up || !tm) {
    lt_error_set(&err, "out of memory");
    goto out;
  }
  memcpy(saved, lt_model_params(m), t->total * sizeof *saved);
  lt_rng r;
  lt_rng_seed(&r, 0);
  for (size_t i = 0; i < S3 * (size_t)c.in_channels; i++)
    x[i] = (float)lt_rng_uniform(&r);
  if (train && lt_adam_init(&adam, t->total, c.lr, &err))
    goto out;
  lt_sample_labels L;
  memset(&L, 0, sizeof L);
  L.sure = true;
  L.has_label = true;
  L.label = 1;
  lt_loss_terms terms;
  memset(&terms, 0, sizeof terms);
  for (int k = -1; k < runs; k++) {
    const double t0 = ms_now();
    lt_model_forward(m, x, 1);
    if (train) {
      if (lt_model_backward(m, &L, &terms, &err))
        goto out;
      lt_adam_step(&adam, lt_model_params(m), lt_model_grads(m));
    } else {
      lt_model_cam(m, 0, cam);
      lt_cam_upsample(up, S, cam, F);
    }
    if (k >= 0)
      tm[k] = ms_now() - t0;
  }
  const double gf = (train ? 3 : 1) * lt_model_forward_flops(m) / 1e9, ours = med(tm, runs);
  printf("bench %s: model %s (w = %d, %d^3), %d runs, %s threads, load average %.1f\n", name,
         preset, c.width, S, runs,
         getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "default", load1());
  printf("ours  %-34s median %8.1f ms  %6.1f GFLOP/s  %4.1f%% of the 2-core peak%s%s\n",
         train ? "train step (joint loss + debug)" : "infer (forward + Grad-CAM)", ours,
         gf / ours * 1e3, 100 * gf / ours * 1e3 / PEAK_GFLOPS, train ? ", debug term " : "",
         !train                  ? ""
         : terms.n_debug_applied ? "applied"
         : terms.n_debug_zero    ? "hinge zero"
                                 : "skipped");
  char fmt[32];
  const double peer =
      torch_ms(&c, t, saved, runs, train ? "train_ms" : "infer_ms", fmt, sizeof fmt);
  if (peer > 0)
    printf("torch %-34s median %8.1f ms  (%s, 2 threads)  ratio torch/ours %.2f\n",
           train ? "train step (joint loss + debug)" : "infer (forward + Grad-CAM)", peer, fmt,
           peer / ours);
  rc = LT_EXIT_OK;
out:
  if (rc != LT_EXIT_OK)
    lt_cli_fail(&err);
  if (train)
    lt_adam_free(&adam);
  free(saved), free(x), free(cam), free(up), free(tm);
  lt_model_free(m);
  return rc;
}

int lt_bench_infer(int runs, int argc, char **argv) { return bench(runs, argc, argv, 0); }
int lt_bench_train(int runs, int argc, char **argv) { return bench(runs, argc, argv, 1); }
