/* engine/model/refit.c — see refit.h. */
#include "model/refit.h"
#include "lt-locale.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"

void lt_sym3_eigenvalues(const double a_in[3][3], double out[3]) {
  double a[3][3];
  memcpy(a, a_in, sizeof a);
  for (int sweep = 0; sweep < 50; sweep++) {
    const double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
    if (off < 1e-30) break;
    for (int p = 0; p < 2; p++)
      for (int q = p + 1; q < 3; q++) {
        if (fabs(a[p][q]) < 1e-300) continue;
        const double th = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; k++) { /* columns p, q */
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++) { /* rows p, q */
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  double e[3] = {a[0][0], a[1][1], a[2][2]};
  for (int i = 0; i < 3; i++) /* three elements: sort by hand */
    for (int j = i + 1; j < 3; j++)
      if (e[j] > e[i]) {
        const double t = e[i];
        e[i] = e[j];
        e[j] = t;
      }
  memcpy(out, e, sizeof e);
}

bool lt_attr_refit_allowed(const lt_model_config *c) {
  /* every valid config reads the two windows in channels 0-1 (model/input.h) */
  return c->arch == LT_ARCH_COLLABORATIVE && lt_model_config_n_attr(c) == LT_N_ATTRIBUTES;
}

void lt_seg_shape_measures(double out[LT_REFIT_N_SHAPE], const float *seg, int S) {
  const size_t S2 = (size_t)S * S;
  double V = 0, m[3] = {0, 0, 0};
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        const double w = seg[z * S2 + (size_t)y * S + x];
        V += w;
        m[0] += w * z, m[1] += w * y, m[2] += w * x;
      }
  if (!(V > 1e-3)) { /* nothing segmented: a point */
    out[0] = log(1e-3), out[1] = out[2] = 1, out[3] = 0;
    return;
  }
  for (int a = 0; a < 3; a++) m[a] /= V;
  double c[3][3] = {{0}}, surf = 0;
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++) {
        const size_t i = z * S2 + (size_t)y * S + x;
        const double w = seg[i], d[3] = {z - m[0], y - m[1], x - m[2]};
        for (int a = 0; a < 3; a++)
          for (int b = a; b < 3; b++) c[a][b] += w * d[a] * d[b];
        /* central differences inside, one-sided at the border */
        const int p[3] = {z, y, x};
        const size_t st[3] = {S2, (size_t)S, 1};
        double g2 = 0;
        for (int a = 0; a < 3; a++) {
          double g;
          if (p[a] == 0)
            g = seg[i + st[a]] - seg[i];
          else if (p[a] == S - 1)
            g = seg[i] - seg[i - st[a]];
          else
            g = 0.5 * ((double)seg[i + st[a]] - seg[i - st[a]]);
          g2 += g * g;
        }
        surf += sqrt(g2);
      }
  for (int a = 0; a < 3; a++)
    for (int b = a; b < 3; b++) {
      c[a][b] = c[a][b] / V + (a == b ? 1.0 / 12 : 0);
      c[b][a] = c[a][b];
    }
  double l[3];
  lt_sym3_eigenvalues((const double(*)[3])c, l);
  out[0] = log(V);
  out[1] = sqrt(fmax(l[2], 0) / l[0]);
  out[2] = sqrt(fmax(l[1], 0) / l[0]);
  out[3] = surf / pow(V, 2.0 / 3);
}

void lt_patch_density_measures(double out[LT_REFIT_N_DENSITY], const float *x, int C,
                               const float *seg, int S) {
  const double lung = LT_PATCH_LUNG_HI_HU - LT_PATCH_LUNG_LO_HU;
  const double med = LT_PATCH_MEDIASTINAL_HI_HU - LT_PATCH_MEDIASTINAL_LO_HU;
  const double mm = LT_PATCH_N * LT_PATCH_SPACING / S; /* a voxel's side */
  const size_t S2 = (size_t)S * S, S3 = S2 * (size_t)S;
  double w4 = 0, core = 0, peak = -1;
  for (size_t v = 0; v < S3; v++) {
    const double s = seg[v], s4 = (s * s) * (s * s);
    w4 += s4;
    core += s4 * x[C * v + 1];
    if (s > 0.5 && x[C * v] > peak) peak = x[C * v];
  }
  double band = 0, g2 = 0;
  for (int z = 1; z < S - 1; z++)
    for (int y = 1; y < S - 1; y++)
      for (int xx = 1; xx < S - 1; xx++) {
        const size_t v = z * S2 + (size_t)y * S + xx;
        const double s = seg[v], b = 4 * s * (1 - s);
        if (!(b > 0)) continue;
        const double gz = 0.5 * ((double)x[C * (v + S2) + 1] - x[C * (v - S2) + 1]);
        const double gy = 0.5 * ((double)x[C * (v + S) + 1] - x[C * (v - S) + 1]);
        const double gx = 0.5 * ((double)x[C * (v + 1) + 1] - x[C * (v - 1) + 1]);
        band += b;
        g2 += b * (gz * gz + gy * gy + gx * gx);
      }
  out[0] = LT_PATCH_MEDIASTINAL_LO_HU + (w4 > 1e-9 ? med * core / w4 : 0);
  out[1] = LT_PATCH_LUNG_LO_HU + (peak >= 0 ? lung * peak : 0);
  out[2] = band > 1e-9 ? med * sqrt(g2 / band) / mm : 0;
}

