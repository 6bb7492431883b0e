/* engine/nn/ref-backend.c — the "ref" backend: the float reference layers of ref-kernels.inc
 * behind the backend table. A convolution plan is a copy of its desc. Only tests select it. */
#include <stdio.h>
#include <stdlib.h>

#include "nn/backend.h"
#include "nn/host-memory.h"
#include "nn/ref-kernels.h"

struct lt_conv {
  lt_conv_desc desc;
};

static int ref_probe(char *info, size_t info_size, lt_error *err) {
  (void)err;
  if (info && info_size) snprintf(info, info_size, "reference loops (tests only)");
  return 0;
}

static int ref_conv_create(lt_conv **out, const lt_conv_desc *desc, lt_error *err) {
  *out = NULL;
  if (lt_conv_desc_check(desc, err) != 0) return -1;
  lt_conv *c = calloc(1, sizeof *c);
  if (!c) return lt_error_set(err, "out of memory");
  c->desc = *desc;
  *out = c;
  return 0;
}

static void ref_conv_destroy(lt_conv *c) { free(c); }

static const char *ref_conv_impl(const lt_conv *c, lt_conv_pass pass) {
  (void)c;
  (void)pass;
  return "ref";
}

static void ref_conv_forward(lt_conv *c, float *y, const float *x, const float *w,
                             const float *b) {
  lt_ref_f32_conv_forward(&c->desc, y, x, w, b);
}

static void ref_conv_backward_data(lt_conv *c, float *dx, const float *dy, const float *w) {
  lt_ref_f32_conv_backward_data(&c->desc, dx, dy, w);
}

static void ref_conv_backward_weights(lt_conv *c, float *dw, float *db, const float *dy,
                                      const float *x) {
  lt_ref_f32_conv_backward_weights(&c->desc, dw, db, dy, x);
}

const lt_backend lt_backend_ref = {
    .name = "ref",
    .probe = ref_probe,
    .alloc = lt_host_alloc,
    .free = lt_host_free,
    .copy = lt_host_copy,
    .zero = lt_host_zero,
    .sync = lt_host_sync,
    .conv_create = ref_conv_create,
    .conv_destroy = ref_conv_destroy,
    .conv_impl = ref_conv_impl,
    .conv_forward = ref_conv_forward,
    .conv_backward_data = ref_conv_backward_data,
    .conv_backward_weights = ref_conv_backward_weights,
    .gn_relu_forward = lt_ref_f32_gn_relu_forward,
    .gn_relu_backward = lt_ref_f32_gn_relu_backward,
    .global_avg_pool_forward = lt_ref_f32_global_avg_pool_forward,
    .global_avg_pool_backward = lt_ref_f32_global_avg_pool_backward,
    .avg_pool_forward = lt_ref_f32_avg_pool_forward,
    .avg_pool_backward = lt_ref_f32_avg_pool_backward,
    .fc_forward = lt_ref_f32_fc_forward,
    .fc_backward = lt_ref_f32_fc_backward,
    .relu_forward = lt_ref_f32_relu_forward,
    .relu_backward = lt_ref_f32_relu_backward,
    .sigmoid_forward = lt_ref_f32_sigmoid_forward,
    .sigmoid_backward = lt_ref_f32_sigmoid_backward,
    .add = lt_ref_f32_add,
    .concat_forward = lt_ref_f32_concat_forward,
    .concat_backward = lt_ref_f32_concat_backward,
    .gn_forward = lt_ref_f32_gn_forward,
    .gn_backward = lt_ref_f32_gn_backward,
};
