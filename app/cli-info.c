/* app/cli-info.c — `lungtrust-cli info STUDY`: the series found, the chosen one's geometry, the
 * LIDC readings beside it and the physical nodules they give (engine/ct/series.h, lidc.h,
 * nodules.h), as text or one JSON object (cJSON). Reads; writes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli info STUDY [--series UID] [--json]\n"
        "       lungtrust-cli info --engine [--json]   (the same as 'lungtrust-cli engine')\n\n"
        "What a study holds: every DICOM series found under STUDY (a folder, searched\n"
        "recursively, or one file) with the one read (the CT series with most slices unless\n"
        "--series names one), its geometry (dimensions, spacing from the slice positions,\n"
        "origin and direction in LPS mm, z range, slice thickness, gaps), the LIDC XML readings\n"
        "found there for that series (readers, their nodule marks), and the physical nodules\n"
        "they give: ID (for --nodule ID), reader count, consensus centroid in mm and voxels,\n"
        "equivalent diameter, mean ratings and each reader's ratings, and whether the paper's\n"
        "selection rules keep it (slice thickness <= 3 mm, >= 3 readers, mean texture 5,\n"
        "diameter >= 3 mm). Readers are numbered from 1 in file order.\n"
        "  --series UID   read this SeriesInstanceUID instead\n"
        "  --json         one JSON object on stdout\n"
        "Exit status: 0 success, 1 bad input (one line on stderr), 2 usage error.\n",
        f);
}

typedef struct {
  const char *study;
  lt_volume *vol;
  lt_series_info info;
  char **xml_paths;
  int n_xml;
  lt_lidc_doc *doc;
  lt_nodule_set *set;
  lt_nodule_options opt;
} info_ctx;

static void ctx_free(info_ctx *c) {
  lt_nodule_set_free(c->set);
  lt_lidc_doc_free(c->doc);
  lt_lidc_paths_free(c->xml_paths, c->n_xml);
  lt_volume_free(c->vol);
  lt_series_info_free(&c->info);
}

static void z_range(const lt_volume *v, double *lo, double *hi) {
  double a[3] = {0, 0, 0}, b[3] = {0, 0, v->geom.dim[2] - 1}, ma[3], mb[3];
  lt_geometry_voxel_to_mm(&v->geom, a, ma);
  lt_geometry_voxel_to_mm(&v->geom, b, mb);
  *lo = fmin(ma[2], mb[2]);
  *hi = fmax(ma[2], mb[2]);
}

/* ---- text ---- */

static void print_ratings(const int *r) {
  for (int c = 0; c < LT_LIDC_NCHAR; c++) printf(" %d", r[c]);
}

