/* engine/synth/manifest.c — see manifest.h. */
#include "synth/manifest.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *vec(const double *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(round(v[i] * 1e4) / 1e4));
  return a;
}

static cJSON *sample_json(const lt_synth_case *c, const lt_synth_nodule *nd, bool confound) {
  cJSON *s = cJSON_CreateObject();
  char buf[128];
  snprintf(buf, sizeof buf, "%s/n%d", c->id, nd->number);
  cJSON_AddStringToObject(s, "id", buf);
  cJSON_AddStringToObject(s, "case", c->id);
  cJSON_AddNumberToObject(s, "nodule", nd->number);
  cJSON_AddItemToObject(s, "centre_mm", vec(nd->centre_mm, 3));
  cJSON_AddStringToObject(s, "set", nd->sure ? "sure" : "unsure");
  if (nd->sure) {
    cJSON_AddNumberToObject(s, "label", nd->truth_label.label);
    cJSON_AddNumberToObject(s, "radius_mm", round(nd->attrs.diameter_mm / 2 * 1e3) / 1e3);
    cJSON_AddNullToObject(s, "ratings");
    cJSON_AddNullToObject(s, "mask");
  } else {
    cJSON_AddNullToObject(s, "label");
    cJSON_AddNullToObject(s, "radius_mm");
    if (nd->imported) {
      cJSON_AddItemToObject(s, "ratings", vec(nd->mean_ratings, LT_ATTR_N));
      cJSON_AddNumberToObject(s, "n_readers", nd->n_readers);
      snprintf(buf, sizeof buf, "%s/%s", c->id, nd->mask_file);
      cJSON_AddStringToObject(s, "mask", buf);
    } else {
      cJSON_AddNullToObject(s, "ratings");
      cJSON_AddNullToObject(s, "mask");
    }
    cJSON *rr = cJSON_CreateArray();
    for (int r = 0; r < LT_SYNTH_READERS; r++) {
      if (!nd->views[r].seen) {
        cJSON_AddItemToArray(rr, cJSON_CreateNull());
        continue;
      }
      cJSON *one = cJSON_CreateArray();
      for (int a = 0; a < LT_ATTR_N; a++) cJSON_AddItemToArray(one, cJSON_CreateNumber(nd->views[r].rating[a]));
      cJSON_AddItemToArray(rr, one);
    }
    cJSON_AddItemToObject(s, "reader_ratings", rr);
  }
  if (confound) {
    cJSON *cf = cJSON_CreateObject();
    cJSON_AddBoolToObject(cf, "speck", nd->speck);
    if (nd->speck) cJSON_AddItemToObject(cf, "speck_mm", vec(nd->speck_mm, 3));
    cJSON_AddItemToObject(s, "confound", cf);
  }
  cJSON *t = cJSON_CreateObject();
  cJSON_AddNumberToObject(t, "label", nd->truth_label.label);
  cJSON_AddNumberToObject(t, "rule_label", nd->truth_label.rule_label);
  cJSON_AddBoolToObject(t, "flipped", nd->truth_label.flipped);
  cJSON_AddNumberToObject(t, "score", round(nd->truth_label.score * 1e4) / 1e4);
  cJSON_AddNumberToObject(t, "diameter_mm", round(nd->attrs.diameter_mm * 1e3) / 1e3);
  cJSON_AddItemToObject(t, "attributes", vec(nd->attrs.score, LT_ATTR_N));
  cJSON_AddNumberToObject(t, "lidc_source_nodule", nd->attrs.source);
  snprintf(buf, sizeof buf, "%s/%s", c->id, nd->truth_file);
  cJSON_AddStringToObject(t, "mask", buf);
  cJSON_AddNumberToObject(t, "mask_voxels", (double)nd->truth_voxels);
  if (nd->imported) cJSON_AddNumberToObject(t, "dice_consensus", round(nd->dice_consensus_truth * 1e4) / 1e4);
  cJSON_AddItemToObject(s, "truth", t);
  return s;
}

