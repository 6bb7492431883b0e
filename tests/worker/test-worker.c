/* tests/worker/test-worker.c — the engine thread: order (newest interactive first, background
 * in submission order), cancellation of running and pending jobs, progress on the worker
 * thread, failures as values, and shutdown with jobs still queued. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "worker.h"

/* A gate the first job blocks on so the test can queue others behind it. */
typedef struct {
  pthread_mutex_t m;
  pthread_cond_t c;
  int open;
  int entered;
} gate;

static void gate_init(gate *g) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->open = 0;
  g->entered = 0;
}
static void gate_destroy(gate *g) {
  pthread_cond_destroy(&g->c);
  pthread_mutex_destroy(&g->m);
}
static void gate_open(gate *g) {
  pthread_mutex_lock(&g->m);
  g->open = 1;
  pthread_cond_broadcast(&g->c);
  pthread_mutex_unlock(&g->m);
}
static void gate_wait_entered(gate *g) {
  pthread_mutex_lock(&g->m);
  while (!g->entered) pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

/* Shared record of what ran and what was reported. */
typedef struct {
  pthread_mutex_t m;
  int ran[64];
  int n_ran;
  int done_tag[64];
  lt_job_status done_status[64];
  char done_msg[64][256];
  int n_done;
  int freed_data;
  int freed_results;
  double fractions[64];
  int n_progress;
  int progress_off_main;
  pthread_t main_thread;
} record;

static record rec;

static void rec_reset(void) {
  memset(&rec, 0, sizeof rec);
  pthread_mutex_init(&rec.m, NULL);
  rec.main_thread = pthread_self();
}

typedef struct {
  int tag;
  gate *g;        /* block until open (may be NULL) */
  int spin_until_cancel;
  int fail;
  int progress_steps;
} job_data;

static job_data *jd(int tag) {
  job_data *d = calloc(1, sizeof *d);
  d->tag = tag;
  return d;
}

static void free_jd(void *p) {
  pthread_mutex_lock(&rec.m);
  rec.freed_data++;
  pthread_mutex_unlock(&rec.m);
  free(p);
}

static void free_result(void *p) {
  pthread_mutex_lock(&rec.m);
  rec.freed_results++;
  pthread_mutex_unlock(&rec.m);
  free(p);
}

static int run_job(lt_job *job, void *data, lt_error *err) {
  job_data *d = data;
  pthread_mutex_lock(&rec.m);
  rec.ran[rec.n_ran++] = d->tag;
  pthread_mutex_unlock(&rec.m);
  int *res = malloc(sizeof *res);
  *res = d->tag * 10;
  lt_job_set_result(job, res, free_result);
  if (d->g) {
    pthread_mutex_lock(&d->g->m);
    d->g->entered = 1;
    pthread_cond_broadcast(&d->g->c);
    while (!d->g->open) pthread_cond_wait(&d->g->c, &d->g->m);
    pthread_mutex_unlock(&d->g->m);
  }
  for (int i = 1; i <= d->progress_steps; i++) lt_job_progress(job, i / (double)d->progress_steps, "step");
  while (d->spin_until_cancel && !lt_job_cancelled(job)) usleep(200);
  if (d->fail) return lt_error_set(err, "job %d: made to fail", d->tag);
  return 0;
}

static void on_progress(uint64_t id, double fraction, const char *what, void *user) {
  pthread_mutex_lock(&rec.m);
  rec.fractions[rec.n_progress++] = fraction;
  if (!pthread_equal(pthread_self(), rec.main_thread)) rec.progress_off_main++;
  pthread_mutex_unlock(&rec.m);
}

static void on_done(uint64_t id, lt_job_status st, void *result, const lt_error *err, void *user) {
  pthread_mutex_lock(&rec.m);
  int k = rec.n_done++;
  rec.done_tag[k] = (int)(intptr_t)user;
  rec.done_status[k] = st;
  snprintf(rec.done_msg[k], sizeof rec.done_msg[k], "%s", err ? err->msg : "");
  if (result) {
    /* the result's value is the tag times ten: the callee owns it */
    if (*(int *)result != rec.done_tag[k] * 10) rec.done_tag[k] = -1;
    free(result);
  }
  pthread_mutex_unlock(&rec.m);
}

static uint64_t submit(lt_worker *w, job_data *d, int interactive, lt_job_kind kind) {
  lt_job_spec s = {.kind = kind, .interactive = interactive, .run = run_job, .data = d,
                   .free_data = free_jd, .progress = on_progress, .done = on_done,
                   .user = (void *)(intptr_t)d->tag};
  lt_error err = {{0}};
  uint64_t id = lt_worker_submit(w, &s, &err);
  assert_true(id > 0);
  return id;
}

static void newest_interactive_runs_first_background_in_order(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  assert_non_null(w);
  gate g;
  gate_init(&g);
  job_data *first = jd(1);
  first->g = &g;
  submit(w, first, 0, LT_JOB_IMPORT);
  gate_wait_entered(&g);
  submit(w, jd(2), 0, LT_JOB_IMPORT);
  submit(w, jd(3), 1, LT_JOB_ANALYSE_NODULE);
  submit(w, jd(4), 0, LT_JOB_RETRIEVE);
  submit(w, jd(5), 1, LT_JOB_ANALYSE_NODULE);
  submit(w, jd(6), 1, LT_JOB_RETRIEVE);
  assert_int_equal(lt_worker_pending(w), 6);
  gate_open(&g);
  lt_worker_wait_idle(w);
  int want[] = {1, 6, 5, 3, 2, 4};
  assert_int_equal(rec.n_ran, 6);
  for (int i = 0; i < 6; i++) assert_int_equal(rec.ran[i], want[i]);
  assert_int_equal(rec.n_done, 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(rec.done_tag[i], want[i]); /* -1 would mean a wrong result value */
    assert_int_equal(rec.done_status[i], LT_JOB_DONE);
  }
  assert_int_equal(rec.freed_data, 6);
  assert_int_equal(rec.freed_results, 0);
  assert_int_equal(lt_worker_pending(w), 0);
  lt_worker_free(w);
  gate_destroy(&g);
}

static void cancelled_jobs_report_cancelled_and_pending_never_run(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  assert_non_null(w);
  gate g;
  gate_init(&g);
  job_data *spinning = jd(1);
  spinning->g = &g;
  spinning->spin_until_cancel = 1;
  uint64_t a = submit(w, spinning, 1, LT_JOB_ANALYSE_STUDY);
  gate_wait_entered(&g);
  uint64_t b = submit(w, jd(2), 1, LT_JOB_ANALYSE_NODULE);
  submit(w, jd(3), 0, LT_JOB_RETRIEVE);
  assert_int_equal(lt_worker_cancel(w, b), 1);  /* pending */
  gate_open(&g);
  assert_int_equal(lt_worker_cancel(w, a), 1);  /* running, spinning on the flag */
  lt_worker_wait_idle(w);
  assert_int_equal(lt_worker_cancel(w, a), 0);  /* finished: unknown now */
  assert_int_equal(lt_worker_cancel(w, 999), 0);
  /* 1 ran and was cancelled; 2 never ran; 3 ran */
  assert_int_equal(rec.n_ran, 2);
  assert_int_equal(rec.ran[0], 1);
  assert_int_equal(rec.ran[1], 3);
  assert_int_equal(rec.n_done, 3);
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    if (rec.done_tag[i] == 1 || rec.done_tag[i] == 2) {
      assert_int_equal(rec.done_status[i], LT_JOB_CANCELLED);
      assert_string_equal(rec.done_msg[i], "cancelled");
      seen++;
    } else {
      assert_int_equal(rec.done_tag[i], 3);
      assert_int_equal(rec.done_status[i], LT_JOB_DONE);
    }
  }
  assert_int_equal(seen, 2);
  assert_int_equal(rec.freed_results, 1); /* job 1's result, freed by the worker */
  assert_int_equal(rec.freed_data, 3);
  lt_worker_free(w);
  gate_destroy(&g);
}

