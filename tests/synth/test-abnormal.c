/* tests/synth/test-abnormal.c — the abnormal nodules of `synth --kind` (docs/synth.md, "Abnormal
 * nodules: the scope sets") are what their truth says: for each kind a few cases are made and
 * read back through ct/series (the written DICOM) and ct/lidc + ct/nodules (the readings), and
 * - the kind's drawn numbers lie in its documented ranges, and the HU read back inside the truth
 *   mask match them (ground-glass haze, a part-solid core and halo, calcium over most of a
 *   calcified nodule of 8 mm or more, soft tissue in solid ones);
 * - diameters and extents lie in the kind's ranges (oversize: 35-60 mm on at least one axis, as
 *   drawn and as the truth mask measures it; with --max-extent-mm 30 every axis under 30 mm);
 * - juxtapleural nodules touch the study's lung boundary with their centre in the lung, and the
 *   others (oversize aside) lie wholly in the lungs;
 * - the readers' texture read back through the LIDC path follows the kind (1 GGO, 3 part-solid,
 *   5 solid) and calcified ones carry a calcification rating;
 * - the manifest records kind, solid, calcified, juxtapleural, centre, extents and the physical
 *   nodule's ID;
 * and the default (solid, no juxtapleural) case is byte-identical to the parent commit's (its
 * SHA-256 recorded below from the build before --kind existed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-test.h"
#include "synth/attrs.h"
#include "synth/case.h"
#include "synth/lidc-tables.h"
#include "synth/manifest.h"

static lt_synth_study *g_study;
static lt_attr_pool *g_pool;
static lt_lidc_tables *g_tables;
static char g_study_dir[4096];

static int setup(void **state) {
  (void)state;
  char rat[4096];
  if (!lt_test_data_path(g_study_dir, sizeof g_study_dir, "lidc/LIDC-IDRI-0001") ||
      !lt_test_data_path(rat, sizeof rat, "lidc-ratings"))
    return 0;
  lt_error err;
  if (lt_synth_study_load(g_study_dir, &g_study, &err) != 0 ||
      lt_lidc_tables_read(rat, &g_tables, &err) != 0 || lt_attr_pool_build(g_tables, &g_pool, &err) != 0) {
    printf("setup failed: %s\n", err.msg);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lt_synth_study_free(g_study);
  lt_attr_pool_free(g_pool);
  lt_lidc_tables_free(g_tables);
  return 0;
}

#define NEED_DATA()                                                             \
  do {                                                                          \
    if (!g_study) {                                                             \
      printf("skip: ../shared/data (LIDC-IDRI-0001, lidc-ratings) absent\n");   \
      skip();                                                                   \
    }                                                                           \
  } while (0)

static void remove_tree(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("could not remove %s\n", dir);
}

/* SHA-256 of the parent commit's (e6a9964) `lungtrust-cli synth --seed 6101` case-0001 and
 * case-0003: `cat $(ls IM*.dcm | sort) readings.xml | sha256sum`. The default model's recipe
 * synthesises its training set from seed 6101, so these bytes must not move. */
static const struct {
  int index;
  const char *sha;
} k_parent[] = {
    {0, "1c1556b3f207dad40ab3c809e056048ff4cb69c59a6698fecd3485b57dba07e3"},
    {2, "29988a43dd76990668529da4c19a2b286136d7c08db0f684b9f10a8642030d57"},
};

