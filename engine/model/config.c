/* engine/model/config.c — see config.h. */
#include "model/config.h"
#include "model/input.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const lt_attribute_names[LT_N_ATTRIBUTES] = {"subtlety",   "sphericity",  "margin",
                                                         "lobulation", "spiculation", "malignancy"};

void lt_model_config_default(lt_model_config *c) {
  memset(c, 0, sizeof *c);
  c->width = 16;
  c->input_size = 64;
  c->in_channels = 2;
  c->groups = 8;
  c->stage_convs[0] = 0;
  c->stage_convs[1] = 1;
  c->stage_convs[2] = 1;
  c->stage_convs[3] = 1;
  c->dec_convs[0] = 1;
  c->dec_convs[1] = 1;
  c->hidden = 256;
  c->attributes = true;
  c->concat = true;
  c->mask_pool = false;
  c->malignancy_only = false;
  c->debug = LT_DEBUG_GRADCAM;
  c->lambda = 0.5;
  c->debug_weight = 1.0;
  c->attr_weight = 1.0;
  c->debug_coef_grad = false;
  c->debug_on = LT_DEBUG_ON_SURE;
  c->dice_smooth = 1.0;
  c->lr = 1e-3;
}

static const char *const preset_names[] = {
    "default", "attr+concat+debug", "basic", "attr", "debug", "attr+debug",
    "mal+debug-cam", "attr+concat", "tiny", "resnet", "resnet-tiny", NULL};

const char *const *lt_model_config_preset_names(void) { return preset_names; }

int lt_model_config_preset(lt_model_config *c, const char *name, lt_error *err) {
  lt_model_config_default(c);
  if (!strcmp(name, "default") || !strcmp(name, "attr+concat+debug")) return 0;
  if (!strcmp(name, "basic")) {
    c->attributes = c->concat = false;
    c->debug = LT_DEBUG_OFF;
  } else if (!strcmp(name, "attr")) {
    c->concat = false;
    c->debug = LT_DEBUG_OFF;
  } else if (!strcmp(name, "debug")) {
    c->attributes = c->concat = false;
  } else if (!strcmp(name, "attr+debug")) {
    c->concat = false;
  } else if (!strcmp(name, "mal+debug-cam")) {
    c->concat = false;
    c->malignancy_only = true;
    c->debug = LT_DEBUG_CAM;
  } else if (!strcmp(name, "attr+concat")) {
    c->debug = LT_DEBUG_OFF;
  } else if (!strcmp(name, "tiny")) {
    c->width = 8;
    c->input_size = 16;
    c->hidden = 16;
  } else if (!strcmp(name, "resnet") || !strcmp(name, "resnet-tiny")) {
    c->arch = LT_ARCH_RESNET;
    c->attributes = c->concat = false;
    c->debug = LT_DEBUG_OFF;
    if (!strcmp(name, "resnet-tiny")) {
      c->width = 8;
      c->input_size = 16;
      c->hidden = 16;
    }
  } else {
    return lt_error_set(err, "unknown model preset '%s'", name);
  }
  return 0;
}

