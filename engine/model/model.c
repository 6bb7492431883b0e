/* engine/model/model.c — see model.h. The trunk is a list of nodes (convolution + GroupNorm +
 * ReLU, skip additions, the segmentation head, pooling, concatenation) over activations that
 * each own a value and, when training, a gradient buffer; backward walks the list in reverse,
 * and an activation read by several nodes sums its gradients. */
#include "model/model.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/patch.h"
#include "model/heads.h"
#include "lt-log.h"
#include "nn/backend-select.h"

#define MAX_ACTS 96
#define MAX_NODES 64

typedef struct {
  float *v, *g;
  lt_shape s;
  int g_set;   /* the gradient holds a first contribution */
  int need_g;  /* some node upstream has parameters (i.e. not the input) */
} act;

/* N_ADD_RELU: a residual block's out = relu(in0 + in1), pre holding the sum. */
typedef enum { N_CONV_GN, N_ADD, N_SEG, N_POOL, N_CONCAT, N_ADD_RELU } node_kind;

typedef struct {
  node_kind kind;
  int in[3], n_in;
  int pre, out;      /* activation indices (pre: conv output before GN, or seg logits) */
  lt_conv *conv;
  lt_conv_desc desc;
  size_t w, b, gamma, beta; /* offsets in the parameter block */
  float *mean, *rstd;
  int groups;
  int relu; /* N_CONV_GN: GroupNorm then ReLU (1) or GroupNorm alone (0: before a skip sum) */
} node;

struct lt_model {
  lt_model_config cfg;
  const lt_backend *be;
  lt_param_table table;
  float *params, *grads;
  int batch, training;
  act acts[MAX_ACTS];
  int n_acts;
  node nodes[MAX_NODES];
  int n_nodes;
  int a_input, a_seg, a_f;
  int a_pooled;        /* the segmentation on the fusion grid (collaborative), else -1 */
  float *scratch;      /* largest activation: gradient contributions to add */
  float *h, *dh;       /* (batch, K) pooled f and its gradient */
  float *hin, *dhin;   /* (batch, Kin) the heads' input and its gradient: h itself, or with
                        * mask_pool [h; f's mean inside the nodule] */
  lt_heads heads;
  float *g, *u, *du, *cam, *p, *dg; /* per-sample debug work: (batch, K) g; N-sized rest */
  float *dbg_du;       /* (batch, N): debug dL/du scaled, for the f gradient */
  float *dbg_g;        /* (batch, K): g of each sample with a debug term */
  int *dbg_on;         /* (batch) */
  int n_cells, K, S;
  bool has_refit;      /* the attribute scores are refitted after the heads (refit.h) */
  lt_attr_refit refit;
  int *refit_clipped;  /* (batch) the refit's inputs held at their range's edge, as bits */
};

static int new_act(lt_model *m, lt_shape s, int need_g, lt_error *err) {
  if (m->n_acts == MAX_ACTS) return lt_error_set(err, "model: too many activations"), -1;
  act *a = &m->acts[m->n_acts];
  memset(a, 0, sizeof *a);
  a->s = s;
  a->need_g = need_g;
  size_t bytes = lt_shape_count(s) * sizeof(float);
  a->v = m->be->alloc(bytes);
  if (!a->v) return lt_error_set(err, "model: out of memory for activations"), -1;
  if (m->training && need_g) {
    a->g = m->be->alloc(bytes);
    if (!a->g) return lt_error_set(err, "model: out of memory for gradients"), -1;
  }
  return m->n_acts++;
}

static size_t off(const lt_model *m, const char *name) {
  int i = lt_param_find(&m->table, name);
  assert(i >= 0);
  return m->table.v[i].offset;
}

static node *new_node(lt_model *m, node_kind kind) {
  assert(m->n_nodes < MAX_NODES);
  node *n = &m->nodes[m->n_nodes++];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->pre = n->out = -1;
  return n;
}

/* Convolution (kind, k, stride) + GroupNorm + ReLU named prefix; returns the output act. */
static int add_conv_gn(lt_model *m, const char *prefix, int in, lt_conv_kind kind, int cout,
                       int k, int stride, lt_error *err) {
  char name[64];
  lt_shape s = m->acts[in].s;
  node *n = new_node(m, N_CONV_GN);
  n->in[0] = in;
  n->n_in = 1;
  n->desc = lt_conv_desc_make(kind, s.n, s.c, cout, s.d, s.h, s.w, k, stride);
  n->desc.forward_only = !m->training;
  if (m->be->conv_create(&n->conv, &n->desc, err)) return lt_error_prefix(err, "%s", prefix), -1;
  lt_shape o = lt_conv_out_shape(&n->desc);
  snprintf(name, sizeof name, "%s.conv.weight", prefix);
  n->w = off(m, name);
  snprintf(name, sizeof name, "%s.conv.bias", prefix);
  n->b = off(m, name);
  snprintf(name, sizeof name, "%s.gn.weight", prefix);
  n->gamma = off(m, name);
  snprintf(name, sizeof name, "%s.gn.bias", prefix);
  n->beta = off(m, name);
  n->groups = m->cfg.groups;
  n->relu = 1;
  n->mean = m->be->alloc((size_t)s.n * (size_t)n->groups * sizeof(float));
  n->rstd = m->be->alloc((size_t)s.n * (size_t)n->groups * sizeof(float));
  if (!n->mean || !n->rstd) return lt_error_set(err, "model: out of memory"), -1;
  if ((n->pre = new_act(m, o, 1, err)) < 0) return -1;
  if ((n->out = new_act(m, o, 1, err)) < 0) return -1;
  return n->out;
}