static void solid_default_is_byte_identical_to_the_parent(void **state) {
  (void)state;
  NEED_DATA();
  char tmp[4096], dir[4200], cmd[4400], out[256];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  lt_synth_options opt;
  lt_synth_options_default(&opt);
  assert_int_equal(opt.kind, LT_KIND_SOLID);
  for (size_t t = 0; t < sizeof k_parent / sizeof k_parent[0]; t++) {
    snprintf(dir, sizeof dir, "%s/case-%04d", tmp, k_parent[t].index + 1);
    lt_synth_case c;
    lt_error err;
    assert_int_equal(lt_synth_case_make(g_study, g_pool, &opt, 6101, k_parent[t].index, dir, &c, &err), 0);
    lt_synth_case_clear(&c);
    snprintf(cmd, sizeof cmd, "cd '%s' && cat $(ls IM*.dcm | sort) readings.xml | sha256sum", dir);
    assert_int_equal(lt_test_run(cmd, out, sizeof out), 0);
    printf("seed 6101 case-%04d: %.64s (parent %s)\n", k_parent[t].index + 1, out, k_parent[t].sha);
    assert_memory_equal(out, k_parent[t].sha, 64);
  }
  remove_tree(tmp);
}

typedef struct {
  int nodules, juxta, juxta_touch, inside_ok, hu_checked;
  double max_axis_lo, max_axis_hi; /* of the truth masks' largest extents */
} kind_tally;

static double dist3(const double *a, const double *b) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/* The study's lung mask at slab voxel (i, j, k) of case c (outside the study: not lung). */
static int study_lung(const lt_synth_case *c, int i, int j, int k) {
  const lt_geometry *g = &g_study->vol->geom;
  int si = i + g_study->body_lo[0], sj = j + g_study->body_lo[1], sk = k + c->k0;
  if (si < 0 || sj < 0 || sk < 0 || si >= g->dim[0] || sj >= g->dim[1] || sk >= g->dim[2]) return 0;
  return g_study->lung[(size_t)si + (size_t)g->dim[0] * ((size_t)sj + (size_t)g->dim[1] * (size_t)sk)];
}

static const cJSON *manifest_sample(const cJSON *root, const char *id) {
  const cJSON *cs;
  cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(cs, "samples")) {
      const cJSON *sid = cJSON_GetObjectItemCaseSensitive(s, "id");
      if (cJSON_IsString(sid) && !strcmp(sid->valuestring, id)) return s;
    }
  }
  return NULL;
}

