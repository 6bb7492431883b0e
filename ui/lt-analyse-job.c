/* ui/lt-analyse-job.c — see lt-analyse-job.h. */
#include "lt-analyse-job.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ct/lungmask.h"

static void study_clear(gpointer p) {
  LtStudyData *s = p;
  lt_volume_free(s->vol);
  g_free(s->lung);
}

LtStudyData *lt_study_data_new(lt_volume *vol) {
  LtStudyData *s = g_atomic_rc_box_new0(LtStudyData);
  s->vol = vol;
  return s;
}

LtStudyData *lt_study_data_ref(LtStudyData *s) { return g_atomic_rc_box_acquire(s); }

void lt_study_data_unref(LtStudyData *s) {
  if (s) g_atomic_rc_box_release_full(s, study_clear);
}

char *lt_find_model(const char *models_dir) {
  GDir *d = g_dir_open(models_dir, 0, NULL);
  if (!d) return NULL;
  char *found = NULL;
  const char *name;
  while (!found && (name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".safetensors")) found = g_build_filename(models_dir, name, NULL);
  g_dir_close(d);
  return found;
}

typedef struct {
  LtStudyData *study;
  double ijk[3];
  char *model;
  GWeakRef target;
  LtAnalyseProgress progress;
  LtAnalyseDone done;
} AnalyseJob;

static void job_free(void *p) {
  AnalyseJob *a = p;
  lt_study_data_unref(a->study);
  g_free(a->model);
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
  double fraction;
  char text[256];
} Post;

static gboolean deliver(gpointer p) {
  Post *m = p;
  if (m->is_done)
    m->done(m->target, m->id, m->status, m->text);
  else
    m->progress(m->target, m->id, m->fraction, m->text);
  g_object_unref(m->target);
  g_free(m);
  return G_SOURCE_REMOVE;
}

static void post(AnalyseJob *a, Post *m) {
  m->target = g_weak_ref_get(&a->target);
  if (!m->target) {
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
  (void)result;
  Post *m = g_new0(Post, 1);
  m->id = id;
  m->is_done = 1;
  m->status = st;
  g_strlcpy(m->text, err ? err->msg : "", sizeof m->text);
  post(user, m);
}

/* Inside the lungs, or within 3 voxels in-plane and 1 slice of them (juxtapleural nodules). */
static int near_lungs(const lt_geometry *g, const uint8_t *lung, const int c[3]) {
  for (int k = c[2] - 1; k <= c[2] + 1; k++)
    for (int j = c[1] - 3; j <= c[1] + 3; j++)
      for (int i = c[0] - 3; i <= c[0] + 3; i++) {
        if (i < 0 || j < 0 || k < 0 || i >= g->dim[0] || j >= g->dim[1] || k >= g->dim[2]) continue;
        if (lung[i + (size_t)g->dim[0] * (j + (size_t)g->dim[1] * k)]) return 1;
      }
  return 0;
}

static int analyse_run(lt_job *job, void *data, lt_error *err) {
  AnalyseJob *a = data;
  const lt_volume *v = a->study->vol;
  const lt_geometry *g = &v->geom;
  int c[3];
  for (int d = 0; d < 3; d++) {
    c[d] = (int)lround(a->ijk[d]);
    if (c[d] < 0 || c[d] >= g->dim[d])
      return lt_error_set(err, "%s", _("The point is outside the image."));
  }
  if (!a->study->lung) {
    lt_job_progress(job, 0.1, _("Finding the lungs…"));
    uint8_t *m = g_try_malloc(lt_geometry_count(g));
    if (!m) return lt_error_set(err, "%s", _("Out of memory for the lung mask."));
    if (lt_lung_mask(v, m, NULL, err) != 0) {
      g_free(m);
      return lt_error_prefix(err, "%s", _("No lungs found"));
    }
    a->study->lung = m;
  }
  if (lt_job_cancelled(job)) return 0;
  lt_job_progress(job, 0.5, _("Checking the point…"));
  if (!near_lungs(g, a->study->lung, c))
    return lt_error_set(err, _("Voxel (%d, %d, %d) is outside the lungs: put the crosshair on a "
                               "nodule in the lungs and press A again."), c[0], c[1], c[2]);
  if (!a->model)
    return lt_error_set(err, "%s", _("No model is loaded, so this point cannot be analysed: put "
                                     "a model file (.safetensors) in resources/models/."));
  return lt_error_set(err, _("A model was found (%s) but this build cannot run the nodule "
                             "analysis yet."), a->model);
}

uint64_t lt_analyse_here_submit(lt_worker *w, LtStudyData *study, const double ijk[3],
                                const char *model_path, GObject *target,
                                LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err) {
  AnalyseJob *a = g_new0(AnalyseJob, 1);
  a->study = lt_study_data_ref(study);
  memcpy(a->ijk, ijk, sizeof a->ijk);
  a->model = g_strdup(model_path);
  g_weak_ref_init(&a->target, target);
  a->progress = progress;
  a->done = done;
  lt_job_spec s = {.kind = LT_JOB_ANALYSE_NODULE, .interactive = 1, .run = analyse_run,
                   .data = a, .free_data = job_free, .progress = on_progress, .done = on_done,
                   .user = a};
  return lt_worker_submit(w, &s, err);
}
