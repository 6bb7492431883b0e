/* tests/nn/test-nn-cuda-fallback.c — the engine's backend choice and CPU fallback, on this
 * machine whatever it has: without a usable GPU the automatic choice is cpu, with exactly one
 * log line saying why when a GPU is there but unusable (none without a device or driver, or when
 * cuda is not built), `lungtrust-cli engine` reports it, the cuda backend (when built) refuses
 * to work before its probe passes, and a job that runs out of GPU memory is run again on the
 * CPU with a line for the user. With a GPU, the automatic
 * choice must be cuda and silent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lt-log.h"
#include "nn/backend-select.h"
#ifdef LT_HAVE_CUDA
#include "nn/cuda/cuda-backend.h"
#endif

static char logged[8][512];
static int n_logged = 0;

static void capture(const char *line, void *user) {
  (void)user;
  if (n_logged < 8) snprintf(logged[n_logged], sizeof logged[0], "%s", line);
  n_logged++;
}

/* 1 when this machine has a GPU the cuda backend accepts. */
static int gpu_here(void) {
  const lt_backend *cu = lt_engine_cuda_backend();
  lt_error err = {{0}};
  return cu && cu->probe(NULL, 0, &err) == 0;
}

static void auto_choice_is_cpu_with_one_log_line_without_gpu(void **state) {
  (void)state;
  unsetenv("LT_BACKEND");
  n_logged = 0;
  lt_engine_set_log(capture, NULL);
  const lt_backend *a = lt_backend_select_auto();
  const lt_backend *b = lt_backend_select_auto(); /* probed once, logged once */
  lt_engine_set_log(NULL, NULL);
  assert_ptr_equal(a, b);
  if (gpu_here()) {
    assert_string_equal(a->name, "cuda");
    assert_int_equal(n_logged, 0);
    return;
  }
  assert_string_equal(a->name, "cpu");
#ifdef LT_HAVE_CUDA
  const int gpu_present = !lt_cuda_no_device();
#else
  const int gpu_present = 0;
#endif
  if (gpu_present) {
    assert_int_equal(n_logged, 1);
    assert_non_null(strstr(logged[0], "cuda backend not used ("));
    assert_non_null(strstr(logged[0], "running on the CPU"));
    printf("log line: %s\n", logged[0]);
  } else {
    assert_int_equal(n_logged, 0);
  }
}

static void select_by_name_refuses_cuda_without_gpu(void **state) {
  (void)state;
  lt_error err = {{0}};
  assert_string_equal(lt_backend_select("cpu", &err)->name, "cpu");
  assert_string_equal(lt_backend_select("ref", &err)->name, "ref");
  assert_null(lt_backend_select("tpu", &err));
  const lt_backend *cu = lt_backend_select("cuda", &err);
  if (gpu_here()) {
    assert_non_null(cu);
    return;
  }
  assert_null(cu);
  assert_non_null(strstr(err.msg, "backend cuda: "));
  if (!lt_engine_cuda_built()) assert_non_null(strstr(err.msg, "not built"));
}

static void describe_names_backend_versions_and_reason(void **state) {
  (void)state;
  lt_engine_info info;
  lt_engine_describe(&info);
  assert_string_equal(info.backend, lt_backend_select_auto()->name);
  assert_non_null(strstr(info.onednn, "oneDNN "));
  assert_true(info.device[0] != 0);
  if (lt_engine_cuda_built())
    assert_true(strncmp(info.cudnn, "9.", 2) == 0);
  else
    assert_string_equal(info.cudnn, "not built");
  if (gpu_here())
    assert_string_equal(info.cuda_why, "");
  else
    assert_true(info.cuda_why[0] != 0);
}

#ifdef LT_HAVE_CUDA
/* Up to the probe: without a device the cuda table allocates nothing and plans nothing, and
 * says why in the error. */
static void cuda_backend_refuses_work_before_probe_passes(void **state) {
  (void)state;
  if (gpu_here()) skip();
  lt_error err = {{0}};
  assert_null(lt_backend_cuda.alloc(1024));
  lt_conv *c = (lt_conv *)1;
  lt_conv_desc d = lt_conv_desc_make(LT_CONV, 1, 2, 16, 8, 8, 8, 3, 1);
  assert_int_equal(lt_backend_cuda.conv_create(&c, &d, &err), -1);
  assert_null(c);
  assert_true(strlen(err.msg) > 0);
  lt_error probe = {{0}};
  assert_int_equal(lt_cuda_probe(NULL, 0, &probe), -1);
  assert_string_equal(err.msg, probe.msg);
  assert_true(lt_cuda_cudnn_version() >= 90000);
}
#endif

/* The job of the fallback tests: y = relu(x) on the backend, summed on the host; the first
 * attempt fails as out of device memory when ctx->oom_first (or when be->alloc fails). */
typedef struct {
  int calls, oom_first, plain_error;
  const char *backends[4];
  double sum;
} job_ctx;

static int relu_sum_job(const lt_backend *be, void *p, lt_error *err) {
  job_ctx *c = p;
  if (c->calls < 4) c->backends[c->calls] = be->name;
  c->calls++;
  if (c->plain_error) return lt_error_set(err, "bad input file");
  if (c->oom_first && c->calls == 1)
    return lt_error_set(err, "model: out of GPU memory for activations"), LT_JOB_DEVICE_OOM;
  enum { N = 1000 };
  float host[N];
  for (int i = 0; i < N; i++) host[i] = (float)(i - 500);
  float *d = be->alloc(N * sizeof(float));
  if (!d) return lt_error_set(err, "out of device memory"), LT_JOB_DEVICE_OOM;
  be->copy(d, host, sizeof host, LT_COPY_HOST_TO_DEVICE);
  be->relu_forward(d, d, N);
  be->copy(host, d, sizeof host, LT_COPY_DEVICE_TO_HOST);
  be->free(d);
  c->sum = 0;
  for (int i = 0; i < N; i++) c->sum += host[i];
  return 0;
}

