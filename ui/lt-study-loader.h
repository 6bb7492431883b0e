/* ui/lt-study-loader.h — reads a study's CT series off the GTK main loop: lt_series_read in a
 * GTask thread, the result handed back to the main loop. Until the engine thread (worker.c)
 * takes over imports, this is how the window opens a folder without blocking. */
#ifndef LT_STUDY_LOADER_H
#define LT_STUDY_LOADER_H

#include <gio/gio.h>

#include "ct/series.h"
#include "ct/volume.h"

G_BEGIN_DECLS

typedef struct {
  char *path;
  lt_volume *vol;       /* NULL on failure */
  lt_series_info info;  /* as far as the read got */
  char error[256];      /* "" on success */
  double seconds;
} LtStudyLoad;

void lt_study_load_free(LtStudyLoad *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LtStudyLoad, lt_study_load_free)

void lt_study_load_async(const char *path, GCancellable *cancellable, GAsyncReadyCallback cb,
                         gpointer user_data);
/* Always returns the load (check ->vol / ->error); NULL only when cancelled. */
LtStudyLoad *lt_study_load_finish(GAsyncResult *res);

G_END_DECLS

#endif
