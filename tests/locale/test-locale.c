/* tests/locale/test-locale.c — the engine and the database read and write numbers with '.'
 * whatever the process locale (engine/lt-locale.h). The process takes fr_FR.UTF-8 (a comma as
 * decimal separator), generated here with localedef under a temporary LOCPATH, as the workstation
 * does with setlocale(LC_ALL, ""); then LIDC-IDRI-0001's series, readers' XML and nodules, the
 * LIDC tables (both readers: db import and synth tables) and the writers (LIDC XML, a DICOM
 * slice, a refit's JSON, cJSON) must give exactly what they give under "C". Skips, saying why,
 * without ../shared or when the locale cannot be generated (no `locales` package). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-locale.h"
#include "lt-test.h"
#include "model/refit.h"
#include "synth/dicom-write.h"
#include "synth/lidc-tables.h"
#include "synth/lidc-write.h"

static char series_dir[4096], xml_path[4200], ratings_dir[4096], tmp[4096];
static const char *comma_locale; /* the name setlocale took */

static void to_comma(void) { assert_non_null(setlocale(LC_ALL, comma_locale)); }
static void to_c(void) { assert_non_null(setlocale(LC_ALL, "C")); }

/* A digit, a comma, a digit: a number written with the locale's decimal separator. */
static const char *comma_number(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p == ',' && p > s && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]))
      return p;
  return NULL;
}

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)len + 1);
  if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) b[len] = 0;
  if (n) *n = (size_t)len;
  return b;
}

/* The locale really is a comma locale: the premise of every test below. */
static void comma_locale_prints_commas(void **state) {
  (void)state;
  to_comma();
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f", 1.5);
  assert_string_equal(buf, "1,50");
  assert_string_equal(localeconv()->decimal_point, ",");
  char *end;
  /* the module: '.' in, '.' out, and the thread's locale given back */
  assert_true(lt_strtod("-125.000000", &end) == -125.0 && *end == 0);
  assert_true(lt_strtod("6459.75", &end) == 6459.75 && *end == 0);
  assert_true(lt_strtod("3,5", &end) == 3.0 && *end == ','); /* ',' separates lists */
  lt_snprintf_c(buf, sizeof buf, "%.3f|%g", 1.5, 0.25);
  assert_string_equal(buf, "1.500|0.25");
  locale_t was = lt_locale_c_begin();
  snprintf(buf, sizeof buf, "%.1f", 2.5);
  assert_string_equal(buf, "2.5");
  lt_locale_c_end(was);
  snprintf(buf, sizeof buf, "%.1f", 2.5);
  assert_string_equal(buf, "2,5");
  to_c();
}

static void same_doc(const lt_lidc_doc *a, const lt_lidc_doc *b) {
  assert_int_equal(a->n_readers, b->n_readers);
  for (int r = 0; r < a->n_readers; r++) {
    const lt_lidc_reader *ra = &a->readers[r], *rb = &b->readers[r];
    assert_int_equal(ra->n_marks, rb->n_marks);
    assert_int_equal(ra->n_non_nodules, rb->n_non_nodules);
    for (int m = 0; m < ra->n_marks; m++) {
      const lt_lidc_mark *ma = &ra->marks[m], *mb = &rb->marks[m];
      assert_int_equal(ma->n_rois, mb->n_rois);
      assert_memory_equal(ma->ratings, mb->ratings, sizeof ma->ratings);
      for (int k = 0; k < ma->n_rois; k++) {
        const lt_lidc_roi *ka = &ma->rois[k], *kb = &mb->rois[k];
        assert_true(ka->z == kb->z || (isnan(ka->z) && isnan(kb->z)));
        assert_int_equal(ka->n_points, kb->n_points);
        for (int p = 0; p < ka->n_points; p++) {
          assert_true(ka->points[p].x == kb->points[p].x);
          assert_true(ka->points[p].y == kb->points[p].y);
        }
      }
    }
    for (int k = 0; k < ra->n_non_nodules; k++) {
      assert_true(ra->non_nodules[k].z == rb->non_nodules[k].z);
      assert_true(ra->non_nodules[k].locus.x == rb->non_nodules[k].locus.x);
    }
  }
}

