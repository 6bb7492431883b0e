/* ui/lt-window.c — see lt-window.h. */
#include "lt-window.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "lt-analyse-job.h"
#include "lt-data-dir.h"
#include "lt-lidc-scales.h"
#include "lt-model-dialog.h"
#include "lt-nodule-list.h"
#include "lt-paths.h"
#include "lt-result-panel.h"
#include "lt-retrieval-job.h"
#include "lt-retrieval-panel.h"
#include "lt-settings.h"
#include "lt-slice-view.h"
#include "lt-study-loader.h"
#include "lt-style.h"
#include "worker.h"

struct _LtWindow {
  GtkApplicationWindow parent_instance;
  GtkLabel *study_label, *series_label, *status_label, *banner_label;
  GtkRevealer *banner;
  GtkButton *banner_close;
  GtkSpinner *spinner;
  GtkPaned *side_paned;
  GtkScale *slice_scale;
  GtkAdjustment *slice_adj;
  gulong slice_handler;
  double cross[3];
  LtSliceView *axial, *coronal, *sagittal;
  LtSliceView *maximised; /* NULL: the three planes */

  lt_volume *vol;
  lt_reader_labels labels;
  lt_shared_scene shared;
  gboolean has_focus;
  double focus[3];
  GCancellable *loading; /* the load in flight, NULL when none */

  LtNoduleList *nodule_list;
  LtResultPanel *result_panel;
  GtkCheckButton *readers_check, *seg_check, *heat_check;
  GtkAdjustment *opacity_adj;
  gboolean syncing_overlays;
  LtStudyData *study;    /* owns vol (self->vol is study->vol), shared with engine jobs */
  lt_worker *worker;     /* the engine thread */
  char *model_path;      /* NULL: no model */
  LtModelCtx *model;     /* used by engine jobs only */
  /* Results belong to their nodule: the panel and the overlays show only the subject's own. */
  unsigned study_serial; /* counts the studies opened; a result names the one it is for */
  LtTarget subject;      /* what the result panel is about: the selected nodule or the point
                          * analysed last */
  GHashTable *results;   /* nodule ID -> LtAnalysisResult, of this study with this model */
  char results_model[65]; /* the SHA-256 of the model those results came from */
  LtAnalysisResult *point_result; /* the subject point's result, NULL when none */
  const LtAnalysisResult *shown; /* the result in the panel and the overlays, NULL when none */
  gint64 analyse_t0;     /* when the last analysis was asked for */
  uint64_t analyse_job;  /* the analysis last asked for, 0 when none runs */
  LtTarget job_target;   /* what it analyses: its progress shows only under it */
  double job_fraction;
  char job_what[128];
  LtRetrievalPanel *retrieval_panel;
  LtHistory *history;    /* the historical database, used by engine jobs only */
  uint64_t retrieve_job; /* the retrieval whose cards the panel waits for */
  char retrieve_label[64];
  GMenu *recent_section; /* the main menu's recent studies */
  gboolean measuring;    /* property "measuring" (action win.measure, keys M and D) */
  char *pending_path;    /* a similar nodule's case being opened from its card */
  double pending_vox[3];
  char pending_key[160];
};

