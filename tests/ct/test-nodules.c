/* tests/ct/test-nodules.c — LIDC readings placed on a volume (nodules.h).
 * Unit part: tests/ct/lidc-xml/synthetic.xml on a made-up 32x32x6 volume (spacing 1 x 1 x 2 mm,
 * slice K has SOP UID 1.2.826.0.1.3680043.2.1125.9.K and z = 2K), where every count is worked
 * out by hand in the comments. Square (a..b) = polygon (a,a),(b,a),(b,b),(a,b); scan lines
 * through pixel centres with the half-open rule take rows a..b-1 and columns a..b:
 * (b-a) * (b-a+1) pixels. Shared part (argument "lidc0001"): LIDC-IDRI-0001 read with
 * lt_series_read and its 069.xml. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct/lidc.h"
#include "ct/nodules.h"
#include "ct/series.h"
#include "lt-test.h"

static lt_volume *synthetic_volume(void) {
  lt_volume *v = lt_volume_new(32, 32, 6);
  assert_non_null(v);
  v->geom.spacing[2] = 2.0;
  v->slice_thickness = 2.0;
  for (int k = 0; k < 6; k++) {
    snprintf(v->sop_uid[k], LT_UID_MAX, "1.2.826.0.1.3680043.2.1125.9.%d", k);
    v->slice_pos[k] = 2.0 * k;
  }
  return v;
}

static lt_lidc_doc *read_xml(const char *name) {
  char p[1024];
  const char *root = getenv("LT_SOURCE_ROOT");
  snprintf(p, sizeof p, "%s/tests/ct/lidc-xml/%s", root ? root : ".", name);
  lt_lidc_doc *doc = NULL;
  lt_error err = {{0}};
  if (lt_lidc_read_file(p, &doc, &err) != 0) fprintf(stderr, "%s\n", err.msg);
  assert_non_null(doc);
  return doc;
}

static lt_nodule_set *build(const lt_lidc_doc *doc, const lt_volume *v, const lt_nodule_options *o) {
  lt_nodule_set *set = NULL;
  lt_error err = {{0}};
  if (lt_nodules_build(doc, v, o, &set, &err) != 0) fprintf(stderr, "%s\n", err.msg);
  assert_non_null(set);
  return set;
}

static const lt_nodule_mark *mark_of_reader(const lt_nodule *n, int reader) {
  for (int t = 0; t < n->n_marks; t++)
    if (n->marks[t].reader == reader) return &n->marks[t];
  return NULL;
}

/* Reader A: square (10..20) on slices 1-3 = 110 px each, minus the hole (13..17) on slice 2 =
 * 4 rows x 5 columns = 20: 310 voxels. B: (12..22) on 1-3: 330. C: (10..20) on 1-2: 220 (its
 * slice-2 ROI has no SOP UID and is found by z = 4.0). */
static void nodules_reader_masks_fill_polygons_and_cut_holes(void **state) {
  (void)state;
  lt_volume *v = synthetic_volume();
  lt_lidc_doc *doc = read_xml("synthetic.xml");
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_readers, 3);
  assert_int_equal(set->rois_by_z, 1);
  assert_int_equal(set->rois_by_uid, 4 + 1 + 3 + 1 + 1 + 1);
  assert_int_equal(set->rois_unmatched, 0);
  assert_int_equal(set->marks_dropped, 0);
  const lt_nodule *n = lt_nodule_set_find(set, "1");
  assert_non_null(n);
  assert_int_equal(n->n_readers, 3);
  const lt_nodule_mark *a = mark_of_reader(n, 0), *b = mark_of_reader(n, 1), *c = mark_of_reader(n, 2);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(a->n_voxels, 310);
  assert_int_equal(b->n_voxels, 330);
  assert_int_equal(c->n_voxels, 220);
  assert_true(fabs(a->volume_mm3 - 620.0) < 1e-9);
  assert_true(fabs(a->eq_diameter_mm - cbrt(6.0 * 620.0 / M_PI)) < 1e-9);
  assert_string_equal(a->reader_nodule_id, "A1");
  assert_string_equal(a->radiologist_id, "reader-A");
  assert_int_equal(a->box.lo[0], 10);
  assert_int_equal(a->box.hi[0], 20);
  assert_int_equal(a->box.lo[2], 1);
  assert_int_equal(a->box.hi[2], 3);
  /* inside the hole on slice 2 is empty, outside it set */
  size_t bw = (size_t)(a->box.hi[0] - a->box.lo[0] + 1), bh = (size_t)(a->box.hi[1] - a->box.lo[1] + 1);
