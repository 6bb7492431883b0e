/* engine/worker.h — the engine thread: one job at a time, off the caller's thread.
 * A job is a kind (for labels and priority), a function run on the worker thread, its data,
 * and two callbacks: progress (any number of times) and done (exactly once, with the status
 * DONE, FAILED or CANCELLED and the result the function set). Interactive jobs run before
 * background ones, the newest interactive job first; background jobs run in submission order.
 * Cancellation is a flag the running function polls (lt_job_cancelled); a pending job that is
 * cancelled never runs and reports CANCELLED. Both callbacks are called ON THE WORKER THREAD:
 * a GTK caller marshals to its main loop (g_idle_add / g_main_context_invoke).
 * Knows nothing of GLib, models or databases: the analyse / import / retrieve jobs are
 * functions the caller supplies. */
#ifndef LT_WORKER_H
#define LT_WORKER_H

#include <stdint.h>

#include "lt-error.h"

typedef enum {
  LT_JOB_ANALYSE_NODULE,
  LT_JOB_ANALYSE_STUDY,
  LT_JOB_IMPORT,
  LT_JOB_RETRIEVE,
  LT_JOB_FUNCTION,
} lt_job_kind;

typedef enum {
  LT_JOB_DONE,
  LT_JOB_FAILED,
  LT_JOB_CANCELLED,
} lt_job_status;

typedef struct lt_worker lt_worker;
typedef struct lt_job lt_job;

/* Runs on the worker thread. Returns 0, or -1 with err set. It may call lt_job_progress,
 * lt_job_cancelled and lt_job_set_result on `job`. A function that sees the cancel flag
 * returns (any value): the job then reports CANCELLED. */
typedef int (*lt_job_fn)(lt_job *job, void *data, lt_error *err);
/* fraction in [0,1]; what: a short label, valid only during the call. */
typedef void (*lt_job_progress_fn)(uint64_t id, double fraction, const char *what, void *user);
/* Called once per job. result: what the function set (NULL if none, or if cancelled/failed,
 * in which case the worker has already freed it with its free function); ownership of result
 * passes to the callee. err: the message when FAILED, "cancelled" when CANCELLED. */
typedef void (*lt_job_done_fn)(uint64_t id, lt_job_status status, void *result,
                               const lt_error *err, void *user);

typedef struct {
  lt_job_kind kind;
  int interactive;             /* 1: user is waiting (newest first); 0: background (FIFO) */
  lt_job_fn run;               /* required */
  void *data;                  /* passed to run */
  void (*free_data)(void *);   /* called on the worker thread after done (may be NULL) */
  lt_job_progress_fn progress; /* may be NULL */
  lt_job_done_fn done;         /* may be NULL */
  void *user;                  /* passed to progress and done */
} lt_job_spec;

/* Starts the engine thread. NULL with err set if the thread cannot start. */
lt_worker *lt_worker_new(lt_error *err);
/* Cancels the running job, reports every pending job CANCELLED (their done callbacks run
 * on the worker thread before it exits), joins the thread and frees everything. */
void lt_worker_free(lt_worker *w);

/* Queues a job; returns its id (> 0), or 0 with err set (spec->run NULL or shutting down:
 * then done is NOT called and free_data IS called). */
uint64_t lt_worker_submit(lt_worker *w, const lt_job_spec *spec, lt_error *err);
/* Sets the cancel flag of job id (pending or running). Returns 1 if found, 0 if unknown or
 * already finished. */
int lt_worker_cancel(lt_worker *w, uint64_t id);
/* Cancels every pending and running job of this kind (all kinds if kind < 0); returns how
 * many. Used when a new study replaces the old one. */
int lt_worker_cancel_kind(lt_worker *w, int kind);
/* Number of jobs queued or running. */
int lt_worker_pending(lt_worker *w);
/* Blocks until no job is queued or running (tests, shutdown of a CLI). */
void lt_worker_wait_idle(lt_worker *w);

/* For the job function, on the worker thread. */
int lt_job_cancelled(const lt_job *job);
void lt_job_progress(lt_job *job, double fraction, const char *what);
/* Hands a result to the done callback; free_result frees it if the job ends cancelled or
 * failed, or if a later call replaces it. */
void lt_job_set_result(lt_job *job, void *result, void (*free_result)(void *));
uint64_t lt_job_id(const lt_job *job);
lt_job_kind lt_job_get_kind(const lt_job *job);
const char *lt_job_kind_name(lt_job_kind kind);

#endif
