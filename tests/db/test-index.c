/* tests/db/test-index.c — retrieval: the index's top-K equals a naive scan (explicit z-scores,
 * full sort) on random data with random weights and filters; every filter honoured; the answer
 * does not depend on insert order or thread count; the index follows database writes (commit,
 * rollback, delete) exactly as a rebuild from the database would; the malignancy summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-index-sql.h"
#include "lt-index.h"
#include "lt-test.h"

static char tmp[4096];

static uint64_t rng_state = 0x12345678abcdefull;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}
static double urand(void) { return rnd() / 2097152.0 / 1024.0; } /* [0, 1) */

/* Entries with scores in quarters (like means of four readers) or continuous. */
static lt_index_entry *random_entries(int n, bool quarters) {
  lt_index_entry *e = calloc((size_t)n, sizeof *e);
  for (int i = 0; i < n; i++) {
    e[i].nodule_id = 1 + (int64_t)i * 3 + (rnd() % 3); /* ids with gaps */
    e[i].patient_id = 1 + rnd() % 300;
    for (int d = 0; d < LT_NATTR; d++)
      e[i].attr[d] = quarters ? (float)(4 + rnd() % 17) / 4.0f : (float)(1 + 4 * urand());
    e[i].diameter_mm = rnd() % 10 == 0 ? NAN : (float)(3 + 30 * urand());
    int l = (int)(rnd() % 3) - 1;
    e[i].label = (int8_t)l;
    e[i].confirmed = l >= 0 && rnd() % 2;
  }
  return e;
}

static bool passes(const lt_index_entry *e, const lt_query *q) {
  if (q->confirmed_only && !e->confirmed) return false;
  if (q->exclude_patient > 0 && e->patient_id == q->exclude_patient) return false;
  if (q->exclude_nodule > 0 && e->nodule_id == q->exclude_nodule) return false;
  bool lo = !isnan(q->min_diameter_mm), hi = !isnan(q->max_diameter_mm);
  if ((lo || hi) && isnan(e->diameter_mm)) return false;
  if (lo && e->diameter_mm < q->min_diameter_mm) return false;
  if (hi && e->diameter_mm > q->max_diameter_mm) return false;
  return true;
}

typedef struct {
  double d;
  int64_t id;
} cand;

static int cand_cmp(const void *pa, const void *pb) {
  const cand *a = pa, *b = pb;
  if (a->d != b->d) return a->d < b->d ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* The naive answer: z-scores computed explicitly, every candidate sorted. */
static int naive(const lt_index_entry *e, int n, const double qa[6], const lt_query *q, cand *out) {
  double mean[6] = {0}, sd[6] = {0};
  for (int d = 0; d < 6; d++) {
    for (int i = 0; i < n; i++) mean[d] += e[i].attr[d];
    mean[d] /= n;
    for (int i = 0; i < n; i++) sd[d] += (e[i].attr[d] - mean[d]) * (e[i].attr[d] - mean[d]);
    sd[d] = sqrt(sd[d] / n);
  }
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (!passes(&e[i], q)) continue;
    double s = 0;
    for (int d = 0; d < 6; d++) {
      double zx = e[i].attr[d], zq = qa[d];
      if (q->standardize && sd[d] > 0) zx = (zx - mean[d]) / sd[d], zq = (zq - mean[d]) / sd[d];
      double t = q->weights[d] * (zx - zq);
      s += t * t;
    }
    out[m++] = (cand){sqrt(s), e[i].nodule_id};
  }
  qsort(out, (size_t)m, sizeof *out, cand_cmp);
  return m;
}

static void random_query(double qa[6], lt_query *q, int64_t some_patient, int64_t some_nodule,
                         bool exact) {
  lt_query_init(q);
  for (int d = 0; d < 6; d++) qa[d] = exact ? (4 + rnd() % 17) / 4.0 : 1 + 4 * urand();
  if (rnd() % 2)
    for (int d = 0; d < 6; d++) q->weights[d] = exact ? rnd() % 4 : 2 * urand();
  q->standardize = !exact && rnd() % 2;
  q->confirmed_only = rnd() % 4 == 0;
  if (rnd() % 3 == 0) q->exclude_patient = some_patient;
  if (rnd() % 3 == 0) q->exclude_nodule = some_nodule;
  if (rnd() % 3 == 0) q->min_diameter_mm = 3 + 20 * urand();
  if (rnd() % 3 == 0) q->max_diameter_mm = 10 + 25 * urand();
}

