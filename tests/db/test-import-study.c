/* tests/db/test-import-study.c — importing LIDC-IDRI-0001 through engine/ct: one rated physical
 * nodule whose readers' mean equals the XML's (computed by Python's ElementTree in
 * lidc_expected.py), at the README's centre, ~23 mm, with a consensus mask and PNG thumbnails;
 * re-running adds no rows; the nodule is retrievable; a folder without CT is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-test-util.h"
#include "lt-db-read.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-import-study.h"
#include "lt-index.h"
#include "lt-test.h"

static char study[4096], ratings_dir[4096], tmp[4096];

#define assert_near(a, b, tol)                                                          \
  do {                                                                                  \
    double a_ = (a), b_ = (b);                                                          \
    if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.9g, expected %.9g +- %g", #a, a_, b_, (double)(tol)); \
  } while (0)

static void import_study_lidc0001_nodule_and_pictures(void **state) {
  (void)state;
  char path[4200], cmd[13000];
  snprintf(path, sizeof path, "%s/study.db", tmp);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/db/lidc_expected.py' '%s' '%s/069.xml'",
           getenv("LT_SOURCE_ROOT"), ratings_dir, study);
  assert_true(dbt_run_kv(cmd) > 30);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(path, &db, &err), 0);
  lt_study_report r;
  assert_int_equal(lt_import_study(db, study, &r, &err), 0);
  assert_string_equal(r.patient, "LIDC-IDRI-0001");
  assert_int_equal(r.slices, 133);
  assert_int_equal(r.readers, 4);
  assert_int_equal(r.nodules_rated, 1); /* the large nodule; the three < 3 mm marks are unrated */
  assert_int_equal(r.reader_sets, 4);
  assert_int_equal(r.masks, 1);
  /* every ROI of every reader's nodule mark is a contour */
  assert_int_equal(r.contours, dbt_kv_int("p0001_xml_rois"));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM contours WHERE kind = 'reader'"), r.contours);
  assert_int_equal(r.thumbnails, r.nodules);
  static const char *const cols[] = {"subtlety",   "sphericity",  "margin",
                                     "lobulation", "spiculation", "malignancy"};
  for (int d = 0; d < 6; d++) {
    char sql[300], key[32];
    snprintf(sql, sizeof sql, "SELECT %s FROM attribute_sets WHERE kind = 'readers_mean'", cols[d]);
    snprintf(key, sizeof key, "p0001_xml_%d", d);
    assert_near(dbt_real(db, sql), strtod(dbt_kv(key), NULL), 1e-9);
  }
  /* README: centre about x 56.2, y 86.2, z -116 mm; list3.2 says 23.1 mm */
  int64_t nid = dbt_int(db, "SELECT nodule_id FROM attribute_sets WHERE kind = 'readers_mean'");
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT x_mm FROM nodules WHERE id = %lld", (long long)nid);
  assert_near(dbt_real(db, sql), 56.2, 1.5);
  snprintf(sql, sizeof sql, "SELECT y_mm FROM nodules WHERE id = %lld", (long long)nid);
  assert_near(dbt_real(db, sql), 86.2, 1.5);
  snprintf(sql, sizeof sql, "SELECT z_mm FROM nodules WHERE id = %lld", (long long)nid);
  assert_near(dbt_real(db, sql), -116, 2.5);
  snprintf(sql, sizeof sql, "SELECT diameter_mm FROM nodules WHERE id = %lld", (long long)nid);
  assert_near(dbt_real(db, sql), 23.1, 2.5);
  /* pictures are PNG */
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM thumbnails WHERE hex(substr(png, 1, 8)) ="
                               " '89504E470D0A1A0A' AND width = 128 AND height = 128"),
                   r.nodules);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM segmentations WHERE kind = 'consensus' AND"
                               " hex(substr(mask_png, 1, 8)) = '89504E470D0A1A0A' AND nx > 20 AND"
                               " ny > 20 AND nz >= 5"),
                   1);
  /* re-run: same rows */
  int64_t n_nod = dbt_int(db, "SELECT count(*) FROM nodules"),
          n_att = dbt_int(db, "SELECT count(*) FROM attribute_sets"),
          n_thumb = dbt_int(db, "SELECT count(*) FROM thumbnails"),
          n_cont = dbt_int(db, "SELECT count(*) FROM contours");
  assert_int_equal(lt_import_study(db, study, &r, &err), 0);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM nodules"), n_nod);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM attribute_sets"), n_att);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM thumbnails"), n_thumb);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM contours"), n_cont);
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM patients"), 1);
  /* read back for display */
  lt_db_nodule_info info;
  assert_int_equal(lt_db_nodule_get(db, nid, &info, &err), 0);
  assert_string_equal(info.pseudonym, "LIDC-IDRI-0001");
  assert_string_equal(info.source, "lidc-xml");
  assert_near(info.x_mm, 56.2, 1.5);
  assert_string_equal(info.diagnosis, "");
  void *png;
  size_t png_n;
  assert_int_equal(lt_db_thumbnail_get(db, nid, "centre-slice", &png, &png_n, &err), 0);
  assert_non_null(png);
  assert_true(png_n > 1000);
  assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
  free(png);
  assert_int_equal(lt_db_thumbnail_get(db, nid, "no-such-kind", &png, &png_n, &err), 0);
  assert_null(png);
  assert_int_equal(lt_db_nodule_get(db, 987654, &info, &err), -1);
  assert_non_null(strstr(err.msg, "no nodule 987654"));
  /* retrievable */
  lt_index *idx;
  assert_int_equal(lt_db_index(db, &idx, &err), 0);
  lt_index_entry e;
  assert_true(lt_index_get(idx, nid, &e));
  assert_near(e.attr[5], 4.75, 1e-6);
  /* the tables' readers' mean of the same nodule (lt-import-ratings) equals the engine's (from
   * the XML through engine/ct/nodules.h), characteristic by characteristic */
  lt_lidc_report lr;
  assert_int_equal(lt_import_lidc_ratings(db, ratings_dir, NULL, &lr, &err), 0);
  static const char *const all9[] = {"subtlety", "internal_structure", "calcification",
                                     "sphericity", "margin", "lobulation", "spiculation",
                                     "texture", "malignancy"};
  for (int c9 = 0; c9 < 9; c9++) {
    char q1[400], q2[400];
    snprintf(q1, sizeof q1,
             "SELECT a.%s FROM attribute_sets a JOIN nodules n ON n.id = a.nodule_id WHERE"
             " n.source = 'lidc-xml' AND a.kind = 'readers_mean'", all9[c9]);
    snprintf(q2, sizeof q2,
             "SELECT a.%s FROM attribute_sets a JOIN nodules n ON n.id = a.nodule_id WHERE"
             " n.source = 'lidc-list3.2' AND n.source_key LIKE 'LIDC-IDRI-0001/%%' AND"
             " a.kind = 'readers_mean'", all9[c9]);
    assert_near(dbt_real(db, q1), dbt_real(db, q2), 1e-9);
  }
  lt_db_check_result c;
  assert_int_equal(lt_db_check(db, &c, &err), 0);
  assert_true(c.integrity_ok);
  assert_int_equal(c.foreign_key_errors, 0);
  lt_db_close(db);
}

