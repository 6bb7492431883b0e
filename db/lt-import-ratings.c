/* db/lt-import-ratings.c — see lt-import-ratings.h (the rules R1-R5 are documented there and in
 * docs/lidc-import.md). */
#include "lt-import-ratings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-csv.h"
#include "lt-db-write.h"

enum { LIST_COL_IDS = 10, MAX_PATIENT = 9999 };

static const long char_hi[LT_NCHAR] = {5, 4, 6, 5, 5, 5, 5, 5, 5};
static const char *const char_name[LT_NCHAR] = {
    "subtlety", "internalStructure", "calcification", "sphericity", "margin",
    "lobulation", "spiculation", "texture", "malignancy"};

/* (patient, ID) -> list3.2 row, via a sorted array. */
typedef struct {
  int patient;
  const char *id;
  int row;    /* list3.2 data row */
} key;

static int key_cmp(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  if (a->patient != b->patient) return a->patient - b->patient;
  return strcmp(a->id, b->id);
}

typedef struct {
  int patient, scan, roi;
  double volume, diameter, x, y, slice;
  int nreadings;
  int cnt[LT_NCHAR];
  double sum[LT_NCHAR];
  bool ambiguous; /* lists an R1 pair */
} listrow;

typedef struct {
  int patient;
  const char *id;
  bool empty;     /* no usable rating (R5 or R6) */
  bool no_fields; /* R5 */
  long ch[LT_NCHAR]; /* 0: unknown (R6) */
  int row;        /* matched list3.2 row or -1 */
} rating;

static int parse_pseudonym(const lt_csv *c, size_t r, int col, int *patient, lt_error *err) {
  const char *s = lt_csv_field(c, r, col);
  char *end;
  if (strncmp(s, "LIDC-IDRI-", 10) != 0 || strlen(s) != 14)
    return lt_error_set(err, "%s:%d: patient '%.40s' is not LIDC-IDRI-NNNN", lt_csv_path(c),
                        lt_csv_line(c, r), s);
  long v = strtol(s + 10, &end, 10);
  if (*end || v < 1 || v > MAX_PATIENT)
    return lt_error_set(err, "%s:%d: patient '%.40s' is not LIDC-IDRI-NNNN", lt_csv_path(c),
                        lt_csv_line(c, r), s);
  *patient = (int)v;
  return 0;
}

static void pseudonym(char *buf, size_t n, int patient) {
  snprintf(buf, n, "LIDC-IDRI-%04d", patient);
}

typedef struct {
  lt_csv *list, *chara, *tcia;
  listrow *rows;
  size_t nrows;
  rating *ratings;
  size_t nratings;
  key *keys;
  size_t nkeys;
} tables;

static void tables_free(tables *t) {
  lt_csv_free(t->list);
  lt_csv_free(t->chara);
  lt_csv_free(t->tcia);
  free(t->rows);
  free(t->ratings);
  free(t->keys);
}

static int open_csv(const char *dir, const char *name, lt_csv **out, lt_error *err) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
    return lt_error_set(err, "%s: path too long", dir);
  return lt_csv_read(path, out, err);
}

