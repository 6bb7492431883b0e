/* engine/train/dataset.c — manifest (cJSON) and patch files of a data set (dataset.h). */
#include "train/dataset.h"
#include "model/input.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATCH_N 64
#define PATCH_V (PATCH_N * PATCH_N * PATCH_N)
#define MAGIC "LTPATCH1"

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  return h;
}
#define FNV0 1469598103934665603ULL

static int mkdir_p(const char *dir, lt_error *err) {
  char buf[600];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = 0;
    if (mkdir(buf, 0777) && errno != EEXIST)
      return lt_error_set(err, "cannot create %s: %s", buf, strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0777) && errno != EEXIST)
    return lt_error_set(err, "cannot create %s: %s", buf, strerror(errno));
  return 0;
}

int lt_dataset_init(lt_dataset *ds, const char *dir, lt_error *err) {
  memset(ds, 0, sizeof *ds);
  if (strlen(dir) >= sizeof ds->dir - 32)
    return lt_error_set(err, "dataset folder name too long");
  snprintf(ds->dir, sizeof ds->dir, "%s", dir);
  return mkdir_p(dir, err);
}

void lt_dataset_free(lt_dataset *ds) {
  free(ds->s);
  memset(ds, 0, sizeof *ds);
}

int lt_dataset_find(const lt_dataset *ds, const char *id) {
  for (int i = 0; i < ds->n; i++)
    if (!strcmp(ds->s[i].id, id))
      return i;
  return -1;
}

static int push(lt_dataset *ds, const lt_sample *s, lt_error *err) {
  if (ds->n == ds->cap) {
    int cap = ds->cap ? ds->cap * 2 : 64;
    lt_sample *p = realloc(ds->s, (size_t)cap * sizeof *p);
    if (!p)
      return lt_error_set(err, "out of memory");
    ds->s = p;
    ds->cap = cap;
  }
  ds->s[ds->n++] = *s;
  return 0;
}

static bool id_ok(const char *id) {
  if (!*id)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '.' || *p == '_' || *p == '-'))
      return false;
  return id[0] != '.';
}

int lt_dataset_add(lt_dataset *ds, const lt_sample *meta, const float *ch, const uint8_t *mask,
                   lt_error *err) {
  return lt_dataset_add_truth(ds, meta, ch, mask, NULL, err);
}

/* Header word 2: bit 0 the sample's mask, bit 1 the true mask (files with only bit 0 or none
 * are the first version's). */
int lt_dataset_add_truth(lt_dataset *ds, const lt_sample *meta, const float *ch,
                         const uint8_t *mask, const uint8_t *truth, lt_error *err) {
  if (!id_ok(meta->id) || strlen(meta->id) > 40)
    return lt_error_set(err, "dataset: bad sample id '%s'", meta->id);
  if (lt_dataset_find(ds, meta->id) >= 0)
    return lt_error_set(err, "dataset: duplicate sample id '%s'", meta->id);
  char pdir[600], path[700];
  snprintf(pdir, sizeof pdir, "%s/patches", ds->dir);
  if (mkdir_p(pdir, err))
    return -1;
  lt_sample s = *meta;
  snprintf(s.patch_file, sizeof s.patch_file, "patches/%s.ltp", meta->id);
  s.has_mask = mask != NULL;
  s.has_truth_mask = truth != NULL;
  snprintf(path, sizeof path, "%s/%s", ds->dir, s.patch_file);
  const size_t nq = 2 * (size_t)PATCH_V;
  uint16_t *q = malloc(nq * sizeof *q);
  uint8_t bits[PATCH_V / 8], tbits[PATCH_V / 8];
  if (!q)
    return lt_error_set(err, "out of memory");
  for (size_t i = 0; i < nq; i++) {
    float v = ch[i];
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    q[i] = (uint16_t)lrintf(v * 65535.0f);
  }
  memset(bits, 0, sizeof bits);
  if (mask)
    for (size_t i = 0; i < PATCH_V; i++)
      if (mask[i])
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  memset(tbits, 0, sizeof tbits);
  if (truth)
    for (size_t i = 0; i < PATCH_V; i++)
      if (truth[i])
        tbits[i >> 3] |= (uint8_t)(1u << (i & 7));
  int32_t hdr[3] = {PATCH_N, 2, (mask ? 1 : 0) | (truth ? 2 : 0)};
  uint64_t h = fnv(FNV0, hdr, sizeof hdr);
  h = fnv(h, q, nq * sizeof *q);
  if (mask)
    h = fnv(h, bits, sizeof bits);
  if (truth)
    h = fnv(h, tbits, sizeof tbits);
  FILE *f = fopen(path, "wb");
  if (!f) {
    free(q);
    return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  }
  int ok = fwrite(MAGIC, 8, 1, f) == 1 && fwrite(hdr, sizeof hdr, 1, f) == 1 &&
           fwrite(q, sizeof *q, nq, f) == nq && (!mask || fwrite(bits, sizeof bits, 1, f) == 1) &&
           (!truth || fwrite(tbits, sizeof tbits, 1, f) == 1) && fwrite(&h, sizeof h, 1, f) == 1;
  ok = (fclose(f) == 0) && ok;
  free(q);
  if (!ok)
    return lt_error_set(err, "cannot write %s", path);
  return push(ds, &s, err);
}

