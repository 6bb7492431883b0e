/* ui/lt-analyse-job.c — see lt-analyse-job.h. */
#include "lt-analyse-job.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ct/lungmask.h"
#include "ct/patch.h"
#include "review/analyze.h"
#include "model/input.h"
#include "model/weights.h"

struct LtModelCtx {
  char *path;
  gboolean tried;
  lt_weights w;
  lt_model *m;
  char error[256];
};

LtModelCtx *lt_model_ctx_new(const char *weights_path) {
  LtModelCtx *c = g_new0(LtModelCtx, 1);
  c->path = g_strdup(weights_path);
  return c;
}

void lt_model_ctx_free(LtModelCtx *c) {
  if (!c) return;
  if (c->m) lt_model_free(c->m);
  if (c->tried && !c->error[0]) lt_weights_free(&c->w);
  g_free(c->path);
  g_free(c);
}

void lt_analysis_result_free(LtAnalysisResult *r) {
  if (!r) return;
  g_free(r->seg);
  g_free(r->cam);
  g_free(r);
}

/* Loads the weights and builds the model once (engine thread). */
static int model_ready(LtModelCtx *c, lt_error *err) {
  if (!c->tried) {
    c->tried = TRUE;
    if (lt_weights_load(c->path, NULL, &c->w, err) != 0) {
      g_strlcpy(c->error, err->msg, sizeof c->error);
    } else if (lt_model_create_from_weights(&c->m, &c->w, err) != 0) {
      g_strlcpy(c->error, err->msg, sizeof c->error);
      lt_weights_free(&c->w);
      c->m = NULL;
    }
  }
  if (c->error[0]) return lt_error_set(err, _("The model %s cannot be used: %s"), c->path, c->error);
  return 0;
}

/* Geometry of the pooled grid of side S inside the 64^3 patch geometry. */
static void pooled_geometry(lt_geometry *g, const lt_geometry *patch, int S) {
  *g = *patch;
  const double k = (double)LT_PATCH_N / S, c = (k - 1) / 2;
  const double ijk[3] = {c, c, c};
  lt_geometry_voxel_to_mm(patch, ijk, g->origin);
  for (int a = 0; a < 3; a++) {
    g->dim[a] = S;
    g->spacing[a] = patch->spacing[a] * k;
  }
}

