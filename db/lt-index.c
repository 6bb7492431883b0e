/* db/lt-index.c — see lt-index.h. */
#include "lt-index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const char *const lt_attr_names[LT_NATTR] = {"subtlety",   "sphericity",  "margin",
                                             "lobulation", "spiculation", "malignancy"};

struct lt_index {
  size_t n, cap;
  int64_t *id, *patient;
  float *a[LT_NATTR];
  float *diam;
  int8_t *label;
  uint8_t *conf;
  /* open addressing: nodule id -> slot + 1 (0 = empty), linear probing, backward-shift delete */
  int64_t *hkey;
  uint32_t *hval;
  size_t hcap; /* power of two */
  bool hash_stale; /* after a bulk append: rebuilt when next needed */
  bool stats_valid;
  double mean[LT_NATTR], sd[LT_NATTR];
};

static size_t hash_slot(int64_t key, size_t hcap) {
  uint64_t x = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 17) & (hcap - 1);
}

static size_t hash_find(const lt_index *idx, int64_t key) {
  if (!idx->hcap) return (size_t)-1;
  for (size_t h = hash_slot(key, idx->hcap);; h = (h + 1) & (idx->hcap - 1)) {
    if (!idx->hval[h]) return (size_t)-1;
    if (idx->hkey[h] == key) return h;
  }
}

static void hash_insert(lt_index *idx, int64_t key, uint32_t slot) {
  size_t h = hash_slot(key, idx->hcap);
  while (idx->hval[h] && idx->hkey[h] != key) h = (h + 1) & (idx->hcap - 1);
  idx->hkey[h] = key;
  idx->hval[h] = slot + 1;
}

static void hash_delete(lt_index *idx, size_t h) {
  size_t mask = idx->hcap - 1;
  idx->hval[h] = 0;
  for (size_t j = (h + 1) & mask; idx->hval[j]; j = (j + 1) & mask) {
    size_t home = hash_slot(idx->hkey[j], idx->hcap);
    /* move j back into the hole h when its home is not in (h, j] cyclically */
    bool in_range = (h <= j) ? (home > h && home <= j) : (home > h || home <= j);
    if (!in_range) {
      idx->hkey[h] = idx->hkey[j];
      idx->hval[h] = idx->hval[j];
      idx->hval[j] = 0;
      h = j;
    }
  }
}

static int hash_grow(lt_index *idx, size_t want) {
  size_t hcap = idx->hcap ? idx->hcap : 1024;
  while (hcap < want * 2) hcap *= 2;
  if (hcap == idx->hcap) return 0;
  int64_t *k = calloc(hcap, sizeof *k);
  uint32_t *v = calloc(hcap, sizeof *v);
  if (!k || !v) {
    free(k);
    free(v);
    return -1;
  }
  free(idx->hkey);
  free(idx->hval);
  idx->hkey = k;
  idx->hval = v;
  idx->hcap = hcap;
  for (size_t i = 0; i < idx->n; i++) hash_insert(idx, idx->id[i], (uint32_t)i);
  return 0;
}

/* Rebuilds the id table after bulk appends; -1 when out of memory. */
static int ensure_hash(lt_index *idx) {
  if (!idx->hash_stale) return 0;
  if (idx->n * 2 > idx->hcap) {
    idx->hash_stale = false; /* hash_grow rehashes everything */
    if (hash_grow(idx, idx->n)) {
      idx->hash_stale = true;
      return -1;
    }
    return 0;
  }
  if (idx->hcap) memset(idx->hval, 0, idx->hcap * sizeof *idx->hval);
  for (size_t i = 0; i < idx->n; i++) hash_insert(idx, idx->id[i], (uint32_t)i);
  idx->hash_stale = false;
  return 0;
}

lt_index *lt_index_new(void) { return calloc(1, sizeof(lt_index)); }

