/* db/lt-index.h — the in-memory attribute index and exact top-K retrieval.
 * Holds one entry per historical nodule: its six attribute scores (subtlety, sphericity, margin,
 * lobulation, spiculation, malignancy, as float), patient, diameter and diagnosis label, in flat
 * structure-of-arrays form. A query is an exact scan: the K nearest entries by (weighted,
 * optionally standardised) Euclidean distance, ties broken by nodule id, each thread keeping a
 * bounded max-heap and the heaps merged at the end, so the answer does not depend on the number of
 * threads or on the order entries were added.
 * Knows nothing of SQLite: lt-index-sql.h fills it from the database, lt-db.h keeps it in step. */
#ifndef LT_INDEX_H
#define LT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lt-error.h"

#define LT_NATTR 6
extern const char *const lt_attr_names[LT_NATTR];

typedef enum { LT_LABEL_NONE = -1, LT_LABEL_BENIGN = 0, LT_LABEL_MALIGNANT = 1 } lt_label;

typedef struct {
  int64_t nodule_id;   /* > 0 */
  int64_t patient_id;
  float attr[LT_NATTR];
  float diameter_mm;   /* NAN when unknown */
  int8_t label;        /* lt_label: the nodule-level diagnosis (primary or metastatic: malignant) */
  bool confirmed;      /* that diagnosis rests on resection, biopsy, stability or progression */
} lt_index_entry;

typedef struct lt_index lt_index;

lt_index *lt_index_new(void);
void lt_index_free(lt_index *idx);
size_t lt_index_size(const lt_index *idx);
/* Adds or replaces the entry of e->nodule_id. Fails on a non-finite score or id <= 0. */
int lt_index_put(lt_index *idx, const lt_index_entry *e, lt_error *err);
/* Makes room for n entries in all (a bulk load then grows nothing). */
int lt_index_reserve(lt_index *idx, size_t n, lt_error *err);
/* Removes every entry (keeps the memory). */
void lt_index_clear(lt_index *idx);
/* Removes a nodule's entry; no-op when absent. */
void lt_index_remove(lt_index *idx, int64_t nodule_id);
/* Copies a nodule's entry; false when absent. */
bool lt_index_get(lt_index *idx, int64_t nodule_id, lt_index_entry *out);

/* Bulk loading without the id table (it is rebuilt when put, remove or get next need it):
 * lt_index_append adds an entry whose id the caller knows is not there yet and gives its slot;
 * lt_index_overwrite replaces the entry at a slot (same nodule id); lt_index_entry_at reads it. */
int lt_index_append(lt_index *idx, const lt_index_entry *e, size_t *slot, lt_error *err);
int lt_index_overwrite(lt_index *idx, size_t slot, const lt_index_entry *e, lt_error *err);
void lt_index_entry_at(const lt_index *idx, size_t slot, lt_index_entry *out);
/* Population mean and standard deviation (n denominator) of each score over all entries. */
void lt_index_stats(lt_index *idx, double mean[LT_NATTR], double sd[LT_NATTR]);

typedef struct {
  double weights[LT_NATTR]; /* >= 0; distance = sqrt(sum_d (w_d * (z_d(x) - z_d(q)))^2) */
  bool standardize;         /* z_d(v) = (v - mean_d) / sd_d over the stored population
                               (sd_d = 0 counts as 1); else z_d(v) = v */
  bool confirmed_only;      /* only nodules whose diagnosis is confirmed */
  int64_t exclude_patient;  /* > 0: skip this patient's nodules */
  int64_t exclude_nodule;   /* > 0: skip this nodule (the query itself) */
  double min_diameter_mm;   /* NAN: no bound; a bound skips nodules of unknown size */
  double max_diameter_mm;
  int threads;              /* 0: OpenMP's count for indexes of >= 2M entries, else 1 (on a
                               shared 2-core machine a second thread costs more than it gives) */
} lt_query;

/* Defaults: weights 1, no standardisation, no filters. */
void lt_query_init(lt_query *q);

typedef struct {
  int64_t nodule_id, patient_id;
  double distance;
  float attr[LT_NATTR];
  float diameter_mm;
  int8_t label;
  bool confirmed;
} lt_hit;

/* The k nearest entries to attr that pass the filters, nearest first (distance, then nodule id).
 * hits has room for k; *n_hits <= k. */
int lt_index_query(lt_index *idx, const double attr[LT_NATTR], const lt_query *q, int k,
                   lt_hit *hits, int *n_hits, lt_error *err);

typedef struct {
  int n;               /* hits */
  int with_diagnosis;  /* label benign or malignant */
  int malignant;       /* label malignant */
  int confirmed;       /* confirmed diagnosis */
  int rated_malignant; /* mean malignancy rating > 3 */
} lt_hit_summary;

void lt_hits_summarize(const lt_hit *hits, int n, lt_hit_summary *s);

#endif
