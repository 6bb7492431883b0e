/* engine/model/safetensors.c — see safetensors.h. */
#include "model/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct lt_st_file {
  int n_tensors;
  lt_st_tensor *tensors;
  int n_meta;
  char **meta_keys;
  char **meta_values;
  float *buffer; /* the data buffer, host order */
  int header_checked; /* the checksum was LT_ST_SUM_FILE */
};

uint64_t lt_fnv1a64_update(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t lt_fnv1a64(const void *p, size_t n) { return lt_fnv1a64_update(LT_FNV1A64_INIT, p, n); }

static uint64_t sum_head(const char *hdr, size_t hn, size_t digits_at) {
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hn >> (8 * i));
  uint64_t h = lt_fnv1a64_update(LT_FNV1A64_INIT, len8, 8);
  h = lt_fnv1a64_update(h, hdr, digits_at);
  h = lt_fnv1a64_update(h, "0000000000000000", 16);
  return lt_fnv1a64_update(h, hdr + digits_at + 16, hn - digits_at - 16);
}

uint64_t lt_st_file_sum(const char *hdr, size_t hn, size_t digits_at, const void *data, size_t dn) {
  return lt_fnv1a64_update(sum_head(hdr, hn, digits_at), data, dn);
}

/* Where the 16 digits of the quoted checksum value sum (a LT_ST_SUM_FILE string) lie in the
 * header: -1 when it is absent or there twice, as the reader could not tell which to zero. A
 * quoted copy inside another JSON string would have its quotes escaped, so it does not match. */
static long find_sum(const char *hdr, size_t hn, const char *sum) {
  size_t sn = strlen(sum);
  long at = -1;
  for (size_t i = 0; i + sn + 2 <= hn; i++) {
    if (hdr[i] != '"' || hdr[i + 1 + sn] != '"' || memcmp(hdr + i + 1, sum, sn) != 0) continue;
    if (at >= 0) return -1;
    at = (long)(i + 1 + sn - 16);
  }
  return at;
}

/* The first n - 1 characters of s for an error message, control characters as '?' so the
 * message stays one line whatever the file holds. */
static const char *shown(char *buf, size_t n, const char *s) {
  size_t i = 0;
  for (; s[i] && i + 1 < n; i++) buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
  buf[i] = 0;
  return buf;
}

static int host_is_little(void) {
  const uint16_t one = 1;
  return *(const unsigned char *)&one == 1;
}

static void swap32(void *p, size_t n) {
  unsigned char *b = p;
  for (size_t i = 0; i < n; i++, b += 4) {
    unsigned char t0 = b[0], t1 = b[1];
    b[0] = b[3];
    b[1] = b[2];
    b[2] = t1;
    b[3] = t0;
  }
}

/* ---------- writing ---------- */

static int name_ok(const char *name) {
  return name && *name && strlen(name) < LT_ST_NAME_MAX && strcmp(name, "__metadata__") != 0;
}

