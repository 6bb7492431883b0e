/* engine/model/loss.c — see loss.h. */
#include "model/loss.h"

#include <math.h>
#include <string.h>

#include "model/gradcam.h"

double lt_loss_bce(float z, float t, float *dz) {
  /* log(1 + e^z) - t z, stable for both signs of z. */
  double zd = z;
  double sp = zd > 0 ? zd + log1p(exp(-zd)) : log1p(exp(zd));
  double x = 1.0 / (1.0 + exp(-zd));
  if (dz) *dz = (float)(x - t);
  return sp - t * zd;
}

double lt_loss_dice(const float *y, const float *g, size_t n, double theta, float *dy) {
  double inter = 0, sy = 0, sg = 0;
  for (size_t i = 0; i < n; i++) {
    inter += (double)y[i] * g[i];
    sy += y[i];
    sg += g[i];
  }
  double num = 2 * inter + theta, den = sy + sg + theta;
  if (dy) {
    /* d/dy_i of -(num / den) = -(2 g_i den - num) / den^2 */
    double inv2 = 1.0 / (den * den);
    for (size_t i = 0; i < n; i++) dy[i] = (float)(-(2.0 * g[i] * den - num) * inv2);
  }
  return 1.0 - num / den;
}

double lt_loss_mse(const float *y, const float *t, int k, float *dy) {
  double s = 0;
  for (int i = 0; i < k; i++) {
    double d = (double)y[i] - t[i];
    s += d * d;
    if (dy) dy[i] = (float)(2.0 * d / k);
  }
  return s / k;
}

void lt_loss_debug(lt_debug_result *r, float *du, float *cam, const float *u, float s,
                   const float *p, int N, double lambda, double coef) {
  memset(r, 0, sizeof *r);
  memset(du, 0, (size_t)N * sizeof *du);
  double sp = 0, sq = 0;
  for (int n = 0; n < N; n++) {
    sp += p[n];
    sq += 1.0 - p[n];
  }
  int imin, imax;
  float range;
  int flat = lt_cam_minmax(cam, &imin, &imax, &range, u, s, N);
  if (!(sp > 0) || !(sq > 0)) {
    r->status = LT_DEBUG_SKIP_MASK;
    return;
  }
  if (flat) {
    r->status = LT_DEBUG_SKIP_FLAT;
    return;
  }
  double a = 0, b = 0;
  for (int n = 0; n < N; n++) {
    a += (double)p[n] * cam[n];
    b += (1.0 - p[n]) * cam[n];
  }
  a /= sp;
  b /= sq;
  r->mean_in = a;
  r->mean_out = b;
  double h = b - a + lambda;
  if (!(h > 0)) {
    r->status = LT_DEBUG_HINGE_ZERO;
    return;
  }
  r->status = LT_DEBUG_APPLIED;
  r->hinge = h;
  r->loss = coef * h;
  /* dL/dCAM[n] = coef ((1 - p) / sq - p / sp); through min-max (debug-loss.md). */
  double sum_lo = 0, sum_hi = 0;
  const double inv_r = 1.0 / range;
  for (int n = 0; n < N; n++) {
    double dc = coef * ((1.0 - p[n]) / sq - p[n] / sp);
    sum_lo += dc * (1.0 - cam[n]);
    sum_hi += dc * cam[n];
    du[n] = (float)(dc * inv_r);
  }
  du[imin] -= (float)(sum_lo * inv_r);
  du[imax] -= (float)(sum_hi * inv_r);
  for (int n = 0; n < N; n++) du[n] *= s; /* v = s u */
}
