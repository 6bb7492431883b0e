/* engine/model/params.c — see params.h. The order and names here are the architecture of
 * DESIGN section 3; model.c and tests/reference/model.py follow the same names. */
#include "model/params.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  lt_param_table *t;
  int cap;
  int failed;
} builder;

static void add(builder *b, lt_param_kind kind, int fan_in, int ndim, const int *shape,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add(builder *b, lt_param_kind kind, int fan_in, int ndim, const int *shape,
                const char *fmt, ...) {
  if (b->failed) return;
  lt_param_table *t = b->t;
  if (t->n == b->cap) {
    int cap = b->cap ? 2 * b->cap : 64;
    lt_param_view *v = realloc(t->v, (size_t)cap * sizeof *v);
    if (!v) {
      b->failed = 1;
      return;
    }
    t->v = v;
    b->cap = cap;
  }
  lt_param_view *p = &t->v[t->n++];
  memset(p, 0, sizeof *p);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->name, sizeof p->name, fmt, ap);
  va_end(ap);
  p->kind = kind;
  p->ndim = ndim;
  p->count = 1;
  for (int i = 0; i < ndim; i++) {
    p->shape[i] = shape[i];
    p->count *= (size_t)shape[i];
  }
  p->fan_in = fan_in;
  p->offset = t->total;
  t->total += (p->count + 15) & ~(size_t)15;
}

static void conv_gn(builder *b, const char *prefix, int cin, int cout, int k) {
  int s[5] = {cout, cin, k, k, k};
  add(b, LT_PK_CONV, cin * k * k * k, 5, s, "%s.conv.weight", prefix);
  int g[1] = {cout};
  add(b, LT_PK_BIAS, 0, 1, g, "%s.conv.bias", prefix);
  add(b, LT_PK_GN_GAMMA, 0, 1, g, "%s.gn.weight", prefix);
  add(b, LT_PK_GN_BETA, 0, 1, g, "%s.gn.bias", prefix);
}

static void tconv_gn(builder *b, const char *prefix, int cin, int cout) {
  int s[5] = {cin, cout, 2, 2, 2};
  add(b, LT_PK_TCONV, cin, 5, s, "%s.conv.weight", prefix); /* each output sees cin inputs */
  int g[1] = {cout};
  add(b, LT_PK_BIAS, 0, 1, g, "%s.conv.bias", prefix);
  add(b, LT_PK_GN_GAMMA, 0, 1, g, "%s.gn.weight", prefix);
  add(b, LT_PK_GN_BETA, 0, 1, g, "%s.gn.bias", prefix);
}

static void fc(builder *b, const char *prefix, int in, int out, lt_param_kind kind) {
  int s[2] = {out, in};
  add(b, kind, in, 2, s, "%s.weight", prefix);
  int o[1] = {out};
  add(b, LT_PK_BIAS, 0, 1, o, "%s.bias", prefix);
}

/* The ResNet baseline (params.h): stem, then one residual block per stage. */
static void resnet_trunk(builder *b, const lt_model_config *c, const int *wid) {
  char name[32];
  conv_gn(b, "stem", c->in_channels, wid[0], 3);
  for (int s = 0; s < 4; s++) {
    int cin = s == 0 ? wid[0] : wid[s - 1];
    snprintf(name, sizeof name, "r%d.conv1", s + 1);
    conv_gn(b, name, cin, wid[s], 3);
    snprintf(name, sizeof name, "r%d.conv2", s + 1);
    conv_gn(b, name, wid[s], wid[s], 3);
    if (cin != wid[s]) {
      snprintf(name, sizeof name, "r%d.proj", s + 1);
      conv_gn(b, name, cin, wid[s], 1);
    }
  }
}

