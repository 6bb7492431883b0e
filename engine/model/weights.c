/* engine/model/weights.c — see weights.h. */
#include "model/weights.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/safetensors.h"

static char *stats_to_json(const lt_train_stats *s) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "n_samples", s->n_samples);
  cJSON_AddItemToObject(o, "spacing_mm", cJSON_CreateDoubleArray(s->spacing_mm, 2));
  cJSON_AddItemToObject(o, "thickness_mm", cJSON_CreateDoubleArray(s->thickness_mm, 2));
  cJSON_AddItemToObject(o, "nodule_mm", cJSON_CreateDoubleArray(s->nodule_mm, 2));
  cJSON_AddNumberToObject(o, "nodule_mean_mm", s->nodule_mean_mm);
  cJSON *m = cJSON_AddArrayToObject(o, "manufacturers");
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s->manufacturers);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    if (*tok) cJSON_AddItemToArray(m, cJSON_CreateString(tok));
  char *js = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return js;
}

static int pair(const cJSON *o, const char *key, double out[2]) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2) return 0;
  for (int i = 0; i < 2; i++) {
    const cJSON *v = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(v)) return 0;
    out[i] = v->valuedouble;
  }
  return 1;
}

static int stats_from_json(lt_train_stats *s, const char *js) {
  cJSON *o = cJSON_Parse(js);
  if (!o || !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return -1;
  }
  int ok = pair(o, "spacing_mm", s->spacing_mm) && pair(o, "thickness_mm", s->thickness_mm) &&
           pair(o, "nodule_mm", s->nodule_mm);
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "n_samples");
  const cJSON *mean = cJSON_GetObjectItemCaseSensitive(o, "nodule_mean_mm");
  ok = ok && cJSON_IsNumber(n) && cJSON_IsNumber(mean);
  if (ok) {
    s->n_samples = n->valueint;
    s->nodule_mean_mm = mean->valuedouble;
  }
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "manufacturers");
  s->manufacturers[0] = 0;
  if (cJSON_IsArray(m)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, m) {
      if (!cJSON_IsString(e)) continue;
      size_t l = strlen(s->manufacturers);
      snprintf(s->manufacturers + l, sizeof s->manufacturers - l, "%s%s", l ? "," : "", e->valuestring);
    }
  }
  cJSON_Delete(o);
  return ok ? 0 : -1;
}

static int save_all(const char *path, const lt_model_config *c, const lt_param_table *t,
                    const float *params, const lt_train_stats *stats, const char *metrics_json,
                    const lt_attr_refit *refit, const char *unusual_json, lt_error *err) {
  lt_st_view *views = calloc((size_t)(t->n ? t->n : 1), sizeof *views);
  char *cfg = lt_model_config_to_json(c);
  char *st = stats ? stats_to_json(stats) : NULL;
  char *rf = refit ? lt_attr_refit_to_json(refit) : NULL;
  int rc = -1;
  if (!views || !cfg || (stats && !st) || (refit && !rf)) {
    lt_error_set(err, "%s: out of memory", path);
    goto out;
  }
  for (int i = 0; i < t->n; i++) {
    views[i].name = t->v[i].name;
    views[i].ndim = t->v[i].ndim;
    for (int d = 0; d < t->v[i].ndim; d++) views[i].shape[d] = t->v[i].shape[d];
    views[i].data = params + t->v[i].offset;
  }
  lt_st_meta_entry meta[7];
  int nm = 0;
  meta[nm++] = (lt_st_meta_entry){"lt_format", LT_WEIGHTS_FORMAT};
  meta[nm++] = (lt_st_meta_entry){"config", cfg};
  if (stats) {
    meta[nm++] = (lt_st_meta_entry){"data_hash", stats->data_hash};
    meta[nm++] = (lt_st_meta_entry){"train_stats", st};
  }
  if (metrics_json) meta[nm++] = (lt_st_meta_entry){"metrics", metrics_json};
  if (rf) meta[nm++] = (lt_st_meta_entry){"attr_refit", rf};
  if (unusual_json) meta[nm++] = (lt_st_meta_entry){"unusual", unusual_json};
  rc = lt_st_write(path, views, t->n, meta, nm, err);
out:
  free(views);
  free(cfg);
  free(st);
  free(rf);
  return rc;
}