void lt_index_free(lt_index *idx) {
  if (!idx) return;
  free(idx->id);
  free(idx->patient);
  for (int d = 0; d < LT_NATTR; d++) free(idx->a[d]);
  free(idx->diam);
  free(idx->label);
  free(idx->conf);
  free(idx->hkey);
  free(idx->hval);
  free(idx);
}

size_t lt_index_size(const lt_index *idx) { return idx->n; }

#define GROW(field, cap)                                             \
  do {                                                               \
    void *p_ = realloc(idx->field, (cap) * sizeof *idx->field);      \
    if (!p_) return -1;                                              \
    idx->field = p_;                                                 \
  } while (0)

static int grow_to(lt_index *idx, size_t cap) {
  if (cap > UINT32_MAX - 1) return -1;
  GROW(id, cap);
  GROW(patient, cap);
  for (int d = 0; d < LT_NATTR; d++) GROW(a[d], cap);
  GROW(diam, cap);
  GROW(label, cap);
  GROW(conf, cap);
  idx->cap = cap;
  return 0;
}

static int grow(lt_index *idx) { return grow_to(idx, idx->cap ? idx->cap * 2 : 1024); }

int lt_index_reserve(lt_index *idx, size_t n, lt_error *err) {
  if (n > UINT32_MAX / 4) return lt_error_set(err, "index: %zu entries is too many", n);
  if (n > idx->cap && grow_to(idx, n)) return lt_error_set(err, "index: out of memory");
  if (n * 2 > idx->hcap && hash_grow(idx, n)) return lt_error_set(err, "index: out of memory");
  return 0;
}

int lt_index_put(lt_index *idx, const lt_index_entry *e, lt_error *err) {
  if (e->nodule_id <= 0) return lt_error_set(err, "index: nodule id %lld", (long long)e->nodule_id);
  for (int d = 0; d < LT_NATTR; d++)
    if (!isfinite(e->attr[d]))
      return lt_error_set(err, "index: nodule %lld has no %s score", (long long)e->nodule_id,
                          lt_attr_names[d]);
  if (ensure_hash(idx)) return lt_error_set(err, "index: out of memory");
  size_t i;
  size_t h = idx->hcap ? hash_slot(e->nodule_id, idx->hcap) : 0;
  while (idx->hcap && idx->hval[h] && idx->hkey[h] != e->nodule_id) h = (h + 1) & (idx->hcap - 1);
  if (idx->hcap && idx->hval[h]) {
    i = idx->hval[h] - 1;
  } else {
    if (idx->n == idx->cap && grow(idx)) return lt_error_set(err, "index: out of memory");
    i = idx->n++;
    idx->id[i] = e->nodule_id;
    if (idx->n * 2 > idx->hcap) {
      if (hash_grow(idx, idx->n)) { /* rehashes every entry, the new one included */
        idx->n--;
        return lt_error_set(err, "index: out of memory");
      }
    } else {
      idx->hkey[h] = e->nodule_id;
      idx->hval[h] = (uint32_t)i + 1;
    }
  }
  idx->id[i] = e->nodule_id;
  idx->patient[i] = e->patient_id;
  for (int d = 0; d < LT_NATTR; d++) idx->a[d][i] = e->attr[d];
  idx->diam[i] = e->diameter_mm;
  idx->label[i] = e->label;
  idx->conf[i] = e->confirmed;
  idx->stats_valid = false;
  return 0;
}

void lt_index_clear(lt_index *idx) {
  idx->n = 0;
  if (idx->hcap) memset(idx->hval, 0, idx->hcap * sizeof *idx->hval);
  idx->hash_stale = false;
  idx->stats_valid = false;
}

static void store(lt_index *idx, size_t i, const lt_index_entry *e) {
  idx->id[i] = e->nodule_id;
  idx->patient[i] = e->patient_id;
  for (int d = 0; d < LT_NATTR; d++) idx->a[d][i] = e->attr[d];
  idx->diam[i] = e->diameter_mm;
  idx->label[i] = e->label;
  idx->conf[i] = e->confirmed;
  idx->stats_valid = false;
}