#define AT(m, i, j, k) (m)->mask[(size_t)((i) - (m)->box.lo[0]) + bw * ((size_t)((j) - (m)->box.lo[1]) + bh * (size_t)((k) - (m)->box.lo[2]))]
  assert_int_equal(AT(a, 15, 15, 2), 0);
  assert_int_equal(AT(a, 15, 15, 1), 1);
  assert_int_equal(AT(a, 11, 11, 2), 1);
#undef AT

  /* the outline option adds the outline pixels: 121 + (121 - 20) + 121 */
  lt_nodule_options o;
  lt_nodule_options_default(&o);
  o.outline_in_mask = true;
  lt_nodule_set *so = build(doc, v, &o);
  assert_int_equal(mark_of_reader(lt_nodule_set_find(so, "1"), 0)->n_voxels, 343);
  lt_nodule_set_free(so);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Consensus (>= 2 of the 3 outlines): slice 1: A and C cover (10..20): 110; slice 2: A+C outside
 * the hole (90) and B+C inside it (20): 110; slice 3: A and B overlap in rows 12-19, columns
 * 12-20: 72. Total 292 voxels, 584 mm^3. Centroid: x = (220*15 + 72*16)/292,
 * y = (220*14.5 + 72*15.5)/292, k = (110*1 + 110*2 + 72*3)/292, z = 2k. */
