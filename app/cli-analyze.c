/* app/cli-analyze.c — `lungtrust-cli analyze`: one nodule (or point) of a study through the
 * review pipeline (engine/review/review.h), printed: the scope decision first (in scope, caution
 * or out of scope, with each reason's sentence and code), the malignancy probability (marked
 * "not a verdict" out of scope), the attributes with the LIDC scale words, the trust checks
 * against the model's own mask and the readers' consensus, and the Dice against the consensus.
 * With --out: seg.nii.gz and cam.nii.gz in the CT volume's geometry and analysis.png (centre
 * slices, CAM heatmap, model contour red, consensus contour green). It holds no analysis logic:
 * it loads the study and prints what the pipeline returns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-data-dir.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "review/export.h"
#include "review/review.h"

static const char usage[] =
    "Usage: lungtrust-cli analyze STUDY (--nodule ID | --at-mm X,Y,Z | --at-voxel I,J,K)\n"
    "                             [--model MODEL] [--out DIR] [--series UID] [--json]\n"
    "                             [--no-readings] [--db FILE]\n\n"
    "Runs the model on the 2x64^3 patch around a nodule or point of STUDY and prints the scope\n"
    "decision (whether the model's answer may be believed here: in scope, caution or out of\n"
    "scope, with the reasons), the malignancy probability, the six attributes (LIDC scale 1-5\n"
    "with its words), the trust check (Grad-CAM inside vs outside the model's own mask, and the\n"
    "readers' consensus when the study has LIDC readings) and the Dice of the segmentation\n"
    "against the consensus. Out of scope, the numbers are printed but are not a verdict.\n"
    "  --model MODEL  weights file written by 'lungtrust-cli train' (default: LUNGTRUST_MODEL,\n"
    "                 else the bundled model, as the workstation takes it; its path is printed)\n"
    "  --out DIR      write seg.nii.gz (uint8, model mask), cam.nii.gz (float32 Grad-CAM) in\n"
    "                 the CT volume's geometry, and analysis.png\n"
    "  --json         print the results as JSON (\"in_scope\", \"scope\" with codes and sentences)\n"
    "  --no-readings  withhold the study's LIDC readings: the CT alone decides (no consensus,\n"
    "                 no readers' texture); with --at-mm or --at-voxel only\n"
    "  --db FILE      also store the run (probability, attributes, trust, scope, the weights'\n"
    "                 hash) on the nodule in FILE, which 'lungtrust-cli import STUDY --db FILE'\n"
    "                 filled; needs --nodule\n";

static const char *scale_words[LT_N_ATTRIBUTES][5] = {
    {"extremely subtle", "moderately subtle", "fairly subtle", "moderately obvious", "obvious"},
    {"linear", "linear to ovoid", "ovoid", "ovoid to round", "round"},
    {"poorly defined", "near poorly defined", "medium", "near sharp", "sharp"},
    {"no lobulation", "nearly none", "medium", "near marked", "marked lobulation"},
    {"no spiculation", "nearly none", "medium", "near marked", "marked spiculation"},
    {"highly unlikely", "moderately unlikely", "indeterminate", "moderately suspicious",
     "highly suspicious"}};

static const char *scale_word(int attr, double v) {
  int k = (int)lround(v);
  k = k < 1 ? 1 : k > 5 ? 5 : k;
  return scale_words[attr][k - 1];
}

static void print_trust(const char *what, const lt_trust *t, bool json) {
  if (json) {
    printf("\"%s\": {\"valid\": %s, \"mean_in\": %.4f, \"mean_out\": %.4f, \"share_in\": %.4f, "
           "\"pass\": %s}",
           what, t->valid ? "true" : "false", t->mean_in, t->mean_out, t->share_in,
           t->pass ? "true" : "false");
  } else if (!t->valid) {
    printf("trust vs %-9s: not measurable (the mask is empty or fills the grid)\n", what);
  } else {
    printf("trust vs %-9s: CAM inside %.3f, outside %.3f, share inside %.1f%%: %s (margin 0.5)\n",
           what, t->mean_in, t->mean_out, 100 * t->share_in, t->pass ? "PASS" : "FAIL");
  }
}

/* Stores one review as a model run on the nodule that `import STUDY` wrote (natural key
 * "SERIES_UID/NODULE_ID" with source "lidc-xml"), with its scope decision. The database must
 * exist already: analyze never creates one, so a mistyped --db path cannot leave an empty
 * database behind. */