static int add_add(lt_model *m, int a, int b, lt_error *err) {
  node *n = new_node(m, N_ADD);
  n->in[0] = a;
  n->in[1] = b;
  n->n_in = 2;
  if ((n->out = new_act(m, m->acts[a].s, 1, err)) < 0) return -1;
  return n->out;
}

/* Convolution + GroupNorm without ReLU (the last of a residual branch, or its projection). */
static int add_conv_gn_plain(lt_model *m, const char *prefix, int in, int cout, int k,
                             int stride, lt_error *err) {
  int x = add_conv_gn(m, prefix, in, LT_CONV, cout, k, stride, err);
  if (x >= 0) m->nodes[m->n_nodes - 1].relu = 0;
  return x;
}

static int add_pool(lt_model *m, int in, int k, lt_error *err) {
  lt_shape s = m->acts[in].s;
  node *n = new_node(m, N_POOL);
  n->in[0] = in;
  n->n_in = 1;
  return (n->out = new_act(m, lt_shape_make(s.n, s.d / k, s.h / k, s.w / k, s.c), 1, err));
}

static int add_add_relu(lt_model *m, int a, int b, lt_error *err) {
  node *n = new_node(m, N_ADD_RELU);
  n->in[0] = a;
  n->in[1] = b;
  n->n_in = 2;
  if ((n->pre = new_act(m, m->acts[a].s, 1, err)) < 0) return -1;
  return (n->out = new_act(m, m->acts[a].s, 1, err));
}

/* The ResNet baseline (params.h): f is the last block's output, (S/4)^3 x 8w. */
static int build_resnet(lt_model *m, lt_error *err) {
  const lt_model_config *c = &m->cfg;
  const int w = c->width;
  const int wid[4] = {w, 2 * w, 4 * w, 8 * w}, stride[4] = {1, 2, 2, 1};
  char name[32];
  int x = add_conv_gn(m, "stem", m->a_input, LT_CONV, wid[0], 3, 1, err);
  for (int s = 0; s < 4 && x >= 0; s++) {
    snprintf(name, sizeof name, "r%d.conv1", s + 1);
    int y = add_conv_gn(m, name, x, LT_CONV, wid[s], 3, stride[s], err);
    snprintf(name, sizeof name, "r%d.conv2", s + 1);
    if (y >= 0) y = add_conv_gn_plain(m, name, y, wid[s], 3, 1, err);
    int sc = x;
    if (y >= 0 && m->acts[x].s.c != wid[s]) {
      if (stride[s] == 2) sc = add_pool(m, x, 2, err);
      snprintf(name, sizeof name, "r%d.proj", s + 1);
      if (sc >= 0) sc = add_conv_gn_plain(m, name, sc, wid[s], 1, 1, err);
    }
    x = y >= 0 && sc >= 0 ? add_add_relu(m, y, sc, err) : -1;
  }
  if (x < 0) return -1;
  m->a_seg = -1;
  m->a_pooled = -1;
  m->a_f = x;
  return 0;
}