enum { PROP_0, PROP_MEASURING, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE(LtWindow, lt_window, GTK_TYPE_APPLICATION_WINDOW)

static LtSliceView *view_at(LtWindow *self, int i) {
  return i == 0 ? self->axial : i == 1 ? self->coronal : self->sagittal;
}

void lt_window_show_error(LtWindow *self, const char *msg) {
  g_warning("%s", msg);
  gtk_label_set_text(self->banner_label, msg);
  gtk_revealer_set_reveal_child(self->banner, TRUE);
}

static void on_banner_close(GtkButton *b, LtWindow *self) {
  (void)b;
  gtk_revealer_set_reveal_child(self->banner, FALSE);
}

static void on_crosshair(LtSliceView *src, double i, double j, double k, LtWindow *self) {
  (void)src;
  g_debug("crosshair %.2f %.2f %.2f", i, j, k);
  const double ijk[3] = {i, j, k};
  memcpy(self->cross, ijk, sizeof self->cross);
  for (int v = 0; v < 3; v++) lt_slice_view_set_crosshair(view_at(self, v), ijk);
  if (self->vol) { /* the slider follows the axial plane's slice */
    lt_view_frame f;
    lt_view_frame_compute(&f, lt_slice_view_get_view(self->axial), &self->vol->geom);
    g_signal_handler_block(self->slice_adj, self->slice_handler);
    gtk_adjustment_set_value(self->slice_adj, round(ijk[f.axis_n]) + 1);
    g_signal_handler_unblock(self->slice_adj, self->slice_handler);
  }
}

static void on_window_level(LtSliceView *src, double w, double l, gboolean inv, LtWindow *self) {
  g_debug("window/level %.0f %.0f%s", w, l, inv ? " inverted" : "");
  for (int v = 0; v < 3; v++)
    if (view_at(self, v) != src) lt_slice_view_set_window(view_at(self, v), w, l, inv);
}

static void on_overlays(LtSliceView *src, gboolean readers, gboolean seg, gboolean heat,
                        double opacity, LtWindow *self) {
  g_debug("overlays readers %d seg %d heat %d opacity %.1f", readers, seg, heat, opacity);
  for (int v = 0; v < 3; v++)
    if (view_at(self, v) != src)
      lt_slice_view_set_overlays(view_at(self, v), readers, seg, heat, opacity);
  self->syncing_overlays = TRUE;
  gtk_check_button_set_active(self->readers_check, readers);
  gtk_check_button_set_active(self->seg_check, seg);
  gtk_check_button_set_active(self->heat_check, heat);
  gtk_adjustment_set_value(self->opacity_adj, opacity);
  self->syncing_overlays = FALSE;
}

/* The left-column toggles and the opacity scale drive every view. */
static void on_overlay_control(GObject *obj, GParamSpec *pspec, LtWindow *self) {
  (void)obj;
  (void)pspec;
  if (self->syncing_overlays) return;
  gboolean r = gtk_check_button_get_active(self->readers_check);
  gboolean sg = gtk_check_button_get_active(self->seg_check);
  gboolean h = gtk_check_button_get_active(self->heat_check);
  double o = gtk_adjustment_get_value(self->opacity_adj);
  g_debug("overlays readers %d seg %d heat %d opacity %.1f", r, sg, h, o);
  for (int v = 0; v < 3; v++) lt_slice_view_set_overlays(view_at(self, v), r, sg, h, o);
}

static void on_opacity_changed(GtkAdjustment *adj, LtWindow *self) {
  on_overlay_control(G_OBJECT(adj), NULL, self);
}

static void history_opened(GObject *target, uint64_t id, int status, LtCards *cards,
                           const char *msg) {
  LtWindow *self = LT_WINDOW(target);
  lt_cards_free(cards);
  g_message("historical database: %s", msg);
  if (status != LT_JOB_DONE) {
    char *m = g_strdup_printf(_("Similar nodules unavailable: %s"), msg);
    lt_retrieval_panel_set_status(self->retrieval_panel, m);
    lt_window_show_error(self, m);
    g_free(m);
  } else if (!self->retrieve_job) {
    lt_retrieval_panel_set_status(self->retrieval_panel, msg);
  }
}

static void retrieved(GObject *target, uint64_t id, int status, LtCards *cards, const char *msg) {
  LtWindow *self = LT_WINDOW(target);
  if (id != self->retrieve_job) { /* superseded */
    lt_cards_free(cards);
    return;
  }
  self->retrieve_job = 0;
  if (status != LT_JOB_DONE || !cards) {
    lt_retrieval_panel_set_status(self->retrieval_panel, msg);
    lt_cards_free(cards);
    return;
  }
  g_message("retrieval: %d cards of %d nodules in %.3f s, nearest %s at %.3f", cards->n,
            cards->db_nodules, cards->seconds, cards->n ? cards->cards[0].pseudonym : "-",
            cards->n ? cards->cards[0].distance : 0.0);
  lt_retrieval_panel_set_cards(self->retrieval_panel, cards, self->retrieve_label);
}

static void retrieve_for(LtWindow *self, const LtNoduleSummary *n) {
  if (!self->worker || !self->history) return;
  double attr[LT_N_SHOWN_ATTRS];
  for (int i = 0; i < LT_N_SHOWN_ATTRS; i++) {
    attr[i] = n->mean_ratings[lt_shown_attr_lidc_index(i)];
    if (isnan(attr[i])) {
      lt_retrieval_panel_set_cards(self->retrieval_panel, NULL, NULL);
      lt_retrieval_panel_set_status(self->retrieval_panel,
                                    _("This nodule has no readers' ratings to search with."));
      return;
    }
  }
  if (self->retrieve_job) lt_worker_cancel(self->worker, self->retrieve_job);
  g_snprintf(self->retrieve_label, sizeof self->retrieve_label, _("nodule %s"), n->id);
  lt_retrieval_panel_set_status(self->retrieval_panel, _("Searching…"));
  lt_error err = {{0}};
  GSettings *st = lt_settings_get();
  int k = st ? g_settings_get_int(st, "similar-count") : 5;
  self->retrieve_job = lt_history_retrieve_submit(self->worker, self->history, attr, k,
                                                  self->vol ? self->vol->patient_id : NULL,
                                                  G_OBJECT(self), retrieved, &err);
  if (!self->retrieve_job) lt_retrieval_panel_set_status(self->retrieval_panel, err.msg);
}

/* The database's nodules of the open series join the readings' in the nodule list. */
static void series_nodules_done(GObject *target, uint64_t id, int status, LtDbNodules *d,
                                const char *msg) {
  (void)id;
  LtWindow *self = LT_WINDOW(target);
  if (status != LT_JOB_DONE || !d) {
    g_message("database nodules: %s", msg);
    return;
  }
  if (!self->vol || strcmp(d->series_uid, self->vol->series_uid) != 0) { /* another study now */
    lt_db_nodules_free(d);
    return;
  }
  int n0 = lt_nodule_list_count(self->nodule_list), matched = 0, added = 0;
  LtNoduleSummary *all = g_new0(LtNoduleSummary, n0 + d->n + 1);
  for (int i = 0; i < n0; i++) all[i] = *lt_nodule_list_get(self->nodule_list, i);
  int n = n0;
  for (int k = 0; k < d->n; k++) {
    const LtDbNodule *b = &d->nodules[k];
    LtNoduleSummary *row = NULL;
    if (strcmp(b->source, "lidc-xml") == 0) { /* an imported reading: "<series>/<id>" */
      const char *slash = strrchr(b->source_key, '/');
      for (int i = 0; slash && i < n0; i++)
        if (strcmp(all[i].id, slash + 1) == 0) row = &all[i];
      if (row) matched++;
    }
    if (!row) {
      double v[3];
      if (!isnan(b->vox[0]) && !isnan(b->vox[1]) && !isnan(b->vox[2]))
        memcpy(v, b->vox, sizeof v);
      else if (!isnan(b->mm[0]) && !isnan(b->mm[1]) && !isnan(b->mm[2]))
        lt_geometry_mm_to_voxel(&self->vol->geom, b->mm, v);
      else
        continue; /* nowhere to show it */
      row = &all[n++];
      added++;
      g_snprintf(row->id, sizeof row->id, "D%lld", (long long)b->id);
      row->db_only = TRUE;
      row->large = !isnan(b->diameter_mm) && b->diameter_mm > 0;
      row->diameter_mm = row->large ? b->diameter_mm : 0;
      memcpy(row->centroid_vox, v, sizeof v);
      for (int c = 0; c < LT_LIDC_NCHAR; c++) row->mean_ratings[c] = NAN;
    }
    row->db_id = b->id;
    row->db_runs = b->n_runs;
    row->db_prob = b->last_prob;
    g_message("nodule %s in the database (id %lld, %s): %d model run(s)%s", row->id,
              (long long)b->id, b->source, b->n_runs, b->n_runs > 0 ? ", the newest shown" : "");
  }
  g_message("database: %d nodule(s) of this series: %d matched the readings, %d added", d->n,
            matched, added);
  if (matched + added > 0) lt_nodule_list_replace(self->nodule_list, all, n, TRUE);
  g_free(all);
  lt_db_nodules_free(d);
}

/* A similar-nodule card: open its case at the nodule when the database has its images. */
static void on_card_activated(LtRetrievalPanel *panel, int index, LtWindow *self) {
  const LtCard *c = lt_retrieval_panel_get_card(panel, index);
  if (!c) return;
  if (!c->png || !c->series_path) {
    char *m = c->png ? g_strdup_printf(_("%s: the database has a thumbnail of this nodule but no "
                                         "series folder to open."), c->pseudonym)
                     : g_strdup_printf(_("%s: ratings only, the database has no images of this "
                                         "nodule to open."), c->pseudonym);
    g_message("card %d: %s", index, m);
    lt_retrieval_panel_set_status(panel, m);
    g_free(m);
    return;
  }
  g_message("card %d: opening %s at voxel (%.1f, %.1f, %.1f), %s", index, c->series_path,
            c->vox[0], c->vox[1], c->vox[2], c->source_key);
  g_free(self->pending_path);
  self->pending_path = g_strdup(c->series_path);
  memcpy(self->pending_vox, c->vox, sizeof self->pending_vox);
  g_strlcpy(self->pending_key, c->source_key, sizeof self->pending_key);
  lt_window_open(self, c->series_path);
}

/* After a load: the nodule of the card that asked for this study gets the focus. */
static void focus_pending(LtWindow *self, const char *path) {
  if (!self->pending_path) return;
  gboolean same = strcmp(self->pending_path, path) == 0;
  g_clear_pointer(&self->pending_path, g_free);
  if (!same) return;
  const char *slash = strrchr(self->pending_key, '/');
  for (int i = 0; slash && i < lt_nodule_list_count(self->nodule_list); i++)
    if (strcmp(lt_nodule_list_get(self->nodule_list, i)->id, slash + 1) == 0) {
      lt_nodule_list_select(self->nodule_list, i); /* moves the crosshair to it */
      g_message("similar nodule's case opened at its nodule %s", slash + 1);
      return;
    }
  if (!isnan(self->pending_vox[0]) && !isnan(self->pending_vox[1]) &&
      !isnan(self->pending_vox[2])) {
    on_crosshair(self->axial, round(self->pending_vox[0]), round(self->pending_vox[1]),
                 round(self->pending_vox[2]), self);
    g_message("similar nodule's case opened at voxel (%.0f, %.0f, %.0f)", self->pending_vox[0],
              self->pending_vox[1], self->pending_vox[2]);
  }
}

static void fill_recent(LtWindow *self) {
  GSettings *st = lt_settings_get();
  g_menu_remove_all(self->recent_section);
  if (!st) return;
  g_auto(GStrv) paths = g_settings_get_strv(st, "recent-studies");
  for (int i = 0; paths[i]; i++) {
    char *base = g_path_get_basename(paths[i]);
    GMenuItem *it = g_menu_item_new(base, NULL);
    g_menu_item_set_action_and_target_value(it, "win.open-recent", g_variant_new_string(paths[i]));
    g_menu_append_item(self->recent_section, it);
    g_object_unref(it);
    g_free(base);
  }
}

static void on_recent_changed(GSettings *st, const char *key, LtWindow *self) {
  (void)st;
  (void)key;
  fill_recent(self);
}

static void open_recent_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)name;
  lt_window_open(LT_WINDOW(w), g_variant_get_string(param, NULL));
}