static void print_text(const info_ctx *c) {
  const lt_volume *v = c->vol;
  const lt_geometry *g = &v->geom;
  const lt_series_info *in = &c->info;
  printf("study: %s\n", c->study);
  printf("series: %d found in %d files\n", in->n_series, in->n_files);
  for (int s = 0; s < in->n_series; s++) {
    const lt_series_summary *ss = &in->series[s];
    printf("  %c %s  %s  %d slices  %dx%d%s%s%s%s\n", s == in->chosen ? '*' : ' ', ss->uid,
           ss->modality, ss->n_slices, ss->cols, ss->rows, ss->description[0] ? "  \"" : "",
           ss->description, ss->description[0] ? "\"" : "", s == in->chosen ? "  (read)" : "");
  }
  if (in->n_skipped_unreadable || in->n_skipped_no_image)
    printf("  not in a series: %d files not DICOM or unreadable, %d DICOM "
           "without an image; first: %s\n", in->n_skipped_unreadable,
           in->n_skipped_no_image, in->skip_example);
  double z0, z1;
  z_range(v, &z0, &z1);
  printf("geometry:\n");
  printf("  dims         %d x %d x %d (columns x rows x slices)\n", g->dim[0], g->dim[1],
         g->dim[2]);
  printf("  spacing      %g x %g x %g mm (slice spacing from positions)\n", g->spacing[0],
         g->spacing[1], g->spacing[2]);
  printf("  origin       %g %g %g mm (LPS, centre of voxel 0,0,0)\n", g->origin[0], g->origin[1],
         g->origin[2]);
  printf("  direction    %g %g %g / %g %g %g / %g %g %g (columns: i, j, k axes)\n", g->dir[0],
         g->dir[1], g->dir[2], g->dir[3], g->dir[4], g->dir[5], g->dir[6], g->dir[7], g->dir[8]);
  printf("  z range      %g .. %g mm\n", z0, z1);
  printf("  thickness    %g mm (SliceThickness tag%s)\n", v->slice_thickness,
         v->slice_thickness > 0 ? "" : " absent");
  printf("  gaps         %g .. %g mm, %d uneven, %d duplicate positions dropped, %d missing "
         "slices filled\n", in->gap_min, in->gap_max, in->n_uneven_gaps, in->n_duplicates,
         in->n_filled);
  printf("  HU           %d .. %d\n", in->hu_min, in->hu_max);
  printf("  scanner      %s %s; patient %s\n", v->manufacturer, v->model_name, v->patient_id);
  int nr = c->doc ? c->doc->n_readers : 0;
  printf("readings: %d LIDC XML file(s) under the study, %d reader(s) for this series\n", c->n_xml,
         nr);
  for (int r = 0; r < nr; r++) {
    const lt_lidc_reader *rd = &c->doc->readers[r];
    int outlined = 0;
    for (int m = 0; m < rd->n_marks; m++) outlined += rd->marks[m].has_characteristics;
    printf("  reader %d (radiologist %s): %d nodule marks (%d rated), %d non-nodules\n", r + 1,
           rd->radiologist_id[0] ? rd->radiologist_id : "?", rd->n_marks, outlined,
           rd->n_non_nodules);
  }
  const lt_nodule_set *s = c->set;
  if (nr > 0)
    printf("  ROIs on slices: %d by SOP UID, %d by z, %d on no slice; %d points outside the image; "
           "%d marks dropped\n",
           s->rois_by_uid, s->rois_by_z, s->rois_unmatched, s->points_outside, s->marks_dropped);
  printf("nodules: %d\n", s->n_nodules);
  for (int t = 0; t < s->n_nodules; t++) {
    const lt_nodule *n = &s->nodules[t];
    char why[128];
    printf("  %s: %d reader(s), centroid %.2f %.2f %.2f mm, voxel %.1f %.1f %.1f, ", n->id,
           n->n_readers, n->centroid_mm[0], n->centroid_mm[1], n->centroid_mm[2],
           n->centroid_vox[0], n->centroid_vox[1], n->centroid_vox[2]);
    if (n->consensus_voxels > 0)
      printf("diameter %.1f mm (50%% consensus, %.0f mm^3)", n->eq_diameter_mm, n->volume_mm3);
    else
      printf("%s", n->large ? "empty 50% consensus" : "small (< 3 mm, points only)");
    printf("; %s%s\n", n->selected ? "selected" : "not selected: ",
           n->selected ? "" : lt_nodule_reject_string(n->reject, why, sizeof why));
    if (n->n_rated > 0) {
      printf("     mean ratings:");
      for (int k = 0; k < LT_LIDC_NCHAR; k++)
        if (isnan(n->mean_ratings[k])) printf(" %s -", lt_lidc_char_names[k]);
        else printf(" %s %.2f", lt_lidc_char_names[k], n->mean_ratings[k]);
      printf("\n");
    }
    for (int m = 0; m < n->n_marks; m++) {
      const lt_nodule_mark *mk = &n->marks[m];
      printf("     reader %d %-14s", mk->reader + 1, mk->reader_nodule_id);
      if (mk->has_ratings) {
        printf(" ratings");
        print_ratings(mk->ratings);
      } else {
        printf(" no ratings");
      }
      if (mk->is_point) printf(", point\n");
      else printf(", outline %zu voxels, %.1f mm\n", mk->n_voxels, mk->eq_diameter_mm);
    }
  }
  if (s->n_non_nodules || s->non_nodules_unmatched)
    printf("non-nodules: %d (%d on no slice)\n", s->n_non_nodules, s->non_nodules_unmatched);
}

