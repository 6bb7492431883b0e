/* ui/lt-analyse-job.h — "analyse here" as an engine-thread job (engine/worker.h): the study's
 * lung mask (computed once per study, on the worker thread), a refusal for a point outside the
 * lungs, then the model. Results and progress come back on the GTK main loop through the
 * callbacks given (marshalled with g_idle_add; the target object is held by a weak reference,
 * so a window closed meanwhile gets nothing). With a model (LtModelCtx: the weights file loaded
 * on the engine thread the first time it is needed) the 2x64^3 patch around the point goes
 * through engine/review/analyze.h, as `lungtrust-cli analyze` does; without one the job fails
 * with a message that says no model is loaded. Draws nothing. */
#ifndef LT_ANALYSE_JOB_H
#define LT_ANALYSE_JOB_H

#include <glib-object.h>
#include <stdint.h>

#include "ct/volume.h"
#include "model/gradcam.h"
#include "worker.h"

G_BEGIN_DECLS

/* A study shared by the window and the jobs (atomic refcount; the last release frees it). */
typedef struct {
  lt_volume *vol;
  uint8_t *lung; /* lung mask, written by the worker thread the first time it is needed */
} LtStudyData;

LtStudyData *lt_study_data_new(lt_volume *vol /* taken */);
LtStudyData *lt_study_data_ref(LtStudyData *s);
void lt_study_data_unref(LtStudyData *s);

/* The model of a window: used by engine-thread jobs only; free it after the worker. */
typedef struct LtModelCtx LtModelCtx;
LtModelCtx *lt_model_ctx_new(const char *weights_path /* NULL: no model */);
void lt_model_ctx_free(LtModelCtx *c);

/* One analysis, for the result panel and the render scene. */
typedef struct {
  float prob;
  int n_attr;
  float attrs[6];
  gboolean has_seg;         /* FALSE for a model without a segmentation head (ResNet baseline) */
  lt_trust trust_own;
  gboolean has_consensus;   /* the readers' 50% consensus reaches into the patch */
  lt_trust trust_consensus;
  double dice_consensus;
  gboolean cam_flat;
  int side;        /* the model's grid side S */
  uint8_t *seg;    /* S^3 (seg >= 0.5), voxel order of geom */
  float *cam;      /* S^3 Grad-CAM in [0, 1] */
  lt_geometry geom; /* the model grid in the CT's patient coordinates */
  double seconds;  /* on the engine thread: patch, forward, Grad-CAM */
  int n_ood;       /* out-of-distribution warnings (model/weights.h), English */
  char ood[4][160];
  double nodule_mm;   /* the diameter the analysis was given, 0 when unknown */
  int cam_grid;       /* cells a side of the map the trust check is taken on (S / 4) */
} LtAnalysisResult;
void lt_analysis_result_free(LtAnalysisResult *r);

/* Main loop callbacks. status: LT_JOB_DONE / FAILED / CANCELLED; msg: one line; result: owned
 * by the callee, NULL unless DONE. */
typedef void (*LtAnalyseProgress)(GObject *target, uint64_t id, double fraction, const char *what);
typedef void (*LtAnalyseDone)(GObject *target, uint64_t id, int status, LtAnalysisResult *result,
                              const char *msg);

/* Queues the analysis of voxel ijk of study as an interactive job; returns the job id or 0
 * with err set. consensus: the readers' 50% consensus (0/1) on its grid cons_geom, taken
 * (g_free), or NULL. nodule_mm: the nodule's diameter for the out-of-distribution check. */
uint64_t lt_analyse_here_submit(lt_worker *w, LtStudyData *study, const double ijk[3],
                                uint8_t *consensus, const lt_geometry *cons_geom,
                                double nodule_mm /* 0: unknown */, LtModelCtx *model,
                                GObject *target,
                                LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err);

G_END_DECLS

#endif
