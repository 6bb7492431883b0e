/* ui/lt-retrieval-job.c — see lt-retrieval-job.h. */
#include "lt-retrieval-job.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "review/similar.h"
#include "lt-db-read.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-index.h"

struct LtHistory {
  char *db_path, *ratings_dir;
  lt_db *db; /* engine thread only */
  char open_error[256];
};

LtHistory *lt_history_new(const char *db_path, const char *ratings_dir) {
  LtHistory *h = g_new0(LtHistory, 1);
  const char *env = g_getenv("LUNGTRUST_DB");
  h->db_path = g_strdup(db_path ? db_path : env && *env ? env : NULL);
  h->ratings_dir = g_strdup(ratings_dir);
  return h;
}

void lt_history_free(LtHistory *h) {
  if (!h) return;
  if (h->db) lt_db_close(h->db);
  g_free(h->db_path);
  g_free(h->ratings_dir);
  g_free(h);
}

void lt_cards_free(LtCards *c) {
  if (!c) return;
  for (int i = 0; i < c->n; i++) {
    g_clear_pointer(&c->cards[i].png, g_bytes_unref);
    g_free(c->cards[i].series_path);
  }
  g_free(c->cards);
  g_free(c);
}

typedef struct {
  LtHistory *h;
  double attr[6];
  int k;
  char *exclude;
  GWeakRef target;
  LtHistoryDone done;
} HistJob;

static void hist_job_free(void *p) {
  HistJob *j = p;
  g_free(j->exclude);
  g_weak_ref_clear(&j->target);
  g_free(j);
}

typedef struct {
  GObject *target;
  LtHistoryDone done;
  uint64_t id;
  int status;
  LtCards *cards;
  char msg[256];
} Post;

static gboolean deliver(gpointer p) {
  Post *m = p;
  m->done(m->target, m->id, m->status, m->cards, m->msg);
  g_object_unref(m->target);
  g_free(m);
  return G_SOURCE_REMOVE;
}

static void on_done(uint64_t id, lt_job_status st, void *result, const lt_error *err, void *user) {
  HistJob *j = user;
  GObject *t = g_weak_ref_get(&j->target);
  if (!t) {
    lt_cards_free(result);
    return;
  }
  Post *m = g_new0(Post, 1);
  m->target = t;
  m->done = j->done;
  m->id = id;
  m->status = st;
  m->cards = result;
  if (st != LT_JOB_DONE && err) g_strlcpy(m->msg, err->msg, sizeof m->msg);
  if (st == LT_JOB_DONE && m->cards == NULL) g_strlcpy(m->msg, j->h->open_error, sizeof m->msg);
  g_idle_add(deliver, m);
}

static int ensure_open(LtHistory *h, lt_error *err) {
  if (h->db) return 0;
  if (lt_db_open(h->db_path, &h->db, err) != 0) {
    h->db = NULL;
    return lt_error_prefix(err, "%s", _("The historical database cannot be opened"));
  }
  lt_db_check_result r;
  if (lt_db_check(h->db, &r, err) != 0) return -1;
  if (r.nodules == 0 && h->ratings_dir) {
    lt_lidc_report rep;
    memset(&rep, 0, sizeof rep);
    if (lt_import_lidc_ratings(h->db, h->ratings_dir, NULL, &rep, err) != 0)
      return lt_error_prefix(err, "%s", _("The LIDC tables could not be imported"));
    if (lt_db_check(h->db, &r, err) != 0) return -1;
    g_snprintf(h->open_error, sizeof h->open_error,
               _("LIDC tables imported into %s: %lld nodules."), lt_db_path(h->db),
               (long long)r.nodules);
  } else {
    g_snprintf(h->open_error, sizeof h->open_error, _("Historical database %s: %lld nodules."),
               lt_db_path(h->db), (long long)r.nodules);
  }
  return 0;
}

static int open_run(lt_job *job, void *data, lt_error *err) {
  HistJob *j = data;
  lt_job_progress(job, 0, "database");
  return ensure_open(j->h, err);
}