int lt_index_append(lt_index *idx, const lt_index_entry *e, size_t *slot, lt_error *err) {
  if (e->nodule_id <= 0) return lt_error_set(err, "index: nodule id %lld", (long long)e->nodule_id);
  for (int d = 0; d < LT_NATTR; d++)
    if (!isfinite(e->attr[d]))
      return lt_error_set(err, "index: nodule %lld has no %s score", (long long)e->nodule_id,
                          lt_attr_names[d]);
  if (idx->n == idx->cap && grow(idx)) return lt_error_set(err, "index: out of memory");
  *slot = idx->n++;
  store(idx, *slot, e);
  idx->hash_stale = true;
  return 0;
}

void lt_index_entry_at(const lt_index *idx, size_t i, lt_index_entry *out) {
  out->nodule_id = idx->id[i];
  out->patient_id = idx->patient[i];
  for (int d = 0; d < LT_NATTR; d++) out->attr[d] = idx->a[d][i];
  out->diameter_mm = idx->diam[i];
  out->label = idx->label[i];
  out->confirmed = idx->conf[i];
}

int lt_index_overwrite(lt_index *idx, size_t i, const lt_index_entry *e, lt_error *err) {
  if (i >= idx->n || e->nodule_id != idx->id[i]) return lt_error_set(err, "index: bad slot");
  for (int d = 0; d < LT_NATTR; d++)
    if (!isfinite(e->attr[d]))
      return lt_error_set(err, "index: nodule %lld has no %s score", (long long)e->nodule_id,
                          lt_attr_names[d]);
  store(idx, i, e);
  return 0;
}

void lt_index_remove(lt_index *idx, int64_t nodule_id) {
  if (ensure_hash(idx)) return; /* out of memory: nothing can be found to remove */
  size_t h = hash_find(idx, nodule_id);
  if (h == (size_t)-1) return;
  size_t i = idx->hval[h] - 1, last = idx->n - 1;
  hash_delete(idx, h);
  if (i != last) {
    idx->id[i] = idx->id[last];
    idx->patient[i] = idx->patient[last];
    for (int d = 0; d < LT_NATTR; d++) idx->a[d][i] = idx->a[d][last];
    idx->diam[i] = idx->diam[last];
    idx->label[i] = idx->label[last];
    idx->conf[i] = idx->conf[last];
    idx->hval[hash_find(idx, idx->id[i])] = (uint32_t)i + 1;
  }
  idx->n--;
  idx->stats_valid = false;
}

bool lt_index_get(lt_index *idx, int64_t nodule_id, lt_index_entry *out) {
  if (ensure_hash(idx)) return false;
  size_t h = hash_find(idx, nodule_id);
  if (h == (size_t)-1) return false;
  size_t i = idx->hval[h] - 1;
  out->nodule_id = idx->id[i];
  out->patient_id = idx->patient[i];
  for (int d = 0; d < LT_NATTR; d++) out->attr[d] = idx->a[d][i];
  out->diameter_mm = idx->diam[i];
  out->label = idx->label[i];
  out->confirmed = idx->conf[i];
  return true;
}

void lt_index_stats(lt_index *idx, double mean[LT_NATTR], double sd[LT_NATTR]) {
  if (!idx->stats_valid) {
    for (int d = 0; d < LT_NATTR; d++) {
      double s = 0, ss = 0;
      for (size_t i = 0; i < idx->n; i++) s += idx->a[d][i];
      double m = idx->n ? s / (double)idx->n : 0;
      for (size_t i = 0; i < idx->n; i++) {
        double v = idx->a[d][i] - m;
        ss += v * v;
      }
      idx->mean[d] = m;
      idx->sd[d] = idx->n ? sqrt(ss / (double)idx->n) : 0;
    }
    idx->stats_valid = true;
  }
  memcpy(mean, idx->mean, sizeof idx->mean);
  memcpy(sd, idx->sd, sizeof idx->sd);
}