/* What analysing nodule row n means: a nodule of the readings by its ID, a database-only one at
 * its voxel. */
static LtTarget nodule_target(const LtNoduleSummary *n) {
  LtTarget t;
  memset(&t, 0, sizeof t);
  t.kind = LT_TARGET_NODULE;
  g_strlcpy(t.id, n->id, sizeof t.id);
  t.readings = !n->db_only;
  memcpy(t.vox, n->centroid_vox, sizeof t.vox);
  return t;
}

/* The subject's own result: its nodule's in this study's cache, or the point's. */
static const LtAnalysisResult *subject_result(LtWindow *self) {
  if (self->subject.kind == LT_TARGET_NODULE && self->results)
    return g_hash_table_lookup(self->results, self->subject.id);
  if (self->subject.kind == LT_TARGET_POINT && self->point_result &&
      lt_target_equal(&self->point_result->target, &self->subject))
    return self->point_result;
  return NULL;
}

/* The panel, the overlays and the progress follow the subject: its own result or none. */
static void show_subject(LtWindow *self) {
  const LtAnalysisResult *r = subject_result(self);
  if (r != self->shown) { /* only the shown result's maps are drawn */
    if (r)
      lt_shared_scene_set_result(&self->shared, r->seg, r->rr.an.cam, &r->rr.grid_geom);
    else
      lt_shared_scene_set_result(&self->shared, NULL, NULL, NULL);
    self->shown = r;
    for (int v = 0; v < 3; v++) lt_slice_view_set_crosshair(view_at(self, v), self->cross);
  }
  lt_result_panel_show_analysis(self->result_panel, r);
  gboolean running = self->analyse_job && lt_target_equal(&self->job_target, &self->subject);
  lt_result_panel_set_progress(self->result_panel, running ? self->job_fraction : -1,
                               self->job_what);
}

/* A result about to be freed or replaced stops being drawn first (the scene borrows its maps). */
static void unshow(LtWindow *self, const LtAnalysisResult *r) {
  if (!r || r != self->shown) return;
  lt_shared_scene_set_result(&self->shared, NULL, NULL, NULL);
  self->shown = NULL;
}

static void set_subject(LtWindow *self, const LtTarget *t) {
  char a[64], b[64];
  if (!lt_target_equal(&self->subject, t))
    g_message("result panel subject: %s (was %s)", lt_target_describe(t, a, sizeof a),
              lt_target_describe(&self->subject, b, sizeof b));
  self->subject = *t;
  show_subject(self);
  if (self->point_result && self->point_result != self->shown) /* a point's result goes with it */
    g_clear_pointer(&self->point_result, lt_analysis_result_free);
}

/* A new study (or model): no result of the old one is kept or drawn. */
static void forget_results(LtWindow *self) {
  lt_shared_scene_set_result(&self->shared, NULL, NULL, NULL);
  self->shown = NULL;
  g_hash_table_remove_all(self->results);
  g_clear_pointer(&self->point_result, lt_analysis_result_free);
  memset(&self->subject, 0, sizeof self->subject);
  self->results_model[0] = 0;
}

static void log_focus(LtWindow *self, const double ijk[3]);

