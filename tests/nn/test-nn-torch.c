/* tests/nn/test-nn-torch.c — PyTorch (Debian python3-torch) as an outside reference for each
 * layer of the cpu backend, layouts included: our NDHWC activations and canonical weights
 * (conv OIDHW, transposed conv IODHW, FC (out, in)) must mean what torch.nn.functional means.
 * Writes inputs, outputs and gradients of the loss sum(y * dy) to a temporary folder and runs
 * tests/nn/torch_layers.py with /usr/bin/python3, which recomputes them in float64 with autograd
 * (tolerance: normalised error <= 1e-5). Skips (77) without /usr/bin/python3 or torch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt-test.h"
#include "nn-test-util.h"
#include "nn/backend.h"

static char dir[1024];
static FILE *manifest;
static nn_rng rng = {2024};
static const lt_backend *be;

static void put(const char *tag, const char *what, const float *a, size_t n) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s_%s.bin", dir, tag, what);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(a, sizeof(float), n, f) != n) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fclose(f);
}

static float *rnd(size_t n, double lo, double hi) {
  float *a = nn_f32(n);
  nn_fill_f32(&rng, a, n, lo, hi);
  return a;
}

static void conv_case(const char *tag, lt_conv_kind kind, int n, int ci, int co, int d, int h,
                      int w, int k, int s) {
  lt_conv_desc desc = lt_conv_desc_make(kind, n, ci, co, d, h, w, k, s);
  lt_conv *c;
  lt_error err;
  if (be->conv_create(&c, &desc, &err) != 0) {
    fprintf(stderr, "%s: %s\n", tag, err.msg);
    exit(1);
  }
  size_t nx = lt_shape_count(lt_conv_in_shape(&desc)), ny = lt_shape_count(lt_conv_out_shape(&desc)),
         nw = lt_conv_weight_count(&desc);
  float *x = rnd(nx, -1, 1), *wt = rnd(nw, -0.3, 0.3), *b = rnd((size_t)co, -0.5, 0.5),
        *dy = rnd(ny, -1, 1);
  float *y = nn_f32(ny), *dx = nn_f32(nx), *dw = nn_f32(nw), *db = nn_f32((size_t)co);
  be->conv_forward(c, y, x, wt, b);
  be->conv_backward_data(c, dx, dy, wt);
  be->conv_backward_weights(c, dw, db, dy, x);
  put(tag, "x", x, nx), put(tag, "w", wt, nw), put(tag, "b", b, (size_t)co);
  put(tag, "dy", dy, ny), put(tag, "y", y, ny), put(tag, "dx", dx, nx);
  put(tag, "dw", dw, nw), put(tag, "db", db, (size_t)co);
  fprintf(manifest, "%s %s %d %d %d %d %d %d %d %d\n", kind == LT_CONV ? "conv" : "tconv", tag, n,
          ci, co, d, h, w, k, s);
  free(x), free(wt), free(b), free(dy), free(y), free(dx), free(dw), free(db);
  be->conv_destroy(c);
}

static void gn_case(const char *tag, int n, int c, int g, int d, int h, int w) {
  int sp = d * h * w;
  size_t cnt = (size_t)n * sp * c;
  float *x = rnd(cnt, -2, 3), *gamma = rnd((size_t)c, 0.5, 1.5), *beta = rnd((size_t)c, -0.5, 0.5),
        *dy = rnd(cnt, -1, 1);
  float *y = nn_f32(cnt), *mean = nn_f32((size_t)n * g), *rstd = nn_f32((size_t)n * g),
        *dx = nn_f32(cnt), *dg = nn_f32((size_t)c), *dbt = nn_f32((size_t)c);
  be->gn_relu_forward(y, mean, rstd, x, gamma, beta, n, sp, c, g);
  be->gn_relu_backward(dx, dg, dbt, dy, y, x, mean, rstd, gamma, n, sp, c, g);
  put(tag, "x", x, cnt), put(tag, "gamma", gamma, (size_t)c), put(tag, "beta", beta, (size_t)c);
  put(tag, "dy", dy, cnt), put(tag, "y", y, cnt), put(tag, "dx", dx, cnt);
  put(tag, "dgamma", dg, (size_t)c), put(tag, "dbeta", dbt, (size_t)c);
  fprintf(manifest, "gn %s %d %d %d %d %d %d\n", tag, n, c, g, d, h, w);
  free(x), free(gamma), free(beta), free(dy), free(y), free(mean), free(rstd), free(dx), free(dg);
  free(dbt);
}

static void fc_case(const char *tag, int n, int in, int out) {
  size_t nx = (size_t)n * in, ny = (size_t)n * out, nw = (size_t)in * out;
  float *x = rnd(nx, -1, 1), *w = rnd(nw, -0.2, 0.2), *b = rnd((size_t)out, -0.2, 0.2),
        *dy = rnd(ny, -1, 1);
  float *y = nn_f32(ny), *dx = nn_f32(nx), *dw = nn_f32(nw), *db = nn_f32((size_t)out);
  be->fc_forward(y, x, w, b, n, in, out);
  be->fc_backward(dx, dw, db, dy, x, w, n, in, out);
  put(tag, "x", x, nx), put(tag, "w", w, nw), put(tag, "b", b, (size_t)out), put(tag, "dy", dy, ny);
  put(tag, "y", y, ny), put(tag, "dx", dx, nx), put(tag, "dw", dw, nw), put(tag, "db", db, (size_t)out);
  fprintf(manifest, "fc %s %d %d %d\n", tag, n, in, out);
  free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db);
}

static void pool_cases(void) {
  int n = 2, c = 1, d = 16, h = 8, w = 12, k = 4;
  size_t ni = (size_t)n * d * h * w * c, no = ni / 64;
  float *x = rnd(ni, 0, 1), *dy = rnd(no, -1, 1), *y = nn_f32(no), *dx = nn_f32(ni);
  be->avg_pool_forward(y, x, n, d, h, w, c, k);
  be->avg_pool_backward(dx, dy, n, d, h, w, c, k);
  put("avgpool4", "x", x, ni), put("avgpool4", "dy", dy, no), put("avgpool4", "y", y, no);
  put("avgpool4", "dx", dx, ni);
  fprintf(manifest, "avgpool avgpool4 %d %d %d %d %d %d\n", n, c, d, h, w, k);
  free(x), free(dy), free(y), free(dx);

  c = 32, d = 4, h = 5, w = 3;
  int sp = d * h * w;
  size_t cnt = (size_t)n * sp * c;
  x = rnd(cnt, -1, 1), dy = rnd((size_t)n * c, -1, 1), y = nn_f32((size_t)n * c), dx = nn_f32(cnt);
  be->global_avg_pool_forward(y, x, n, sp, c);
  be->global_avg_pool_backward(dx, dy, n, sp, c);
  put("gap", "x", x, cnt), put("gap", "dy", dy, (size_t)n * c), put("gap", "y", y, (size_t)n * c);
  put("gap", "dx", dx, cnt);
  fprintf(manifest, "gap gap %d %d %d %d %d\n", n, c, d, h, w);
  free(x), free(dy), free(y), free(dx);

  size_t m = 200;
  x = rnd(m, -10, 10), dy = rnd(m, -1, 1), y = nn_f32(m), dx = nn_f32(m);
  be->sigmoid_forward(y, x, m);
  be->sigmoid_backward(dx, dy, y, m);
  put("sigmoid", "x", x, m), put("sigmoid", "dy", dy, m), put("sigmoid", "y", y, m);
  put("sigmoid", "dx", dx, m);
  fprintf(manifest, "sigmoid sigmoid %zu\n", m);
  free(x), free(dy), free(y), free(dx);
}

int main(void) {
  if (access("/usr/bin/python3", X_OK) != 0) {
    printf("skip: /usr/bin/python3 (with torch) not found\n");
    return LT_TEST_SKIP;
  }
  const char *src = getenv("LT_SOURCE_ROOT");
  if (!src) src = ".";
  lt_error err;
  be = lt_backend_get("cpu", &err);
  if (!be || !lt_test_tmpdir(dir, sizeof dir)) {
    fprintf(stderr, "set-up failed\n");
    return 1;
  }
  char path[1200];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  manifest = fopen(path, "w");
  if (!manifest) return 1;
  conv_case("conv3_s1", LT_CONV, 2, 3, 4, 5, 6, 4, 3, 1);
  conv_case("conv3_s2", LT_CONV, 2, 16, 32, 9, 8, 7, 3, 2);
  conv_case("conv3_s2_even", LT_CONV, 1, 32, 64, 8, 8, 8, 3, 2);
  conv_case("conv1", LT_CONV, 2, 129, 8, 4, 3, 5, 1, 1);
  conv_case("tconv2", LT_CONV_TRANSPOSED, 2, 32, 16, 3, 4, 2, 2, 2);
  gn_case("gn_relu", 2, 16, 8, 4, 5, 3);
  gn_case("gn_relu_128", 1, 128, 8, 3, 3, 4);
  fc_case("fc", 2, 128, 6);
  pool_cases();
  fclose(manifest);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/nn/torch_layers.py' '%s'", src, dir);
  int rc = system(cmd);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  if (rc == -1 || !WIFEXITED(rc)) return 1;
  rc = WEXITSTATUS(rc);
  printf("%s\n", rc == 0 ? "every layer agrees with torch" : rc == 77 ? "skipped" : "FAILED");
  return rc == 0 ? 0 : rc == 77 ? LT_TEST_SKIP : 1;
}
