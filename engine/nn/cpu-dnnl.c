/* engine/nn/cpu-dnnl.c — every oneDNN call of LungTrust (see cpu-dnnl.h). */
#include "nn/cpu-dnnl.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/host-memory.h"

static dnnl_engine_t g_engine;
static dnnl_status_t g_engine_status = dnnl_runtime_error;
static pthread_once_t g_engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void) { g_engine_status = dnnl_engine_create(&g_engine, dnnl_cpu, 0); }

static dnnl_engine_t engine_get(lt_error *err) {
  pthread_once(&g_engine_once, engine_init);
  if (g_engine_status != dnnl_success) {
    lt_error_set(err, "oneDNN cpu engine: %s", dnnl_status2str(g_engine_status));
    return NULL;
  }
  return g_engine;
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
  case dnnl_cpu_isa_sse41: return "sse41";
  case dnnl_cpu_isa_avx: return "avx";
  case dnnl_cpu_isa_avx2: return "avx2";
  case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
  case dnnl_cpu_isa_avx512_core: return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
  default: return "other";
  }
}

int lt_dnnl_probe(char *info, size_t info_size, lt_error *err) {
  if (!engine_get(err)) return -1;
  const dnnl_version_t *v = dnnl_version();
  if (info && info_size)
    snprintf(info, info_size, "oneDNN %d.%d.%d, isa %s", v->major, v->minor, v->patch,
             isa_name(dnnl_get_effective_cpu_isa()));
  return 0;
}

struct lt_conv {
  lt_conv_desc desc;
  dnnl_stream_t stream;
  dnnl_primitive_t prim[3];           /* by lt_conv_pass; bwd ones NULL when forward_only */
  char impl[3][96];
  dnnl_memory_t x, y, b, w_canon;     /* user buffers: handles set in every call */
  dnnl_memory_t w_fwd, w_bwd, dw;     /* oneDNN layout weights (NULL: canonical is used) */
  dnnl_primitive_t to_fwd, to_bwd;    /* canonical -> w_fwd / w_bwd */
  dnnl_primitive_t from_dw;           /* dw -> canonical */
  dnnl_memory_t scratch[3];
  void *scratch_buf;
  void *w_fwd_buf, *w_bwd_buf, *dw_buf;
  /* transposed convolutions: forward and backward-weights as a 1x1x1 convolution C_in ->
   * 8 C_out on the input grid (a GEMM, 3-10x faster here than oneDNN's deconvolution), then a
   * scatter of its 8 taps to the doubled grid; backward-data stays oneDNN's (fast). */
  lt_conv *gemm;
  float *z;        /* (N, D, H, W, 8 C_out): tap-major channels t * C_out + co */
  float *wg, *dwg; /* (8 C_out, C_in) */
  float *bg, *dbg; /* (8 C_out): zeros; bias gradient per tap */
  /* 1x1x1 convolutions (the transposed ones' GEMMs, the heads): the weight gradient is one
   * matrix product dy^T x, which dnnl_sgemm runs faster than jit_1x1's backward-weights for
   * the thin and short ones (bench-conv, 2026-11-26: 16->1 at 64^3 1.26 -> 0.79 ms, U1's
   * 32->128 GEMM 4.4 -> 3.1 ms; 129->128 at 16^3 about even, 0.71 -> 0.77 ms) */
  int sgemm_bw;
  double *db_part; /* (SGEMM_BLOCKS, C_out) partial bias sums */
};

#define SGEMM_BLOCKS 16

#define CHK(call, what)                                                                     \
  do {                                                                                      \
    dnnl_status_t st_ = (call);                                                             \
    if (st_ != dnnl_success) {                                                              \
      lt_error_set(err, "oneDNN %s: %s", what, dnnl_status2str(st_));                       \
      goto fail;                                                                            \
    }                                                                                       \
  } while (0)

/* A failure after successful creation is a bug (or memory exhausted inside oneDNN). */
static void run(dnnl_primitive_t p, dnnl_stream_t s, int nargs, const dnnl_exec_arg_t *args) {
  dnnl_status_t st = dnnl_primitive_execute(p, s, nargs, args);
  if (st == dnnl_success) st = dnnl_stream_wait(s);
  if (st != dnnl_success) {
    fprintf(stderr, "lungtrust: oneDNN execution failed: %s\n", dnnl_status2str(st));
    abort();
  }
}