int lt_st_write(const char *path, const lt_st_view *tensors, int n_tensors,
                const lt_st_meta_entry *meta, int n_meta, lt_error *err) {
  size_t total = 0;
  for (int i = 0; i < n_tensors; i++) {
    const lt_st_view *t = &tensors[i];
    if (!name_ok(t->name)) return lt_error_set(err, "%s: bad tensor name at index %d", path, i);
    if (t->ndim < 0 || t->ndim > LT_ST_MAX_DIMS)
      return lt_error_set(err, "%s: tensor '%s' has %d dimensions", path, t->name, t->ndim);
    for (int j = 0; j < i; j++)
      if (strcmp(tensors[j].name, t->name) == 0)
        return lt_error_set(err, "%s: tensor name '%s' used twice", path, t->name);
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= (size_t)t->shape[d];
    total += c * 4;
  }
  int little = host_is_little();
  cJSON *root = cJSON_CreateObject();
  cJSON *md = cJSON_AddObjectToObject(root, "__metadata__");
  for (int i = 0; i < n_meta; i++) {
    if (!meta[i].key || !meta[i].value || strcmp(meta[i].key, LT_ST_CHECKSUM_KEY) == 0) continue;
    cJSON_AddStringToObject(md, meta[i].key, meta[i].value);
  }
  /* The digits are zeros while the checksum is taken, then replaced (safetensors.h). */
  static const char zero_sum[] = LT_ST_SUM_FILE "0000000000000000";
  cJSON_AddStringToObject(md, LT_ST_CHECKSUM_KEY, zero_sum);
  size_t off = 0;
  for (int i = 0; i < n_tensors; i++) {
    const lt_st_view *t = &tensors[i];
    cJSON *o = cJSON_AddObjectToObject(root, t->name);
    cJSON_AddStringToObject(o, "dtype", "F32");
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) {
      cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
      c *= (size_t)t->shape[d];
    }
    cJSON *offs = cJSON_AddArrayToObject(o, "data_offsets");
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(off + c * 4)));
    off += c * 4;
  }
  char *js = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!js) return lt_error_set(err, "%s: out of memory building the header", path);
  size_t jn = strlen(js);
  size_t padded = (jn + 7) & ~(size_t)7;
  char *hdr = realloc(js, padded + 1);
  if (!hdr) {
    free(js);
    return lt_error_set(err, "%s: out of memory building the header", path);
  }
  js = hdr;
  memset(js + jn, ' ', padded - jn);
  js[padded] = 0;
  long at = find_sum(js, padded, zero_sum);
  if (at < 0) {
    free(js);
    return lt_error_set(err, "%s: a tensor name or metadata key equals the checksum's value", path);
  }
  /* Over the data as it will be on disk (little-endian). */
  uint64_t h = sum_head(js, padded, (size_t)at);
  for (int i = 0; i < n_tensors; i++) {
    const lt_st_view *t = &tensors[i];
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= (size_t)t->shape[d];
    if (little) {
      h = lt_fnv1a64_update(h, t->data, c * 4);
    } else {
      for (size_t k = 0; k < c; k++) {
        float v = t->data[k];
        swap32(&v, 1);
        h = lt_fnv1a64_update(h, &v, 4);
      }
    }
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016" PRIx64, h);
  memcpy(js + at, hex, 16);

  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    free(js);
    return lt_error_set(err, "%s: path too long", path);
  }
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    free(js);
    return lt_error_set(err, "%s: cannot write: %s", tmp, strerror(errno));
  }
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
  int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(js, 1, padded, fp) == padded;
  free(js);
  for (int i = 0; ok && i < n_tensors; i++) {
    const lt_st_view *t = &tensors[i];
    size_t c = 1;
    for (int d = 0; d < t->ndim; d++) c *= (size_t)t->shape[d];
    if (little) {
      ok = fwrite(t->data, 4, c, fp) == c;
    } else {
      for (size_t k = 0; ok && k < c; k++) {
        float v = t->data[k];
        swap32(&v, 1);
        ok = fwrite(&v, 4, 1, fp) == 1;
      }
    }
  }
  if (fclose(fp) != 0) ok = 0;
  if (!ok) {
    remove(tmp);
    return lt_error_set(err, "%s: write failed: %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return lt_error_set(err, "%s: cannot rename into place: %s", path, strerror(e));
  }
  (void)total;
  return 0;
}

/* ---------- reading ---------- */

void lt_st_free(lt_st_file *f) {
  if (!f) return;
  for (int i = 0; i < f->n_meta; i++) {
    free(f->meta_keys[i]);
    free(f->meta_values[i]);
  }
  free(f->meta_keys);
  free(f->meta_values);
  free(f->tensors);
  free(f->buffer);
  free(f);
}

typedef struct {
  int index;
  uint64_t begin, end;
} span;

