/* engine/model/safetensors.h — reading and writing safetensors weight files.
 *
 * Layout: an 8-byte little-endian header length N; N bytes of JSON (padded with spaces to a
 * multiple of 8)
 *   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"key": "string value", ...}}
 * then the data buffer: raw little-endian tensors, covering it exactly (no gaps, no overlap).
 * Only F32 tensors. Every file carries a checksum in __metadata__["lt_checksum"], in one of two
 * forms; reading verifies it and refuses a file without one:
 *   "fnv1a64-hd:<16 lowercase hex digits>" (what lt_st_write writes): FNV-1a 64 over the whole
 *     file, the 8-byte length, the header and the data, with these 16 digits read as '0'. So a
 *     change to the metadata or the tensor table fails the check, not only one to the data. The
 *     value must appear in the header exactly once, as written ("fnv1a64-hd:...", no escapes).
 *   "fnv1a64:<16 lowercase hex digits>" (files written before): FNV-1a 64 over the data buffer
 *     alone; an edited header passes it. Still read: lt_st_header_checked says which it was.
 *
 * This module knows nothing of the model: matching names and shapes against a config, and the
 * meaning of the metadata keys, live in weights.h. */
#ifndef LT_SAFETENSORS_H
#define LT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

#define LT_ST_MAX_DIMS 8
#define LT_ST_NAME_MAX 128
#define LT_ST_HEADER_MAX (100u * 1024u * 1024u) /* the safetensors limit: 100 MB */
#define LT_ST_CHECKSUM_KEY "lt_checksum"
#define LT_ST_SUM_FILE "fnv1a64-hd:" /* header and data */
#define LT_ST_SUM_DATA "fnv1a64:"    /* data only (older files) */
#define LT_FNV1A64_INIT 0xcbf29ce484222325ull

/* One tensor to write: a view into the caller's memory. */
typedef struct {
  const char *name;
  int ndim;
  int64_t shape[LT_ST_MAX_DIMS];
  const float *data; /* product(shape) floats */
} lt_st_view;

typedef struct {
  const char *key;
  const char *value;
} lt_st_meta_entry;

/* One tensor of a file read into memory. */
typedef struct {
  char name[LT_ST_NAME_MAX];
  int ndim;
  int64_t shape[LT_ST_MAX_DIMS];
  size_t count;      /* product(shape) */
  const float *data; /* into the file's buffer, host byte order */
} lt_st_tensor;

typedef struct lt_st_file lt_st_file;

/* FNV-1a 64 over n bytes. */
uint64_t lt_fnv1a64(const void *p, size_t n);
/* The same, continued from h (LT_FNV1A64_INIT to start). */
uint64_t lt_fnv1a64_update(uint64_t h, const void *p, size_t n);

/* The LT_ST_SUM_FILE checksum of a file made of the 8-byte length of hn, the hn header bytes and
 * the dn data bytes, the 16 hex digits at hdr + digits_at read as '0' (digits_at + 16 <= hn). */
uint64_t lt_st_file_sum(const char *hdr, size_t hn, size_t digits_at, const void *data, size_t dn);

/* Writes the tensors (in the given order) and the metadata entries plus lt_checksum (in the
 * LT_ST_SUM_FILE form) to PATH,
 * through PATH.tmp and a rename, so an interrupted write never leaves a half file at PATH.
 * Tensor names must be unique, shorter than LT_ST_NAME_MAX and not "__metadata__". */
int lt_st_write(const char *path, const lt_st_view *tensors, int n_tensors,
                const lt_st_meta_entry *meta, int n_meta, lt_error *err);

/* Reads and validates a whole file: header length within LT_ST_HEADER_MAX and the file, valid
 * JSON, every tensor F32 with a size matching its shape, offsets in range and tiling the
 * buffer without gaps or overlap, string metadata, and the checksum. Errors say what is wrong
 * in one line. */
int lt_st_read(const char *path, lt_st_file **out, lt_error *err);
void lt_st_free(lt_st_file *f);

int lt_st_count(const lt_st_file *f);
const lt_st_tensor *lt_st_at(const lt_st_file *f, int i);
/* NULL when absent. */
const lt_st_tensor *lt_st_find(const lt_st_file *f, const char *name);
/* The metadata value, or NULL when absent. */
const char *lt_st_meta(const lt_st_file *f, const char *key);
/* 1 when the checksum covered the header too (LT_ST_SUM_FILE), 0 for the data alone. */
int lt_st_header_checked(const lt_st_file *f);

#endif