static void set_handle(dnnl_memory_t m, const void *p) {
  dnnl_status_t st = dnnl_memory_set_data_handle(m, (void *)p);
  if (st != dnnl_success) {
    fprintf(stderr, "lungtrust: oneDNN set_data_handle failed: %s\n", dnnl_status2str(st));
    abort();
  }
}

/* Makes the memory for a weights layout the primitive chose; when it differs from canonical,
 * a buffer and a reorder primitive between the two (direction to_chosen). */
static int weights_layout(dnnl_engine_t eng, const dnnl_memory_desc_t *canon,
                          const dnnl_memory_desc_t *chosen, int to_chosen, dnnl_memory_t *mem,
                          void **buf, dnnl_primitive_t *reorder, lt_error *err) {
  dnnl_primitive_desc_t rpd = NULL;
  if (dnnl_memory_desc_equal(canon, chosen)) return 0;
  size_t bytes = dnnl_memory_desc_get_size(chosen);
  *buf = lt_host_alloc(bytes);
  if (!*buf) return lt_error_set(err, "out of memory for convolution weights");
  CHK(dnnl_memory_create(mem, chosen, eng, *buf), "weights memory");
  if (to_chosen)
    CHK(dnnl_reorder_primitive_desc_create(&rpd, canon, eng, chosen, eng, NULL), "reorder");
  else
    CHK(dnnl_reorder_primitive_desc_create(&rpd, chosen, eng, canon, eng, NULL), "reorder");
  CHK(dnnl_primitive_create(reorder, rpd), "reorder primitive");
  dnnl_primitive_desc_destroy(rpd);
  return 0;
fail:
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  return -1;
}

int lt_dnnl_impl_acceptable(const char *impl) {
  return impl && impl[0] && strstr(impl, "ref") == NULL;
}

static const char *pass_name(int pass) {
  return pass == 0 ? "forward" : pass == 1 ? "backward-data" : "backward-weights";
}

/* The 1x1x1 convolution and buffers of a transposed convolution's GEMM path. */
static int gemm_create(lt_conv *c, lt_error *err) {
  const lt_conv_desc *d = &c->desc;
  int taps = d->k * d->k * d->k;
  lt_conv_desc g = lt_conv_desc_make(LT_CONV, d->n, d->c_in, taps * d->c_out, d->d, d->h, d->w,
                                     1, 1);
  g.forward_only = d->forward_only;
  if (lt_dnnl_conv_create(&c->gemm, &g, err) != 0) {
    lt_error_prefix(err, "transposed convolution as a GEMM");
    return -1;
  }
  size_t nz = lt_shape_count(lt_conv_out_shape(&g)), nw = lt_conv_weight_count(&g);
  c->z = lt_host_alloc(nz * sizeof(float));
  c->wg = lt_host_alloc(nw * sizeof(float));
  c->dwg = lt_host_alloc(nw * sizeof(float));
  c->bg = lt_host_alloc((size_t)g.c_out * sizeof(float));
  c->dbg = lt_host_alloc((size_t)g.c_out * sizeof(float));
  if (!c->z || !c->wg || !c->dwg || !c->bg || !c->dbg)
    return lt_error_set(err, "out of memory for a transposed convolution");
  memset(c->bg, 0, (size_t)g.c_out * sizeof(float));
  for (int p = 0; p < 3; p += 2) {
    char name[96];
    snprintf(name, sizeof name, "gemm+scatter(%s)", lt_dnnl_conv_impl(c->gemm, (lt_conv_pass)p));
    snprintf(c->impl[p], sizeof c->impl[p], "%s", name);
  }
  return 0;
}

