/* ui/lt-retrieval-job.c — see lt-retrieval-job.h. */
#include "lt-retrieval-job.h"

#include <glib/gi18n.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

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
  for (int i = 0; i < c->n; i++) g_clear_pointer(&c->cards[i].png, g_bytes_unref);
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

static int retrieve_run(lt_job *job, void *data, lt_error *err) {
  HistJob *j = data;
  gint64 t0 = g_get_monotonic_time();
  if (ensure_open(j->h, err) != 0) return -1;
  lt_index *idx = NULL;
  if (lt_db_index(j->h->db, &idx, err) != 0) return -1;
  lt_query q;
  lt_query_init(&q);
  if (j->exclude) q.exclude_patient = patient_by_pseudonym(j->h->db, j->exclude);
  lt_hit *hits = g_new0(lt_hit, j->k);
  int n = 0;
  if (lt_index_query(idx, j->attr, &q, j->k, hits, &n, err) != 0) {
    g_free(hits);
    return -1;
  }
  LtCards *c = g_new0(LtCards, 1);
  c->cards = g_new0(LtCard, n > 0 ? n : 1);
  c->n = n;
  c->db_nodules = (int)lt_index_size(idx);
  for (int i = 0; i < n && !lt_job_cancelled(job); i++) {
    LtCard *d = &c->cards[i];
    d->nodule_id = hits[i].nodule_id;
    d->distance = hits[i].distance;
    memcpy(d->attr, hits[i].attr, sizeof d->attr);
    d->diameter_mm = hits[i].diameter_mm;
    lt_db_nodule_info info;
    lt_error e2 = {{0}};
    if (lt_db_nodule_get(j->h->db, hits[i].nodule_id, &info, &e2) == 0) {
      g_strlcpy(d->pseudonym, info.pseudonym, sizeof d->pseudonym);
      g_strlcpy(d->diagnosis, info.diagnosis, sizeof d->diagnosis);
      g_strlcpy(d->basis, info.basis, sizeof d->basis);
    }
    void *png = NULL;
    size_t np = 0;
    if (lt_db_thumbnail_get(j->h->db, hits[i].nodule_id, "centre-slice", &png, &np, &e2) == 0 && png)
      d->png = g_bytes_new_take(png, np);
  }
  g_free(hits);
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