void lt_query_init(lt_query *q) {
  memset(q, 0, sizeof *q);
  for (int d = 0; d < LT_NATTR; d++) q->weights[d] = 1;
  q->min_diameter_mm = NAN;
  q->max_diameter_mm = NAN;
}

typedef struct {
  double d2;
  int64_t id;
  size_t slot;
} item;

static inline bool worse(const item *a, const item *b) {
  return a->d2 > b->d2 || (a->d2 == b->d2 && a->id > b->id);
}

/* Max-heap by (d2, id): the root is the worst kept item. */
static void sift_down(item *h, int n, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(&h[l], &h[m])) m = l;
    if (r < n && worse(&h[r], &h[m])) m = r;
    if (m == i) return;
    item t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

static void heap_offer(item *h, int *n, int k, item it) {
  if (*n < k) {
    int i = (*n)++;
    h[i] = it;
    while (i > 0) {
      int p = (i - 1) / 2;
      if (!worse(&h[i], &h[p])) break;
      item t = h[i];
      h[i] = h[p];
      h[p] = t;
      i = p;
    }
  } else if (worse(&h[0], &it)) {
    h[0] = it;
    sift_down(h, *n, 0);
  }
}

static int item_cmp(const void *pa, const void *pb) {
  const item *a = pa, *b = pb;
  if (a->d2 != b->d2) return a->d2 < b->d2 ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

enum { BLOCK = 512 };

/* Distances of a block of entries: a loop the compiler vectorises (no branch). */
static void block_d2(const lt_index *idx, size_t lo, int n, const double q[LT_NATTR],
                     const double w2[LT_NATTR], double *d2) {
  const float *a0 = idx->a[0] + lo, *a1 = idx->a[1] + lo, *a2 = idx->a[2] + lo,
              *a3 = idx->a[3] + lo, *a4 = idx->a[4] + lo, *a5 = idx->a[5] + lo;
  const double q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5];
  const double w0 = w2[0], w1 = w2[1], w2_ = w2[2], w3 = w2[3], w4 = w2[4], w5 = w2[5];
#ifdef _OPENMP
#pragma omp simd
#endif
  for (int i = 0; i < n; i++) {
    double t0 = (double)a0[i] - q0, t1 = (double)a1[i] - q1, t2 = (double)a2[i] - q2,
           t3 = (double)a3[i] - q3, t4 = (double)a4[i] - q4, t5 = (double)a5[i] - q5;
    d2[i] = w0 * t0 * t0 + w1 * t1 * t1 + w2_ * t2 * t2 + w3 * t3 * t3 + w4 * t4 * t4 +
            w5 * t5 * t5;
  }
}

static void scan(const lt_index *idx, size_t lo, size_t hi, const double q[LT_NATTR],
                 const double w2[LT_NATTR], const lt_query *f, int k, item *heap, int *nh) {
  const bool diam_lo = !isnan(f->min_diameter_mm), diam_hi = !isnan(f->max_diameter_mm);
  const bool filtered = f->confirmed_only || f->exclude_patient > 0 || f->exclude_nodule > 0 ||
                        diam_lo || diam_hi;
  double bound = INFINITY, d2[BLOCK];
  for (size_t b = lo; b < hi; b += BLOCK) {
    int n = hi - b < BLOCK ? (int)(hi - b) : BLOCK;
    block_d2(idx, b, n, q, w2, d2);
    for (int j = 0; j < n; j++) {
      if (d2[j] > bound) continue;
      size_t i = b + (size_t)j;
      if (filtered) {
        if (f->confirmed_only && !idx->conf[i]) continue;
        if (f->exclude_patient > 0 && idx->patient[i] == f->exclude_patient) continue;
        if (f->exclude_nodule > 0 && idx->id[i] == f->exclude_nodule) continue;
        float dm = idx->diam[i];
        if ((diam_lo || diam_hi) && isnan(dm)) continue;
        if (diam_lo && dm < f->min_diameter_mm) continue;
        if (diam_hi && dm > f->max_diameter_mm) continue;
      }
      heap_offer(heap, nh, k, (item){d2[j], idx->id[i], i});
      if (*nh == k) bound = heap[0].d2;
    }
  }
}

