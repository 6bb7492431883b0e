/* engine/nn/cpu-layers.c — GroupNorm+ReLU, pooling, fully connected and element-wise layers
 * for the cpu backend, in C with OpenMP (see cpu-layers.h). Sums run in double. */
#include "nn/cpu-layers.h"

#include <math.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/ref-kernels.h"

#define GN_MAX_C 2048 /* wider layers fall back to the reference loops */
#define PAR_MIN 32768 /* element-wise loops shorter than this stay on one thread */

/* GroupNorm+ReLU: each thread sums per-channel statistics over a block of voxels in double,
 * the sums are combined per group, and a second pass applies y = max(0, x * a_c + b_c). */
static void gn_any_forward(float *y, float *mean, float *rstd, const float *x,
                           const float *gamma, const float *beta, int n, int spatial, int c,
                           int g, int relu) {
  if (c > GN_MAX_C) {
    (relu ? lt_ref_f32_gn_relu_forward : lt_ref_f32_gn_forward)(y, mean, rstd, x, gamma, beta,
                                                                n, spatial, c, g);
    return;
  }
  int cg = c / g;
  double cnt = (double)spatial * cg;
  const int par = (size_t)spatial * c > PAR_MIN;
  for (int s = 0; s < n; s++) {
    const float *xs = x + (size_t)s * (size_t)spatial * (size_t)c;
    float *ys = y + (size_t)s * (size_t)spatial * (size_t)c;
    /* one pass: per-channel sums of x and x^2 in double (the variance E[x^2] - E[x]^2 loses
     * nothing in double for activations whose mean is not 1e5 times their spread) */
    double sum[GN_MAX_C], sq[GN_MAX_C];
    memset(sum, 0, sizeof(double) * (size_t)c);
    memset(sq, 0, sizeof(double) * (size_t)c);
#pragma omp parallel if (par)
    {
      double l1[GN_MAX_C], l2[GN_MAX_C];
      memset(l1, 0, sizeof(double) * (size_t)c);
      memset(l2, 0, sizeof(double) * (size_t)c);
#pragma omp for schedule(static)
      for (int v = 0; v < spatial; v++) {
        const float *r = xs + (size_t)v * (size_t)c;
#pragma omp simd
        for (int j = 0; j < c; j++) {
          double e = r[j];
          l1[j] += e;
          l2[j] += e * e;
        }
      }
#pragma omp critical
      for (int j = 0; j < c; j++) {
        sum[j] += l1[j];
        sq[j] += l2[j];
      }
    }
    float a[GN_MAX_C], bb[GN_MAX_C];
    for (int gi = 0; gi < g; gi++) {
      double t1 = 0, t2 = 0;
      for (int j = gi * cg; j < (gi + 1) * cg; j++) t1 += sum[j], t2 += sq[j];
      double m = t1 / cnt, var = t2 / cnt - m * m;
      if (var < 0) var = 0;
      mean[s * g + gi] = (float)m;
      rstd[s * g + gi] = (float)(1.0 / sqrt(var + (double)LT_GN_EPS));
      for (int j = gi * cg; j < (gi + 1) * cg; j++) {
        double sc = (double)rstd[s * g + gi] * gamma[j];
        a[j] = (float)sc;
        bb[j] = (float)(beta[j] - (double)mean[s * g + gi] * sc);
      }
    }
#pragma omp parallel for schedule(static) if (par)
    for (int v = 0; v < spatial; v++) {
      const float *r = xs + (size_t)v * (size_t)c;
      float *o = ys + (size_t)v * (size_t)c;
      if (relu) {
#pragma omp simd
        for (int j = 0; j < c; j++) {
          float t = r[j] * a[j] + bb[j];
          o[j] = t > 0.0f ? t : 0.0f;
        }
      } else {
#pragma omp simd
        for (int j = 0; j < c; j++) o[j] = r[j] * a[j] + bb[j];
      }
    }
  }
}

void lt_cpu_gn_relu_forward(float *y, float *mean, float *rstd, const float *x,
                            const float *gamma, const float *beta, int n, int spatial, int c,
                            int g) {
  gn_any_forward(y, mean, rstd, x, gamma, beta, n, spatial, c, g, 1);
}