int lt_dnnl_conv_create(lt_conv **out, const lt_conv_desc *desc, lt_error *err) {
  *out = NULL;
  if (lt_conv_desc_check(desc, err) != 0) return -1;
  dnnl_engine_t eng = engine_get(err);
  if (!eng) return -1;
  lt_conv *c = calloc(1, sizeof *c);
  if (!c) return lt_error_set(err, "out of memory");
  c->desc = *desc;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd[3] = {NULL, NULL, NULL};
  int transposed = desc->kind == LT_CONV_TRANSPOSED;
  lt_shape is = lt_conv_in_shape(desc), os = lt_conv_out_shape(desc);
  int k = desc->k;

  dnnl_dims_t src_dims = {is.n, is.c, is.d, is.h, is.w};
  dnnl_dims_t dst_dims = {os.n, os.c, os.d, os.h, os.w};
  dnnl_dims_t w_dims = {desc->c_out, desc->c_in, k, k, k};
  dnnl_dims_t b_dims = {desc->c_out};
  dnnl_dims_t strides = {desc->stride, desc->stride, desc->stride};
  dnnl_dims_t pad_l = {desc->pad, desc->pad, desc->pad};
  dnnl_dims_t pad_r;
  int in_sz[3] = {is.d, is.h, is.w}, out_sz[3] = {os.d, os.h, os.w};
  for (int i = 0; i < 3; i++)
    pad_r[i] = transposed ? (in_sz[i] - 1) * desc->stride + k - out_sz[i] - desc->pad
                          : (out_sz[i] - 1) * desc->stride + k - in_sz[i] - desc->pad;

  dnnl_memory_desc_t src_md, dst_md, w_any, w_canon, b_md;
  CHK(dnnl_memory_desc_init_by_tag(&src_md, 5, src_dims, dnnl_f32, dnnl_ndhwc), "src desc");
  CHK(dnnl_memory_desc_init_by_tag(&dst_md, 5, dst_dims, dnnl_f32, dnnl_ndhwc), "dst desc");
  CHK(dnnl_memory_desc_init_by_tag(&w_any, 5, w_dims, dnnl_f32, dnnl_format_tag_any), "w desc");
  CHK(dnnl_memory_desc_init_by_tag(&w_canon, 5, w_dims, dnnl_f32,
                                   transposed ? dnnl_iodhw : dnnl_oidhw), "w desc");
  CHK(dnnl_memory_desc_init_by_tag(&b_md, 1, b_dims, dnnl_f32, dnnl_x), "bias desc");

  CHK(dnnl_primitive_attr_create(&attr), "attr");
  CHK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "attr");

  dnnl_prop_kind_t prop = desc->forward_only ? dnnl_forward_inference : dnnl_forward_training;
  if (transposed) {
    dnnl_deconvolution_desc_t d;
    CHK(dnnl_deconvolution_forward_desc_init(&d, prop, dnnl_deconvolution_direct, &src_md, &w_any,
                                             &b_md, &dst_md, strides, pad_l, pad_r),
        "deconvolution desc");
    CHK(dnnl_primitive_desc_create(&pd[0], &d, attr, eng, NULL), "deconvolution forward");
    if (!desc->forward_only) {
      dnnl_deconvolution_desc_t bd, bw;
      CHK(dnnl_deconvolution_backward_data_desc_init(&bd, dnnl_deconvolution_direct, &src_md,
                                                     &w_any, &dst_md, strides, pad_l, pad_r),
          "deconvolution backward-data desc");
      CHK(dnnl_primitive_desc_create(&pd[1], &bd, attr, eng, pd[0]),
          "deconvolution backward-data");
      CHK(dnnl_deconvolution_backward_weights_desc_init(&bw, dnnl_deconvolution_direct, &src_md,
                                                        &w_any, &b_md, &dst_md, strides, pad_l,
                                                        pad_r),
          "deconvolution backward-weights desc");
      CHK(dnnl_primitive_desc_create(&pd[2], &bw, attr, eng, pd[0]),
          "deconvolution backward-weights");
    }
  } else {
    dnnl_convolution_desc_t d;
    CHK(dnnl_convolution_forward_desc_init(&d, prop, dnnl_convolution_direct, &src_md, &w_any,
                                           &b_md, &dst_md, strides, pad_l, pad_r),
        "convolution desc");
    CHK(dnnl_primitive_desc_create(&pd[0], &d, attr, eng, NULL), "convolution forward");
    if (!desc->forward_only) {
      dnnl_convolution_desc_t bd, bw;
      CHK(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src_md, &w_any,
                                                   &dst_md, strides, pad_l, pad_r),
          "convolution backward-data desc");
      CHK(dnnl_primitive_desc_create(&pd[1], &bd, attr, eng, pd[0]),
          "convolution backward-data");
      CHK(dnnl_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct, &src_md,
                                                      &w_any, &b_md, &dst_md, strides, pad_l,
                                                      pad_r),
          "convolution backward-weights desc");
      CHK(dnnl_primitive_desc_create(&pd[2], &bw, attr, eng, pd[0]),
          "convolution backward-weights");
    }
  }

  c->sgemm_bw = !transposed && k == 1 && desc->stride == 1 && desc->pad == 0 && pd[2];
  if (c->sgemm_bw &&
      !(c->db_part = lt_host_alloc((size_t)SGEMM_BLOCKS * desc->c_out * sizeof(double)))) {
    lt_error_set(err, "out of memory for a convolution's bias gradient");
    goto fail;
  }
  size_t scratch_bytes = 0;
  for (int p = 0; p < 3; p++) {
    if (!pd[p]) continue;
    const char *impl = NULL;
    CHK(dnnl_primitive_desc_query(pd[p], dnnl_query_impl_info_str, 0, &impl), "impl query");
    snprintf(c->impl[p], sizeof c->impl[p], "%s", impl ? impl : "unknown");
    if (!lt_dnnl_impl_acceptable(impl)) {
      lt_error_set(err,
                   "oneDNN has only a reference kernel (\"%s\") for the %s %s %d->%d at "
                   "%dx%dx%d (k %d, stride %d); refusing it (about 300x slower)",
                   c->impl[p], transposed ? "transposed convolution" : "convolution",
                   pass_name(p), desc->c_in, desc->c_out, desc->d, desc->h, desc->w, k,
                   desc->stride);
      goto fail;
    }
    if (p == 2 && c->sgemm_bw) snprintf(c->impl[p], sizeof c->impl[p], "sgemm:jit (dy^T x)");
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd[p], dnnl_query_scratchpad_md, 0);
    size_t sb = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (sb > scratch_bytes) scratch_bytes = sb;
  }
  if (scratch_bytes) {
    c->scratch_buf = lt_host_alloc(scratch_bytes);
    if (!c->scratch_buf) {
      lt_error_set(err, "out of memory for convolution scratch (%zu bytes)", scratch_bytes);
      goto fail;
    }
  }
  for (int p = 0; p < 3; p++) {
    if (!pd[p]) continue;
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd[p], dnnl_query_scratchpad_md, 0);
    if (smd && dnnl_memory_desc_get_size(smd) > 0)
      CHK(dnnl_memory_create(&c->scratch[p], smd, eng, c->scratch_buf), "scratch memory");
    CHK(dnnl_primitive_create(&c->prim[p], pd[p]), "primitive");
  }

  CHK(dnnl_memory_create(&c->x, &src_md, eng, DNNL_MEMORY_NONE), "memory");
  CHK(dnnl_memory_create(&c->y, &dst_md, eng, DNNL_MEMORY_NONE), "memory");
  CHK(dnnl_memory_create(&c->b, &b_md, eng, DNNL_MEMORY_NONE), "memory");
  CHK(dnnl_memory_create(&c->w_canon, &w_canon, eng, DNNL_MEMORY_NONE), "memory");
  if (weights_layout(eng, &w_canon, dnnl_primitive_desc_query_md(pd[0], dnnl_query_weights_md, 0),
                     1, &c->w_fwd, &c->w_fwd_buf, &c->to_fwd, err) != 0)
    goto fail;
  if (pd[1]) {
    if (weights_layout(eng, &w_canon,
                       dnnl_primitive_desc_query_md(pd[1], dnnl_query_weights_md, 0), 1,
                       &c->w_bwd, &c->w_bwd_buf, &c->to_bwd, err) != 0)
      goto fail;
    if (weights_layout(eng, &w_canon,
                       dnnl_primitive_desc_query_md(pd[2], dnnl_query_diff_weights_md, 0), 0,
                       &c->dw, &c->dw_buf, &c->from_dw, err) != 0)
      goto fail;
  }
  CHK(dnnl_stream_create(&c->stream, eng, dnnl_stream_default_flags), "stream");
  if (transposed && gemm_create(c, err) != 0) goto fail;

  for (int p = 0; p < 3; p++)
    if (pd[p]) dnnl_primitive_desc_destroy(pd[p]);
  dnnl_primitive_attr_destroy(attr);
  *out = c;
  return 0;
