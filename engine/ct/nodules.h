/* engine/ct/nodules.h — LIDC readings placed on a volume: per-reader masks, physical nodules.
 * Maps each ROI to a slice (by SOP Instance UID; by z only as a fallback, within a tolerance),
 * fills each reader's mark in volume voxels by polygon scan-line filling (inclusion=FALSE ROIs
 * cut holes), clusters the readers' marks into physical nodules, and gives each its 50%
 * consensus mask, mean ratings, centroid, volume, equivalent diameter and the paper's selection
 * rules. Parses no XML (lidc.h) and reads no DICOM (series.h).
 *
 * Rules, exactly:
 * - Slice of a ROI: the slice whose SOP Instance UID equals imageSOP_UID; when no slice has it
 *   (or it is empty), the slice whose centre's patient z is nearest imageZposition, if within
 *   opt->z_tolerance_mm; else the ROI is dropped and counted in rois_unmatched.
 * - Pixels of a ROI with >= 3 points: those whose centre lies inside the closed polygon of the
 *   points or on it where a row crosses it (even-odd rule, scan lines through pixel centres).
 *   The LIDC readers drew the outline just outside the nodule, so by default the other outline
 *   pixels are not added; with opt->outline_in_mask they are (as pylidc does). This default
 *   reproduces list3.2's volume of LIDC-IDRI-0001's nodule (6459.75 mm^3, 23.107 mm) from reader
 *   IL057_127364's outline: 5227 voxels = 6460.4 mm^3, 23.108 mm. A ROI of 1 or 2 points gives
 *   its point(s) / segment. Inclusion ROIs of a mark are OR-ed per slice, then exclusion ROIs
 *   clear their inside (on slices where the mark has an inclusion ROI). Points outside the image
 *   are clipped and counted.
 * - A mark is a point mark (a nodule < 3 mm) when every ROI has fewer than 3 points; its mask is
 *   the voxel(s) of its point(s).
 * - Clustering: two marks of different readers are linked when their masks share a voxel or
 *   their centroids lie within opt->cluster_distance_mm. Links are taken in order of strength
 *   (sharing voxels first, by decreasing Dice; then by increasing centroid distance; ties by
 *   index) and join two groups only when the groups have no reader in common, so a physical
 *   nodule holds at most one mark per reader.
 * - Consensus (50%): over the marks of a nodule that are outlined (not point marks), a voxel is
 *   in the consensus when at least half of them contain it: 2 * count >= n_outlined. A nodule
 *   with only point marks has no consensus mask (consensus NULL, volume and diameter 0).
 * - Centroid: mean of the consensus voxels' centres; for point-only nodules (or an empty
 *   consensus), the mean of the marks' centroids. Volume = voxel count * voxel volume;
 *   equivalent diameter = diameter of the sphere of that volume, cbrt(6 V / pi). The consensus
 *   box is the tight box of its voxels.
 * - Mean rating of a characteristic: mean over the nodule's marks that rate it (value > 0);
 *   NAN when none does.
 * - Order and IDs: large nodules (at least one outlined mark) first, then point-only ones; each
 *   group by centroid patient z, then y, then x (mm, ascending); IDs "1", "2", ... in that order.
 * - Selection (the paper's rules; each check off when its option is 0): slice thickness (the
 *   SliceThickness tag, or the slice spacing when the tag is absent) <= max_slice_thickness_mm;
 *   reader count >= min_readers; mean texture >= min_mean_texture (the paper's "solid" nodules
 *   have average texture 5, so the default 5.0 keeps only nodules every reader rated 5; a nodule
 *   no reader rated for texture fails; LIDC-IDRI-0001's nodule, 5/5/5/4 = 4.75, fails);
 *   equivalent diameter >= min_diameter_mm (point-only nodules fail) and, when
 *   max_diameter_mm > 0, <= max_diameter_mm. */
#ifndef LT_NODULES_H
#define LT_NODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct/lidc.h"
#include "ct/volume.h"
#include "lt-error.h"

/* An inclusive voxel bounding box: lo[d] <= index <= hi[d]. A mask over a box has
 * (hi-lo+1) along each axis, index (i-lo[0]) + nx * ((j-lo[1]) + ny * (k-lo[2])). */
typedef struct {
  int lo[3], hi[3];
} lt_box;

static inline size_t lt_box_count(const lt_box *b) {
  return (size_t)(b->hi[0] - b->lo[0] + 1) * (size_t)(b->hi[1] - b->lo[1] + 1) *
         (size_t)(b->hi[2] - b->lo[2] + 1);
}

