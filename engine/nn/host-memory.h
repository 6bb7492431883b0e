/* engine/nn/host-memory.h — host memory functions shared by the cpu and ref backends
 * (64-byte aligned allocation, memcpy copies). */
#ifndef LT_NN_HOST_MEMORY_H
#define LT_NN_HOST_MEMORY_H

#include <stddef.h>

#include "nn/backend.h"

void *lt_host_alloc(size_t bytes);
void lt_host_free(void *p);
void lt_host_copy(void *dst, const void *src, size_t bytes, lt_copy_dir dir);
void lt_host_zero(void *p, size_t bytes);
void lt_host_sync(void);

#endif