/* Reads sample i's patch file, checking its checksum: the two windows dequantised into win
 * (2 x 64^3, or NULL to skip) and the mask and true-mask bit planes into bits and tbits (64^3 / 8
 * bytes each, left 0 when the file has none). */
static int read_patch_file(const lt_dataset *ds, int i, float *win, uint8_t *bits, uint8_t *tbits,
                           lt_error *err) {
  if (i < 0 || i >= ds->n)
    return lt_error_set(err, "dataset: no sample %d", i);
  const lt_sample *s = &ds->s[i];
  char path[700];
  snprintf(path, sizeof path, "%s/%s", ds->dir, s->patch_file);
  FILE *f = fopen(path, "rb");
  if (!f)
    return lt_error_set(err, "cannot open %s: %s", path, strerror(errno));
  char magic[8];
  int32_t hdr[3];
  const size_t nq = 2 * (size_t)PATCH_V;
  uint16_t *q = malloc(nq * sizeof *q);
  uint64_t h_file = 0;
  int rc = -1;
  if (!q) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  if (fread(magic, 8, 1, f) != 1 || memcmp(magic, MAGIC, 8) || fread(hdr, sizeof hdr, 1, f) != 1 ||
      hdr[0] != PATCH_N || hdr[1] != 2 || hdr[2] < 0 || hdr[2] > 3) {
    lt_error_set(err, "%s: not a LungTrust patch file", path);
    goto out;
  }
  if (fread(q, sizeof *q, nq, f) != nq || ((hdr[2] & 1) && fread(bits, PATCH_V / 8, 1, f) != 1) ||
      ((hdr[2] & 2) && fread(tbits, PATCH_V / 8, 1, f) != 1) ||
      fread(&h_file, sizeof h_file, 1, f) != 1) {
    lt_error_set(err, "%s: truncated patch file", path);
    goto out;
  }
  uint64_t h = fnv(FNV0, hdr, sizeof hdr);
  h = fnv(h, q, nq * sizeof *q);
  if (hdr[2] & 1)
    h = fnv(h, bits, PATCH_V / 8);
  if (hdr[2] & 2)
    h = fnv(h, tbits, PATCH_V / 8);
  if (h != h_file) {
    lt_error_set(err, "%s: checksum mismatch (damaged patch file)", path);
    goto out;
  }
  if (win)
    for (size_t v = 0; v < nq; v++)
      win[v] = (float)q[v] * (1.0f / 65535.0f);
  rc = 0;
out:
  free(q);
  fclose(f);
  return rc;
}

int lt_dataset_read_input(const lt_dataset *ds, int i, int side, int in_channels, float *x,
                          float *mask, float *truth, lt_error *err) {
  return lt_dataset_read_patch(ds, i, side, in_channels, x, mask, truth, NULL, err);
}

int lt_dataset_read_patch(const lt_dataset *ds, int i, int side, int in_channels, float *x,
                          float *mask, float *truth, float *lung, lt_error *err) {
  if (lt_model_input_check(side, in_channels, err))
    return -1;
  uint8_t *bits = calloc(PATCH_V / 8, 1), *tbits = calloc(PATCH_V / 8, 1);
  const bool need_win = x || lung;
  float *win = need_win ? malloc(2 * (size_t)PATCH_V * sizeof *win) : NULL; /* the two windows */
  int rc = -1;
  if (!bits || !tbits || (need_win && !win)) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  if (read_patch_file(ds, i, win, bits, tbits, err))
    goto out;
  if (x)
    lt_model_input_make(x, side, in_channels, win, win + PATCH_V);
  if (lung)
    memcpy(lung, win, (size_t)PATCH_V * sizeof *lung);
  /* the masks pooled by the input's own rule, read from their bit planes */
  if (mask)
    lt_model_input_mask_bits(mask, side, bits);
  if (truth)
    lt_model_input_mask_bits(truth, side, tbits);
  rc = 0;
out:
  free(win);
  free(bits);
  free(tbits);
  return rc;
}