fail:
  for (int p = 0; p < 3; p++)
    if (pd[p]) dnnl_primitive_desc_destroy(pd[p]);
  if (attr) dnnl_primitive_attr_destroy(attr);
  lt_dnnl_conv_destroy(c);
  return -1;
}

void lt_dnnl_conv_destroy(lt_conv *c) {
  if (!c) return;
  for (int p = 0; p < 3; p++) {
    if (c->prim[p]) dnnl_primitive_destroy(c->prim[p]);
    if (c->scratch[p]) dnnl_memory_destroy(c->scratch[p]);
  }
  dnnl_primitive_t reorders[3] = {c->to_fwd, c->to_bwd, c->from_dw};
  for (int i = 0; i < 3; i++)
    if (reorders[i]) dnnl_primitive_destroy(reorders[i]);
  dnnl_memory_t mems[7] = {c->x, c->y, c->b, c->w_canon, c->w_fwd, c->w_bwd, c->dw};
  for (int i = 0; i < 7; i++)
    if (mems[i]) dnnl_memory_destroy(mems[i]);
  if (c->stream) dnnl_stream_destroy(c->stream);
  lt_host_free(c->scratch_buf);
  lt_host_free(c->w_fwd_buf);
  lt_host_free(c->w_bwd_buf);
  lt_host_free(c->dw_buf);
  lt_dnnl_conv_destroy(c->gemm);
  lt_host_free(c->z);
  lt_host_free(c->wg);
  lt_host_free(c->dwg);
  lt_host_free(c->bg);
  lt_host_free(c->dbg);
  lt_host_free(c->db_part);
  free(c);
}

