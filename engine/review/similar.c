/* engine/review/similar.c — see similar.h. */
#include "review/similar.h"

#include <stdlib.h>
#include <string.h>

int lt_review_similar(lt_db *db, const double attrs[LT_NATTR], const lt_query *q, int k,
                      lt_review_similar_result *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  if (k < 1) return lt_error_set(err, "similar nodules: k must be at least 1");
  lt_index *idx = NULL;
  if (lt_db_index(db, &idx, err)) return -1;
  lt_hit *hits = calloc((size_t)k, sizeof *hits);
  out->hits = calloc((size_t)k, sizeof *out->hits);
  int n = 0;
  if (!hits || !out->hits) {
    free(hits);
    lt_review_similar_free(out);
    return lt_error_set(err, "out of memory");
  }
  if (lt_index_query(idx, attrs, q, k, hits, &n, err)) {
    free(hits);
    lt_review_similar_free(out);
    return -1;
  }
  out->n = n;
  out->db_nodules = lt_index_size(idx);
  for (int i = 0; i < n; i++) {
    lt_review_similar_hit *h = &out->hits[i];
    lt_error e2 = {{0}};
    h->hit = hits[i];
    h->has_info = lt_db_nodule_get(db, hits[i].nodule_id, &h->info, &e2) == 0;
  }
  free(hits);
  return 0;
}

int lt_review_similar_query_of(lt_db *db, int64_t nodule_id, double attrs[LT_NATTR],
                               int64_t *patient_id, lt_error *err) {
  lt_index *idx = NULL;
  if (lt_db_index(db, &idx, err)) return -1;
  lt_index_entry e;
  if (!lt_index_get(idx, nodule_id, &e))
    return lt_error_set(err, "nodule %lld is not in the database or has no reference attribute "
                        "scores", (long long)nodule_id);
  for (int d = 0; d < LT_NATTR; d++) attrs[d] = e.attr[d];
  if (patient_id) *patient_id = e.patient_id;
  return 0;
}

void lt_review_similar_free(lt_review_similar_result *r) {
  free(r->hits);
  memset(r, 0, sizeof *r);
}
