/* engine/model/heads.c — see heads.h. Plain loops accumulating in double: the heads are
 * about 100 k multiply-adds, nothing next to the trunk. */
#include "model/heads.h"

#include <math.h>
#include <string.h>

static const float *pp(const lt_param_table *t, const float *block, const char *name) {
  int i = lt_param_find(t, name);
  return i < 0 ? NULL : block + t->v[i].offset;
}

static float *gp(const lt_param_table *t, float *block, const char *name) {
  int i = lt_param_find(t, name);
  return i < 0 || !block ? NULL : block + t->v[i].offset;
}

void lt_heads_bind(lt_heads *hd, const lt_model_config *cfg, const lt_param_table *t,
                   const float *params, float *grads) {
  hd->K = lt_model_config_fusion_channels(cfg);
  hd->Kin = lt_model_config_head_inputs(cfg);
  hd->H = cfg->hidden;
  hd->na = lt_model_config_n_attr(cfg);
  hd->concat = cfg->concat;
  hd->cam = cfg->debug == LT_DEBUG_CAM;
  hd->Wr1 = pp(t, params, "reg1.weight");
  hd->br1 = pp(t, params, "reg1.bias");
  hd->Wr2 = pp(t, params, "reg2.weight");
  hd->br2 = pp(t, params, "reg2.bias");
  hd->Wc1 = pp(t, params, hd->cam ? "cls.weight" : "cls1.weight");
  hd->bc1 = pp(t, params, hd->cam ? "cls.bias" : "cls1.bias");
  hd->Wc2 = pp(t, params, "cls2.weight");
  hd->bc2 = pp(t, params, "cls2.bias");
  hd->dWr1 = gp(t, grads, "reg1.weight");
  hd->dbr1 = gp(t, grads, "reg1.bias");
  hd->dWr2 = gp(t, grads, "reg2.weight");
  hd->dbr2 = gp(t, grads, "reg2.bias");
  hd->dWc1 = gp(t, grads, hd->cam ? "cls.weight" : "cls1.weight");
  hd->dbc1 = gp(t, grads, hd->cam ? "cls.bias" : "cls1.bias");
  hd->dWc2 = gp(t, grads, "cls2.weight");
  hd->dbc2 = gp(t, grads, "cls2.bias");
}

static float dense_relu(const float *W, const float *b, const float *h, int j, int K) {
  double s = b[j];
  const float *row = W + (size_t)j * K;
  for (int k = 0; k < K; k++) s += (double)row[k] * h[k];
  return s > 0 ? (float)s : 0.0f;
}

void lt_heads_forward(lt_heads *hd, const float *h, int n) {
  const int K = hd->Kin, H = hd->H, na = hd->na;
  for (int i = 0; i < n; i++) {
    const float *hi = h + (size_t)i * K;
    float *a = hd->a + (size_t)i * H, *c = hd->c + (size_t)i * H;
    if (na > 0) {
      for (int j = 0; j < H; j++) a[j] = dense_relu(hd->Wr1, hd->br1, hi, j, K);
      for (int o = 0; o < na; o++) {
        double s = hd->br2[o];
        for (int j = 0; j < H; j++) s += (double)hd->Wr2[(size_t)o * H + j] * a[j];
        hd->attrs[(size_t)i * na + o] = (float)s;
      }
    }
    double z;
    if (hd->cam) {
      z = hd->bc1[0];
      for (int k = 0; k < K; k++) z += (double)hd->Wc1[k] * hi[k];
    } else {
      for (int j = 0; j < H; j++) c[j] = dense_relu(hd->Wc1, hd->bc1, hi, j, K);
      z = hd->bc2[0];
      for (int j = 0; j < H; j++) z += (double)hd->Wc2[j] * c[j];
      if (hd->concat)
        for (int j = 0; j < H; j++) z += (double)hd->Wc2[H + j] * a[j];
    }
    hd->z[i] = (float)z;
    hd->x[i] = (float)(1.0 / (1.0 + exp(-z)));
  }
}

void lt_heads_g(const lt_heads *hd, int i, float *g) {
  const int K = hd->K, Kin = hd->Kin, H = hd->H;
  if (hd->cam) { /* mask_pool is refused with CAM, so Kin == K */
    memcpy(g, hd->Wc1, (size_t)K * sizeof *g);
    return;
  }
  const float *a = hd->a + (size_t)i * H, *c = hd->c + (size_t)i * H;
  for (int k = 0; k < K; k++) {
    double s = 0;
    for (int kk = k; kk < Kin; kk += K) /* dz/dh_k + dz/dh_{K+k}: see heads.h */
      for (int j = 0; j < H; j++) {
        if (c[j] > 0) s += (double)hd->Wc1[(size_t)j * Kin + kk] * hd->Wc2[j];
        if (hd->concat && a[j] > 0) s += (double)hd->Wr1[(size_t)j * Kin + kk] * hd->Wc2[H + j];
      }
    g[k] = (float)s;
  }
}