void lt_cpu_gn_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma,
                       const float *beta, int n, int spatial, int c, int g) {
  gn_any_forward(y, mean, rstd, x, gamma, beta, n, spatial, c, g, 0);
}

/* y NULL: plain GroupNorm (no ReLU mask). */
static void gn_any_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                            const float *y, const float *x, const float *mean, const float *rstd,
                            const float *gamma, int n, int spatial, int c, int g) {
  if (c > GN_MAX_C) {
    if (y)
      lt_ref_f32_gn_relu_backward(dx, dgamma, dbeta, dy, y, x, mean, rstd, gamma, n, spatial, c,
                                  g);
    else
      lt_ref_f32_gn_backward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, n, spatial, c, g);
    return;
  }
  int cg = c / g;
  double cnt = (double)spatial * cg;
  const int par = (size_t)spatial * c > PAR_MIN;
  double dg[GN_MAX_C], dbt[GN_MAX_C];
  memset(dg, 0, sizeof(double) * (size_t)c);
  memset(dbt, 0, sizeof(double) * (size_t)c);
  for (int s = 0; s < n; s++) {
    size_t off = (size_t)s * (size_t)spatial * (size_t)c;
    const float *xs = x + off, *ys = y ? y + off : NULL, *dys = dy + off;
    float *dxs = dx + off;
    double sd[GN_MAX_C], sdx[GN_MAX_C]; /* sums of masked dy and of masked dy * x */
    memset(sd, 0, sizeof(double) * (size_t)c);
    memset(sdx, 0, sizeof(double) * (size_t)c);
#pragma omp parallel if (par)
    {
      double l1[GN_MAX_C], l2[GN_MAX_C];
      memset(l1, 0, sizeof(double) * (size_t)c);
      memset(l2, 0, sizeof(double) * (size_t)c);
#pragma omp for schedule(static)
      for (int v = 0; v < spatial; v++) {
        size_t i0 = (size_t)v * (size_t)c;
        if (ys) {
          /* the ReLU mask first, then the sums: both loops vectorise (a load under the
           * condition, in one loop with the sums, kept it scalar: a quarter of a training step
           * at 32^3) */
          float dm[GN_MAX_C];
#pragma omp simd
          for (int j = 0; j < c; j++) {
            const float dv = dys[i0 + j];
            dm[j] = ys[i0 + j] > 0.0f ? dv : 0.0f;
          }
#pragma omp simd
          for (int j = 0; j < c; j++) {
            l1[j] += dm[j];
            l2[j] += (double)dm[j] * xs[i0 + j];
          }
        } else {
#pragma omp simd
          for (int j = 0; j < c; j++) {
            float d = dys[i0 + j];
            l1[j] += d;
            l2[j] += (double)d * xs[i0 + j];
          }
        }
      }
#pragma omp critical
      for (int j = 0; j < c; j++) {
        sd[j] += l1[j];
        sdx[j] += l2[j];
      }
    }
    float A[GN_MAX_C], B[GN_MAX_C], C[GN_MAX_C];
    for (int gi = 0; gi < g; gi++) {
      double m = mean[s * g + gi], r = rstd[s * g + gi], m1 = 0, m2 = 0;
      for (int j = gi * cg; j < (gi + 1) * cg; j++) {
        double sxh = r * (sdx[j] - m * sd[j]); /* sum of masked dy * xhat */
        dg[j] += sxh;
        dbt[j] += sd[j];
        m1 += gamma[j] * sd[j];
        m2 += gamma[j] * sxh;
      }
      m1 /= cnt;
      m2 /= cnt;
      /* dx = r * (d * gamma - m1 - (x - m) * r * m2) = d * A + x * B + C */
      for (int j = gi * cg; j < (gi + 1) * cg; j++) {
        A[j] = (float)(r * gamma[j]);
        B[j] = (float)(-r * r * m2);
        C[j] = (float)(-r * m1 + m * r * r * m2);
      }
    }
#pragma omp parallel for schedule(static) if (par)
    for (int v = 0; v < spatial; v++) {
      size_t i0 = (size_t)v * (size_t)c;
      if (ys) {
#pragma omp simd
        for (int j = 0; j < c; j++) {
          const float dv = dys[i0 + j]; /* loaded unconditionally: the select vectorises */
          const float d = ys[i0 + j] > 0.0f ? dv : 0.0f;
          dxs[i0 + j] = d * A[j] + xs[i0 + j] * B[j] + C[j];
        }
      } else {
#pragma omp simd
        for (int j = 0; j < c; j++) dxs[i0 + j] = dys[i0 + j] * A[j] + xs[i0 + j] * B[j] + C[j];
      }
    }
  }
  for (int j = 0; j < c; j++) {
    dgamma[j] = (float)dg[j];
    dbeta[j] = (float)dbt[j];
  }
}