static void on_nodule_selected(LtNoduleList *list, int index, LtWindow *self) {
  const LtNoduleSummary *n = lt_nodule_list_get(list, index);
  if (!n || !self->vol) return;
  g_message("nodule %s selected: voxel (%.1f, %.1f, %.1f)", n->id, n->centroid_vox[0],
            n->centroid_vox[1], n->centroid_vox[2]);
  lt_result_panel_show_nodule(self->result_panel, n);
  LtTarget t = nodule_target(n);
  set_subject(self, &t); /* its own earlier result, or "not analysed yet": never another's */
  retrieve_for(self, n);
  double c[3];
  for (int a = 0; a < 3; a++) c[a] = round(n->centroid_vox[a]);
  on_crosshair(self->axial, c[0], c[1], c[2], self);
  if (self->shown) log_focus(self, c); /* its overlays again: where, for the GUI test */
}

static void analyse_progress(GObject *target, uint64_t id, double fraction, const char *what) {
  LtWindow *self = LT_WINDOW(target);
  if (id != self->analyse_job) return;
  self->job_fraction = fraction;
  g_strlcpy(self->job_what, what, sizeof self->job_what);
  if (lt_target_equal(&self->job_target, &self->subject)) /* not under another nodule */
    lt_result_panel_set_progress(self->result_panel, fraction, what);
}

static void log_focus(LtWindow *self, const double ijk[3]);

static void analyse_done(GObject *target, uint64_t id, int status, LtAnalysisResult *r,
                         const char *msg) {
  LtWindow *self = LT_WINDOW(target);
  g_message("analysis %" G_GUINT64_FORMAT " %s: %s", id,
            status == LT_JOB_DONE ? "done" : status == LT_JOB_CANCELLED ? "cancelled" : "failed",
            msg);
  if (id == self->analyse_job) {
    self->analyse_job = 0;
    gboolean here = lt_target_equal(&self->job_target, &self->subject);
    if (here) lt_result_panel_set_progress(self->result_panel, -1, NULL);
    if (status == LT_JOB_FAILED) {
      if (here) lt_result_panel_set_outcome(self->result_panel, msg);
      lt_window_show_error(self, msg);
    } else if (status == LT_JOB_CANCELLED && here) {
      lt_result_panel_set_outcome(self->result_panel, _("Analysis cancelled."));
    }
  }
  if (!r) return;
  if (r->study_serial != self->study_serial || !self->study) { /* another study now */
    g_message("analysis %" G_GUINT64_FORMAT " superseded: its result is for another study, not "
              "shown", id);
    lt_analysis_result_free(r);
    return;
  }
  const lt_analysis *an = &r->rr.an;
  char what[64], subj[64], codes[160];
  lt_target_describe(&r->target, what, sizeof what);
  lt_target_describe(&self->subject, subj, sizeof subj);
  lt_scope_codes(&r->rr.scope, codes, sizeof codes);
  g_message("analysis result: probability %.3f, trust %s, engine %.3f s, on screen %.3f s "
            "after the request; model mask %s; readers' consensus %s, Dice %.3f; scope %s (%s); "
            "for %s; model %s (SHA-256 %.12s)",
            an->prob, an->trust_own.pass ? "PASS" : "FAIL", r->seconds,
            (g_get_monotonic_time() - self->analyse_t0) / 1e6, an->has_seg ? "drawn" : "none",
            an->has_consensus ? "in the patch" : "absent", an->dice_consensus,
            lt_scope_level_name(r->rr.scope.level), codes, what, r->rr.model_name,
            r->rr.model_sha256);
  if (an->n_attr == 6) /* the scores the panel shows, for the test that holds them to the CLI's */
    g_message("analysis attributes: %.2f %.2f %.2f %.2f %.2f %.2f", an->attrs[0], an->attrs[1],
              an->attrs[2], an->attrs[3], an->attrs[4], an->attrs[5]);
  if (self->results_model[0] && strcmp(self->results_model, r->rr.model_sha256) != 0) {
    /* another model's results say nothing about this one's */
    g_message("model changed: the results of the previous model are dropped");
    unshow(self, self->shown);
    g_hash_table_remove_all(self->results);
    for (int i = 0; i < lt_nodule_list_count(self->nodule_list); i++)
      lt_nodule_list_set_scope(self->nodule_list, lt_nodule_list_get(self->nodule_list, i)->id,
                               FALSE, 0);
  }
  g_strlcpy(self->results_model, r->rr.model_sha256, sizeof self->results_model);
  if (r->target.kind == LT_TARGET_NODULE) { /* kept under its nodule, shown or not */
    unshow(self, g_hash_table_lookup(self->results, r->target.id));
    g_hash_table_replace(self->results, g_strdup(r->target.id), r);
    lt_nodule_list_set_scope(self->nodule_list, r->target.id, TRUE, r->rr.scope.level);
  } else if (lt_target_equal(&r->target, &self->subject)) {
    unshow(self, self->point_result);
    lt_analysis_result_free(self->point_result);
    self->point_result = r;
  } else { /* a point nobody looks at any more */
    g_message("analysis %" G_GUINT64_FORMAT " of %s dropped: the panel shows %s now", id, what,
              subj);
    lt_analysis_result_free(r);
    return;
  }
  if (lt_target_equal(&r->target, &self->subject)) {
    show_subject(self);
    log_focus(self, self->cross); /* where the outline and heatmap are, for the GUI test */
  } else {
    g_message("analysis %" G_GUINT64_FORMAT " of %s kept under it, not shown: the panel shows %s",
              id, what, subj);
  }
}

/* A / the Analyse Here button: the point under the crosshair, on the engine thread, through the
 * review pipeline. On the selected nodule's centre it is that nodule (by its ID, as
 * `lungtrust-cli analyze --nodule` takes it: the crosshair is the nearest voxel, and on a
 * nodule of a few mm that half voxel moves its Dice); anywhere else, the point. */
