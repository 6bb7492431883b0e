/* ui/lt-study-loader.h — reads a study's CT series off the GTK main loop: lt_series_read in a
 * GTask thread, then the LIDC readings found beside it (lidc.h, nodules.h) packed into reader
 * outline labels; the result handed back to the main loop. Until the engine thread (worker.c)
 * takes over imports, this is how the window opens a folder without blocking. */
#ifndef LT_STUDY_LOADER_H
#define LT_STUDY_LOADER_H

#include <gio/gio.h>

#include "ct/series.h"
#include "lt-reader-labels.h"
#include "ct/volume.h"

G_BEGIN_DECLS

typedef struct {
  char *path;
  lt_volume *vol;       /* NULL on failure */
  lt_series_info info;  /* as far as the read got */
  char error[256];      /* "" on success */
  char warning[256];    /* readings that could not be used ("" if none) */
  lt_reader_labels labels; /* readers' outlines and consensus (bits NULL when none) */
  int n_nodules;
  gboolean has_focus;   /* the first outlined nodule's centroid, voxel index */
  double focus_vox[3];
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
