/* app/cli-patch.c — `lungtrust-cli patch`: the model's 2x64^3 input around a nodule or a point,
 * written as NIfTI with its mask patch and a PNG of the centre slices; optionally the whole
 * volume and the lung mask as NIfTI so they open in other tools. */
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
#include "review/review.h"

static const char usage[] =
    "Usage: lungtrust-cli patch STUDY (--nodule ID | --at-mm X,Y,Z | --at-voxel I,J,K) --out DIR\n"
    "                           [--series UID] [--volume] [--lung-mask] [--no-lung-check] [--json]\n"
    "\n"
    "Cuts the model's input around a nodule or a point: cubic B-spline resampling to 0.5 mm,\n"
    "64^3 voxels (32 mm a side) centred on the point (the centre lies between voxels 31 and 32),\n"
    "axes along the series' axes; channel 0 = lung window [-1000, 400] HU, channel 1 =\n"
    "mediastinal window [-160, 240] HU, each scaled to [0, 1].\n"
    "\n"
    "  STUDY             a folder of DICOM files (searched recursively; LIDC XML found there too)\n"
    "  --nodule ID       a nodule's ID as 'lungtrust-cli info' lists it (from the LIDC readings)\n"
    "  --at-mm X,Y,Z     a point in DICOM patient coordinates (LPS, mm)\n"
    "  --at-voxel I,J,K  column, row and slice index (slices sorted along their normal)\n"
    "  --out DIR         where to write (created if absent):\n"
    "                      patch.nii.gz  64x64x64x2 float32 (4D: channel = 4th index), NIfTI RAS\n"
    "                      mask.nii.gz   64^3 uint8 consensus mask patch, with --nodule or when\n"
    "                                    the point lies in a nodule's consensus\n"
    "                      patch.png     axial, coronal, sagittal centre slices of channel 0,\n"
    "                                    nodule contour in red, yellow ticks at the centre\n"
    "  --series UID      the series to read (default: the CT series with most slices)\n"
    "  --volume          also write volume.nii.gz (the whole series, int16 HU)\n"
    "  --lung-mask       also write lung-mask.nii.gz (uint8, the series' geometry)\n"
    "  --no-lung-check   accept --at-mm/--at-voxel points outside the lung mask (refused by\n"
    "                    default: patches are for nodules in the lungs)\n"
    "  --json            print what was written as JSON on stdout\n";

typedef struct {
  const char *study, *out, *series, *nodule;
  double at_mm[3];
  int at_voxel[3];
  int have_mm, have_voxel;
  int volume, lung_mask, no_lung_check, json;
} patch_args;

static int parse_args(int argc, char **argv, patch_args *a, int *help) {
  memset(a, 0, sizeof *a);
  *help = 0;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    int has_next = i + 1 < argc;
    if (lt_cli_is_help(s)) {
      *help = 1;
      return 0;
    } else if (!strcmp(s, "--out") || !strcmp(s, "--series") || !strcmp(s, "--nodule") ||
               !strcmp(s, "--at-mm") || !strcmp(s, "--at-voxel")) {
      if (!has_next) return lt_cli_usage_error("patch", "%s needs a value", s);
      const char *v = argv[++i];
      if (!strcmp(s, "--out")) {
        a->out = v;
      } else if (!strcmp(s, "--series")) {
        a->series = v;
      } else if (!strcmp(s, "--nodule")) {
        a->nodule = v;
      } else if (!strcmp(s, "--at-mm")) {
        if (!lt_cli_parse_triple(v, a->at_mm))
          return lt_cli_usage_error("patch", "--at-mm wants X,Y,Z in mm, got '%s'", v);
        a->have_mm = 1;
      } else {
        if (!lt_cli_parse_int_triple(v, a->at_voxel))
          return lt_cli_usage_error("patch", "--at-voxel wants I,J,K integers, got '%s'", v);
        a->have_voxel = 1;
      }
    } else if (!strcmp(s, "--volume")) {
      a->volume = 1;
    } else if (!strcmp(s, "--lung-mask")) {
      a->lung_mask = 1;
    } else if (!strcmp(s, "--no-lung-check")) {
      a->no_lung_check = 1;
    } else if (!strcmp(s, "--json")) {
      a->json = 1;
    } else if (s[0] == '-' && s[1]) {
      return lt_cli_usage_error("patch", "unknown option '%s'", s);
    } else if (!a->study) {
      a->study = s;
    } else {
      return lt_cli_usage_error("patch", "unexpected argument '%s'", s);
    }
  }
  if (!a->study) return lt_cli_usage_error("patch", "no STUDY given");
  if (!a->out) return lt_cli_usage_error("patch", "--out DIR is required");
  if ((a->nodule != NULL) + a->have_mm + a->have_voxel != 1)
    return lt_cli_usage_error("patch", "give exactly one of --nodule, --at-mm, --at-voxel");
  return 0;
}

