/* app/cli-dataset-synth.c — `lungtrust-cli dataset --synth SYNTHDIR --out DS`: a data set
 * (engine/train/dataset.h) from a synthetic data set's manifest.json (engine/synth/manifest.h,
 * version 1). For every sample: the 2x64^3 patch at centre_mm from the case's series.
 * - unsure samples (paper section 2: reader annotations, no pathology): the readers' consensus
 *   mask (NIfTI) resampled into the patch and the six mean ratings; no label.
 * - sure samples (pathology-proven in the paper): the label (sure), and the sphere of radius_mm
 *   about the centre as the debug term's fallback region (mask_kind "sphere", never a Dice
 *   target); no ratings.
 * The patient is the case qualified by the synthetic run's seed ("s<seed>-case-NNNN"), unique
 * across runs, so folds split by case; every sample records its case's split.
 * The manifest's "truth" object is read only with --evaluation: then the data set is marked as an
 * evaluation set (the trainer refuses it), unsure samples get the true label, and every sample
 * gets the true mask and true attributes for reporting Dice and attribute errors against truth. */
#include "cli-dataset-synth.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ct/nifti.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "train/dataset-patch.h"
#include "train/dataset.h"

static const char usage[] =
    "Usage: lungtrust-cli dataset --synth SYNTHDIR --out DIR [--split train|test|all]\n"
    "                             [--evaluation]\n\n"
    "Builds a data set from a synthetic data set (lungtrust-cli synth): every sample of\n"
    "SYNTHDIR/manifest.json gives its 2x64^3 patch. Unsure samples: the readers' consensus mask\n"
    "and six mean ratings, no label. Sure samples: the label and the sphere of the radius (the\n"
    "debug term's region, not a segmentation target), no ratings. The patient is the case\n"
    "qualified by the synthetic seed, so folds split by case.\n"
    "  --out DIR      the data set folder (created; samples are appended to an existing one)\n"
    "  --split S      only the cases of that split (train or test with --confound; all: every\n"
    "                 case, the default)\n"
    "  --evaluation   a held-out evaluation set: unsure samples get the synthetic true label,\n"
    "                 every sample the true mask and attributes (lungtrust-cli evaluate reports\n"
    "                 against them); the trainer refuses such a set\n";

static cJSON *read_json(const char *path, lt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return lt_error_set(err, "cannot open %s", path), NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (len <= 0 || len > (256L << 20)) {
    fclose(f);
    return lt_error_set(err, "%s: not a synthetic manifest", path), NULL;
  }
  char *txt = malloc((size_t)len + 1);
  if (!txt || fread(txt, 1, (size_t)len, f) != (size_t)len) {
    free(txt);
    fclose(f);
    return lt_error_set(err, "cannot read %s", path), NULL;
  }
  fclose(f);
  txt[len] = 0;
  cJSON *root = cJSON_Parse(txt);
  free(txt);
  if (!root)
    lt_error_set(err, "%s: not JSON", path);
  return root;
}

static bool num_array(const cJSON *a, double *v, int n) {
  if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
    return false;
  for (int i = 0; i < n; i++) {
    const cJSON *x = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
      return false;
    v[i] = x->valuedouble;
  }
  return true;
}

/* A relative path inside the synthetic folder. */
static int sub_path(char *out, size_t n, const char *dir, const cJSON *rel, lt_error *err) {
  if (!cJSON_IsString(rel) || !rel->valuestring[0] || strstr(rel->valuestring, "..") ||
      rel->valuestring[0] == '/')
    return lt_error_set(err, "bad path in the manifest");
  if ((size_t)snprintf(out, n, "%s/%s", dir, rel->valuestring) >= n)
    return lt_error_set(err, "path too long");
  return 0;
}

typedef struct {
  const char *dir, *seed, *split;
  bool evaluation;
  lt_dataset *ds;
  lt_patch *p;
  uint8_t *mask, *truth;
  int added, skipped;
} job;

