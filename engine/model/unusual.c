/* engine/model/unusual.c — see unusual.h.
 * The principal axes come from a cyclic Jacobi eigendecomposition written here: it runs once per
 * calibration on a matrix of at most 512 x 512, and the engine links no LAPACK otherwise. */
#include "model/unusual.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_unusual_features(const lt_model *m, int i, float *feat) {
  const float *f = lt_model_fusion(m, i);
  const int K = lt_model_config_fusion_channels(lt_model_config_of(m)), N = lt_model_cam_cells(m);
  for (int c = 0; c < K; c++) {
    double acc = 0;
    for (int q = 0; q < N; q++) acc += f[(size_t)q * K + c];
    feat[c] = (float)(acc / N);
  }
}

double lt_unusual_distance(const lt_unusual_stats *s, const float *feat) {
  double d[LT_UNUSUAL_MAX_DIM], total = 0;
  for (int j = 0; j < s->dim; j++) {
    d[j] = (double)feat[j] - s->mean[j];
    total += d[j] * d[j];
  }
  double maha = 0, along = 0;
  for (int a = 0; a < s->n_axes; a++) {
    double p = 0;
    for (int j = 0; j < s->dim; j++) p += d[j] * s->axes[a][j];
    along += p * p;
    maha += p * p / s->var[a];
  }
  const double resid = fmax(0, total - along);
  maha += s->resid_scale > 0 ? resid / s->resid_scale : 0;
  return sqrt(maha / (s->n_axes + 1));
}

/* Eigenvalues (descending) and unit eigenvectors (rows of vec) of the symmetric n x n a (row-major,
 * destroyed): cyclic Jacobi rotations until the off-diagonal is negligible. */
