/* engine/lt-locale.h — numbers in files and machine output, whatever the process locale.
 * The workstation calls setlocale(LC_ALL, "") and may then run under a locale whose decimal
 * separator is a comma (fr_FR, de_DE ...). strtod and the printf family follow LC_NUMERIC, so
 * there the readers' XML ("-125.000000") and the LIDC tables ("6459.75") would not parse, and a
 * refit or a synthetic series written there would carry "0,5" into JSON and DICOM. Every number
 * the engine and the database read from or write into a file, a database field or machine output
 * (JSON, CSV, DICOM, XML) goes through here, or through cJSON's own number functions, and uses the
 * C locale's '.', on any thread, without changing the process locale (the GUI keeps showing
 * numbers to people in theirs). SQLite binds and prints numbers without the locale.
 * Why our own: the engine and db do not link GLib (g_ascii_strtod), cJSON only handles its own
 * numbers (Debian's 1.7.15 swaps the decimal point itself), and no maintained C library offers a
 * portable locale-independent strtod/printf; this wraps POSIX 2008 newlocale/uselocale and glibc's
 * strtod_l. Does not: parse integers (strtol reads the same in every locale), format numbers
 * for display (that stays in the user's locale), or change setlocale. */
#ifndef LT_LOCALE_H
#define LT_LOCALE_H

#include <locale.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The C locale, made once and kept for the life of the process. */
locale_t lt_locale_c(void);

/* strtod that reads '.' as the decimal point whatever LC_NUMERIC says; same contract as strtod
 * (end, errno = ERANGE). */
double lt_strtod(const char *s, char **end);

/* snprintf in the C locale: "%.3f" writes "1.500" under fr_FR too. */
int lt_snprintf_c(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* For a writer with many printf calls: makes the calling thread print and parse in the C locale
 * until lt_locale_c_end(the value returned). Only this thread changes; nests. */
locale_t lt_locale_c_begin(void);
void lt_locale_c_end(locale_t previous);

#ifdef __cplusplus
}
#endif

#endif