static int add_sample(job *J, const cJSON *cs, const cJSON *sm, const lt_volume *v,
                      const char *patient, const char *split, lt_error *err) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(sm, "id");
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(sm, "set");
  const cJSON *nod = cJSON_GetObjectItemCaseSensitive(sm, "nodule");
  double centre[3];
  if (!cJSON_IsString(id) || !cJSON_IsString(set) || !cJSON_IsNumber(nod) ||
      !num_array(cJSON_GetObjectItemCaseSensitive(sm, "centre_mm"), centre, 3))
    return lt_error_set(err, "sample without id, set, nodule or centre_mm");
  const bool sure = !strcmp(set->valuestring, "sure");
  if (!sure && strcmp(set->valuestring, "unsure"))
    return lt_error_set(err, "%s: set is neither sure nor unsure", id->valuestring);
  (void)cs;
  lt_sample s;
  memset(&s, 0, sizeof s);
  if ((size_t)snprintf(s.id, sizeof s.id, "%s-n%d", patient, nod->valueint) >= 41)
    return lt_error_set(err, "%s: sample id too long", id->valuestring);
  snprintf(s.patient, sizeof s.patient, "%s", patient);
  snprintf(s.split, sizeof s.split, "%s", split);
  s.spacing_mm = v->geom.spacing[0];
  s.thickness_mm = v->slice_thickness > 0 ? v->slice_thickness : v->geom.spacing[2];
  snprintf(s.manufacturer, sizeof s.manufacturer, "%s", v->manufacturer);
  bool has_mask = false;
  if (sure) {
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(sm, "label");
    const cJSON *rad = cJSON_GetObjectItemCaseSensitive(sm, "radius_mm");
    if (!cJSON_IsNumber(lab) || (lab->valuedouble != 0 && lab->valuedouble != 1) ||
        !cJSON_IsNumber(rad) || !(rad->valuedouble > 0 && rad->valuedouble < 100))
      return lt_error_set(err, "%s: sure sample without label 0/1 and radius", id->valuestring);
    s.has_label = true;
    s.sure = true;
    s.label = (int)lab->valuedouble;
    s.nodule_mm = 2 * rad->valuedouble;
    if (lt_dataset_patch_at(J->p, v, centre, err))
      return -1;
    lt_dataset_sphere(J->mask, &J->p->geom, centre, rad->valuedouble);
    s.mask_sphere = true;
    has_mask = true;
  } else {
    double r[LT_N_ATTRIBUTES];
    const cJSON *mk = cJSON_GetObjectItemCaseSensitive(sm, "mask");
    if (num_array(cJSON_GetObjectItemCaseSensitive(sm, "ratings"), r, LT_N_ATTRIBUTES)) {
      bool ok = true;
      for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
        ok &= r[k] >= 1 && r[k] <= 5;
        s.ratings[k] = (float)r[k];
      }
      if (!ok)
        return lt_error_set(err, "%s: ratings outside 1-5", id->valuestring);
      s.has_ratings = true;
    }
    if (lt_dataset_patch_at(J->p, v, centre, err))
      return -1;
    if (cJSON_IsString(mk)) {
      char path[1200];
      if (sub_path(path, sizeof path, J->dir, mk, err))
        return -1;
      const long nv = lt_dataset_mask_file(J->mask, path, v, J->p, err);
      if (nv < 0)
        return -1;
      const double vol = (double)nv * v->geom.spacing[0] * v->geom.spacing[1] * v->geom.spacing[2];
      s.nodule_mm = cbrt(6 * vol / M_PI);
      has_mask = true;
    }
    if (!has_mask && !s.has_ratings && !J->evaluation) {
      J->skipped++; /* no reader found it: nothing to learn from */
      return 0;
    }
  }
  bool has_truth = false;
  if (J->evaluation) {
    /* Evaluation only: the synthetic truth. */
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(sm, "truth");
    const cJSON *tl = t ? cJSON_GetObjectItemCaseSensitive(t, "label") : NULL;
    double ta[LT_N_ATTRIBUTES];
    if (!cJSON_IsNumber(tl) || (tl->valuedouble != 0 && tl->valuedouble != 1) ||
        !num_array(cJSON_GetObjectItemCaseSensitive(t, "attributes"), ta, LT_N_ATTRIBUTES))
      return lt_error_set(err, "%s: no truth label and attributes", id->valuestring);
    if (!sure) {
      s.has_label = true;
      s.label = (int)tl->valuedouble;
    }
    for (int k = 0; k < LT_N_ATTRIBUTES; k++)
      s.truth_attrs[k] = (float)(ta[k] < 1 ? 1 : ta[k] > 5 ? 5 : ta[k]);
    s.has_truth_attrs = true;
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(t, "mask");
    if (cJSON_IsString(tm)) {
      char path[1200];
      if (sub_path(path, sizeof path, J->dir, tm, err) || lt_dataset_mask_file(J->truth, path, v, J->p, err) < 0)
        return -1;
      has_truth = true;
    }
  }
  if (lt_dataset_add_truth(J->ds, &s, &J->p->ch[0][0], has_mask ? J->mask : NULL,
                           has_truth ? J->truth : NULL, err))
    return -1;
  J->added++;
  return 0;
}