static void zero(float *p, size_t n) {
  if (p) memset(p, 0, n * sizeof *p);
}

void lt_heads_zero_grads(lt_heads *hd) {
  const size_t K = (size_t)hd->Kin, H = (size_t)hd->H, na = (size_t)hd->na;
  zero(hd->dWr1, H * K);
  zero(hd->dbr1, H);
  zero(hd->dWr2, na * H);
  zero(hd->dbr2, na);
  zero(hd->dWc1, hd->cam ? K : H * K);
  zero(hd->dbc1, hd->cam ? 1 : H);
  zero(hd->dWc2, hd->concat ? 2 * H : H);
  zero(hd->dbc2, 1);
}

void lt_heads_backward(lt_heads *hd, int i, const float *h, float dz, const float *dattrs,
                       const float *dg, float *dh) {
  /* K here is the input width; dg has f's Kf channels, and input kk's share of g_{kk mod Kf}
   * gives it dL/dg_{kk mod Kf} (the fold of lt_heads_g). */
  const int K = hd->Kin, Kf = hd->K, H = hd->H, na = hd->na;
  const float *a = hd->a + (size_t)i * H, *c = hd->c + (size_t)i * H;
  double *dar = hd->scratch, *dcr = hd->scratch + H; /* masked pre-activation gradients */
  if (hd->cam) {
    /* z = wcls . h + bcls, g = wcls: dL/dwcls = dz h + dL/dg. */
    for (int k = 0; k < K; k++) {
      hd->dWc1[k] += dz * h[k] + (dg ? dg[k % Kf] : 0.0f);
      dh[k] = dz * hd->Wc1[k];
    }
    hd->dbc1[0] += dz;
  } else {
    hd->dbc2[0] += dz;
  }
  for (int j = 0; j < H; j++) {
    double da = 0;
    dcr[j] = 0;
    if (!hd->cam) {
      hd->dWc2[j] += dz * c[j];
      dcr[j] = c[j] > 0 ? (double)dz * hd->Wc2[j] : 0.0;
    }
    if (hd->concat) {
      hd->dWc2[H + j] += dz * a[j];
      da += (double)dz * hd->Wc2[H + j];
    }
    if (na > 0 && dattrs)
      for (int o = 0; o < na; o++) da += (double)hd->Wr2[(size_t)o * H + j] * dattrs[o];
    dar[j] = na > 0 && a[j] > 0 ? da : 0.0;
  }
  if (na > 0 && dattrs)
    for (int o = 0; o < na; o++) {
      hd->dbr2[o] += dattrs[o];
      for (int j = 0; j < H; j++) hd->dWr2[(size_t)o * H + j] += dattrs[o] * a[j];
    }
  /* Debug term: dL/dwcc[j] += mc_j sum_k Wc1[j,k] dg_k; dL/dWc1[j,k] += dg_k wcc_j mc_j
   * (and the same with Wr1, wca, ma under concatenation). */
  for (int j = 0; j < H; j++) {
    if (!hd->cam) {
      const float *wc = hd->Wc1 + (size_t)j * K;
      float *dwc = hd->dWc1 + (size_t)j * K;
      double gc = (c[j] > 0 && dg) ? hd->Wc2[j] : 0.0;
      double acc_c = 0;
      for (int k = 0; k < K; k++) {
        dwc[k] += (float)(dcr[j] * h[k] + gc * (dg ? dg[k % Kf] : 0.0f));
        if (gc != 0) acc_c += (double)wc[k] * dg[k % Kf];
      }
      if (gc != 0) hd->dWc2[j] += (float)acc_c;
      hd->dbc1[j] += (float)dcr[j];
    }
    if (na > 0) {
      const float *wr = hd->Wr1 + (size_t)j * K;
      float *dwr = hd->dWr1 + (size_t)j * K;
      double ga = (hd->concat && a[j] > 0 && dg) ? hd->Wc2[H + j] : 0.0;
      double acc_a = 0;
      for (int k = 0; k < K; k++) {
        dwr[k] += (float)(dar[j] * h[k] + ga * (dg ? dg[k % Kf] : 0.0f));
        if (ga != 0) acc_a += (double)wr[k] * dg[k % Kf];
      }
      if (ga != 0) hd->dWc2[H + j] += (float)acc_a;
      hd->dbr1[j] += (float)dar[j];
    }
  }
  for (int k = 0; k < K; k++) {
    double s = hd->cam ? dh[k] : 0.0;
    for (int j = 0; j < H; j++) {
      if (!hd->cam) s += dcr[j] * hd->Wc1[(size_t)j * K + k];
      if (na > 0) s += dar[j] * hd->Wr1[(size_t)j * K + k];
    }
    dh[k] = (float)s;
  }
}