const char *lt_dnnl_conv_impl(const lt_conv *c, lt_conv_pass pass) {
  if ((int)pass < 0 || (int)pass > 2 || !c->prim[pass]) return "none";
  return c->impl[pass];
}

/* Weights in the layout of a pass: the canonical ones reordered when the pass wants another. */
static dnnl_memory_t weights_for(lt_conv *c, const float *w, dnnl_memory_t chosen,
                                 dnnl_primitive_t reorder) {
  set_handle(c->w_canon, w);
  if (!chosen) return c->w_canon;
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, c->w_canon}, {DNNL_ARG_TO, chosen}};
  run(reorder, c->stream, 2, args);
  return chosen;
}

/* Canonical IODHW (C_in, C_out, taps) <-> the GEMM's OIDHW (taps * C_out, C_in). */
static void gemm_weights_in(const lt_conv *c, float *wg, const float *w) {
  int ci_n = c->desc.c_in, co_n = c->desc.c_out, taps = c->desc.k * c->desc.k * c->desc.k;
  for (int ci = 0; ci < ci_n; ci++)
    for (int co = 0; co < co_n; co++)
      for (int t = 0; t < taps; t++)
        wg[((size_t)t * co_n + co) * ci_n + ci] = w[((size_t)ci * co_n + co) * taps + t];
}

/* Visits the pairs (input voxel's tap t row of z, output voxel) of a k = stride = 2 transposed
 * convolution: output (2z + a, 2y + b, 2x + c) takes tap t = (a * 2 + b) * 2 + c of input
 * (z, y, x). With y: y = z + bias; else z = dy. */
static void gemm_shuffle(const lt_conv *c, float *y, const float *bias, const float *dy) {
  const lt_conv_desc *d = &c->desc;
  int co_n = d->c_out, D = d->d, H = d->h, W = d->w;
  size_t row = (size_t)8 * co_n;
  float *z = c->z;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < d->n; n++)
    for (int iz = 0; iz < D; iz++)
      for (int a = 0; a < 2; a++)
        for (int iy = 0; iy < H; iy++)
          for (int b = 0; b < 2; b++)
            for (int ix = 0; ix < W; ix++) {
              size_t zr = ((((size_t)n * D + iz) * H + iy) * W + ix) * row;
              size_t yo = ((((size_t)n * 2 * D + 2 * iz + a) * 2 * H + 2 * iy + b) * 2 * W +
                           2 * (size_t)ix) * (size_t)co_n;
              for (int cc = 0; cc < 2; cc++) {
                float *zp = z + zr + (size_t)((a * 2 + b) * 2 + cc) * co_n;
                if (y) {
                  float *yp = y + yo + (size_t)cc * co_n;
#pragma omp simd
                  for (int co = 0; co < co_n; co++) yp[co] = zp[co] + bias[co];
                } else {
                  const float *dyp = dy + yo + (size_t)cc * co_n;
#pragma omp simd
                  for (int co = 0; co < co_n; co++) zp[co] = dyp[co];
                }
              }
            }
}

void lt_dnnl_conv_forward(lt_conv *c, float *y, const float *x, const float *w, const float *b) {
  if (c->gemm) {
    gemm_weights_in(c, c->wg, w);
    lt_dnnl_conv_forward(c->gemm, c->z, x, c->wg, c->bg);
    gemm_shuffle(c, y, b, NULL);
    return;
  }
  dnnl_memory_t wm = weights_for(c, w, c->w_fwd, c->to_fwd);
  set_handle(c->x, x);
  set_handle(c->y, y);
  set_handle(c->b, b);
  dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, c->x}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, c->b},
                             {DNNL_ARG_DST, c->y}, {DNNL_ARG_SCRATCHPAD, c->scratch[0]}};
  run(c->prim[0], c->stream, c->scratch[0] ? 5 : 4, args);
}