static void cancel_kind_cancels_only_that_kind(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  gate g;
  gate_init(&g);
  job_data *first = jd(1);
  first->g = &g;
  submit(w, first, 0, LT_JOB_IMPORT);
  gate_wait_entered(&g);
  submit(w, jd(2), 1, LT_JOB_ANALYSE_NODULE);
  submit(w, jd(3), 1, LT_JOB_ANALYSE_NODULE);
  submit(w, jd(4), 1, LT_JOB_RETRIEVE);
  assert_int_equal(lt_worker_cancel_kind(w, LT_JOB_ANALYSE_NODULE), 2);
  gate_open(&g);
  lt_worker_wait_idle(w);
  assert_int_equal(rec.n_ran, 2);
  assert_int_equal(rec.ran[0], 1);
  assert_int_equal(rec.ran[1], 4);
  assert_int_equal(rec.n_done, 4);
  lt_worker_free(w);
  gate_destroy(&g);
}

static void progress_arrives_in_order_on_the_worker_thread(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  job_data *d = jd(7);
  d->progress_steps = 10;
  submit(w, d, 1, LT_JOB_ANALYSE_NODULE);
  lt_worker_wait_idle(w);
  assert_int_equal(rec.n_progress, 10);
  for (int i = 0; i < 10; i++) assert_float_equal(rec.fractions[i], (i + 1) / 10.0, 1e-12);
  assert_int_equal(rec.progress_off_main, 10);
  lt_worker_free(w);
}

