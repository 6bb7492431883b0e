/* engine/synth/lidc-tables.c — see lidc-tables.h. */
#include "synth/lidc-tables.h"
#include "lt-locale.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 24

typedef struct {
  int patient;
  char id[LT_LIDC_ID_MAX];
  int row; /* list row or rating row */
} key_entry;

static int key_cmp(const void *a, const void *b) {
  const key_entry *x = a, *y = b;
  if (x->patient != y->patient) return x->patient < y->patient ? -1 : 1;
  int c = strcmp(x->id, y->id);
  if (c) return c;
  return (x->row > y->row) - (x->row < y->row);
}

/* Entries of (patient, id) in a sorted array: index of the first and the count. */
static int key_find(const key_entry *e, int n, int patient, const char *id, int *count) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    int c = e[mid].patient != patient ? (e[mid].patient < patient ? -1 : 1) : strcmp(e[mid].id, id);
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  int k = lo;
  while (k < n && e[k].patient == patient && !strcmp(e[k].id, id)) k++;
  *count = k - lo;
  return lo;
}

static int split(char *line, char **f) {
  int n = 0;
  char *p = line;
  for (;;) {
    if (n == MAX_FIELDS) return -1;
    f[n++] = p;
    char *c = strchr(p, ',');
    if (!c) break;
    *c = 0;
    p = c + 1;
  }
  return n;
}

static void chomp(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
}

static int parse_int(const char *s, int *v) {
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (end == s || *end || errno || x < -1000000 || x > 1000000000) return -1;
  *v = (int)x;
  return 0;
}

static int parse_double(const char *s, double *v) {
  char *end;
  errno = 0;
  double x = lt_strtod(s, &end);
  if (end == s || *end || errno) return -1;
  *v = x;
  return 0;
}

static int parse_patient(const char *s, int *v) {
  if (strncmp(s, "LIDC-IDRI-", 10) != 0) return -1;
  return parse_int(s + 10, v);
}

typedef struct {
  int patient;
  char id[LT_LIDC_ID_MAX];
  int empty;
  int vals[LT_LIDC_NCHAR];
} rating_row;

static int read_ratings(const char *path, rating_row **out, int *n_out, int *r6, lt_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) return lt_error_set(err, "cannot open %s: %s", path, strerror(errno)), -1;
  char *line = NULL;
  size_t cap = 0;
  int n = 0, alloc = 0, lineno = 0;
  rating_row *rows = NULL;
  while (getline(&line, &cap, f) > 0) {
    lineno++;
    chomp(line);
    if (!*line) continue;
    char *fld[MAX_FIELDS];
    int nf = split(line, fld);
    if (n == alloc) {
      alloc = alloc ? alloc * 2 : 1024;
      rating_row *r = realloc(rows, (size_t)alloc * sizeof *r);
      if (!r) goto oom;
      rows = r;
    }
    rating_row *r = &rows[n];
    memset(r, 0, sizeof *r);
    if ((nf != 2 && nf != 11) || parse_patient(fld[0], &r->patient) != 0 ||
        strlen(fld[1]) >= LT_LIDC_ID_MAX || !*fld[1]) {
      lt_error_set(err, "%s line %d: expected patient, nodule ID and 9 ratings", path, lineno);
      goto fail;
    }
    snprintf(r->id, sizeof r->id, "%s", fld[1]);
    r->empty = 1;
    if (nf == 11) {
      for (int c = 0; c < LT_LIDC_NCHAR; c++) {
        int v;
        if (parse_int(fld[2 + c], &v) != 0) {
          lt_error_set(err, "%s line %d: rating '%s' is not an integer", path, lineno, fld[2 + c]);
          goto fail;
        }
        if (v >= 1 && v <= lt_lidc_char_max[c]) {
          r->vals[c] = v;
          r->empty = 0;
        } else {
          (*r6)++;
        }
      }
    }
    n++;
  }
  free(line);
  fclose(f);
  *out = rows;
  *n_out = n;
  return 0;
oom:
  lt_error_set(err, "out of memory reading %s", path);
fail:
  free(line);
  free(rows);
  fclose(f);
  return -1;
}

