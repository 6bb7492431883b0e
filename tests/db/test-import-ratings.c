/* tests/db/test-import-ratings.c — importing the LIDC tables: the counts the documented rules
 * imply (derived independently by tests/db/lidc_expected.py with Python's csv module), re-runs
 * without duplicates, LIDC-IDRI-0001's means equal to its XML's, and broken copies refused with
 * one line and nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-index.h"
#include "lt-test.h"

#define assert_near(a, b, tol)                                                          \
  do {                                                                                  \
    double a_ = (a), b_ = (b);                                                          \
    if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.9g, expected %.9g +- %g", #a, a_, b_, (double)(tol)); \
  } while (0)

static char ratings_dir[4096], xml_path[4200], tmp[4096];

static lt_db *fresh_db(const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", tmp, name);
  unlink(path);
  lt_db *db;
  lt_error err = {{0}};
  if (lt_db_open(path, &db, &err)) fail_msg("%s", err.msg);
  return db;
}

static void import_ratings_counts_match_rules(void **state) {
  (void)state;
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/db/lidc_expected.py' '%s' '%s'",
           getenv("LT_SOURCE_ROOT"), ratings_dir, xml_path);
  assert_true(dbt_run_kv(cmd) > 30);
  lt_db *db = fresh_db("counts.db");
  lt_lidc_report r;
  lt_error err = {{0}};
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  /* the report */
  assert_int_equal(r.list_rows, dbt_kv_int("list_rows"));
  assert_int_equal(r.rating_rows, dbt_kv_int("rating_rows"));
  assert_int_equal(r.r1_pairs, dbt_kv_int("r1_pairs"));
  assert_int_equal(r.r1_rating_rows, dbt_kv_int("r1_rating_rows"));
  assert_int_equal(r.r1_nodules, dbt_kv_int("r1_nodules"));
  assert_int_equal(r.r2_rows, dbt_kv_int("r2_rows"));
  assert_int_equal(r.r2_readings, dbt_kv_int("r2_readings"));
  assert_int_equal(r.r3_ids, dbt_kv_int("r3_ids"));
  assert_int_equal(r.r3_rows_without_reading, dbt_kv_int("r3_rows_without_reading"));
  assert_int_equal(r.r4_rating_rows, dbt_kv_int("r4_rating_rows"));
  assert_int_equal(r.r5_rating_rows, dbt_kv_int("r5_rating_rows"));
  assert_int_equal(r.r6_rating_rows, dbt_kv_int("r6_rating_rows"));
  assert_int_equal(r.r6_values, dbt_kv_int("r6_values"));
  assert_int_equal(r.r6_empty_rows, dbt_kv_int("r6_empty_rows"));
  assert_int_equal(r.nodules_with_attributes, dbt_kv_int("nodules_with_attributes"));
  assert_int_equal(r.reader_sets, dbt_kv_int("reader_sets"));
  assert_int_equal(r.patients, dbt_kv_int("patients"));
  assert_int_equal(r.tcia_nodule_level, dbt_kv_int("tcia_nodule_level"));
  assert_int_equal(r.tcia_not_single_nodule, dbt_kv_int("tcia_not_single_nodule"));
  assert_int_equal(r.tcia_not_single_diagnosis, dbt_kv_int("tcia_not_single_diagnosis"));
  /* the README's figures for the misfits, and "about 2,600" nodules with vectors */
  assert_int_equal(r.r1_pairs, 9);
  assert_int_equal(r.r2_rows, 13);
  assert_int_equal(r.r3_ids, 127);
  assert_int_equal(r.r4_rating_rows + r.r5_rating_rows + r.r6_empty_rows, 176);
  assert_int_equal(r.r5_rating_rows, 16);
  assert_in_range(r.nodules_with_attributes, 2550, 2650);
  /* what is in the database */
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules WHERE source = 'lidc-list3.2'"),
                   dbt_kv_int("list_rows"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM patients"), dbt_kv_int("patients"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM studies"), dbt_kv_int("studies"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets WHERE kind = 'readers_mean'"),
                   dbt_kv_int("nodules_with_attributes"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets WHERE kind = 'reader'"),
                   dbt_kv_int("reader_sets"));
  for (int k = 0; k < 8; k++) {
    char sql[400], key[32];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM nodules n WHERE (SELECT count(*) FROM attribute_sets a WHERE"
             " a.nodule_id = n.id AND a.kind = 'reader') = %d",
             k);
    snprintf(key, sizeof key, "readers_%d", k);
    assert_int_equal(dbt_int(db, sql), dbt_kv_int(key));
    assert_int_equal(r.readers_hist[k], dbt_kv_int(key));
  }
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets WHERE kind = 'readers_mean'"
                               " AND n_readers != (SELECT count(*) FROM attribute_sets b WHERE"
                               " b.nodule_id = attribute_sets.nodule_id AND b.kind = 'reader')"),
                   0);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM diagnoses WHERE nodule_id IS NULL"),
                   dbt_kv_int("tcia_patient_level"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM diagnoses WHERE nodule_id IS NOT NULL"),
                   dbt_kv_int("tcia_nodule_level"));
  /* the retrieval index sees every nodule with a vector; confirmed = nodule-level diagnosis with
   * a known kind other than unknown and a known method */
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  assert_int_equal((long)lt_index_size(idx), dbt_kv_int("nodules_with_attributes"));
  lt_hit hits[4000];
  int n;
  lt_query q;
  lt_query_init(&q);
  q.confirmed_only = true;
  const double mid[6] = {3, 3, 3, 3, 3, 3};
  assert_int_equal(lt_index_query(idx, mid, &q, 4000, hits, &n, &err), 0);
  assert_int_equal(n, dbt_kv_int("tcia_nodule_confirmed"));
  lt_db_close(db);
}

