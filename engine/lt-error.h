/* engine/lt-error.h — errors as values.
 * A function that can fail on outside input returns 0 on success and -1 on failure, with a
 * one-line message in lt_error that a CLI prints on stderr and the GUI shows in a banner.
 * Internal invariants (a bug if broken) may use assert; outside input never does. */
#ifndef LT_ERROR_H
#define LT_ERROR_H

#include <stdarg.h>

typedef struct {
  char msg[256];
} lt_error;

/* Sets err->msg (printf-style) when err is not NULL; returns -1 so callers can
 * `return lt_error_set(err, ...)`. */
int lt_error_set(lt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lt_error_setv(lt_error *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Prefixes an existing message: "context: old message". */
int lt_error_prefix(lt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