/* The symptom of issue 29: "<imageZposition> ... is not a number: '-125.000000'", 0 nodules. */
static void lidc0001_xml_and_nodules_read_alike(void **state) {
  (void)state;
  lt_error err = {{0}};
  lt_lidc_doc *c_doc = NULL, *fr_doc = NULL;
  to_c();
  assert_int_equal(lt_lidc_read_file(xml_path, &c_doc, &err), 0);
  lt_volume *c_vol = NULL, *fr_vol = NULL;
  assert_int_equal(lt_series_read(series_dir, NULL, &c_vol, NULL, &err), 0);
  lt_nodule_set *c_set = NULL, *fr_set = NULL;
  assert_int_equal(lt_nodules_build(c_doc, c_vol, NULL, &c_set, &err), 0);

  to_comma();
  if (lt_lidc_read_file(xml_path, &fr_doc, &err) != 0) fail_msg("under %s: %s", comma_locale, err.msg);
  same_doc(c_doc, fr_doc);
  assert_int_equal(lt_lidc_doc_mark_count(fr_doc), lt_lidc_doc_mark_count(c_doc));
  /* DICOM decimal strings (DCMTK's own parser) */
  if (lt_series_read(series_dir, NULL, &fr_vol, NULL, &err) != 0) fail_msg("%s", err.msg);
  assert_memory_equal(fr_vol->geom.spacing, c_vol->geom.spacing, sizeof c_vol->geom.spacing);
  assert_memory_equal(fr_vol->geom.origin, c_vol->geom.origin, sizeof c_vol->geom.origin);
  if (lt_nodules_build(fr_doc, fr_vol, NULL, &fr_set, &err) != 0) fail_msg("%s", err.msg);
  assert_true(c_set->n_nodules > 0);
  assert_int_equal(fr_set->n_nodules, c_set->n_nodules);
  to_c();
  printf("LIDC-IDRI-0001 under %s: %d readers, %d marks, %d nodules (C: %d)\n", comma_locale,
         fr_doc->n_readers, lt_lidc_doc_mark_count(fr_doc), fr_set->n_nodules, c_set->n_nodules);
  lt_nodule_set_free(c_set);
  lt_nodule_set_free(fr_set);
  lt_volume_free(c_vol);
  lt_volume_free(fr_vol);
  lt_lidc_doc_free(c_doc);
  lt_lidc_doc_free(fr_doc);
}

static void import_ratings(const char *name, char *json, int n) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", tmp, name);
  lt_db *db;
  lt_error err = {{0}};
  if (lt_db_open(path, &db, &err)) fail_msg("%s", err.msg);
  lt_lidc_report r;
  if (lt_import_lidc_ratings(db, ratings_dir, NULL, &r, &err) != 0)
    fail_msg("import under %s: %s", setlocale(LC_NUMERIC, NULL), err.msg);
  lt_db_close(db);
  assert_true(r.nodules_with_attributes > 2500);
  lt_lidc_report_json(&r, json, n);
}

/* The symptom: "volume '6459.75' is not a number", no similar nodules. */
static void lidc_tables_import_alike(void **state) {
  (void)state;
  char c_json[2048], fr_json[2048];
  to_c();
  import_ratings("c.db", c_json, sizeof c_json);
  lt_lidc_tables *ct = NULL, *ft = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_tables_read(ratings_dir, &ct, &err), 0);
  to_comma();
  import_ratings("fr.db", fr_json, sizeof fr_json);
  if (lt_lidc_tables_read(ratings_dir, &ft, &err) != 0) fail_msg("synth tables: %s", err.msg);
  to_c();
  assert_string_equal(fr_json, c_json);
  assert_int_equal(ft->n_nodules, ct->n_nodules);
  for (int i = 0; i < ct->n_nodules; i++) {
    assert_true(ft->nodules[i].volume_mm3 == ct->nodules[i].volume_mm3);
    assert_true(ft->nodules[i].diameter_mm == ct->nodules[i].diameter_mm);
  }
  printf("LIDC tables under %s: %s\n", comma_locale, fr_json);
  lt_lidc_tables_free(ct);
  lt_lidc_tables_free(ft);
}

/* The writers under the comma locale: LIDC XML read back equal, DICOM decimal strings and a
 * refit's JSON with '.', cJSON's numbers both ways. */
