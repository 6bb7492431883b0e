/* tests/bench/bench-review.c — what the scope decision adds to one analysis. Loads a study with
 * its readings (argv[1], default the bundled demo) and the default model, computes the lung mask
 * once (a per-study cost, printed apart), then reviews one nodule (argv[2], default "1") and one
 * point without readings, RUNS times each, and prints the medians of the patch, the model
 * (forward, Grad-CAM, trust) and the scope checks, and the scope's share of the analysis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/lidc.h"
#include "ct/series.h"
#include "review/review.h"

enum { RUNS = 15 };

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  const char *src = getenv("LT_SOURCE_ROOT");
  char study[4096], model[4096];
  snprintf(study, sizeof study, "%s", argc > 1 ? argv[1] : "");
  if (!study[0]) snprintf(study, sizeof study, "%s/resources/demo/LIDC-IDRI-0001", src ? src : ".");
  snprintf(model, sizeof model, "%s/resources/models/lungtrust-default-w16.safetensors",
           src ? src : ".");
  const char *nodule = argc > 2 ? argv[2] : "1";
  lt_error err = {{0}};
  lt_volume *v = NULL;
  lt_series_info info;
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  lt_review_model *rm = NULL;
  if (lt_series_read(study, NULL, &v, &info, &err) ||
      lt_lidc_read_for_series(study, v->series_uid, &doc, &err) ||
      lt_nodules_build(doc, v, NULL, &set, &err) || lt_review_model_load(&rm, model, &err)) {
    fprintf(stderr, "bench-review: %s\n", err.msg);
    return 1;
  }
  for (int pass = 0; pass < 2; pass++) {
    lt_review_study s;
    lt_review_study_init(&s, v, pass ? NULL : set, &info);
    lt_review_study_lungs(&s, &err);
    const lt_nodule *nd = lt_nodule_set_find(set, nodule);
    lt_review_request req = {.where = LT_REVIEW_AT_NODULE};
    snprintf(req.nodule_id, sizeof req.nodule_id, "%s", nodule);
    if (pass) {
      req.where = LT_REVIEW_AT_MM;
      memcpy(req.at, nd->centroid_mm, sizeof req.at);
    }
    double patch[RUNS], mdl[RUNS], scope[RUNS], total[RUNS];
    lt_review_result r;
    if (lt_review_analyze(&s, rm, &req, &r, &err)) { /* warm-up: oneDNN's primitives */
      fprintf(stderr, "bench-review: %s\n", err.msg);
      return 1;
    }
    lt_review_result_free(&r);
    for (int i = 0; i < RUNS; i++) {
      if (lt_review_analyze(&s, rm, &req, &r, &err)) return 1;
      patch[i] = r.ms_patch, mdl[i] = r.ms_model, scope[i] = r.ms_scope, total[i] = r.ms_total;
      lt_review_result_free(&r);
    }
    const double ms = median(scope, RUNS), mt = median(total, RUNS);
    printf("%s: lung mask %.0f ms (once per study); medians of %d: patch %.1f ms, model %.1f ms, "
           "scope checks %.2f ms, analysis %.1f ms; the scope checks are %.1f%% of it\n",
           pass ? "point, readings withheld" : "nodule with readings", s.lung_ms, RUNS,
           median(patch, RUNS), median(mdl, RUNS), ms, mt, 100 * ms / mt);
    lt_review_study_clear(&s);
  }
  lt_review_model_free(rm);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_series_info_free(&info);
  lt_volume_free(v);
  return 0;
}
