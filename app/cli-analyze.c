/* app/cli-analyze.c — `lungtrust-cli analyze`: one nodule (or point) of a study through the
 * model (engine/review/analyze.h): malignancy probability, attributes with the LIDC scale words,
 * Dice against the readers' consensus when known, the trust measures against the model's own
 * mask and the consensus, and out-of-distribution warnings from the weights' statistics.
 * With --out: seg.nii.gz and cam.nii.gz in the CT volume's geometry and analysis.png (centre
 * slices, CAM heatmap, model contour red, consensus contour green). A point (--at-mm,
 * --at-voxel) inside a nodule's consensus is compared with that consensus too. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ct/lidc.h"
#include "ct/nifti.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/picture.h"
#include "ct/series.h"
#include "lt-data-dir.h"
#include "review/analyze.h"
#include "model/gradcam.h"
#include "model/input.h"
#include "model/weights.h"
#include "lt-db.h"
#include "lt-db-write.h"

static const char usage[] =
    "Usage: lungtrust-cli analyze STUDY (--nodule ID | --at-mm X,Y,Z | --at-voxel I,J,K)\n"
    "                             [--model MODEL] [--out DIR] [--series UID] [--json]\n\n"
    "Runs the model on the 2x64^3 patch around a nodule or point of STUDY and prints the\n"
    "malignancy probability, the six attributes (LIDC scale 1-5 with its words), the trust\n"
    "check (Grad-CAM inside vs outside the model's own mask, and the readers' consensus when\n"
    "the study has LIDC readings), the Dice of the segmentation against the consensus, and\n"
    "warnings when the case lies outside the training data.\n"
    "  --model MODEL  weights file written by 'lungtrust-cli train' (default: LUNGTRUST_MODEL,\n"
    "                 else the bundled model, as the workstation takes it; its path is printed)\n"
    "  --out DIR      write seg.nii.gz (uint8, model mask), cam.nii.gz (float32 Grad-CAM) in\n"
    "                 the CT volume's geometry, and analysis.png\n"
    "  --json         print the results as JSON\n"
    "  --db FILE      also store the run (probability, attributes, trust, the weights' hash)\n"
    "                 on the nodule in FILE, which 'lungtrust-cli import STUDY --db FILE'\n"
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

/* Geometry of the pooled grid of side S inside the 64^3 patch geometry. */
static void pooled_geometry(lt_geometry *g, const lt_geometry *patch, int S) {
  *g = *patch;
  const double k = (double)LT_PATCH_N / S, c = (k - 1) / 2;
  const double ijk[3] = {c, c, c};
  lt_geometry_voxel_to_mm(patch, ijk, g->origin);
  for (int a = 0; a < 3; a++) {
    g->dim[a] = S;
    g->spacing[a] = patch->spacing[a] * k;
  }
}

static void heat(float t, uint8_t rgb[3]) {
  /* black-body like: dark red -> red -> yellow -> white */
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  rgb[0] = (uint8_t)lrintf(255 * fminf(1, 3 * t));
  rgb[1] = (uint8_t)lrintf(255 * fminf(1, fmaxf(0, 3 * t - 1)));
  rgb[2] = (uint8_t)lrintf(255 * fmaxf(0, 3 * t - 2));
}

/* Centre slices: top row CT channel 0 with contours, bottom row CAM heatmap blended over it. */
static int write_png(const char *path, const lt_patch *p, const float *cam, const float *seg,
                     const uint8_t *cons, int S, lt_error *err) {
  enum { N = LT_PATCH_N, Z = 4, GAP = 8 };
  const int c = N / 2 - 1, k = N / S;
  lt_picture *pic = lt_picture_new(3 * N * Z + 4 * GAP, 2 * N * Z + 3 * GAP);
  float *img = malloc(N * N * sizeof *img);
  uint8_t *ms = malloc(N * N), *mc = malloc(N * N);
  if (!pic || !img || !ms || !mc) {
    lt_picture_free(pic), free(img), free(ms), free(mc);
    return lt_error_set(err, "out of memory");
  }
  static const uint8_t red[3] = {255, 48, 48}, green[3] = {40, 230, 80};
  for (int view = 0; view < 3; view++) {
    float camv[N * N];
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        int i, j, kk;
        if (view == 0)
          i = x, j = y, kk = c;
        else if (view == 1)
          i = x, j = c, kk = N - 1 - y;
        else
          i = c, j = x, kk = N - 1 - y;
        const size_t q = (size_t)i + N * ((size_t)j + N * (size_t)kk);
        const size_t qs =
            (size_t)(i / k) + (size_t)S * ((size_t)(j / k) + (size_t)S * (size_t)(kk / k));
        img[y * N + x] = p->ch[0][q];
        ms[y * N + x] = seg[qs] >= 0.5f;
        mc[y * N + x] = cons ? cons[q] : 0;
        camv[y * N + x] = cam[qs];
      }
    const int x0 = GAP + view * (N * Z + GAP);
    lt_picture_put_grey(pic, x0, GAP, img, N, N, Z);
    lt_picture_put_grey(pic, x0, 2 * GAP + N * Z, img, N, N, Z);
    for (int y = 0; y < N * Z; y++)
      for (int x = 0; x < N * Z; x++) {
        uint8_t h[3];
        heat(camv[(y / Z) * N + x / Z], h);
        uint8_t *px =
            pic->rgb + 3 * ((size_t)(2 * GAP + N * Z + y) * (size_t)pic->w + (size_t)(x0 + x));
        for (int ch = 0; ch < 3; ch++)
          px[ch] = (uint8_t)((px[ch] + h[ch]) / 2);
      }
    for (int row = 0; row < 2; row++) {
      const int y0 = GAP + row * (N * Z + GAP);
      if (cons)
        lt_picture_contour(pic, x0, y0, mc, N, N, Z, green);
      lt_picture_contour(pic, x0, y0, ms, N, N, Z, red);
    }
  }
  int rc = lt_picture_write_png(pic, path, err);
  lt_picture_free(pic), free(img), free(ms), free(mc);
  return rc;
}