static void import_study_refuses_folder_without_ct(void **state) {
  (void)state;
  char path[4200];
  snprintf(path, sizeof path, "%s/empty.db", tmp);
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(path, &db, &err), 0);
  lt_study_report r;
  assert_int_equal(lt_import_study(db, ratings_dir, &r, &err), -1);
  assert_non_null(strstr(err.msg, "import "));
  assert_null(strchr(err.msg, '\n'));
  assert_int_equal(dbt_int(db, "SELECT count(*) FROM series"), 0);
  lt_db_close(db);
}

/* A study imported by a relative path is stored by its absolute one: a retrieval card opens it
 * from the GUI, whose working directory is not the CLI's. */
static void import_study_stores_the_absolute_folder(void **state) {
  (void)state;
  char path[4200], parent[4200], here[4200], abs[4200];
  snprintf(path, sizeof path, "%s/relative.db", tmp);
  snprintf(parent, sizeof parent, "%s", study);
  char *slash = strrchr(parent, '/');
  assert_non_null(slash);
  *slash = 0;
  assert_non_null(getcwd(here, sizeof here));
  assert_non_null(realpath(study, abs));
  lt_db *db;
  lt_error err = {{0}};
  assert_int_equal(lt_db_open(path, &db, &err), 0);
  assert_int_equal(chdir(parent), 0);
  lt_study_report r;
  int rc = lt_import_study(db, slash + 1, &r, &err);
  assert_int_equal(chdir(here), 0);
  assert_int_equal(rc, 0);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(lt_db_sqlite(db), "SELECT path FROM series", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), abs);
  sqlite3_finalize(st);
  lt_db_close(db);
}

int main(void) {
  if (!lt_test_lidc0001_dir(study, sizeof study) ||
      !lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings")) {
    printf("skip: LIDC-IDRI-0001 or lidc-ratings absent from ../shared/data\n");
    return LT_TEST_SKIP;
  }
  if (!lt_test_tmpdir(tmp, sizeof tmp)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(import_study_lidc0001_nodule_and_pictures),
      cmocka_unit_test(import_study_refuses_folder_without_ct),
      cmocka_unit_test(import_study_stores_the_absolute_folder),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) return 1;
  return rc;
}
