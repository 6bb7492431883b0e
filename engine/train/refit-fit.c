/* engine/train/refit-fit.c — see refit-fit.h. */
#include "train/refit-fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One weighted ridge fit on the standardised design X (n x Q, column 0 the intercept) for the
 * target column k of y: (X^T W X + lambda I') beta = X^T W y, the intercept unpenalised. */
static int weighted_ridge(double beta[], const double *X, const double *y, int k,
                          const double *wt, int n, int Q, double lambda) {
  double A[(1 + LT_REFIT_N_IN) * (1 + LT_REFIT_N_IN)];
  memset(A, 0, sizeof A);
  memset(beta, 0, (size_t)Q * sizeof *beta);
  for (int i = 0; i < n; i++) {
    const double *x = X + (size_t)i * Q, t = y[(size_t)i * LT_N_ATTRIBUTES + k], w = wt[i];
    for (int a = 0; a < Q; a++) {
      beta[a] += w * x[a] * t;
      for (int c = 0; c <= a; c++) A[a * Q + c] += w * x[a] * x[c];
    }
  }
  for (int a = 0; a < Q; a++)
    for (int c = a + 1; c < Q; c++) A[a * Q + c] = A[c * Q + a];
  for (int a = 1; a < Q; a++) A[a * Q + a] += lambda;
  return lt_cholesky_solve(A, beta, Q);
}

int lt_attr_refit_fit(lt_attr_refit *r, const double *in, const double *y, int n, double lambda,
                      lt_refit_loss loss, lt_error *err) {
  enum { P = LT_REFIT_N_IN, Q = 1 + LT_REFIT_N_IN };
  memset(r, 0, sizeof *r);
  /* more samples than coefficients, so that even lambda = 0 has a unique answer; the penalty
   * keeps a fit on few samples from following their noise */
  if (n < Q + 1)
    return lt_error_set(err, "refit: %d rated samples, at least %d needed", n, Q + 1);
  if (!(lambda >= 0) || !isfinite(lambda))
    return lt_error_set(err, "refit: the penalty must be finite and >= 0");
  if (loss != LT_REFIT_SQUARED && loss != LT_REFIT_ABSOLUTE)
    return lt_error_set(err, "refit: unknown loss %d", (int)loss);
  double mu[P], sd[P];
  for (int j = 0; j < P; j++) {
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) s += in[(size_t)i * P + j];
    mu[j] = s / n;
    for (int i = 0; i < n; i++) {
      const double d = in[(size_t)i * P + j] - mu[j];
      s2 += d * d;
    }
    sd[j] = sqrt(s2 / n);
    if (!(sd[j] > 1e-9))
      return lt_error_set(err, "refit: input %d does not vary over the samples", j);
  }
  /* the design on [1, standardised inputs], and each sample's weight */
  double *X = malloc((size_t)n * Q * sizeof *X), *wt = malloc((size_t)n * sizeof *wt);
  int rc = -1;
  if (!X || !wt) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < n; i++) {
    double *x = X + (size_t)i * Q;
    x[0] = 1;
    for (int j = 0; j < P; j++) x[1 + j] = (in[(size_t)i * P + j] - mu[j]) / sd[j];
  }
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    double b[Q];
    for (int i = 0; i < n; i++) wt[i] = 1;
    if (weighted_ridge(b, X, y, k, wt, n, Q, lambda)) {
      lt_error_set(err, "refit: the fit is singular for attribute %d", k);
      goto out;
    }
    /* The absolute error by iteratively reweighted least squares: |e| = e^2 / |e| at the last
     * residuals, so each round is a weighted ridge fit; its fixed point minimises the absolute
     * error plus the (rescaled) penalty. The floor on |e| keeps a sample that the map meets
     * exactly from taking all the weight; the rounds are few hundred at most on a 14-input map. */
    for (int round = 0; loss == LT_REFIT_ABSOLUTE && round < 200; round++) {
      double sum = 0, nb[Q];
      for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * Q;
        double e = y[(size_t)i * LT_N_ATTRIBUTES + k];
        for (int a = 0; a < Q; a++) e -= b[a] * x[a];
        wt[i] = 1 / fmax(fabs(e), 0.01);
        sum += wt[i];
      }
      for (int i = 0; i < n; i++) wt[i] *= n / sum;
      if (weighted_ridge(nb, X, y, k, wt, n, Q, lambda)) {
        lt_error_set(err, "refit: the absolute-error fit is singular for attribute %d", k);
        goto out;
      }
      double moved = 0;
      for (int a = 0; a < Q; a++) moved = fmax(moved, fabs(nb[a] - b[a]));
      memcpy(b, nb, sizeof b);
      if (moved < 1e-9) break;
    }
    /* back to raw inputs: beta_j / sd_j, and the intercept takes the means */
    double w0 = b[0];
    for (int j = 0; j < P; j++) {
      r->w[k][1 + j] = b[1 + j] / sd[j];
      w0 -= b[1 + j] * mu[j] / sd[j];
    }
    r->w[k][0] = w0;
  }
  for (int j = 0; j < P; j++) {
    r->lo[j] = r->hi[j] = in[j];
    for (int i = 1; i < n; i++) {
      r->lo[j] = fmin(r->lo[j], in[(size_t)i * P + j]);
      r->hi[j] = fmax(r->hi[j], in[(size_t)i * P + j]);
    }
  }
  r->lambda = lambda;
  r->n_fit = n;
  r->n_measures = LT_REFIT_N_MEASURES;
  r->loss = loss;
  rc = 0;
out:
  free(X), free(wt);
  if (rc) memset(r, 0, sizeof *r);
  return rc;
}