void lt_dataset_hash(const lt_dataset *ds, char *out, int n) {
  uint64_t h = FNV0;
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    h = fnv(h, s->id, strlen(s->id) + 1);
    h = fnv(h, s->patient, strlen(s->patient) + 1);
    int lab[4] = {s->has_label, s->label, s->sure, s->has_mask};
    h = fnv(h, lab, sizeof lab);
    if (s->has_ratings)
      h = fnv(h, s->ratings, sizeof s->ratings);
    if (s->mask_sphere)
      h = fnv(h, "sphere", 6);
    if (s->split[0])
      h = fnv(h, s->split, strlen(s->split) + 1);
  }
  if (ds->evaluation)
    h = fnv(h, "evaluation", 10);
  snprintf(out, (size_t)n, "fnv1a64:%016llx", (unsigned long long)h);
}

int lt_dataset_save(const lt_dataset *ds, lt_error *err) {
  cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  if (!root || !arr)
    return lt_error_set(err, "out of memory");
  cJSON_AddStringToObject(root, "format", LT_DATASET_FORMAT);
  if (ds->evaluation) {
    cJSON_AddBoolToObject(root, "evaluation", true);
    cJSON_AddStringToObject(root, "evaluation_note",
                            "labels of unsure samples, true masks and true attributes come from "
                            "the synthetic truth: for evaluation only, never for training");
  }
  cJSON_AddItemToObject(root, "samples", arr);
  for (int i = 0; i < ds->n; i++) {
    const lt_sample *s = &ds->s[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "patient", s->patient);
    cJSON_AddStringToObject(o, "patch", s->patch_file);
    cJSON_AddBoolToObject(o, "mask", s->has_mask);
    if (s->has_label) {
      cJSON_AddNumberToObject(o, "label", s->label);
      cJSON_AddBoolToObject(o, "sure", s->sure);
    }
    if (s->has_ratings) {
      cJSON *r = cJSON_CreateObject();
      for (int k = 0; k < LT_N_ATTRIBUTES; k++)
        cJSON_AddNumberToObject(r, lt_attribute_names[k], s->ratings[k]);
      cJSON_AddItemToObject(o, "ratings", r);
    }
    if (s->spacing_mm > 0)
      cJSON_AddNumberToObject(o, "spacing_mm", s->spacing_mm);
    if (s->thickness_mm > 0)
      cJSON_AddNumberToObject(o, "thickness_mm", s->thickness_mm);
    if (s->nodule_mm > 0)
      cJSON_AddNumberToObject(o, "nodule_mm", s->nodule_mm);
    if (s->manufacturer[0])
      cJSON_AddStringToObject(o, "manufacturer", s->manufacturer);
    if (s->mask_sphere)
      cJSON_AddStringToObject(o, "mask_kind", "sphere");
    if (s->split[0])
      cJSON_AddStringToObject(o, "split", s->split);
    if (s->has_truth_mask)
      cJSON_AddBoolToObject(o, "truth_mask", true);
    if (s->has_truth_attrs) {
      cJSON *r = cJSON_CreateObject();
      for (int k = 0; k < LT_N_ATTRIBUTES; k++)
        cJSON_AddNumberToObject(r, lt_attribute_names[k], s->truth_attrs[k]);
      cJSON_AddItemToObject(o, "truth_attributes", r);
    }
  }
  char *txt = cJSON_Print(root);
  cJSON_Delete(root);
  if (!txt)
    return lt_error_set(err, "out of memory");
  char path[600];
  snprintf(path, sizeof path, "%s/manifest.json", ds->dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    free(txt);
    return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  }
  int ok = fputs(txt, f) >= 0 && fputc('\n', f) != EOF;
  ok = (fclose(f) == 0) && ok;
  free(txt);
  return ok ? 0 : lt_error_set(err, "cannot write %s", path);
}

static int get_str(const cJSON *o, const char *key, char *dst, size_t n, bool required,
                   lt_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) {
    if (required)
      return lt_error_set(err, "sample without \"%s\"", key);
    return 0;
  }
  if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
    return lt_error_set(err, "\"%s\" is not a short string", key);
  snprintf(dst, n, "%s", v->valuestring);
  return 0;
}

static int get_num(const cJSON *o, const char *key, double *dst, lt_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v)
    return 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return lt_error_set(err, "\"%s\" is not a number", key);
  *dst = v->valuedouble;
  return 1;
}

