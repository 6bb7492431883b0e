/* tests/synth/test-case-roundtrip.c — synthetic cases written as DICOM + LIDC XML read back
 * through ct/series + ct/lidc + ct/nodules give the truth back: consensus masks close to the true
 * masks (Dice), mean ratings equal to the simulated readers' mean, geometry equal; nodules stay in
 * the lungs and away from the real nodule; the same seed gives the same files; outlines fill back
 * to the reader's mask through the real import; the CLI writes a sound manifest and refuses bad
 * input with the documented exit codes. */
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
#include <sys/stat.h>
#include <sys/wait.h>

#include "ct/lungmask.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "lt-test.h"
#include "synth/attrs.h"
#include "synth/case.h"
#include "synth/contour.h"
#include "synth/lidc-tables.h"
#include "synth/rng.h"

static lt_synth_study *g_study;
static lt_attr_pool *g_pool;
static lt_lidc_tables *g_tables;

static int setup(void **state) {
  (void)state;
  char dir[4096], rat[4096];
  if (!lt_test_data_path(dir, sizeof dir, "lidc/LIDC-IDRI-0001") ||
      !lt_test_data_path(rat, sizeof rat, "lidc-ratings"))
    return 0;
  lt_error err;
  if (lt_synth_study_load(dir, &g_study, &err) != 0 || lt_lidc_tables_read(rat, &g_tables, &err) != 0 ||
      lt_attr_pool_build(g_tables, &g_pool, &err) != 0) {
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

#define NEED_DATA()                                                   \
  do {                                                                \
    if (!g_study) {                                                   \
      printf("skip: ../shared/data (LIDC-IDRI-0001, lidc-ratings) absent\n"); \
      skip();                                                         \
    }                                                                 \
  } while (0)

static void remove_tree(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("could not remove %s\n", dir);
}

static void case_reads_back_through_the_lidc_path(void **state) {
  (void)state;
  NEED_DATA();
  char tmp[4096], dir[4200];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  lt_synth_options opt;
  lt_synth_options_default(&opt);
  opt.sure_fraction = 0; /* every nodule read by the readers */
  double dice_sum = 0;
  int n_all = 0;
  for (int ci = 0; ci < 3; ci++) {
    snprintf(dir, sizeof dir, "%s/case-%d", tmp, ci);
    lt_synth_case c;
    lt_error err;
    assert_int_equal(lt_synth_case_make(g_study, g_pool, &opt, 11, ci, dir, &c, &err), 0);
    assert_true(c.n >= 1);
    /* Nodules inside the study's lung mask (with the slab and crop offsets), clear of the real
     * nodules' keep-out boxes. */
    const lt_geometry *sg = &g_study->vol->geom;
    for (int j = 0; j < c.n; j++) {
      const lt_synth_nodule *nd = &c.nodules[j];
      const lt_box *b = &nd->box;
      long outside = 0;
      size_t q = 0;
      for (int k = b->lo[2]; k <= b->hi[2]; k++)
        for (int jj = b->lo[1]; jj <= b->hi[1]; jj++)
          for (int i = b->lo[0]; i <= b->hi[0]; i++, q++) {
            if (!nd->truth[q]) continue;
            size_t s = (size_t)(i + g_study->body_lo[0]) +
                       (size_t)sg->dim[0] * ((size_t)(jj + g_study->body_lo[1]) + (size_t)sg->dim[1] * (k + c.k0));
            outside += !g_study->lung[s];
          }
      assert_int_equal(outside, 0);
      for (int t = 0; t < g_study->n_keepout; t++) {
        const lt_mm_box *ko = &g_study->keepout[t];
        int apart = 0;
        for (int d = 0; d < 3; d++)
          apart |= nd->centre_mm[d] + LT_SYNTH_PATCH_HALF_MM < ko->lo[d] ||
                   nd->centre_mm[d] - LT_SYNTH_PATCH_HALF_MM > ko->hi[d];
        assert_true(apart);
      }
    }
    assert_int_equal(lt_synth_case_import(dir, &c, &err), 0);
    for (int j = 0; j < c.n; j++) {
      const lt_synth_nodule *nd = &c.nodules[j];
      int seen = 0;
      double mean[LT_ATTR_N] = {0};
      for (int r = 0; r < LT_SYNTH_READERS; r++)
        if (nd->views[r].seen) {
          seen++;
          for (int a = 0; a < LT_ATTR_N; a++) mean[a] += nd->views[r].rating[a];
        }
      printf("case %d nodule %d: d %.1f mm, %d readers, truth %ld voxels, consensus %ld, Dice %.3f\n",
             ci, nd->number, nd->attrs.diameter_mm, seen, nd->truth_voxels, nd->consensus_voxels,
             nd->dice_consensus_truth);
      assert_true(nd->imported);
      assert_int_equal(nd->n_readers, seen);
      for (int a = 0; a < LT_ATTR_N; a++) assert_true(fabs(nd->mean_ratings[a] - mean[a] / seen) < 1e-9);
      assert_true(nd->dice_consensus_truth >= 0.6);
      if (nd->attrs.diameter_mm >= 8) assert_true(nd->dice_consensus_truth >= 0.8);
      dice_sum += nd->dice_consensus_truth;
      n_all++;
    }
    /* Geometry and voxels of the series as read back; its lungs are found again. */
    lt_volume *v;
    assert_int_equal(lt_series_read(dir, NULL, &v, NULL, &err), 0);
    for (int d = 0; d < 3; d++) {
      assert_int_equal(v->geom.dim[d], c.geom.dim[d]);
      assert_true(fabs(v->geom.spacing[d] - c.geom.spacing[d]) < 1e-4);
      assert_true(fabs(v->geom.origin[d] - c.geom.origin[d]) < 1e-3);
    }
    assert_string_equal(v->series_uid, c.series_uid);
    uint8_t *lung = malloc(lt_geometry_count(&v->geom));
    assert_non_null(lung);
    assert_int_equal(lt_lung_mask(v, lung, NULL, &err), 0);
    for (int j = 0; j < c.n; j++) {
      assert_int_equal(lt_patch_check_in_lung(&v->geom, lung, c.nodules[j].centre_mm, &err), 0);
      double ijk[3];
      lt_geometry_mm_to_voxel(&v->geom, c.nodules[j].centre_mm, ijk);
      int h = v->hu[(size_t)lround(ijk[0]) + (size_t)v->geom.dim[0] * ((size_t)lround(ijk[1]) +
                     (size_t)v->geom.dim[1] * (size_t)lround(ijk[2]))];
      assert_true(h > -500); /* the nodule is there */
    }
    free(lung);
    lt_volume_free(v);
    lt_synth_case_clear(&c);
  }
  double mean_dice = dice_sum / n_all;
  printf("%d nodules, mean Dice of consensus vs truth %.3f\n", n_all, mean_dice);
  assert_true(n_all >= 4);
  assert_true(mean_dice >= 0.8);
  remove_tree(tmp);
}

static void same_seed_writes_same_case(void **state) {
  (void)state;
  NEED_DATA();
  char tmp[4096], a[4200], b[4200];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(a, sizeof a, "%s/a", tmp);
  snprintf(b, sizeof b, "%s/b", tmp);
  lt_synth_options opt;
  lt_synth_options_default(&opt);
  lt_synth_case ca, cb;
  lt_error err;
  assert_int_equal(lt_synth_case_make(g_study, g_pool, &opt, 5, 3, a, &ca, &err), 0);
  assert_int_equal(lt_synth_case_make(g_study, g_pool, &opt, 5, 3, b, &cb, &err), 0);
  assert_int_equal(ca.n, cb.n);
  lt_volume *va, *vb;
  assert_int_equal(lt_series_read(a, NULL, &va, NULL, &err), 0);
  assert_int_equal(lt_series_read(b, NULL, &vb, NULL, &err), 0);
  assert_memory_equal(va->hu, vb->hu, lt_geometry_count(&va->geom) * sizeof *va->hu);
  assert_string_equal(va->series_uid, vb->series_uid);
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "cmp -s '%s/readings.xml' '%s/readings.xml'", a, b);
  assert_int_equal(system(cmd), 0);
  /* A different seed gives a different case. */
  lt_synth_case cc;
  char c3[4200];
  snprintf(c3, sizeof c3, "%s/c", tmp);
  assert_int_equal(lt_synth_case_make(g_study, g_pool, &opt, 6, 3, c3, &cc, &err), 0);
  lt_volume *vc;
  assert_int_equal(lt_series_read(c3, NULL, &vc, NULL, &err), 0);
  assert_true(strcmp(vc->series_uid, va->series_uid) != 0);
  lt_volume_free(va);
  lt_volume_free(vb);
  lt_volume_free(vc);
  lt_synth_case_clear(&ca);
  lt_synth_case_clear(&cb);
  lt_synth_case_clear(&cc);
  remove_tree(tmp);
}

/* A reader's 2D regions, written as edge maps and filled by ct/nodules.c, come back. */
static void outlines_fill_back_through_the_import(void **state) {
  (void)state;
  const int W = 48, H = 48, K = 30;
  lt_volume *v = lt_volume_new(W, H, K);
  assert_non_null(v);
  for (int k = 0; k < K; k++) {
    snprintf(v->sop_uid[k], LT_UID_MAX, "1.2.3.%d", k + 1);
    v->slice_pos[k] = k;
  }
  v->geom.origin[2] = 0;
  lt_lidc_doc *doc = calloc(1, sizeof *doc);
  assert_non_null(doc);
  doc->n_readers = 1;
  doc->readers = calloc(1, sizeof *doc->readers);
  doc->readers[0].marks = calloc(1, sizeof *doc->readers[0].marks);
  doc->readers[0].n_marks = 1;
  lt_lidc_mark *m = &doc->readers[0].marks[0];
  snprintf(m->id, sizeof m->id, "blobs");
  uint8_t *want = calloc((size_t)W * H * K, 1);
  assert_non_null(want);
  lt_srng rng;
  lt_srng_seed(&rng, 3, 0);
  long total = 0;
  for (int k = 0; k < K; k++) {
    uint8_t *sl = want + (size_t)W * H * k;
    double cx = 24 + 3 * lt_srng_normal(&rng), cy = 24 + 3 * lt_srng_normal(&rng);
    double R = 1.5 + 12 * lt_srng_uniform(&rng), a1 = 0.25 * lt_srng_normal(&rng), a2 = 0.2 * lt_srng_normal(&rng);
    double ph = 6 * lt_srng_uniform(&rng);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        double th = atan2(y - cy, x - cx);
        sl[y * W + x] = hypot(x - cx, y - cy) <= R * (1 + a1 * cos(3 * th + ph) + a2 * sin(2 * th));
        total += sl[y * W + x];
      }
    lt_outline *o;
    int no;
    lt_error err;
    assert_int_equal(lt_outlines_trace(sl, W, H, &o, &no, &err), 0);
    for (int t = 0; t < no; t++) {
      m->rois = realloc(m->rois, (size_t)(m->n_rois + 1) * sizeof *m->rois);
      lt_lidc_roi *roi = &m->rois[m->n_rois++];
      memset(roi, 0, sizeof *roi);
      roi->z = k;
      snprintf(roi->sop_uid, sizeof roi->sop_uid, "%s", v->sop_uid[k]);
      roi->inclusion = true;
      roi->n_points = o[t].n;
      roi->points = malloc((size_t)o[t].n * sizeof *roi->points);
      for (int p = 0; p < o[t].n; p++) {
        roi->points[p].x = o[t].xy[2 * p];
        roi->points[p].y = o[t].xy[2 * p + 1];
      }
    }
    lt_outlines_free(o, no);
  }
  lt_nodule_options opt;
  lt_nodule_options_default(&opt);
  opt.cluster_distance_mm = 1000;
  lt_nodule_set *set;
  lt_error err;
  assert_int_equal(lt_nodules_build(doc, v, &opt, &set, &err), 0);
  assert_int_equal(set->n_nodules, 1);
  uint8_t *got = malloc((size_t)W * H * K);
  assert_non_null(got);
  lt_nodule_rasterise(&set->nodules[0], 0, &v->geom, got);
  long diff = 0;
  for (size_t q = 0; q < (size_t)W * H * K; q++) diff += got[q] != want[q];
  printf("outline round trip: %ld of %ld pixels differ (%.2f%%)\n", diff, total, 100.0 * diff / total);
  assert_true(diff <= 0.02 * total);
  free(got);
  free(want);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

static int run(const char *cmd) {
  int s = system(cmd);
  return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

static void cli_synth_writes_manifest_and_refuses_bad_input(void **state) {
  (void)state;
  NEED_DATA();
  const char *build = getenv("LT_BUILD_ROOT");
  if (!build) {
    printf("skip: LT_BUILD_ROOT unset\n");
    skip();
  }
  char cli[4096], tmp[4096], cmd[20000], out[4200];
  snprintf(cli, sizeof cli, "%s/app/lungtrust-cli", build);
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(out, sizeof out, "%s/set", tmp);
  snprintf(cmd, sizeof cmd, "'%s' synth --out '%s' --count 5 --seed 3 --confound --slab-mm 50 > /dev/null 2>&1", cli, out);
  assert_int_equal(run(cmd), 0);
  char path[4300];
  snprintf(path, sizeof path, "%s/manifest.json", out);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
  text[n] = 0;
  fclose(f);
  cJSON *root = cJSON_Parse(text);
  free(text);
  assert_non_null(root);
  cJSON *cases = cJSON_GetObjectItem(root, "cases");
  assert_int_equal(cJSON_GetArraySize(cases), 5);
  int sure = 0, unsure = 0, test_specks = 0;
  for (int i = 0; i < 5; i++) {
    cJSON *c = cJSON_GetArrayItem(cases, i);
    assert_int_equal(cJSON_GetObjectItem(c, "fold")->valueint, i % 5);
    const char *split = cJSON_GetObjectItem(c, "split")->valuestring;
    assert_string_equal(split, i % 5 == 4 ? "test" : "train");
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "samples")) {
      assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s, "centre_mm")), 3);
      bool is_sure = !strcmp(cJSON_GetObjectItem(s, "set")->valuestring, "sure");
      cJSON *label = cJSON_GetObjectItem(s, "label"), *ratings = cJSON_GetObjectItem(s, "ratings");
      cJSON *mask = cJSON_GetObjectItem(s, "mask"), *radius = cJSON_GetObjectItem(s, "radius_mm");
      if (is_sure) {
        sure++;
        assert_true(cJSON_IsNumber(label) && cJSON_IsNumber(radius));
        assert_true(cJSON_IsNull(ratings) && cJSON_IsNull(mask));
      } else {
        unsure++;
        assert_true(cJSON_IsNull(label) && cJSON_IsNull(radius));
        assert_int_equal(cJSON_GetArraySize(ratings), 6);
        char mp[4400];
        snprintf(mp, sizeof mp, "%s/%s", out, mask->valuestring);
        struct stat sb;
        assert_int_equal(stat(mp, &sb), 0);
      }
      if (!strcmp(split, "test")) test_specks += cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "confound"), "speck"));
    }
  }
  printf("manifest: %d sure, %d unsure samples\n", sure, unsure);
  assert_true(sure + unsure >= 5);
  assert_int_equal(test_specks, 0);
  cJSON_Delete(root);
  /* Bad input: 1 with one line; usage: 2. */
  snprintf(cmd, sizeof cmd, "'%s' synth --out '%s' --count 1 > /dev/null 2>&1", cli, out);
  assert_int_equal(run(cmd), 1); /* not empty */
  snprintf(cmd, sizeof cmd, "'%s' synth --out '%s/x' --study /nonexistent/study > /dev/null 2>&1", cli, tmp);
  assert_int_equal(run(cmd), 1);
  snprintf(cmd, sizeof cmd, "'%s' synth --out '%s/y' --count 0 > /dev/null 2>&1", cli, tmp);
  assert_int_equal(run(cmd), 2);
  snprintf(cmd, sizeof cmd, "'%s' synth > /dev/null 2>&1", cli);
  assert_int_equal(run(cmd), 2);
  snprintf(cmd, sizeof cmd, "mkdir '%s/empty' && '%s' synth --out '%s/z' --study '%s/empty' 2>&1 >/dev/null | wc -l | grep -qx 1",
           tmp, cli, tmp, tmp);
  assert_int_equal(run(cmd), 0); /* a folder with no DICOM: exactly one line on stderr */
  remove_tree(tmp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(outlines_fill_back_through_the_import),
      cmocka_unit_test(case_reads_back_through_the_lidc_path),
      cmocka_unit_test(same_seed_writes_same_case),
      cmocka_unit_test(cli_synth_writes_manifest_and_refuses_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