int lt_lidc_tables_read(const char *dir, lt_lidc_tables **out, lt_error *err) {
  *out = NULL;
  char path[4096];
  lt_lidc_tables *t = calloc(1, sizeof *t);
  if (!t) return lt_error_set(err, "out of memory"), -1;
  rating_row *rat = NULL;
  key_entry *lk = NULL, *rk = NULL;
  int n_lk = 0, lk_alloc = 0;
  char *line = NULL;
  size_t cap = 0;
  FILE *f = NULL;

  snprintf(path, sizeof path, "%s/nodule_chara_list.csv", dir);
  int n_rat = 0;
  if (read_ratings(path, &rat, &n_rat, &t->r6_values, err) != 0) goto fail;
  t->rating_rows = n_rat;

  snprintf(path, sizeof path, "%s/list3.2.csv", dir);
  f = fopen(path, "r");
  if (!f) {
    lt_error_set(err, "cannot open %s: %s", path, strerror(errno));
    goto fail;
  }
  int lineno = 0, alloc = 0;
  while (getline(&line, &cap, f) > 0) {
    lineno++;
    chomp(line);
    if (lineno == 1 || !*line) continue;
    char *fld[MAX_FIELDS];
    int nf = split(line, fld);
    if (t->n_nodules == alloc) {
      alloc = alloc ? alloc * 2 : 1024;
      lt_lidc_table_nodule *p = realloc(t->nodules, (size_t)alloc * sizeof *p);
      if (!p) goto oom;
      t->nodules = p;
    }
    lt_lidc_table_nodule *nd = &t->nodules[t->n_nodules];
    memset(nd, 0, sizeof *nd);
    if (nf < 11 || parse_int(fld[1], &nd->patient) != 0 || parse_int(fld[2], &nd->scan) != 0 ||
        parse_int(fld[3], &nd->roi) != 0 || parse_double(fld[4], &nd->volume_mm3) != 0 ||
        parse_double(fld[5], &nd->diameter_mm) != 0) {
      lt_error_set(err, "%s line %d: expected id, case, scan, roi, volume, diameter, ..., nodIDs",
                   path, lineno);
      goto fail;
    }
    int ids = 0;
    for (int k = 10; k < nf; k++) {
      if (!*fld[k]) continue;
      if (strlen(fld[k]) >= LT_LIDC_ID_MAX) {
        lt_error_set(err, "%s line %d: nodule ID too long", path, lineno);
        goto fail;
      }
      if (n_lk == lk_alloc) {
        lk_alloc = lk_alloc ? lk_alloc * 2 : 4096;
        key_entry *p = realloc(lk, (size_t)lk_alloc * sizeof *p);
        if (!p) goto oom;
        lk = p;
      }
      lk[n_lk].patient = nd->patient;
      snprintf(lk[n_lk].id, sizeof lk[n_lk].id, "%s", fld[k]);
      lk[n_lk].row = t->n_nodules;
      n_lk++;
      ids++;
    }
    if (ids > 4) t->r2_rows++;
    t->n_nodules++;
  }
  fclose(f);
  f = NULL;
  t->list_rows = t->n_nodules;
  if (n_lk) qsort(lk, (size_t)n_lk, sizeof *lk, key_cmp);

  rk = malloc((size_t)(n_rat ? n_rat : 1) * sizeof *rk);
  if (!rk) goto oom;
  for (int i = 0; i < n_rat; i++) {
    rk[i].patient = rat[i].patient;
    memcpy(rk[i].id, rat[i].id, sizeof rk[i].id);
    rk[i].row = i;
  }
  if (n_rat) qsort(rk, (size_t)n_rat, sizeof *rk, key_cmp);

  /* R1 pairs and R3 IDs, over distinct list keys. */
  for (int i = 0; i < n_lk;) {
    int nl, nr;
    key_find(lk, n_lk, lk[i].patient, lk[i].id, &nl);
    key_find(rk, n_rat, lk[i].patient, lk[i].id, &nr);
    if (nl > 1 || nr > 1) t->r1_pairs++;
    if (nr == 0) t->r3_ids += nl;
    i += nl;
  }
  /* Which list row each rating row belongs to (-1: not used). */
  int *owner = malloc((size_t)(n_rat ? n_rat : 1) * sizeof *owner);
  if (!owner) goto oom;
  for (int i = 0; i < n_rat; i++) {
    owner[i] = -1;
    int nl, nr;
    int at = key_find(lk, n_lk, rat[i].patient, rat[i].id, &nl);
    key_find(rk, n_rat, rat[i].patient, rat[i].id, &nr);
    if (rat[i].empty) {
      t->r5_rating_rows++;
    } else if (nl == 0) {
      t->r4_rating_rows++;
    } else if (nl > 1 || nr > 1) {
      t->r1_rating_rows++;
    } else {
      owner[i] = lk[at].row;
    }
  }
  /* Readings grouped by nodule, file order within a nodule. */
  t->readings = malloc((n_rat > 0 ? (size_t)n_rat : 1) * sizeof *t->readings);
  if (!t->readings) {
    free(owner);
    goto oom;
  }
  for (int i = 0; i < n_rat; i++)
    if (owner[i] >= 0) t->nodules[owner[i]].n++;
  int at = 0;
  for (int k = 0; k < t->n_nodules; k++) {
    t->nodules[k].first = at;
    at += t->nodules[k].n;
    t->nodules[k].n = 0;
  }
  for (int i = 0; i < n_rat; i++) {
    if (owner[i] < 0) continue;
    lt_lidc_table_nodule *nd = &t->nodules[owner[i]];
    memcpy(t->readings[nd->first + nd->n], rat[i].vals, sizeof rat[i].vals);
    nd->n++;
  }
  t->n_readings = at;
  free(owner);
  free(rat);
  free(lk);
  free(rk);
  free(line);
  *out = t;
  return 0;
oom:
  lt_error_set(err, "out of memory reading the LIDC tables");
fail:
  if (f) fclose(f);
  free(rat);
  free(lk);
  free(rk);
  free(line);
  lt_lidc_tables_free(t);
  return -1;
}

void lt_lidc_tables_free(lt_lidc_tables *t) {
  if (!t) return;
  free(t->nodules);
  free(t->readings);
  free(t);
}