void lt_cpu_gn_relu_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                             const float *y, const float *x, const float *mean, const float *rstd,
                             const float *gamma, int n, int spatial, int c, int g) {
  gn_any_backward(dx, dgamma, dbeta, dy, y, x, mean, rstd, gamma, n, spatial, c, g);
}

void lt_cpu_gn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                        const float *mean, const float *rstd, const float *gamma, int n,
                        int spatial, int c, int g) {
  gn_any_backward(dx, dgamma, dbeta, dy, NULL, x, mean, rstd, gamma, n, spatial, c, g);
}

void lt_cpu_global_avg_pool_forward(float *y, const float *x, int n, int spatial, int c) {
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)n * spatial * c > PAR_MIN)
  for (int s = 0; s < n; s++)
    for (int j = 0; j < c; j++) {
      const float *xs = x + (size_t)s * (size_t)spatial * (size_t)c + (size_t)j;
      double acc = 0;
      for (int v = 0; v < spatial; v++) acc += xs[(size_t)v * (size_t)c];
      y[(size_t)s * (size_t)c + (size_t)j] = (float)(acc / spatial);
    }
}

void lt_cpu_global_avg_pool_backward(float *dx, const float *dy, int n, int spatial, int c) {
  for (int s = 0; s < n; s++) {
    const float *d = dy + (size_t)s * (size_t)c;
    float *o = dx + (size_t)s * (size_t)spatial * (size_t)c;
    float inv = 1.0f / (float)spatial;
#pragma omp parallel for schedule(static) if ((size_t)spatial * c > PAR_MIN)
    for (int v = 0; v < spatial; v++)
      for (int j = 0; j < c; j++) o[(size_t)v * (size_t)c + (size_t)j] = d[j] * inv;
  }
}

void lt_cpu_avg_pool_forward(float *y, const float *x, int n, int d, int h, int w, int c, int k) {
  int od = d / k, oh = h / k, ow = w / k;
  float inv = 1.0f / (float)(k * k * k);
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)n * d * h * w * c > PAR_MIN)
  for (int s = 0; s < n; s++)
    for (int z = 0; z < od; z++)
      for (int yy = 0; yy < oh; yy++)
        for (int xx = 0; xx < ow; xx++) {
          float *o = y + ((((size_t)s * od + z) * oh + yy) * ow + xx) * (size_t)c;
          for (int j = 0; j < c; j++) o[j] = 0.0f;
          for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
              for (int e = 0; e < k; e++) {
                const float *r = x + ((((size_t)s * d + (size_t)(z * k + a)) * h +
                                       (size_t)(yy * k + b)) * w + (size_t)(xx * k + e)) * (size_t)c;
                for (int j = 0; j < c; j++) o[j] += r[j];
              }
          for (int j = 0; j < c; j++) o[j] *= inv;
        }
}

void lt_cpu_avg_pool_backward(float *dx, const float *dy, int n, int d, int h, int w, int c,
                              int k) {
  int od = d / k, oh = h / k, ow = w / k;
  float inv = 1.0f / (float)(k * k * k);
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)n * d * h * w * c > PAR_MIN)
  for (int s = 0; s < n; s++)
    for (int z = 0; z < d; z++)
      for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
          const float *g = dy + ((((size_t)s * od + (size_t)(z / k)) * oh + (size_t)(yy / k)) * ow +
                                 (size_t)(xx / k)) * (size_t)c;
          float *o = dx + ((((size_t)s * d + z) * h + yy) * w + xx) * (size_t)c;
          for (int j = 0; j < c; j++) o[j] = g[j] * inv;
        }
}