static int span_cmp(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

/* A JSON number that is a non-negative integer below 2^53. */
static int json_uint(const cJSON *n, uint64_t *out) {
  if (!cJSON_IsNumber(n)) return 0;
  double v = n->valuedouble;
  if (!(v >= 0 && v <= 9007199254740992.0) || v != (double)(uint64_t)v) return 0;
  *out = (uint64_t)v;
  return 1;
}

static int parse_header(lt_st_file *f, const char *path, const char *hdr, size_t hn,
                        uint64_t buf_size, lt_error *err) {
  cJSON *root = cJSON_ParseWithLength(hdr, hn);
  if (!root) return lt_error_set(err, "%s: corrupt header: not valid JSON", path);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return lt_error_set(err, "%s: corrupt header: not a JSON object", path);
  }
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, root) {
    if (strcmp(it->string, "__metadata__") != 0) n++;
  }
  f->tensors = calloc((size_t)(n ? n : 1), sizeof *f->tensors);
  span *spans = calloc((size_t)(n ? n : 1), sizeof *spans);
  int rc = -1;
  if (!f->tensors || !spans) {
    lt_error_set(err, "%s: out of memory", path);
    goto out;
  }
  int seen_meta = 0;
  cJSON_ArrayForEach(it, root) {
    const char *key = it->string;
    if (strcmp(key, "__metadata__") == 0) {
      if (seen_meta++) {
        lt_error_set(err, "%s: corrupt header: __metadata__ given twice", path);
        goto out;
      }
      if (!cJSON_IsObject(it)) {
        lt_error_set(err, "%s: corrupt header: __metadata__ is not an object", path);
        goto out;
      }
      int m = cJSON_GetArraySize(it);
      f->meta_keys = calloc((size_t)(m ? m : 1), sizeof(char *));
      f->meta_values = calloc((size_t)(m ? m : 1), sizeof(char *));
      if (!f->meta_keys || !f->meta_values) {
        lt_error_set(err, "%s: out of memory", path);
        goto out;
      }
      const cJSON *e;
      cJSON_ArrayForEach(e, it) {
        if (!cJSON_IsString(e)) {
          lt_error_set(err, "%s: corrupt header: metadata '%s' is not a string", path, e->string);
          goto out;
        }
        f->meta_keys[f->n_meta] = strdup(e->string);
        f->meta_values[f->n_meta] = strdup(e->valuestring);
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_values[f->n_meta - 1]) {
          lt_error_set(err, "%s: out of memory", path);
          goto out;
        }
      }
      continue;
    }
    if (strlen(key) >= LT_ST_NAME_MAX || !*key) {
      lt_error_set(err, "%s: tensor name too long or empty", path);
      goto out;
    }
    for (int j = 0; j < f->n_tensors; j++)
      if (strcmp(f->tensors[j].name, key) == 0) {
        lt_error_set(err, "%s: tensor '%s' appears twice in the header", path, key);
        goto out;
      }
    lt_st_tensor *t = &f->tensors[f->n_tensors];
    snprintf(t->name, sizeof t->name, "%s", key);
    if (!cJSON_IsObject(it)) {
      lt_error_set(err, "%s: corrupt header: entry '%s' is not an object", path, key);
      goto out;
    }
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of)) {
      lt_error_set(err, "%s: corrupt header: tensor '%s' lacks dtype, shape or data_offsets", path, key);
      goto out;
    }
    if (strcmp(dt->valuestring, "F32") != 0) {
      lt_error_set(err, "%s: tensor '%s' has dtype %.16s; only F32 is supported", path, key,
                   dt->valuestring);
      goto out;
    }
    int nd = cJSON_GetArraySize(sh);
    if (nd > LT_ST_MAX_DIMS) {
      lt_error_set(err, "%s: tensor '%s' has %d dimensions (at most %d)", path, key, nd, LT_ST_MAX_DIMS);
      goto out;
    }
    t->ndim = nd;
    uint64_t count = 1;
    for (int d = 0; d < nd; d++) {
      uint64_t v;
      if (!json_uint(cJSON_GetArrayItem(sh, d), &v) || v > (1ull << 40)) {
        lt_error_set(err, "%s: tensor '%s' has a bad shape", path, key);
        goto out;
      }
      t->shape[d] = (int64_t)v;
      count *= v;
      if (count > (1ull << 40)) {
        lt_error_set(err, "%s: tensor '%s' is impossibly large", path, key);
        goto out;
      }
    }
    t->count = (size_t)count;
    uint64_t b, e;
    if (cJSON_GetArraySize(of) != 2 || !json_uint(cJSON_GetArrayItem(of, 0), &b) ||
        !json_uint(cJSON_GetArrayItem(of, 1), &e) || e < b) {
      lt_error_set(err, "%s: tensor '%s' has bad data_offsets", path, key);
      goto out;
    }
    if (e > buf_size) {
      lt_error_set(err, "%s: tensor '%s' offsets [%" PRIu64 ", %" PRIu64 ") lie outside the "
                   "%" PRIu64 "-byte data buffer (truncated file?)", path, key, b, e, buf_size);
      goto out;
    }
    if (e - b != count * 4) {
      lt_error_set(err, "%s: tensor '%s' spans %" PRIu64 " bytes but its shape needs %" PRIu64,
                   path, key, e - b, count * 4);
      goto out;
    }
    spans[f->n_tensors] = (span){f->n_tensors, b, e};
    f->n_tensors++;
  }
  qsort(spans, (size_t)f->n_tensors, sizeof *spans, span_cmp);
  uint64_t at = 0;
  for (int i = 0; i < f->n_tensors; i++) {
    if (spans[i].begin < at) {
      lt_error_set(err, "%s: tensors '%s' and '%s' overlap in the data buffer", path,
                   f->tensors[spans[i - 1].index].name, f->tensors[spans[i].index].name);
      goto out;
    }
    if (spans[i].begin > at) {
      lt_error_set(err, "%s: gap in the data buffer before tensor '%s'", path,
                   f->tensors[spans[i].index].name);
      goto out;
    }
    if (spans[i].begin % 4 != 0) {
      lt_error_set(err, "%s: tensor '%s' is not 4-byte aligned", path, f->tensors[spans[i].index].name);
      goto out;
    }
    at = spans[i].end;
  }
  if (at != buf_size) {
    lt_error_set(err, "%s: %" PRIu64 " bytes after the last tensor (corrupt header or trailing data)",
                 path, buf_size - at);
    goto out;
  }
  for (int i = 0; i < f->n_tensors; i++)
    f->tensors[spans[i].index].data = (const float *)((const char *)f->buffer + spans[i].begin);
  rc = 0;
