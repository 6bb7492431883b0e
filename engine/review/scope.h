/* engine/review/scope.h — the scope decision: whether the model's answer for one nodule or point
 * may be believed, with a plain sentence, a stable code and a level for each reason.
 *
 * The model was made for solid nodules inside the lungs that fit its 32 mm field, on CT like its
 * training data. Each check below measures the case (scope_measures) and, when it fires, adds a
 * reason. Levels: "out of scope" (the model's numbers are still computed and stored, but callers
 * show them struck or greyed with the reason, never as a plain verdict) and "caution" (shown as
 * a plain verdict with the caution beside it). The decision's level is the worst reason's.
 *
 * Codes (stable, for --json and the database) and levels:
 *   outside_lungs   out      the centre lies outside the lungs (a juxtapleural nodule touching the
 *                            pleura is inside: see LT_SCOPE_LUNG_MARGIN_MM)
 *   not_solid       out      ground-glass or part-solid, from the CT in and around the nodule and
 *                            from the readers' texture ratings when there are any
 *   oversize        out      a mass larger than the 32 mm field: its extent or its segmentation
 *                            reaches the patch's border
 *   unusual         out      the nodule's own features lie far from the training data's
 *                            (unusual.h; threshold from the training data's validation split)
 *   calcified       caution  mostly above LT_SCOPE_CALCIFIED_HU: a benign pattern
 *   thick_slices    caution  slices thicker than 3 mm (the paper's exclusion)
 *   acquisition     caution  one line listing how the scan differs from the training data's
 *                            (pixel spacing, slice thickness, manufacturer)
 *   coarse_map      caution  the nodule spans under two cells of the Grad-CAM grid
 *   filled_slices   caution  the patch reaches slices that were missing and filled in
 * The rules' numbers and why they were chosen: docs/scope.md. Pure computation on arrays: it runs
 * no model and reads no files. */
#ifndef LT_REVIEW_SCOPE_H
#define LT_REVIEW_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/unusual.h"
#include "model/weights.h"

typedef enum {
  LT_SCOPE_IN = 0,
  LT_SCOPE_CAUTION = 1,
  LT_SCOPE_OUT = 2,
} lt_scope_level;

typedef enum {
  LT_SCOPE_OUTSIDE_LUNGS,
  LT_SCOPE_NOT_SOLID,
  LT_SCOPE_OVERSIZE,
  LT_SCOPE_UNUSUAL,
  LT_SCOPE_CALCIFIED,
  LT_SCOPE_THICK_SLICES,
  LT_SCOPE_ACQUISITION,
  LT_SCOPE_COARSE_MAP,
  LT_SCOPE_FILLED_SLICES,
  LT_SCOPE_N_CODES
} lt_scope_code;

/* A nodule's centre within this distance of the lung mask counts as inside: the mask's closing
 * pulls most pleural nodules in, and this margin catches the rest whose centre sits on the
 * pleura. */
#define LT_SCOPE_LUNG_MARGIN_MM 3.0
/* A nodule whose centre is farther out is still inside when this share of the 1 mm around its
 * outline is lung: a large juxtapleural nodule that the mask's closing did not pull in. */
#define LT_SCOPE_LUNG_CONTACT 0.25
/* Calcified: at least half of the nodule's voxels at or above this (dense calcium; soft tissue
 * and blood stay under 100 HU even after contrast). */
#define LT_SCOPE_CALCIFIED_HU 200.0

