/* ui/lt-analyse-job.h — "analyse" as an engine-thread job (engine/worker.h): one call to the
 * review pipeline (engine/review/review.h, lt_review_analyze), the same call `lungtrust-cli
 * analyze` makes, so the window holds no analysis logic of its own. The study's lung mask is
 * computed once per study on the worker thread (lt_review_study_lungs, inside LtStudyData), the
 * model loaded once on it (LtModelCtx). A nodule of the readings is reviewed by its ID (as
 * `analyze --nodule ID`), a database-only nodule or a point at its voxel; a point outside the
 * lungs is analysed too and comes back out of scope, with the reasons. Each result carries what
 * it is for (LtTarget, the study's serial, the model's name and SHA-256), so the window can show
 * it only under its own nodule. Results and progress come back on the GTK main loop through the
 * callbacks given (marshalled with g_idle_add; the target object is held by a weak reference, so
 * a window closed meanwhile gets nothing). Draws nothing. */
#ifndef LT_ANALYSE_JOB_H
#define LT_ANALYSE_JOB_H

#include <glib-object.h>
#include <stdint.h>

#include "ct/nodules.h"
#include "ct/series.h"
#include "ct/volume.h"
#include "review/review.h"
#include "worker.h"

G_BEGIN_DECLS

/* A study shared by the window and the jobs (atomic refcount; the last release frees it). The
 * window reads vol and nodules; `review` (the pipeline's view, which fills in the lung mask) is
 * touched by the engine thread only, one job at a time. */
typedef struct {
  lt_volume *vol;
  lt_nodule_set *nodules;  /* the readings placed on vol, NULL when none */
  lt_series_info info;     /* how the series was read (its series list is not kept) */
  lt_review_study review;
} LtStudyData;

/* vol and nodules are taken; info is copied without its series list. */
LtStudyData *lt_study_data_new(lt_volume *vol, lt_nodule_set *nodules,
                               const lt_series_info *info);
LtStudyData *lt_study_data_ref(LtStudyData *s);
void lt_study_data_unref(LtStudyData *s);

/* The model of a window: loaded on the engine thread the first time a job needs it; used by
 * engine jobs only; free it after the worker. */
typedef struct LtModelCtx LtModelCtx;
LtModelCtx *lt_model_ctx_new(const char *weights_path /* NULL: no model */);
void lt_model_ctx_free(LtModelCtx *c);

/* What an analysis is for: a nodule of the list (by its row ID) or a point. */
typedef enum { LT_TARGET_NONE, LT_TARGET_NODULE, LT_TARGET_POINT } LtTargetKind;
typedef struct {
  LtTargetKind kind;
  char id[16];       /* the list's ID: "1" (readings) or "D12" (database only); "" for a point */
  gboolean readings; /* a nodule of the readings: reviewed by its ID, as `analyze --nodule` */
  double vox[3];     /* the nodule's centroid or the point, voxel index */
} LtTarget;

/* Same nodule (by ID), or the same point (to the voxel). */
gboolean lt_target_equal(const LtTarget *a, const LtTarget *b);
/* "nodule 1", "point (316, 367, 90)", "nothing": English, for the log. */
const char *lt_target_describe(const LtTarget *t, char *buf, size_t n);

/* One analysis, for the result panel, the nodule list and the render scene. */
typedef struct {
  LtTarget target;       /* what it is for */
  unsigned study_serial; /* which study of the window (the window's counter) */
  lt_review_result rr;   /* the pipeline's answer: numbers, maps, scope, model identity */
  uint8_t *seg;          /* rr.an.side^3 (seg >= 0.5), voxel order of rr.grid_geom */
  double seconds;        /* on the engine thread */
} LtAnalysisResult;
void lt_analysis_result_free(LtAnalysisResult *r);

/* Main loop callbacks. status: LT_JOB_DONE / FAILED / CANCELLED; msg: one line; result: owned
 * by the callee, NULL unless DONE. */
typedef void (*LtAnalyseProgress)(GObject *target, uint64_t id, double fraction, const char *what);
typedef void (*LtAnalyseDone)(GObject *target, uint64_t id, int status, LtAnalysisResult *result,
                              const char *msg);

/* Queues the review of what as an interactive job; returns the job id or 0 with err set.
 * study_serial is copied into the result.
 * Test only: the environment variable LT_TEST_ANALYSE_DELAY_MS (milliseconds) holds the result
 * back that long on the engine thread, so the GUI tests can act while an analysis runs. */
uint64_t lt_analyse_submit(lt_worker *w, LtStudyData *study, unsigned study_serial,
                           const LtTarget *what, LtModelCtx *model, GObject *target,
                           LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err);

G_END_DECLS

#endif