static void check_against_naive(bool exact) {
  const int n = 6000;
  lt_index_entry *e = random_entries(n, exact);
  lt_index *idx = lt_index_new();
  lt_error err = {{0}};
  for (int i = 0; i < n; i++) assert_int_equal(lt_index_put(idx, &e[i], &err), 0);
  cand *all = malloc((size_t)n * sizeof *all);
  lt_hit hits[64];
  for (int t = 0; t < 400; t++) {
    double qa[6];
    lt_query q;
    const lt_index_entry *pick = &e[rnd() % n];
    random_query(qa, &q, pick->patient_id, pick->nodule_id, exact);
    int k = 1 + (int)(rnd() % 60), got;
    assert_int_equal(lt_index_query(idx, qa, &q, k, hits, &got, &err), 0);
    int m = naive(e, n, qa, &q, all);
    assert_int_equal(got, m < k ? m : k);
    for (int i = 0; i < got; i++) {
      lt_index_entry h;
      assert_true(lt_index_get(idx, hits[i].nodule_id, &h));
      assert_true(passes(&h, &q)); /* every filter honoured */
      if (i > 0) /* sorted by (distance, id) */
        assert_true(hits[i - 1].distance < hits[i].distance ||
                    (hits[i - 1].distance == hits[i].distance &&
                     hits[i - 1].nodule_id < hits[i].nodule_id));
      if (exact) {
        /* quarters and integer weights: every distance is exact, so ties are real ties and the
         * lists must be identical, id for id */
        assert_int_equal(hits[i].nodule_id, all[i].id);
        assert_true(hits[i].distance == all[i].d);
      } else {
        assert_true(fabs(hits[i].distance - all[i].d) <= 1e-9 * (1 + all[i].d));
        if (hits[i].nodule_id != all[i].id) /* only a near-tie may swap */
          assert_true(fabs(all[i].d - hits[i].distance) <= 1e-9 * (1 + all[i].d));
      }
    }
    /* nothing nearer than the last hit was missed */
    if (got > 0 && !exact) {
      double last = hits[got - 1].distance;
      for (int j = 0; j < m && all[j].d < last - 1e-9 * (1 + last); j++) {
        bool found = false;
        for (int i = 0; i < got && !found; i++) found = hits[i].nodule_id == all[j].id;
        assert_true(found);
      }
    }
  }
  free(all);
  free(e);
  lt_index_free(idx);
}

static void index_query_equals_naive_scan_exact_ties(void **state) {
  (void)state;
  check_against_naive(true);
}

static void index_query_equals_naive_scan_weights_zscores_filters(void **state) {
  (void)state;
  check_against_naive(false);
}

static void index_answer_independent_of_insert_order_and_threads(void **state) {
  (void)state;
  const int n = 70000;
  lt_index_entry *e = random_entries(n, true);
  lt_index *a = lt_index_new(), *b = lt_index_new();
  lt_error err = {{0}};
  for (int i = 0; i < n; i++) assert_int_equal(lt_index_put(a, &e[i], &err), 0);
  /* b: reverse order, with a third removed and put back, and a stale value overwritten */
  for (int i = n - 1; i >= 0; i--) {
    lt_index_entry junk = e[i];
    junk.attr[0] = 99;
    assert_int_equal(lt_index_put(b, &junk, &err), 0);
  }
  for (int i = 0; i < n; i += 3) lt_index_remove(b, e[i].nodule_id);
  for (int i = 0; i < n; i++) assert_int_equal(lt_index_put(b, &e[i], &err), 0);
  assert_int_equal(lt_index_size(a), (size_t)n);
  assert_int_equal(lt_index_size(b), (size_t)n);
  lt_hit ha[20], hb[20];
  for (int t = 0; t < 100; t++) {
    double qa[6];
    lt_query q;
    random_query(qa, &q, e[t].patient_id, e[t].nodule_id, true);
    int na, nb;
    q.threads = 1 + t % 3;
    assert_int_equal(lt_index_query(a, qa, &q, 20, ha, &na, &err), 0);
    q.threads = 3 - t % 3;
    assert_int_equal(lt_index_query(b, qa, &q, 20, hb, &nb, &err), 0);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
      assert_int_equal(ha[i].nodule_id, hb[i].nodule_id);
      assert_true(ha[i].distance == hb[i].distance);
    }
  }
  free(e);
  lt_index_free(a);
  lt_index_free(b);
}