static int parse_list(tables *t, lt_error *err) {
  lt_csv *c = t->list;
  size_t n = lt_csv_rows(c);
  static const char *const head[] = {"id", "case", "scan", "roi", "volume", "eq. diam.",
                                     "x loc.", "y loc.", "slice no.", "", "nodIDs"};
  if (n < 1 || lt_csv_nfields(c, 0) < 11)
    return lt_error_set(err, "%s: not the LIDC list3.2 table (header)", lt_csv_path(c));
  for (int i = 0; i < 11; i++)
    if (strcmp(lt_csv_field(c, 0, i), head[i]))
      return lt_error_set(err, "%s: not the LIDC list3.2 table (column %d is '%.30s', not '%s')",
                          lt_csv_path(c), i + 1, lt_csv_field(c, 0, i), head[i]);
  t->rows = calloc(n, sizeof *t->rows);
  size_t maxkeys = 0;
  for (size_t r = 1; r < n; r++) maxkeys += (size_t)lt_csv_nfields(c, r);
  t->keys = calloc(maxkeys + 1, sizeof *t->keys);
  if (!t->rows || !t->keys) return lt_error_set(err, "out of memory");
  for (size_t r = 1; r < n; r++) {
    listrow *L = &t->rows[t->nrows];
    long v;
    if (lt_csv_nfields(c, r) != lt_csv_nfields(c, 0))
      return lt_error_set(err, "%s:%d: %d fields, the header has %d", lt_csv_path(c),
                          lt_csv_line(c, r), lt_csv_nfields(c, r), lt_csv_nfields(c, 0));
    if (lt_csv_int(c, r, 1, "case", 1, MAX_PATIENT, &v, err)) return -1;
    L->patient = (int)v;
    if (lt_csv_int(c, r, 2, "scan", 0, 2000000000, &v, err)) return -1;
    L->scan = (int)v;
    if (lt_csv_int(c, r, 3, "roi", 0, 1000000, &v, err)) return -1;
    L->roi = (int)v;
    if (lt_csv_real(c, r, 4, "volume", &L->volume, err) ||
        lt_csv_real(c, r, 5, "eq. diam.", &L->diameter, err) ||
        lt_csv_real(c, r, 6, "x loc.", &L->x, err) || lt_csv_real(c, r, 7, "y loc.", &L->y, err) ||
        lt_csv_real(c, r, 8, "slice no.", &L->slice, err))
      return -1;
    if (L->volume < 0 || L->diameter < 0)
      return lt_error_set(err, "%s:%d: negative size", lt_csv_path(c), lt_csv_line(c, r));
    int nids = 0;
    for (int col = LIST_COL_IDS; col < lt_csv_nfields(c, r); col++) {
      const char *id = lt_csv_field(c, r, col);
      if (!id[0]) continue;
      t->keys[t->nkeys++] = (key){L->patient, id, (int)t->nrows};
      nids++;
    }
    if (nids == 0)
      return lt_error_set(err, "%s:%d: a nodule without reader IDs", lt_csv_path(c),
                          lt_csv_line(c, r));
    t->nrows++;
  }
  qsort(t->keys, t->nkeys, sizeof *t->keys, key_cmp);
  return 0;
}

static int parse_chara(tables *t, lt_lidc_report *rep, lt_error *err) {
  lt_csv *c = t->chara;
  size_t n = lt_csv_rows(c);
  t->ratings = calloc(n + 1, sizeof *t->ratings);
  if (!t->ratings) return lt_error_set(err, "out of memory");
  for (size_t r = 0; r < n; r++) {
    rating *R = &t->ratings[t->nratings];
    int nf = lt_csv_nfields(c, r);
    if (nf != 2 && nf != 2 + LT_NCHAR)
      return lt_error_set(err, "%s:%d: %d fields, expected 11 (or 2 for a nodule without ratings)",
                          lt_csv_path(c), lt_csv_line(c, r), nf);
    if (parse_pseudonym(c, r, 0, &R->patient, err)) return -1;
    R->id = lt_csv_field(c, r, 1);
    if (!R->id[0])
      return lt_error_set(err, "%s:%d: empty reader nodule ID", lt_csv_path(c), lt_csv_line(c, r));
    R->empty = R->no_fields = nf == 2;
    int known = 0;
    for (int k = 0; !R->empty && k < LT_NCHAR; k++) {
      if (lt_csv_int(c, r, 2 + k, char_name[k], -1000000, 1000000, &R->ch[k], err)) return -1;
      if (R->ch[k] < 1 || R->ch[k] > char_hi[k]) {
        R->ch[k] = 0; /* R6: outside the LIDC scale, unknown */
        rep->r6_values++;
      } else {
        known++;
      }
    }
    if (!R->empty && known < LT_NCHAR) rep->r6_rating_rows++;
    if (!R->empty && known == 0) {
      R->empty = true;
      rep->r6_empty_rows++;
    }
    R->row = -1;
    t->nratings++;
  }
  rep->rating_rows = (int)t->nratings;
  return 0;
}

