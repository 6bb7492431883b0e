/* ui/lt-study-loader.h — reads a study's CT series off the GTK main loop: lt_series_read in a
 * GTask thread, then the LIDC readings found beside it (lidc.h, nodules.h) packed into reader
 * outline labels and per-nodule summaries, the placed readings themselves kept for the review
 * pipeline; the result handed back to the main loop. (Study
 * loading has stayed on a GTask thread; the engine thread runs analyses, imports, retrieval.) */
#ifndef LT_STUDY_LOADER_H
#define LT_STUDY_LOADER_H

#include <gio/gio.h>

#include "ct/lidc.h"
#include "ct/series.h"
#include "lt-reader-labels.h"
#include "ct/volume.h"

G_BEGIN_DECLS

/* One physical nodule of the readings (or of the local database), as the nodule list and the result panel show it. */
typedef struct {
  char id[16];
  gboolean large;            /* outlined by at least one reader */
  int n_readers;
  double diameter_mm;        /* equivalent diameter of the 50% consensus; 0 for point marks */
  double centroid_vox[3];
  double mean_ratings[LT_LIDC_NCHAR]; /* NAN where no reader rates it */
  int n_rated;               /* readers with ratings, at most 4 kept below */
  int ratings[4][LT_LIDC_NCHAR];      /* each rating reader's ratings (0 = absent) */
  /* the local database (filled by the window, lt-retrieval-job.h; zero from the loader) */
  int64_t db_id;             /* 0: not in the database */
  gboolean db_only;          /* known from the database only (no reading outlines it here) */
  int db_runs;               /* model runs stored for it */
  double db_prob;            /* the newest run's probability (when db_runs > 0) */
  /* this session's analysis (filled by the window; zero from the loader) */
  gboolean analysed;         /* a result of the current model is kept for it */
  int scope;                 /* its scope decision then (lt_scope_level) */
} LtNoduleSummary;

typedef struct {
  char *path;
  lt_volume *vol;       /* NULL on failure */
  lt_series_info info;  /* as far as the read got */
  char error[256];      /* "" on success */
  char warning[256];    /* readings that could not be used ("" if none) */
  lt_reader_labels labels; /* readers' outlines and consensus (bits NULL when none) */
  int n_nodules;
  LtNoduleSummary *nodules; /* n_nodules entries, in the readings' order (IDs "1", "2", ...) */
  lt_nodule_set *set;   /* the readings placed on vol, which the review pipeline reviews by ID;
                         * NULL when none (take it: set it to NULL) */
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