/* Checks one nodule of case c (written to dir and read back as v, readings as set). */
static void check_nodule(const lt_synth_case *c, const lt_synth_nodule *nd, const lt_volume *v,
                         const lt_nodule_set *set, const cJSON *manifest, kind_tally *t) {
  const lt_geometry *g = &v->geom;
  const lt_nodule_shape *sh = &nd->shape;
  const double d = nd->attrs.diameter_mm, r = d / 2;
  t->nodules++;
  /* Drawn numbers in the kind's ranges. */
  switch (nd->kind) {
  case LT_KIND_GROUND_GLASS:
    assert_true(d >= 6 - 1e-6 && d <= 30 + 1e-6);
    assert_true(sh->ggo_hu >= -750 && sh->ggo_hu <= -450);
    break;
  case LT_KIND_PART_SOLID:
    assert_true(d >= 8 - 1e-6 && d <= 30 + 1e-6);
    assert_true(sh->ggo_hu >= -750 && sh->ggo_hu <= -450);
    assert_true(sh->core_hu >= -50 && sh->core_hu <= 60);
    assert_true(sh->core_fraction >= 0.25 && sh->core_fraction <= 0.6);
    break;
  case LT_KIND_CALCIFIED:
    assert_true(d >= 4 - 1e-6 && d <= 20 + 1e-6);
    assert_true(sh->calcium_hu >= 300 && sh->calcium_hu <= 1000);
    break;
  default:
    break;
  }
  /* The truth mask over the written voxels. */
  const lt_box *b = &nd->box;
  int bx = b->hi[0] - b->lo[0] + 1, by = b->hi[1] - b->lo[1] + 1, bz = b->hi[2] - b->lo[2] + 1;
  double core_c[3];
  for (int q = 0; q < 3; q++) core_c[q] = nd->centre_mm[q] + sh->core_offset[q];
  double core_r = sh->core_fraction * r;
  double in_sum = 0, core_sum = 0, halo_sum = 0;
  long in_n = 0, core_n = 0, halo_n = 0, n = 0, calc = 0, solidish = 0, all_lung = 1, touch = 0;
  int lo[3] = {bx, by, bz}, hi[3] = {-1, -1, -1};
  int maxhu = -2000;
  for (int k = 0; k < bz; k++)
    for (int j = 0; j < by; j++)
      for (int i = 0; i < bx; i++) {
        if (!nd->truth[(size_t)i + (size_t)bx * ((size_t)j + (size_t)by * k)]) continue;
        int gi = b->lo[0] + i, gj = b->lo[1] + j, gk = b->lo[2] + k, ijk[3] = {i, j, k};
        for (int q = 0; q < 3; q++) {
          if (ijk[q] < lo[q]) lo[q] = ijk[q];
          if (ijk[q] > hi[q]) hi[q] = ijk[q];
        }
        int h = v->hu[(size_t)gi + (size_t)g->dim[0] * ((size_t)gj + (size_t)g->dim[1] * (size_t)gk)];
        n++;
        calc += h >= 200;
        solidish += h >= -300;
        if (h > maxhu) maxhu = h;
        double vox[3] = {gi, gj, gk}, p[3];
        lt_geometry_voxel_to_mm(g, vox, p);
        if (dist3(p, nd->centre_mm) <= 0.3 * r) {
          in_sum += h;
          in_n++;
        }
        double dc = dist3(p, core_c);
        if (dc <= 0.35 * core_r) {
          core_sum += h;
          core_n++;
        } else if (dc >= core_r + 2.5 && dist3(p, nd->centre_mm) <= 0.75 * r && study_lung(c, gi, gj, gk)) {
          halo_sum += h;
          halo_n++;
        }
        if (!study_lung(c, gi, gj, gk)) all_lung = 0, touch = 1;
        static const int nb[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
        for (int q = 0; q < 6 && !touch; q++)
          touch = !study_lung(c, gi + nb[q][0], gj + nb[q][1], gk + nb[q][2]);
      }
  assert_true(n > 0);
  double ext[3], mx = 0;
  for (int q = 0; q < 3; q++) {
    ext[q] = (hi[q] - lo[q] + 1) * g->spacing[q];
    assert_true(fabs(ext[q] - nd->mask_extent_mm[q]) < 1e-9); /* what the manifest records */
    if (ext[q] > mx) mx = ext[q];
  }
  if (mx < t->max_axis_lo) t->max_axis_lo = mx;
  if (mx > t->max_axis_hi) t->max_axis_hi = mx;
  double shape_mx = fmax(nd->extent_mm[0], fmax(nd->extent_mm[1], nd->extent_mm[2]));
  /* HU as written, with the tolerance of partial volume, texture, noise and vessels. */
  double in_mean = in_n ? in_sum / in_n : NAN;
  switch (nd->kind) {
  case LT_KIND_GROUND_GLASS:
    if (in_n >= 5) {
      assert_true(fabs(in_mean - sh->ggo_hu) < 80);
      assert_true(in_mean > -830 && in_mean < -370);
      t->hu_checked++;
    }
    if (all_lung) assert_true((double)solidish / n <= 0.2); /* no solid core (vessels may cross) */
    break;
  case LT_KIND_PART_SOLID:
    if (core_r >= 3 && core_n >= 3) { /* a core of 6 mm shows through 2.5 mm slices */
      double cm = core_sum / core_n;
      assert_true(cm > -200 && cm < 120);
      assert_true(cm > sh->ggo_hu + 300);
      t->hu_checked++;
    }
    if (halo_n >= 20) {
      double hm = halo_sum / halo_n;
      assert_true(hm > -830 && hm < -300);
    }
    break;
  case LT_KIND_CALCIFIED:
    assert_true(maxhu >= 200);
    if (d >= 8) {
      assert_true((double)calc / n >= 0.5); /* "mostly above 200 HU" */
      t->hu_checked++;
    }
    break;
  case LT_KIND_OVERSIZE:
    assert_true(shape_mx >= 35 && shape_mx <= 60);
    assert_true(mx >= 35 && mx <= 60);
    /* fall through: a solid mass */
  default:
    if (in_n >= 5) {
      assert_true(in_mean > -350 && in_mean < 120);
      t->hu_checked++;
    }
    break;
  }
  /* Placement. */
  double cv[3];
  lt_geometry_mm_to_voxel(g, nd->centre_mm, cv);
  assert_true(study_lung(c, (int)lround(cv[0]), (int)lround(cv[1]), (int)lround(cv[2])));
  assert_int_equal(nd->touches_boundary, touch);
  if (nd->juxtapleural) {
    t->juxta++;
    t->juxta_touch += touch;
    assert_true(touch);
  } else if (nd->kind != LT_KIND_OVERSIZE) {
    assert_true(all_lung);
    t->inside_ok++;
  }
  /* The readers' texture and calcification through the LIDC path. */
  assert_true(nd->imported);
  const lt_nodule *pn = NULL;
  for (int q = 0; q < set->n_nodules; q++)
    if (!strcmp(set->nodules[q].id, nd->lidc_id)) pn = &set->nodules[q];
  assert_non_null(pn);
  double tex = pn->mean_ratings[LT_LIDC_TEXTURE], cal = pn->mean_ratings[LT_LIDC_CALCIFICATION];
  if (nd->kind == LT_KIND_GROUND_GLASS) assert_true(tex >= 1 && tex <= 2);
  else if (nd->kind == LT_KIND_PART_SOLID) assert_true(tex >= 2 && tex <= 4);
  else assert_true(fabs(tex - 5) < 1e-9);
  if (nd->kind == LT_KIND_CALCIFIED) assert_true(cal < 6);
  else assert_true(fabs(cal - 6) < 1e-9);
  /* The manifest's truth. */
  char id[64];
  snprintf(id, sizeof id, "%s/n%d", c->id, nd->number);
  const cJSON *s = manifest_sample(manifest, id);
  assert_non_null(s);
  const cJSON *tr = cJSON_GetObjectItemCaseSensitive(s, "truth");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(tr, "kind")->valuestring, lt_nodule_kind_names[nd->kind]);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(s, "lidc_id")->valuestring, nd->lidc_id);
  bool solid = nd->kind != LT_KIND_GROUND_GLASS && nd->kind != LT_KIND_PART_SOLID;
  assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tr, "solid")), solid);
  assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tr, "calcified")), nd->kind == LT_KIND_CALCIFIED);
  assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tr, "juxtapleural")), nd->juxtapleural);
  const cJSON *cm = cJSON_GetObjectItemCaseSensitive(tr, "centre_mm");
  const cJSON *em = cJSON_GetObjectItemCaseSensitive(tr, "extent_mm");
  assert_int_equal(cJSON_GetArraySize(cm), 3);
  assert_int_equal(cJSON_GetArraySize(em), 3);
  for (int q = 0; q < 3; q++) {
    assert_true(fabs(cJSON_GetArrayItem(cm, q)->valuedouble - nd->centre_mm[q]) < 1e-3);
    assert_true(fabs(cJSON_GetArrayItem(em, q)->valuedouble - nd->extent_mm[q]) < 0.01);
  }
}

