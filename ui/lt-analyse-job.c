/* ui/lt-analyse-job.c — see lt-analyse-job.h. */
#include "lt-analyse-job.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct LtModelCtx {
  char *path;
  gboolean tried;
  lt_review_model *m; /* NULL until loaded, or when it could not be */
  char error[256];
};

LtModelCtx *lt_model_ctx_new(const char *weights_path) {
  LtModelCtx *c = g_new0(LtModelCtx, 1);
  c->path = g_strdup(weights_path);
  return c;
}

void lt_model_ctx_free(LtModelCtx *c) {
  if (!c) return;
  if (c->m) lt_review_model_free(c->m);
  g_free(c->path);
  g_free(c);
}

/* Loads the weights, builds the network and hashes the file once (engine thread). */
static int model_ready(LtModelCtx *c, lt_error *err) {
  if (!c->tried) {
    c->tried = TRUE;
    if (lt_review_model_load(&c->m, c->path, err) != 0) {
      g_strlcpy(c->error, err->msg[0] ? err->msg : "?", sizeof c->error);
      c->m = NULL;
    }
  }
  if (!c->m) return lt_error_set(err, _("The model %s cannot be used: %s"), c->path, c->error);
  return 0;
}

gboolean lt_target_equal(const LtTarget *a, const LtTarget *b) {
  if (a->kind != b->kind) return FALSE;
  if (a->kind == LT_TARGET_NODULE) return strcmp(a->id, b->id) == 0;
  if (a->kind == LT_TARGET_POINT) /* a point is its voxel: the crosshair moves by whole voxels */
    for (int d = 0; d < 3; d++)
      if (lround(a->vox[d]) != lround(b->vox[d])) return FALSE;
  return TRUE;
}

const char *lt_target_describe(const LtTarget *t, char *buf, size_t n) {
  if (t->kind == LT_TARGET_NODULE)
    g_snprintf(buf, n, "nodule %s", t->id);
  else if (t->kind == LT_TARGET_POINT)
    g_snprintf(buf, n, "point (%ld, %ld, %ld)", lround(t->vox[0]), lround(t->vox[1]),
               lround(t->vox[2]));
  else
    g_strlcpy(buf, "nothing", n);
  return buf;
}

void lt_analysis_result_free(LtAnalysisResult *r) {
  if (!r) return;
  lt_review_result_free(&r->rr);
  g_free(r->seg);
  g_free(r);
}

static void study_clear(gpointer p) {
  LtStudyData *s = p;
  lt_review_study_clear(&s->review);
  lt_nodule_set_free(s->nodules);
  lt_volume_free(s->vol);
}

LtStudyData *lt_study_data_new(lt_volume *vol, lt_nodule_set *nodules,
                               const lt_series_info *info) {
  LtStudyData *s = g_atomic_rc_box_new0(LtStudyData);
  s->vol = vol;
  s->nodules = nodules;
  if (info) {
    s->info = *info;
    s->info.series = NULL; /* the loader's to free; the pipeline reads the gaps, not the list */
    s->info.n_series = 0;
  }
  lt_review_study_init(&s->review, vol, nodules, info ? &s->info : NULL);
  return s;
}

LtStudyData *lt_study_data_ref(LtStudyData *s) { return g_atomic_rc_box_acquire(s); }

void lt_study_data_unref(LtStudyData *s) {
  if (s) g_atomic_rc_box_release_full(s, study_clear);
}

typedef struct {
  LtStudyData *study;
  unsigned study_serial;
  LtTarget what;
  LtModelCtx *model;
  GWeakRef target;
  LtAnalyseProgress progress;
  LtAnalyseDone done;
} AnalyseJob;

static void job_free(void *p) {
  AnalyseJob *a = p;
  lt_study_data_unref(a->study);
  g_weak_ref_clear(&a->target);
  g_free(a);
}

/* One message to the main loop. */
typedef struct {
  GObject *target; /* strong ref taken on the worker thread from the weak ref */
  LtAnalyseProgress progress;
  LtAnalyseDone done;
  uint64_t id;
  int is_done, status;
  LtAnalysisResult *result;
  double fraction;
  char text[256];
} Post;

static gboolean deliver(gpointer p) {
  Post *m = p;
  if (m->is_done)
    m->done(m->target, m->id, m->status, m->result, m->text);
  else
    m->progress(m->target, m->id, m->fraction, m->text);
  g_object_unref(m->target);
  g_free(m);
  return G_SOURCE_REMOVE;
}

static void post(AnalyseJob *a, Post *m) {
  m->target = g_weak_ref_get(&a->target);
  if (!m->target) {
    lt_analysis_result_free(m->result);
    g_free(m);
    return;
  }
  m->progress = a->progress;
  m->done = a->done;
  g_idle_add(deliver, m);
}