static int parse_sample(const cJSON *o, lt_sample *s, lt_error *err) {
  memset(s, 0, sizeof *s);
  if (!cJSON_IsObject(o))
    return lt_error_set(err, "sample is not an object");
  if (get_str(o, "id", s->id, sizeof s->id, true, err) ||
      get_str(o, "patient", s->patient, sizeof s->patient, true, err) ||
      get_str(o, "patch", s->patch_file, sizeof s->patch_file, true, err) ||
      get_str(o, "manufacturer", s->manufacturer, sizeof s->manufacturer, false, err) ||
      get_str(o, "split", s->split, sizeof s->split, false, err))
    return -1;
  char kind[16] = "";
  if (get_str(o, "mask_kind", kind, sizeof kind, false, err))
    return -1;
  if (kind[0] && strcmp(kind, "sphere") && strcmp(kind, "consensus"))
    return lt_error_set(err, "mask_kind must be \"sphere\" or \"consensus\"");
  s->mask_sphere = !strcmp(kind, "sphere");
  s->has_truth_mask = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "truth_mask"));
  if (strstr(s->patch_file, "..") || s->patch_file[0] == '/')
    return lt_error_set(err, "patch path '%s' leaves the data set", s->patch_file);
  s->has_mask = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "mask"));
  double v = 0; /* get_num sets it only when it returns 1; -O3 warns without the 0 */
  int r = get_num(o, "label", &v, err);
  if (r < 0)
    return -1;
  if (r) {
    if (v != 0 && v != 1)
      return lt_error_set(err, "label must be 0 or 1");
    s->has_label = true;
    s->label = (int)v;
    s->sure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "sure"));
  }
  const cJSON *rt = cJSON_GetObjectItemCaseSensitive(o, "ratings");
  if (rt) {
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
      r = get_num(rt, lt_attribute_names[k], &v, err);
      if (r <= 0 || v < 1 || v > 5)
        return lt_error_set(err, "ratings need \"%s\" in 1-5", lt_attribute_names[k]);
      s->ratings[k] = (float)v;
    }
    s->has_ratings = true;
  }
  const cJSON *ta = cJSON_GetObjectItemCaseSensitive(o, "truth_attributes");
  if (ta) {
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
      r = get_num(ta, lt_attribute_names[k], &v, err);
      if (r <= 0 || v < 1 || v > 5)
        return lt_error_set(err, "truth_attributes need \"%s\" in 1-5", lt_attribute_names[k]);
      s->truth_attrs[k] = (float)v;
    }
    s->has_truth_attrs = true;
  }
  if (get_num(o, "spacing_mm", &s->spacing_mm, err) < 0 ||
      get_num(o, "thickness_mm", &s->thickness_mm, err) < 0 ||
      get_num(o, "nodule_mm", &s->nodule_mm, err) < 0)
    return -1;
  return 0;
}

int lt_dataset_load(lt_dataset *ds, const char *path, lt_error *err) {
  memset(ds, 0, sizeof *ds);
  struct stat st;
  char mpath[600];
  if (stat(path, &st))
    return lt_error_set(err, "cannot open %s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    snprintf(ds->dir, sizeof ds->dir, "%s", path);
    snprintf(mpath, sizeof mpath, "%s/manifest.json", path);
  } else {
    snprintf(mpath, sizeof mpath, "%s", path);
    snprintf(ds->dir, sizeof ds->dir, "%s", path);
    char *slash = strrchr(ds->dir, '/');
    if (slash)
      *slash = 0;
    else
      snprintf(ds->dir, sizeof ds->dir, ".");
  }
  FILE *f = fopen(mpath, "rb");
  if (!f)
    return lt_error_set(err, "cannot open %s: %s", mpath, strerror(errno));
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (len < 0 || len > (64L << 20)) {
    fclose(f);
    return lt_error_set(err, "%s: not a data set manifest", mpath);
  }
  char *txt = malloc((size_t)len + 1);
  if (!txt || fread(txt, 1, (size_t)len, f) != (size_t)len) {
    free(txt);
    fclose(f);
    return lt_error_set(err, "cannot read %s", mpath);
  }
  fclose(f);
  txt[len] = 0;
  cJSON *root = cJSON_Parse(txt);
  free(txt);
  const cJSON *fmt = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
  const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "samples") : NULL;
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, LT_DATASET_FORMAT) || !cJSON_IsArray(arr)) {
    cJSON_Delete(root);
    return lt_error_set(err, "%s: not a LungTrust data set manifest", mpath);
  }
  ds->evaluation = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "evaluation"));
  int i = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, arr) {
    lt_sample s;
    if (parse_sample(o, &s, err) || push(ds, &s, err)) {
      cJSON_Delete(root);
      lt_error_prefix(err, "%s: sample %d", mpath, i);
      lt_dataset_free(ds);
      return -1;
    }
    i++;
  }
  cJSON_Delete(root);
  if (ds->n == 0)
    return lt_error_set(err, "%s: no samples", mpath);
  return 0;
}
