/* engine/train/folds.c — see folds.h. */
#include "train/folds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/params.h"

typedef struct {
  const char *id;
  int index;
} entry;

static int entry_cmp(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

typedef struct {
  int first;  /* into the sorted entries */
  int count;
  uint64_t key; /* shuffle key */
} group;

static int group_cmp_size(const void *a, const void *b) {
  const group *x = a, *y = b;
  if (x->count != y->count) return y->count - x->count; /* largest first */
  return (x->key > y->key) - (x->key < y->key);
}

static int group_cmp_key(const void *a, const void *b) {
  const group *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}

/* Groups samples by patient: sorted entries and groups in shuffled order (largest first when
 * by_size). */
static int make_groups(entry **pe, group **pg, int *ng, const char *const *patient, const int *use,
                       int n, uint64_t seed, bool by_size, lt_error *err) {
  entry *e = malloc((size_t)(n ? n : 1) * sizeof *e);
  group *g = malloc((size_t)(n ? n : 1) * sizeof *g);
  if (!e || !g) {
    free(e);
    free(g);
    return lt_error_set(err, "folds: out of memory");
  }
  int m = 0;
  for (int i = 0; i < n; i++)
    if (!use || use[i]) e[m++] = (entry){patient[i] ? patient[i] : "", i};
  qsort(e, (size_t)m, sizeof *e, entry_cmp);
  lt_rng r;
  lt_rng_seed(&r, seed);
  int k = 0;
  for (int i = 0; i < m;) {
    int j = i;
    while (j < m && strcmp(e[j].id, e[i].id) == 0) j++;
    g[k++] = (group){i, j - i, lt_rng_next(&r)};
    i = j;
  }
  qsort(g, (size_t)k, sizeof *g, by_size ? group_cmp_size : group_cmp_key);
  *pe = e;
  *pg = g;
  *ng = k;
  return 0;
}

int lt_folds_by_patient(int *fold, const char *const *patient, int n, int k, uint64_t seed,
                        lt_error *err) {
  if (k < 2) return lt_error_set(err, "folds: need at least 2 folds, got %d", k);
  entry *e;
  group *g;
  int ng;
  if (make_groups(&e, &g, &ng, patient, NULL, n, seed, true, err)) return -1;
  if (ng < k) {
    free(e);
    free(g);
    return lt_error_set(err, "folds: %d patients cannot fill %d folds", ng, k);
  }
  int *size = calloc((size_t)k, sizeof *size);
  if (!size) {
    free(e);
    free(g);
    return lt_error_set(err, "folds: out of memory");
  }
  for (int i = 0; i < ng; i++) {
    int best = 0;
    for (int f = 1; f < k; f++)
      if (size[f] < size[best]) best = f;
    for (int j = 0; j < g[i].count; j++) fold[e[g[i].first + j].index] = best;
    size[best] += g[i].count;
  }
  free(size);
  free(e);
  free(g);
  return 0;
}

int lt_split_validation(int *role, const int *fold, const char *const *patient, int n, int t,
                        double frac, uint64_t seed, lt_error *err) {
  if (!(frac > 0 && frac < 1)) return lt_error_set(err, "folds: validation share must be in (0, 1)");
  int *use = malloc((size_t)(n ? n : 1) * sizeof *use);
  if (!use) return lt_error_set(err, "folds: out of memory");
  int n_train = 0;
  for (int i = 0; i < n; i++) {
    use[i] = fold[i] != t;
    role[i] = use[i] ? 0 : 2;
    n_train += use[i];
  }
  entry *e;
  group *g;
  int ng;
  if (make_groups(&e, &g, &ng, patient, use, n, seed ^ 0x5bd1e995ull, false, err)) {
    free(use);
    return -1;
  }
  free(use);
  if (ng < 2) {
    free(e);
    free(g);
    return lt_error_set(err, "folds: the training part of fold %d has fewer than 2 patients", t);
  }
  /* Patients in shuffled order, whole patients until the share is reached (a patient goes in
   * when at least half of it fits), at least one, never all. */
  const double want = frac * n_train;
  int taken = 0;
  for (int i = 0; i < ng - 1 && (taken == 0 || taken + g[i].count / 2.0 <= want); i++) {
    for (int j = 0; j < g[i].count; j++) role[e[g[i].first + j].index] = 1;
    taken += g[i].count;
  }
  free(e);
  free(g);
  return 0;
}

void lt_early_stop_init(lt_early_stop *e, int patience) {
  e->patience = patience;
  e->best = -INFINITY;
  e->best_epoch = -1;
  e->epoch = -1;
}

bool lt_early_stop_update(lt_early_stop *e, double score, bool *improved) {
  e->epoch++;
  bool up = !isnan(score) && score > e->best;
  if (up) {
    e->best = score;
    e->best_epoch = e->epoch;
  }
  if (improved) *improved = up;
  return e->epoch - e->best_epoch >= e->patience;
}