static void jacobi(double *a, int n, double *val, double *vec) {
  for (int i = 0; i < n * n; i++) vec[i] = 0;
  for (int i = 0; i < n; i++) vec[i * n + i] = 1;
  for (int sweep = 0; sweep < 60; sweep++) {
    double off = 0, diag = 0;
    for (int i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (int j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-22 * diag) break;
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) {
        const double apq = a[p * n + q];
        if (fabs(apq) < 1e-300) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++) { /* columns p, q */
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) { /* rows p, q */
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) { /* eigenvectors as rows */
          const double vp = vec[p * n + k], vq = vec[q * n + k];
          vec[p * n + k] = c * vp - s * vq;
          vec[q * n + k] = s * vp + c * vq;
        }
      }
  }
  for (int i = 0; i < n; i++) val[i] = a[i * n + i];
  for (int i = 0; i < n; i++) { /* selection sort, descending, rows along */
    int best = i;
    for (int j = i + 1; j < n; j++)
      if (val[j] > val[best]) best = j;
    if (best == i) continue;
    double t = val[i];
    val[i] = val[best], val[best] = t;
    for (int k = 0; k < n; k++) {
      t = vec[i * n + k];
      vec[i * n + k] = vec[best * n + k], vec[best * n + k] = t;
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int lt_unusual_fit(lt_unusual_stats *s, const float *train, int n_train, const float *val,
                   int n_val, int dim, int n_axes, double percentile, lt_error *err) {
  memset(s, 0, sizeof *s);
  if (dim < 1 || dim > LT_UNUSUAL_MAX_DIM)
    return lt_error_set(err, "unusual: %d features, at most %d", dim, LT_UNUSUAL_MAX_DIM);
  if (n_axes < 1 || n_axes > LT_UNUSUAL_MAX_AXES || n_axes > dim)
    return lt_error_set(err, "unusual: %d axes, 1 to %d", n_axes, LT_UNUSUAL_MAX_AXES);
  if (n_train < 2 * n_axes || n_val < 20)
    return lt_error_set(err, "unusual: %d training and %d validation samples, at least %d and 20 "
                        "needed", n_train, n_val, 2 * n_axes);
  if (!(percentile > 0 && percentile < 100))
    return lt_error_set(err, "unusual: the percentile must lie in (0, 100)");
  double *mean = calloc((size_t)dim, sizeof *mean), *cov = calloc((size_t)dim * dim, sizeof *cov);
  double *val_d = malloc((size_t)n_val * sizeof *val_d), *ev = malloc((size_t)dim * sizeof *ev);
  double *vec = malloc((size_t)dim * dim * sizeof *vec);
  int rc = -1;
  if (!mean || !cov || !val_d || !ev || !vec) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  for (int i = 0; i < n_train; i++)
    for (int j = 0; j < dim; j++) mean[j] += train[(size_t)i * dim + j];
  for (int j = 0; j < dim; j++) mean[j] /= n_train;
  for (int i = 0; i < n_train; i++) {
    const float *x = train + (size_t)i * dim;
    for (int a = 0; a < dim; a++)
      for (int b = a; b < dim; b++) cov[a * dim + b] += (x[a] - mean[a]) * (x[b] - mean[b]);
  }
  for (int a = 0; a < dim; a++)
    for (int b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b] /= (n_train - 1);
  double trace = 0;
  for (int a = 0; a < dim; a++) trace += cov[a * dim + a];
  jacobi(cov, dim, ev, vec);
  s->dim = dim;
  s->n_axes = n_axes;
  s->n_train = n_train;
  s->n_val = n_val;
  s->percentile = percentile;
  double kept = 0;
  for (int a = 0; a < n_axes; a++) kept += fmax(ev[a], 0);
  const double mean_var = kept / n_axes;
  for (int j = 0; j < dim; j++) s->mean[j] = (float)mean[j];
  for (int a = 0; a < n_axes; a++) {
    /* shrunk a tenth of the way towards the axes' mean variance: a near-flat axis would turn
     * rounding into distance */
    s->var[a] = (float)(0.9 * fmax(ev[a], 0) + 0.1 * mean_var);
    for (int j = 0; j < dim; j++) s->axes[a][j] = (float)vec[a * dim + j];
  }
  /* the residual's scale: its mean over the training split (the trace's unexplained part) */
  s->resid_scale = (float)fmax(trace - kept, 1e-12);
  for (int i = 0; i < n_val; i++) val_d[i] = lt_unusual_distance(s, val + (size_t)i * dim);
  qsort(val_d, (size_t)n_val, sizeof *val_d, cmp_double);
  int k = (int)ceil(percentile / 100 * n_val) - 1;
  if (k < 0) k = 0;
  if (k >= n_val) k = n_val - 1;
  s->threshold = val_d[k];
  rc = 0;
out:
  free(mean), free(cov), free(val_d), free(ev), free(vec);
  return rc;
}

char *lt_unusual_to_json(const lt_unusual_stats *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddStringToObject(o, "features", "fusion map pooled over its cells");
  cJSON_AddNumberToObject(o, "dim", s->dim);
  cJSON_AddNumberToObject(o, "n_axes", s->n_axes);
  cJSON_AddNumberToObject(o, "n_train", s->n_train);
  cJSON_AddNumberToObject(o, "n_val", s->n_val);
  cJSON_AddNumberToObject(o, "percentile", s->percentile);
  cJSON_AddNumberToObject(o, "threshold", s->threshold);
  cJSON_AddNumberToObject(o, "resid_scale", s->resid_scale);
  cJSON_AddItemToObject(o, "mean", cJSON_CreateFloatArray(s->mean, s->dim));
  cJSON_AddItemToObject(o, "var", cJSON_CreateFloatArray(s->var, s->n_axes));
  cJSON *axes = cJSON_AddArrayToObject(o, "axes");
  for (int a = 0; a < s->n_axes; a++)
    cJSON_AddItemToArray(axes, cJSON_CreateFloatArray(s->axes[a], s->dim));
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

static int read_floats(float *out, int n, const cJSON *arr) {
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n) return -1;
  int i = 0;
  for (const cJSON *e = arr->child; e; e = e->next, i++) {
    if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) return -1;
    out[i] = (float)e->valuedouble;
  }
  return 0;
}

int lt_unusual_from_json(lt_unusual_stats *s, const char *json, lt_error *err) {
  memset(s, 0, sizeof *s);
  cJSON *o = cJSON_Parse(json);
  int rc = -1;
  if (!o) return lt_error_set(err, "unusual: the statistics are not JSON");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
  const cJSON *dim = cJSON_GetObjectItemCaseSensitive(o, "dim");
  const cJSON *na = cJSON_GetObjectItemCaseSensitive(o, "n_axes");
  const cJSON *axes = cJSON_GetObjectItemCaseSensitive(o, "axes");
  if (!cJSON_IsNumber(v) || v->valueint != 1 || !cJSON_IsNumber(dim) || !cJSON_IsNumber(na) ||
      dim->valueint < 1 || dim->valueint > LT_UNUSUAL_MAX_DIM || na->valueint < 1 ||
      na->valueint > LT_UNUSUAL_MAX_AXES || na->valueint > dim->valueint ||
      !cJSON_IsArray(axes) || cJSON_GetArraySize(axes) != na->valueint) {
    lt_error_set(err, "unusual: the statistics' version, sizes or axes are wrong");
    goto out;
  }
  s->dim = dim->valueint;
  s->n_axes = na->valueint;
  static const char *const nums[] = {"n_train", "n_val", "percentile", "threshold", "resid_scale"};
  double got[5];
  for (int i = 0; i < 5; i++) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, nums[i]);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
      lt_error_set(err, "unusual: '%s' missing or not a number", nums[i]);
      goto out;
    }
    got[i] = x->valuedouble;
  }
  s->n_train = (int)got[0], s->n_val = (int)got[1], s->percentile = got[2];
  s->threshold = got[3], s->resid_scale = (float)got[4];
  if (read_floats(s->mean, s->dim, cJSON_GetObjectItemCaseSensitive(o, "mean")) ||
      read_floats(s->var, s->n_axes, cJSON_GetObjectItemCaseSensitive(o, "var"))) {
    lt_error_set(err, "unusual: 'mean' or 'var' has the wrong length or a bad number");
    goto out;
  }
  int a = 0;
  for (const cJSON *e = axes->child; e; e = e->next, a++)
    if (read_floats(s->axes[a], s->dim, e)) {
      lt_error_set(err, "unusual: axis %d has the wrong length or a bad number", a);
      goto out;
    }
  for (a = 0; a < s->n_axes; a++)
    if (!(s->var[a] > 0)) {
      lt_error_set(err, "unusual: variance %d is not positive", a);
      goto out;
    }
  if (!(s->threshold > 0) || !(s->resid_scale > 0)) {
    lt_error_set(err, "unusual: the threshold and the residual's scale must be positive");
    goto out;
  }
  rc = 0;
out:
  cJSON_Delete(o);
  if (rc) memset(s, 0, sizeof *s);
  return rc;
}
