/* engine/lt-locale.c — the C locale for numbers in files (see lt-locale.h). */
#include "lt-locale.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static locale_t c_locale = (locale_t)0;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

locale_t lt_locale_c(void) {
  pthread_once(&c_once, make_c_locale);
  /* The C locale is built into libc: newlocale fails only when out of memory at the first call,
   * and then nothing here could promise a '.', so the process stops rather than write "0,5". */
  if (c_locale == (locale_t)0) {
    fputs("lungtrust: cannot create the C locale (out of memory)\n", stderr);
    abort();
  }
  return c_locale;
}

double lt_strtod(const char *s, char **end) { return strtod_l(s, end, lt_locale_c()); }

int lt_snprintf_c(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  locale_t old = uselocale(lt_locale_c());
  int w = vsnprintf(buf, n, fmt, ap);
  uselocale(old);
  va_end(ap);
  return w;
}

locale_t lt_locale_c_begin(void) { return uselocale(lt_locale_c()); }

void lt_locale_c_end(locale_t previous) { uselocale(previous); }
