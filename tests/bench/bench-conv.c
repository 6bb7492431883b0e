/* tests/bench/bench-conv.c — GFLOP/s of every convolution of the default model (w = 16, batch 1)
 * on the cpu backend (oneDNN), forward, backward-data and backward-weights, medians of REPS
 * runs, as a share of the two cores' peak (445 GFLOP/s: 2 cores x 2 AVX-512 FMA units x 16
 * floats x 2 flops x ~3.5 GHz), and against PyTorch on the CPU with the same thread count in
 * the same run (tests/bench/bench_conv_torch.py, the faster of channels_last_3d and contiguous
 * per pass). Our times include the weight reorders each call does.
 * Usage: bench-conv [--reps N] [--torch-reps N] [--no-torch]. On a shared machine the best
 * run approximates the uncontended speed; the medians are what a user sees at that load. Threads: OMP_NUM_THREADS (the bench sets 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nn-shapes.h"
#include "nn/backend.h"

#define PEAK_GFLOPS 445.0

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* The 1-minute load average: this machine is shared, so the bench says how busy it was. */
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

static float *buf(size_t n, float v) {
  float *p = lt_backend_cpu.alloc(n * sizeof(float));
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < n; i++) p[i] = v * (float)((i * 2654435761u) % 1000) / 1000.0f;
  return p;
}

