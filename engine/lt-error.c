/* engine/lt-error.c — see lt-error.h. */
#include "lt-error.h"

#include <stdio.h>
#include <string.h>

int lt_error_setv(lt_error *err, const char *fmt, va_list ap) {
  if (err) vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  return -1;
}

int lt_error_set(lt_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lt_error_setv(err, fmt, ap);
  va_end(ap);
  return -1;
}

int lt_error_prefix(lt_error *err, const char *fmt, ...) {
  if (!err) return -1;
  char old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  char pre[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pre, sizeof pre, fmt, ap);
  va_end(ap);
  /* Truncation is acceptable for a one-line message; build it piecewise to say so. */
  size_t n = strlen(pre);
  if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
  memcpy(err->msg, pre, n);
  memcpy(err->msg + n, ": ", 2);
  size_t room = sizeof err->msg - n - 3;
  size_t m = strnlen(old, room);
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = 0;
  return -1;
}