static void analyse_here(LtWindow *self) {
  if (!self->study || !self->worker) {
    lt_window_show_error(self, _("Open a study first."));
    return;
  }
  if (self->analyse_job) lt_worker_cancel(self->worker, self->analyse_job);
  const LtNoduleSummary *n = lt_nodule_list_get(self->nodule_list,
                                                lt_nodule_list_selected(self->nodule_list));
  gboolean on_nodule = n != NULL;
  for (int a = 0; n && a < 3; a++)
    if (fabs(round(n->centroid_vox[a]) - self->cross[a]) > 0.5) on_nodule = FALSE;
  LtTarget t;
  if (on_nodule) { /* keep its readers' ratings beside the result */
    t = nodule_target(n);
    lt_result_panel_show_nodule(self->result_panel, n);
  } else {
    memset(&t, 0, sizeof t);
    t.kind = LT_TARGET_POINT;
    memcpy(t.vox, self->cross, sizeof t.vox);
    char *title = g_strdup_printf(_("Point (%.0f, %.0f, %.0f)"), self->cross[0], self->cross[1],
                                  self->cross[2]);
    lt_result_panel_show_point(self->result_panel, title);
    g_free(title);
  }
  lt_error err = {{0}};
  self->analyse_t0 = g_get_monotonic_time();
  self->analyse_job = lt_analyse_submit(self->worker, self->study, self->study_serial, &t,
                                        self->model, G_OBJECT(self), analyse_progress,
                                        analyse_done, &err);
  self->job_target = t;
  self->job_fraction = 0;
  g_strlcpy(self->job_what, _("Waiting for the engine…"), sizeof self->job_what);
  char what[64];
  g_message("analyse here: voxel (%.0f, %.0f, %.0f)%s, job %" G_GUINT64_FORMAT ", for %s",
            self->cross[0], self->cross[1], self->cross[2],
            on_nodule ? ", at the nodule's centroid" : "", self->analyse_job,
            lt_target_describe(&t, what, sizeof what));
  set_subject(self, &t); /* its earlier result stays until the new one comes */
  if (!self->analyse_job) lt_window_show_error(self, err.msg);
}

/* The slice view's right-click menu: analyse at that point (the crosshair moves there). */
static void on_analyse_at(LtSliceView *src, double i, double j, double k, LtWindow *self) {
  g_message("analyse at from the %s view's menu",
            lt_slice_view_get_plane(src) == LT_PLANE_AXIAL      ? "axial"
            : lt_slice_view_get_plane(src) == LT_PLANE_CORONAL ? "coronal"
                                                                : "sagittal");
  on_crosshair(src, round(i), round(j), round(k), self);
  analyse_here(self);
}

static void set_measuring(LtWindow *self, gboolean on) {
  if (self->measuring == on) return;
  self->measuring = on;
  for (int v = 0; v < 3; v++) lt_slice_view_set_measuring(view_at(self, v), on);
  g_debug("measure mode %s", on ? "on" : "off");
  g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MEASURING]);
}

/* Help menu / result panel: the model's card and its weights file's metadata. */
static void about_model_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)name;
  (void)param;
  LtWindow *self = LT_WINDOW(w);
  LtModelDialog *d = lt_model_dialog_new(GTK_WINDOW(self), self->model_path);
  gtk_window_present(GTK_WINDOW(d));
}

static void measure_clear_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)name;
  (void)param;
  LtWindow *self = LT_WINDOW(w);
  for (int v = 0; v < 3; v++) lt_slice_view_clear_measure(view_at(self, v));
  set_measuring(self, FALSE);
  g_debug("measurements cleared");
}

static void lt_window_get_property(GObject *obj, guint id, GValue *value, GParamSpec *pspec) {
  if (id == PROP_MEASURING)
    g_value_set_boolean(value, LT_WINDOW(obj)->measuring);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
}

static void lt_window_set_property(GObject *obj, guint id, const GValue *value,
                                   GParamSpec *pspec) {
  if (id == PROP_MEASURING)
    set_measuring(LT_WINDOW(obj), g_value_get_boolean(value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
}

static void on_analyse_here(LtNoduleList *list, LtWindow *self) {
  (void)list;
  analyse_here(self);
}

static void analyse_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)name;
  (void)param;
  analyse_here(LT_WINDOW(w));
}

static void nodule_step_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)param;
  LtWindow *self = LT_WINDOW(w);
  lt_nodule_list_step(self->nodule_list, strcmp(name, "win.next-nodule") == 0 ? 1 : -1);
}

static void on_slider(GtkAdjustment *adj, LtWindow *self) {
  if (!self->vol) return;
  lt_view_frame f;
  lt_view_frame_compute(&f, lt_slice_view_get_view(self->axial), &self->vol->geom);
  double c[3] = {self->cross[0], self->cross[1], self->cross[2]};
  c[f.axis_n] = round(gtk_adjustment_get_value(adj)) - 1;
  on_crosshair(self->axial, c[0], c[1], c[2], self);
}

/* One plane fills the view area, or the three come back. */
static void on_maximise(LtSliceView *src, LtWindow *self) {
  self->maximised = self->maximised == src ? NULL : src;
  LtSliceView *m = self->maximised;
  gtk_widget_set_visible(GTK_WIDGET(self->axial), !m || m == self->axial);
  gtk_widget_set_visible(GTK_WIDGET(self->side_paned), !m || m != self->axial);
  gtk_widget_set_visible(GTK_WIDGET(self->coronal), !m || m == self->coronal);
  gtk_widget_set_visible(GTK_WIDGET(self->sagittal), !m || m == self->sagittal);
  static const char *const names[3] = {"axial", "coronal", "sagittal"};
  g_debug("maximised %s", m ? names[lt_slice_view_get_plane(m) % 3] : "none");
}

static void on_hover(LtSliceView *src, const char *text, LtWindow *self) {
  (void)src;
  if (text && *text) {
    g_debug("status: %s", text);
    gtk_label_set_text(self->status_label, text);
  }
}

/* Logs where the focused nodule appears in the axial view, in window coordinates (the GUI test
 * checks the outline is drawn there). The view's size is known only after layout. */
static gboolean log_focus_later(gpointer data) {
  LtWindow *self = data;
  LtSliceView *ax = self->axial;
  if (self->vol && self->has_focus) {
    const lt_view *v = lt_slice_view_get_view(ax);
    double px, py;
    lt_view_voxel_to_screen(v, &self->vol->geom, self->focus, &px, &py);
    double s = gtk_widget_get_scale_factor(GTK_WIDGET(ax));
    double wx = 0, wy = 0, nx = 0, ny = 0;
    gtk_widget_translate_coordinates(GTK_WIDGET(ax), GTK_WIDGET(self), px / s, py / s, &wx, &wy);
    gtk_native_get_surface_transform(GTK_NATIVE(self), &nx, &ny);
    lt_view_frame f;
    lt_view_frame_compute(&f, v, &self->vol->geom);
    g_message("focus nodule at voxel (%.1f, %.1f, %.1f): axial view pixel (%.1f, %.1f), "
              "window pixel %.0f %.0f, %.3f px/mm",
              self->focus[0], self->focus[1], self->focus[2], px, py, wx + nx, wy + ny,
              f.px_per_mm / s);
  }
  graphene_rect_t r; /* the result panel's About… button, for the GUI test */
  GtkWidget *about = lt_result_panel_get_about_button(self->result_panel);
  double bx = 0, by = 0;
  gtk_native_get_surface_transform(GTK_NATIVE(self), &bx, &by);
  if (gtk_widget_get_mapped(about) && gtk_widget_compute_bounds(about, GTK_WIDGET(self), &r))
    g_message("about-model button at window pixel %.0f %.0f", bx + r.origin.x + r.size.width / 2,
              by + r.origin.y + r.size.height / 2);
  g_object_unref(self);
  return G_SOURCE_REMOVE;
}