static void on_progress(uint64_t id, double fraction, const char *what, void *user) {
  Post *m = g_new0(Post, 1);
  m->id = id;
  m->fraction = fraction;
  g_strlcpy(m->text, what, sizeof m->text);
  post(user, m);
}

static void on_done(uint64_t id, lt_job_status st, void *result, const lt_error *err, void *user) {
  Post *m = g_new0(Post, 1);
  m->result = result;
  m->id = id;
  m->is_done = 1;
  m->status = st;
  g_strlcpy(m->text, err ? err->msg : "", sizeof m->text);
  post(user, m);
}

/* Test only (see the header): holds the finished result back, still answering a cancel. */
static void test_delay(lt_job *job) {
  const char *e = g_getenv("LT_TEST_ANALYSE_DELAY_MS");
  long ms = e ? strtol(e, NULL, 10) : 0;
  if (ms <= 0) return;
  g_message("analysis held back %ld ms (LT_TEST_ANALYSE_DELAY_MS, for tests only)", ms);
  for (long t = 0; t < ms && !lt_job_cancelled(job); t += 20) g_usleep(20000);
}

static int analyse_run(lt_job *job, void *data, lt_error *err) {
  AnalyseJob *a = data;
  const lt_geometry *g = &a->study->vol->geom;
  for (int d = 0; d < 3; d++)
    if (!(a->what.vox[d] > -0.5 && a->what.vox[d] < g->dim[d] - 0.5))
      return lt_error_set(err, "%s", _("The point is outside the image."));
  if (!a->model || !a->model->path)
    return lt_error_set(err, "%s", _("No model is loaded, so this point cannot be analysed: put "
                                     "a model file (.safetensors) in resources/models/."));
  if (!a->study->review.lung && !a->study->review.lung_failed) {
    lt_job_progress(job, 0.1, _("Finding the lungs…"));
    if (lt_review_study_lungs(&a->study->review, err) != 0) return -1;
  }
  if (lt_job_cancelled(job)) return 0;
  if (!a->model->tried) lt_job_progress(job, 0.3, _("Loading the model…"));
  if (model_ready(a->model, err) != 0) return -1;
  if (lt_job_cancelled(job)) return 0;
  lt_job_progress(job, 0.6, _("Running the model…"));
  gint64 t0 = g_get_monotonic_time();
  lt_review_request req;
  memset(&req, 0, sizeof req);
  if (a->what.kind == LT_TARGET_NODULE && a->what.readings) {
    /* by its ID: the pipeline takes the readers' consensus centroid, as `analyze --nodule` */
    req.where = LT_REVIEW_AT_NODULE;
    g_strlcpy(req.nodule_id, a->what.id, sizeof req.nodule_id);
  } else {
    req.where = LT_REVIEW_AT_VOXEL;
    memcpy(req.at, a->what.vox, sizeof req.at);
  }
  LtAnalysisResult *r = g_new0(LtAnalysisResult, 1);
  r->target = a->what;
  r->study_serial = a->study_serial;
  if (lt_review_analyze(&a->study->review, a->model->m, &req, &r->rr, err) != 0) {
    lt_analysis_result_free(r);
    return -1;
  }
  const int S = r->rr.an.side;
  const size_t n = (size_t)S * S * S;
  r->seg = g_malloc(n);
  for (size_t i = 0; i < n; i++) r->seg[i] = r->rr.an.seg && r->rr.an.seg[i] >= 0.5f;
  /* the window keeps a result per nodule and draws none of the 64^3 patch: 2.3 MB less each */
  g_clear_pointer(&r->rr.patch, free);
  g_clear_pointer(&r->rr.consensus, free);
  r->seconds = (g_get_monotonic_time() - t0) / 1e6;
  test_delay(job);
  lt_job_set_result(job, r, (void (*)(void *))lt_analysis_result_free);
  return 0;
}

uint64_t lt_analyse_submit(lt_worker *w, LtStudyData *study, unsigned study_serial,
                           const LtTarget *what, LtModelCtx *model, GObject *target,
                           LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err) {
  AnalyseJob *a = g_new0(AnalyseJob, 1);
  a->study = lt_study_data_ref(study);
  a->study_serial = study_serial;
  a->what = *what;
  a->model = model;
  g_weak_ref_init(&a->target, target);
  a->progress = progress;
  a->done = done;
  lt_job_spec s = {.kind = LT_JOB_ANALYSE_NODULE, .interactive = 1, .run = analyse_run,
                   .data = a, .free_data = job_free, .progress = on_progress, .done = on_done,
                   .user = a};
  return lt_worker_submit(w, &s, err);
}
