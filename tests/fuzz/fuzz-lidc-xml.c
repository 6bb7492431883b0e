/* tests/fuzz/fuzz-lidc-xml.c — libFuzzer target for the LIDC XML reader and the nodule builder
 * (engine/ct/lidc.h, nodules.h). Each input is an XML document. It is parsed from memory; a
 * failure must be one line. A parsed document is placed on two made-up volumes: a small one
 * whose slices carry the SOP UIDs of tests/ct/lidc-xml/synthetic.xml (1.2.826.0.1.3680043.2.1125.9.K,
 * z = 2K), and one shaped like LIDC-IDRI-0001 (512 x 512, 0.703125 mm, slices every 2.5 mm from
 * z -130, no UIDs, so 069.xml's ROIs go through the z fallback). Every nodule is then checked
 * against invariants (boxes inside the volume, counts consistent, unique IDs, finite centroids)
 * and rasterised; libxml2 printing anything is a failure too. libxml2 itself is not instrumented (Debian's), so coverage steers through our
 * code over its output: elements missing, odd text, extreme numbers, many marks and ROIs.
 * Build: CC=clang CXX=clang++ meson setup B -Dfuzz=true -Db_sanitize=address
 *        -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link
 * Run:   tests/fuzz/run-fuzz-lidc-xml.sh B [SECONDS]  (seeds: the XML files of tests/ct/lidc-xml, 069.xml and a
 *        reduced 069.xml; dictionary tests/fuzz/lidc-xml.dict) */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>

#include "ct/lidc.h"
#include "ct/nodules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broken: a bug in our code. */
#define FAIL()                                                          \
  do {                                                                  \
    fprintf(stderr, "fuzz-lidc-xml: invariant at line %d\n", __LINE__); \
    abort();                                                            \
  } while (0)

static lt_volume *small_vol, *lidc_vol;
static uint8_t *small_full;

/* libxml2 writing on its generic error channel means stderr output that the one-line rule
 * forbids: lidc.c silences that channel while it parses, so reaching this is a bug. */
static void libxml_printed(void *ctx, const char *msg, ...) {
  (void)ctx;
  fprintf(stderr, "fuzz-lidc-xml: libxml2 printed: %s\n", msg);
  abort();
}

static void init(void) {
  xmlSetGenericErrorFunc(NULL, libxml_printed);
  small_vol = lt_volume_new(32, 32, 8);
  lidc_vol = lt_volume_new(512, 512, 20);
  if (!small_vol || !lidc_vol) abort();
  small_vol->geom.spacing[2] = 2.0;
  small_vol->slice_thickness = 2.0;
  for (int k = 0; k < 8; k++)
    snprintf(small_vol->sop_uid[k], LT_UID_MAX, "1.2.826.0.1.3680043.2.1125.9.%d", k);
  lidc_vol->geom.spacing[0] = lidc_vol->geom.spacing[1] = 0.703125;
  lidc_vol->geom.spacing[2] = 2.5;
  lidc_vol->geom.origin[0] = -166.0;
  lidc_vol->geom.origin[1] = -171.7;
  lidc_vol->geom.origin[2] = -130.0;
  lidc_vol->slice_thickness = 2.5;
  small_full = malloc(lt_geometry_count(&small_vol->geom));
  if (!small_full) abort();
}

static bool box_inside(const lt_box *b, const lt_geometry *g) {
  for (int d = 0; d < 3; d++)
    if (b->lo[d] < 0 || b->hi[d] >= g->dim[d] || b->lo[d] > b->hi[d]) return false;
  return true;
}

static void check_set(const lt_nodule_set *set, const lt_volume *v, bool rasterise) {
  const lt_geometry *g = &v->geom;
  for (int t = 0; t < set->n_nodules; t++) {
    const lt_nodule *n = &set->nodules[t];
    if (n->n_marks < 1 || n->n_readers != n->n_marks) FAIL();
    for (int u = 0; u < t; u++)
      if (!strcmp(set->nodules[u].id, n->id)) FAIL();
    for (int d = 0; d < 3; d++)
      if (!isfinite(n->centroid_mm[d]) || !isfinite(n->centroid_vox[d])) FAIL();
    size_t most = 0;
    for (int m = 0; m < n->n_marks; m++) {
      const lt_nodule_mark *mk = &n->marks[m];
      if (!mk->mask || mk->n_voxels == 0 || !box_inside(&mk->box, g)) FAIL();
      if (m > 0 && n->marks[m - 1].reader >= mk->reader) FAIL(); /* one mark per reader */
      size_t c = 0, cnt = lt_box_count(&mk->box);
      for (size_t i = 0; i < cnt; i++) c += mk->mask[i];
      if (c != mk->n_voxels) FAIL();
      if (!mk->is_point && mk->n_voxels > most) most = mk->n_voxels;
    }
    if (n->consensus) {
      if (!box_inside(&n->box, g) || n->consensus_voxels == 0) FAIL();
      /* the consensus never exceeds the union of the outlines */
      size_t uni = 0;
      for (int m = 0; m < n->n_marks; m++) uni += n->marks[m].is_point ? 0 : n->marks[m].n_voxels;
      if (n->consensus_voxels > uni) FAIL();
      if (n->n_outlined == 1 && n->consensus_voxels != most) FAIL();
    } else if (n->consensus_voxels != 0) {
      FAIL();
    }
    if (rasterise) {
      if (lt_nodule_rasterise(n, -1, g, small_full) != n->consensus_voxels) FAIL();
      if (lt_nodule_rasterise(n, 0, g, small_full) != n->marks[0].n_voxels) FAIL();
    }
    char why[12]; /* deliberately short: truncation must stay in bounds */
    lt_nodule_reject_string(n->reject, why, sizeof why);
    if (strlen(why) >= sizeof why) FAIL();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!small_vol) init();
  lt_lidc_doc *doc = NULL;
  lt_error err = {{0}};
  if (lt_lidc_read_memory((const char *)data, size, &doc, &err) != 0) {
    if (doc || !err.msg[0] || strchr(err.msg, '\n')) FAIL();
    return 0;
  }
  lt_nodule_options opt;
  lt_nodule_options_default(&opt);
  opt.outline_in_mask = size & 1;
  const lt_volume *vols[2] = {small_vol, lidc_vol};
  for (int i = 0; i < 2; i++) {
    lt_nodule_set *set = NULL;
    if (lt_nodules_build(doc, vols[i], &opt, &set, &err) != 0) {
      if (!err.msg[0] || strchr(err.msg, '\n')) FAIL();
      continue;
    }
    check_set(set, vols[i], i == 0);
    lt_nodule_set_free(set);
  }
  lt_lidc_doc_free(doc);
  return 0;
}