static int parse_tcia(tables *t, lt_error *err) {
  lt_csv *c = t->tcia;
  size_t n = lt_csv_rows(c);
  if (n < 1 || lt_csv_nfields(c, 0) != 14 || strcmp(lt_csv_field(c, 0, 0), "patient_id") ||
      strcmp(lt_csv_field(c, 0, 1), "patient_diagnosis") ||
      strcmp(lt_csv_field(c, 0, 4), "nodule1_diagnosis"))
    return lt_error_set(err, "%s: not the TCIA diagnosis table (header)", lt_csv_path(c));
  for (size_t r = 1; r < n; r++) {
    int p;
    long v;
    if (lt_csv_nfields(c, r) != 14)
      return lt_error_set(err, "%s:%d: %d fields, expected 14", lt_csv_path(c), lt_csv_line(c, r),
                          lt_csv_nfields(c, r));
    if (parse_pseudonym(c, r, 0, &p, err) ||
        lt_csv_int(c, r, 1, "patient_diagnosis", 0, 3, &v, err) ||
        lt_csv_int(c, r, 2, "patient_diagnosis_method", 0, 4, &v, err))
      return -1;
    for (int k = 0; k < 5; k++) {
      bool has_d = lt_csv_field(c, r, 4 + 2 * k)[0], has_m = lt_csv_field(c, r, 5 + 2 * k)[0];
      if (has_d != has_m)
        return lt_error_set(err, "%s:%d: nodule%d has a diagnosis without a method or back",
                            lt_csv_path(c), lt_csv_line(c, r), k + 1);
      if (has_d && (lt_csv_int(c, r, 4 + 2 * k, "nodule diagnosis", 0, 3, &v, err) ||
                    lt_csv_int(c, r, 5 + 2 * k, "nodule diagnosis method", 0, 4, &v, err)))
        return -1;
    }
  }
  return 0;
}

/* Matches ratings to rows and applies R1-R5; fills the report's misfit counts. */
static void group(tables *t, lt_lidc_report *rep) {
  /* rating rows per (patient, ID) */
  int *rating_count = calloc(t->nkeys + 1, sizeof *rating_count);
  for (size_t i = 0; i < t->nratings; i++) {
    rating *R = &t->ratings[i];
    key k = {R->patient, R->id, 0};
    key *hit = bsearch(&k, t->keys, t->nkeys, sizeof k, key_cmp);
    if (hit) {
      while (hit > t->keys && key_cmp(hit - 1, &k) == 0) hit--;
      R->row = (int)(hit - t->keys); /* temporarily: first key index */
      if (rating_count) rating_count[R->row]++;
    }
  }
  /* R1: pairs in more than one list row or more than one rating row */
  bool *amb = calloc(t->nkeys + 1, sizeof *amb);
  for (size_t a = 0; a < t->nkeys;) {
    size_t b = a + 1;
    while (b < t->nkeys && key_cmp(&t->keys[a], &t->keys[b]) == 0) b++;
    if (b - a > 1 || (rating_count && rating_count[a] > 1)) {
      rep->r1_pairs++;
      if (amb) amb[a] = true;
      for (size_t j = a; j < b; j++) t->rows[t->keys[j].row].ambiguous = true;
    }
    /* R3: IDs without a rating row (each list occurrence counts) */
    if (rating_count && rating_count[a] == 0) rep->r3_ids += (int)(b - a);
    a = b;
  }
  for (size_t i = 0; i < t->nrows; i++) rep->r1_nodules += t->rows[i].ambiguous;
  for (size_t i = 0; i < t->nratings; i++) {
    rating *R = &t->ratings[i];
    int first = R->row;
    R->row = -1;
    if (R->empty) {
      if (R->no_fields) {
        rep->r5_rating_rows++;
        if (first >= 0) rep->r5_matched++;
      } else if (first >= 0) {
        rep->r6_empty_matched++;
      }
      continue;
    }
    if (first < 0) {
      rep->r4_rating_rows++;
      continue;
    }
    if (amb && amb[first]) {
      rep->r1_rating_rows++;
      continue;
    }
    R->row = t->keys[first].row;
    listrow *L = &t->rows[R->row];
    L->nreadings++;
    for (int k = 0; k < LT_NCHAR; k++)
      if (R->ch[k]) L->cnt[k]++, L->sum[k] += (double)R->ch[k];
  }
  for (size_t r = 0; r < t->nrows; r++) {
    listrow *L = &t->rows[r];
    rep->readers_hist[L->nreadings < 8 ? L->nreadings : 8]++;
    if (L->nreadings == 0) rep->r3_rows_without_reading++;
    int nids = 0;
    for (int col = LIST_COL_IDS; col < lt_csv_nfields(t->list, r + 1); col++)
      nids += lt_csv_field(t->list, r + 1, col)[0] != 0;
    if (nids > 4) {
      rep->r2_rows++;
      rep->r2_readings += L->nreadings;
    }
  }
  free(rating_count);
  free(amb);
}

static void list_key(char *buf, size_t n, const listrow *L) {
  snprintf(buf, n, "LIDC-IDRI-%04d/%d/%d", L->patient, L->scan, L->roi);
}

