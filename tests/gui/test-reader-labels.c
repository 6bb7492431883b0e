/* tests/gui/test-reader-labels.c — the label grid the window hands to render/ from the LIDC
 * readings of LIDC-IDRI-0001 (ui/lt-reader-labels.c, plain C): each reader's bit holds exactly
 * that reader's outlined voxels, bit 7 exactly the consensus voxels, the grid's box is the union
 * of the marks' boxes grown by one voxel, and its origin sits at the box corner's millimetres.
 * The consensus the workstation's analysis resamples from that grid into a patch is the one
 * `lungtrust-cli analyze` resamples from the whole volume. Skips without ../shared/data. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "lt-reader-labels.h"
#include "lt-test.h"

static lt_volume *vol;
static lt_nodule_set *set;

static void reader_bits_match_marks_and_consensus(void **state) {
  (void)state;
  lt_reader_labels lab;
  lt_error err = {{0}};
  assert_int_equal(lt_reader_labels_build(set, &vol->geom, &lab, &err), 0);
  assert_non_null(lab.bits);
  assert_int_equal(lab.n_readers, set->n_readers);
  /* expected counts, by rasterising each mark onto the full volume */
  size_t nvox = lt_geometry_count(&vol->geom);
  uint8_t *full = malloc(nvox);
  uint8_t *want = calloc(nvox, 1);
  assert_non_null(full);
  assert_non_null(want);
  int lo[3] = {1 << 30, 1 << 30, 1 << 30}, hi[3] = {-1, -1, -1};
  for (int n = 0; n < set->n_nodules; n++) {
    const lt_nodule *nd = &set->nodules[n];
    for (int m = -1; m < nd->n_marks; m++) {
      if (m < 0 && !nd->consensus) continue;
      if (m >= 0 && (nd->marks[m].is_point || !nd->marks[m].mask)) continue;
      uint8_t bit = m < 0 ? 0x80 : (uint8_t)(1u << (nd->marks[m].reader > 6 ? 6 : nd->marks[m].reader));
      const lt_box *b = m < 0 ? &nd->box : &nd->marks[m].box;
      for (int a = 0; a < 3; a++) {
        lo[a] = b->lo[a] < lo[a] ? b->lo[a] : lo[a];
        hi[a] = b->hi[a] > hi[a] ? b->hi[a] : hi[a];
      }
      lt_nodule_rasterise(nd, m, &vol->geom, full);
      for (size_t i = 0; i < nvox; i++)
        if (full[i]) want[i] |= bit;
    }
  }
  for (int a = 0; a < 3; a++) { /* one empty voxel around, within the volume */
    lo[a] = lo[a] > 0 ? lo[a] - 1 : 0;
    hi[a] = hi[a] < vol->geom.dim[a] - 1 ? hi[a] + 1 : vol->geom.dim[a] - 1;
    assert_int_equal(lab.geom.dim[a], hi[a] - lo[a] + 1);
  }
  double c[3] = {lo[0], lo[1], lo[2]}, mm[3];
  lt_geometry_voxel_to_mm(&vol->geom, c, mm);
  for (int a = 0; a < 3; a++) assert_true(fabs(mm[a] - lab.geom.origin[a]) < 1e-6);
  /* the grid equals the expected bits inside the box, and nothing is set outside it */
  const int *d = vol->geom.dim;
  size_t mismatches = 0, set_bits[8] = {0};
  for (int k = 0; k < d[2]; k++)
    for (int j = 0; j < d[1]; j++)
      for (int i = 0; i < d[0]; i++) {
        uint8_t w = want[i + (size_t)d[0] * (j + (size_t)d[1] * k)];
        uint8_t got = 0;
        if (i >= lo[0] && i <= hi[0] && j >= lo[1] && j <= hi[1] && k >= lo[2] && k <= hi[2])
          got = lab.bits[(i - lo[0]) + (size_t)lab.geom.dim[0] *
                                           ((j - lo[1]) + (size_t)lab.geom.dim[1] * (k - lo[2]))];
        if (got != w) mismatches++;
        for (int b = 0; b < 8; b++) set_bits[b] += (got >> b) & 1;
      }
  printf("# %d nodules, %d readers; voxels per bit:", set->n_nodules, set->n_readers);
  for (int b = 0; b < 8; b++) printf(" %zu", set_bits[b]);
  printf("\n");
  assert_int_equal(mismatches, 0);
  assert_true(set_bits[7] > 1000); /* nodule 1's consensus: thousands of voxels */
  for (int r = 0; r < set->n_readers && r < 7; r++) assert_true(set_bits[r] > 0);
  free(full);
  free(want);
  lt_reader_labels_clear(&lab);
  assert_null(lab.bits);
}

