/* ui/lt-analyse-job.h — "analyse here" as an engine-thread job (engine/worker.h): the study's
 * lung mask (computed once per study, on the worker thread), a refusal for a point outside the
 * lungs, then the model. Results and progress come back on the GTK main loop through the
 * callbacks given (marshalled with g_idle_add; the target object is held by a weak reference,
 * so a window closed meanwhile gets nothing). The model step is not wired yet
 * (engine/model/analyze.h exists now; no trained model file does): a point in the lungs ends in
 * a plain failure that says no model is loaded (or that this build cannot analyse yet).
 * Draws nothing. */
#ifndef LT_ANALYSE_JOB_H
#define LT_ANALYSE_JOB_H

#include <glib-object.h>
#include <stdint.h>

#include "ct/volume.h"
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

/* Main loop callbacks. status: LT_JOB_DONE / FAILED / CANCELLED; msg: one line. */
typedef void (*LtAnalyseProgress)(GObject *target, uint64_t id, double fraction, const char *what);
typedef void (*LtAnalyseDone)(GObject *target, uint64_t id, int status, const char *msg);

/* The first .safetensors file in models_dir, or NULL (g_free the result). */
char *lt_find_model(const char *models_dir);

/* Queues the analysis of voxel ijk of study as an interactive job; returns the job id or 0
 * with err set. model_path may be NULL (no model). */
uint64_t lt_analyse_here_submit(lt_worker *w, LtStudyData *study, const double ijk[3],
                                const char *model_path, GObject *target,
                                LtAnalyseProgress progress, LtAnalyseDone done, lt_error *err);

G_END_DECLS

#endif