static void failure_is_a_value_with_its_message(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  job_data *d = jd(8);
  d->fail = 1;
  submit(w, d, 1, LT_JOB_FUNCTION);
  lt_job_spec bad = {.run = NULL, .data = jd(9), .free_data = free_jd, .done = on_done};
  lt_error e2 = {{0}};
  assert_int_equal(lt_worker_submit(w, &bad, &e2), 0);
  assert_non_null(strstr(e2.msg, "needs a function"));
  lt_worker_wait_idle(w);
  assert_int_equal(rec.n_done, 1);
  assert_int_equal(rec.done_status[0], LT_JOB_FAILED);
  assert_string_equal(rec.done_msg[0], "job 8: made to fail");
  assert_int_equal(rec.freed_results, 1);
  assert_int_equal(rec.freed_data, 2);
  lt_worker_free(w);
}

static void shutdown_with_pending_jobs_reports_each_cancelled(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  gate g;
  gate_init(&g);
  job_data *first = jd(1);
  first->g = &g;
  first->spin_until_cancel = 1;
  submit(w, first, 1, LT_JOB_ANALYSE_STUDY);
  gate_wait_entered(&g);
  for (int i = 2; i <= 6; i++) submit(w, jd(i), i % 2, LT_JOB_ANALYSE_NODULE);
  gate_open(&g);
  lt_worker_free(w); /* cancels 1 while it spins, reports 2..6 cancelled without running */
  assert_int_equal(rec.n_ran, 1);
  assert_int_equal(rec.n_done, 6);
  for (int i = 0; i < 6; i++) assert_int_equal(rec.done_status[i], LT_JOB_CANCELLED);
  assert_int_equal(rec.freed_data, 6);
  assert_int_equal(rec.freed_results, 1);
  gate_destroy(&g);
}

static void many_jobs_with_cancels_each_reported_once(void **state) {
  rec_reset();
  lt_error err;
  lt_worker *w = lt_worker_new(&err);
  /* 60 jobs from this thread interleaved with cancels: every job is reported exactly once */
  uint64_t ids[60];
  for (int i = 0; i < 60; i++) {
    ids[i] = submit(w, jd(i), i % 3 == 0, LT_JOB_FUNCTION);
    if (i % 5 == 4) lt_worker_cancel(w, ids[i - 2]);
  }
  lt_worker_wait_idle(w);
  assert_int_equal(rec.n_done, 60);
  int count[60] = {0};
  for (int i = 0; i < 60; i++) {
    assert_true(rec.done_tag[i] >= 0 && rec.done_tag[i] < 60);
    count[rec.done_tag[i]]++;
  }
  for (int i = 0; i < 60; i++) assert_int_equal(count[i], 1);
  assert_int_equal(rec.freed_data, 60);
  lt_worker_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(newest_interactive_runs_first_background_in_order),
      cmocka_unit_test(cancelled_jobs_report_cancelled_and_pending_never_run),
      cmocka_unit_test(cancel_kind_cancels_only_that_kind),
      cmocka_unit_test(progress_arrives_in_order_on_the_worker_thread),
      cmocka_unit_test(failure_is_a_value_with_its_message),
      cmocka_unit_test(shutdown_with_pending_jobs_reports_each_cancelled),
      cmocka_unit_test(many_jobs_with_cancels_each_reported_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