/* One reader's mark of a physical nodule, placed on the volume. */
typedef struct {
  int reader;                        /* index into doc->readers */
  int mark;                          /* index into doc->readers[reader].marks */
  char reader_nodule_id[LT_LIDC_ID_MAX];
  char radiologist_id[LT_LIDC_ID_MAX];
  bool has_ratings;
  int ratings[LT_LIDC_NCHAR];        /* 0 = absent */
  bool is_point;                     /* a < 3 mm mark: point(s), no outline */
  lt_box box;
  uint8_t *mask;                     /* lt_box_count(&box) bytes, 1 = inside */
  size_t n_voxels;
  double volume_mm3, eq_diameter_mm; /* from n_voxels (for point marks: not meaningful, 0) */
  double centroid_mm[3], centroid_vox[3];
} lt_nodule_mark;

/* Selection-rule failures (bits of lt_nodule.reject). */
enum {
  LT_NODULE_REJECT_THICK_SLICES = 1u << 0,
  LT_NODULE_REJECT_FEW_READERS = 1u << 1,
  LT_NODULE_REJECT_TEXTURE = 1u << 2,
  LT_NODULE_REJECT_SMALL = 1u << 3,
  LT_NODULE_REJECT_LARGE = 1u << 4,
};

/* One physical nodule. */
typedef struct {
  char id[16];                        /* "1", "2", ... */
  bool large;                         /* at least one reader outlined it */
  int n_readers;                      /* = n_marks (one mark per reader) */
  int n_outlined;                     /* marks that are not point marks */
  int n_marks;
  lt_nodule_mark *marks;              /* sorted by reader index */
  int n_rated;                        /* marks with ratings */
  double mean_ratings[LT_LIDC_NCHAR]; /* NAN where no mark rates it */
  lt_box box;                         /* box of consensus (union of the outlined marks' boxes) */
  uint8_t *consensus;                 /* lt_box_count(&box) bytes; NULL for point-only nodules */
  size_t consensus_voxels;
  double volume_mm3, eq_diameter_mm;  /* of the consensus; 0 for point-only nodules */
  double centroid_mm[3], centroid_vox[3];
  unsigned reject;                    /* LT_NODULE_REJECT_* bits; 0 = selected */
  bool selected;
} lt_nodule;

/* A non-nodule placed on the volume. */
typedef struct {
  int reader;
  char id[LT_LIDC_ID_MAX];
  double pos_mm[3], pos_vox[3];
} lt_placed_non_nodule;

typedef struct {
  int n_readers;
  int n_nodules;
  lt_nodule *nodules;
  int n_non_nodules;
  lt_placed_non_nodule *non_nodules; /* those whose slice was found */
  int rois_by_uid, rois_by_z;         /* how ROIs were mapped to slices */
  int rois_unmatched;                 /* ROIs on no slice of the volume (dropped) */
  int marks_dropped;                  /* marks left with no voxel (all ROIs dropped) */
  int non_nodules_unmatched;
  int points_outside;                 /* edge-map points outside the image (clipped) */
  double slice_thickness_mm;          /* used by the thickness rule */
} lt_nodule_set;

typedef struct {
  double z_tolerance_mm;        /* z fallback tolerance; default 0.5 */
  bool outline_in_mask;         /* add the outline pixels to a reader's mask; default false */
  double cluster_distance_mm;   /* centroid distance that links two marks; default 5.0 */
  double max_slice_thickness_mm;/* default 3.0 */
  int min_readers;              /* default 3 */
  double min_mean_texture;      /* default 5.0 (paper: solid = average texture 5) */
  double min_diameter_mm;       /* default 3.0 */
  double max_diameter_mm;       /* default 0 (off); the paper's sure data use 30 */
} lt_nodule_options;

/* The defaults above: the paper's selection rules. */
void lt_nodule_options_default(lt_nodule_options *opt);

/* Places doc's readings on vol (vol->sop_uid and the geometry are used, not the voxels).
 * opt NULL = defaults. -1 (one line) only for out of memory or an unusable volume. */
int lt_nodules_build(const lt_lidc_doc *doc, const lt_volume *vol, const lt_nodule_options *opt,
                     lt_nodule_set **out, lt_error *err);
void lt_nodule_set_free(lt_nodule_set *set);

/* The nodule with this ID ("1", "2", ...), or NULL. */
const lt_nodule *lt_nodule_set_find(const lt_nodule_set *set, const char *id);

/* Writes a full-volume mask (lt_geometry_count(g) bytes, 0/1; all of it is written) of the
 * nodule's consensus (mark < 0) or of its mark-th reader mark. g must be the geometry the set
 * was built on. Returns the number of voxels set. */
size_t lt_nodule_rasterise(const lt_nodule *n, int mark, const lt_geometry *g, uint8_t *full);

/* "thick slices", "few readers", "texture", "small", "large": names of the reject bits, joined
 * with ", " into buf; "" when none. Returns buf. */
const char *lt_nodule_reject_string(unsigned reject, char *buf, size_t n);

#endif