int lt_synth_manifest_write(const char *path, const lt_synth_manifest_info *info,
                            const lt_synth_case *cases, int n_cases, lt_error *err) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return lt_error_set(err, "out of memory"), -1;
  cJSON_AddStringToObject(root, "format", "lungtrust-synth-manifest");
  cJSON_AddNumberToObject(root, "version", 1);
  char buf[64];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)info->seed);
  cJSON_AddStringToObject(root, "seed", buf);
  cJSON_AddBoolToObject(root, "confound", info->confound);
  cJSON_AddStringToObject(root, "attributes",
                          "subtlety, sphericity, margin, lobulation, spiculation, malignancy (1-5)");
  cJSON *rule = cJSON_CreateObject();
  cJSON_AddNumberToObject(rule, "version", LT_TRUTH_RULE_VERSION);
  cJSON_AddStringToObject(rule, "score",
                          "log2(d/8mm) + 0.8(spiculation-1) + 0.5(lobulation-1) + 0.5(4-margin) - 0.6");
  cJSON_AddStringToObject(rule, "label", "score > 0, flipped with probability flip");
  cJSON_AddNumberToObject(rule, "flip", LT_TRUTH_FLIP);
  cJSON_AddItemToObject(root, "truth_rule", rule);
  cJSON *bg = cJSON_CreateObject();
  cJSON_AddStringToObject(bg, "study", info->study_dir);
  cJSON_AddStringToObject(bg, "patient_id", info->study->vol->patient_id);
  cJSON_AddStringToObject(bg, "series_uid", info->study->vol->series_uid);
  cJSON_AddNumberToObject(bg, "noise_sd_hu", round(info->study->scanner.noise_sd_hu * 100) / 100);
  cJSON_AddNumberToObject(bg, "psf_sigma_mm", round(info->study->scanner.psf_sigma_mm * 1000) / 1000);
  cJSON_AddNumberToObject(bg, "real_nodules_kept_clear", info->study->n_real_nodules);
  cJSON_AddItemToObject(root, "background", bg);
  cJSON_AddStringToObject(root, "ratings_source", info->ratings_dir);
  cJSON_AddNumberToObject(root, "attribute_pool", info->attr_pool_size);
  cJSON_AddStringToObject(root, "model_card_note", LT_SYNTH_MODEL_CARD_NOTE);
  cJSON_AddStringToObject(root, "folds", "fold = case index % 5: every sample of a case is in one fold");
  if (info->confound)
    cJSON_AddStringToObject(root, "confound_rule",
                            "split train (fold 0-3): a bright speck at (+12,+12,0) mm from the centre "
                            "with probability 0.9 if malignant, 0.1 if benign; split test (fold 4): none");
  cJSON *arr = cJSON_CreateArray();
  cJSON_AddItemToObject(root, "cases", arr);
  for (int i = 0; i < n_cases; i++) {
    const lt_synth_case *c = &cases[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "dir", c->id);
    cJSON_AddNumberToObject(o, "fold", c->fold);
    cJSON_AddStringToObject(o, "split", c->split);
    cJSON_AddStringToObject(o, "series_uid", c->series_uid);
    cJSON_AddNumberToObject(o, "slab_first_slice", c->k0);
    cJSON_AddNumberToObject(o, "slices", c->geom.dim[2]);
    cJSON *ss = cJSON_CreateArray();
    for (int j = 0; j < c->n; j++) cJSON_AddItemToArray(ss, sample_json(c, &c->nodules[j], info->confound));
    cJSON_AddItemToObject(o, "samples", ss);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return lt_error_set(err, "out of memory"), -1;
  FILE *f = fopen(path, "w");
  if (!f) {
    free(text);
    return lt_error_set(err, "cannot write %s", path), -1;
  }
  int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  ok &= fclose(f) == 0;
  free(text);
  if (!ok) return lt_error_set(err, "cannot write %s", path), -1;
  return 0;
}