static void import_ratings_rerun_adds_no_rows(void **state) {
  (void)state;
  lt_db *db = fresh_db("rerun.db");
  lt_lidc_report r;
  lt_error err = {{0}};
  static const char *const tables[] = {"patients", "studies", "nodules", "attribute_sets",
                                       "diagnoses"};
  int64_t before[5];
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  for (int t = 0; t < 5; t++) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[t]);
    before[t] = dbt_int(db, sql);
  }
  int64_t max_id = dbt_int(db, "SELECT max(id) FROM nodules");
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  for (int t = 0; t < 5; t++) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[t]);
    assert_int_equal(dbt_int(db, sql), before[t]);
  }
  assert_int_equal(dbt_int(db, "SELECT max(id) FROM nodules"), max_id);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM import_log"), 2);
  lt_db_close(db);
}

static void import_ratings_lidc0001_means_match_xml(void **state) {
  (void)state;
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/db/lidc_expected.py' '%s' '%s'",
           getenv("LT_SOURCE_ROOT"), ratings_dir, xml_path);
  assert_true(dbt_run_kv(cmd) > 30);
  assert_int_equal(dbt_kv_int("p0001_xml_n"), 4);
  lt_db *db = fresh_db("p0001.db");
  lt_lidc_report r;
  lt_error err = {{0}};
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  static const char *const cols[] = {"subtlety",   "sphericity",  "margin",
                                     "lobulation", "spiculation", "malignancy"};
  assert_int_equal(dbt_int(db, "SELECT a.n_readers FROM attribute_sets a JOIN nodules n ON"
                               " n.id = a.nodule_id JOIN patients p ON p.id = n.patient_id"
                               " WHERE p.pseudonym = 'LIDC-IDRI-0001' AND a.kind = 'readers_mean'"),
                   4);
  for (int d = 0; d < 6; d++) {
    char sql[400], key[32];
    snprintf(sql, sizeof sql,
             "SELECT a.%s FROM attribute_sets a JOIN nodules n ON n.id = a.nodule_id JOIN"
             " patients p ON p.id = n.patient_id WHERE p.pseudonym = 'LIDC-IDRI-0001' AND"
             " a.kind = 'readers_mean'",
             cols[d]);
    snprintf(key, sizeof key, "p0001_xml_%d", d);
    double xml = strtod(dbt_kv(key), NULL);
    assert_near(dbt_real(db, sql), xml, 1e-6);
  }
  /* README: malignancy ratings 5/5/5/4 */
  assert_near(dbt_real(db, "SELECT a.malignancy FROM attribute_sets a JOIN nodules n ON"
                                   " n.id = a.nodule_id WHERE n.source_key LIKE 'LIDC-IDRI-0001/%'"
                                   " AND a.kind = 'readers_mean'"),
                      4.75, 1e-9);
  lt_db_close(db);
}

/* Copies the three tables to dir, replacing file `name` by `content` (NULL: leave it out). */
static void broken_copy(const char *dir, const char *name, const char *content) {
  static const char *const files[] = {"list3.2.csv", "nodule_chara_list.csv",
                                      "tcia-diagnosis-2012-04-20.csv"};
  for (int f = 0; f < 3; f++) {
    char src[8400], dst[8400];
    snprintf(src, sizeof src, "%s/%s", ratings_dir, files[f]);
    snprintf(dst, sizeof dst, "%s/%s", dir, files[f]);
    unlink(dst);
    if (!strcmp(files[f], name)) {
      if (content) assert_int_equal(dbt_write(dst, content, strlen(content)), 0);
      continue;
    }
    size_t n;
    unsigned char *b = dbt_slurp(src, &n);
    assert_non_null(b);
    assert_int_equal(dbt_write(dst, b, n), 0);
    free(b);
  }
}