static int write_all(lt_db *db, tables *t, const lt_lidc_options *opt, lt_lidc_report *rep,
                     lt_error *err) {
  int64_t *nodule_id = calloc(t->nrows + 1, sizeof *nodule_id);
  int *rows_of_patient = calloc(MAX_PATIENT + 1, sizeof *rows_of_patient);
  int *only_row = calloc(MAX_PATIENT + 1, sizeof *only_row);
  int64_t *patient_id = calloc(MAX_PATIENT + 1, sizeof *patient_id);
  int rc = -1;
  if (!nodule_id || !rows_of_patient || !only_row || !patient_id) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  char name[32], buf[96];
  for (size_t r = 0; r < t->nrows; r++) {
    listrow *L = &t->rows[r];
    rows_of_patient[L->patient]++;
    only_row[L->patient] = (int)r;
    if (!patient_id[L->patient]) {
      pseudonym(name, sizeof name, L->patient);
      if (lt_db_put_patient(db, name, "lidc", &patient_id[L->patient], err)) goto out;
      rep->patients++;
    }
    int64_t study;
    pseudonym(name, sizeof name, L->patient);
    snprintf(buf, sizeof buf, "lidc-list3.2:%s/%d", name, L->scan);
    if (lt_db_put_study(db, patient_id[L->patient], buf, NULL, "LIDC-IDRI scan (list3.2)", &study,
                        err))
      goto out;
    lt_db_nodule n;
    lt_db_nodule_init(&n);
    list_key(buf, sizeof buf, L);
    n.patient_id = patient_id[L->patient];
    n.study_id = study;
    n.source = "lidc-list3.2";
    n.source_key = buf;
    n.col = L->x;
    n.row = L->y;
    n.slice = L->slice;
    n.diameter_mm = L->diameter;
    n.volume_mm3 = L->volume;
    if (lt_db_put_nodule(db, &n, &nodule_id[r], err)) goto out;
    rep->nodules++;
    if (L->nreadings > 0) {
      double mean[LT_NCHAR];
      for (int k = 0; k < LT_NCHAR; k++) mean[k] = L->cnt[k] ? L->sum[k] / L->cnt[k] : NAN;
      if (lt_db_put_attributes(db, nodule_id[r], LT_ATTRS_READERS_MEAN, "lidc-tables",
                               L->nreadings, NULL, mean, NULL, err))
        goto out;
      rep->nodules_with_attributes++;
    }
    if (opt && opt->progress && opt->progress(opt->user, (int)r + 1, (int)t->nrows)) {
      lt_error_set(err, "import of the LIDC tables stopped");
      goto out;
    }
  }
  /* studies: one per distinct (patient, scan) */
  for (size_t r = 0; r < t->nrows; r++) {
    bool seen = false;
    for (size_t q = r; q-- > 0 && t->rows[q].patient == t->rows[r].patient;)
      if (t->rows[q].scan == t->rows[r].scan) seen = true;
    rep->studies += !seen;
  }
  for (size_t i = 0; i < t->nratings; i++) {
    rating *R = &t->ratings[i];
    if (R->row < 0) continue;
    double ch[LT_NCHAR];
    for (int k = 0; k < LT_NCHAR; k++) ch[k] = R->ch[k] ? (double)R->ch[k] : NAN;
    if (lt_db_put_attributes(db, nodule_id[R->row], LT_ATTRS_READER, R->id, 1, NULL, ch, NULL, err))
      goto out;
    rep->reader_sets++;
  }
  static const lt_dx_kind kinds[] = {LT_DX_UNKNOWN, LT_DX_BENIGN, LT_DX_PRIMARY, LT_DX_METASTATIC};
  static const lt_dx_basis bases[] = {LT_BASIS_UNKNOWN, LT_BASIS_STABILITY, LT_BASIS_BIOPSY,
                                      LT_BASIS_RESECTION, LT_BASIS_PROGRESSION};
  lt_csv *c = t->tcia;
  for (size_t r = 1; r < lt_csv_rows(c); r++) {
    int p;
    long d, m;
    parse_pseudonym(c, r, 0, &p, err); /* checked in parse_tcia */
    lt_csv_int(c, r, 1, "", 0, 3, &d, err);
    lt_csv_int(c, r, 2, "", 0, 4, &m, err);
    pseudonym(name, sizeof name, p);
    if (!patient_id[p]) {
      if (lt_db_put_patient(db, name, "lidc", &patient_id[p], err)) goto out;
      rep->patients++;
    }
    if (lt_db_put_diagnosis(db, patient_id[p], 0, kinds[d], bases[m], "tcia-2012-04-20", name,
                            NULL, err))
      goto out;
    rep->tcia_patient_level++;
    int filled = 0, which = -1;
    for (int k = 0; k < 5; k++)
      if (lt_csv_field(c, r, 4 + 2 * k)[0]) filled++, which = k;
    if (rows_of_patient[p] != 1) {
      rep->tcia_not_single_nodule++;
      continue;
    }
    if (filled != 1) {
      rep->tcia_not_single_diagnosis++;
      continue;
    }
    lt_csv_int(c, r, 4 + 2 * which, "", 0, 3, &d, err);
    lt_csv_int(c, r, 5 + 2 * which, "", 0, 4, &m, err);
    snprintf(buf, sizeof buf, "%s/nodule", name);
    if (lt_db_put_diagnosis(db, patient_id[p], nodule_id[only_row[p]], kinds[d], bases[m],
                            "tcia-2012-04-20", buf, NULL, err))
      goto out;
    rep->tcia_nodule_level++;
  }
  rc = 0;
out:
  free(nodule_id);
  free(rows_of_patient);
  free(only_row);
  free(patient_id);
  return rc;
}