int lt_model_config_validate(const lt_model_config *c, lt_error *err) {
  if ((int)c->arch < LT_ARCH_COLLABORATIVE || (int)c->arch > LT_ARCH_RESNET)
    return lt_error_set(err, "config: bad architecture");
  if (c->arch == LT_ARCH_RESNET && c->attributes)
    return lt_error_set(err, "config: the ResNet baseline has no attribute branch");
  if (c->width < 1 || c->width > 1024) return lt_error_set(err, "config: width %d out of range", c->width);
  if (c->input_size < 8 || c->input_size > 512 || c->input_size % 8)
    return lt_error_set(err, "config: input_size %d must be a multiple of 8 in [8, 512]", c->input_size);
  /* model/input.h makes 2 channels (the two windows) or 4 (with their fovea, which needs an
   * input side dividing 32); its rule, asked here so that no file of another input loads. With
   * 2 channels the side keeps the rule above: a config may be built for a bigger input than the
   * 64^3 patch, and what reads a patch checks that the side divides it. */
  if (c->in_channels != 2 && lt_model_input_check(c->input_size, c->in_channels, err))
    return -1;
  if (c->groups < 1 || c->width % c->groups)
    return lt_error_set(err, "config: groups %d must divide width %d", c->groups, c->width);
  for (int i = 0; i < 4; i++)
    if (c->stage_convs[i] < 0 || c->stage_convs[i] > 8)
      return lt_error_set(err, "config: stage_convs[%d] = %d out of range", i, c->stage_convs[i]);
  for (int i = 0; i < 2; i++)
    if (c->dec_convs[i] < 0 || c->dec_convs[i] > 8)
      return lt_error_set(err, "config: dec_convs[%d] = %d out of range", i, c->dec_convs[i]);
  if (c->hidden < 1 || c->hidden > 65536) return lt_error_set(err, "config: hidden %d out of range", c->hidden);
  if (c->concat && !c->attributes)
    return lt_error_set(err, "config: concatenation needs the attribute branch");
  if (c->malignancy_only && !c->attributes)
    return lt_error_set(err, "config: malignancy-only regression needs the attribute branch");
  if (c->mask_pool && c->arch != LT_ARCH_COLLABORATIVE)
    return lt_error_set(err, "config: mask pooling needs the segmentation (collaborative model)");
  if (c->mask_pool && c->debug == LT_DEBUG_CAM)
    return lt_error_set(err, "config: mask pooling needs Grad-CAM, not CAM (whose classifier "
                             "sees f's mean only)");
  if (c->debug == LT_DEBUG_CAM && c->concat)
    return lt_error_set(err, "config: CAM debugging needs a linear classifier (concatenation off)");
  if ((int)c->debug < LT_DEBUG_OFF || (int)c->debug > LT_DEBUG_CAM)
    return lt_error_set(err, "config: bad debug mode");
  if ((int)c->debug_on < LT_DEBUG_ON_SURE || (int)c->debug_on > LT_DEBUG_ON_ALL)
    return lt_error_set(err, "config: bad debug sample choice");
  if (!(c->lambda >= 0 && c->lambda <= 1)) return lt_error_set(err, "config: lambda must be in [0, 1]");
  if (!(c->debug_weight >= 0 && isfinite(c->debug_weight)))
    return lt_error_set(err, "config: debug_weight must be finite and >= 0");
  if (!(c->attr_weight >= 0 && isfinite(c->attr_weight)))
    return lt_error_set(err, "config: attr_weight must be finite and >= 0");
  if (!(c->dice_smooth >= 0 && isfinite(c->dice_smooth)))
    return lt_error_set(err, "config: dice_smooth must be finite and >= 0");
  if (!(c->lr > 0 && c->lr < 1)) return lt_error_set(err, "config: lr must be in (0, 1)");
  return 0;
}

int lt_model_config_n_attr(const lt_model_config *c) {
  return !c->attributes ? 0 : c->malignancy_only ? 1 : LT_N_ATTRIBUTES;
}
int lt_model_config_fusion_side(const lt_model_config *c) { return c->input_size / 4; }
int lt_model_config_fusion_channels(const lt_model_config *c) { return 8 * c->width; }
int lt_model_config_head_inputs(const lt_model_config *c) {
  return lt_model_config_fusion_channels(c) * (c->mask_pool ? 2 : 1);
}

static const char *const debug_names[] = {"off", "gradcam", "cam"};
static const char *const arch_names[] = {"collaborative", "resnet"};

const char *lt_model_arch_name(lt_model_arch a) {
  return (int)a >= 0 && (int)a <= 1 ? arch_names[a] : "?";
}

bool lt_model_config_has_seg(const lt_model_config *c) { return c->arch == LT_ARCH_COLLABORATIVE; }
static const char *const debug_on_names[] = {"sure", "unsure", "all"};

const char *lt_debug_mode_name(lt_debug_mode m) {
  return (int)m >= 0 && (int)m <= 2 ? debug_names[m] : "?";
}

char *lt_model_config_to_json(const lt_model_config *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  /* written only when not the default, so the collaborative model's metadata is unchanged */
  if (c->arch != LT_ARCH_COLLABORATIVE) cJSON_AddStringToObject(o, "arch", arch_names[c->arch]);
  cJSON_AddNumberToObject(o, "width", c->width);
  cJSON_AddNumberToObject(o, "input_size", c->input_size);
  cJSON_AddNumberToObject(o, "in_channels", c->in_channels);
  cJSON_AddNumberToObject(o, "groups", c->groups);
  cJSON_AddItemToObject(o, "stage_convs", cJSON_CreateIntArray(c->stage_convs, 4));
  cJSON_AddItemToObject(o, "dec_convs", cJSON_CreateIntArray(c->dec_convs, 2));
  cJSON_AddNumberToObject(o, "hidden", c->hidden);
  cJSON_AddBoolToObject(o, "attributes", c->attributes);
  cJSON_AddBoolToObject(o, "concat", c->concat);
  cJSON_AddBoolToObject(o, "malignancy_only", c->malignancy_only);
  if (c->mask_pool) cJSON_AddBoolToObject(o, "mask_pool", true); /* as arch: older files unchanged */
  cJSON_AddStringToObject(o, "debug", debug_names[c->debug]);
  cJSON_AddNumberToObject(o, "lambda", c->lambda);
  cJSON_AddNumberToObject(o, "debug_weight", c->debug_weight);
  cJSON_AddNumberToObject(o, "attr_weight", c->attr_weight);
  cJSON_AddBoolToObject(o, "debug_coef_grad", c->debug_coef_grad);
  cJSON_AddStringToObject(o, "debug_on", debug_on_names[c->debug_on]);
  cJSON_AddNumberToObject(o, "dice_smooth", c->dice_smooth);
  cJSON_AddNumberToObject(o, "lr", c->lr);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

static int get_int(const cJSON *v, int *out) {
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
    return 0;
  *out = (int)v->valuedouble;
  return 1;
}

static int name_index(const char *const *names, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], s)) return i;
  return -1;
}