static void nodules_consensus_centroid_and_ratings(void **state) {
  (void)state;
  lt_volume *v = synthetic_volume();
  lt_lidc_doc *doc = read_xml("synthetic.xml");
  lt_nodule_set *set = build(doc, v, NULL);
  const lt_nodule *n = lt_nodule_set_find(set, "1");
  assert_true(n->large);
  assert_int_equal(n->n_outlined, 3);
  assert_int_equal(n->consensus_voxels, 292);
  assert_true(fabs(n->volume_mm3 - 584.0) < 1e-9);
  assert_true(fabs(n->eq_diameter_mm - cbrt(6.0 * 584.0 / M_PI)) < 1e-9);
  const double cx = (220 * 15.0 + 72 * 16.0) / 292, cy = (220 * 14.5 + 72 * 15.5) / 292;
  const double ck = (110 * 1.0 + 110 * 2.0 + 72 * 3.0) / 292;
  assert_true(fabs(n->centroid_vox[0] - cx) < 1e-9);
  assert_true(fabs(n->centroid_vox[1] - cy) < 1e-9);
  assert_true(fabs(n->centroid_vox[2] - ck) < 1e-9);
  assert_true(fabs(n->centroid_mm[2] - 2 * ck) < 1e-9);
  /* A rates texture 5 / malignancy 3, B 4 / 4, C gives no ratings */
  assert_int_equal(n->n_rated, 2);
  assert_true(fabs(n->mean_ratings[LT_LIDC_TEXTURE] - 4.5) < 1e-12);
  assert_true(fabs(n->mean_ratings[LT_LIDC_MALIGNANCY] - 3.5) < 1e-12);
  assert_true(fabs(n->mean_ratings[LT_LIDC_CALCIFICATION] - 6.0) < 1e-12);

  /* rasterised into the volume: the same voxels */
  uint8_t *full = malloc(lt_geometry_count(&v->geom));
  assert_int_equal(lt_nodule_rasterise(n, -1, &v->geom, full), 292);
  size_t sum = 0;
  for (size_t i = 0; i < lt_geometry_count(&v->geom); i++) sum += full[i];
  assert_int_equal(sum, 292);
  assert_int_equal(full[15 + 32 * (15 + 32 * 2)], 1);   /* hole, but B and C cover it */
  assert_int_equal(full[21 + 32 * (15 + 32 * 1)], 0);   /* only B */
  assert_int_equal(full[12 + 32 * (12 + 32 * 3)], 1);   /* A and B */
  assert_int_equal(lt_nodule_rasterise(n, 0, &v->geom, full), 310);
  assert_int_equal(lt_nodule_rasterise(n, 7, &v->geom, full), 0);
  free(full);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Point marks: A2 (6,25) and B2 (5,25) on slice 4 are 1 mm apart: one nodule "2" of two
 * readers; C2 (28,28) on slice 5 is alone: nodule "3". Non-nodule B-non-1 at (28,3) slice 0;
 * B-non-2 is at z = 100 with no UID: unmatched. */
static void nodules_point_marks_order_and_non_nodules(void **state) {
  (void)state;
  lt_volume *v = synthetic_volume();
  lt_lidc_doc *doc = read_xml("synthetic.xml");
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 3);
  const lt_nodule *p = lt_nodule_set_find(set, "2"), *q = lt_nodule_set_find(set, "3");
  assert_false(p->large);
  assert_int_equal(p->n_readers, 2);
  assert_true(p->marks[0].is_point && p->marks[1].is_point);
  assert_null(p->consensus);
  assert_true(fabs(p->centroid_vox[0] - 5.5) < 1e-12);
  assert_true(fabs(p->centroid_mm[2] - 8.0) < 1e-12);
  assert_true(isnan(p->mean_ratings[LT_LIDC_MALIGNANCY]));
  assert_int_equal(q->n_readers, 1);
  assert_string_equal(q->marks[0].reader_nodule_id, "C2");
  assert_null(lt_nodule_set_find(set, "4"));
  assert_int_equal(set->n_non_nodules, 1);
  assert_int_equal(set->non_nodules_unmatched, 1);
  assert_string_equal(set->non_nodules[0].id, "B-non-1");
  assert_true(set->non_nodules[0].pos_mm[0] == 28 && set->non_nodules[0].pos_mm[1] == 3 &&
              set->non_nodules[0].pos_mm[2] == 0);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

static void nodules_selection_rules(void **state) {
  (void)state;
  lt_volume *v = synthetic_volume();
  lt_lidc_doc *doc = read_xml("synthetic.xml");
  char why[128];
  lt_nodule_set *set = build(doc, v, NULL);
  const lt_nodule *n = lt_nodule_set_find(set, "1");
  /* defaults: 3 readers ok, 10.4 mm ok, 2 mm slices ok, texture 4.5 < 5 fails */
  assert_int_equal(n->reject, LT_NODULE_REJECT_TEXTURE);
  assert_false(n->selected);
  assert_string_equal(lt_nodule_reject_string(n->reject, why, sizeof why), "texture");
  const lt_nodule *p = lt_nodule_set_find(set, "2");
  assert_int_equal(p->reject, LT_NODULE_REJECT_FEW_READERS | LT_NODULE_REJECT_TEXTURE |
                                  LT_NODULE_REJECT_SMALL);
  assert_string_equal(lt_nodule_reject_string(p->reject, why, sizeof why),
                      "few readers, texture, small");
  lt_nodule_set_free(set);

  lt_nodule_options o;
  lt_nodule_options_default(&o);
  o.min_mean_texture = 4.5;
  set = build(doc, v, &o);
  assert_true(lt_nodule_set_find(set, "1")->selected);
  lt_nodule_set_free(set);

  o.min_readers = 4;
  o.max_diameter_mm = 10.0;
  v->slice_thickness = 3.5;
  set = build(doc, v, &o);
  assert_int_equal(lt_nodule_set_find(set, "1")->reject,
                   LT_NODULE_REJECT_THICK_SLICES | LT_NODULE_REJECT_FEW_READERS | LT_NODULE_REJECT_LARGE);
  assert_true(fabs(set->slice_thickness_mm - 3.5) < 1e-12);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Reader R marks two overlapping squares, S one square overlapping both: S joins the one it
 * overlaps most (Dice), never both, so each nodule has one mark per reader. */
static void nodules_cluster_one_mark_per_reader(void **state) {
  (void)state;
  static const char xml[] =
      "<LidcReadMessage><readingSession><servicingRadiologistID>R</servicingRadiologistID>"
      "<unblindedReadNodule><noduleID>r1</noduleID><roi><imageSOP_UID>u0</imageSOP_UID>"
      "<edgeMap><xCoord>2</xCoord><yCoord>2</yCoord></edgeMap><edgeMap><xCoord>10</xCoord><yCoord>2</yCoord></edgeMap>"
      "<edgeMap><xCoord>10</xCoord><yCoord>10</yCoord></edgeMap><edgeMap><xCoord>2</xCoord><yCoord>10</yCoord></edgeMap>"
      "</roi></unblindedReadNodule>"
      "<unblindedReadNodule><noduleID>r2</noduleID><roi><imageSOP_UID>u0</imageSOP_UID>"
      "<edgeMap><xCoord>8</xCoord><yCoord>8</yCoord></edgeMap><edgeMap><xCoord>20</xCoord><yCoord>8</yCoord></edgeMap>"
      "<edgeMap><xCoord>20</xCoord><yCoord>20</yCoord></edgeMap><edgeMap><xCoord>8</xCoord><yCoord>20</yCoord></edgeMap>"
      "</roi></unblindedReadNodule></readingSession>"
      "<readingSession><servicingRadiologistID>S</servicingRadiologistID>"
      "<unblindedReadNodule><noduleID>s1</noduleID><roi><imageSOP_UID>u0</imageSOP_UID>"
      "<edgeMap><xCoord>7</xCoord><yCoord>7</yCoord></edgeMap><edgeMap><xCoord>19</xCoord><yCoord>7</yCoord></edgeMap>"
      "<edgeMap><xCoord>19</xCoord><yCoord>19</yCoord></edgeMap><edgeMap><xCoord>7</xCoord><yCoord>19</yCoord></edgeMap>"
      "</roi></unblindedReadNodule></readingSession></LidcReadMessage>";
  lt_lidc_doc *doc = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_read_memory(xml, sizeof xml - 1, &doc, &err), 0);
  lt_volume *v = lt_volume_new(24, 24, 1);
  snprintf(v->sop_uid[0], LT_UID_MAX, "u0");
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 2);
  int with_s = 0;
  for (int t = 0; t < 2; t++) {
    const lt_nodule *n = &set->nodules[t];
    if (n->n_marks == 2) {
      with_s++;
      assert_string_equal(n->marks[0].reader_nodule_id, "r2");
      assert_string_equal(n->marks[1].reader_nodule_id, "s1");
    } else {
      assert_int_equal(n->n_marks, 1);
      assert_string_equal(n->marks[0].reader_nodule_id, "r1");
    }
  }
  assert_int_equal(with_s, 1);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Square (-5..5) clipped to the image: rows 0-4, columns 0-5 = 30 voxels; three of its points
 * are outside, and the second mark (500..600) lies wholly outside: dropped. */
static void nodules_points_outside_image_clipped_and_counted(void **state) {
  (void)state;
  lt_lidc_doc *doc = read_xml("outside-image.xml");
  lt_volume *v = synthetic_volume();
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 1);
  assert_int_equal(set->nodules[0].consensus_voxels, 30);
  assert_int_equal(set->points_outside, 3 + 3);
  assert_int_equal(set->marks_dropped, 1);
  lt_nodule_set_free(set);
  /* a volume of other slices: every ROI unmatched, no nodule, no error */
  for (int k = 0; k < 6; k++) snprintf(v->sop_uid[k], LT_UID_MAX, "9.9.%d", k);
  v->geom.origin[2] = 500;
  set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 0);
  assert_int_equal(set->rois_unmatched, 2);
  lt_nodule_set_free(set);
  /* no readings: an empty set */
  set = build(NULL, v, NULL);
  assert_int_equal(set->n_nodules, 0);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Found by fuzz-lidc-xml: an exclusion ROI on a slice where the mark has no inclusion ROI cuts
 * nothing (and writes nothing outside the mark's box): the square (10..20) keeps its 110. */
static void nodules_exclusion_roi_alone_on_a_slice_is_ignored(void **state) {
  (void)state;
  lt_lidc_doc *doc = read_xml("exclusion-alone.xml");
  lt_volume *v = synthetic_volume();
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 1);
  assert_int_equal(set->nodules[0].marks[0].n_voxels, 110);
  assert_int_equal(set->nodules[0].box.lo[2], 1);
  assert_int_equal(set->nodules[0].box.hi[2], 1);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* Three readers' outlines side by side, 4 mm apart (linked by distance, single linkage), none
 * overlapping: no voxel is in two of three outlines, so the 50% consensus is empty; the centroid
 * is the mean of the marks' centroids and the nodule fails the size rule. */
static void nodules_empty_consensus_uses_mean_of_marks(void **state) {
  (void)state;
  char xml[4096];
  int len = snprintf(xml, sizeof xml, "<LidcReadMessage>");
  for (int r = 0; r < 3; r++) {
    int x0 = 2 + 4 * r, x1 = x0 + 2;
    len += snprintf(xml + len, sizeof xml - (size_t)len,
                    "<readingSession><unblindedReadNodule><noduleID>n%d</noduleID><roi>"
                    "<imageSOP_UID>u0</imageSOP_UID>"
                    "<edgeMap><xCoord>%d</xCoord><yCoord>10</yCoord></edgeMap>"
                    "<edgeMap><xCoord>%d</xCoord><yCoord>10</yCoord></edgeMap>"
                    "<edgeMap><xCoord>%d</xCoord><yCoord>14</yCoord></edgeMap>"
                    "<edgeMap><xCoord>%d</xCoord><yCoord>14</yCoord></edgeMap>"
                    "</roi></unblindedReadNodule></readingSession>",
                    r, x0, x1, x1, x0);
  }
  len += snprintf(xml + len, sizeof xml - (size_t)len, "</LidcReadMessage>");
  lt_lidc_doc *doc = NULL;
  lt_error err = {{0}};
  assert_int_equal(lt_lidc_read_memory(xml, (size_t)len, &doc, &err), 0);
  lt_volume *v = lt_volume_new(24, 24, 1);
  snprintf(v->sop_uid[0], LT_UID_MAX, "u0");
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->n_nodules, 1);
  const lt_nodule *n = &set->nodules[0];
  assert_int_equal(n->n_readers, 3);
  assert_int_equal(n->marks[0].n_voxels, 12); /* rows 10-13, columns x0..x0+2 */
  assert_null(n->consensus);
  assert_int_equal(n->consensus_voxels, 0);
  assert_true(fabs(n->centroid_vox[0] - 7.0) < 1e-12);
  assert_true(fabs(n->centroid_vox[1] - 11.5) < 1e-12);
  assert_true(n->reject & LT_NODULE_REJECT_SMALL);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

/* ---- LIDC-IDRI-0001 ---- */

static void nodules_lidc0001_one_large_nodule_three_small(void **state) {
  (void)state;
  char dir[1024];
  assert_non_null(lt_test_lidc0001_dir(dir, sizeof dir));
  lt_error err = {{0}};
  lt_volume *v = NULL;
  assert_int_equal(lt_series_read(dir, NULL, &v, NULL, &err), 0);
  lt_lidc_doc *doc = NULL;
  assert_int_equal(lt_lidc_read_for_series(dir, v->series_uid, &doc, &err), 0);
  assert_non_null(doc);
  lt_nodule_set *set = build(doc, v, NULL);
  assert_int_equal(set->rois_by_uid, 41);
  assert_int_equal(set->rois_unmatched, 0);
  assert_int_equal(set->n_nodules, 4);
  const lt_nodule *n = lt_nodule_set_find(set, "1");
  assert_true(n->large);
  assert_int_equal(n->n_readers, 4);
  int mal[4];
  double dmin = INFINITY, dmax = 0;
  for (int t = 0; t < 4; t++) {
    mal[t] = n->marks[t].ratings[LT_LIDC_MALIGNANCY];
    dmin = fmin(dmin, n->marks[t].eq_diameter_mm);
    dmax = fmax(dmax, n->marks[t].eq_diameter_mm);
    printf("reader %d %-13s %zu voxels, %.2f mm\n", n->marks[t].reader,
           n->marks[t].reader_nodule_id, n->marks[t].n_voxels, n->marks[t].eq_diameter_mm);
  }
  assert_int_equal(mal[0], 5);
  assert_int_equal(mal[1], 5);
  assert_int_equal(mal[2], 5);
  assert_int_equal(mal[3], 4);
  printf("consensus %zu voxels, %.1f mm^3, %.2f mm; centroid %.2f %.2f %.2f mm\n",
         n->consensus_voxels, n->volume_mm3, n->eq_diameter_mm, n->centroid_mm[0],
         n->centroid_mm[1], n->centroid_mm[2]);
  assert_true(n->eq_diameter_mm >= dmin && n->eq_diameter_mm <= dmax);
  /* list3.2: 6459.75 mm^3 (23.107 mm) = reader IL057_127364's outline interior: 5227 voxels
   * of 1.23596 mm^3 = 6460.4 mm^3, within 0.01% */
  const lt_nodule_mark *il = mark_of_reader(n, 1);
  assert_string_equal(il->reader_nodule_id, "IL057_127364");
  assert_int_equal(il->n_voxels, 5227);
  assert_true(fabs(il->volume_mm3 - 6459.75) < 0.0001 * 6459.75);
  assert_true(fabs(il->eq_diameter_mm - 23.107) < 0.001);
  /* centre about x 56.2, y 86.2, z -116 (data README): within 0.5 mm */
  assert_true(fabs(n->centroid_mm[0] - 56.2) < 0.5);
  assert_true(fabs(n->centroid_mm[1] - 86.2) < 0.5);
  assert_true(fabs(n->centroid_mm[2] - -116.0) < 0.5);
  /* in the README's box: columns ~297-340, rows ~340-391, z -125 .. -105 */
  assert_true(n->box.lo[0] >= 295 && n->box.hi[0] <= 342);
  assert_true(n->box.lo[1] >= 338 && n->box.hi[1] <= 393);
  assert_true(fabs(n->mean_ratings[LT_LIDC_TEXTURE] - 4.75) < 1e-12);
  assert_true(fabs(n->mean_ratings[LT_LIDC_MALIGNANCY] - 4.75) < 1e-12);
  /* selection: 2.5 mm slices, 4 readers, 24 mm pass; texture 4.75 is not "solid" (5) */
  assert_int_equal(n->reject, LT_NODULE_REJECT_TEXTURE);
  for (int t = 2; t <= 4; t++) {
    char id[4];
    snprintf(id, sizeof id, "%d", t);
    const lt_nodule *s = lt_nodule_set_find(set, id);
    assert_false(s->large);
    assert_int_equal(s->n_readers, 3);
    assert_true(s->reject & LT_NODULE_REJECT_SMALL);
  }
  assert_int_equal(set->n_non_nodules, 13);
  lt_nodule_set_free(set);
  lt_lidc_doc_free(doc);
  lt_volume_free(v);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "lidc0001")) {
    char dir[1024];
    if (!lt_test_lidc0001_dir(dir, sizeof dir)) {
      printf("skip: LIDC-IDRI-0001 not found under $LT_SHARED_DATA (../shared/data absent)\n");
      return LT_TEST_SKIP;
    }
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(nodules_lidc0001_one_large_nodule_three_small)};
    return cmocka_run_group_tests(shared, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nodules_reader_masks_fill_polygons_and_cut_holes),
      cmocka_unit_test(nodules_consensus_centroid_and_ratings),
      cmocka_unit_test(nodules_point_marks_order_and_non_nodules),
      cmocka_unit_test(nodules_selection_rules),
      cmocka_unit_test(nodules_cluster_one_mark_per_reader),
      cmocka_unit_test(nodules_points_outside_image_clipped_and_counted),
      cmocka_unit_test(nodules_exclusion_roi_alone_on_a_slice_is_ignored),
      cmocka_unit_test(nodules_empty_consensus_uses_mean_of_marks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