void lt_dnnl_conv_backward_data(lt_conv *c, float *dx, const float *dy, const float *w) {
  if (!c->prim[1]) {
    fprintf(stderr, "lungtrust: backward pass on a forward-only convolution plan\n");
    abort();
  }
  dnnl_memory_t wm = weights_for(c, w, c->w_bwd, c->to_bwd);
  set_handle(c->x, dx);
  set_handle(c->y, dy);
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, c->y}, {DNNL_ARG_WEIGHTS, wm},
                             {DNNL_ARG_DIFF_SRC, c->x}, {DNNL_ARG_SCRATCHPAD, c->scratch[1]}};
  run(c->prim[1], c->stream, c->scratch[1] ? 4 : 3, args);
}

/* dw (C_out, C_in) = dy^T x over the V = N D H W voxels (both NDHWC, channels innermost, so
 * row-major V x C matrices); db = the column sums of dy, in double over fixed blocks of voxels
 * so that the sum does not depend on the number of threads. */
static void sgemm_backward_weights(lt_conv *c, float *dw, float *db, const float *dy,
                                   const float *x) {
  const lt_conv_desc *d = &c->desc;
  const long V = (long)d->n * d->d * d->h * d->w, co_n = d->c_out, ci_n = d->c_in;
  dnnl_status_t st = dnnl_sgemm('T', 'N', co_n, ci_n, V, 1.0f, dy, co_n, x, ci_n, 0.0f, dw, ci_n);
  if (st != dnnl_success) {
    fprintf(stderr, "lungtrust: oneDNN sgemm failed: %s\n", dnnl_status2str(st));
    abort();
  }
#pragma omp parallel for schedule(static) if (V * co_n > 32768)
  for (int b = 0; b < SGEMM_BLOCKS; b++) {
    double *p = c->db_part + b * co_n;
    for (long o = 0; o < co_n; o++) p[o] = 0;
    for (long v = V * b / SGEMM_BLOCKS; v < V * (b + 1) / SGEMM_BLOCKS; v++) {
      const float *r = dy + v * co_n;
#pragma omp simd
      for (long o = 0; o < co_n; o++) p[o] += r[o];
    }
  }
  for (long o = 0; o < co_n; o++) {
    double acc = 0;
    for (int b = 0; b < SGEMM_BLOCKS; b++) acc += c->db_part[b * co_n + o];
    db[o] = (float)acc;
  }
}

void lt_dnnl_conv_backward_weights(lt_conv *c, float *dw, float *db, const float *dy,
                                   const float *x) {
  if (!c->prim[2]) {
    fprintf(stderr, "lungtrust: backward pass on a forward-only convolution plan\n");
    abort();
  }
  if (c->gemm) {
    gemm_shuffle(c, NULL, NULL, dy);
    lt_dnnl_conv_backward_weights(c->gemm, c->dwg, c->dbg, c->z, x);
    int ci_n = c->desc.c_in, co_n = c->desc.c_out, taps = 8;
    for (int ci = 0; ci < ci_n; ci++)
      for (int co = 0; co < co_n; co++)
        for (int t = 0; t < taps; t++)
          dw[((size_t)ci * co_n + co) * taps + t] = c->dwg[((size_t)t * co_n + co) * ci_n + ci];
    for (int co = 0; co < co_n; co++) {
      float acc = 0;
      for (int t = 0; t < taps; t++) acc += c->dbg[t * co_n + co];
      db[co] = acc;
    }
    return;
  }
  if (c->sgemm_bw) {
    sgemm_backward_weights(c, dw, db, dy, x);
    return;
  }
  set_handle(c->x, x);
  set_handle(c->y, dy);
  set_handle(c->b, db);
  set_handle(c->w_canon, dw);
  dnnl_memory_t dwm = c->dw ? c->dw : c->w_canon;
  dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, c->x}, {DNNL_ARG_DIFF_DST, c->y},
                             {DNNL_ARG_DIFF_WEIGHTS, dwm}, {DNNL_ARG_DIFF_BIAS, c->b},
                             {DNNL_ARG_SCRATCHPAD, c->scratch[2]}};
  run(c->prim[2], c->stream, c->scratch[2] ? 5 : 4, args);
  if (c->dw) {
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, c->dw}, {DNNL_ARG_TO, c->w_canon}};
    run(c->from_dw, c->stream, 2, r);
  }
}