static int add_case(job *J, const cJSON *cs, lt_error *err) {
  const cJSON *cid = cJSON_GetObjectItemCaseSensitive(cs, "id");
  const cJSON *cdir = cJSON_GetObjectItemCaseSensitive(cs, "dir");
  const cJSON *csplit = cJSON_GetObjectItemCaseSensitive(cs, "split");
  const cJSON *samples = cJSON_GetObjectItemCaseSensitive(cs, "samples");
  if (!cJSON_IsString(cid) || !cJSON_IsArray(samples))
    return lt_error_set(err, "case without id or samples");
  const char *split = cJSON_IsString(csplit) ? csplit->valuestring : "all";
  if (strcmp(J->split, "all") && strcmp(J->split, split))
    return 0;
  char patient[64];
  if ((size_t)snprintf(patient, sizeof patient, "s%s-%s", J->seed, cid->valuestring) >= 36)
    return lt_error_set(err, "case id '%s' too long", cid->valuestring);
  for (char *c = patient; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-'))
      *c = '_';
  char path[1200];
  if (sub_path(path, sizeof path, J->dir, cJSON_IsString(cdir) ? cdir : cid, err))
    return -1;
  lt_volume *v = NULL;
  if (lt_series_read(path, NULL, &v, NULL, err))
    return lt_error_prefix(err, "%s", cid->valuestring), -1;
  int rc = 0;
  const cJSON *sm;
  cJSON_ArrayForEach(sm, samples) {
    if (add_sample(J, cs, sm, v, patient, split, err)) {
      lt_error_prefix(err, "%s", cid->valuestring);
      rc = -1;
      break;
    }
  }
  lt_volume_free(v);
  return rc;
}

int lt_cli_dataset_synth(int argc, char **argv) {
  const char *synth = NULL, *out = NULL, *split = "all";
  bool evaluation = false;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      fputs(usage, stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--synth") && i + 1 < argc) {
      synth = argv[++i];
    } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
      out = argv[++i];
    } else if (!strcmp(argv[i], "--split") && i + 1 < argc) {
      split = argv[++i];
      if (strcmp(split, "train") && strcmp(split, "test") && strcmp(split, "all"))
        return lt_cli_usage_error("dataset", "--split must be train, test or all");
    } else if (!strcmp(argv[i], "--evaluation")) {
      evaluation = true;
    } else {
      return lt_cli_usage_error("dataset", "unknown or extra argument '%s' with --synth", argv[i]);
    }
  }
  if (!synth || !out)
    return lt_cli_usage_error("dataset", "needs --synth SYNTHDIR and --out DIR");
  lt_error err = {{0}};
  char mpath[1200];
  snprintf(mpath, sizeof mpath, "%s/manifest.json", synth);
  cJSON *root = read_json(mpath, &err);
  if (!root)
    return lt_cli_fail(&err);
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "lungtrust-synth-manifest") ||
      !cJSON_IsNumber(ver) || !cJSON_IsString(seed) || !cJSON_IsArray(cases)) {
    cJSON_Delete(root);
    return lt_cli_failf("%s: not a LungTrust synthetic manifest", mpath);
  }
  if (ver->valueint != 1) {
    cJSON_Delete(root);
    return lt_cli_failf("%s: manifest version %d is not known (1 is)", mpath, ver->valueint);
  }
  if (strlen(seed->valuestring) > 20 || strspn(seed->valuestring, "0123456789") !=
                                            strlen(seed->valuestring)) {
    cJSON_Delete(root);
    return lt_cli_failf("%s: bad seed", mpath);
  }
  lt_dataset ds;
  char dpath[1200];
  struct stat st;
  snprintf(dpath, sizeof dpath, "%s/manifest.json", out);
  if (stat(dpath, &st) == 0) {
    if (lt_dataset_load(&ds, out, &err)) {
      cJSON_Delete(root);
      return lt_cli_fail(&err);
    }
    if (ds.evaluation != evaluation) {
      lt_dataset_free(&ds);
      cJSON_Delete(root);
      return lt_cli_failf("%s: cannot mix evaluation and training samples", out);
    }
  } else if (lt_dataset_init(&ds, out, &err)) {
    cJSON_Delete(root);
    return lt_cli_fail(&err);
  }
  ds.evaluation = evaluation;
  job J = {.dir = synth, .seed = seed->valuestring, .split = split, .evaluation = evaluation,
           .ds = &ds};
  J.p = malloc(sizeof *J.p);
  J.mask = malloc(LT_PATCH_VOXELS);
  J.truth = malloc(LT_PATCH_VOXELS);
  int rc = LT_EXIT_OK, n_cases = 0;
  if (!J.p || !J.mask || !J.truth) {
    lt_error_set(&err, "out of memory");
    rc = lt_cli_fail(&err);
    goto out;
  }
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cases) {
    const int before = J.added;
    if (add_case(&J, cs, &err)) {
      rc = lt_cli_fail(&err);
      goto out;
    }
    n_cases += J.added > before;
  }
  if (!J.added) {
    rc = lt_cli_failf("%s: no sample in split '%s'", mpath, split);
    goto out;
  }
  if (lt_dataset_save(&ds, &err)) {
    rc = lt_cli_fail(&err);
    goto out;
  }
  int n_sure = 0, n_unsure = 0;
  for (int i = ds.n - J.added; i < ds.n; i++)
    ds.s[i].sure ? n_sure++ : n_unsure++;
  printf("%d samples from %d cases (%d sure, %d unsure, %d skipped: no reader found them)%s; "
         "%s lists %d\n",
         J.added, n_cases, n_sure, n_unsure, J.skipped,
         evaluation ? ", evaluation set with the synthetic truth" : "", dpath, ds.n);
out:
  free(J.p), free(J.mask), free(J.truth);
  lt_dataset_free(&ds);
  cJSON_Delete(root);
  return rc;
}
