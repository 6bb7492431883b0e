/* ui/lt-study-loader.c — see lt-study-loader.h. */
#include "lt-study-loader.h"

#include <string.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "lt-error.h"

void lt_study_load_free(LtStudyLoad *l) {
  if (!l) return;
  g_free(l->path);
  lt_volume_free(l->vol);
  lt_series_info_free(&l->info);
  lt_reader_labels_clear(&l->labels);
  g_free(l->nodules);
  lt_nodule_set_free(l->set);
  g_free(l);
}

/* LIDC readings of the series, when there are any: not finding or not using them is a warning,
 * never a failure to open the study. */
static void read_readings(LtStudyLoad *l) {
  lt_error err = {{0}};
  lt_lidc_doc *doc = NULL;
  if (lt_lidc_read_for_series(l->path, l->vol->series_uid, &doc, &err) != 0) {
    g_snprintf(l->warning, sizeof l->warning, "Readings not shown: %s", err.msg);
    return;
  }
  if (!doc) return;
  lt_nodule_set *set = NULL;
  if (lt_nodules_build(doc, l->vol, NULL, &set, &err) != 0) {
    g_snprintf(l->warning, sizeof l->warning, "Readings not shown: %s", err.msg);
  } else {
    l->n_nodules = set->n_nodules;
    l->nodules = g_new0(LtNoduleSummary, set->n_nodules > 0 ? set->n_nodules : 1);
    for (int n = 0; n < set->n_nodules; n++) {
      const lt_nodule *src = &set->nodules[n];
      LtNoduleSummary *d = &l->nodules[n];
      g_strlcpy(d->id, src->id, sizeof d->id);
      d->large = src->large;
      d->n_readers = src->n_readers;
      d->diameter_mm = src->eq_diameter_mm;
      memcpy(d->centroid_vox, src->centroid_vox, sizeof d->centroid_vox);
      memcpy(d->mean_ratings, src->mean_ratings, sizeof d->mean_ratings);
      for (int m = 0; m < src->n_marks && d->n_rated < 4; m++)
        if (src->marks[m].has_ratings)
          memcpy(d->ratings[d->n_rated++], src->marks[m].ratings, sizeof d->ratings[0]);
    }
    if (lt_reader_labels_build(set, &l->vol->geom, &l->labels, &err) != 0)
      g_snprintf(l->warning, sizeof l->warning, "Readings not shown: %s", err.msg);
    for (int n = 0; n < set->n_nodules && !l->has_focus; n++)
      if (set->nodules[n].large) {
        memcpy(l->focus_vox, set->nodules[n].centroid_vox, sizeof l->focus_vox);
        l->has_focus = TRUE;
      }
  }
  l->set = set; /* kept: the review pipeline finds the nodules by ID in it, as the CLI does */
  lt_lidc_doc_free(doc);
}

static void run(GTask *task, gpointer src, gpointer data, GCancellable *cancellable) {
  (void)src;
  (void)cancellable;
  LtStudyLoad *l = g_new0(LtStudyLoad, 1);
  l->path = g_strdup(data);
  lt_error err = {{0}};
  gint64 t0 = g_get_monotonic_time();
  if (lt_series_read(l->path, NULL, &l->vol, &l->info, &err) != 0) {
    l->vol = NULL;
    g_strlcpy(l->error, err.msg[0] ? err.msg : "could not read the series", sizeof l->error);
  }
  if (l->vol) read_readings(l);
  l->seconds = (g_get_monotonic_time() - t0) / 1e6;
  g_task_return_pointer(task, l, (GDestroyNotify)lt_study_load_free);
}

void lt_study_load_async(const char *path, GCancellable *cancellable, GAsyncReadyCallback cb,
                         gpointer user_data) {
  GTask *task = g_task_new(NULL, cancellable, cb, user_data);
  g_task_set_task_data(task, g_strdup(path), g_free);
  g_task_set_return_on_cancel(task, TRUE);
  g_task_run_in_thread(task, run);
  g_object_unref(task);
}

LtStudyLoad *lt_study_load_finish(GAsyncResult *res) {
  return g_task_propagate_pointer(G_TASK(res), NULL);
}