int lt_model_config_from_json(lt_model_config *c, const char *json, lt_error *err) {
  lt_model_config_default(c);
  cJSON *o = cJSON_Parse(json);
  if (!o || !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return lt_error_set(err, "config: not a JSON object");
  }
  int rc = -1;
  const cJSON *v;
  cJSON_ArrayForEach(v, o) {
    const char *k = v->string;
    int ok = 1;
    if (!strcmp(k, "width")) ok = get_int(v, &c->width);
    else if (!strcmp(k, "input_size")) ok = get_int(v, &c->input_size);
    else if (!strcmp(k, "in_channels")) ok = get_int(v, &c->in_channels);
    else if (!strcmp(k, "groups")) ok = get_int(v, &c->groups);
    else if (!strcmp(k, "hidden")) ok = get_int(v, &c->hidden);
    else if (!strcmp(k, "stage_convs") || !strcmp(k, "dec_convs")) {
      int n = !strcmp(k, "stage_convs") ? 4 : 2;
      int *dst = n == 4 ? c->stage_convs : c->dec_convs;
      ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) == n;
      for (int i = 0; ok && i < n; i++) ok = get_int(cJSON_GetArrayItem(v, i), &dst[i]);
    } else if (!strcmp(k, "attributes") || !strcmp(k, "concat") || !strcmp(k, "malignancy_only") ||
               !strcmp(k, "debug_coef_grad") || !strcmp(k, "mask_pool")) {
      ok = cJSON_IsBool(v);
      bool b = cJSON_IsTrue(v);
      if (!strcmp(k, "attributes")) c->attributes = b;
      else if (!strcmp(k, "concat")) c->concat = b;
      else if (!strcmp(k, "malignancy_only")) c->malignancy_only = b;
      else if (!strcmp(k, "mask_pool")) c->mask_pool = b;
      else c->debug_coef_grad = b;
    } else if (!strcmp(k, "debug")) {
      int i = cJSON_IsString(v) ? name_index(debug_names, 3, v->valuestring) : -1;
      ok = i >= 0;
      if (ok) c->debug = (lt_debug_mode)i;
    } else if (!strcmp(k, "arch")) {
      int i = cJSON_IsString(v) ? name_index(arch_names, 2, v->valuestring) : -1;
      ok = i >= 0;
      if (ok) c->arch = (lt_model_arch)i;
    } else if (!strcmp(k, "debug_on")) {
      int i = cJSON_IsString(v) ? name_index(debug_on_names, 3, v->valuestring) : -1;
      ok = i >= 0;
      if (ok) c->debug_on = (lt_debug_samples)i;
    } else if (!strcmp(k, "lambda") || !strcmp(k, "debug_weight") || !strcmp(k, "dice_smooth") ||
               !strcmp(k, "lr") || !strcmp(k, "attr_weight")) {
      ok = cJSON_IsNumber(v);
      double d = v->valuedouble;
      if (!strcmp(k, "lambda")) c->lambda = d;
      else if (!strcmp(k, "debug_weight")) c->debug_weight = d;
      else if (!strcmp(k, "dice_smooth")) c->dice_smooth = d;
      else if (!strcmp(k, "attr_weight")) c->attr_weight = d;
      else c->lr = d;
    } else {
      lt_error_set(err, "config: unknown key '%.64s'", k);
      goto out;
    }
    if (!ok) {
      lt_error_set(err, "config: bad value for '%.64s'", k);
      goto out;
    }
  }
  rc = lt_model_config_validate(c, err);
out:
  cJSON_Delete(o);
  return rc;
}

bool lt_model_config_equal(const lt_model_config *a, const lt_model_config *b) {
  return a->arch == b->arch && a->width == b->width && a->input_size == b->input_size &&
         a->in_channels == b->in_channels &&
         a->groups == b->groups && !memcmp(a->stage_convs, b->stage_convs, sizeof a->stage_convs) &&
         !memcmp(a->dec_convs, b->dec_convs, sizeof a->dec_convs) && a->hidden == b->hidden &&
         a->attributes == b->attributes && a->concat == b->concat && a->mask_pool == b->mask_pool &&
         a->malignancy_only == b->malignancy_only && a->debug == b->debug && a->lambda == b->lambda &&
         a->debug_weight == b->debug_weight && a->attr_weight == b->attr_weight &&
         a->debug_coef_grad == b->debug_coef_grad &&
         a->debug_on == b->debug_on && a->dice_smooth == b->dice_smooth && a->lr == b->lr;
}
