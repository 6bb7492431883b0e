/* engine/nn/tensor.c — shape checks and tensor allocation through a backend. */
#include "nn/tensor.h"

#include <stdint.h>
#include <string.h>

#include "nn/backend.h"

int lt_shape_valid(lt_shape s) {
  int v[5] = {s.n, s.d, s.h, s.w, s.c};
  size_t count = 1;
  for (int i = 0; i < 5; i++) {
    if (v[i] <= 0) return 0;
    if (count > SIZE_MAX / sizeof(float) / (size_t)v[i]) return 0;
    count *= (size_t)v[i];
  }
  return 1;
}

int lt_tensor_alloc(lt_tensor *t, const lt_backend *be, lt_shape s, lt_error *err) {
  memset(t, 0, sizeof *t);
  if (!lt_shape_valid(s))
    return lt_error_set(err, "tensor shape (%d, %d, %d, %d, %d) is not valid", s.n, s.d, s.h,
                        s.w, s.c);
  size_t bytes = lt_shape_count(s) * sizeof(float);
  t->data = be->alloc(bytes);
  if (!t->data)
    return lt_error_set(err, "out of memory allocating a tensor of %zu bytes (%s backend)",
                        bytes, be->name);
  t->shape = s;
  return 0;
}

int lt_tensor_zeros(lt_tensor *t, const lt_backend *be, lt_shape s, lt_error *err) {
  if (lt_tensor_alloc(t, be, s, err) != 0) return -1;
  be->zero(t->data, lt_shape_count(s) * sizeof(float));
  return 0;
}

void lt_tensor_free(lt_tensor *t, const lt_backend *be) {
  if (t->data) be->free(t->data);
  memset(t, 0, sizeof *t);
}
