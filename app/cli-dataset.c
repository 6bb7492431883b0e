/* app/cli-dataset.c — `lungtrust-cli dataset STUDY... --out DIR`: a training data set
 * (engine/train/dataset.h) from CT studies with LIDC readings: for every nodule with a 50%
 * consensus outline, the 2x64^3 patch at its centroid, the consensus mask patch, the six mean
 * ratings, and a label from the mean malignancy rating (unsure data: > 3 malignant, < 3 benign,
 * = 3 unlabelled). The patient is the database's pseudonym of the series' PatientID (else of its
 * StudyInstanceUID), as `import` stores it (lt_db_pseudonym): never the raw PatientID, in the
 * manifest or in a file name. An LIDC-IDRI id is its own pseudonym and needs no database; any
 * other needs the database's key, so the database (--db, else the default) is opened then. */
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
#include "lt-db-write.h"
#include "lt-db.h"
#include "train/dataset-patch.h"
#include "train/dataset.h"

static const char usage[] =
    "Usage: lungtrust-cli dataset STUDY... --out DIR [--selected] [--db FILE]\n"
    "       lungtrust-cli dataset --synth SYNTHDIR --out DIR [--split S] [--evaluation]\n"
    "                             (a synthetic data set: lungtrust-cli dataset --synth x --help)\n\n"
    "Builds a data set for 'lungtrust-cli train' from CT studies with LIDC readings. Each\n"
    "nodule with a 50% consensus outline becomes a sample: its 2x64^3 patch and consensus mask\n"
    "(cached in DIR/patches/), its six mean ratings (subtlety, sphericity, margin, lobulation,\n"
    "spiculation, malignancy) and a label from the mean malignancy (> 3 malignant, < 3 benign,\n"
    "= 3 none). DIR/manifest.json lists them; folds are split by patient: the database's\n"
    "pseudonym of the series' PatientID, as 'import' stores it (never the PatientID itself).\n"
    "  --out DIR     the data set folder (created; samples are appended to an existing one)\n"
    "  --selected    only the nodules the paper's selection keeps (lungtrust-cli info shows why\n"
    "                a nodule is not selected)\n"
    "  --db FILE     the database whose pseudonym key names patients other than LIDC-IDRI ones\n"
    "                (default: $XDG_DATA_HOME/lungtrust/lungtrust.db; created if absent)\n";

static const int rating_index[LT_N_ATTRIBUTES] = {LT_LIDC_SUBTLETY,    LT_LIDC_SPHERICITY,
                                                  LT_LIDC_MARGIN,      LT_LIDC_LOBULATION,
                                                  LT_LIDC_SPICULATION, LT_LIDC_MALIGNANCY};

/* The patient's pseudonym; opens the database (once) only for an id that is not LIDC's. */
static int patient_pseudonym(const lt_volume *v, const char *db_path, lt_db **db, char *buf,
                             size_t n, lt_error *err) {
  if (!*db && lt_db_open(db_path, db, err)) return -1;
  return lt_db_pseudonym(*db, v->patient_id, v->study_uid[0] ? v->study_uid : v->series_uid, buf,
                         n, err);
}

static int add_study(lt_dataset *ds, const char *study, bool selected_only, const char *db_path,
                     lt_db **db, int *added, lt_error *err) {
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
  if (!strncmp(v->patient_id, "LIDC-IDRI-", 10) && strlen(v->patient_id) < 20)
    snprintf(patient, sizeof patient, "%s", v->patient_id); /* its own pseudonym */
  else if (patient_pseudonym(v, db_path, db, patient, sizeof patient, err))
    goto out;
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
    if (lt_dataset_patch_nodule(p, mask, v, d, full, err))
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
  const char *out = NULL, *db_path = NULL;
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
    } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
      db_path = argv[++i];
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
  lt_db *db = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") || !strcmp(argv[i], "--db")) {
      i++;
      continue;
    }
    if (argv[i][0] == '-')
      continue;
    if (add_study(&ds, argv[i], selected, db_path, &db, &added, &err)) {
      lt_db_close(db);
      lt_dataset_free(&ds);
      return lt_cli_fail(&err);
    }
  }
  lt_db_close(db);
  if (lt_dataset_save(&ds, &err)) {
    lt_dataset_free(&ds);
    return lt_cli_fail(&err);
  }
  printf("%d samples added; %s lists %d\n", added, mpath, ds.n);
  lt_dataset_free(&ds);
  return LT_EXIT_OK;
}
