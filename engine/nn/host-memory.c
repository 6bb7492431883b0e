/* engine/nn/host-memory.c — host memory for the cpu and ref backends. */
#include "nn/host-memory.h"

#include <stdlib.h>
#include <string.h>

void *lt_host_alloc(size_t bytes) {
  if (bytes == 0) return NULL;
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded < bytes) return NULL;
  return aligned_alloc(64, rounded);
}

void lt_host_free(void *p) { free(p); }

void lt_host_copy(void *dst, const void *src, size_t bytes, lt_copy_dir dir) {
  (void)dir;
  if (bytes) memmove(dst, src, bytes);
}

void lt_host_zero(void *p, size_t bytes) {
  if (bytes) memset(p, 0, bytes);
}

void lt_host_sync(void) {}