int main(int argc, char **argv) {
  int reps = 7, torch = 1, torch_reps = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--torch-reps") == 0 && i + 1 < argc)
      torch_reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-torch") == 0)
      torch = 0;
    else {
      fprintf(stderr, "usage: bench-conv [--reps N] [--torch-reps N] [--no-torch]\n");
      return 2;
    }
  }
  if (reps < 1 || reps > 1000) reps = 7;
  if (torch_reps < 1 || torch_reps > 1000) torch_reps = reps;
  setenv("OMP_NUM_THREADS", getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "2", 1);
  int threads = atoi(getenv("OMP_NUM_THREADS"));
  const lt_backend *be = &lt_backend_cpu;
  char info[256];
  lt_error err;
  if (be->probe(info, sizeof info, &err) != 0) {
    fprintf(stderr, "cpu backend: %s\n", err.msg);
    return 1;
  }
  printf("bench-conv: %s, %d threads, batch 1, median of %d runs (PyTorch %d); peak %.0f "
         "GFLOP/s; load average %.2f\n", info, threads, reps, torch_reps, PEAK_GFLOPS, loadavg());

  /* [shape][pass][0: median, 1: best] in ms; ours and PyTorch's measured shape by shape,
   * alternating, so both see the same load */
  double ours[NN_MODEL_CONV_COUNT][3][2], theirs[NN_MODEL_CONV_COUNT][3][2];
  double flops[NN_MODEL_CONV_COUNT];
  char impl[NN_MODEL_CONV_COUNT][3][64], fmt[NN_MODEL_CONV_COUNT][16];
  int have_torch = torch && access("/usr/bin/python3", X_OK) == 0;
  memset(theirs, 0, sizeof theirs);
  for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
    const nn_model_conv *m = &nn_model_convs[i];
    lt_conv_desc d = lt_conv_desc_make(m->kind, 1, m->c_in, m->c_out, m->size, m->size, m->size,
                                       m->k, m->stride);
    lt_conv *c;
    if (be->conv_create(&c, &d, &err) != 0) {
      fprintf(stderr, "%s: %s\n", m->name, err.msg);
      return 1;
    }
    size_t nx = lt_shape_count(lt_conv_in_shape(&d)), ny = lt_shape_count(lt_conv_out_shape(&d)),
           nw = lt_conv_weight_count(&d);
    float *x = buf(nx, 1), *y = buf(ny, 0), *w = buf(nw, 0.01f), *b = buf((size_t)m->c_out, 0.1f),
          *dy = buf(ny, 1), *dx = buf(nx, 0), *dw = buf(nw, 0), *db = buf((size_t)m->c_out, 0);
    flops[i] = lt_conv_flops(&d);
    double t[1000];
    for (int p = 0; p < 3; p++) {
      snprintf(impl[i][p], sizeof impl[i][p], "%s", be->conv_impl(c, (lt_conv_pass)p));
      for (int r = -1; r < reps; r++) {
        double t0 = now_ms();
        if (p == 0) be->conv_forward(c, y, x, w, b);
        if (p == 1) be->conv_backward_data(c, dx, dy, w);
        if (p == 2) be->conv_backward_weights(c, dw, db, dy, x);
        double dt = now_ms() - t0;
        if (r >= 0) t[r] = dt;
      }
      ours[i][p][0] = median(t, reps);
      ours[i][p][1] = t[0]; /* sorted by median() */
    }
    be->free(x), be->free(y), be->free(w), be->free(b), be->free(dy), be->free(dx);
    be->free(dw), be->free(db);
    be->conv_destroy(c);

    snprintf(fmt[i], sizeof fmt[i], "-");
    if (m->repeat) { /* PyTorch's time of the shape it repeats */
      for (int j = 0; j < i; j++)
        if (nn_model_convs[j].kind == m->kind && nn_model_convs[j].c_in == m->c_in &&
            nn_model_convs[j].c_out == m->c_out && nn_model_convs[j].size == m->size &&
            nn_model_convs[j].stride == m->stride && nn_model_convs[j].k == m->k) {
          memcpy(theirs[i], theirs[j], sizeof theirs[i]);
          memcpy(fmt[i], fmt[j], sizeof fmt[i]);
        }
      continue;
    }
    if (!have_torch) continue;
    const char *src = getenv("LT_SOURCE_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "echo '%d %s %d %d %d %d %d' | /usr/bin/python3 '%s/tests/bench/bench_conv_torch.py' "
             "%d %d",
             i, m->kind == LT_CONV ? "conv" : "tconv", m->c_in, m->c_out, m->size, m->k, m->stride,
             src ? src : ".", threads, torch_reps);
    FILE *pp = popen(cmd, "r");
    char line[256];
    int got = 0;
    while (pp && fgets(line, sizeof line, pp)) {
      int k;
      double v[6];
      char f[16];
      if (sscanf(line, "%d %lf %lf %lf %lf %lf %lf %15s", &k, &v[0], &v[1], &v[2], &v[3], &v[4],
                 &v[5], f) == 8 && k == i) {
        for (int p = 0; p < 3; p++) theirs[i][p][0] = v[p], theirs[i][p][1] = v[3 + p];
        snprintf(fmt[i], sizeof fmt[i], "%s", f);
        got = 1;
      }
    }
    if (pp) pclose(pp);
    if (!got) {
      printf("(PyTorch did not answer for %s; peer left out)\n", m->name);
      have_torch = 0;
    }
  }

  static const char *pass[3] = {"forward", "backward-data", "backward-weights"};
  for (int p = 0; p < 3; p++) {
    printf("\n%s: ms median (best); GFLOP/s and share of peak from the median%s\n", pass[p],
           have_torch ? "; torch: faster format per pass (cl channels_last_3d, ct contiguous)"
                      : "");
    printf("%-24s %6s %17s %7s %7s", "shape", "GFLOP", "ours ms", "GFLOP/s", "peak");
    if (have_torch) printf(" %19s %11s %5s", "torch ms", "torch/ours", "fmt");
    printf("  kernel\n");
    double tot[2][2] = {{0, 0}, {0, 0}}, tot_flops = 0;
    for (int i = 0; i < NN_MODEL_CONV_COUNT; i++) {
      double g = flops[i] / ours[i][p][0] / 1e6;
      printf("%-24s %6.3f %8.3f (%6.3f) %7.1f %6.1f%%", nn_model_convs[i].name, flops[i] / 1e9,
             ours[i][p][0], ours[i][p][1], g, 100 * g / PEAK_GFLOPS);
      if (have_torch)
        printf(" %9.3f (%7.3f) %9.2fx %5s", theirs[i][p][0], theirs[i][p][1],
               theirs[i][p][0] / ours[i][p][0], fmt[i]);
      printf("  %s\n", impl[i][p]);
      for (int k = 0; k < 2; k++) tot[0][k] += ours[i][p][k], tot[1][k] += theirs[i][p][k];
      tot_flops += flops[i];
    }
    double g = tot_flops / tot[0][0] / 1e6;
    printf("%-24s %6.3f %8.3f (%6.3f) %7.1f %6.1f%%", "model total", tot_flops / 1e9, tot[0][0],
           tot[0][1], g, 100 * g / PEAK_GFLOPS);
    if (have_torch)
      printf(" %9.3f (%7.3f) %9.2fx  (best: %.2fx)", tot[1][0], tot[1][1], tot[1][0] / tot[0][0],
             tot[1][1] / tot[0][1]);
    printf("\n  best-of-runs model total: %.1f GFLOP/s, %.1f%% of peak\n",
           tot_flops / tot[0][1] / 1e6, 100 * tot_flops / tot[0][1] / 1e6 / PEAK_GFLOPS);
  }

  /* GroupNorm+ReLU, the other layer at every stage (plain C + OpenMP), for the model's budget */
  static const int gn_sizes[4] = {64, 32, 16, 8}, gn_widths[4] = {16, 32, 64, 128};
  printf("\nGroupNorm+ReLU (8 groups)   forward ms  backward ms   (median of %d)\n", reps);
  for (int i = 0; i < 4; i++) {
    int sp = gn_sizes[i] * gn_sizes[i] * gn_sizes[i], c = gn_widths[i];
    size_t cnt = (size_t)sp * c;
    float *x = buf(cnt, 1), *y = buf(cnt, 0), *dy = buf(cnt, 1), *dx = buf(cnt, 0);
    float *g = buf((size_t)c, 1), *bt = buf((size_t)c, 0.1f), *dg = buf((size_t)c, 0),
          *dbt = buf((size_t)c, 0), *mean = buf(8, 0), *rstd = buf(8, 0);
    double t[2][1000];
    for (int r = -1; r < reps; r++) {
      double t0 = now_ms();
      be->gn_relu_forward(y, mean, rstd, x, g, bt, 1, sp, c, 8);
      double t1 = now_ms();
      be->gn_relu_backward(dx, dg, dbt, dy, y, x, mean, rstd, g, 1, sp, c, 8);
      double t2 = now_ms();
      if (r >= 0) t[0][r] = t1 - t0, t[1][r] = t2 - t1;
    }
    printf("  %3d^3 x %3d               %9.3f  %11.3f\n", gn_sizes[i], c, median(t[0], reps),
           median(t[1], reps));
    be->free(x), be->free(y), be->free(dy), be->free(dx), be->free(g), be->free(bt);
    be->free(dg), be->free(dbt), be->free(mean), be->free(rstd);
  }
  printf("load average at the end %.2f\n", loadavg());
  return 0;
}
