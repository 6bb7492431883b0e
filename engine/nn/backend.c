/* engine/nn/backend.c — choosing a backend by name, and convolution shape arithmetic. */
#include "nn/backend.h"

#include <stdio.h>
#include <string.h>

static const char *const backend_names[] = {"cpu", "ref", NULL};

const char *const *lt_backend_names(void) { return backend_names; }

const lt_backend *lt_backend_get(const char *name, lt_error *err) {
  const lt_backend *be = NULL;
  if (name && strcmp(name, "cpu") == 0)
    be = &lt_backend_cpu;
  else if (name && strcmp(name, "ref") == 0)
    be = &lt_backend_ref;
  else if (name && strcmp(name, "cuda") == 0) {
    lt_error_set(err, "backend \"cuda\" is not built into this program");
    return NULL;
  } else {
    lt_error_set(err, "unknown backend \"%s\" (known: cpu, ref)", name ? name : "(null)");
    return NULL;
  }
  char info[256];
  if (be->probe(info, sizeof info, err) != 0) {
    lt_error_prefix(err, "backend %s", be->name);
    return NULL;
  }
  return be;
}

const lt_backend *lt_backend_default(void) { return &lt_backend_cpu; }

lt_conv_desc lt_conv_desc_make(lt_conv_kind kind, int n, int c_in, int c_out, int d, int h,
                               int w, int k, int stride) {
  lt_conv_desc desc;
  memset(&desc, 0, sizeof desc);
  desc.kind = kind;
  desc.n = n;
  desc.c_in = c_in;
  desc.c_out = c_out;
  desc.d = d;
  desc.h = h;
  desc.w = w;
  desc.k = k;
  desc.stride = stride;
  desc.pad = (kind == LT_CONV && k == 3) ? 1 : 0;
  return desc;
}

static int out_size(const lt_conv_desc *c, int in) {
  if (c->kind == LT_CONV_TRANSPOSED) return (in - 1) * c->stride - 2 * c->pad + c->k;
  return (in + 2 * c->pad - c->k) / c->stride + 1;
}

int lt_conv_desc_check(const lt_conv_desc *c, lt_error *err) {
  if (c->n <= 0 || c->c_in <= 0 || c->c_out <= 0 || c->d <= 0 || c->h <= 0 || c->w <= 0)
    return lt_error_set(err, "convolution sizes must be positive (n %d, c %d -> %d, %dx%dx%d)",
                        c->n, c->c_in, c->c_out, c->d, c->h, c->w);
  if (c->kind == LT_CONV) {
    int ok = (c->k == 3 && c->pad == 1 && (c->stride == 1 || c->stride == 2)) ||
             (c->k == 1 && c->pad == 0 && c->stride == 1);
    if (!ok)
      return lt_error_set(err, "unsupported convolution k %d stride %d pad %d", c->k, c->stride,
                          c->pad);
  } else if (c->kind == LT_CONV_TRANSPOSED) {
    if (c->k != 2 || c->stride != 2 || c->pad != 0)
      return lt_error_set(err, "unsupported transposed convolution k %d stride %d pad %d", c->k,
                          c->stride, c->pad);
  } else {
    return lt_error_set(err, "unknown convolution kind %d", (int)c->kind);
  }
  lt_shape in = lt_conv_in_shape(c), out = lt_conv_out_shape(c);
  if (!lt_shape_valid(in) || !lt_shape_valid(out))
    return lt_error_set(err, "convolution shape %dx%dx%d gives no output", c->d, c->h, c->w);
  if ((double)c->c_in * c->c_out * c->k * c->k * c->k > 1e9)
    return lt_error_set(err, "convolution weights too large");
  return 0;
}

lt_shape lt_conv_in_shape(const lt_conv_desc *c) {
  return lt_shape_make(c->n, c->d, c->h, c->w, c->c_in);
}

lt_shape lt_conv_out_shape(const lt_conv_desc *c) {
  return lt_shape_make(c->n, out_size(c, c->d), out_size(c, c->h), out_size(c, c->w), c->c_out);
}

size_t lt_conv_weight_count(const lt_conv_desc *c) {
  return (size_t)c->c_out * (size_t)c->c_in * (size_t)(c->k * c->k * c->k);
}

double lt_conv_flops(const lt_conv_desc *c) {
  lt_shape in = lt_conv_in_shape(c), out = lt_conv_out_shape(c);
  /* each (input, output, kernel tap) pair is one multiply-add; for a convolution that is the
   * output voxels times taps, for a transposed one the input voxels times taps */
  double vox = c->kind == LT_CONV_TRANSPOSED ? (double)lt_shape_spatial(in)
                                             : (double)lt_shape_spatial(out);
  return 2.0 * c->n * vox * c->c_in * c->c_out * c->k * c->k * c->k;
}