static int64_t patient_by_pseudonym(lt_db *db, const char *pseudonym) {
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  if (sqlite3_prepare_v2(lt_db_sqlite(db), "SELECT id FROM patients WHERE pseudonym = ?", -1, &st,
                         NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return id;
}

/* Where a nodule's images are: its series' import path and its voxel position. */
static void card_place(lt_db *db, LtCard *d) {
  for (int a = 0; a < 3; a++) d->vox[a] = NAN;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(lt_db_sqlite(db),
                         "SELECT s.path, n.col, n.row, n.slice, n.source_key FROM nodules n "
                         "LEFT JOIN series s ON s.id = n.series_id WHERE n.id = ?",
                         -1, &st, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64(st, 1, d->nodule_id);
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *p = (const char *)sqlite3_column_text(st, 0);
    d->series_path = p && *p ? g_strdup(p) : NULL;
    for (int a = 0; a < 3; a++)
      if (sqlite3_column_type(st, 1 + a) != SQLITE_NULL) d->vox[a] = sqlite3_column_double(st, 1 + a);
    const char *k = (const char *)sqlite3_column_text(st, 4);
    g_strlcpy(d->source_key, k ? k : "", sizeof d->source_key);
  }
  sqlite3_finalize(st);
}

static int retrieve_run(lt_job *job, void *data, lt_error *err) {
  HistJob *j = data;
  gint64 t0 = g_get_monotonic_time();
  if (ensure_open(j->h, err) != 0) return -1;
  lt_query q;
  lt_query_init(&q);
  if (j->exclude) q.exclude_patient = patient_by_pseudonym(j->h->db, j->exclude);
  lt_review_similar_result res;
  if (lt_review_similar(j->h->db, j->attr, &q, j->k, &res, err) != 0) return -1;
  const int n = res.n;
  LtCards *c = g_new0(LtCards, 1);
  c->cards = g_new0(LtCard, n > 0 ? n : 1);
  c->n = n;
  c->db_nodules = (int)res.db_nodules;
  for (int i = 0; i < n && !lt_job_cancelled(job); i++) {
    LtCard *d = &c->cards[i];
    const lt_review_similar_hit *h = &res.hits[i];
    d->nodule_id = h->hit.nodule_id;
    d->distance = h->hit.distance;
    memcpy(d->attr, h->hit.attr, sizeof d->attr);
    d->diameter_mm = h->hit.diameter_mm;
    if (h->has_info) {
      g_strlcpy(d->pseudonym, h->info.pseudonym, sizeof d->pseudonym);
      g_strlcpy(d->diagnosis, h->info.diagnosis, sizeof d->diagnosis);
      g_strlcpy(d->basis, h->info.basis, sizeof d->basis);
    }
    void *png = NULL;
    size_t np = 0;
    lt_error e2 = {{0}};
    if (lt_db_thumbnail_get(j->h->db, h->hit.nodule_id, "centre-slice", &png, &np, &e2) == 0 && png)
      d->png = g_bytes_new_take(png, np);
    card_place(j->h->db, d);
  }
  lt_review_similar_free(&res);
  c->seconds = (g_get_monotonic_time() - t0) / 1e6;
  lt_job_set_result(job, c, (void (*)(void *))lt_cards_free);
  return 0;
}

static uint64_t submit(lt_worker *w, HistJob *j, int interactive, lt_job_kind kind,
                       lt_job_fn run, lt_error *err) {
  lt_job_spec s = {.kind = kind, .interactive = interactive, .run = run, .data = j,
                   .free_data = hist_job_free, .done = on_done, .user = j};
  return lt_worker_submit(w, &s, err);
}

uint64_t lt_history_open_submit(lt_worker *w, LtHistory *h, GObject *target, LtHistoryDone done,
                                lt_error *err) {
  HistJob *j = g_new0(HistJob, 1);
  j->h = h;
  g_weak_ref_init(&j->target, target);
  j->done = done;
  return submit(w, j, 0, LT_JOB_IMPORT, open_run, err);
}

uint64_t lt_history_retrieve_submit(lt_worker *w, LtHistory *h, const double attr[6], int k,
                                    const char *exclude_pseudonym, GObject *target,
                                    LtHistoryDone done, lt_error *err) {
  HistJob *j = g_new0(HistJob, 1);
  j->h = h;
  memcpy(j->attr, attr, sizeof j->attr);
  j->k = k > 0 ? k : 1;
  j->exclude = g_strdup(exclude_pseudonym);
  g_weak_ref_init(&j->target, target);
  j->done = done;
  return submit(w, j, 1, LT_JOB_RETRIEVE, retrieve_run, err);
}

void lt_db_nodules_free(LtDbNodules *d) {
  if (!d) return;
  g_free(d->nodules);
  g_free(d);
}

typedef struct {
  LtHistory *h;
  char *series_uid;
  GWeakRef target;
  LtDbNodulesDone done;
} SeriesJob;

static void series_job_free(void *p) {
  SeriesJob *j = p;
  g_free(j->series_uid);
  g_weak_ref_clear(&j->target);
  g_free(j);
}

typedef struct {
  GObject *target;
  LtDbNodulesDone done;
  uint64_t id;
  int status;
  LtDbNodules *nodules;
  char msg[256];
} SeriesPost;

static gboolean series_deliver(gpointer p) {
  SeriesPost *m = p;
  m->done(m->target, m->id, m->status, m->nodules, m->msg);
  g_object_unref(m->target);
  g_free(m);
  return G_SOURCE_REMOVE;
}

static void series_done(uint64_t id, lt_job_status st, void *result, const lt_error *err,
                        void *user) {
  SeriesJob *j = user;
  GObject *t = g_weak_ref_get(&j->target);
  if (!t) {
    lt_db_nodules_free(result);
    return;
  }
  SeriesPost *m = g_new0(SeriesPost, 1);
  m->target = t;
  m->done = j->done;
  m->id = id;
  m->status = st;
  m->nodules = st == LT_JOB_DONE ? result : NULL;
  if (st != LT_JOB_DONE) lt_db_nodules_free(result);
  if (st != LT_JOB_DONE && err) g_strlcpy(m->msg, err->msg, sizeof m->msg);
  g_idle_add(series_deliver, m);
}

static double col_or_nan(sqlite3_stmt *st, int c) {
  return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static int series_run(lt_job *job, void *data, lt_error *err) {
  SeriesJob *j = data;
  lt_job_progress(job, 0, "database");
  if (ensure_open(j->h, err) != 0) return -1;
  static const char *sql =
      "SELECT n.id, n.source, n.source_key, n.col, n.row, n.slice, n.x_mm, n.y_mm, n.z_mm,"
      " n.diameter_mm,"
      " (SELECT COUNT(*) FROM model_runs r WHERE r.nodule_id = n.id),"
      " (SELECT r.probability FROM model_runs r WHERE r.nodule_id = n.id ORDER BY r.id DESC"
      "  LIMIT 1)"
      " FROM nodules n JOIN series s ON s.id = n.series_id WHERE s.uid = ? ORDER BY n.id";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(lt_db_sqlite(j->h->db), sql, -1, &st, NULL) != SQLITE_OK) {
    lt_error_set(err, "%s", sqlite3_errmsg(lt_db_sqlite(j->h->db)));
    return -1;
  }
  sqlite3_bind_text(st, 1, j->series_uid, -1, SQLITE_TRANSIENT);
  LtDbNodules *d = g_new0(LtDbNodules, 1);
  g_strlcpy(d->series_uid, j->series_uid, sizeof d->series_uid);
  int cap = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (d->n == cap) {
      cap = cap ? cap * 2 : 16;
      d->nodules = g_renew(LtDbNodule, d->nodules, cap);
    }
    LtDbNodule *n = &d->nodules[d->n++];
    memset(n, 0, sizeof *n);
    n->id = sqlite3_column_int64(st, 0);
    g_strlcpy(n->source, (const char *)sqlite3_column_text(st, 1), sizeof n->source);
    g_strlcpy(n->source_key, (const char *)sqlite3_column_text(st, 2), sizeof n->source_key);
    for (int a = 0; a < 3; a++) {
      n->vox[a] = col_or_nan(st, 3 + a);
      n->mm[a] = col_or_nan(st, 6 + a);
    }
    n->diameter_mm = col_or_nan(st, 9);
    n->n_runs = sqlite3_column_int(st, 10);
    n->last_prob = col_or_nan(st, 11);
  }
  if (rc != SQLITE_DONE) {
    lt_error_set(err, "%s", sqlite3_errmsg(lt_db_sqlite(j->h->db)));
    sqlite3_finalize(st);
    lt_db_nodules_free(d);
    return -1;
  }
  sqlite3_finalize(st);
  lt_job_set_result(job, d, (void (*)(void *))lt_db_nodules_free);
  return 0;
}

uint64_t lt_history_series_nodules_submit(lt_worker *w, LtHistory *h, const char *series_uid,
                                          GObject *target, LtDbNodulesDone done, lt_error *err) {
  SeriesJob *j = g_new0(SeriesJob, 1);
  j->h = h;
  j->series_uid = g_strdup(series_uid);
  g_weak_ref_init(&j->target, target);
  j->done = done;
  lt_job_spec s = {.kind = LT_JOB_RETRIEVE, .interactive = 0, .run = series_run, .data = j,
                   .free_data = series_job_free, .done = series_done, .user = j};
  return lt_worker_submit(w, &s, err);
}