static void log_focus(LtWindow *self, const double ijk[3]) {
  memcpy(self->focus, ijk, sizeof self->focus);
  self->has_focus = TRUE;
  g_timeout_add(500, log_focus_later, g_object_ref(self));
}

static void load_done(GObject *src, GAsyncResult *res, gpointer data) {
  (void)src;
  LtWindow *self = data;
  g_autoptr(LtStudyLoad) l = lt_study_load_finish(res);
  GCancellable *c = g_task_get_cancellable(G_TASK(res));
  gboolean current = c == self->loading;
  if (current) {
    g_clear_object(&self->loading);
    gtk_spinner_stop(self->spinner);
  }
  if (!l || !current) { /* superseded by a later open */
    g_object_unref(self);
    return;
  }
  if (!l->vol) {
    char *msg = g_strdup_printf(_("Could not open %s: %s"), l->path, l->error);
    lt_window_show_error(self, msg);
    g_free(msg);
    gtk_label_set_text(self->series_label, self->vol ? self->vol->series_uid : "");
    g_object_unref(self);
    return;
  }
  LtStudyData *old = self->study;
  lt_reader_labels old_labels = self->labels;
  if (self->worker) lt_worker_cancel_kind(self->worker, LT_JOB_ANALYSE_NODULE);
  self->analyse_job = 0;
  lt_result_panel_set_progress(self->result_panel, -1, NULL);
  self->study = lt_study_data_new(l->vol, l->set, &l->info); /* the readings, for the pipeline */
  l->set = NULL;
  self->study_serial++;
  forget_results(self); /* results belong to their study */
  self->vol = l->vol;
  l->vol = NULL;
  self->labels = l->labels;
  memset(&l->labels, 0, sizeof l->labels);
  lt_shared_scene_set(&self->shared, self->vol, self->labels.bits, &self->labels.geom);
  for (int v = 0; v < 3; v++) lt_slice_view_set_volume(view_at(self, v), self->vol);
  const lt_view *av = lt_slice_view_get_view(self->axial);
  g_signal_handler_block(self->slice_adj, self->slice_handler);
  gtk_adjustment_configure(self->slice_adj, av->slice + 1, 1, lt_view_slice_count(av, &self->vol->geom),
                           1, 10, 0);
  g_signal_handler_unblock(self->slice_adj, self->slice_handler);
  gtk_widget_set_sensitive(GTK_WIDGET(self->slice_scale), TRUE);
  for (int a = 0; a < 3; a++) self->cross[a] = (self->vol->geom.dim[a] - 1) / 2;
  lt_study_data_unref(old); /* engine jobs still running on it hold their own reference */
  lt_reader_labels_clear(&old_labels);
  self->has_focus = FALSE;
  lt_nodule_list_set_nodules(self->nodule_list, l->nodules, l->n_nodules);
  lt_result_panel_show_nodule(self->result_panel, NULL);
  if (l->has_focus) {
    on_crosshair(self->axial, l->focus_vox[0], l->focus_vox[1], l->focus_vox[2], self);
    log_focus(self, l->focus_vox);
    for (int n = 0; n < l->n_nodules; n++)
      if (l->nodules[n].large) { /* the same nodule: its readers' ratings in the result panel */
        lt_nodule_list_select(self->nodule_list, n);
        break;
      }
  }
  const lt_geometry *g = &self->vol->geom;
  gtk_label_set_text(self->study_label, self->vol->patient_id[0] ? self->vol->patient_id
                                                                   : _("(no PatientID)"));
  char *sub = g_strdup_printf(_("%s · %d×%d×%d · %.2f×%.2f×%.2f mm · %d nodule(s), %d reader(s)"),
                              self->vol->series_uid, g->dim[0], g->dim[1], g->dim[2],
                              g->spacing[0], g->spacing[1], g->spacing[2], l->n_nodules,
                              self->labels.n_readers);
  gtk_label_set_text(self->series_label, sub);
  gtk_widget_set_tooltip_text(GTK_WIDGET(self->series_label), sub);
  g_free(sub);
  gtk_revealer_set_reveal_child(self->banner, FALSE);
  int skipped = l->info.n_skipped_unreadable;
  /* LIDC keeps its XML readings beside the slices: those are expected, not broken files */
  gboolean xml_example = strstr(l->info.skip_example, ".xml: ") != NULL;
  if (skipped == 1 && xml_example) skipped = 0;
  GString *warn = g_string_new(NULL);
  if (skipped > 0 && xml_example) /* the example is the readings: do not name it as broken */
    g_string_append_printf(warn, _("%d file(s) beside the LIDC readings (XML) are not readable "
                                   "DICOM images and were skipped; the series was read without "
                                   "them."), skipped - 1);
  else if (skipped > 0)
    g_string_append_printf(warn, _("%d file(s) skipped while reading the study, e.g. %s."), skipped,
                           l->info.skip_example);
  if (l->info.n_uneven_gaps > 0)
    g_string_append_printf(warn, _("%sSlices are unevenly spaced (%d gaps from %.2f to %.2f mm; "
                           "%.2f mm used): distances along the slice axis are approximate."),
                           warn->len ? " " : "", l->info.n_uneven_gaps, l->info.gap_min,
                           l->info.gap_max, l->info.spacing_positions);
  if (l->info.n_filled > 0 || l->info.n_skipped_dicom > 0) { /* the engine's words: see series.h */
    char line[512];
    lt_series_warning(&l->info, line, sizeof line);
    g_string_append_printf(warn, "%s%s.", warn->len ? " " : "", line);
  }
  if (l->warning[0]) g_string_append_printf(warn, "%s%s", warn->len ? " " : "", l->warning);
  if (warn->len) lt_window_show_error(self, warn->str);
  g_string_free(warn, TRUE);
  for (int v = 0; v < 3; v++) {
    const char *e = lt_slice_view_get_gl_error(view_at(self, v));
    if (e) {
      char *msg = g_strdup_printf(_("Cannot draw slices: %s"), e);
      lt_window_show_error(self, msg);
      g_free(msg);
      break;
    }
  }
  focus_pending(self, l->path);
  if (self->worker && self->history) {
    lt_error e2 = {{0}};
    if (!lt_history_series_nodules_submit(self->worker, self->history, self->vol->series_uid,
                                          G_OBJECT(self), series_nodules_done, &e2))
      g_message("database nodules: %s", e2.msg);
  }
  lt_settings_add_recent(l->path);
  g_message("loaded %s: %s, %d slices in %.2f s", l->path, self->vol->patient_id, g->dim[2],
            l->seconds);
  g_object_unref(self);
}