int lt_param_table_build(lt_param_table *t, const lt_model_config *c, lt_error *err) {
  memset(t, 0, sizeof *t);
  if (lt_model_config_validate(c, err)) return -1;
  builder b = {t, 0, 0};
  const int w = c->width;
  const int wid[4] = {w, 2 * w, 4 * w, 8 * w};
  char name[32];
  if (c->arch == LT_ARCH_RESNET) {
    resnet_trunk(&b, c, wid);
    goto heads;
  }
  /* Encoder */
  for (int s = 0; s < 4; s++) {
    int cin = s == 0 ? c->in_channels : wid[s - 1];
    for (int i = 0; i <= c->stage_convs[s]; i++) {
      snprintf(name, sizeof name, "e%d.%d", s + 1, i);
      conv_gn(&b, name, i == 0 ? cin : wid[s], wid[s], 3);
    }
  }
  /* Decoder: up3 (8w -> 4w, 16^3), d3 convs; up2 (4w -> 2w, 32^3), d2 convs; up1 (2w -> w). */
  tconv_gn(&b, "up3", wid[3], wid[2]);
  for (int i = 0; i < c->dec_convs[0]; i++) {
    snprintf(name, sizeof name, "d3.%d", i);
    conv_gn(&b, name, wid[2], wid[2], 3);
  }
  tconv_gn(&b, "up2", wid[2], wid[1]);
  for (int i = 0; i < c->dec_convs[1]; i++) {
    snprintf(name, sizeof name, "d2.%d", i);
    conv_gn(&b, name, wid[1], wid[1], 3);
  }
  tconv_gn(&b, "up1", wid[1], wid[0]);
  {
    int s[5] = {1, w, 1, 1, 1};
    add(&b, LT_PK_FC_OUT, w, 5, s, "seg.weight");
    int o[1] = {1};
    add(&b, LT_PK_BIAS, 0, 1, o, "seg.bias");
  }
  /* Fusion: 1x1x1 over concat(E3, D3, pooled segmentation) -> 8w */
  conv_gn(&b, "fuse", wid[2] + wid[2] + 1, wid[3], 1);
heads:;
  /* Heads */
  /* K: the heads' input, f's mean (and with mask_pool its mean inside the nodule) */
  const int K = lt_model_config_head_inputs(c), Hd = c->hidden, na = lt_model_config_n_attr(c);
  if (na > 0) {
    fc(&b, "reg1", K, Hd, LT_PK_FC_RELU);
    fc(&b, "reg2", Hd, na, LT_PK_FC_OUT);
  }
  if (c->debug == LT_DEBUG_CAM) {
    fc(&b, "cls", K, 1, LT_PK_FC_OUT);
  } else {
    fc(&b, "cls1", K, Hd, LT_PK_FC_RELU);
    fc(&b, "cls2", c->concat ? 2 * Hd : Hd, 1, LT_PK_FC_OUT);
  }
  if (b.failed) {
    lt_param_table_free(t);
    return lt_error_set(err, "out of memory building the parameter table");
  }
  return 0;
}

void lt_param_table_free(lt_param_table *t) {
  free(t->v);
  memset(t, 0, sizeof *t);
}

int lt_param_find(const lt_param_table *t, const char *name) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->v[i].name, name)) return i;
  return -1;
}

float *lt_param_block_new(const lt_param_table *t) {
  size_t bytes = (t->total ? t->total : 16) * sizeof(float);
  bytes = (bytes + 63) & ~(size_t)63;
  float *p = aligned_alloc(64, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void lt_rng_seed(lt_rng *r, uint64_t seed) { r->s = seed; }

uint64_t lt_rng_next(lt_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double lt_rng_uniform(lt_rng *r) { return (double)(lt_rng_next(r) >> 11) * 0x1.0p-53; }

double lt_rng_normal(lt_rng *r) {
  double u1 = lt_rng_uniform(r), u2 = lt_rng_uniform(r);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void lt_param_init(const lt_param_table *t, float *block, uint64_t seed) {
  lt_rng r;
  lt_rng_seed(&r, seed);
  memset(block, 0, t->total * sizeof *block);
  for (int i = 0; i < t->n; i++) {
    const lt_param_view *p = &t->v[i];
    float *x = block + p->offset;
    double sd = 0;
    switch (p->kind) {
    case LT_PK_CONV:
    case LT_PK_TCONV:
    case LT_PK_FC_RELU: sd = sqrt(2.0 / p->fan_in); break;
    case LT_PK_FC_OUT: sd = sqrt(1.0 / p->fan_in); break;
    case LT_PK_GN_GAMMA:
      for (size_t k = 0; k < p->count; k++) x[k] = 1.0f;
      continue;
    case LT_PK_GN_BETA:
    case LT_PK_BIAS: continue;
    }
    for (size_t k = 0; k < p->count; k++) x[k] = (float)(sd * lt_rng_normal(&r));
  }
}