int lt_lidc_report_json(const lt_lidc_report *r, char *buf, int n) {
  return snprintf(
      buf, (size_t)n,
      "{\"rating_rows\":%d,\"list_rows\":%d,\"tcia_rows\":%d,\"patients\":%d,\"studies\":%d,"
      "\"nodules\":%d,\"nodules_with_attributes\":%d,\"reader_sets\":%d,"
      "\"readers_per_nodule\":[%d,%d,%d,%d,%d,%d,%d,%d,%d],"
      "\"r1_ambiguous_pairs\":%d,\"r1_rating_rows_set_aside\":%d,\"r1_nodules\":%d,"
      "\"r2_wide_rows\":%d,\"r2_readings\":%d,\"r3_ids_without_rating\":%d,"
      "\"r3_rows_without_reading\":%d,\"r4_unmatched_rating_rows\":%d,"
      "\"r5_empty_rating_rows\":%d,\"r5_matched\":%d,\"r6_rating_rows\":%d,\"r6_values\":%d,"
      "\"r6_empty_rows\":%d,\"r6_empty_matched\":%d,\"tcia_patient_level\":%d,"
      "\"tcia_nodule_level\":%d,\"tcia_not_single_nodule\":%d,\"tcia_not_single_diagnosis\":%d}",
      r->rating_rows, r->list_rows, r->tcia_rows, r->patients, r->studies, r->nodules,
      r->nodules_with_attributes, r->reader_sets, r->readers_hist[0], r->readers_hist[1],
      r->readers_hist[2], r->readers_hist[3], r->readers_hist[4], r->readers_hist[5],
      r->readers_hist[6], r->readers_hist[7], r->readers_hist[8], r->r1_pairs, r->r1_rating_rows,
      r->r1_nodules, r->r2_rows, r->r2_readings, r->r3_ids, r->r3_rows_without_reading,
      r->r4_rating_rows, r->r5_rating_rows, r->r5_matched, r->r6_rating_rows, r->r6_values, r->r6_empty_rows,
      r->r6_empty_matched, r->tcia_patient_level,
      r->tcia_nodule_level, r->tcia_not_single_nodule, r->tcia_not_single_diagnosis);
}

int lt_import_lidc_ratings(lt_db *db, const char *dir, const lt_lidc_options *opt,
                           lt_lidc_report *rep, lt_error *err) {
  memset(rep, 0, sizeof *rep);
  tables t = {0};
  int rc = -1;
  if (open_csv(dir, "list3.2.csv", &t.list, err) ||
      open_csv(dir, "nodule_chara_list.csv", &t.chara, err) ||
      open_csv(dir, "tcia-diagnosis-2012-04-20.csv", &t.tcia, err) || parse_list(&t, err) ||
      parse_chara(&t, rep, err) || parse_tcia(&t, err))
    goto out;
  rep->list_rows = (int)t.nrows;
  rep->tcia_rows = (int)lt_csv_rows(t.tcia) - 1;
  group(&t, rep);
  if (lt_db_begin(db, err)) goto out;
  char json[1024];
  lt_lidc_report_json(rep, json, sizeof json);
  if (write_all(db, &t, opt, rep, err)) {
    lt_db_rollback(db);
    goto out;
  }
  lt_lidc_report_json(rep, json, sizeof json);
  if (lt_db_log_import(db, "lidc-ratings", dir, json, err)) {
    lt_db_rollback(db);
    goto out;
  }
  if (lt_db_commit(db, err)) goto out;
  rc = 0;
out:
  if (rc) lt_error_prefix(err, "import-ratings");
  tables_free(&t);
  return rc;
}