static int build(lt_model *m, lt_error *err) {
  const lt_model_config *c = &m->cfg;
  const int w = c->width, S = c->input_size, B = m->batch;
  const int wid[4] = {w, 2 * w, 4 * w, 8 * w};
  char name[32];
  m->a_input = new_act(m, lt_shape_make(B, S, S, S, c->in_channels), 0, err);
  if (m->a_input < 0) return -1;
  if (c->arch == LT_ARCH_RESNET) return build_resnet(m, err);
  int e[4], x = m->a_input;
  for (int s = 0; s < 4; s++) {
    for (int i = 0; i <= c->stage_convs[s]; i++) {
      snprintf(name, sizeof name, "e%d.%d", s + 1, i);
      x = add_conv_gn(m, name, x, LT_CONV, wid[s], 3, (s > 0 && i == 0) ? 2 : 1, err);
      if (x < 0) return -1;
    }
    e[s] = x;
  }
  /* Decoder */
  if ((x = add_conv_gn(m, "up3", e[3], LT_CONV_TRANSPOSED, wid[2], 2, 2, err)) < 0) return -1;
  if ((x = add_add(m, x, e[2], err)) < 0) return -1;
  for (int i = 0; i < c->dec_convs[0]; i++) {
    snprintf(name, sizeof name, "d3.%d", i);
    if ((x = add_conv_gn(m, name, x, LT_CONV, wid[2], 3, 1, err)) < 0) return -1;
  }
  int d3 = x;
  if ((x = add_conv_gn(m, "up2", d3, LT_CONV_TRANSPOSED, wid[1], 2, 2, err)) < 0) return -1;
  if ((x = add_add(m, x, e[1], err)) < 0) return -1;
  for (int i = 0; i < c->dec_convs[1]; i++) {
    snprintf(name, sizeof name, "d2.%d", i);
    if ((x = add_conv_gn(m, name, x, LT_CONV, wid[1], 3, 1, err)) < 0) return -1;
  }
  if ((x = add_conv_gn(m, "up1", x, LT_CONV_TRANSPOSED, wid[0], 2, 2, err)) < 0) return -1;
  if ((x = add_add(m, x, e[0], err)) < 0) return -1;
  /* Segmentation head: 1x1x1 conv w -> 1, sigmoid. */
  node *n = new_node(m, N_SEG);
  n->in[0] = x;
  n->n_in = 1;
  n->desc = lt_conv_desc_make(LT_CONV, B, wid[0], 1, S, S, S, 1, 1);
  n->desc.forward_only = !m->training;
  if (m->be->conv_create(&n->conv, &n->desc, err)) return lt_error_prefix(err, "seg"), -1;
  n->w = off(m, "seg.weight");
  n->b = off(m, "seg.bias");
  if ((n->pre = new_act(m, lt_shape_make(B, S, S, S, 1), 1, err)) < 0) return -1;
  if ((n->out = new_act(m, lt_shape_make(B, S, S, S, 1), 1, err)) < 0) return -1;
  m->a_seg = n->out;
  /* Pool the segmentation to the fusion grid. */
  const int F = S / 4;
  n = new_node(m, N_POOL);
  n->in[0] = m->a_seg;
  n->n_in = 1;
  if ((n->out = new_act(m, lt_shape_make(B, F, F, F, 1), 1, err)) < 0) return -1;
  int pooled = m->a_pooled = n->out;
  n = new_node(m, N_CONCAT);
  n->in[0] = e[2];
  n->in[1] = d3;
  n->in[2] = pooled;
  n->n_in = 3;
  if ((n->out = new_act(m, lt_shape_make(B, F, F, F, 2 * wid[2] + 1), 1, err)) < 0) return -1;
  if ((m->a_f = add_conv_gn(m, "fuse", n->out, LT_CONV, wid[3], 1, 1, err)) < 0) return -1;
  return 0;
}

int lt_model_create_auto(lt_model **out, const lt_model_config *c, int batch, bool training,
                         lt_error *err) {
  const lt_backend *be = lt_backend_select_auto(), *cpu = lt_backend_default();
  int rc = lt_model_create(out, c, be, batch, training, err);
  if (rc == 0 || be == cpu) return rc;
  lt_engine_log("the %s backend cannot hold the model (%s); running on the CPU, which is slower",
                be->name, err->msg);
  return lt_model_create(out, c, cpu, batch, training, err);
}