static void writers_write_dots(void **state) {
  (void)state;
  lt_error err = {{0}};
  lt_lidc_doc *doc = NULL, *back = NULL;
  to_c();
  assert_int_equal(lt_lidc_read_file(xml_path, &doc, &err), 0);
  /* a fraction in every coordinate the writer prints */
  for (int r = 0; r < doc->n_readers; r++)
    for (int m = 0; m < doc->readers[r].n_marks; m++)
      for (int k = 0; k < doc->readers[r].marks[m].n_rois; k++) {
        lt_lidc_roi *roi = &doc->readers[r].marks[m].rois[k];
        roi->z += 0.625;
        for (int p = 0; p < roi->n_points; p++) roi->points[p].x += 0.25;
      }
  char path[4200];
  snprintf(path, sizeof path, "%s/written.xml", tmp);
  to_comma();
  assert_int_equal(lt_lidc_write_file(doc, path, &err), 0);
  char *text = slurp(path, NULL);
  assert_non_null(text);
  const char *bad = comma_number(text);
  if (bad) fail_msg("LIDC XML written with a comma: '%.20s'", bad - 8);
  if (lt_lidc_read_file(path, &back, &err) != 0) fail_msg("%s", err.msg);
  same_doc(doc, back);
  free(text);

  /* one DICOM slice: its decimal strings */
  int16_t hu[4] = {-1000, 0, 40, 1000};
  lt_ct_slice s = {.patient_id = "LT-LOCALE", .patient_name = "LOCALE^TEST", .study_uid = "2.25.1",
                   .series_uid = "2.25.2", .sop_uid = "2.25.3", .frame_of_reference_uid = "2.25.4",
                   .study_date = "20261208", .series_description = "locale", .manufacturer = "LT",
                   .model_name = "test", .instance_number = 1,
                   .ipp = {-166.5, -171.699997, -125.25}, .iop = {1, 0, 0, 0, 1, 0},
                   .pixel_spacing = {0.703125, 0.703125}, .slice_thickness = 2.5, .rows = 2,
                   .cols = 2, .hu = hu};
  snprintf(path, sizeof path, "%s/slice.dcm", tmp);
  assert_int_equal(lt_dicom_write_ct_slice(path, &s, &err), 0);
  size_t n;
  char *dcm = slurp(path, &n);
  assert_non_null(dcm);
  assert_non_null(memmem(dcm, n, "-166.500000\\-171.699997\\-125.250000", 35));
  assert_non_null(memmem(dcm, n, "0.703125\\0.703125", 17));
  assert_non_null(memmem(dcm, n, "2.500000", 8));
  assert_null(memmem(dcm, n, "0,703125", 8));
  free(dcm);
  lt_volume *vol = NULL;
  if (lt_series_read(path, NULL, &vol, NULL, &err) != 0) fail_msg("%s", err.msg);
  assert_true(vol->geom.spacing[0] == 0.703125 && vol->geom.origin[2] == -125.25);
  lt_volume_free(vol);

  /* a refit's JSON (the weights' metadata) */
  lt_attr_refit rf;
  memset(&rf, 0, sizeof rf);
  rf.n_measures = LT_REFIT_N_MEASURES;
  rf.lambda = 0.125;
  rf.n_fit = 7;
  for (int k = 0; k < LT_N_ATTRIBUTES; k++)
    for (int j = 0; j < 1 + LT_REFIT_N_IN; j++) rf.w[k][j] = 0.1 * (k + 1) + j / 3.0;
  for (int j = 0; j < LT_REFIT_N_IN; j++) {
    rf.lo[j] = -0.5 - j;
    rf.hi[j] = 1.5 + j;
  }
  char *js = lt_attr_refit_to_json(&rf);
  assert_non_null(js);
  /* "0,1" would split a weight in two: the JSON would not read back, or not to the same values */
  assert_non_null(strstr(js, "\"lambda\":0.125"));
  assert_non_null(strstr(js, "0.10000000000000001,"));
  lt_attr_refit rb;
  if (lt_attr_refit_from_json(&rb, js, &err) != 0) fail_msg("%s", err.msg);
  assert_memory_equal(rb.w, rf.w, sizeof rf.w);
  assert_memory_equal(rb.lo, rf.lo, sizeof rf.lo);
  assert_true(rb.lambda == rf.lambda);
  free(js);

  /* cJSON (manifests, safetensors headers, state files): Debian's 1.7.15 swaps the separator */
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "x", 1.25);
  char *cj = cJSON_PrintUnformatted(o);
  assert_string_equal(cj, "{\"x\":1.25}");
  free(cj);
  cJSON_Delete(o);
  o = cJSON_Parse("{\"x\":-125.5}");
  assert_true(cJSON_GetObjectItem(o, "x")->valuedouble == -125.5);
  cJSON_Delete(o);
  to_c();
  lt_lidc_doc_free(doc);
  lt_lidc_doc_free(back);
}

/* fr_FR.UTF-8 as installed, else generated by localedef into a LOCPATH of our own. */
static const char *make_comma_locale(char *why, size_t n) {
  if (setlocale(LC_ALL, "fr_FR.UTF-8")) return "fr_FR.UTF-8";
  char dir[4300], cmd[9000], out[512];
  snprintf(dir, sizeof dir, "%s/locales", tmp);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && localedef -i fr_FR -f UTF-8 '%s/fr_FR.UTF-8'", dir,
           dir);
  int rc = lt_test_run(cmd, out, sizeof out);
  setenv("LOCPATH", dir, 1);
  if (setlocale(LC_ALL, "fr_FR.UTF-8")) return "fr_FR.UTF-8";
  out[strcspn(out, "\n")] = 0;
  snprintf(why, n, "localedef -i fr_FR -f UTF-8 failed (status %d: %.200s); the `locales` package "
           "brings /usr/share/i18n", rc, out);
  return NULL;
}

int main(void) {
  if (!lt_test_lidc0001_dir(series_dir, sizeof series_dir) ||
      !lt_test_data_path(ratings_dir, sizeof ratings_dir, "lidc-ratings")) {
    printf("SKIP: ../shared/data (LIDC-IDRI-0001 and lidc-ratings) is absent\n");
    return LT_TEST_SKIP;
  }
  snprintf(xml_path, sizeof xml_path, "%s/069.xml", series_dir);
  if (!lt_test_tmpdir(tmp, sizeof tmp)) {
    printf("cannot make a temporary folder\n");
    return 1;
  }
  char why[400];
  comma_locale = make_comma_locale(why, sizeof why);
  if (!comma_locale) {
    printf("SKIP: no comma locale: %s\n", why);
    return LT_TEST_SKIP;
  }
  setlocale(LC_ALL, "C");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(comma_locale_prints_commas),
      cmocka_unit_test(lidc0001_xml_and_nodules_read_alike),
      cmocka_unit_test(lidc_tables_import_alike),
      cmocka_unit_test(writers_write_dots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