/* The nodule whose consensus holds the voxel nearest to mm, or NULL. */
static const lt_nodule *nodule_at(const lt_nodule_set *set, const lt_geometry *g,
                                  const double mm[3]) {
  double f[3];
  lt_geometry_mm_to_voxel(g, mm, f);
  int v[3];
  for (int a = 0; a < 3; a++)
    v[a] = (int)lround(f[a]);
  for (int n = 0; set && n < set->n_nodules; n++) {
    const lt_nodule *d = &set->nodules[n];
    if (!d->consensus)
      continue;
    int in = 1;
    for (int a = 0; a < 3; a++)
      in &= v[a] >= d->box.lo[a] && v[a] <= d->box.hi[a];
    if (!in)
      continue;
    const int nx = d->box.hi[0] - d->box.lo[0] + 1, ny = d->box.hi[1] - d->box.lo[1] + 1;
    const size_t q =
        (size_t)(v[0] - d->box.lo[0]) +
        (size_t)nx * ((size_t)(v[1] - d->box.lo[1]) + (size_t)ny * (size_t)(v[2] - d->box.lo[2]));
    if (d->consensus[q])
      return d;
  }
  return NULL;
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s/%s", dir, name);
  return s;
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

/* The weights' identity for the database: FNV-1a 64 over the whole file, so two files with the
 * same tensors but other metadata (metrics, statistics) count as different models. */
static int weights_file_hash(const char *path, char *buf, size_t n, lt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return lt_error_set(err, "cannot open %s: %s", path, strerror(errno));
  uint64_t h = 1469598103934665603ull;
  unsigned char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
    for (size_t i = 0; i < got; i++) h = (h ^ chunk[i]) * 1099511628211ull;
  int bad = ferror(f);
  fclose(f);
  if (bad) return lt_error_set(err, "cannot read %s", path);
  snprintf(buf, n, "fnv1a64-file:%016llx", (unsigned long long)h);
  return 0;
}

/* Stores one analysis as a model run on the nodule that `import STUDY` wrote (natural key
 * "SERIES_UID/NODULE_ID" with source "lidc-xml"). The database must exist already: analyze
 * never creates one, so a mistyped --db path cannot leave an empty database behind. */
static int store_run(const char *db_path, const char *model_path, const char *series_uid,
                     const char *nodule_id, const lt_analysis *an, int n_ood, bool quiet, lt_error *err) {
  char hash[64], key[200];
  if (weights_file_hash(model_path, hash, sizeof hash, err)) return -1;
  snprintf(key, sizeof key, "%s/%s", series_uid, nodule_id);
  lt_db *db = NULL;
  if (lt_db_open_existing(db_path, &db, err)) return -1;
  int64_t id = 0;
  int rc = lt_db_find_nodule(db, "lidc-xml", key, &id, err);
  if (!rc && !id)
    rc = lt_error_set(err, "%s: nodule %s of this study is not in the database (run "
                      "'lungtrust-cli import STUDY --db %s' first)", db_path, nodule_id, db_path);
  if (!rc) {
    lt_db_model_run run = {0};
    run.nodule_id = id;
    run.weights_hash = hash;
    const char *slash = strrchr(model_path, '/');
    run.model_name = slash ? slash + 1 : model_path;
    run.probability = an->prob;
    for (int k = 0; k < 6; k++) run.scores[k] = NAN;
    for (int k = 0; k < an->n_attr; k++) run.scores[an->n_attr == 1 ? 5 : k] = an->attrs[k];
    run.cam_inside = an->trust_own.valid ? an->trust_own.share_in : NAN;
    run.ood_score = n_ood;
    run.uncertainty = NAN;
    int64_t run_id = 0;
    rc = lt_db_add_model_run(db, &run, &run_id, err);
    if (!rc && !quiet) printf("stored as model run %lld on database nodule %lld\n",
                     (long long)run_id, (long long)id);
  }
  lt_db_close(db);
  return rc;
}

int lt_cli_analyze(int argc, char **argv) {
  const char *study = NULL, *model = NULL, *out = NULL, *series = NULL, *nodule = NULL;
  const char *db_path = NULL;
  double at_mm[3];
  int at_vox[3], have_mm = 0, have_vox = 0;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (lt_cli_is_help(s)) {
      fputs(usage, stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(s, "--json")) {
      json = true;
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
  lt_weights w;
  if (lt_weights_load(model, NULL, &w, &err))
    return lt_cli_fail(&err);
  const int S = w.config.input_size;
  if (S > LT_PATCH_N || LT_PATCH_N % S) {
    lt_weights_free(&w);
    return lt_cli_failf("%s: input side %d does not divide the 64^3 patch", model, S);
  }
  int rc = LT_EXIT_INPUT;
  lt_volume *v = NULL;
  lt_series_info info;
  memset(&info, 0, sizeof info);
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  lt_model *m = NULL;
  lt_patch *p = NULL;
  uint8_t *full = NULL, *cons = NULL, *segvol8 = NULL;
  float *x = NULL, *cm = NULL, *vol = NULL;
  lt_analysis an;
  memset(&an, 0, sizeof an);
  char *paths[3] = {NULL, NULL, NULL};
  if (lt_series_read(study, series, &v, &info, &err))
    goto fail;
  const lt_geometry *g = &v->geom;
  const size_t nvox = lt_geometry_count(g);
  {
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
  double centre[3];
  const lt_nodule *nod = NULL;
  if (nodule) {
    nod = set ? lt_nodule_set_find(set, nodule) : NULL;
    if (!nod) {
      lt_error_set(&err, "no nodule '%s' in %s", nodule, study);
      goto fail;
    }
    memcpy(centre, nod->centroid_mm, sizeof centre);
  } else if (have_vox) {
    const double ijk[3] = {at_vox[0], at_vox[1], at_vox[2]};
    lt_geometry_voxel_to_mm(g, ijk, centre);
  } else {
    memcpy(centre, at_mm, sizeof centre);
  }
  if (!nod)
    nod = nodule_at(set, g, centre); /* a point inside a reader-outlined nodule */
  p = malloc(sizeof *p);
  x = malloc((size_t)S * S * S * (size_t)w.config.in_channels * sizeof *x);
  cm = malloc((size_t)S * S * S * sizeof *cm);
  if (!p || !x || !cm) {
    lt_error_set(&err, "out of memory");
    goto fail;
  }
  if (lt_patch_extract(p, v, centre, &err))
    goto fail;
  if (nod && nod->consensus) {
    full = malloc(nvox);
    cons = malloc(LT_PATCH_VOXELS);
    if (!full || !cons) {
      lt_error_set(&err, "out of memory");
      goto fail;
    }
    lt_nodule_rasterise(nod, -1, g, full);
    if (lt_patch_mask(cons, &p->geom, full, g, &err) < 0)
      goto fail;
  }
  lt_model_input_make(x, S, w.config.in_channels, p->ch[0], p->ch[1]);
  if (cons)
    lt_model_input_mask(cm, S, cons);
  if (lt_model_create_from_weights(&m, &w, &err))
    goto fail;
  if (lt_analyze_patch(m, x, p->ch[0], cons ? cm : NULL, &an, &err))
    goto fail;

  /* Out-of-distribution warnings. */
  char ood[8][160];
  const double nodule_mm = nod ? nod->eq_diameter_mm : 0;
  int n_ood = lt_ood_warnings(w.has_stats ? &w.stats : NULL, g->spacing[0],
                              info.slice_thickness > 0 ? info.slice_thickness : g->spacing[2],
                              nodule_mm, v->manufacturer, ood, 8);
  n_ood += lt_attr_refit_warnings(an.refit_clipped, ood + n_ood, 8 - n_ood);
  /* shown with the others, but not an out-of-distribution count for the database's run */
  const int n_warn = n_ood + lt_trust_grid_warnings(an.grid, nodule_mm, ood + n_ood, 8 - n_ood);
  if (out) {
    if (mkdir(out, 0777) && errno != EEXIST) {
      lt_error_set(&err, "cannot create %s: %s", out, strerror(errno));
      goto fail;
    }
    paths[0] = join(out, "seg.nii.gz");
    paths[1] = join(out, "cam.nii.gz");
    paths[2] = join(out, "analysis.png");
    vol = calloc(nvox, sizeof *vol);
    segvol8 = malloc(nvox);
    if (!paths[0] || !paths[1] || !paths[2] || !vol || !segvol8) {
      lt_error_set(&err, "out of memory");
      goto fail;
    }
    lt_geometry pg;
    pooled_geometry(&pg, &p->geom, S);
    lt_cam_to_volume(vol, g, an.seg, &pg);
    for (size_t q = 0; q < nvox; q++)
      segvol8[q] = vol[q] >= 0.5f;
    if (lt_nifti_write(paths[0], g, 1, LT_NIFTI_U8, segvol8, "LungTrust segmentation (model)",
                       &err))
      goto fail;
    memset(vol, 0, nvox * sizeof *vol);
    lt_cam_to_volume(vol, g, an.cam, &pg);
    if (lt_nifti_write(paths[1], g, 1, LT_NIFTI_F32, vol, "LungTrust Grad-CAM [0,1]", &err) ||
        write_png(paths[2], p, an.cam, an.seg, cons, S, &err))
      goto fail;
  }
  if (json) {
    printf("{\"model\": ");
    lt_cli_print_json_string(stdout, model);
    printf(", \"centre_mm\": [%.3f, %.3f, %.3f], \"nodule\": ", centre[0], centre[1], centre[2]);
    if (nod)
      lt_cli_print_json_string(stdout, nod->id);
    else
      printf("null");
    printf(", \"probability\": %.5f, \"attributes\": {", an.prob);
    for (int k = 0; k < an.n_attr; k++) {
      const int attr = an.n_attr == 1 ? 5 : k;
      printf("%s\"%s\": {\"score\": %.3f, \"word\": \"%s\"}", k ? ", " : "",
             lt_attribute_names[attr], an.attrs[k], scale_word(attr, an.attrs[k]));
    }
    printf("}, \"cam_flat\": %s, ", an.cam_flat ? "true" : "false");
    print_trust("own_mask", &an.trust_own, true);
    if (an.has_consensus) {
      printf(", ");
      print_trust("consensus", &an.trust_consensus, true);
      if (an.has_seg)
        printf(", \"dice_consensus\": %.4f", an.dice_consensus);
      else
        printf(", \"dice_consensus\": null"); /* no segmentation (ResNet baseline) */
    }
    printf(", \"warnings\": [");
    for (int k = 0; k < n_warn; k++) {
      printf("%s", k ? ", " : "");
      lt_cli_print_json_string(stdout, ood[k]);
    }
    printf("]");
    static const char *const path_keys[3] = {"seg", "cam", "png"};
    for (int k = 0; out && k < 3; k++) {
      printf(", \"%s\": ", path_keys[k]);
      lt_cli_print_json_string(stdout, paths[k]);
    }
    printf("}\n");
  } else {
    if (model_defaulted) printf("model %s (none named: the default)\n", model);
    printf("centre (%.1f, %.1f, %.1f) mm%s%s\n", centre[0], centre[1], centre[2],
           nod ? ", nodule " : "", nod ? nod->id : "");
    printf("malignancy probability %.3f (%s)\n", an.prob, an.prob >= 0.5f ? "malignant" : "benign");
    for (int k = 0; k < an.n_attr; k++) {
      const int attr = an.n_attr == 1 ? 5 : k;
      printf("  %-12s %.2f  %s\n", lt_attribute_names[attr], an.attrs[k],
             scale_word(attr, an.attrs[k]));
    }
    if (an.cam_flat)
      printf("Grad-CAM is flat: it shows nothing\n");
    if (an.has_seg)
      print_trust("own mask", &an.trust_own, false);
    else
      printf("this model has no segmentation: no own mask to check the Grad-CAM against\n");
    if (an.has_consensus) {
      print_trust("consensus", &an.trust_consensus, false);
      if (an.has_seg)
        printf("Dice of the segmentation against the readers' consensus: %.3f\n",
               an.dice_consensus);
    }
    for (int k = 0; k < n_warn; k++)
      printf("warning: %s\n", ood[k]);
    if (out)
      printf("wrote %s, %s, %s\n", paths[0], paths[1], paths[2]);
  }
  if (db_path && store_run(db_path, model, v->series_uid, nod->id, &an, n_ood, json, &err))
    goto fail;
  rc = LT_EXIT_OK;
  goto done;
fail:
  lt_cli_fail(&err);
done:
  for (int q = 0; q < 3; q++)
    free(paths[q]);
  lt_analysis_free(&an);
  lt_model_free(m);
  free(p), free(x), free(cm), free(full), free(cons), free(vol), free(segvol8);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_series_info_free(&info);
  lt_volume_free(v);
  lt_weights_free(&w);
  return rc;
}