int lt_model_create_from_weights(lt_model **out, const lt_weights *w, lt_error *err) {
  if (lt_model_create_auto(out, &w->config, 1, false, err)) return -1;
  memcpy(lt_model_params(*out), w->params, lt_model_table(*out)->total * sizeof(float));
  if (w->has_refit && lt_model_set_attr_refit(*out, &w->refit, err)) {
    lt_model_free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

void lt_model_free(lt_model *m) {
  if (!m) return;
  free(m->refit_clipped);
  const lt_backend *be = m->be;
  for (int i = 0; i < m->n_nodes; i++) {
    be->conv_destroy(m->nodes[i].conv);
    be->free(m->nodes[i].mean);
    be->free(m->nodes[i].rstd);
  }
  for (int i = 0; i < m->n_acts; i++) {
    be->free(m->acts[i].v);
    be->free(m->acts[i].g);
  }
  be->free(m->params);
  be->free(m->grads);
  be->free(m->scratch);
  if (m->hin != m->h) free(m->hin);
  if (m->dhin != m->dh) free(m->dhin);
  free(m->h);
  free(m->dh);
  free(m->heads.a);
  free(m->heads.c);
  free(m->heads.z);
  free(m->heads.x);
  free(m->heads.attrs);
  free(m->heads.scratch);
  free(m->g);
  free(m->u);
  free(m->du);
  free(m->cam);
  free(m->p);
  free(m->dg);
  free(m->dbg_du);
  free(m->dbg_g);
  free(m->dbg_on);
  lt_param_table_free(&m->table);
  free(m);
}

int lt_model_create(lt_model **out, const lt_model_config *c, const lt_backend *be, int batch,
                    bool training, lt_error *err) {
  *out = NULL;
  if (lt_model_config_validate(c, err)) return -1;
  if (batch < 1 || batch > 1024) return lt_error_set(err, "model: batch %d out of range", batch);
  if (c->arch == LT_ARCH_RESNET && (!be->gn_forward || !be->gn_backward))
    return lt_error_set(err, "model: backend %s has no plain GroupNorm, which the ResNet needs",
                        be->name);
  lt_model *m = calloc(1, sizeof *m);
  if (!m) return lt_error_set(err, "model: out of memory");
  m->cfg = *c;
  m->be = be;
  m->batch = batch;
  m->training = training;
  m->S = c->input_size;
  m->K = lt_model_config_fusion_channels(c);
  int F = lt_model_config_fusion_side(c);
  m->n_cells = F * F * F;
  if (lt_param_table_build(&m->table, c, err)) goto fail;
  size_t pbytes = m->table.total * sizeof(float);
  m->params = be->alloc(pbytes);
  if (training) m->grads = be->alloc(pbytes);
  if (!m->params || (training && !m->grads)) {
    lt_error_set(err, "model: out of memory for parameters");
    goto fail;
  }
  be->zero(m->params, pbytes);
  if (training) be->zero(m->grads, pbytes);
  if (build(m, err)) goto fail;
  size_t maxc = 0;
  for (int i = 0; i < m->n_acts; i++)
    if (lt_shape_count(m->acts[i].s) > maxc) maxc = lt_shape_count(m->acts[i].s);
  const int K = m->K, H = c->hidden, N = m->n_cells, na = lt_model_config_n_attr(c);
  m->scratch = training ? be->alloc(maxc * sizeof(float)) : NULL;
  m->h = calloc((size_t)batch * K, sizeof(float));
  m->dh = calloc((size_t)batch * K, sizeof(float));
  const int Kin = lt_model_config_head_inputs(c);
  m->hin = Kin == K ? m->h : calloc((size_t)batch * Kin, sizeof(float));
  m->dhin = Kin == K ? m->dh : calloc((size_t)batch * Kin, sizeof(float));
  m->heads.a = calloc((size_t)batch * H, sizeof(float));
  m->heads.c = calloc((size_t)batch * H, sizeof(float));
  m->heads.z = calloc((size_t)batch, sizeof(float));
  m->heads.x = calloc((size_t)batch, sizeof(float));
  m->heads.attrs = calloc((size_t)batch * (na ? na : 1), sizeof(float));
  m->heads.scratch = calloc(2 * (size_t)H, sizeof(double));
  m->g = calloc((size_t)K, sizeof(float));
  m->dg = calloc((size_t)K, sizeof(float));
  m->u = calloc((size_t)N, sizeof(float));
  m->du = calloc((size_t)N, sizeof(float));
  m->cam = calloc((size_t)N, sizeof(float));
  m->p = calloc((size_t)N, sizeof(float));
  m->dbg_du = calloc((size_t)batch * N, sizeof(float));
  m->dbg_g = calloc((size_t)batch * K, sizeof(float));
  m->dbg_on = calloc((size_t)batch, sizeof(int));
  if ((training && !m->scratch) || !m->h || !m->dh || !m->hin || !m->dhin || !m->heads.a ||
      !m->heads.c || !m->heads.z || !m->heads.x || !m->heads.attrs || !m->heads.scratch || !m->g ||
      !m->dg || !m->u || !m->du || !m->cam || !m->p || !m->dbg_du || !m->dbg_g || !m->dbg_on) {
    lt_error_set(err, "model: out of memory");
    goto fail;
  }
  /* Keep the cache pointers across the bind. */
  lt_heads keep = m->heads;
  lt_heads_bind(&m->heads, c, &m->table, m->params, m->grads);
  m->heads.a = keep.a;
  m->heads.c = keep.c;
  m->heads.z = keep.z;
  m->heads.x = keep.x;
  m->heads.attrs = keep.attrs;
  m->heads.scratch = keep.scratch;
  *out = m;
  return 0;
fail:
  lt_model_free(m);
  return -1;
}

const lt_model_config *lt_model_config_of(const lt_model *m) { return &m->cfg; }
const lt_param_table *lt_model_table(const lt_model *m) { return &m->table; }
float *lt_model_params(lt_model *m) { return m->params; }
float *lt_model_grads(lt_model *m) { return m->grads; }
const float *lt_model_relu_output(const lt_model *m, int j, size_t *count, size_t *params_end) {
  for (int i = 0; i < m->n_nodes; i++) {
    const node *nd = &m->nodes[i];
    if (nd->kind != N_CONV_GN || !nd->relu || j-- > 0) continue;
    const act *o = &m->acts[nd->out];
    *count = lt_shape_count(o->s);
    *params_end = (size_t)nd->beta + (size_t)o->s.c; /* gn.bias, the layer's last tensor */
    return o->v;
  }
  return NULL;
}

int lt_model_cam_cells(const lt_model *m) { return m->n_cells; }

double lt_model_forward_flops(const lt_model *m) {
  double f = 0;
  for (int i = 0; i < m->n_nodes; i++)
    if (m->nodes[i].conv) f += lt_conv_flops(&m->nodes[i].desc);
  return f;
}

/* mask_pool (config.h): y = sum_q w_q f_q / W, w_q = the pooled segmentation + 1e-6, W = sum w.
 * The 1e-6 keeps W > 0 when the segmentation underflows, and keeps sum_q w_q / W exactly 1, so
 * the Grad-CAM fold of heads.h stays exact. On the host, like the heads: (S/4)^3 x 8w values. */
#define MASK_POOL_FLOOR 1e-6

/* out[k] = sum_q (w[q] + w_add) f[q, k] / div, summed in double: f's channels weighted over the
 * cells. The debug term's dL/dg and mask pooling's forward. */
static void cells_weighted_sum(float *out, const float *w, double w_add, double div,
                               const float *f, int N, int K) {
  for (int k = 0; k < K; k++) {
    double acc = 0;
    for (int q = 0; q < N; q++) acc += ((double)w[q] + w_add) * f[(size_t)q * K + k];
    out[k] = (float)(acc / div);
  }
}

/* fg[q, k] += u[q] v[k]: a rank-one gradient into f (the debug term, mask pooling). */
static void add_outer(float *fg, const float *u, const float *v, int N, int K) {
  for (int q = 0; q < N; q++)
    for (int k = 0; k < K; k++) fg[(size_t)q * K + k] += u[q] * v[k];
}

static double mask_pool_weight(const float *s, int N) {
  double W = 0;
  for (int q = 0; q < N; q++) W += (double)s[q] + MASK_POOL_FLOOR;
  return W;
}

static void mask_pool_forward(lt_model *m, int n) {
  const int N = m->n_cells, K = m->K;
  const float *fv = m->acts[m->a_f].v, *sv = m->acts[m->a_pooled].v;
  for (int i = 0; i < n; i++) {
    const float *fi = fv + (size_t)i * N * K, *si = sv + (size_t)i * N;
    float *hi = m->hin + (size_t)i * 2 * K;
    memcpy(hi, m->h + (size_t)i * K, (size_t)K * sizeof *hi);
    cells_weighted_sum(hi + K, si, MASK_POOL_FLOOR, mask_pool_weight(si, N), fi, N, K);
  }
}

/* dL/df_q += (w_q / W) dL/dy; dL/dw_q = sum_k dL/dy_k (f_qk - y_k) / W into the pooled
 * segmentation's gradient, its first contribution (the concatenation's comes later). */
static void mask_pool_backward(lt_model *m, int n) {
  const int N = m->n_cells, K = m->K;
  act *f = &m->acts[m->a_f], *sp = &m->acts[m->a_pooled];
  for (int i = 0; i < n; i++) {
    const float *fi = f->v + (size_t)i * N * K, *si = sp->v + (size_t)i * N;
    const float *y = m->hin + (size_t)i * 2 * K + K, *dy = m->dhin + (size_t)i * 2 * K + K;
    float *sg = sp->g + (size_t)i * N, *a = m->u; /* u: the debug term's scratch, free here */
    const double W = mask_pool_weight(si, N);
    for (int q = 0; q < N; q++) {
      a[q] = (float)(((double)si[q] + MASK_POOL_FLOOR) / W);
      const float *fq = fi + (size_t)q * K;
      double d = 0;
      for (int k = 0; k < K; k++) d += (double)dy[k] * (fq[k] - y[k]);
      sg[q] = (float)(d / W);
    }
    add_outer(f->g + (size_t)i * N * K, a, dy, N, K);
  }
  sp->g_set = 1;
}

void lt_model_forward(lt_model *m, const float *x, int n) { lt_model_forward_patch(m, x, NULL, n); }

void lt_model_forward_patch(lt_model *m, const float *x, const float *lung, int n) {
  assert(n == m->batch);
  const lt_backend *be = m->be;
  act *in = &m->acts[m->a_input];
  be->copy(in->v, x, lt_shape_count(in->s) * sizeof(float), LT_COPY_HOST_TO_DEVICE);
  const float *P = m->params;
  for (int i = 0; i < m->n_nodes; i++) {
    node *nd = &m->nodes[i];
    act *o = &m->acts[nd->out];
    switch (nd->kind) {
    case N_CONV_GN: {
      act *pre = &m->acts[nd->pre];
      be->conv_forward(nd->conv, pre->v, m->acts[nd->in[0]].v, P + nd->w, P + nd->b);
      (nd->relu ? be->gn_relu_forward : be->gn_forward)(o->v, nd->mean, nd->rstd, pre->v,
                                                        P + nd->gamma, P + nd->beta, o->s.n,
                                                        (int)lt_shape_spatial(o->s), o->s.c,
                                                        nd->groups);
      break;
    }
    case N_ADD_RELU: {
      act *pre = &m->acts[nd->pre];
      be->add(pre->v, m->acts[nd->in[0]].v, m->acts[nd->in[1]].v, lt_shape_count(o->s));
      be->relu_forward(o->v, pre->v, lt_shape_count(o->s));
      break;
    }
    case N_ADD:
      be->add(o->v, m->acts[nd->in[0]].v, m->acts[nd->in[1]].v, lt_shape_count(o->s));
      break;
    case N_SEG: {
      act *pre = &m->acts[nd->pre];
      be->conv_forward(nd->conv, pre->v, m->acts[nd->in[0]].v, P + nd->w, P + nd->b);
      be->sigmoid_forward(o->v, pre->v, lt_shape_count(o->s));
      break;
    }
    case N_POOL: {
      act *a = &m->acts[nd->in[0]];
      be->avg_pool_forward(o->v, a->v, a->s.n, a->s.d, a->s.h, a->s.w, a->s.c, a->s.d / o->s.d);
      break;
    }
    case N_CONCAT: {
      const float *xs[3];
      int cs[3];
      for (int k = 0; k < nd->n_in; k++) {
        xs[k] = m->acts[nd->in[k]].v;
        cs[k] = m->acts[nd->in[k]].s.c;
      }
      be->concat_forward(o->v, xs, cs, nd->n_in, (size_t)o->s.n * lt_shape_spatial(o->s));
      break;
    }
    }
  }
  act *f = &m->acts[m->a_f];
  be->global_avg_pool_forward(m->h, f->v, n, m->n_cells, m->K);
  if (m->cfg.mask_pool) mask_pool_forward(m, n);
  lt_heads_forward(&m->heads, m->hin, n);
  /* the segmentation is in host-visible memory, as for mask pooling; the CT measures are taken
   * only for a refit that reads them */
  const bool reads_ct = m->has_refit && lt_attr_refit_reads_ct(&m->refit);
  if (m->has_refit && (lung || !reads_ct)) {
    const size_t S3 = (size_t)m->S * m->S * m->S;
    for (int i = 0; i < n; i++) {
      double measures[LT_REFIT_N_MEASURES];
      const int C = m->cfg.in_channels;
      lt_refit_measures(measures, x + (size_t)i * S3 * (size_t)C, C, lt_model_seg(m, i), m->S,
                        reads_ct ? lung + (size_t)i * LT_PATCH_VOXELS : NULL);
      m->refit_clipped[i] =
          lt_attr_refit_apply(&m->refit, m->heads.attrs + (size_t)i * LT_N_ATTRIBUTES, measures);
    }
  } else if (m->has_refit) {
    memset(m->refit_clipped, 0, (size_t)n * sizeof *m->refit_clipped);
  }
}

int lt_model_set_attr_refit(lt_model *m, const lt_attr_refit *r, lt_error *err) {
  if (m->training)
    return lt_error_set(err, "model: the attribute refit is for inference; training needs the "
                             "heads' own scores");
  if (!lt_attr_refit_allowed(&m->cfg))
    return lt_error_set(err, "model: an attribute refit needs the six attributes and a "
                             "segmentation");
  if (!m->refit_clipped && !(m->refit_clipped = calloc((size_t)m->batch, sizeof(int))))
    return lt_error_set(err, "model: out of memory");
  m->refit = *r;
  m->has_refit = true;
  return 0;
}

int lt_model_attr_refit_clipped(const lt_model *m, int i) {
  return m->has_refit ? m->refit_clipped[i] : 0;
}

float lt_model_prob(const lt_model *m, int i) { return m->heads.x[i]; }
float lt_model_logit(const lt_model *m, int i) { return m->heads.z[i]; }
const float *lt_model_attrs(const lt_model *m, int i) {
  return m->heads.attrs + (size_t)i * lt_model_config_n_attr(&m->cfg);
}
const float *lt_model_seg(const lt_model *m, int i) {
  if (m->a_seg < 0) return NULL;
  return m->acts[m->a_seg].v + (size_t)i * m->S * m->S * m->S;
}
const float *lt_model_fusion(const lt_model *m, int i) {
  return m->acts[m->a_f].v + (size_t)i * m->n_cells * m->K;
}

void lt_model_g(const lt_model *m, int i, float *g) { lt_heads_g(&m->heads, i, g); }

static float cam_sign(float x) { return x >= 0.5f ? 1.0f : -1.0f; }

int lt_model_cam(const lt_model *m, int i, float *cam) {
  float *g = malloc((size_t)m->K * sizeof *g), *u = malloc((size_t)m->n_cells * sizeof *u);
  int rc = -1;
  if (g && u) {
    lt_heads_g(&m->heads, i, g);
    lt_cam_weighted_sum(u, lt_model_fusion(m, i), g, m->n_cells, m->K);
    rc = lt_cam_minmax(cam, NULL, NULL, NULL, u, cam_sign(m->heads.x[i]), m->n_cells);
  } else {
    memset(cam, 0, (size_t)m->n_cells * sizeof *cam);
  }
  free(g);
  free(u);
  return rc;
}

/* Adds a gradient contribution: the first one is written in place, later ones through scratch. */
static float *grad_target(lt_model *m, act *a) { return a->g_set ? m->scratch : a->g; }
static void grad_commit(lt_model *m, act *a) {
  if (a->g_set) m->be->add(a->g, a->g, m->scratch, lt_shape_count(a->s));
  a->g_set = 1;
}

static int debug_applies(const lt_model_config *c, const lt_sample_labels *l) {
  if (c->debug == LT_DEBUG_OFF || c->debug_weight == 0) return 0;
  return c->debug_on == LT_DEBUG_ON_ALL || (c->debug_on == LT_DEBUG_ON_SURE) == l->sure;
}

int lt_model_backward(lt_model *m, const lt_sample_labels *labels, lt_loss_terms *terms,
                      lt_error *err) {
  if (!m->training) return lt_error_set(err, "model: created for inference; no backward");
  const lt_backend *be = m->be;
  const lt_model_config *c = &m->cfg;
  const int n = m->batch, K = m->K, N = m->n_cells, S = m->S, na = lt_model_config_n_attr(c);
  const size_t S3 = (size_t)S * S * S;
  const float inv_n = 1.0f / (float)n;
  lt_loss_terms t;
  memset(&t, 0, sizeof t);
  for (int i = 0; i < m->n_acts; i++) m->acts[i].g_set = 0;
  lt_heads_zero_grads(&m->heads);

  act *seg = m->a_seg >= 0 ? &m->acts[m->a_seg] : NULL;
  act *f = &m->acts[m->a_f];
  float dattr[LT_N_ATTRIBUTES];
  for (int i = 0; i < n; i++) {
    const lt_sample_labels *l = &labels[i];
    const float z = m->heads.z[i], x = m->heads.x[i];
    float dz = 0;
    if (l->has_label) {
      float d;
      t.bce += lt_loss_bce(z, l->label, &d);
      t.n_bce++;
      dz += d * inv_n;
    }
    const float *dat = NULL;
    if (l->has_ratings && na > 0) {
      const float *target = na == 1 ? &l->ratings[LT_N_ATTRIBUTES - 1] : l->ratings;
      t.mse += lt_loss_mse(lt_model_attrs(m, i), target, na, dattr);
      t.n_mse++;
      for (int o = 0; o < na; o++) dattr[o] *= (float)c->attr_weight * inv_n;
      dat = dattr;
    }
    float *dseg = seg ? seg->g + (size_t)i * S3 : NULL;
    if (!seg) {
      /* no segmentation head: a mask is the debug term's nodule only */
    } else if (l->mask) {
      t.dice += lt_loss_dice(lt_model_seg(m, i), l->mask, S3, c->dice_smooth, dseg);
      t.n_dice++;
      for (size_t v = 0; v < S3; v++) dseg[v] *= inv_n;
    } else {
      memset(dseg, 0, S3 * sizeof *dseg);
    }
    const float *dg = NULL;
    m->dbg_on[i] = 0;
    if (debug_applies(c, l)) {
      const float *fi = lt_model_fusion(m, i);
      float *g = m->dbg_g + (size_t)i * K;
      lt_heads_g(&m->heads, i, g);
      lt_cam_weighted_sum(m->u, fi, g, N, K);
      double sp = 0;
      if (seg) {
        lt_mask_fraction(m->p, lt_model_seg(m, i), S, 4);
        for (int k = 0; k < N; k++) sp += m->p[k];
      } else {
        memset(m->p, 0, (size_t)N * sizeof *m->p); /* no prediction: the annotated nodule */
      }
      if (sp == 0 && l->nodule_mask) {
        lt_mask_fraction(m->p, l->nodule_mask, S, 4);
        t.n_debug_fallback++;
      }
      const float s = cam_sign(x);
      const double coef = fabs((double)x - 0.5);
      lt_debug_result r;
      lt_loss_debug(&r, m->du, m->cam, m->u, s, m->p, N, c->lambda, coef);
      if (r.status == LT_DEBUG_APPLIED) {
        t.debug += r.loss;
        t.n_debug_applied++;
        const float scale = (float)c->debug_weight * inv_n;
        float *du = m->dbg_du + (size_t)i * N;
        for (int k = 0; k < N; k++) du[k] = m->du[k] * scale;
        cells_weighted_sum(m->dg, du, 0, 1, fi, N, K);
        dg = m->dg;
        m->dbg_on[i] = 1;
        if (c->debug_coef_grad) {
          /* d|x - 0.5|/dz = sign(x - 0.5) x (1 - x) */
          dz += scale * (float)(r.hinge * (x >= 0.5f ? 1.0 : -1.0) * x * (1.0 - x));
        }
      } else if (r.status == LT_DEBUG_HINGE_ZERO) {
        t.n_debug_zero++;
      } else {
        t.n_debug_skipped++;
      }
    }
    const size_t Kin = (size_t)m->heads.Kin;
    lt_heads_backward(&m->heads, i, m->hin + i * Kin, dz, dat, dg, m->dhin + i * Kin);
  }
  if (seg) seg->g_set = 1;
  if (c->mask_pool) /* the first half of each sample's dL/dh is the mean's */
    for (int i = 0; i < n; i++)
      memcpy(m->dh + (size_t)i * K, m->dhin + (size_t)i * 2 * K, (size_t)K * sizeof(float));
  be->global_avg_pool_backward(f->g, m->dh, n, N, K);
  if (c->mask_pool) mask_pool_backward(m, n);
  for (int i = 0; i < n; i++) {
    if (!m->dbg_on[i]) continue;
    add_outer(f->g + (size_t)i * N * K, m->dbg_du + (size_t)i * N, m->dbg_g + (size_t)i * K, N, K);
  }
  f->g_set = 1;

  const float *P = m->params;
  float *G = m->grads;
  for (int i = m->n_nodes - 1; i >= 0; i--) {
    node *nd = &m->nodes[i];
    act *o = &m->acts[nd->out];
    assert(o->g_set);
    switch (nd->kind) {
    case N_CONV_GN: {
      act *pre = &m->acts[nd->pre], *in = &m->acts[nd->in[0]];
      if (nd->relu)
        be->gn_relu_backward(pre->g, G + nd->gamma, G + nd->beta, o->g, o->v, pre->v, nd->mean,
                             nd->rstd, P + nd->gamma, o->s.n, (int)lt_shape_spatial(o->s),
                             o->s.c, nd->groups);
      else
        be->gn_backward(pre->g, G + nd->gamma, G + nd->beta, o->g, pre->v, nd->mean, nd->rstd,
                        P + nd->gamma, o->s.n, (int)lt_shape_spatial(o->s), o->s.c, nd->groups);
      be->conv_backward_weights(nd->conv, G + nd->w, G + nd->b, pre->g, in->v);
      if (in->need_g) {
        be->conv_backward_data(nd->conv, grad_target(m, in), pre->g, P + nd->w);
        grad_commit(m, in);
      }
      break;
    }
    case N_ADD:
    case N_ADD_RELU: {
      const float *d = o->g;
      if (nd->kind == N_ADD_RELU) {
        act *pre = &m->acts[nd->pre];
        be->relu_backward(pre->g, o->g, o->v, lt_shape_count(o->s));
        d = pre->g;
      }
      for (int k = 0; k < 2; k++) {
        act *in = &m->acts[nd->in[k]];
        if (!in->need_g) continue;
        be->copy(grad_target(m, in), d, lt_shape_count(o->s) * sizeof(float),
                 LT_COPY_DEVICE_TO_DEVICE);
        grad_commit(m, in);
      }
      break;
    }
    case N_SEG: {
      act *pre = &m->acts[nd->pre], *in = &m->acts[nd->in[0]];
      be->sigmoid_backward(pre->g, o->g, o->v, lt_shape_count(o->s));
      be->conv_backward_weights(nd->conv, G + nd->w, G + nd->b, pre->g, in->v);
      be->conv_backward_data(nd->conv, grad_target(m, in), pre->g, P + nd->w);
      grad_commit(m, in);
      break;
    }
    case N_POOL: {
      act *in = &m->acts[nd->in[0]];
      be->avg_pool_backward(grad_target(m, in), o->g, in->s.n, in->s.d, in->s.h, in->s.w, in->s.c,
                            in->s.d / o->s.d);
      grad_commit(m, in);
      break;
    }
    case N_CONCAT: {
      /* One input at a time through scratch, so a gradient already present is summed. */
      int cs[3];
      for (int k = 0; k < nd->n_in; k++) cs[k] = m->acts[nd->in[k]].s.c;
      for (int k = 0; k < nd->n_in; k++) {
        act *in = &m->acts[nd->in[k]];
        float *dxs[3] = {NULL, NULL, NULL};
        dxs[k] = grad_target(m, in);
        be->concat_backward(dxs, o->g, cs, nd->n_in, (size_t)o->s.n * lt_shape_spatial(o->s));
        grad_commit(m, in);
      }
      break;
    }
    }
  }
  t.total = (t.bce + t.dice + c->attr_weight * t.mse + c->debug_weight * t.debug) / n;
  if (terms) *terms = t;
  return 0;
}