static int run_model(lt_job *job, LtModelCtx *c, const lt_volume *v, const double vox[3],
                     const uint8_t *cons, const lt_geometry *cons_geom, double nodule_mm,
                     lt_error *err) {
  gint64 t0 = g_get_monotonic_time();
  lt_job_progress(job, 0.6, _("Running the model…"));
  const lt_model_config *cfg = lt_model_config_of(c->m);
  const int S = cfg->input_size;
  if (S <= 0 || LT_PATCH_N % S != 0)
    return lt_error_set(err, _("The model's input size %d does not divide the 64^3 patch."), S);
  if (lt_model_input_check(S, cfg->in_channels, err))
    return -1;
  double mm[3]; /* the patch's centre: the voxel position as given, fractional on a nodule */
  lt_geometry_voxel_to_mm(&v->geom, vox, mm);
  lt_patch *p = g_try_malloc(sizeof *p);
  float *x = g_try_malloc((size_t)S * S * S * (size_t)cfg->in_channels * sizeof(float));
  float *cm = g_try_malloc((size_t)S * S * S * sizeof(float));
  uint8_t *pm = cons ? g_try_malloc(LT_PATCH_VOXELS) : NULL;
  if (!p || !x || !cm || (cons && !pm)) {
    g_free(p);
    g_free(x);
    g_free(cm);
    g_free(pm);
    return lt_error_set(err, "%s", _("Out of memory for the patch."));
  }
  lt_analysis an;
  memset(&an, 0, sizeof an);
  int rc = lt_patch_extract(p, v, mm, err);
  long in_patch = 0;
  if (rc == 0 && cons) {
    in_patch = lt_patch_mask(pm, &p->geom, cons, cons_geom, err);
    if (in_patch < 0) rc = -1;
  }
  if (rc == 0) {
    lt_model_input_make(x, S, cfg->in_channels, p->ch[0], p->ch[1]);
    if (in_patch > 0) lt_model_input_mask(cm, S, pm);
    rc = lt_analyze_patch(c->m, x, p->ch[0], in_patch > 0 ? cm : NULL, &an, err);
  }
  if (rc == 0) {
    LtAnalysisResult *r = g_new0(LtAnalysisResult, 1);
    r->prob = an.prob;
    r->n_attr = MIN(an.n_attr, 6);
    memcpy(r->attrs, an.attrs, sizeof(float) * (size_t)r->n_attr);
    r->has_seg = an.has_seg;
    r->trust_own = an.trust_own;
    r->has_consensus = an.has_consensus;
    r->trust_consensus = an.trust_consensus;
    r->dice_consensus = an.dice_consensus;
    r->cam_flat = an.cam_flat;
    r->side = S;
    size_t n = (size_t)S * S * S;
    r->seg = g_malloc(n);
    r->cam = g_memdup2(an.cam, n * sizeof(float));
    for (size_t i = 0; i < n; i++) r->seg[i] = an.seg[i] >= 0.5f;
    pooled_geometry(&r->geom, &p->geom, S);
    r->seconds = (g_get_monotonic_time() - t0) / 1e6;
    r->n_ood = lt_ood_warnings(c->w.has_stats ? &c->w.stats : NULL, v->geom.spacing[0],
                               v->slice_thickness > 0 ? v->slice_thickness : v->geom.spacing[2],
                               nodule_mm, v->manufacturer, r->ood, 4);
    r->n_ood += lt_attr_refit_warnings(an.refit_clipped, r->ood + r->n_ood, 4 - r->n_ood);
    r->nodule_mm = nodule_mm;
    r->cam_grid = an.grid;
    lt_job_set_result(job, r, (void (*)(void *))lt_analysis_result_free);
  }
  lt_analysis_free(&an);
  g_free(p);
  g_free(x);
  g_free(cm);
  g_free(pm);
  return rc;
}

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

typedef struct {
  LtStudyData *study;
  double ijk[3];
  uint8_t *cons;
  lt_geometry cons_geom;
  double nodule_mm;
  LtModelCtx *model;
  GWeakRef target;
  LtAnalyseProgress progress;
  LtAnalyseDone done;
} AnalyseJob;

static void job_free(void *p) {
  AnalyseJob *a = p;
  lt_study_data_unref(a->study);
  g_free(a->cons);
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
  if (!a->model || !a->model->path)
    return lt_error_set(err, "%s", _("No model is loaded, so this point cannot be analysed: put "
                                     "a model file (.safetensors) in resources/models/."));
  if (model_ready(a->model, err) != 0) return -1;
  if (lt_job_cancelled(job)) return 0;
  return run_model(job, a->model, v, a->ijk, a->cons, &a->cons_geom, a->nodule_mm, err);
}

uint64_t lt_analyse_here_submit(lt_worker *w, LtStudyData *study, const double ijk[3],
                                uint8_t *consensus, const lt_geometry *cons_geom,
                                double nodule_mm, LtModelCtx *model, GObject *target,
                                LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err) {
  AnalyseJob *a = g_new0(AnalyseJob, 1);
  a->study = lt_study_data_ref(study);
  memcpy(a->ijk, ijk, sizeof a->ijk);
  a->model = model;
  a->cons = consensus;
  a->nodule_mm = nodule_mm;
  if (consensus) a->cons_geom = *cons_geom;
  g_weak_ref_init(&a->target, target);
  a->progress = progress;
  a->done = done;
  lt_job_spec s = {.kind = LT_JOB_ANALYSE_NODULE, .interactive = 1, .run = analyse_run,
                   .data = a, .free_data = job_free, .progress = on_progress, .done = on_done,
                   .user = a};
  return lt_worker_submit(w, &s, err);
}
