/* tests/review/test-review-study.c — the review pipeline on LIDC-IDRI-0001 (../shared, else the
 * bundled demo copy) with the shipped default model: a result carries what it belongs to (the
 * nodule's ID, the centre, the model's name and SHA-256), a point inside the nodule's outline
 * finds that nodule, the lung mask is computed once per study, a point in the air outside the
 * body is analysed but out of scope (outside_lungs) with its numbers kept, LIDC-IDRI-0001's
 * nodule is out of scope as over-size (its outline reaches the 32 mm field's edge; docs/scope.md),
 * an unknown nodule is one error line, and lt_review_patch gives the analysis's own patch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/lidc.h"
#include "ct/series.h"
#include "lt-test.h"
#include "review/review.h"

static char study_dir[4096], model_path[4096];
static lt_volume *vol;
static lt_series_info info;
static lt_lidc_doc *doc;
static lt_nodule_set *set;
static lt_review_model *rm;

static int setup(void **state) {
  (void)state;
  lt_error err = {{0}};
  if (!lt_test_lidc0001_dir(study_dir, sizeof study_dir)) {
    const char *src = getenv("LT_SOURCE_ROOT");
    snprintf(study_dir, sizeof study_dir, "%s/resources/demo/LIDC-IDRI-0001", src ? src : ".");
  }
  const char *src = getenv("LT_SOURCE_ROOT");
  snprintf(model_path, sizeof model_path, "%s/resources/models/lungtrust-default-w16.safetensors",
           src ? src : ".");
  if (lt_series_read(study_dir, NULL, &vol, &info, &err) ||
      lt_lidc_read_for_series(study_dir, vol->series_uid, &doc, &err) ||
      lt_nodules_build(doc, vol, NULL, &set, &err) || lt_review_model_load(&rm, model_path, &err)) {
    printf("setup: %s\n", err.msg);
    return -1;
  }
  printf("study %s, model %s (sha256 %s)\n", study_dir, rm->name, rm->sha256);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lt_review_model_free(rm);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_series_info_free(&info);
  lt_volume_free(vol);
  return 0;
}

static void results_carry_their_nodule_model_and_scope(void **state) {
  (void)state;
  lt_review_study s;
  lt_review_study_init(&s, vol, set, &info);
  lt_error err = {{0}};
  lt_review_request req = {.where = LT_REVIEW_AT_NODULE, .nodule_id = "1"};
  lt_review_result r;
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), 0);
  char line[256];
  printf("nodule 1: p %.3f, Dice %.3f, %s; lungs %.0f ms, scope %.2f ms, model %.0f ms\n",
         r.an.prob, r.an.dice_consensus, lt_review_verdict_line(&r, line, sizeof line),
         r.ms_lungs, r.ms_scope, r.ms_model);
  assert_string_equal(r.nodule_id, "1");
  assert_true(r.has_nodule);
  assert_int_equal(r.n_readers, 4);
  assert_string_equal(r.model_name, "lungtrust-default-w16.safetensors");
  assert_int_equal(strlen(r.model_sha256), 64);
  assert_string_equal(r.model_sha256, rm->sha256);
  assert_true(fabs(r.centre_mm[2] - set->nodules[0].centroid_mm[2]) < 1e-9);
  assert_true(r.an.has_consensus);
  assert_true(r.nodule_mm_from_readers);
  assert_true(fabs(r.mean_ratings[LT_LIDC_TEXTURE] - 4.75) < 1e-9);
  /* 31-36 mm along its long axis: the outline leaves the 32 mm field */
  assert_true(lt_scope_has(&r.scope, LT_SCOPE_OVERSIZE));
  assert_false(lt_scope_has(&r.scope, LT_SCOPE_NOT_SOLID));
  assert_false(lt_scope_has(&r.scope, LT_SCOPE_OUTSIDE_LUNGS));
  assert_false(lt_scope_has(&r.scope, LT_SCOPE_ACQUISITION)); /* the training data's own scan */
  assert_int_equal(r.scope.level, LT_SCOPE_OUT);
  assert_true(r.ms_lungs > 0);
  const float prob = r.an.prob;
  lt_review_result_free(&r);

  /* a point inside its outline belongs to it; the lung mask is not computed again */
  req = (lt_review_request){.where = LT_REVIEW_AT_VOXEL, .at = {316, 366, 89}};
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), 0);
  assert_string_equal(r.nodule_id, "1");
  assert_true(r.ms_lungs == 0);
  lt_review_result_free(&r);

  /* air in front of the chest: analysed, kept, out of scope */
  req = (lt_review_request){.where = LT_REVIEW_AT_VOXEL, .at = {256, 15, 66}};
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), 0);
  printf("air: p %.3f, %s\n", r.an.prob, lt_review_verdict_line(&r, line, sizeof line));
  assert_false(r.has_nodule);
  assert_string_equal(r.nodule_id, "");
  assert_true(lt_scope_has(&r.scope, LT_SCOPE_OUTSIDE_LUNGS));
  assert_int_equal(r.scope.level, LT_SCOPE_OUT);
  assert_true(r.an.prob >= 0 && r.an.prob <= 1);
  assert_non_null(strstr(line, "not a verdict"));
  lt_review_result_free(&r);

  /* the patch alone is the analysis's patch */
  req = (lt_review_request){.where = LT_REVIEW_AT_NODULE, .nodule_id = "1"};
  lt_review_result a, b;
  assert_int_equal(lt_review_patch(&s, &req, &a, &err), 0);
  assert_int_equal(lt_review_analyze(&s, rm, &req, &b, &err), 0);
  assert_memory_equal(a.patch->ch, b.patch->ch, sizeof a.patch->ch);
  assert_memory_equal(a.consensus, b.consensus, LT_PATCH_VOXELS);
  assert_true(b.an.prob == prob);
  lt_review_result_free(&a);
  lt_review_result_free(&b);

  /* an unknown nodule: one line */
  req = (lt_review_request){.where = LT_REVIEW_AT_NODULE, .nodule_id = "9"};
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), -1);
  printf("unknown nodule: %s\n", err.msg);
  assert_null(strchr(err.msg, '\n'));
  lt_review_study_clear(&s);

  /* readings withheld: no nodule to name, and a point is analysed from the CT alone */
  lt_review_study_init(&s, vol, NULL, &info);
  req = (lt_review_request){.where = LT_REVIEW_AT_NODULE, .nodule_id = "1"};
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), -1);
  req = (lt_review_request){.where = LT_REVIEW_AT_MM};
  memcpy(req.at, set->nodules[0].centroid_mm, sizeof req.at);
  assert_int_equal(lt_review_analyze(&s, rm, &req, &r, &err), 0);
  assert_false(r.has_nodule);
  assert_false(r.an.has_consensus);
  assert_true(isnan(r.scope.m.readers_texture));
  assert_false(r.nodule_mm_from_readers);
  printf("readings withheld: p %.3f, %s\n", r.an.prob, lt_review_verdict_line(&r, line, sizeof line));
  lt_review_result_free(&r);
  lt_review_study_clear(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(results_carry_their_nodule_model_and_scope),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