void lt_refit_measures(double out[LT_REFIT_N_MEASURES], const float *x, int C, const float *seg,
                       int S, const float *lung) {
  lt_seg_shape_measures(out, seg, S);
  lt_patch_density_measures(out + LT_REFIT_N_SHAPE, x, C, seg, S);
  double *ct = out + LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY;
  if (lung)
    lt_patch_ct_measures(ct, lung, seg, S);
  else
    memset(ct, 0, LT_REFIT_N_CT * sizeof *ct);
}

bool lt_attr_refit_reads_ct(const lt_attr_refit *r) {
  return r->n_measures > LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY;
}

const char *lt_refit_loss_name(lt_refit_loss loss) {
  return loss == LT_REFIT_ABSOLUTE ? "absolute" : "squared";
}

bool lt_refit_loss_parse(const char *name, lt_refit_loss *loss) {
  if (!strcmp(name, "squared"))
    *loss = LT_REFIT_SQUARED;
  else if (!strcmp(name, "absolute"))
    *loss = LT_REFIT_ABSOLUTE;
  else
    return false;
  return true;
}

int lt_cholesky_solve(double *A, double *b, int n) {
  for (int j = 0; j < n; j++) {
    double d = A[j * n + j];
    for (int k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) return -1;
    d = sqrt(d);
    A[j * n + j] = d;
    for (int i = j + 1; i < n; i++) {
      double s = A[i * n + j];
      for (int k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / d;
    }
  }
  for (int i = 0; i < n; i++) { /* L y = b */
    double s = b[i];
    for (int k = 0; k < i; k++) s -= A[i * n + k] * b[k];
    b[i] = s / A[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
    double s = b[i];
    for (int k = i + 1; k < n; k++) s -= A[k * n + i] * b[k];
    b[i] = s / A[i * n + i];
  }
  return 0;
}

/* The measures of each version of the stored refit: 4 (1), 7 (2), 12 (3). */
static const int version_measures[4] = {0, LT_REFIT_N_SHAPE, LT_REFIT_N_SHAPE + LT_REFIT_N_DENSITY,
                                        LT_REFIT_N_MEASURES};

static int refit_version(int n_measures) {
  for (int v = 1; v <= 3; v++)
    if (version_measures[v] == n_measures) return v;
  return 3;
}

/* The inputs r reads: the six scores and its measures. */
static int refit_inputs(const lt_attr_refit *r) {
  const int m = r->n_measures;
  return LT_N_ATTRIBUTES + (m < 0 ? 0 : m > LT_REFIT_N_MEASURES ? LT_REFIT_N_MEASURES : m);
}

int lt_attr_refit_apply(const lt_attr_refit *r, float *attrs,
                        const double measures[LT_REFIT_N_MEASURES]) {
  double in[LT_REFIT_N_IN];
  int clipped = 0;
  const int n_in = refit_inputs(r);
  for (int j = 0; j < LT_N_ATTRIBUTES; j++) in[j] = attrs[j];
  for (int j = LT_N_ATTRIBUTES; j < n_in; j++) in[j] = measures[j - LT_N_ATTRIBUTES];
  for (int j = 0; j < n_in; j++)
    if (in[j] < r->lo[j] || in[j] > r->hi[j]) {
      in[j] = in[j] < r->lo[j] ? r->lo[j] : r->hi[j];
      clipped |= 1 << j;
    }
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    double v = r->w[k][0];
    for (int j = 0; j < n_in; j++) v += r->w[k][1 + j] * in[j];
    attrs[k] = (float)fmin(5.0, fmax(1.0, v));
  }
  return clipped;
}

int lt_attr_refit_warnings(int clipped, char (*lines)[160], int max) {
  static const char *const measure_names[LT_REFIT_N_MEASURES] = {
      "segmentation's volume", "segmentation's minor/major axis ratio",
      "segmentation's middle/major axis ratio", "segmentation's surface/volume^(2/3)",
      "core density (HU)", "peak density (HU)", "edge sharpness (HU/mm)",
      "contrast at 0.5 mm (HU)", "background at 0.5 mm (HU)", "edge fall at 0.5 mm",
      "rays' minor/major axis ratio", "rays' residual from their ellipsoid"};
  int n = 0;
  for (int j = 0; j < LT_REFIT_N_IN && n < max; j++) {
    if (!(clipped & (1 << j))) continue;
    if (j < LT_N_ATTRIBUTES)
      snprintf(lines[n++], 160, "attribute refit: the heads' %s score lies outside the range it "
               "was fitted on; held at the edge", lt_attribute_names[j]);
    else
      snprintf(lines[n++], 160, "attribute refit: the %s lies outside the range it was fitted "
               "on; held at the edge", measure_names[j - LT_N_ATTRIBUTES]);
  }
  return n;
}

char *lt_attr_refit_to_json(const lt_attr_refit *r) {
  cJSON *o = cJSON_CreateObject(), *ws = cJSON_AddArrayToObject(o, "weights");
  /* the version a refit was read from (1 or 2), else version 3 with every input */
  const int version = refit_version(r->n_measures);
  const int n_in = refit_inputs(r);
  cJSON_AddNumberToObject(o, "version", version);
  cJSON_AddNumberToObject(o, "lambda", r->lambda);
  cJSON_AddNumberToObject(o, "n_fit", r->n_fit);
  cJSON_AddStringToObject(o, "loss", lt_refit_loss_name(r->loss));
  for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
    cJSON *row = cJSON_CreateArray();
    for (int j = 0; j < 1 + n_in; j++) {
      /* 17 significant digits read back to the same double; cJSON's own printing may stop at 15
       * when that is within its tolerance */
      char num[32];
      lt_snprintf_c(num, sizeof num, "%.17g", r->w[k][j]); /* JSON: '.' in every locale */
      cJSON_AddItemToArray(row, cJSON_CreateRaw(num));
    }
    cJSON_AddItemToArray(ws, row);
  }
  const double *ends[2] = {r->lo, r->hi};
  for (int e = 0; e < 2; e++) {
    cJSON *a = cJSON_AddArrayToObject(o, e ? "hi" : "lo");
    for (int j = 0; j < n_in; j++) {
      char num[32];
      lt_snprintf_c(num, sizeof num, "%.17g", ends[e][j]);
      cJSON_AddItemToArray(a, cJSON_CreateRaw(num));
    }
  }
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

int lt_attr_refit_from_json(lt_attr_refit *r, const char *json, lt_error *err) {
  memset(r, 0, sizeof *r);
  cJSON *o = cJSON_Parse(json);
  const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "version") : NULL;
  const cJSON *lam = o ? cJSON_GetObjectItemCaseSensitive(o, "lambda") : NULL;
  const cJSON *nf = o ? cJSON_GetObjectItemCaseSensitive(o, "n_fit") : NULL;
  const cJSON *ws = o ? cJSON_GetObjectItemCaseSensitive(o, "weights") : NULL;
  const cJSON *ls = o ? cJSON_GetObjectItemCaseSensitive(o, "loss") : NULL;
  /* version 1: the shape measures only; version 2: shape and density; version 3: all twelve */
  const int version = cJSON_IsNumber(v) && (v->valuedouble == 1 || v->valuedouble == 2 ||
                                            v->valuedouble == 3)
                          ? (int)v->valuedouble : 0;
  const int n_in = LT_N_ATTRIBUTES + version_measures[version];
  /* no "loss": a refit written before there was a choice, fitted on the squared error */
  lt_refit_loss loss = LT_REFIT_SQUARED;
  int ok = version && cJSON_IsNumber(lam) && cJSON_IsNumber(nf) && cJSON_IsArray(ws) &&
           cJSON_GetArraySize(ws) == LT_N_ATTRIBUTES &&
           (!ls || (cJSON_IsString(ls) && lt_refit_loss_parse(ls->valuestring, &loss)));
  for (int k = 0; ok && k < LT_N_ATTRIBUTES; k++) {
    const cJSON *row = cJSON_GetArrayItem(ws, k);
    ok = cJSON_IsArray(row) && cJSON_GetArraySize(row) == 1 + n_in;
    for (int j = 0; ok && j < 1 + n_in; j++) {
      const cJSON *x = cJSON_GetArrayItem(row, j);
      ok = cJSON_IsNumber(x) && isfinite(x->valuedouble);
      if (ok) r->w[k][j] = x->valuedouble;
    }
  }
  for (int e = 0; ok && e < 2; e++) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, e ? "hi" : "lo");
    ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == n_in;
    for (int j = 0; ok && j < n_in; j++) {
      const cJSON *x = cJSON_GetArrayItem(a, j);
      ok = cJSON_IsNumber(x) && isfinite(x->valuedouble);
      if (ok) (e ? r->hi : r->lo)[j] = x->valuedouble;
    }
  }
  for (int j = 0; ok && j < n_in; j++) ok = r->lo[j] <= r->hi[j];
  if (ok) {
    r->lambda = lam->valuedouble;
    r->n_fit = (int)nf->valuedouble;
    r->n_measures = n_in - LT_N_ATTRIBUTES;
    r->loss = loss;
  }
  cJSON_Delete(o);
  if (!ok) {
    memset(r, 0, sizeof *r);
    return lt_error_set(err, "attribute refit: not a refit of version 3 (6 x %d finite weights, "
                        "%d input ranges), 2 (6 x %d, %d) or 1 (6 x %d, %d) with a squared or "
                        "absolute loss", 1 + LT_REFIT_N_IN, LT_REFIT_N_IN,
                        1 + LT_N_ATTRIBUTES + version_measures[2], LT_N_ATTRIBUTES + version_measures[2],
                        1 + LT_N_ATTRIBUTES + version_measures[1], LT_N_ATTRIBUTES + version_measures[1]);
  }
  return 0;
}
