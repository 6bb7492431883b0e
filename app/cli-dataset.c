/* app/cli-dataset.c — `lungtrust-cli dataset STUDY... --out DIR`: a training data set
 * (engine/train/dataset.h) from CT studies with LIDC readings: for every nodule with a 50%
 * consensus outline, the 2x64^3 patch at its centroid, the consensus mask patch, the six mean
 * ratings, and a label from the mean malignancy rating (unsure data: > 3 malignant, < 3 benign,
 * = 3 unlabelled). The patient is the series' PatientID (else the study folder's name). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-dataset-synth.h"
#include "cli.h"
#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "train/dataset.h"

static const char usage[] =
    "Usage: lungtrust-cli dataset STUDY... --out DIR [--selected]\n"
    "       lungtrust-cli dataset --synth SYNTHDIR --out DIR [--split S] [--evaluation]\n"
    "                             (a synthetic data set: lungtrust-cli dataset --synth x --help)\n\n"
    "Builds a data set for 'lungtrust-cli train' from CT studies with LIDC readings. Each\n"
    "nodule with a 50% consensus outline becomes a sample: its 2x64^3 patch and consensus mask\n"
    "(cached in DIR/patches/), its six mean ratings (subtlety, sphericity, margin, lobulation,\n"
    "spiculation, malignancy) and a label from the mean malignancy (> 3 malignant, < 3 benign,\n"
    "= 3 none). DIR/manifest.json lists them; folds are split by the series' PatientID.\n"
    "  --out DIR     the data set folder (created; samples are appended to an existing one)\n"
    "  --selected    only the nodules the paper's selection keeps (lungtrust-cli info shows why\n"
    "                a nodule is not selected)\n";

static const int rating_index[LT_N_ATTRIBUTES] = {LT_LIDC_SUBTLETY,    LT_LIDC_SPHERICITY,
                                                  LT_LIDC_MARGIN,      LT_LIDC_LOBULATION,
                                                  LT_LIDC_SPICULATION, LT_LIDC_MALIGNANCY};

static int add_study(lt_dataset *ds, const char *study, bool selected_only, int *added,
                     lt_error *err) {
  lt_volume *v = NULL;
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  lt_patch *p = malloc(sizeof *p);
  uint8_t *full = NULL, *mask = malloc(LT_PATCH_VOXELS);
  int rc = -1;
  if (!p || !mask) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  if (lt_series_read(study, NULL, &v, NULL, err))
    goto out;
  if (lt_lidc_read_for_series(study, v->series_uid, &doc, err))
    goto out;
  if (lt_nodules_build(doc, v, NULL, &set, err))
    goto out;
  const size_t nvox = lt_geometry_count(&v->geom);
  full = malloc(nvox);
  if (!full) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  char patient[64];
  if (v->patient_id[0]) {
    snprintf(patient, sizeof patient, "%.63s", v->patient_id);
  } else {
    const char *base = strrchr(study, '/');
    snprintf(patient, sizeof patient, "%.63s", base && base[1] ? base + 1 : study);
  }
  for (int n = 0; n < set->n_nodules; n++) {
    const lt_nodule *d = &set->nodules[n];
    if (!d->consensus || (selected_only && !d->selected))
      continue;
    lt_sample s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%.30s-n%s", patient, d->id);
    for (char *c = s.id; *c; c++)
      if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            *c == '-'))
        *c = '_';
    snprintf(s.patient, sizeof s.patient, "%s", patient);
    bool rated = true;
    for (int k = 0; k < LT_N_ATTRIBUTES; k++) {
      const double r = d->mean_ratings[rating_index[k]];
      if (!isfinite(r) || r < 1 || r > 5)
        rated = false;
      else
        s.ratings[k] = (float)r;
    }
    s.has_ratings = rated;
    const double mal = d->mean_ratings[LT_LIDC_MALIGNANCY];
    if (isfinite(mal) && mal != 3.0) {
      s.has_label = true;
      s.label = mal > 3.0;
      s.sure = false;
    }
    s.spacing_mm = v->geom.spacing[0];
    s.thickness_mm = v->slice_thickness > 0 ? v->slice_thickness : v->geom.spacing[2];
    s.nodule_mm = d->eq_diameter_mm;
    snprintf(s.manufacturer, sizeof s.manufacturer, "%s", v->manufacturer);
    if (lt_patch_extract(p, v, d->centroid_mm, err))
      goto out;
    memset(full, 0, nvox);
    lt_nodule_rasterise(d, -1, &v->geom, full);
    if (lt_patch_mask(mask, &p->geom, full, &v->geom, err) < 0)
      goto out;
    if (lt_dataset_add(ds, &s, &p->ch[0][0], mask, err))
      goto out;
    (*added)++;
    printf("%s: nodule %s, %.1f mm, malignancy %.2f%s\n", s.id, d->id, d->eq_diameter_mm, mal,
           s.has_label ? (s.label ? " (label 1)" : " (label 0)") : " (no label)");
  }
  rc = 0;
out:
  free(p), free(mask), free(full);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
  if (rc)
    lt_error_prefix(err, "%s", study);
  return rc;
}

int lt_cli_dataset(int argc, char **argv) {
  const char *out = NULL;
  bool selected = false;
  int n_studies = 0;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--synth"))
      return lt_cli_dataset_synth(argc, argv);
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      fputs(usage, stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
      out = argv[++i];
    } else if (!strcmp(argv[i], "--selected")) {
      selected = true;
    } else if (argv[i][0] == '-') {
      return lt_cli_usage_error("dataset", "unknown or incomplete option '%s'", argv[i]);
    } else {
      n_studies++;
    }
  }
  if (!out || !n_studies)
    return lt_cli_usage_error("dataset", "needs STUDY... and --out DIR");
  lt_error err = {{0}};
  lt_dataset ds;
  char mpath[1024];
  struct stat st;
  snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
  if (stat(mpath, &st) == 0) {
    if (lt_dataset_load(&ds, out, &err))
      return lt_cli_fail(&err);
  } else if (lt_dataset_init(&ds, out, &err)) {
    return lt_cli_fail(&err);
  }
  int added = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out")) {
      i++;
      continue;
    }
    if (argv[i][0] == '-')
      continue;
    if (add_study(&ds, argv[i], selected, &added, &err)) {
      lt_dataset_free(&ds);
      return lt_cli_fail(&err);
    }
  }
  if (lt_dataset_save(&ds, &err)) {
    lt_dataset_free(&ds);
    return lt_cli_fail(&err);
  }
  printf("%d samples added; %s lists %d\n", added, mpath, ds.n);
  lt_dataset_free(&ds);
  return LT_EXIT_OK;
}
