/* app/cli-synth.c — `lungtrust-cli synth`: synthetic cases (engine/synth/case.h) written as DICOM
 * series with LIDC-style readings, read back through the LIDC code path, and a manifest; or, with
 * --montage, the real-versus-synthetic picture (engine/synth/montage.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "synth/attrs.h"
#include "synth/case.h"
#include "synth/lidc-tables.h"
#include "synth/manifest.h"
#include "synth/montage.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli synth --out DIR [--count N] [--seed S] [--confound] [--study DIR]\n"
        "                          [--kind KIND] [--juxtapleural F] [--max-extent-mm MM]\n"
        "       lungtrust-cli synth --montage PNG [--seed S] [--study DIR]\n\n"
        "Inserts synthetic nodules (attributes drawn from the LIDC ratings) into slabs of a\n"
        "real CT study and writes each case as a DICOM series with an LIDC-style reading file of\n"
        "four simulated readers, then reads it back through the LIDC code path for the consensus\n"
        "masks and mean ratings. DIR gets case-NNNN/ folders and manifest.json.\n"
        "  --out DIR          output folder (created; must be empty)\n"
        "  --count N          number of cases (default 10); each holds 1-3 nodules\n"
        "  --seed S           seed (default 1); the same seed gives the same data\n"
        "  --confound         a bright speck beside nodules, tied to malignancy in the train split\n"
        "                     (folds 0-3) and absent in the test split (fold 4)\n"
        "  --study DIR        background study (default $LT_SHARED_DATA/lidc/LIDC-IDRI-0001, else\n"
        "                     ../shared/data/lidc/LIDC-IDRI-0001)\n"
        "  --ratings DIR      LIDC ratings tables (default .../lidc-ratings beside the study's data)\n"
        "  --slab-mm MM       slab length along the slices (default 100; at least the 32 mm patch)\n"
        "  --sure-fraction F  share of nodules in the sure set (label, centre, radius; default 0.5)\n"
        "  --kind KIND        what every nodule is (docs/synth.md, \"Abnormal nodules\"): solid (the\n"
        "                     default: the model's own kind), ground-glass (-750..-450 HU, 6-30 mm),\n"
        "                     part-solid (that halo around a -50..+60 HU core of 25-60% of the size,\n"
        "                     8-30 mm), calcified (300..1000 HU over most of it, 4-20 mm) or oversize\n"
        "                     (a solid mass 35-60 mm on at least one axis, may reach the pleura)\n"
        "  --juxtapleural F   share (0-1) of nodules placed with their edge on the lung boundary and\n"
        "                     their centre in the lung (default 0: fully inside with a 2 mm margin)\n"
        "  --max-extent-mm MM redraw a nodule whose extent along L, P or S reaches MM (default: none)\n"
        "  --montage PNG      write the real-versus-synthetic montage instead of cases\n"
        "  --json             one JSON summary on stdout\n",
        f);
}

/* 0 when dir does not exist (then created) or is an empty folder. */
static int prepare_out(const char *dir, lt_error *err) {
  struct stat sb;
  if (stat(dir, &sb) != 0) {
    if (mkdir(dir, 0777) != 0) return lt_error_set(err, "cannot create %s: %s", dir, strerror(errno));
    return 0;
  }
  if (!S_ISDIR(sb.st_mode)) return lt_error_set(err, "%s exists and is not a folder", dir);
  DIR *d = opendir(dir);
  if (!d) return lt_error_set(err, "cannot read %s: %s", dir, strerror(errno));
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  if (n) return lt_error_set(err, "%s is not empty (synth writes only into an empty folder)", dir);
  return 0;
}

