/* engine/train/transfer.c — see transfer.h. */
#include "train/transfer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Index of dst's view v in src's table when name and shape match, else -1. */
static int match(const lt_param_view *v, const lt_param_table *src) {
  const int k = lt_param_find(src, v->name);
  if (k < 0)
    return -1;
  const lt_param_view *s = &src->v[k];
  if (s->ndim != v->ndim || s->count != v->count)
    return -1;
  for (int d = 0; d < v->ndim; d++)
    if (s->shape[d] != v->shape[d])
      return -1;
  return k;
}

int lt_transfer_count(const lt_param_table *dst, const lt_weights *src) {
  int n = 0;
  for (int i = 0; i < dst->n; i++)
    n += match(&dst->v[i], &src->table) >= 0;
  return n;
}

static void shape_str(char *buf, size_t n, const lt_param_view *v) {
  size_t at = 0;
  buf[0] = 0;
  for (int d = 0; d < v->ndim && at < n; d++)
    at += (size_t)snprintf(buf + at, n - at, "%s%d", d ? "x" : "", v->shape[d]);
}

int lt_transfer_copy(const lt_param_table *dst, float *block, const lt_weights *src,
                     const char *src_name, lt_error *err) {
  const char *nm = src_name ? src_name : "the initial weights";
  for (int i = 0; i < dst->n; i++) {
    const lt_param_view *v = &dst->v[i];
    if (v->name[0] != 'e' || !isdigit((unsigned char)v->name[1]) || match(v, &src->table) >= 0)
      continue;
    const int k = lt_param_find(&src->table, v->name);
    if (k < 0)
      return lt_error_set(err, "%s does not fit this model: it has no encoder tensor '%s'", nm,
                          v->name);
    char a[64], b[64];
    shape_str(a, sizeof a, &src->table.v[k]);
    shape_str(b, sizeof b, v);
    return lt_error_set(err, "%s does not fit this model: encoder tensor '%s' is %s there, %s here",
                        nm, v->name, a, b);
  }
  int n = 0;
  for (int i = 0; i < dst->n; i++) {
    const int k = match(&dst->v[i], &src->table);
    if (k < 0)
      continue;
    memcpy(block + dst->v[i].offset, src->params + src->table.v[k].offset,
           dst->v[i].count * sizeof *block);
    n++;
  }
  if (n == 0)
    return lt_error_set(err, "%s shares no parameter (name and shape) with this model", nm);
  return n;
}