static void index_filters_and_summary_on_small_set(void **state) {
  (void)state;
  lt_index *idx = lt_index_new();
  lt_error err = {{0}};
  /* id, patient, attr (all dims equal), diameter, label, confirmed */
  struct { int64_t id, pat; float v, diam; int label; bool conf; } rows[] = {
      {10, 1, 3.0f, 8, 1, true},   {11, 1, 3.0f, 12, 0, true},  {12, 2, 3.5f, NAN, 1, false},
      {13, 3, 2.0f, 20, -1, false}, {14, 4, 4.0f, 25, 1, true}, {15, 5, 3.0f, 5, 0, false},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    lt_index_entry e = {.nodule_id = rows[i].id, .patient_id = rows[i].pat,
                        .diameter_mm = rows[i].diam, .label = (int8_t)rows[i].label,
                        .confirmed = rows[i].conf};
    for (int d = 0; d < 6; d++) e.attr[d] = rows[i].v;
    assert_int_equal(lt_index_put(idx, &e, &err), 0);
  }
  const double q3[6] = {3, 3, 3, 3, 3, 3};
  lt_query q;
  lt_query_init(&q);
  lt_hit h[6];
  int n;
  assert_int_equal(lt_index_query(idx, q3, &q, 5, h, &n, &err), 0);
  assert_int_equal(n, 5);
  /* ties at distance 0 broken by id: 10, 11, 15; then 12 (0.5*sqrt6), then 13 and 14 tie at
   * sqrt(6): 13 first */
  int64_t want[] = {10, 11, 15, 12, 13};
  for (int i = 0; i < 5; i++) assert_int_equal(h[i].nodule_id, want[i]);
  assert_true(fabs(h[3].distance - 0.5 * sqrt(6)) < 1e-12);
  lt_hit_summary s;
  lt_hits_summarize(h, n, &s);
  assert_int_equal(s.with_diagnosis, 4); /* 10, 11, 15, 12 */
  assert_int_equal(s.malignant, 2);      /* 10, 12 */
  assert_int_equal(s.confirmed, 2);      /* 10, 11 */
  assert_int_equal(s.rated_malignant, 1); /* 12 (3.5 > 3) */
  q.confirmed_only = true;
  assert_int_equal(lt_index_query(idx, q3, &q, 5, h, &n, &err), 0);
  assert_int_equal(n, 3);
  assert_int_equal(h[2].nodule_id, 14);
  lt_query_init(&q);
  q.exclude_patient = 1;
  q.min_diameter_mm = 6;
  assert_int_equal(lt_index_query(idx, q3, &q, 5, h, &n, &err), 0);
  assert_int_equal(n, 2); /* 12 has no size, 15 is 5 mm, 10 and 11 are patient 1 */
  assert_int_equal(h[0].nodule_id, 13);
  assert_int_equal(h[1].nodule_id, 14);
  lt_query_init(&q);
  q.max_diameter_mm = 12;
  q.exclude_nodule = 10;
  assert_int_equal(lt_index_query(idx, q3, &q, 5, h, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(h[0].nodule_id, 11);
  assert_int_equal(h[1].nodule_id, 15);
  /* weights: only malignancy counts -> 10, 11, 15 tie at 0, then 12 */
  lt_query_init(&q);
  for (int d = 0; d < 5; d++) q.weights[d] = 0;
  q.weights[5] = 2;
  assert_int_equal(lt_index_query(idx, q3, &q, 4, h, &n, &err), 0);
  assert_true(fabs(h[3].distance - 1.0) < 1e-12);
  assert_int_equal(lt_index_query(idx, q3, &q, 0, h, &n, &err), -1);
  lt_index_free(idx);
}

/* Every entry of a equals the one in b. */
static void assert_same_index(lt_index *a, lt_index *b, int64_t max_id) {
  assert_int_equal(lt_index_size(a), lt_index_size(b));
  for (int64_t id = 1; id <= max_id; id++) {
    lt_index_entry x, y;
    bool fx = lt_index_get(a, id, &x), fy = lt_index_get(b, id, &y);
    assert_int_equal(fx, fy);
    if (!fx) continue;
    assert_int_equal(x.patient_id, y.patient_id);
    assert_memory_equal(x.attr, y.attr, sizeof x.attr);
    assert_true((isnan(x.diameter_mm) && isnan(y.diameter_mm)) || x.diameter_mm == y.diameter_mm);
    assert_int_equal(x.label, y.label);
    assert_int_equal(x.confirmed, y.confirmed);
  }
}

static void check_in_step(lt_db *db, int64_t max_id) {
  lt_index *live, *fresh = lt_index_new();
  lt_error err = {{0}};
  assert_int_equal(lt_db_index(db, &live, &err), 0);
  assert_int_equal(lt_index_sql_load(lt_db_sqlite(db), fresh, 0, &err), 0);
  assert_same_index(live, fresh, max_id);
  lt_index_free(fresh);
}

static void index_follows_database_writes(void **state) {
  (void)state;
  char p[4200];
  snprintf(p, sizeof p, "%s/step.db", tmp);
  unlink(p);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(p, &db, &err), 0);
  int64_t pat[3], nod[40];
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "P%d", i);
    assert_int_equal(lt_db_put_patient(db, name, "test", &pat[i], &err), 0);
  }
  double ch[LT_NCHAR];
  for (int i = 0; i < 20; i++) {
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    char key[16];
    snprintf(key, sizeof key, "k%d", i);
    n.patient_id = pat[i % 3];
    n.source = "t";
    n.source_key = key;
    n.diameter_mm = 4 + i;
    assert_int_equal(lt_db_put_nodule(db, &n, &nod[i], &err), 0);
    for (int c = 0; c < LT_NCHAR; c++) ch[c] = 1 + (i * 7 + c) % 5;
    if (i % 4 != 3)
      assert_int_equal(lt_db_put_attributes(db, nod[i], LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, &err), 0);
  }
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  assert_int_equal(lt_index_size(idx), 15);
  check_in_step(db, 100);
  /* autocommit writes: a user set on a nodule without a mean, a diagnosis, a size change */
  for (int c = 0; c < LT_NCHAR; c++) ch[c] = 2.5;
  assert_int_equal(lt_db_put_attributes(db, nod[3], LT_ATTRS_USER, "dr-a", 0, NULL, ch, NULL, &err), 0);
  assert_int_equal(lt_db_put_diagnosis(db, pat[0], nod[0], LT_DX_PRIMARY, LT_BASIS_BIOPSY, "t", "d0", NULL, &err), 0);
  assert_int_equal(lt_db_put_diagnosis(db, pat[1], nod[1], LT_DX_BENIGN, LT_BASIS_RATING, "t", "d1", NULL, &err), 0);
  lt_db_nodule n;
  lt_db_nodule_init(&n);
  n.patient_id = pat[2];
  n.source = "t";
  n.source_key = "k2";
  n.diameter_mm = 30;
  assert_int_equal(lt_db_put_nodule(db, &n, NULL, &err), 0);
  assert_int_equal(lt_index_size(idx), 16);
  lt_index_entry e;
  assert_true(lt_index_get(idx, nod[0], &e));
  assert_true(e.confirmed && e.label == LT_LABEL_MALIGNANT);
  assert_true(lt_index_get(idx, nod[2], &e));
  assert_true(e.diameter_mm == 30);
  check_in_step(db, 100);
  /* a model set is not a reference: the index does not change */
  lt_db_model_run run = {.nodule_id = nod[7], .weights_hash = "w1", .probability = 0.3,
                         .scores = {1, 1, 1, 1, 1, 1}, .cam_inside = NAN, .ood_score = NAN, .uncertainty = NAN};
  assert_int_equal(lt_db_add_model_run(db, &run, NULL, &err), 0);
  assert_false(lt_index_get(idx, nod[7], &e));
  check_in_step(db, 100);
  /* a transaction rolled back leaves the index as it was */
  assert_int_equal(lt_db_begin(db, &err), 0);
  assert_int_equal(lt_db_put_attributes(db, nod[7], LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, &err), 0);
  assert_int_equal(lt_db_delete_nodule(db, nod[0], &err), 0);
  assert_false(lt_index_get(idx, nod[7], &e)); /* not before commit */
  lt_db_rollback(db);
  assert_false(lt_index_get(idx, nod[7], &e));
  assert_true(lt_index_get(idx, nod[0], &e));
  check_in_step(db, 100);
  /* committed: both show */
  assert_int_equal(lt_db_begin(db, &err), 0);
  assert_int_equal(lt_db_put_attributes(db, nod[7], LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, &err), 0);
  assert_int_equal(lt_db_delete_nodule(db, nod[0], &err), 0);
  assert_int_equal(lt_db_commit(db, &err), 0);
  assert_true(lt_index_get(idx, nod[7], &e));
  assert_false(lt_index_get(idx, nod[0], &e));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM diagnoses WHERE source_key = 'd0'"), 0);
  check_in_step(db, 100);
  /* a readers' mean wins over a user set on the same nodule */
  for (int c = 0; c < LT_NCHAR; c++) ch[c] = 4.25;
  assert_int_equal(lt_db_put_attributes(db, nod[3], LT_ATTRS_READERS_MEAN, "m", 3, NULL, ch, NULL, &err), 0);
  assert_true(lt_index_get(idx, nod[3], &e));
  assert_true(e.attr[0] == 4.25f);
  check_in_step(db, 100);
  lt_db_close(db);
}

int main(void) {
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(index_query_equals_naive_scan_exact_ties),
      cmocka_unit_test(index_query_equals_naive_scan_weights_zscores_filters),
      cmocka_unit_test(index_answer_independent_of_insert_order_and_threads),
      cmocka_unit_test(index_filters_and_summary_on_small_set),
      cmocka_unit_test(index_follows_database_writes),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
