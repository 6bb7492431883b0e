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

static double r2(double x) { return round(x * 100) / 100; }

/* The nodule's kind and placement (docs/synth.md, "Abnormal nodules: the scope sets"). */
static void kind_json(cJSON *t, const lt_synth_nodule *nd) {
  const lt_nodule_shape *sh = &nd->shape;
  cJSON_AddStringToObject(t, "kind", lt_nodule_kind_names[nd->kind]);
  /* solid: no ground-glass component (solid, calcified and oversize nodules). */
  cJSON_AddBoolToObject(t, "solid", nd->kind != LT_KIND_GROUND_GLASS && nd->kind != LT_KIND_PART_SOLID);
  cJSON_AddBoolToObject(t, "calcified", nd->kind == LT_KIND_CALCIFIED);
  cJSON_AddBoolToObject(t, "juxtapleural", nd->juxtapleural);
  cJSON_AddItemToObject(t, "centre_mm", vec(nd->centre_mm, 3));
  double e[3] = {r2(nd->extent_mm[0]), r2(nd->extent_mm[1]), r2(nd->extent_mm[2])};
  cJSON_AddItemToObject(t, "extent_mm", vec(e, 3));
  cJSON_AddItemToObject(t, "mask_extent_mm", vec(nd->mask_extent_mm, 3));
  if (isfinite(nd->pleura_mm)) cJSON_AddNumberToObject(t, "pleura_distance_mm", r2(nd->pleura_mm));
  else cJSON_AddNullToObject(t, "pleura_distance_mm");
  cJSON_AddNumberToObject(t, "lung_share", round(nd->lung_share * 1e4) / 1e4);
  cJSON_AddBoolToObject(t, "touches_lung_boundary", nd->touches_boundary);
  cJSON *hu = cJSON_CreateObject();
  cJSON_AddNumberToObject(hu, "mean", r2(nd->hu_mean));
  cJSON_AddNumberToObject(hu, "p10", nd->hu_p10);
  cJSON_AddNumberToObject(hu, "p50", nd->hu_p50);
  cJSON_AddNumberToObject(hu, "p90", nd->hu_p90);
  cJSON_AddNumberToObject(hu, "share_ge_200", round(nd->hu_share_200 * 1e4) / 1e4);
  cJSON_AddItemToObject(t, "mask_hu", hu);
  cJSON *kp = cJSON_CreateObject();
  switch (nd->kind) {
  case LT_KIND_GROUND_GLASS:
    cJSON_AddNumberToObject(kp, "ggo_hu", r2(sh->ggo_hu));
    break;
  case LT_KIND_PART_SOLID:
    cJSON_AddNumberToObject(kp, "ggo_hu", r2(sh->ggo_hu));
    cJSON_AddNumberToObject(kp, "core_hu", r2(sh->core_hu));
    cJSON_AddNumberToObject(kp, "core_fraction", round(sh->core_fraction * 1e4) / 1e4);
    cJSON_AddNumberToObject(kp, "core_diameter_mm", r2(sh->core_fraction * nd->attrs.diameter_mm));
    cJSON_AddItemToObject(kp, "core_offset_mm", vec(sh->core_offset, 3));
    break;
  case LT_KIND_CALCIFIED:
    cJSON_AddStringToObject(kp, "pattern", lt_calc_pattern_names[sh->calc_pattern]);
    cJSON_AddNumberToObject(kp, "calcium_hu", r2(sh->calcium_hu));
    cJSON_AddNumberToObject(kp, "soft_hu", r2(sh->soft_hu));
    break;
  default: /* solid and oversize: the subtlety's core HU and blending */
    cJSON_AddNumberToObject(kp, "core_hu", r2(sh->core_hu));
    cJSON_AddNumberToObject(kp, "alpha", round(sh->alpha * 1e4) / 1e4);
    break;
  }
  cJSON_AddItemToObject(t, "kind_params", kp);
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
    /* LIDC texture (1 GGO .. 5 solid) and calcification (6 absent) of each reader, null for one
     * who did not mark it. */
    cJSON *rt = cJSON_CreateArray(), *rc = cJSON_CreateArray();
    for (int r = 0; r < LT_SYNTH_READERS; r++) {
      cJSON_AddItemToArray(rt, nd->views[r].seen ? cJSON_CreateNumber(nd->views[r].texture) : cJSON_CreateNull());
      cJSON_AddItemToArray(rc, nd->views[r].seen ? cJSON_CreateNumber(nd->views[r].calcification) : cJSON_CreateNull());
    }
    cJSON_AddItemToObject(s, "reader_texture", rt);
    cJSON_AddItemToObject(s, "reader_calcification", rc);
  }
  /* The physical nodule's ID in the case's readings as `lungtrust-cli info CASE` lists it (null
   * for a sure nodule, which no reader marks). */
  if (nd->imported) cJSON_AddStringToObject(s, "lidc_id", nd->lidc_id);
  else cJSON_AddNullToObject(s, "lidc_id");
  cJSON_AddStringToObject(s, "kind", lt_nodule_kind_names[nd->kind]);
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
  kind_json(t, nd);
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
  cJSON_AddStringToObject(root, "kind", lt_nodule_kind_names[info->kind]);
  cJSON_AddNumberToObject(root, "juxtapleural", info->juxtapleural);
  if (info->max_extent_mm > 0) cJSON_AddNumberToObject(root, "max_extent_mm", info->max_extent_mm);
  else cJSON_AddNullToObject(root, "max_extent_mm");
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