/* What the checks measured (NAN where not measured). */
typedef struct {
  double lung_distance_mm;   /* from the centre to the nearest lung-mask voxel (0 inside); INF
                              * when none lies within the margin, or the study has no lungs */
  bool no_lungs;             /* no lung mask could be found in the series */
  double slice_thickness_mm; /* of the series (SliceThickness, else the slice spacing) */
  double spacing_mm;         /* in-plane pixel spacing */
  int region_voxels;         /* the nodule region the density checks read (0.5 mm voxels) */
  double region_mm;          /* its equivalent diameter */
  double solid_fraction;     /* share of the region at or above the solid threshold */
  double solid_mm;           /* equivalent diameter of that solid part */
  double rim_mm;             /* (region_mm - solid_mm) / 2: the ground-glass rim */
  double core_hu;            /* median HU of the region's solid-most half */
  double ggo_fraction;       /* share of the region between -750 and the solid threshold */
  double calcified_fraction; /* share at or above LT_SCOPE_CALCIFIED_HU */
  double extent_mm;          /* largest extent of the region along the patch's axes */
  double lung_contact;       /* share of the 1 mm shell around the region inside the lungs */
  bool touches_border;       /* the region reaches the patch's border */
  double readers_texture;    /* the readers' mean texture rating (1-5), NAN without readers */
  double feature_distance;   /* unusual.h distance, NAN without statistics */
  double feature_threshold;
} lt_scope_measures;

typedef struct {
  lt_scope_code code;
  lt_scope_level level;
  char text[256]; /* one English sentence for people */
} lt_scope_reason;

typedef struct {
  lt_scope_level level; /* the worst reason's; LT_SCOPE_IN with no reasons */
  int n;
  lt_scope_reason reasons[LT_SCOPE_N_CODES];
  lt_scope_measures m;
} lt_scope;

/* "outside_lungs", "not_solid", ... as above. */
const char *lt_scope_code_name(lt_scope_code c);
/* "in_scope", "caution", "out_of_scope". */
const char *lt_scope_level_name(lt_scope_level l);
/* The default level of a code. */
lt_scope_level lt_scope_code_level(lt_scope_code c);
/* Adds a reason (its level the code's), keeps the decision's level the worst; printf format. */
void lt_scope_add(lt_scope *s, lt_scope_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when the decision holds a reason with this code. */
bool lt_scope_has(const lt_scope *s, lt_scope_code code);
/* The reasons' codes joined with "," into buf ("" when in scope). Returns buf. */
const char *lt_scope_codes(const lt_scope *s, char *buf, size_t n);

/* The slice-thickness and acquisition checks: thick_slices over 3 mm; and one acquisition line
 * listing how the scan differs from the training data's statistics st (pixel spacing or slice
 * thickness more than 5% outside the trained range, a manufacturer not trained on, or none
 * stated); st NULL: the thickness limit only. A value <= 0 is unknown and not compared. */
void lt_scope_check_acquisition(lt_scope *s, const lt_train_stats *st, double spacing_mm,
                                double thickness_mm, const char *manufacturer);

/* The reasons as JSON, [{"code": ..., "level": ..., "sentence": ...}, ...] (malloc'ed; NULL when
 * memory runs out): what the database stores with a run. */
char *lt_scope_reasons_json(const lt_scope *s);

/* The inputs of the density, size and texture checks: the 64^3 patch's lung window (channel 0,
 * [-1000, 400] HU -> [0, 1], x fastest, 0.5 mm), the model's segmentation on its own grid
 * (seg_side^3 probabilities over the same 32 mm; 16, 32 or 64) or NULL, the readers' consensus
 * on the patch (64^3 0/1) or NULL, the lung mask on the pooled grid and the readers' mean
 * texture (NAN when none). The checks pool everything to 32^3 voxels of 1 mm. */
typedef struct {
  const float *lung_window;
  const float *seg;
  int seg_side;
  const uint8_t *consensus;
  const uint8_t *lung32;     /* the lung mask on the pooled grid (32^3 0/1, at the centre of each
                              * 2^3 block of the patch), or NULL */
  double readers_texture;
} lt_scope_patch;

/* The density, size and texture checks on one patch: fills s->m's region, solid, ggo, calcified,
 * extent and lung-contact measures and adds not_solid, calcified and oversize when they fire.
 * The lungs' check itself (outside_lungs) is the caller's: it needs the whole volume's mask. */
void lt_scope_check_patch(lt_scope *s, const lt_scope_patch *p);

#endif
