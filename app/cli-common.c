/* app/cli-common.c — see cli.h. */
#include "cli.h"
#include "lt-locale.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lt_cli_fail(const lt_error *err) {
  fprintf(stderr, "lungtrust-cli: %s\n", err && err->msg[0] ? err->msg : "unknown error");
  return LT_EXIT_INPUT;
}

int lt_cli_failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("lungtrust-cli: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return LT_EXIT_INPUT;
}

int lt_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "lungtrust-cli %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  fprintf(stderr, "Try 'lungtrust-cli %s --help'.\n", cmd);
  va_end(ap);
  return LT_EXIT_USAGE;
}

/* strtol and strtod skip leading spaces and take a '+'; an option's value is written as its
 * digits, a '-' or (for a real number) a '.' first, so " 3" and "+3" are refused as for seeds. */
static bool starts_like_a_number(const char *s, bool point) {
  return (*s >= '0' && *s <= '9') || *s == '-' || (point && *s == '.');
}

bool lt_cli_parse_long(const char *s, long lo, long hi, long *v) {
  if (!starts_like_a_number(s, false))
    return false;
  char *end;
  errno = 0;
  const long x = strtol(s, &end, 10);
  if (end == s || *end || errno || x < lo || x > hi)
    return false;
  *v = x;
  return true;
}

bool lt_cli_parse_int(const char *s, int lo, int hi, int *v) {
  long x;
  if (!lt_cli_parse_long(s, lo, hi, &x))
    return false;
  *v = (int)x;
  return true;
}

bool lt_cli_parse_side(const char *s, int *v) {
  int x;
  if (!lt_cli_parse_int(s, 8, 64, &x) || 64 % x)
    return false;
  *v = x;
  return true;
}

bool lt_cli_parse_double(const char *s, double lo, double hi, double *v) {
  if (!starts_like_a_number(s, true))
    return false;
  char *end;
  errno = 0;
  const double x = lt_strtod(s, &end);
  if (end == s || *end || errno || !isfinite(x) || x < lo || x > hi)
    return false;
  *v = x;
  return true;
}

bool lt_cli_parse_seed(const char *s, uint64_t *v) {
  if (*s < '0' || *s > '9') /* strtoull skips spaces and accepts a sign */
    return false;
  char *end;
  errno = 0;
  const unsigned long long x = strtoull(s, &end, 10);
  if (*end || errno)
    return false;
  *v = (uint64_t)x;
  return true;
}

bool lt_cli_parse_triple(const char *s, double out[3]) {
  const char *p = s;
  for (int a = 0; a < 3; a++) {
    char *end;
    errno = 0;
    double v = lt_strtod(p, &end); /* ',' separates, whatever the locale */
    if (end == p || errno || !isfinite(v)) return false;
    out[a] = v;
    if (a < 2) {
      if (*end != ',') return false;
      p = end + 1;
    } else if (*end) {
      return false;
    }
  }
  return true;
}

bool lt_cli_parse_int_triple(const char *s, int out[3]) {
  const char *p = s;
  for (int a = 0; a < 3; a++) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || errno || v < -1000000 || v > 1000000) return false;
    out[a] = (int)v;
    if (a < 2) {
      if (*end != ',') return false;
      p = end + 1;
    } else if (*end) {
      return false;
    }
  }
  return true;
}

bool lt_cli_is_help(const char *s) { return !strcmp(s, "--help") || !strcmp(s, "-h"); }

int lt_cli_parse_db_job(const char *cmd, const char *what, int argc, char **argv,
                        void (*usage)(FILE *), const char **db, const char **arg, bool *json) {
  *db = NULL;
  *arg = NULL;
  *json = false;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
      *db = argv[++i];
    } else if (!strcmp(argv[i], "--json")) {
      *json = true;
    } else if (argv[i][0] != '-' && !*arg) {
      *arg = argv[i];
    } else {
      return lt_cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
  }
  if (!*arg) return lt_cli_usage_error(cmd, "missing %s", what);
  return -1;
}

int lt_cli_load_model_and_data(const char *model, const char *data, lt_weights *w, lt_dataset *ds) {
  lt_error err = {{0}};
  if (lt_weights_load(model, NULL, w, &err))
    return lt_cli_fail(&err);
  if (lt_dataset_load(ds, data, &err)) {
    lt_weights_free(w);
    return lt_cli_fail(&err);
  }
  return 0;
}

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the bytes there are
 * not one: a stray continuation byte, a truncated sequence, an overlong form, a surrogate or a
 * code point above U+10FFFF (RFC 3629). */
static int utf8_len(const unsigned char *s) {
  const unsigned char c = s[0];
  int n;
  unsigned min;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000, cp = c & 0x07;
  else return 0;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0; /* also stops at the terminating NUL */
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

/* Always valid JSON, whatever the bytes: a path or a DICOM field may hold any. '"', '\\' and
 * the control characters are escaped; each byte that does not begin a well-formed UTF-8
 * sequence is written as U+FFFD (the replacement character), so such text is not kept exactly
 * but the output always parses. */
void lt_cli_print_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c;) {
    const int n = utf8_len(c);
    if (n == 0) {
      fputs("\\ufffd", f);
      c++;
    } else if (*c == '"' || *c == '\\') {
      fprintf(f, "\\%c", *c++);
    } else if (*c < 0x20 || *c == 0x7f) {
      fprintf(f, "\\u%04x", *c++);
    } else {
      fwrite(c, 1, (size_t)n, f);
      c += n;
    }
  }
  fputc('"', f);
}

void lt_cli_print_json_text(FILE *f, const char *text) {
  for (const unsigned char *c = (const unsigned char *)text; *c;) {
    const int n = utf8_len(c);
    if (n == 0) {
      fputs("\xef\xbf\xbd", f); /* U+FFFD */
      c++;
    } else {
      fwrite(c, 1, (size_t)n, f);
      c += n;
    }
  }
}

/* One line for a bad option value, the valid range in it (DESIGN: a usage error, exit 2). */
static bool value_error(const char *cmd, const char *opt, const char *s, const char *want) {
  char shown[48] = ""; /* the value as given, cut short and kept on one line */
  for (size_t i = 0; s && s[i] && i + 1 < sizeof shown; i++)
    shown[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
  if (s)
    fprintf(stderr, "lungtrust-cli %s: %s needs %s, not '%s' (see --help)\n", cmd, opt, want, shown);
  else
    fprintf(stderr, "lungtrust-cli %s: %s needs a value: %s (see --help)\n", cmd, opt, want);
  return false;
}

bool lt_cli_opt_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *v) {
  char want[96];
  snprintf(want, sizeof want, "an integer from %d to %d", lo, hi);
  return (s && lt_cli_parse_int(s, lo, hi, v)) || value_error(cmd, opt, s, want);
}

bool lt_cli_opt_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *v) {
  char want[96];
  snprintf(want, sizeof want, "an integer from %ld to %ld", lo, hi);
  return (s && lt_cli_parse_long(s, lo, hi, v)) || value_error(cmd, opt, s, want);
}

bool lt_cli_opt_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                       double *v) {
  char want[96];
  snprintf(want, sizeof want, "a number from %g to %g", lo, hi);
  return (s && lt_cli_parse_double(s, lo, hi, v)) || value_error(cmd, opt, s, want);
}

bool lt_cli_opt_seed(const char *cmd, const char *opt, const char *s, uint64_t *v) {
  return (s && lt_cli_parse_seed(s, v)) ||
         value_error(cmd, opt, s, "an integer from 0 to 18446744073709551615");
}
