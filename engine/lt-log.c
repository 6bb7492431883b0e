/* engine/lt-log.c — see lt-log.h. */
#include "lt-log.h"

#include <stdarg.h>
#include <stdio.h>

static lt_engine_log_fn log_fn = NULL;
static void *log_user = NULL;

void lt_engine_set_log(lt_engine_log_fn fn, void *user) {
  log_fn = fn;
  log_user = user;
}

void lt_engine_log(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (log_fn)
    log_fn(line, log_user);
  else
    fprintf(stderr, "lungtrust: %s\n", line);
}