static int store_run(const char *db_path, const char *series_uid, const lt_review_result *r,
                     bool quiet, lt_error *err) {
  char key[200];
  snprintf(key, sizeof key, "%s/%s", series_uid, r->nodule_id);
  lt_db *db = NULL;
  if (lt_db_open_existing(db_path, &db, err)) return -1;
  int64_t id = 0;
  int rc = lt_db_find_nodule(db, "lidc-xml", key, &id, err);
  if (!rc && !id)
    rc = lt_error_set(err, "%s: nodule %s of this study is not in the database (run "
                      "'lungtrust-cli import STUDY --db %s' first)", db_path, r->nodule_id, db_path);
  if (!rc) {
    const lt_analysis *an = &r->an;
    char hash[80], codes[256];
    snprintf(hash, sizeof hash, "sha256:%s", r->model_sha256);
    lt_db_model_run run = {0};
    run.nodule_id = id;
    run.weights_hash = hash;
    run.model_name = r->model_name;
    run.probability = an->prob;
    for (int k = 0; k < 6; k++) run.scores[k] = NAN;
    for (int k = 0; k < an->n_attr; k++) run.scores[an->n_attr == 1 ? 5 : k] = an->attrs[k];
    run.cam_inside = an->trust_own.valid ? an->trust_own.share_in : NAN;
    run.ood_score = r->scope.level == LT_SCOPE_OUT ? 1 : 0;
    run.uncertainty = NAN;
    run.scope_level = lt_scope_level_name(r->scope.level);
    run.scope_codes = lt_scope_codes(&r->scope, codes, sizeof codes);
    char *reasons = lt_scope_reasons_json(&r->scope);
    run.scope_reasons = reasons;
    int64_t run_id = 0;
    rc = reasons ? lt_db_add_model_run(db, &run, &run_id, err) : lt_error_set(err, "out of memory");
    free(reasons);
    if (!rc && !quiet)
      printf("stored as model run %lld on database nodule %lld\n", (long long)run_id,
             (long long)id);
  }
  lt_db_close(db);
  return rc;
}

static void print_scope_json(const lt_scope *s) {
  char *reasons = lt_scope_reasons_json(s); /* the database stores the same text */
  printf("\"in_scope\": %s, \"scope\": {\"level\": \"%s\", \"reasons\": %s",
         s->level == LT_SCOPE_OUT ? "false" : "true", lt_scope_level_name(s->level),
         reasons ? reasons : "[]");
  free(reasons);
  const lt_scope_measures *m = &s->m;
  printf(", \"measures\": {");
  const struct { const char *k; double v; } nums[] = {
      {"lung_distance_mm", m->lung_distance_mm}, {"region_mm", m->region_mm},
      {"solid_fraction", m->solid_fraction}, {"solid_mm", m->solid_mm}, {"rim_mm", m->rim_mm},
      {"core_hu", m->core_hu}, {"lung_contact", m->lung_contact},
      {"ggo_fraction", m->ggo_fraction}, {"calcified_fraction", m->calcified_fraction},
      {"extent_mm", m->extent_mm}, {"readers_texture", m->readers_texture},
      {"feature_distance", m->feature_distance}, {"feature_threshold", m->feature_threshold}};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    printf("%s\"%s\": ", i ? ", " : "", nums[i].k);
    if (isfinite(nums[i].v)) printf("%.4g", nums[i].v);
    else printf("null");
  }
  printf(", \"touches_border\": %s}}", m->touches_border ? "true" : "false");
}