static void make_kind(lt_nodule_kind kind, double juxta, double max_extent, int n_cases,
                      uint64_t seed, kind_tally *t) {
  char tmp[4096], dir[4200], mpath[4200];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  lt_synth_options opt;
  lt_synth_options_default(&opt);
  opt.kind = kind;
  opt.juxtapleural = juxta;
  opt.max_extent_mm = max_extent;
  opt.sure_fraction = 0; /* every nodule read, so its texture comes back through the LIDC path */
  lt_synth_case *cases = calloc((size_t)n_cases, sizeof *cases);
  assert_non_null(cases);
  lt_error err;
  for (int i = 0; i < n_cases; i++) {
    snprintf(dir, sizeof dir, "%s/case-%04d", tmp, i + 1);
    if (lt_synth_case_make(g_study, g_pool, &opt, seed, i, dir, &cases[i], &err) != 0 ||
        lt_synth_case_import(dir, &cases[i], &err) != 0) {
      printf("%s: %s\n", lt_nodule_kind_names[kind], err.msg);
      fail();
    }
  }
  snprintf(mpath, sizeof mpath, "%s/manifest.json", tmp);
  lt_synth_manifest_info info = {seed, false, g_study_dir, g_study, "lidc-ratings", g_pool->n, kind, juxta, max_extent};
  assert_int_equal(lt_synth_manifest_write(mpath, &info, cases, n_cases, &err), 0);
  FILE *f = fopen(mpath, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)len + 1);
  assert_non_null(text);
  assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
  text[len] = 0;
  fclose(f);
  cJSON *root = cJSON_Parse(text);
  free(text);
  assert_non_null(root);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "kind")->valuestring, lt_nodule_kind_names[kind]);
  t->max_axis_lo = INFINITY;
  t->max_axis_hi = 0;
  for (int i = 0; i < n_cases; i++) {
    snprintf(dir, sizeof dir, "%s/case-%04d", tmp, i + 1);
    lt_volume *v;
    lt_lidc_doc *doc = NULL;
    lt_nodule_set *set = NULL;
    assert_int_equal(lt_series_read(dir, NULL, &v, NULL, &err), 0);
    assert_int_equal(lt_lidc_read_for_series(dir, v->series_uid, &doc, &err), 0);
    assert_non_null(doc);
    assert_int_equal(lt_nodules_build(doc, v, NULL, &set, &err), 0);
    for (int j = 0; j < cases[i].n; j++) check_nodule(&cases[i], &cases[i].nodules[j], v, set, root, t);
    lt_nodule_set_free(set);
    lt_lidc_doc_free(doc);
    lt_volume_free(v);
    lt_synth_case_clear(&cases[i]);
  }
  printf("%-12s juxtapleural %.1f: %d nodules (%d HU-checked), %d juxtapleural (%d touch the lung "
         "boundary), %d wholly in the lungs; truth masks' largest extent %.1f-%.1f mm\n",
         lt_nodule_kind_names[kind], juxta, t->nodules, t->hu_checked, t->juxta, t->juxta_touch,
         t->inside_ok, t->max_axis_lo, t->max_axis_hi);
  cJSON_Delete(root);
  free(cases);
  remove_tree(tmp);
}

