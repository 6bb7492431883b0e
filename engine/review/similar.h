/* engine/review/similar.h — the review's second call: the stored nodules most similar to a
 * nodule's six attribute scores (db/lt-index.h: a weighted distance over the scores, with the
 * query's filters), each with what a similar-nodule card or a `retrieve` line shows: the
 * patient's pseudonym, the nodule's key, its diagnosis and how it was established. The CLI's
 * `retrieve` and the workstation's similar-nodule panel both call it. It reads the database it
 * is given and writes nothing; thumbnails are the caller's (db/lt-db-read.h). */
#ifndef LT_REVIEW_SIMILAR_H
#define LT_REVIEW_SIMILAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lt-db-read.h"
#include "lt-db.h"
#include "lt-error.h"
#include "lt-index.h"

typedef struct {
  lt_hit hit;              /* id, distance, scores, diameter, diagnosis label, confirmed */
  bool has_info;           /* info read (a nodule removed meanwhile has none) */
  lt_db_nodule_info info;  /* pseudonym, source key, diagnosis and basis */
} lt_review_similar_hit;

typedef struct {
  int n;                       /* hits, nearest first */
  size_t db_nodules;           /* nodules the index holds */
  lt_review_similar_hit *hits; /* n entries (lt_review_similar_free) */
} lt_review_similar_result;

/* The k (>= 1) stored nodules nearest to attrs (subtlety, sphericity, margin, lobulation,
 * spiculation, malignancy rating) that pass q's filters. */
int lt_review_similar(lt_db *db, const double attrs[LT_NATTR], const lt_query *q, int k,
                      lt_review_similar_result *out, lt_error *err);
/* A stored nodule's reference scores and patient, to ask for nodules similar to it; -1 with
 * one line when the nodule is absent or has no reference scores. */
int lt_review_similar_query_of(lt_db *db, int64_t nodule_id, double attrs[LT_NATTR],
                               int64_t *patient_id, lt_error *err);
void lt_review_similar_free(lt_review_similar_result *r);

#endif