int lt_weights_save(const char *path, const lt_model_config *c, const lt_param_table *t,
                    const float *params, const lt_train_stats *stats, const char *metrics_json,
                    lt_error *err) {
  return save_all(path, c, t, params, stats, metrics_json, NULL, NULL, err);
}

int lt_weights_write(const char *path, const lt_weights *w, lt_error *err) {
  return save_all(path, &w->config, &w->table, w->params, w->has_stats ? &w->stats : NULL,
                  w->metrics_json, w->has_refit ? &w->refit : NULL, w->unusual_json, err);
}

bool lt_model_config_same_arch(const lt_model_config *a, const lt_model_config *b) {
  return a->arch == b->arch && a->width == b->width && a->input_size == b->input_size &&
         a->in_channels == b->in_channels &&
         a->groups == b->groups && !memcmp(a->stage_convs, b->stage_convs, sizeof a->stage_convs) &&
         !memcmp(a->dec_convs, b->dec_convs, sizeof a->dec_convs) && a->hidden == b->hidden &&
         a->attributes == b->attributes && a->concat == b->concat && a->mask_pool == b->mask_pool &&
         a->malignancy_only == b->malignancy_only &&
         (a->debug == LT_DEBUG_CAM) == (b->debug == LT_DEBUG_CAM);
}

void lt_weights_free(lt_weights *w) {
  lt_param_table_free(&w->table);
  free(w->params);
  free(w->metrics_json);
  free(w->unusual_json);
  memset(w, 0, sizeof *w);
}

static int load(const char *path, const lt_model_config *expect, lt_weights *out, lt_error *err);

int lt_weights_load(const char *path, const lt_model_config *expect, lt_weights *out, lt_error *err) {
  if (load(path, expect, out, err) == 0) return 0;
  /* Messages quote tensor names and metadata from the file: one line whatever they hold. */
  for (char *c = err ? err->msg : NULL; c && *c; c++)
    if ((unsigned char)*c < 0x20) *c = '?';
  return -1;
}