/* The patch's centre slices (channel 0) side by side, with the mask contour. */
static int write_png(const char *path, const lt_patch *p, const uint8_t *mask, lt_error *err) {
  enum { N = LT_PATCH_N, S = 4, GAP = 8 };
  const int c = N / 2 - 1; /* voxel 31: the centre lies between 31 and 32 */
  lt_picture *pic = lt_picture_new(3 * N * S + 4 * GAP, N * S + 2 * GAP);
  float *img = malloc(N * N * sizeof *img);
  uint8_t *m = malloc(N * N);
  if (!pic || !img || !m) {
    lt_picture_free(pic);
    free(img);
    free(m);
    return lt_error_set(err, "out of memory");
  }
  static const uint8_t red[3] = {255, 48, 48}, yellow[3] = {255, 220, 0};
  for (int view = 0; view < 3; view++) {
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        size_t q;
        if (view == 0) /* axial: columns i, rows j (anterior at the top, patient's right left) */
          q = (size_t)x + N * ((size_t)y + N * (size_t)c);
        else if (view == 1) /* coronal: columns i, rows k with superior at the top */
          q = (size_t)x + N * ((size_t)c + N * (size_t)(N - 1 - y));
        else /* sagittal: columns j (anterior left), rows k with superior at the top */
          q = (size_t)c + N * ((size_t)x + N * (size_t)(N - 1 - y));
        img[y * N + x] = p->ch[0][q];
        m[y * N + x] = mask ? mask[q] : 0;
      }
    int x0 = GAP + view * (N * S + GAP), y0 = GAP;
    lt_picture_put_grey(pic, x0, y0, img, N, N, S);
    if (mask) lt_picture_contour(pic, x0, y0, m, N, N, S, red);
    /* Ticks at the centre (between voxels 31 and 32) on the four edges. */
    int mid = N * S / 2;
    lt_picture_fill(pic, x0 + mid - 1, y0 - GAP, 2, GAP - 1, yellow);
    lt_picture_fill(pic, x0 + mid - 1, y0 + N * S + 1, 2, GAP - 1, yellow);
    lt_picture_fill(pic, x0 - GAP + 1, y0 + mid - 1, GAP - 2, 2, yellow);
    lt_picture_fill(pic, x0 + N * S + 1, y0 + mid - 1, GAP - 2, 2, yellow);
  }
  int rc = lt_picture_write_png(pic, path, err);
  lt_picture_free(pic);
  free(img);
  free(m);
  return rc;
}


static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s/%s", dir, name);
  return s;
}