/* The consensus in a patch at nodule 1's centroid: from the label grid (the workstation) and
 * from the whole volume (the CLI) it is the same mask, voxel for voxel. Before the grid had its
 * empty rim, resampling read points past the grid's edge as the edge voxel, and the workstation's
 * consensus was up to half a voxel larger where the outline met the box. */
static void consensus_patch_from_grid_equals_whole_volume(void **state) {
  (void)state;
  lt_reader_labels lab;
  lt_error err = {{0}};
  assert_int_equal(lt_reader_labels_build(set, &vol->geom, &lab, &err), 0);
  const lt_nodule *nd = lt_nodule_set_find(set, "1");
  assert_non_null(nd);
  size_t nvox = lt_geometry_count(&vol->geom), nlab = lt_geometry_count(&lab.geom);
  uint8_t *full = malloc(nvox), *cons = malloc(nlab);
  uint8_t *a = malloc(LT_PATCH_VOXELS), *b = malloc(LT_PATCH_VOXELS);
  lt_patch *p = malloc(sizeof *p);
  assert_true(full && cons && a && b && p);
  lt_nodule_rasterise(nd, -1, &vol->geom, full);
  for (size_t i = 0; i < nlab; i++) cons[i] = (lab.bits[i] >> LT_LABEL_CONSENSUS_BIT) & 1;
  /* the centroid and a point off it by a fraction of a voxel, where the patch's samples fall
   * between the CT's slices */
  const double shift[2][3] = {{0, 0, 0}, {0.3, -0.2, 0.4}};
  for (int s = 0; s < 2; s++) {
    double ijk[3], mm[3];
    for (int d = 0; d < 3; d++) ijk[d] = nd->centroid_vox[d] + shift[s][d];
    lt_geometry_voxel_to_mm(&vol->geom, ijk, mm);
    assert_int_equal(lt_patch_extract(p, vol, mm, &err), 0);
    const long na = lt_patch_mask(a, &p->geom, full, &vol->geom, &err);
    const long nb = lt_patch_mask(b, &p->geom, cons, &lab.geom, &err);
    printf("# consensus voxels in the patch: %ld from the volume, %ld from the label grid\n", na,
           nb);
    assert_true(na > 1000);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, LT_PATCH_VOXELS);
  }
  free(full), free(cons), free(a), free(b), free(p);
  lt_reader_labels_clear(&lab);
}

static void no_readings_give_no_grid(void **state) {
  (void)state;
  lt_reader_labels lab;
  lt_error err = {{0}};
  assert_int_equal(lt_reader_labels_build(NULL, &vol->geom, &lab, &err), 0);
  assert_null(lab.bits);
  assert_int_equal(lab.n_readers, 0);
}

int main(void) {
  char dir[4096];
  if (!lt_test_lidc0001_dir(dir, sizeof dir)) {
    printf("SKIP: ../shared/data/lidc/LIDC-IDRI-0001 absent\n");
    return LT_TEST_SKIP;
  }
  lt_error err = {{0}};
  lt_lidc_doc *doc = NULL;
  if (lt_series_read(dir, NULL, &vol, NULL, &err) != 0 ||
      lt_lidc_read_for_series(dir, vol->series_uid, &doc, &err) != 0 || !doc ||
      lt_nodules_build(doc, vol, NULL, &set, &err) != 0) {
    fprintf(stderr, "LIDC-IDRI-0001: %s\n", err.msg[0] ? err.msg : "no readings");
    return 1;
  }
  lt_lidc_doc_free(doc);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reader_bits_match_marks_and_consensus),
      cmocka_unit_test(consensus_patch_from_grid_equals_whole_volume),
      cmocka_unit_test(no_readings_give_no_grid),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  lt_nodule_set_free(set);
  lt_volume_free(vol);
  return rc;
}
