/* ui/lt-study-loader.c — see lt-study-loader.h. */
#include "lt-study-loader.h"

#include <string.h>

#include "lt-error.h"

void lt_study_load_free(LtStudyLoad *l) {
  if (!l) return;
  g_free(l->path);
  lt_volume_free(l->vol);
  lt_series_info_free(&l->info);
  g_free(l);
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