int lt_cli_patch(int argc, char **argv) {
  patch_args a;
  int help;
  int urc = parse_args(argc, argv, &a, &help);
  if (urc) return urc;
  if (help) {
    fputs(usage, stdout);
    return LT_EXIT_OK;
  }
  lt_error err = {{0}};
  lt_volume *v = NULL;
  lt_lidc_doc *doc = NULL;
  lt_nodule_set *set = NULL;
  char *paths[5] = {NULL, NULL, NULL, NULL, NULL};
  lt_review_study rs;
  lt_review_study_init(&rs, NULL, NULL, NULL);
  lt_review_result r;
  memset(&r, 0, sizeof r);
  int rc = LT_EXIT_INPUT;

  lt_series_info sinfo;
  int read_rc = lt_series_read(a.study, a.series, &v, &sinfo, &err);
  char warn[512];
  if (lt_series_warning(&sinfo, warn, sizeof warn) > 0) fprintf(stderr, "warning: %s\n", warn);
  lt_series_info_free(&sinfo);
  if (read_rc) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  const lt_geometry *g = &v->geom;

  /* LIDC readings: needed for --nodule, used when the point lies in a nodule. */
  struct stat st;
  char *study_dir = strdup(a.study);
  if (!study_dir) {
    rc = lt_cli_failf("out of memory");
    goto done;
  }
  if (stat(a.study, &st) == 0 && !S_ISDIR(st.st_mode)) {
    char *slash = strrchr(study_dir, '/');
    if (slash)
      *slash = '\0';
    else
      strcpy(study_dir, ".");
  }
  int lrc = lt_lidc_read_for_series(study_dir, v->series_uid, &doc, &err);
  free(study_dir);
  if (lrc) {
    if (a.nodule) {
      rc = lt_cli_fail(&err);
      goto done;
    }
    doc = NULL; /* a broken XML file does not stop a patch at a point */
  }
  if (doc && lt_nodules_build(doc, v, NULL, &set, &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }

  double centre[3];
  const lt_nodule *nod = NULL;
  if (a.nodule) {
    if (!set) {
      rc = lt_cli_failf("no LIDC readings for series %s under %s, so no nodule '%s'",
                        v->series_uid, a.study, a.nodule);
      goto done;
    }
    nod = lt_nodule_set_find(set, a.nodule);
    if (!nod) {
      char ids[128] = "";
      for (int n = 0; n < set->n_nodules && strlen(ids) < sizeof ids - 20; n++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", n ? ", " : "",
                 set->nodules[n].id);
      rc = lt_cli_failf("no nodule '%s' in %s (nodules: %s)", a.nodule, a.study,
                        set->n_nodules ? ids : "none");
      goto done;
    }
    memcpy(centre, nod->centroid_mm, sizeof centre);
  } else if (a.have_voxel) {
    for (int d = 0; d < 3; d++)
      if (a.at_voxel[d] < 0 || a.at_voxel[d] >= g->dim[d]) {
        rc = lt_cli_failf("voxel %d,%d,%d lies outside the volume (%d x %d x %d)", a.at_voxel[0],
                          a.at_voxel[1], a.at_voxel[2], g->dim[0], g->dim[1], g->dim[2]);
        goto done;
      }
    double ijk[3] = {a.at_voxel[0], a.at_voxel[1], a.at_voxel[2]};
    lt_geometry_voxel_to_mm(g, ijk, centre);
  } else {
    memcpy(centre, a.at_mm, sizeof centre);
  }
  if (!lt_patch_point_in_volume(g, centre)) {
    rc = lt_cli_failf("the point (%.1f, %.1f, %.1f) mm lies outside the volume", centre[0],
                      centre[1], centre[2]);
    goto done;
  }

  /* Lung mask: refuses points outside the lungs (not for a reader's nodule), by the rule the
   * scope decision uses. */
  lt_review_study_init(&rs, v, set, NULL);
  int check = !a.nodule && !a.no_lung_check;
  if (check || a.lung_mask) {
    if (lt_review_study_lungs(&rs, &err)) {
      rc = lt_cli_fail(&err);
      goto done;
    }
    if (rs.lung_failed) {
      rc = lt_cli_failf("%s", rs.lung_error);
      goto done;
    }
    if (check && !lt_review_in_lungs(&rs, centre)) {
      rc = lt_cli_failf("refused: the point (%.1f, %.1f, %.1f) mm lies outside the lungs (more "
                        "than %.0f mm from them; --no-lung-check cuts it anyway)", centre[0],
                        centre[1], centre[2], LT_SCOPE_LUNG_MARGIN_MM);
      goto done;
    }
  }
  lt_review_request req = {.where = LT_REVIEW_AT_MM};
  memcpy(req.at, centre, sizeof req.at);
  if (nod) {
    req.where = LT_REVIEW_AT_NODULE;
    snprintf(req.nodule_id, sizeof req.nodule_id, "%s", nod->id);
  }
  if (lt_review_patch(&rs, &req, &r, &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  const lt_patch *p = r.patch;
  if (r.has_nodule) nod = lt_nodule_set_find(set, r.nodule_id);

  if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
    rc = lt_cli_failf("cannot create %s: %s", a.out, strerror(errno));
    goto done;
  }
  paths[0] = join(a.out, "patch.nii.gz");
  paths[1] = join(a.out, "mask.nii.gz");
  paths[2] = join(a.out, "patch.png");
  paths[3] = join(a.out, "volume.nii.gz");
  paths[4] = join(a.out, "lung-mask.nii.gz");
  if (!paths[0] || !paths[1] || !paths[2] || !paths[3] || !paths[4]) {
    rc = lt_cli_failf("out of memory");
    goto done;
  }
  if (lt_nifti_write(paths[0], &p->geom, 2, LT_NIFTI_F32, p->ch,
                     "LungTrust patch: ch0 [-1000,400] HU, ch1 [-160,240] HU", &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  long mask_voxels = -1;
  if (r.consensus) {
    mask_voxels = 0;
    for (int q = 0; q < LT_PATCH_VOXELS; q++) mask_voxels += r.consensus[q] != 0;
    if (lt_nifti_write(paths[1], &p->geom, 1, LT_NIFTI_U8, r.consensus, "LIDC 50% consensus",
                       &err)) {
      rc = lt_cli_fail(&err);
      goto done;
    }
  }
  if (write_png(paths[2], p, r.consensus, &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  if (a.volume && lt_nifti_write(paths[3], g, 1, LT_NIFTI_I16, v->hu, "HU", &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  if (a.lung_mask && lt_nifti_write(paths[4], g, 1, LT_NIFTI_U8, rs.lung, "lung mask", &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  const lt_lung_mask_info li = rs.lung_info;
  const uint8_t *lung = rs.lung;

  if (a.json) {
    printf("{\"centre_mm\": [%.3f, %.3f, %.3f], \"patch\": ", centre[0], centre[1], centre[2]);
    lt_cli_print_json_string(stdout, paths[0]);
    printf(", \"png\": ");
    lt_cli_print_json_string(stdout, paths[2]);
    printf(", \"mask\": ");
    if (mask_voxels >= 0) lt_cli_print_json_string(stdout, paths[1]); else printf("null");
    printf(", \"nodule\": ");
    if (nod) lt_cli_print_json_string(stdout, nod->id); else printf("null");
    printf(", \"mask_voxels\": %ld", mask_voxels);
    printf(", \"volume\": ");
    if (a.volume) lt_cli_print_json_string(stdout, paths[3]); else printf("null");
    printf(", \"lung_mask\": ");
    if (a.lung_mask) lt_cli_print_json_string(stdout, paths[4]); else printf("null");
    if (lung) printf(", \"lung_litres\": %.3f", li.total_l);
    printf("}\n");
  } else {
    printf("centre (%.1f, %.1f, %.1f) mm%s%s\n", centre[0], centre[1], centre[2],
           nod ? ", nodule " : "", nod ? nod->id : "");
    printf("wrote %s (64x64x64x2 float32, 0.5 mm)\n", paths[0]);
    if (mask_voxels >= 0) printf("wrote %s (%ld voxels, %.0f mm^3)\n", paths[1], mask_voxels, mask_voxels * 0.125);
    printf("wrote %s\n", paths[2]);
    if (a.volume) printf("wrote %s\n", paths[3]);
    if (a.lung_mask) printf("wrote %s (%.2f L)\n", paths[4], li.total_l);
  }
  rc = LT_EXIT_OK;
done:
  for (int q = 0; q < 5; q++) free(paths[q]);
  lt_review_result_free(&r);
  lt_review_study_clear(&rs);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
  return rc;
}
