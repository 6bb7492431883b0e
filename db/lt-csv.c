/* db/lt-csv.c — see lt-csv.h. */
#include "lt-csv.h"
#include "lt-locale.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lt_csv {
  char *path;
  char *text;      /* fields, each NUL-terminated */
  char **field;    /* all fields, row after row */
  size_t *first;   /* row r: fields first[r] .. first[r+1]-1 */
  int *line;
  size_t nrows, nfields;
};

#define MAX_BYTES (64u << 20)

void lt_csv_free(lt_csv *c) {
  if (!c) return;
  free(c->path);
  free(c->text);
  free(c->field);
  free(c->first);
  free(c->line);
  free(c);
}

size_t lt_csv_rows(const lt_csv *c) { return c->nrows; }
int lt_csv_nfields(const lt_csv *c, size_t r) { return (int)(c->first[r + 1] - c->first[r]); }
int lt_csv_line(const lt_csv *c, size_t r) { return c->line[r]; }
const char *lt_csv_path(const lt_csv *c) { return c->path; }

const char *lt_csv_field(const lt_csv *c, size_t r, int col) {
  if (col < 0 || col >= lt_csv_nfields(c, r)) return "";
  return c->field[c->first[r] + (size_t)col];
}

static int read_all(const char *path, char **buf, size_t *n, lt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return lt_error_set(err, "%s: %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap);
  for (;;) {
    if (!b) break;
    if (len == cap) {
      if (cap >= MAX_BYTES) {
        free(b);
        fclose(f);
        return lt_error_set(err, "%s: larger than 64 MiB, not a LIDC table", path);
      }
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
    size_t got = fread(b + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (!b) return lt_error_set(err, "%s: out of memory", path);
  if (bad) {
    free(b);
    return lt_error_set(err, "%s: read error", path);
  }
  *buf = b;
  *n = len;
  return 0;
}

int lt_csv_read(const char *path, lt_csv **out, lt_error *err) {
  *out = NULL;
  char *in = NULL;
  size_t n = 0;
  if (read_all(path, &in, &n, err)) return -1;
  lt_csv *c = calloc(1, sizeof *c);
  size_t maxf = 2, maxr = 2;
  for (size_t i = 0; i < n; i++) {
    if (in[i] == ',') maxf++;
    if (in[i] == '\n') maxf++, maxr++;
  }
  if (c) {
    c->path = strdup(path);
    c->text = malloc(n + maxf + 1);
    c->field = malloc(maxf * sizeof *c->field);
    c->first = malloc((maxr + 1) * sizeof *c->first);
    c->line = malloc(maxr * sizeof *c->line);
  }
  if (!c || !c->path || !c->text || !c->field || !c->first || !c->line) {
    free(in);
    lt_csv_free(c);
    return lt_error_set(err, "%s: out of memory", path);
  }
  char *o = c->text;
  size_t i = 0;
  int line = 1;
  while (i < n) {
    /* one record */
    if (in[i] == '\n' || (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')) {
      size_t j = i + (in[i] == '\r' ? 2 : 1);
      if (j >= n) break; /* a final newline after the last record is fine */
      lt_error_set(err, "%s:%d: empty line", path, line);
      goto fail;
    }
    c->first[c->nrows] = c->nfields;
    c->line[c->nrows] = line;
    c->nrows++;
    for (;;) {
      /* one field */
      c->field[c->nfields++] = o;
      if (i < n && in[i] == '"') {
        int start = line;
        i++;
        for (;;) {
          if (i >= n) {
            lt_error_set(err, "%s:%d: quoted field never closed", path, start);
            goto fail;
          }
          if (in[i] == '"') {
            if (i + 1 < n && in[i + 1] == '"') {
              *o++ = '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (in[i] == '\0') {
            lt_error_set(err, "%s:%d: NUL byte", path, line);
            goto fail;
          }
          if (in[i] == '\n') line++;
          *o++ = in[i++];
        }
        if (i < n && in[i] != ',' && in[i] != '\n' && in[i] != '\r') {
          lt_error_set(err, "%s:%d: text after a closing quote", path, line);
          goto fail;
        }
      } else {
        while (i < n && in[i] != ',' && in[i] != '\n' && in[i] != '\r') {
          if (in[i] == '"') {
            lt_error_set(err, "%s:%d: quote inside an unquoted field", path, line);
            goto fail;
          }
          if (in[i] == '\0') {
            lt_error_set(err, "%s:%d: NUL byte", path, line);
            goto fail;
          }
          *o++ = in[i++];
        }
      }
      *o++ = '\0';
      if (i < n && in[i] == ',') {
        i++;
        continue;
      }
      if (i < n && in[i] == '\r') {
        if (i + 1 >= n || in[i + 1] != '\n') {
          lt_error_set(err, "%s:%d: carriage return without line feed", path, line);
          goto fail;
        }
        i++;
      }
      if (i < n && in[i] == '\n') {
        i++;
        line++;
      }
      break;
    }
  }
  c->first[c->nrows] = c->nfields;
  free(in);
  *out = c;
  return 0;
fail:
  free(in);
  lt_csv_free(c);
  return -1;
}

int lt_csv_int(const lt_csv *c, size_t r, int col, const char *name, long lo, long hi, long *out,
               lt_error *err) {
  const char *s = lt_csv_field(c, r, col);
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!s[0] || *end || errno)
    return lt_error_set(err, "%s:%d: %s '%.40s' is not an integer", c->path, c->line[r], name, s);
  if (v < lo || v > hi)
    return lt_error_set(err, "%s:%d: %s %ld outside %ld..%ld", c->path, c->line[r], name, v, lo,
                        hi);
  *out = v;
  return 0;
}

int lt_csv_real(const lt_csv *c, size_t r, int col, const char *name, double *out, lt_error *err) {
  const char *s = lt_csv_field(c, r, col);
  char *end;
  errno = 0;
  double v = lt_strtod(s, &end); /* the tables write "6459.75" in every locale */
  if (!s[0] || *end || errno || !isfinite(v))
    return lt_error_set(err, "%s:%d: %s '%.40s' is not a number", c->path, c->line[r], name, s);
  *out = v;
  return 0;
}
