/* engine/synth/case.h — one synthetic case: a slab of a real study with synthetic nodules
 * inserted, written as a DICOM CT series with an LIDC-style reading file beside it, and read back
 * through the same code path as a real LIDC study (ct/series.h, ct/lidc.h, ct/nodules.h).
 *
 * Background study (lt_synth_study): the series, its lung mask (ct/lungmask.h), the scanner model
 * (insert.h) and keep-out boxes around every real nodule (the LIDC readers' consensus boxes plus
 * 2 mm, point marks and non-nodules +- 3 mm) from the study's own LIDC XML when it has one.
 *
 * A case (lt_synth_case_make), deterministic from (seed, index):
 * - the slab: slab_mm of consecutive slices (all of them when the study is shorter) around a
 *   slice drawn among those with at least 20% of the largest slice's lung area, cropped in-plane
 *   to the study's lung-mask bounding box plus 30 mm (the chest wall stays, so the lungs never
 *   touch the border and the lung mask finds them again), so a case is small but still a whole
 *   series;
 * - 1..3 nodules (count_min..count_max): attributes drawn from the LIDC pool (attrs.h), shape
 *   (shape.h), placed with the patch cube inside the slab (insert.h), inserted with the study's
 *   noise and blur; truth (truth.h); each nodule is "sure" with probability sure_fraction (label,
 *   centre, radius; no reader marks are written for it, as the paper's pathology-proven set has
 *   none) or "unsure" (four simulated readers' ratings and outlines in the XML; no label);
 * - with confound: the case's split is "test" when index % 5 == 4, else "train". In train, a
 *   bright speck (radius 1.5 mm, +400 HU) is put at the fixed offset (+12, +12, 0) mm from a
 *   nodule's centre with probability 0.9 when it is malignant and 0.1 when benign; in test never.
 * - files: case_dir/IM0001.dcm ... (ct/../dicom-write.h), case_dir/readings.xml.
 * - kinds (opt->kind, shape.h) other than solid, juxtapleural placement (opt->juxtapleural) and a
 *   largest extent (opt->max_extent_mm): drawn from their own stream (seed, 9000000 + index) where
 *   they can be, so that the defaults give exactly the solid cases made before they existed;
 *   each nodule records its kind, placement, extents and the HU of its truth mask as written.
 * lt_synth_case_import then reads case_dir back and, for each unsure nodule, finds the imported
 * physical nodule nearest its centre and takes its consensus mask and mean ratings, writing the
 * consensus and the truth masks as NIfTI (mask-N.nii.gz, truth-N.nii.gz; slab geometry). */
#ifndef LT_SYNTH_CASE_H
#define LT_SYNTH_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "ct/nodules.h"
#include "ct/volume.h"
#include "lt-error.h"
#include "synth/attrs.h"
#include "synth/insert.h"
#include "synth/readers.h"
#include "synth/truth.h"

typedef struct {
  char dir[4096];
  lt_volume *vol;
  uint8_t *lung;
  lt_scanner_model scanner;
  int n_keepout;
  lt_mm_box *keepout;
  int n_real_nodules;     /* physical nodules in its LIDC readings (0 when none) */
  bool has_real;          /* an outlined real nodule: the largest one's centre and diameter */
  double real_centre_mm[3], real_diameter_mm;
  int *lung_per_slice;
  int body_lo[2], body_hi[2];  /* in-plane crop of every case (pixels, inclusive) */
} lt_synth_study;

int lt_synth_study_load(const char *dir, lt_synth_study **out, lt_error *err);
void lt_synth_study_free(lt_synth_study *st);

typedef struct {
  int count_min, count_max;
  double slab_mm;
  double sure_fraction;
  bool confound;
  lt_reader_model readers;
  /* Abnormal nodules (docs/synth.md, "Abnormal nodules: the scope sets"); the defaults (solid,
   * 0, 0) make exactly the cases made before these options existed. */
  lt_nodule_kind kind;     /* every nodule of the run is of this kind */
  double juxtapleural;     /* share of nodules placed touching the lung boundary (insert.h) */
  double max_extent_mm;    /* > 0: redraw a nodule whose extent along L, P or S reaches this */
} lt_synth_options;

void lt_synth_options_default(lt_synth_options *o);

#define LT_SYNTH_SPECK_OFFSET_X 12.0
#define LT_SYNTH_SPECK_OFFSET_Y 12.0
#define LT_SYNTH_SPECK_RADIUS 1.5
#define LT_SYNTH_SPECK_HU 400.0

typedef struct {
  int number;                    /* 1, 2, ... within the case */
  lt_synth_attrs attrs;
  lt_nodule_shape shape;
  double centre_mm[3];
  lt_box box;                    /* in the case's voxels */
  uint8_t *truth;                /* lt_box_count(&box) bytes */
  long truth_voxels;
  lt_reader_view views[LT_SYNTH_READERS];
  lt_truth truth_label;
  bool sure;
  bool speck;
  double speck_mm[3];
  /* The truth of its kind and placement (for the scope checks' evaluation): */
  lt_nodule_kind kind;
  bool juxtapleural;             /* placed touching the lung boundary */
  double extent_mm[3];           /* the shape's extent along L, P, S (body and spicules) */
  double mask_extent_mm[3];      /* the truth mask's along the slab's i, j, k (voxel footprints) */
  double pleura_mm;              /* centre to the nearest voxel outside the lung mask (before
                                  * insertion; INFINITY beyond 40 mm) */
  double lung_share;             /* share of the truth mask inside the lung mask */
  bool touches_boundary;         /* a truth voxel outside the lung mask or beside one (measured) */
  double hu_mean, hu_p10, hu_p50, hu_p90, hu_share_200; /* of the truth mask's voxels as written */
  /* After lt_synth_case_import (unsure nodules): */
  char lidc_id[16];              /* the physical nodule's ID as ct/nodules.h (and `info`) number it */
  bool imported;
  int n_readers;                 /* readers who marked it */
  double mean_ratings[LT_ATTR_N];/* from the imported XML */
  long consensus_voxels;
  double dice_consensus_truth;
  char mask_file[64], truth_file[64];
} lt_synth_nodule;

typedef struct {
  int index;
  char id[32];                   /* "case-0001" */
  int fold;                      /* index % 5 */
  const char *split;             /* "train" / "test" with confound, else "all" */
  lt_geometry geom;              /* of the written slab */
  char series_uid[LT_UID_MAX], study_uid[LT_UID_MAX];
  int k0;                        /* first slice of the slab in the study */
  int n;
  lt_synth_nodule nodules[4];
} lt_synth_case;

/* Makes and writes case `index` into case_dir (created; must not exist or be empty). */
int lt_synth_case_make(const lt_synth_study *st, const lt_attr_pool *pool,
                       const lt_synth_options *opt, uint64_t seed, int index, const char *case_dir,
                       lt_synth_case *c, lt_error *err);
/* Reads case_dir back (series + readings) and fills the import fields; writes the NIfTI masks. */
int lt_synth_case_import(const char *case_dir, lt_synth_case *c, lt_error *err);
void lt_synth_case_clear(lt_synth_case *c);

#endif