int lt_cli_analyze(int argc, char **argv) {
  const char *study = NULL, *model = NULL, *out = NULL, *series = NULL, *nodule = NULL;
  const char *db_path = NULL;
  double at_mm[3];
  int at_vox[3], have_mm = 0, have_vox = 0;
  bool json = false, no_readings = false;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (lt_cli_is_help(s)) {
      fputs(usage, stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(s, "--json")) {
      json = true;
    } else if (!strcmp(s, "--no-readings")) {
      no_readings = true;
    } else if (s[0] == '-' && i + 1 >= argc) {
      return lt_cli_usage_error("analyze", "%s needs a value", s);
    } else if (!strcmp(s, "--model")) {
      model = argv[++i];
    } else if (!strcmp(s, "--out")) {
      out = argv[++i];
    } else if (!strcmp(s, "--series")) {
      series = argv[++i];
    } else if (!strcmp(s, "--db")) {
      db_path = argv[++i];
    } else if (!strcmp(s, "--nodule")) {
      nodule = argv[++i];
    } else if (!strcmp(s, "--at-mm")) {
      if (!lt_cli_parse_triple(argv[++i], at_mm))
        return lt_cli_usage_error("analyze", "--at-mm wants X,Y,Z");
      have_mm = 1;
    } else if (!strcmp(s, "--at-voxel")) {
      if (!lt_cli_parse_int_triple(argv[++i], at_vox))
        return lt_cli_usage_error("analyze", "--at-voxel wants I,J,K");
      have_vox = 1;
    } else if (s[0] == '-') {
      return lt_cli_usage_error("analyze", "unknown option '%s'", s);
    } else if (!study) {
      study = s;
    } else {
      return lt_cli_usage_error("analyze", "unexpected argument '%s'", s);
    }
  }
  if (!study)
    return lt_cli_usage_error("analyze", "no STUDY given");
  if ((nodule != NULL) + have_mm + have_vox != 1)
    return lt_cli_usage_error("analyze", "give exactly one of --nodule, --at-mm, --at-voxel");
  if (db_path && !nodule)
    return lt_cli_usage_error("analyze", "--db stores runs of a study's nodule: give --nodule");
  if (no_readings && nodule)
    return lt_cli_usage_error("analyze", "--no-readings withholds the nodules --nodule names: "
                              "give --at-mm or --at-voxel");

  lt_error err = {{0}};
  char default_model[4096];
  const bool model_defaulted = !model;
  if (!model) {
    if (lt_default_model(default_model, sizeof default_model, &err)) return lt_cli_fail(&err);
    model = default_model;
  }
  if (db_path) { /* refuse a missing or foreign database before spending time on the model */
    lt_db *db = NULL;
    if (lt_db_open_existing(db_path, &db, &err))
      return lt_cli_fail(&err);
    lt_db_close(db);
  }
  lt_review_model *rm = NULL;
  if (lt_review_model_load(&rm, model, &err))
    return lt_cli_fail(&err);
  int rc = LT_EXIT_INPUT;
  lt_volume *v = NULL;
  lt_series_info info;
  memset(&info, 0, sizeof info);
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  lt_review_study rs;
  lt_review_study_init(&rs, NULL, NULL, NULL);
  lt_review_result r;
  memset(&r, 0, sizeof r);
  char paths[3][4096];
  if (lt_series_read(study, series, &v, &info, &err))
    goto fail;
  {
    char warn[512];
    if (lt_series_warning(&info, warn, sizeof warn) > 0)
      fprintf(stderr, "warning: %s\n", warn);
  }
  if (!no_readings) {
    char dir[1024];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", study);
    if (stat(study, &st) == 0 && !S_ISDIR(st.st_mode)) {
      char *slash = strrchr(dir, '/');
      if (slash)
        *slash = 0;
      else
        snprintf(dir, sizeof dir, ".");
    }
    if (lt_lidc_read_for_series(dir, v->series_uid, &doc, &err)) {
      if (nodule)
        goto fail;
      doc = NULL;
    }
  }
  if (doc && lt_nodules_build(doc, v, NULL, &set, &err))
    goto fail;
  lt_review_study_init(&rs, v, set, &info);
  lt_review_request req = {0};
  if (nodule) {
    req.where = LT_REVIEW_AT_NODULE;
    snprintf(req.nodule_id, sizeof req.nodule_id, "%s", nodule);
  } else if (have_vox) {
    req.where = LT_REVIEW_AT_VOXEL;
    for (int a = 0; a < 3; a++) req.at[a] = at_vox[a];
  } else {
    req.where = LT_REVIEW_AT_MM;
    memcpy(req.at, at_mm, sizeof req.at);
  }
  if (lt_review_analyze(&rs, rm, &req, &r, &err)) {
    if (nodule && set && !lt_nodule_set_find(set, nodule))
      lt_error_set(&err, "no nodule '%s' in %s", nodule, study);
    goto fail;
  }
  const lt_analysis *an = &r.an;
  if (out && lt_review_export(&r, v, out, paths, &err))
    goto fail;
  const lt_scope *sc = &r.scope;
  const bool out_of_scope = sc->level == LT_SCOPE_OUT;
  if (json) {
    printf("{\"model\": ");
    lt_cli_print_json_string(stdout, model);
    printf(", \"model_sha256\": \"%s\", \"centre_mm\": [%.3f, %.3f, %.3f], \"nodule\": ",
           r.model_sha256, r.centre_mm[0], r.centre_mm[1], r.centre_mm[2]);
    if (r.has_nodule)
      lt_cli_print_json_string(stdout, r.nodule_id);
    else
      printf("null");
    printf(", ");
    print_scope_json(sc);
    printf(", \"probability\": %.5f, \"attributes\": {", an->prob);
    for (int k = 0; k < an->n_attr; k++) {
      const int attr = an->n_attr == 1 ? 5 : k;
      printf("%s\"%s\": {\"score\": %.3f, \"word\": \"%s\"}", k ? ", " : "",
             lt_attribute_names[attr], an->attrs[k], scale_word(attr, an->attrs[k]));
    }
    printf("}, \"cam_flat\": %s, ", an->cam_flat ? "true" : "false");
    print_trust("own_mask", &an->trust_own, true);
    if (an->has_consensus) {
      printf(", ");
      print_trust("consensus", &an->trust_consensus, true);
      if (an->has_seg)
        printf(", \"dice_consensus\": %.4f", an->dice_consensus);
      else
        printf(", \"dice_consensus\": null"); /* no segmentation (ResNet baseline) */
    }
    printf(", \"nodule_mm\": %.2f, \"ms\": {\"patch\": %.1f, \"model\": %.1f, \"scope\": %.2f, "
           "\"total\": %.1f}", r.nodule_mm, r.ms_patch, r.ms_model, r.ms_scope, r.ms_total);
    static const char *const path_keys[3] = {"seg", "cam", "png"};
    for (int k = 0; out && k < 3; k++) {
      printf(", \"%s\": ", path_keys[k]);
      lt_cli_print_json_string(stdout, paths[k]);
    }
    printf("}\n");
  } else {
    if (model_defaulted) printf("model %s (none named: the default)\n", model);
    printf("centre (%.1f, %.1f, %.1f) mm%s%s\n", r.centre_mm[0], r.centre_mm[1], r.centre_mm[2],
           r.has_nodule ? ", nodule " : "", r.has_nodule ? r.nodule_id : "");
    printf("scope: %s\n", sc->level == LT_SCOPE_IN ? "in scope"
                         : sc->level == LT_SCOPE_CAUTION ? "in scope, with caution"
                                                          : "OUT OF SCOPE: the model's numbers "
                                                            "below are not a verdict");
    for (int k = 0; k < sc->n; k++)
      printf("  %s: %s [%s]\n", sc->reasons[k].level == LT_SCOPE_OUT ? "out of scope" : "caution",
             sc->reasons[k].text, lt_scope_code_name(sc->reasons[k].code));
    printf("malignancy probability %.3f (%s)\n", an->prob,
           out_of_scope ? "out of scope: not a verdict"
                        : an->prob >= 0.5f ? "malignant" : "benign");
    for (int k = 0; k < an->n_attr; k++) {
      const int attr = an->n_attr == 1 ? 5 : k;
      printf("  %-12s %.2f  %s\n", lt_attribute_names[attr], an->attrs[k],
             scale_word(attr, an->attrs[k]));
    }
    if (an->cam_flat)
      printf("Grad-CAM is flat: it shows nothing\n");
    if (an->has_seg)
      print_trust("own mask", &an->trust_own, false);
    else
      printf("this model has no segmentation: no own mask to check the Grad-CAM against\n");
    if (an->has_consensus) {
      print_trust("consensus", &an->trust_consensus, false);
      if (an->has_seg)
        printf("Dice of the segmentation against the readers' consensus: %.3f\n",
               an->dice_consensus);
    }
    if (out)
      printf("wrote %s, %s, %s\n", paths[0], paths[1], paths[2]);
  }
  if (db_path && store_run(db_path, v->series_uid, &r, json, &err))
    goto fail;
  rc = LT_EXIT_OK;
  goto done;
fail:
  lt_cli_fail(&err);
done:
  lt_review_result_free(&r);
  lt_review_study_clear(&rs);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_series_info_free(&info);
  lt_volume_free(v);
  lt_review_model_free(rm);
  return rc;
}