/* The original file with line `line` (1-based) replaced by `text`. */
static char *replace_line(const char *name, int line, const char *text) {
  char src[8400];
  snprintf(src, sizeof src, "%s/%s", ratings_dir, name);
  size_t n;
  char *b = (char *)dbt_slurp(src, &n);
  assert_non_null(b);
  b[n] = 0;
  char *out = malloc(n + strlen(text) + 2);
  char *o = out, *p = b;
  for (int l = 1; *p; l++) {
    char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
    if (l == line) o += sprintf(o, "%s\n", text);
    else memcpy(o, p, len), o += len;
    p += len;
  }
  *o = 0;
  free(b);
  return out;
}

static void import_ratings_refuses_broken_csv(void **state) {
  (void)state;
  struct {
    const char *file;
    int line;
    const char *text; /* NULL line 0: file missing; line -1: whole content */
    const char *expect;
  } cases[] = {
      {"nodule_chara_list.csv", 10, "LIDC-IDRI-0005,\"IL057_1, 5,1,6,3,3,3,4,5,5", "quoted field never closed"},
      {"nodule_chara_list.csv", 20, "LIDC-IDRI-0007,MI014_1,5,1,6,x,3,3,4,5,5", "not an integer"},
      {"nodule_chara_list.csv", 30, "LIDC-IDRI-0009,MI014_1,5,1,6,3", "fields"},
      {"nodule_chara_list.csv", 40, "LIDC-IDRI-9,MI014_1,5,1,6,3,3,3,4,5,5", "LIDC-IDRI-NNNN"},
      {"nodule_chara_list.csv", 50, "LIDC-IDRI-0011,MI\"014,5,1,6,3,3,3,4,5,5", "quote inside"},
      {"nodule_chara_list.csv", 60, "", "empty line"},
      {"list3.2.csv", 1, "id,case,scan,roi,volume,diameter,x,y,slice,,nodIDs,,,,,,", "not the LIDC list3.2"},
      {"list3.2.csv", 5, "4,3,3000611,2,big,13.058,221,219,56,,IL057_130598,,,,,,", "not a number"},
      {"list3.2.csv", 6, "5,3,3000611,3,10,13,221,219,56,,IL057_130598", "fields"},
      {"list3.2.csv", 7, "6,3,3000611,3,10,13,221,219,56,,,,,,,,", "without reader IDs"},
      {"tcia-diagnosis-2012-04-20.csv", 3, "LIDC-IDRI-0071,7,1,Head & Neck,1,1,,,,,,,,", "outside"},
      {"tcia-diagnosis-2012-04-20.csv", 4, "LIDC-IDRI-0072,2,4,Lung Cancer,1,,,,,,,,,", "without a method"},
      {"tcia-diagnosis-2012-04-20.csv", 0, NULL, "No such file"},
      {"list3.2.csv", -1, "\x01\x02 binary\rjunk", "carriage return"},
  };
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/broken", tmp);
  mkdir(dir, 0700);
  /* a database that already holds an import: a refused import must leave it as it was */
  lt_db *db = fresh_db("broken.db");
  lt_lidc_report r;
  lt_error err = {{0}};
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err), 0);
  int64_t n_attr = dbt_int(db, "SELECT count(*) FROM attribute_sets");
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    char *content = NULL;
    if (cases[c].line > 0) content = replace_line(cases[c].file, cases[c].line, cases[c].text);
    else if (cases[c].line < 0) content = strdup(cases[c].text);
    broken_copy(dir, cases[c].file, content);
    free(content);
    memset(&err, 0, sizeof err);
    assert_int_equal(lt_import_lidc_ratings(db, dir, NULL, &r, &err), -1);
    if (!strstr(err.msg, cases[c].expect) || strchr(err.msg, '\n'))
      fail_msg("case %zu: message '%s' lacks '%s'", c, err.msg, cases[c].expect);
    assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets"), n_attr);
    assert_int_equal(dbt_int(db, "SELECT count(*) FROM import_log"), 1);
  }
  lt_db_close(db);
}

int main(void) {
  if (!lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings/list3.2.csv")) {
    printf("skip: ../shared/data/lidc-ratings absent\n");
    return LT_TEST_SKIP;
  }
  lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings");
  char d[4096];
  if (!lt_test_lidc0001_dir(d, sizeof d)) {
    printf("skip: LIDC-IDRI-0001 absent\n");
    return LT_TEST_SKIP;
  }
  snprintf(xml_path, sizeof xml_path, "%s/069.xml", d);
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(import_ratings_counts_match_rules),
      cmocka_unit_test(import_ratings_rerun_adds_no_rows),
      cmocka_unit_test(import_ratings_lidc0001_means_match_xml),
      cmocka_unit_test(import_ratings_refuses_broken_csv),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
