/* engine/worker.c — the engine thread (see worker.h). One mutex guards the pending list,
 * the running job and the counters; callbacks and job functions run without the lock. */
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct lt_job {
  uint64_t id;
  lt_job_spec spec;
  atomic_int cancel;
  void *result;
  void (*free_result)(void *);
  struct lt_job *next;
};

struct lt_worker {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake; /* a job was queued, or shutdown */
  pthread_cond_t idle; /* the queue emptied and nothing runs */
  lt_job *pending;     /* singly linked, in submission order */
  lt_job *running;
  uint64_t next_id;
  int stopping;
};

const char *lt_job_kind_name(lt_job_kind kind) {
  switch (kind) {
  case LT_JOB_ANALYSE_NODULE: return "analyse nodule";
  case LT_JOB_ANALYSE_STUDY: return "analyse study";
  case LT_JOB_IMPORT: return "import";
  case LT_JOB_RETRIEVE: return "retrieve";
  case LT_JOB_FUNCTION: return "function";
  }
  return "job";
}

/* Removes and returns the next job: the newest interactive one, else the oldest background
 * one. Caller holds the lock. */
static lt_job *take_next(lt_worker *w) {
  lt_job **best = NULL;
  for (lt_job **p = &w->pending; *p; p = &(*p)->next) {
    if ((*p)->spec.interactive) best = p; /* list is in submission order: the last wins */
  }
  if (!best && w->pending) best = &w->pending;
  if (!best) return NULL;
  lt_job *j = *best;
  *best = j->next;
  j->next = NULL;
  return j;
}

static void finish(lt_job *j, lt_job_status st, const lt_error *err) {
  void *res = NULL;
  if (st == LT_JOB_DONE) {
    res = j->result;
  } else if (j->result && j->free_result) {
    j->free_result(j->result);
  }
  j->result = NULL;
  if (j->spec.done) j->spec.done(j->id, st, res, err, j->spec.user);
  if (j->spec.free_data) j->spec.free_data(j->spec.data);
  free(j);
}

static void finish_cancelled(lt_job *j) {
  lt_error e;
  lt_error_set(&e, "cancelled");
  finish(j, LT_JOB_CANCELLED, &e);
}

static void *worker_main(void *arg) {
  lt_worker *w = arg;
  pthread_mutex_lock(&w->lock);
  for (;;) {
    while (!w->pending && !w->stopping) pthread_cond_wait(&w->wake, &w->lock);
    lt_job *j = take_next(w);
    if (!j) break; /* stopping and nothing left */
    if (w->stopping) atomic_store(&j->cancel, 1);
    w->running = j;
    pthread_mutex_unlock(&w->lock);

    if (atomic_load(&j->cancel)) {
      finish_cancelled(j);
    } else {
      lt_error err = {{0}};
      int rc = j->spec.run(j, j->spec.data, &err);
      if (atomic_load(&j->cancel)) {
        finish_cancelled(j);
      } else if (rc != 0) {
        if (!err.msg[0]) lt_error_set(&err, "%s failed", lt_job_kind_name(j->spec.kind));
        finish(j, LT_JOB_FAILED, &err);
      } else {
        finish(j, LT_JOB_DONE, NULL);
      }
    }

    pthread_mutex_lock(&w->lock);
    w->running = NULL;
    if (!w->pending) pthread_cond_broadcast(&w->idle);
  }
  pthread_cond_broadcast(&w->idle);
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

lt_worker *lt_worker_new(lt_error *err) {
  lt_worker *w = calloc(1, sizeof *w);
  if (!w) {
    lt_error_set(err, "engine thread: out of memory");
    return NULL;
  }
  w->next_id = 1;
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->wake, NULL);
  pthread_cond_init(&w->idle, NULL);
  int rc = pthread_create(&w->thread, NULL, worker_main, w);
  if (rc != 0) {
    pthread_cond_destroy(&w->idle);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    lt_error_set(err, "engine thread: cannot start (%s)", strerror(rc));
    return NULL;
  }
  return w;
}

void lt_worker_free(lt_worker *w) {
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  w->stopping = 1;
  if (w->running) atomic_store(&w->running->cancel, 1);
  for (lt_job *j = w->pending; j; j = j->next) atomic_store(&j->cancel, 1);
  pthread_cond_broadcast(&w->wake);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->idle);
  pthread_cond_destroy(&w->wake);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

uint64_t lt_worker_submit(lt_worker *w, const lt_job_spec *spec, lt_error *err) {
  if (!spec || !spec->run) {
    if (spec && spec->free_data) spec->free_data(spec->data);
    lt_error_set(err, "engine thread: a job needs a function");
    return 0;
  }
  lt_job *j = calloc(1, sizeof *j);
  if (!j) {
    if (spec->free_data) spec->free_data(spec->data);
    lt_error_set(err, "engine thread: out of memory");
    return 0;
  }
  j->spec = *spec;
  atomic_init(&j->cancel, 0);
  pthread_mutex_lock(&w->lock);
  if (w->stopping) {
    pthread_mutex_unlock(&w->lock);
    if (spec->free_data) spec->free_data(spec->data);
    free(j);
    lt_error_set(err, "engine thread: shutting down");
    return 0;
  }
  j->id = w->next_id++;
  lt_job **tail = &w->pending;
  while (*tail) tail = &(*tail)->next;
  *tail = j;
  uint64_t id = j->id;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  return id;
}

int lt_worker_cancel(lt_worker *w, uint64_t id) {
  int found = 0;
  pthread_mutex_lock(&w->lock);
  if (w->running && w->running->id == id) {
    atomic_store(&w->running->cancel, 1);
    found = 1;
  }
  for (lt_job *j = w->pending; j && !found; j = j->next) {
    if (j->id == id) {
      atomic_store(&j->cancel, 1);
      found = 1;
    }
  }
  pthread_mutex_unlock(&w->lock);
  return found;
}

int lt_worker_cancel_kind(lt_worker *w, int kind) {
  int n = 0;
  pthread_mutex_lock(&w->lock);
  if (w->running && (kind < 0 || (int)w->running->spec.kind == kind)) {
    atomic_store(&w->running->cancel, 1);
    n++;
  }
  for (lt_job *j = w->pending; j; j = j->next) {
    if (kind < 0 || (int)j->spec.kind == kind) {
      atomic_store(&j->cancel, 1);
      n++;
    }
  }
  pthread_mutex_unlock(&w->lock);
  return n;
}

int lt_worker_pending(lt_worker *w) {
  int n = 0;
  pthread_mutex_lock(&w->lock);
  for (lt_job *j = w->pending; j; j = j->next) n++;
  if (w->running) n++;
  pthread_mutex_unlock(&w->lock);
  return n;
}

void lt_worker_wait_idle(lt_worker *w) {
  pthread_mutex_lock(&w->lock);
  while (w->pending || w->running) pthread_cond_wait(&w->idle, &w->lock);
  pthread_mutex_unlock(&w->lock);
}

int lt_job_cancelled(const lt_job *job) { return atomic_load(&((lt_job *)job)->cancel); }

void lt_job_progress(lt_job *job, double fraction, const char *what) {
  if (fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  if (job->spec.progress) job->spec.progress(job->id, fraction, what ? what : "", job->spec.user);
}

void lt_job_set_result(lt_job *job, void *result, void (*free_result)(void *)) {
  if (job->result && job->result != result && job->free_result) job->free_result(job->result);
  job->result = result;
  job->free_result = free_result;
}

uint64_t lt_job_id(const lt_job *job) { return job->id; }
lt_job_kind lt_job_get_kind(const lt_job *job) { return job->spec.kind; }