static int load(const char *path, const lt_model_config *expect, lt_weights *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  lt_st_file *f;
  if (lt_st_read(path, &f, err)) return -1;
  const char *fmt = lt_st_meta(f, "lt_format");
  const char *cfg = lt_st_meta(f, "config");
  if (!fmt || (strcmp(fmt, LT_WEIGHTS_FORMAT) != 0 && strcmp(fmt, LT_WEIGHTS_FORMAT_1) != 0)) {
    lt_st_free(f);
    return lt_error_set(err, "%s: not a LungTrust weights file (lt_format is %s)", path,
                        fmt ? "different" : "missing");
  }
  /* Version 2 promises a checksummed header; a data-only checksum there is a downgraded file. */
  if (strcmp(fmt, LT_WEIGHTS_FORMAT) == 0 && !lt_st_header_checked(f)) {
    lt_error_set(err, "%s: %s file whose checksum does not cover its header", path, fmt);
    lt_st_free(f); /* fmt points into f: the message is made first */
    return -1;
  }
  if (!cfg) {
    lt_st_free(f);
    return lt_error_set(err, "%s: no model config in the metadata", path);
  }
  snprintf(out->format, sizeof out->format, "%s", fmt);
  if (lt_model_config_from_json(&out->config, cfg, err)) {
    lt_st_free(f);
    return lt_error_prefix(err, "%s", path);
  }
  if (expect && !lt_model_config_same_arch(expect, &out->config)) {
    lt_st_free(f);
    return lt_error_set(err, "%s: the file's architecture (%s, w = %d, input %d, hidden %d, debug "
                        "%s%s) differs from the expected one (%s, w = %d, input %d, hidden %d, "
                        "debug %s%s)",
                        path, lt_model_arch_name(out->config.arch), out->config.width,
                        out->config.input_size, out->config.hidden,
                        lt_debug_mode_name(out->config.debug),
                        out->config.mask_pool ? ", mask pooling" : "",
                        lt_model_arch_name(expect->arch), expect->width, expect->input_size,
                        expect->hidden, lt_debug_mode_name(expect->debug),
                        expect->mask_pool ? ", mask pooling" : "");
  }
  if (lt_param_table_build(&out->table, &out->config, err)) {
    lt_st_free(f);
    return lt_error_prefix(err, "%s", path);
  }
  const lt_param_table *t = &out->table;
  if (lt_st_count(f) != t->n) {
    /* Name the first tensor that the config does not have. */
    for (int i = 0; i < lt_st_count(f); i++)
      if (lt_param_find(t, lt_st_at(f, i)->name) < 0) {
        lt_error_set(err, "%s: tensor '%s' is not part of the configured model", path,
                     lt_st_at(f, i)->name);
        goto fail;
      }
  }
  for (int i = 0; i < t->n; i++) {
    const lt_param_view *v = &t->v[i];
    const lt_st_tensor *s = lt_st_find(f, v->name);
    if (!s) {
      lt_error_set(err, "%s: tensor '%s' is missing", path, v->name);
      goto fail;
    }
    int same = s->ndim == v->ndim;
    for (int d = 0; same && d < v->ndim; d++) same = s->shape[d] == v->shape[d];
    if (!same) {
      char want[64] = "", got[64] = "";
      for (int d = 0; d < v->ndim; d++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "x" : "", v->shape[d]);
      for (int d = 0; d < s->ndim && d < LT_ST_MAX_DIMS; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "x" : "", (long long)s->shape[d]);
      lt_error_set(err, "%s: tensor '%s' has shape %s, the config needs %s", path, v->name,
                   s->ndim ? got : "()", want);
      goto fail;
    }
  }
  /* Only now, with every tensor matched against the table, is its size known to be the
   * file's: a config edited to a large width would otherwise allocate gigabytes first. */
  out->params = lt_param_block_new(&out->table);
  if (!out->params) {
    lt_error_set(err, "%s: out of memory", path);
    goto fail;
  }
  for (int i = 0; i < t->n; i++)
    memcpy(out->params + t->v[i].offset, lt_st_find(f, t->v[i].name)->data,
           t->v[i].count * sizeof(float));
  const char *st = lt_st_meta(f, "train_stats");
  if (st) {
    if (stats_from_json(&out->stats, st)) {
      lt_error_set(err, "%s: corrupt train_stats in the metadata", path);
      goto fail;
    }
    const char *h = lt_st_meta(f, "data_hash");
    snprintf(out->stats.data_hash, sizeof out->stats.data_hash, "%s", h ? h : "");
    out->has_stats = true;
  }
  const char *m = lt_st_meta(f, "metrics");
  if (m && !(out->metrics_json = strdup(m))) {
    lt_error_set(err, "%s: out of memory", path);
    goto fail;
  }
  /* kept as text: engine/model/unusual.h reads it (the model does not) */
  const char *un = lt_st_meta(f, "unusual");
  if (un && !(out->unusual_json = strdup(un))) {
    lt_error_set(err, "%s: out of memory", path);
    goto fail;
  }
  const char *rf = lt_st_meta(f, "attr_refit");
  if (rf) {
    lt_error e2;
    if (lt_attr_refit_from_json(&out->refit, rf, &e2)) {
      lt_error_set(err, "%s: corrupt attr_refit in the metadata (%s)", path, e2.msg);
      goto fail;
    }
    if (!lt_attr_refit_allowed(&out->config)) {
      lt_error_set(err, "%s: an attribute refit on a model without the six attributes and a "
                        "segmentation", path);
      goto fail;
    }
    out->has_refit = true;
  }
  lt_st_free(f);
  return 0;
fail:
  lt_st_free(f);
  lt_weights_free(out);
  return -1;
}