int lt_cli_synth(int argc, char **argv) {
  const char *out = NULL, *study_dir = NULL, *ratings_dir = NULL, *montage = NULL;
  uint64_t count = 10, seed = 1;
  bool confound = false, json = false;
  double sure = 0.5, slab_mm = 100, juxta = 0, max_extent = 0;
  int kind = LT_KIND_SOLID;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    if (lt_cli_is_help(a)) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(a, "--out") && has) {
      out = argv[++i];
    } else if (!strcmp(a, "--count") && has) {
      long c;
      if (!lt_cli_opt_long("synth", a, argv[++i], 1, 9999, &c)) return LT_EXIT_USAGE;
      count = (uint64_t)c;
    } else if (!strcmp(a, "--seed") && has) {
      if (!lt_cli_opt_seed("synth", a, argv[++i], &seed)) return LT_EXIT_USAGE;
    } else if (!strcmp(a, "--sure-fraction") && has) {
      if (!lt_cli_parse_double(argv[++i], 0, 1, &sure))
        return lt_cli_usage_error("synth", "--sure-fraction wants a number in [0, 1], not '%s'", argv[i]);
    } else if (!strcmp(a, "--slab-mm") && has) {
      if (!lt_cli_parse_double(argv[++i], 32, 1000, &slab_mm))
        return lt_cli_usage_error("synth", "--slab-mm wants a length in 32..1000 mm, not '%s'", argv[i]);
    } else if (!strcmp(a, "--kind") && has) {
      if ((kind = lt_nodule_kind_parse(argv[++i])) < 0)
        return lt_cli_usage_error("synth", "--kind wants solid, ground-glass, part-solid, calcified or "
                                  "oversize, not '%s'", argv[i]);
    } else if (!strcmp(a, "--juxtapleural") && has) {
      if (!lt_cli_parse_double(argv[++i], 0, 1, &juxta))
        return lt_cli_usage_error("synth", "--juxtapleural wants a number in [0, 1], not '%s'", argv[i]);
    } else if (!strcmp(a, "--max-extent-mm") && has) {
      if (!lt_cli_parse_double(argv[++i], 3, 1000, &max_extent))
        return lt_cli_usage_error("synth", "--max-extent-mm wants a length in 3..1000 mm, not '%s'", argv[i]);
    } else if (!strcmp(a, "--confound")) {
      confound = true;
    } else if (!strcmp(a, "--study") && has) {
      study_dir = argv[++i];
    } else if (!strcmp(a, "--ratings") && has) {
      ratings_dir = argv[++i];
    } else if (!strcmp(a, "--montage") && has) {
      montage = argv[++i];
    } else if (!strcmp(a, "--json")) {
      json = true;
    } else {
      return lt_cli_usage_error("synth", "unexpected argument '%s'", a);
    }
  }
  if (!out && !montage) return lt_cli_usage_error("synth", "--out DIR (or --montage PNG) is required");
  if (out && montage) return lt_cli_usage_error("synth", "--out and --montage do not go together");

  const char *root = getenv("LT_SHARED_DATA");
  if (!root || !*root) root = "../shared/data";
  char study_buf[4096], ratings_buf[4096];
  if (!study_dir) {
    snprintf(study_buf, sizeof study_buf, "%s/lidc/LIDC-IDRI-0001", root);
    study_dir = study_buf;
  }
  if (!ratings_dir) {
    snprintf(ratings_buf, sizeof ratings_buf, "%s/lidc-ratings", root);
    ratings_dir = ratings_buf;
  }
  struct stat sb;
  if (stat(study_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return lt_cli_failf("synth: study folder %s not found", study_dir);

  lt_error err = {{0}};
  lt_lidc_tables *tables = NULL;
  lt_attr_pool *pool = NULL;
  lt_synth_study *st = NULL;
  lt_synth_case *cases = NULL;
  int rc = LT_EXIT_INPUT;
  if (lt_lidc_tables_read(ratings_dir, &tables, &err) != 0 ||
      lt_attr_pool_build(tables, &pool, &err) != 0) {
    lt_error_prefix(&err, "synth");
    rc = lt_cli_fail(&err);
    goto done;
  }
  if (lt_synth_study_load(study_dir, &st, &err) != 0) {
    lt_error_prefix(&err, "synth");
    rc = lt_cli_fail(&err);
    goto done;
  }
  if (montage) {
    if (lt_synth_montage(st, pool, seed, montage, &err) != 0) {
      rc = lt_cli_fail(&err);
      goto done;
    }
    if (json) {
      printf("{\"montage\":");
      lt_cli_print_json_string(stdout, montage);
      printf("}\n");
    } else {
      printf("montage: %s\n", montage);
    }
    rc = LT_EXIT_OK;
    goto done;
  }
  if (prepare_out(out, &err) != 0) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  cases = calloc((size_t)count, sizeof *cases);
  if (!cases) {
    rc = lt_cli_failf("synth: out of memory");
    goto done;
  }
  lt_synth_options opt;
  lt_synth_options_default(&opt);
  opt.confound = confound;
  opt.sure_fraction = sure;
  opt.slab_mm = slab_mm;
  opt.kind = (lt_nodule_kind)kind;
  opt.juxtapleural = juxta;
  opt.max_extent_mm = max_extent;
  int n_sure = 0, n_unsure = 0, n_malignant = 0;
  double dice_sum = 0;
  int dice_n = 0;
  char dir[4200];
  for (int i = 0; i < (int)count; i++) {
    snprintf(dir, sizeof dir, "%s/case-%04d", out, i + 1);
    if (lt_synth_case_make(st, pool, &opt, seed, i, dir, &cases[i], &err) != 0 ||
        lt_synth_case_import(dir, &cases[i], &err) != 0) {
      rc = lt_cli_fail(&err);
      goto done;
    }
    lt_synth_case *c = &cases[i];
    for (int j = 0; j < c->n; j++) {
      lt_synth_nodule *nd = &c->nodules[j];
      free(nd->truth); /* written as truth-N.nii.gz; the manifest needs only the counts */
      nd->truth = NULL;
      if (nd->sure) n_sure++;
      else n_unsure++;
      n_malignant += nd->truth_label.label;
      if (nd->imported) {
        dice_sum += nd->dice_consensus_truth;
        dice_n++;
      }
    }
    if (!json)
      fprintf(stderr, "%s: %d nodule(s), slices %d-%d of the study\n", c->id, c->n, c->k0 + 1,
              c->k0 + c->geom.dim[2]);
  }
  char mpath[4200];
  snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
  lt_synth_manifest_info info = {seed, confound, study_dir, st, ratings_dir, pool->n,
                                 (lt_nodule_kind)kind, juxta, max_extent};
  if (lt_synth_manifest_write(mpath, &info, cases, (int)count, &err) != 0) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  double dice = dice_n ? dice_sum / dice_n : NAN;
  if (json) {
    printf("{\"out\":");
    lt_cli_print_json_string(stdout, out);
    printf(",\"cases\":%d,\"samples\":%d,\"sure\":%d,\"unsure\":%d,\"malignant\":%d,"
           "\"mean_dice_consensus_truth\":%.4f,\"noise_sd_hu\":%.2f,\"manifest\":",
           (int)count, n_sure + n_unsure, n_sure, n_unsure, n_malignant, dice_n ? dice : 0.0,
           st->scanner.noise_sd_hu);
    lt_cli_print_json_string(stdout, mpath);
    printf("}\n");
  } else
    printf("%d cases, %d samples (%d sure, %d unsure), %d malignant by the truth rule; mean Dice of "
           "the readers' consensus against the truth %s%.3f; scanner noise %.1f HU\nmanifest: %s\n",
           (int)count, n_sure + n_unsure, n_sure, n_unsure, n_malignant, dice_n ? "" : "(none) ",
           dice_n ? dice : 0.0, st->scanner.noise_sd_hu, mpath);
  rc = LT_EXIT_OK;
done:
  if (cases)
    for (int i = 0; i < (int)count; i++) lt_synth_case_clear(&cases[i]);
  free(cases);
  lt_synth_study_free(st);
  lt_attr_pool_free(pool);
  lt_lidc_tables_free(tables);
  return rc;
}