void lt_window_open(LtWindow *self, const char *path) {
  if (self->loading) g_cancellable_cancel(self->loading);
  g_clear_object(&self->loading);
  self->loading = g_cancellable_new();
  gtk_spinner_start(self->spinner);
  char *base = g_path_get_basename(path);
  char *sub = g_strdup_printf(_("Loading %s…"), base);
  gtk_label_set_text(self->series_label, sub);
  g_free(sub);
  g_free(base);
  lt_study_load_async(path, self->loading, load_done, g_object_ref(self));
}

static void on_folder_chosen(GtkNativeDialog *d, int response, LtWindow *self) {
  if (response == GTK_RESPONSE_ACCEPT) {
    GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
    char *p = f ? g_file_get_path(f) : NULL;
    if (p)
      lt_window_open(self, p);
    else
      lt_window_show_error(self, _("That location is not a local folder"));
    g_free(p);
    g_clear_object(&f);
  }
  g_object_unref(d);
}

static void open_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)name;
  (void)param;
  LtWindow *self = LT_WINDOW(w);
  GtkFileChooserNative *d = gtk_file_chooser_native_new(
      _("Open a study folder"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"),
      _("_Cancel"));
  g_signal_connect(d, "response", G_CALLBACK(on_folder_chosen), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static void lt_window_dispose(GObject *obj) {
  LtWindow *self = LT_WINDOW(obj);
  if (self->worker) { /* cancels what runs, reports the rest cancelled, joins the thread */
    lt_worker_free(self->worker);
    self->worker = NULL;
  }
  g_clear_pointer(&self->history, lt_history_free); /* after the worker: no job uses it now */
  g_clear_pointer(&self->model, lt_model_ctx_free);
  if (self->loading) g_cancellable_cancel(self->loading);
  g_clear_object(&self->loading);
  gtk_widget_dispose_template(GTK_WIDGET(self), LT_TYPE_WINDOW);
  G_OBJECT_CLASS(lt_window_parent_class)->dispose(obj);
}

static void lt_window_finalize(GObject *obj) {
  LtWindow *self = LT_WINDOW(obj);
  lt_study_data_unref(self->study);
  self->vol = NULL;
  g_free(self->model_path);
  g_free(self->pending_path);
  g_clear_pointer(&self->results, g_hash_table_unref);
  lt_analysis_result_free(self->point_result);
  lt_reader_labels_clear(&self->labels);
  G_OBJECT_CLASS(lt_window_parent_class)->finalize(obj);
}

static void lt_window_class_init(LtWindowClass *klass) {
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_window_dispose;
  G_OBJECT_CLASS(klass)->finalize = lt_window_finalize;
  G_OBJECT_CLASS(klass)->get_property = lt_window_get_property;
  G_OBJECT_CLASS(klass)->set_property = lt_window_set_property;
  props[PROP_MEASURING] = g_param_spec_boolean("measuring", NULL, NULL, FALSE,
                                               G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                   G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties(G_OBJECT_CLASS(klass), N_PROPS, props);
  g_type_ensure(LT_TYPE_SLICE_VIEW);
  g_type_ensure(LT_TYPE_NODULE_LIST);
  g_type_ensure(LT_TYPE_RESULT_PANEL);
  g_type_ensure(LT_TYPE_RETRIEVAL_PANEL);
  gtk_widget_class_set_template_from_resource(wc, "/org/lungtrust/LungTrust/ui/lt-window.ui");
  gtk_widget_class_bind_template_child(wc, LtWindow, study_label);
  gtk_widget_class_bind_template_child(wc, LtWindow, series_label);
  gtk_widget_class_bind_template_child(wc, LtWindow, status_label);
  gtk_widget_class_bind_template_child(wc, LtWindow, banner_label);
  gtk_widget_class_bind_template_child(wc, LtWindow, banner);
  gtk_widget_class_bind_template_child(wc, LtWindow, banner_close);
  gtk_widget_class_bind_template_child(wc, LtWindow, spinner);
  gtk_widget_class_bind_template_child(wc, LtWindow, side_paned);
  gtk_widget_class_bind_template_child(wc, LtWindow, slice_scale);
  gtk_widget_class_bind_template_child(wc, LtWindow, slice_adj);
  gtk_widget_class_bind_template_child(wc, LtWindow, axial);
  gtk_widget_class_bind_template_child(wc, LtWindow, coronal);
  gtk_widget_class_bind_template_child(wc, LtWindow, sagittal);
  gtk_widget_class_bind_template_child(wc, LtWindow, nodule_list);
  gtk_widget_class_bind_template_child(wc, LtWindow, result_panel);
  gtk_widget_class_bind_template_child(wc, LtWindow, retrieval_panel);
  gtk_widget_class_bind_template_child(wc, LtWindow, recent_section);
  gtk_widget_class_install_action(wc, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_bind_template_child(wc, LtWindow, readers_check);
  gtk_widget_class_bind_template_child(wc, LtWindow, seg_check);
  gtk_widget_class_bind_template_child(wc, LtWindow, heat_check);
  gtk_widget_class_bind_template_child(wc, LtWindow, opacity_adj);
  gtk_widget_class_install_action(wc, "win.analyse-here", NULL, analyse_action);
  gtk_widget_class_install_action(wc, "win.next-nodule", NULL, nodule_step_action);
  gtk_widget_class_install_action(wc, "win.previous-nodule", NULL, nodule_step_action);
  gtk_widget_class_install_action(wc, "win.open", NULL, open_action);
  gtk_widget_class_install_property_action(wc, "win.measure", "measuring");
  gtk_widget_class_install_action(wc, "win.measure-clear", NULL, measure_clear_action);
  gtk_widget_class_install_action(wc, "win.about-model", NULL, about_model_action);
  gtk_widget_class_add_binding_action(wc, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
}

static void lt_window_init(LtWindow *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  self->results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)lt_analysis_result_free);
  lt_slice_view_set_plane(self->axial, LT_PLANE_AXIAL);
  lt_slice_view_set_plane(self->coronal, LT_PLANE_CORONAL);
  lt_slice_view_set_plane(self->sagittal, LT_PLANE_SAGITTAL);
  for (int v = 0; v < 3; v++) {
    LtSliceView *sv = view_at(self, v);
    lt_slice_view_set_shared(sv, &self->shared);
    g_signal_connect(sv, "crosshair-changed", G_CALLBACK(on_crosshair), self);
    g_signal_connect(sv, "window-changed", G_CALLBACK(on_window_level), self);
    g_signal_connect(sv, "hover", G_CALLBACK(on_hover), self);
    g_signal_connect(sv, "overlays-changed", G_CALLBACK(on_overlays), self);
    g_signal_connect(sv, "maximise-toggled", G_CALLBACK(on_maximise), self);
    g_signal_connect(sv, "analyse-at", G_CALLBACK(on_analyse_at), self);
  }
  g_signal_connect(self->banner_close, "clicked", G_CALLBACK(on_banner_close), self);
  g_signal_connect(self->nodule_list, "nodule-selected", G_CALLBACK(on_nodule_selected), self);
  g_signal_connect(self->retrieval_panel, "card-activated", G_CALLBACK(on_card_activated), self);
  g_signal_connect(self->nodule_list, "analyse-here", G_CALLBACK(on_analyse_here), self);
  g_signal_connect(self->readers_check, "notify::active", G_CALLBACK(on_overlay_control), self);
  g_signal_connect(self->seg_check, "notify::active", G_CALLBACK(on_overlay_control), self);
  g_signal_connect(self->heat_check, "notify::active", G_CALLBACK(on_overlay_control), self);
  g_signal_connect(self->opacity_adj, "value-changed", G_CALLBACK(on_opacity_changed), self);
  /* A, Tab and Shift+Tab before any child sees them (Tab would otherwise move the focus) */
  GtkEventController *sc = gtk_shortcut_controller_new();
  gtk_event_controller_set_propagation_phase(sc, GTK_PHASE_CAPTURE);
  static const struct { guint key; GdkModifierType mods; const char *action; } keys[] = {
      {GDK_KEY_a, 0, "win.analyse-here"},
      {GDK_KEY_m, 0, "win.measure"}, /* ui.md: M then two clicks */
      {GDK_KEY_d, 0, "win.measure"}, /* D for distance, as in some viewers */
      {GDK_KEY_Tab, 0, "win.next-nodule"},
      {GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK, "win.previous-nodule"},
      {GDK_KEY_Tab, GDK_SHIFT_MASK, "win.previous-nodule"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    gtk_shortcut_controller_add_shortcut(
        GTK_SHORTCUT_CONTROLLER(sc),
        gtk_shortcut_new(gtk_keyval_trigger_new(keys[i].key, keys[i].mods),
                         gtk_named_action_new(keys[i].action)));
  gtk_widget_add_controller(GTK_WIDGET(self), sc);
  GSettings *st = lt_settings_get();
  if (st) { /* preferences: the overlay controls follow and update them */
    g_settings_bind(st, "show-readers", self->readers_check, "active", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(st, "show-model-outline", self->seg_check, "active", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(st, "show-gradcam", self->heat_check, "active", G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(st, "gradcam-opacity", self->opacity_adj, "value", G_SETTINGS_BIND_DEFAULT);
    g_signal_connect_object(st, "changed::recent-studies", G_CALLBACK(on_recent_changed), self, 0);
  }
  fill_recent(self);
  lt_style_follow();
  if (st) { /* the main menu's Style radio items */
    g_autoptr(GSettingsSchema) schema = NULL;
    g_object_get(st, "settings-schema", &schema, NULL);
    if (g_settings_schema_has_key(schema, "style")) {
      GSimpleActionGroup *g = g_simple_action_group_new();
      GAction *a = g_settings_create_action(st, "style");
      g_action_map_add_action(G_ACTION_MAP(g), a);
      g_object_unref(a);
      gtk_widget_insert_action_group(GTK_WIDGET(self), "pref", G_ACTION_GROUP(g));
      g_object_unref(g);
    }
  }
  lt_error err = {{0}};
  self->worker = lt_worker_new(&err);
  if (!self->worker) g_warning("%s", err.msg); /* shown when an analysis is asked for */
  { /* LUNGTRUST_MODEL, else the bundled one: the rule analyze uses without --model */
    char path[4096];
    lt_error none = {{0}};
    self->model_path = lt_default_model(path, sizeof path, &none) ? NULL : g_strdup(path);
  }
  self->model = lt_model_ctx_new(self->model_path);
  if (self->worker) { /* the historical database: opened (and filled on first start) in the
                         background, before any retrieval */
    self->history = lt_history_new(NULL, lt_paths_ratings_dir());
    if (!lt_history_open_submit(self->worker, self->history, G_OBJECT(self), history_opened, &err))
      lt_retrieval_panel_set_status(self->retrieval_panel, err.msg);
  }
  lt_result_panel_set_model(self->result_panel, NULL);
  if (self->model_path) {
    char *base = g_path_get_basename(self->model_path);
    lt_result_panel_set_model(self->result_panel, base);
    g_free(base);
  }
  g_message("model: %s", self->model_path ? self->model_path : "none");
  g_message("study label: %s", gtk_label_get_text(self->study_label)); /* shows the UI language */
  self->slice_handler =
      g_signal_connect(self->slice_adj, "value-changed", G_CALLBACK(on_slider), self);
}

LtWindow *lt_window_new(GtkApplication *app) {
  return g_object_new(LT_TYPE_WINDOW, "application", app, NULL);
}