/* The backend a GPU job would start on: cuda when built (here without a device, so its alloc
 * fails for real), else the ref table standing in for it. */
static const lt_backend *first_backend(void) {
  const lt_backend *cu = lt_engine_cuda_backend();
  return cu ? cu : &lt_backend_ref;
}

static void device_oom_job_runs_again_on_cpu_and_tells_user(void **state) {
  (void)state;
  job_ctx c = {0};
  c.oom_first = 1;
  int retried = -1;
  lt_error err = {{0}};
  n_logged = 0;
  lt_engine_set_log(capture, NULL);
  int rc = lt_run_with_fallback(first_backend(), relu_sum_job, &c, &retried, &err);
  lt_engine_set_log(NULL, NULL);
  assert_int_equal(rc, 0);
  assert_int_equal(retried, 1);
  assert_int_equal(c.calls, 2);
  assert_string_equal(c.backends[0], first_backend()->name);
  assert_string_equal(c.backends[1], "cpu");
  /* sum of relu(i - 500) for i < 1000 = 1 + ... + 499 */
  assert_true(c.sum == 124750.0);
  assert_int_equal(n_logged, 1);
  assert_non_null(strstr(logged[0], "GPU ran out of memory (model: out of GPU memory"));
  assert_non_null(strstr(logged[0], "again on the CPU"));
  printf("log line: %s\n", logged[0]);
}

static void plain_error_is_not_retried(void **state) {
  (void)state;
  job_ctx c = {0};
  c.plain_error = 1;
  int retried = -1;
  lt_error err = {{0}};
  n_logged = 0;
  lt_engine_set_log(capture, NULL);
  assert_int_equal(lt_run_with_fallback(first_backend(), relu_sum_job, &c, &retried, &err), -1);
  lt_engine_set_log(NULL, NULL);
  assert_int_equal(c.calls, 1);
  assert_int_equal(retried, 0);
  assert_int_equal(n_logged, 0);
  assert_string_equal(err.msg, "bad input file");
}

/* A job on the CPU leaves no engine error to find: the check that lt_analyze_patch,
 * lt_heldout_evaluate and each training epoch make passes and leaves err as it was. */
static void cpu_job_leaves_no_engine_error(void **state) {
  (void)state;
  job_ctx c = {0};
  lt_error err = {{0}};
  assert_int_equal(lt_run_with_fallback(&lt_backend_cpu, relu_sum_job, &c, NULL, &err), 0);
  assert_int_equal(lt_engine_take_error(&err), 0);
  assert_string_equal(err.msg, "");
}

static void oom_on_cpu_is_an_error_not_a_retry(void **state) {
  (void)state;
  job_ctx c = {0};
  c.oom_first = 1;
  int retried = -1;
  lt_error err = {{0}};
  assert_int_equal(lt_run_with_fallback(&lt_backend_cpu, relu_sum_job, &c, &retried, &err), -1);
  assert_int_equal(c.calls, 1);
  assert_int_equal(retried, 0);
  assert_non_null(strstr(err.msg, "out of memory on the CPU"));
}

static void job_that_succeeds_runs_once(void **state) {
  (void)state;
  job_ctx c = {0};
  int retried = -1;
  lt_error err = {{0}};
  assert_int_equal(lt_run_with_fallback(&lt_backend_cpu, relu_sum_job, &c, &retried, &err), 0);
  assert_int_equal(c.calls, 1);
  assert_int_equal(retried, 0);
  assert_true(c.sum == 124750.0);
}

static void cli_engine_reports_backend_and_reason(void **state) {
  (void)state;
  const char *root = getenv("LT_BUILD_ROOT");
  if (!root) skip();
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "env -u LT_BACKEND '%s/app/lungtrust-cli' engine --json 2>&1", root);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char out[4096] = {0};
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = 0;
  assert_int_equal(pclose(p), 0);
  printf("%s", out);
  char want[64];
  snprintf(want, sizeof want, "\"backend\":\"%s\"", lt_backend_select_auto()->name);
  assert_non_null(strstr(out, want));
  assert_non_null(strstr(out, "\"onednn\":\"oneDNN "));
  assert_non_null(strstr(out, lt_engine_cuda_built() ? "\"cuda_built\":true"
                                                     : "\"cuda_built\":false"));
  assert_null(strstr(out, "lungtrust: cuda backend not used")); /* no duplicate log line */
  if (!gpu_here()) assert_null(strstr(out, "\"cuda_not_used\":\"\""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(auto_choice_is_cpu_with_one_log_line_without_gpu),
      cmocka_unit_test(select_by_name_refuses_cuda_without_gpu),
      cmocka_unit_test(describe_names_backend_versions_and_reason),
#ifdef LT_HAVE_CUDA
      cmocka_unit_test(cuda_backend_refuses_work_before_probe_passes),
#endif
      cmocka_unit_test(device_oom_job_runs_again_on_cpu_and_tells_user),
      cmocka_unit_test(plain_error_is_not_retried),
      cmocka_unit_test(oom_on_cpu_is_an_error_not_a_retry),
      cmocka_unit_test(cpu_job_leaves_no_engine_error),
      cmocka_unit_test(job_that_succeeds_runs_once),
      cmocka_unit_test(cli_engine_reports_backend_and_reason),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