void lt_cpu_fc_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                       int out) {
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)n * in * out > PAR_MIN)
  for (int s = 0; s < n; s++)
    for (int o = 0; o < out; o++) {
      const float *wr = w + (size_t)o * (size_t)in, *xr = x + (size_t)s * (size_t)in;
      double acc = b[o];
      for (int i = 0; i < in; i++) acc += (double)wr[i] * xr[i];
      y[(size_t)s * (size_t)out + (size_t)o] = (float)acc;
    }
}

void lt_cpu_fc_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, int n, int in, int out) {
  int par = (size_t)n * in * out > PAR_MIN;
  if (dx) {
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (int s = 0; s < n; s++)
      for (int i = 0; i < in; i++) {
        double acc = 0;
        for (int o = 0; o < out; o++)
          acc += (double)dy[(size_t)s * (size_t)out + (size_t)o] * w[(size_t)o * (size_t)in + (size_t)i];
        dx[(size_t)s * (size_t)in + (size_t)i] = (float)acc;
      }
  }
#pragma omp parallel for schedule(static) if (par)
  for (int o = 0; o < out; o++) {
    double sb = 0;
    for (int s = 0; s < n; s++) sb += dy[(size_t)s * (size_t)out + (size_t)o];
    db[o] = (float)sb;
    float *dwr = dw + (size_t)o * (size_t)in;
    for (int i = 0; i < in; i++) {
      double acc = 0;
      for (int s = 0; s < n; s++)
        acc += (double)dy[(size_t)s * (size_t)out + (size_t)o] * x[(size_t)s * (size_t)in + (size_t)i];
      dwr[i] = (float)acc;
    }
  }
}

void lt_cpu_relu_forward(float *y, const float *x, size_t count) {
#pragma omp parallel for simd schedule(static) if (count > PAR_MIN)
  for (size_t i = 0; i < count; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void lt_cpu_relu_backward(float *dx, const float *dy, const float *y, size_t count) {
#pragma omp parallel for simd schedule(static) if (count > PAR_MIN)
  for (size_t i = 0; i < count; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void lt_cpu_sigmoid_forward(float *y, const float *x, size_t count) {
#pragma omp parallel for schedule(static) if (count > PAR_MIN)
  for (size_t i = 0; i < count; i++) {
    float v = x[i];
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-v));
    } else {
      float e = expf(v);
      y[i] = e / (1.0f + e);
    }
  }
}

void lt_cpu_sigmoid_backward(float *dx, const float *dy, const float *y, size_t count) {
#pragma omp parallel for simd schedule(static) if (count > PAR_MIN)
  for (size_t i = 0; i < count; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

void lt_cpu_add(float *y, const float *a, const float *b, size_t count) {
#pragma omp parallel for simd schedule(static) if (count > PAR_MIN)
  for (size_t i = 0; i < count; i++) y[i] = a[i] + b[i];
}

void lt_cpu_concat_forward(float *y, const float *const *xs, const int *cs, int k, size_t rows) {
  size_t total = 0;
  for (int i = 0; i < k; i++) total += (size_t)cs[i];
#pragma omp parallel for schedule(static) if (rows * total > PAR_MIN)
  for (size_t r = 0; r < rows; r++) {
    float *o = y + r * total;
    for (int i = 0; i < k; i++) {
      memcpy(o, xs[i] + r * (size_t)cs[i], sizeof(float) * (size_t)cs[i]);
      o += cs[i];
    }
  }
}

void lt_cpu_concat_backward(float *const *dxs, const float *dy, const int *cs, int k,
                            size_t rows) {
  size_t total = 0;
  for (int i = 0; i < k; i++) total += (size_t)cs[i];
#pragma omp parallel for schedule(static) if (rows * total > PAR_MIN)
  for (size_t r = 0; r < rows; r++) {
    const float *g = dy + r * total;
    for (int i = 0; i < k; i++) {
      if (dxs[i]) memcpy(dxs[i] + r * (size_t)cs[i], g, sizeof(float) * (size_t)cs[i]);
      g += cs[i];
    }
  }
}