int lt_index_query(lt_index *idx, const double attr[LT_NATTR], const lt_query *f, int k,
                   lt_hit *hits, int *n_hits, lt_error *err) {
  *n_hits = 0;
  if (k <= 0) return lt_error_set(err, "retrieve: K must be at least 1");
  double w2[LT_NATTR], mean[LT_NATTR], sd[LT_NATTR];
  if (f->standardize) lt_index_stats(idx, mean, sd);
  for (int d = 0; d < LT_NATTR; d++) {
    if (!isfinite(attr[d])) return lt_error_set(err, "retrieve: %s score is not a number", lt_attr_names[d]);
    double w = f->weights[d];
    if (!(w >= 0) || !isfinite(w)) return lt_error_set(err, "retrieve: weight of %s must be >= 0", lt_attr_names[d]);
    if (f->standardize && sd[d] > 0) w /= sd[d];
    w2[d] = w * w;
  }
  if ((size_t)k > idx->n) k = (int)idx->n;
  if (k == 0) return 0;
  int nt = 1;
#ifdef _OPENMP
  if (f->threads > 0) nt = f->threads;
  else if (idx->n >= 2097152) nt = omp_get_max_threads();
  if (nt < 1) nt = 1;
  if (nt > 64) nt = 64;
#endif
  item *heaps = malloc((size_t)nt * (size_t)k * sizeof *heaps);
  int *counts = calloc((size_t)nt, sizeof *counts);
  if (!heaps || !counts) {
    free(heaps);
    free(counts);
    return lt_error_set(err, "retrieve: out of memory");
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
  {
    int t = 0, nth = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nth = omp_get_num_threads();
#endif
    size_t lo = idx->n * (size_t)t / (size_t)nth, hi = idx->n * (size_t)(t + 1) / (size_t)nth;
    scan(idx, lo, hi, attr, w2, f, k, heaps + (size_t)t * (size_t)k, &counts[t]);
  }
  /* merge: gather every kept item, sort by (distance, id), keep k */
  int total = 0;
  for (int t = 0; t < nt; t++) {
    memmove(heaps + total, heaps + (size_t)t * (size_t)k, (size_t)counts[t] * sizeof *heaps);
    total += counts[t];
  }
  qsort(heaps, (size_t)total, sizeof *heaps, item_cmp);
  int n = total < k ? total : k;
  for (int j = 0; j < n; j++) {
    size_t i = heaps[j].slot;
    lt_hit *h = &hits[j];
    h->nodule_id = idx->id[i];
    h->patient_id = idx->patient[i];
    h->distance = sqrt(heaps[j].d2);
    for (int d = 0; d < LT_NATTR; d++) h->attr[d] = idx->a[d][i];
    h->diameter_mm = idx->diam[i];
    h->label = idx->label[i];
    h->confirmed = idx->conf[i];
  }
  *n_hits = n;
  free(heaps);
  free(counts);
  return 0;
}

void lt_hits_summarize(const lt_hit *hits, int n, lt_hit_summary *s) {
  memset(s, 0, sizeof *s);
  s->n = n;
  for (int i = 0; i < n; i++) {
    if (hits[i].label != LT_LABEL_NONE) s->with_diagnosis++;
    if (hits[i].label == LT_LABEL_MALIGNANT) s->malignant++;
    if (hits[i].confirmed) s->confirmed++;
    if (hits[i].attr[5] > 3.0f) s->rated_malignant++;
  }
}