static void abnormal_kinds_hu_size_and_truth(void **state) {
  (void)state;
  NEED_DATA();
  /* Seed 23; oversize twice on one case (one mass each): relaxed placement, then juxtapleural. */
  static const struct {
    lt_nodule_kind kind;
    double juxta, max_extent;
    int cases;
  } runs[] = {
      {LT_KIND_GROUND_GLASS, 0.5, 0, 3}, {LT_KIND_PART_SOLID, 0.5, 0, 3}, {LT_KIND_CALCIFIED, 0.5, 0, 4},
      {LT_KIND_OVERSIZE, 0, 0, 1},       {LT_KIND_OVERSIZE, 1.0, 0, 1},   {LT_KIND_SOLID, 1.0, 30, 2},
  };
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    kind_tally t = {0};
    make_kind(runs[r].kind, runs[r].juxta, runs[r].max_extent, runs[r].cases, 23, &t);
    assert_true(t.nodules >= runs[r].cases);
    if (runs[r].juxta > 0) assert_true(t.juxta >= 1); /* the seed gives each such run one */
    assert_true(t.hu_checked >= 1);
    if (runs[r].max_extent > 0) assert_true(t.max_axis_hi < runs[r].max_extent + 2.5); /* + a slice */
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(solid_default_is_byte_identical_to_the_parent),
      cmocka_unit_test(abnormal_kinds_hu_size_and_truth),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