out:
  free(spans);
  cJSON_Delete(root);
  return rc;
}

static int read_file(const char *path, lt_st_file **out, lt_error *err);

int lt_st_read(const char *path, lt_st_file **out, lt_error *err) {
  if (read_file(path, out, err) == 0) return 0;
  /* A message quotes names and values from the file, which may hold any character: keep it on
   * one line. */
  for (char *c = err ? err->msg : NULL; c && *c; c++)
    if ((unsigned char)*c < 0x20) *c = '?';
  return -1;
}

static int read_file(const char *path, lt_st_file **out, lt_error *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return lt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(fp);
    return lt_error_set(err, "%s: not a regular file", path);
  }
  uint64_t size = (uint64_t)st.st_size;
  unsigned char len8[8];
  if (size < 8 || fread(len8, 1, 8, fp) != 8) {
    fclose(fp);
    return lt_error_set(err, "%s: truncated: shorter than the 8-byte header length", path);
  }
  uint64_t hn = 0;
  for (int i = 0; i < 8; i++) hn |= (uint64_t)len8[i] << (8 * i);
  if (hn > LT_ST_HEADER_MAX) {
    fclose(fp);
    return lt_error_set(err, "%s: header length %" PRIu64 " exceeds the %u-byte limit (not a "
                        "safetensors file?)", path, hn, LT_ST_HEADER_MAX);
  }
  if (hn < 2 || hn > size - 8) {
    fclose(fp);
    return lt_error_set(err, "%s: truncated: header length %" PRIu64 " but only %" PRIu64
                        " bytes follow", path, hn, size - 8);
  }
  uint64_t buf_size = size - 8 - hn;
  lt_st_file *f = calloc(1, sizeof *f);
  char *hdr = malloc((size_t)hn + 1);
  if (f) f->buffer = malloc((size_t)(buf_size ? buf_size : 4));
  if (!f || !hdr || !f->buffer) {
    fclose(fp);
    free(hdr);
    lt_st_free(f);
    return lt_error_set(err, "%s: out of memory", path);
  }
  int ok = fread(hdr, 1, (size_t)hn, fp) == hn &&
           fread(f->buffer, 1, (size_t)buf_size, fp) == buf_size;
  fclose(fp);
  if (!ok) {
    free(hdr);
    lt_st_free(f);
    return lt_error_set(err, "%s: read error", path);
  }
  hdr[hn] = 0;
  if (hdr[0] != '{') {
    free(hdr);
    lt_st_free(f);
    return lt_error_set(err, "%s: corrupt header: does not start with '{'", path);
  }
  int rc = parse_header(f, path, hdr, (size_t)hn, buf_size, err);
  if (rc != 0) {
    free(hdr);
    lt_st_free(f);
    return -1;
  }
  const char *sum = lt_st_meta(f, LT_ST_CHECKSUM_KEY);
  if (!sum) {
    free(hdr);
    lt_st_free(f);
    return lt_error_set(err, "%s: no %s in the metadata; refusing an unverifiable file", path,
                        LT_ST_CHECKSUM_KEY);
  }
  char want[40], seen[41];
  const size_t tag_n = sizeof LT_ST_SUM_FILE - 1;
  if (strncmp(sum, LT_ST_SUM_FILE, tag_n) == 0) {
    long at = strlen(sum) == tag_n + 16 ? find_sum(hdr, (size_t)hn, sum) : -1;
    if (at < 0) {
      free(hdr);
      lt_st_free(f);
      return lt_error_set(err, "%s: corrupt header: the checksum %s is not found exactly once "
                          "as written", path, shown(seen, sizeof seen, sum));
    }
    snprintf(want, sizeof want, LT_ST_SUM_FILE "%016" PRIx64,
             lt_st_file_sum(hdr, (size_t)hn, (size_t)at, f->buffer, (size_t)buf_size));
    f->header_checked = 1;
  } else {
    snprintf(want, sizeof want, LT_ST_SUM_DATA "%016" PRIx64, lt_fnv1a64(f->buffer, (size_t)buf_size));
  }
  free(hdr);
  if (strcmp(sum, want) != 0) {
    lt_error_set(err, "%s: checksum mismatch (stored %s, the file gives %s): the file is corrupt",
                 path, shown(seen, sizeof seen, sum), want);
    lt_st_free(f);
    return -1;
  }
  if (!host_is_little()) swap32(f->buffer, (size_t)(buf_size / 4));
  *out = f;
  return 0;
}

int lt_st_count(const lt_st_file *f) { return f->n_tensors; }

const lt_st_tensor *lt_st_at(const lt_st_file *f, int i) {
  return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const lt_st_tensor *lt_st_find(const lt_st_file *f, const char *name) {
  for (int i = 0; i < f->n_tensors; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

int lt_st_header_checked(const lt_st_file *f) { return f->header_checked; }

const char *lt_st_meta(const lt_st_file *f, const char *key) {
  for (int i = 0; i < f->n_meta; i++)
    if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
  return NULL;
}