/* ---- JSON ---- */

static cJSON *num_array(const double *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

static cJSON *int_array(const int *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

static void add_num_or_null(cJSON *o, const char *key, double v) {
  if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
  else cJSON_AddNullToObject(o, key);
}

static cJSON *ratings_object(const int *r) {
  cJSON *o = cJSON_CreateObject();
  for (int c = 0; o && c < LT_LIDC_NCHAR; c++)
    if (r[c] > 0) cJSON_AddNumberToObject(o, lt_lidc_char_names[c], r[c]);
    else cJSON_AddNullToObject(o, lt_lidc_char_names[c]);
  return o;
}

static cJSON *build_json(const info_ctx *c) {
  const lt_volume *v = c->vol;
  const lt_geometry *g = &v->geom;
  const lt_series_info *in = &c->info;
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  cJSON_AddStringToObject(root, "study", c->study);
  cJSON *series = cJSON_AddArrayToObject(root, "series");
  for (int s = 0; series && s < in->n_series; s++) {
    const lt_series_summary *ss = &in->series[s];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(series, o);
    cJSON_AddStringToObject(o, "uid", ss->uid);
    cJSON_AddStringToObject(o, "modality", ss->modality);
    cJSON_AddStringToObject(o, "description", ss->description);
    cJSON_AddNumberToObject(o, "files", ss->n_files);
    cJSON_AddNumberToObject(o, "slices", ss->n_slices);
    cJSON_AddNumberToObject(o, "rows", ss->rows);
    cJSON_AddNumberToObject(o, "columns", ss->cols);
    cJSON_AddBoolToObject(o, "chosen", s == in->chosen);
  }
  cJSON_AddStringToObject(root, "chosen_series", v->series_uid);
  cJSON_AddStringToObject(root, "study_uid", v->study_uid);
  cJSON_AddStringToObject(root, "patient_id", v->patient_id);
  cJSON_AddStringToObject(root, "modality", v->modality);
  cJSON_AddStringToObject(root, "manufacturer", v->manufacturer);
  cJSON_AddStringToObject(root, "model_name", v->model_name);
  cJSON_AddNumberToObject(root, "files_found", in->n_files);
  cJSON_AddNumberToObject(root, "files_skipped_unreadable", in->n_skipped_unreadable);
  cJSON_AddNumberToObject(root, "files_skipped_no_image", in->n_skipped_no_image);

  cJSON *geo = cJSON_AddObjectToObject(root, "geometry");
  if (geo) {
    double z0, z1;
    z_range(v, &z0, &z1);
    double zr[2] = {z0, z1};
    int hu[2] = {in->hu_min, in->hu_max};
    cJSON_AddItemToObject(geo, "dims", int_array(g->dim, 3));
    cJSON_AddItemToObject(geo, "spacing_mm", num_array(g->spacing, 3));
    cJSON_AddItemToObject(geo, "origin_mm", num_array(g->origin, 3));
    cJSON_AddItemToObject(geo, "direction", num_array(g->dir, 9));
    cJSON_AddItemToObject(geo, "z_range_mm", num_array(zr, 2));
    add_num_or_null(geo, "slice_thickness_mm", v->slice_thickness > 0 ? v->slice_thickness : NAN);
    cJSON_AddNumberToObject(geo, "gap_min_mm", in->gap_min);
    cJSON_AddNumberToObject(geo, "gap_max_mm", in->gap_max);
    cJSON_AddNumberToObject(geo, "uneven_gaps", in->n_uneven_gaps);
    cJSON_AddNumberToObject(geo, "duplicate_positions_dropped", in->n_duplicates);
    cJSON_AddNumberToObject(geo, "filled_slices", in->n_filled);
    cJSON_AddItemToObject(geo, "hu_range", int_array(hu, 2));
  }

  cJSON *rd = cJSON_AddObjectToObject(root, "readings");
  const lt_nodule_set *s = c->set;
  if (rd) {
    cJSON *files = cJSON_AddArrayToObject(rd, "xml_files");
    for (int i = 0; files && i < c->n_xml; i++)
      cJSON_AddItemToArray(files, cJSON_CreateString(c->xml_paths[i]));
    cJSON *readers = cJSON_AddArrayToObject(rd, "readers");
    for (int r = 0; readers && c->doc && r < c->doc->n_readers; r++) {
      const lt_lidc_reader *rr = &c->doc->readers[r];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddItemToArray(readers, o);
      cJSON_AddNumberToObject(o, "reader", r + 1);
      cJSON_AddStringToObject(o, "radiologist_id", rr->radiologist_id);
      cJSON_AddStringToObject(o, "annotation_version", rr->annotation_version);
      cJSON_AddNumberToObject(o, "nodule_marks", rr->n_marks);
      cJSON_AddNumberToObject(o, "non_nodules", rr->n_non_nodules);
    }
    cJSON_AddNumberToObject(rd, "rois_by_sop_uid", s->rois_by_uid);
    cJSON_AddNumberToObject(rd, "rois_by_z", s->rois_by_z);
    cJSON_AddNumberToObject(rd, "rois_unmatched", s->rois_unmatched);
    cJSON_AddNumberToObject(rd, "points_outside_image", s->points_outside);
    cJSON_AddNumberToObject(rd, "marks_dropped", s->marks_dropped);
  }

  cJSON *rules = cJSON_AddObjectToObject(root, "selection_rules");
  if (rules) {
    cJSON_AddNumberToObject(rules, "max_slice_thickness_mm", c->opt.max_slice_thickness_mm);
    cJSON_AddNumberToObject(rules, "min_readers", c->opt.min_readers);
    cJSON_AddNumberToObject(rules, "min_mean_texture", c->opt.min_mean_texture);
    cJSON_AddNumberToObject(rules, "min_diameter_mm", c->opt.min_diameter_mm);
    cJSON_AddNumberToObject(rules, "slice_thickness_used_mm", s->slice_thickness_mm);
  }

  cJSON *nods = cJSON_AddArrayToObject(root, "nodules");
  for (int t = 0; nods && t < s->n_nodules; t++) {
    const lt_nodule *n = &s->nodules[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(nods, o);
    cJSON_AddStringToObject(o, "id", n->id);
    cJSON_AddBoolToObject(o, "large", n->large);
    cJSON_AddNumberToObject(o, "reader_count", n->n_readers);
    cJSON_AddNumberToObject(o, "outlined_by", n->n_outlined);
    cJSON_AddItemToObject(o, "centroid_mm", num_array(n->centroid_mm, 3));
    cJSON_AddItemToObject(o, "centroid_voxel", num_array(n->centroid_vox, 3));
    cJSON_AddNumberToObject(o, "consensus_voxels", (double)n->consensus_voxels);
    add_num_or_null(o, "volume_mm3", n->consensus_voxels ? n->volume_mm3 : NAN);
    add_num_or_null(o, "eq_diameter_mm", n->consensus_voxels ? n->eq_diameter_mm : NAN);
    if (n->consensus_voxels) {
      int lohi[6] = {n->box.lo[0], n->box.lo[1], n->box.lo[2],
                     n->box.hi[0], n->box.hi[1], n->box.hi[2]};
      cJSON_AddItemToObject(o, "consensus_box", int_array(lohi, 6));
    }
    cJSON *mean = cJSON_AddObjectToObject(o, "mean_ratings");
    for (int k = 0; mean && k < LT_LIDC_NCHAR; k++)
      add_num_or_null(mean, lt_lidc_char_names[k], n->mean_ratings[k]);
    cJSON_AddBoolToObject(o, "selected", n->selected);
    cJSON *rej = cJSON_AddArrayToObject(o, "rejected_by");
    static const char *const bits[] = {"thick slices", "few readers", "texture", "small", "large"};
    for (int b = 0; rej && b < 5; b++)
      if (n->reject & (1u << b)) cJSON_AddItemToArray(rej, cJSON_CreateString(bits[b]));
    cJSON *marks = cJSON_AddArrayToObject(o, "readers");
    for (int m = 0; marks && m < n->n_marks; m++) {
      const lt_nodule_mark *mk = &n->marks[m];
      cJSON *mo = cJSON_CreateObject();
      cJSON_AddItemToArray(marks, mo);
      cJSON_AddNumberToObject(mo, "reader", mk->reader + 1);
      cJSON_AddStringToObject(mo, "radiologist_id", mk->radiologist_id);
      cJSON_AddStringToObject(mo, "nodule_id", mk->reader_nodule_id);
      cJSON_AddBoolToObject(mo, "outlined", !mk->is_point);
      cJSON_AddNumberToObject(mo, "voxels", (double)mk->n_voxels);
      add_num_or_null(mo, "eq_diameter_mm", mk->is_point ? NAN : mk->eq_diameter_mm);
      cJSON_AddItemToObject(mo, "centroid_mm", num_array(mk->centroid_mm, 3));
      if (mk->has_ratings) cJSON_AddItemToObject(mo, "ratings", ratings_object(mk->ratings));
      else cJSON_AddNullToObject(mo, "ratings");
    }
  }
  cJSON *nn = cJSON_AddArrayToObject(root, "non_nodules");
  for (int t = 0; nn && t < s->n_non_nodules; t++) {
    const lt_placed_non_nodule *p = &s->non_nodules[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(nn, o);
    cJSON_AddNumberToObject(o, "reader", p->reader + 1);
    cJSON_AddStringToObject(o, "id", p->id);
    cJSON_AddItemToObject(o, "position_mm", num_array(p->pos_mm, 3));
    cJSON_AddItemToObject(o, "voxel", num_array(p->pos_vox, 3));
  }
  cJSON_AddNumberToObject(root, "non_nodules_unmatched", s->non_nodules_unmatched);
  return root;
}

int lt_cli_info(int argc, char **argv) {
  /* `info --engine` (DESIGN section 5) is the same report as `lungtrust-cli engine`. */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--engine")) continue;
    char *rest[8] = {"engine"};
    int n = 1;
    for (int j = 1; j < argc; j++) {
      if (j == i) continue;
      if (n == 8) return lt_cli_usage_error("info", "too many arguments with --engine");
      rest[n++] = argv[j];
    }
    return lt_cli_engine(n, rest);
  }
  const char *study = NULL, *series = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (!strcmp(argv[i], "--series")) {
      if (++i >= argc) return lt_cli_usage_error("info", "--series needs a SeriesInstanceUID");
      series = argv[i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return lt_cli_usage_error("info", "unknown option '%s'", argv[i]);
    } else if (study) {
      return lt_cli_usage_error("info", "one STUDY only ('%s' and '%s')", study, argv[i]);
    } else {
      study = argv[i];
    }
  }
  if (!study) return lt_cli_usage_error("info", "no STUDY given");

  info_ctx c = {.study = study};
  lt_nodule_options_default(&c.opt);
  lt_error err = {{0}};
  int rc = LT_EXIT_OK;
  if (lt_series_read(study, series, &c.vol, &c.info, &err) != 0 ||
      lt_lidc_find(study, &c.xml_paths, &c.n_xml, &err) != 0 ||
      lt_lidc_read_for_series(study, c.vol->series_uid, &c.doc, &err) != 0 ||
      lt_nodules_build(c.doc, c.vol, &c.opt, &c.set, &err) != 0) {
    rc = lt_cli_fail(&err);
  } else if (json) {
    cJSON *root = build_json(&c);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    if (!text) rc = lt_cli_failf("out of memory writing JSON");
    else lt_cli_print_json_text(stdout, text), putchar('\n');
    free(text);
    cJSON_Delete(root);
  } else {
    print_text(&c);
  }
  char warn[512];
  if (c.vol && lt_series_warning(&c.info, warn, sizeof warn) > 0)
    fprintf(stderr, "warning: %s\n", warn);
  ctx_free(&c);
  return rc;
}
