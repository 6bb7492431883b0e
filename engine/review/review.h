/* engine/review/review.h — the review pipeline: one nodule or point of a loaded study through the
 * model, as every caller shows it (`lungtrust-cli analyze`, the workstation's analysis job, batch
 * jobs such as audits and teaching). One call takes the study (volume, readings, lung mask), the
 * nodule or point, and the model, and returns the centre, the patch, the probability, the six
 * attributes, the segmentation, the Grad-CAM, the trust checks against the model's own mask and
 * the readers' consensus, the Dice, the scope decision with its reasons (scope.h) and the
 * timings. The result carries the identity of what was analysed (nodule ID or point) and of the
 * model (its file's SHA-256), so a caller can tell whose result it holds.
 * It reads no DICOM (the caller loads the study), writes no files and draws nothing; callers
 * hold no analysis logic of their own. Similar nodules, the second call: similar.h. */
#ifndef LT_REVIEW_REVIEW_H
#define LT_REVIEW_REVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "ct/lungmask.h"
#include "ct/nodules.h"
#include "ct/patch.h"
#include "ct/series.h"
#include "ct/volume.h"
#include "lt-error.h"
#include "model/weights.h"
#include "review/analyze.h"
#include "review/scope.h"

/* A model ready for reviews: its weights, the network (batch 1), and its identity. */
typedef struct {
  char path[4096];
  char name[256];      /* the file's base name */
  char sha256[65];     /* of the whole file, hex */
  lt_weights w;
  lt_model *m;
  bool has_unusual;    /* the weights carry the "unusual for the model" statistics (unusual.h) */
  lt_unusual_stats unusual;
} lt_review_model;

/* Loads and checks the weights, builds the network and hashes the file. -1 with err set. */
int lt_review_model_load(lt_review_model **out, const char *path, lt_error *err);
void lt_review_model_free(lt_review_model *m);

/* A loaded study as the pipeline sees it: the volume and the readings placed on it (both
 * borrowed, the caller keeps them alive), and the lung mask, computed by the pipeline the first
 * time a review needs it and kept (owned) for the next ones. Not thread-safe: one thread reviews
 * a study at a time (the workstation's engine thread, one worker of a batch). */
typedef struct {
  const lt_volume *vol;
  const lt_nodule_set *nodules; /* NULL: no readings, or readings withheld */
  const lt_series_info *info;   /* how the series was read (slice gaps), or NULL */
  uint8_t *lung;                /* lt_geometry_count bytes, 0/1; NULL until computed */
  bool lung_failed;             /* the lung mask could not be found (then: no lungs, out of scope) */
  lt_lung_mask_info lung_info;
  char lung_error[256];
  double lung_ms;               /* the time the lung mask took, once */
} lt_review_study;

void lt_review_study_init(lt_review_study *s, const lt_volume *vol, const lt_nodule_set *nodules,
                          const lt_series_info *info);
/* Frees what the study owns (the lung mask), not the volume or the readings. */
void lt_review_study_clear(lt_review_study *s);
/* Computes the lung mask now if it is not there (the workstation does it before the first click's
 * analysis). 0, or -1 when memory runs out; a volume without lungs is not an error here (the
 * scope decision says so). */
int lt_review_study_lungs(lt_review_study *s, lt_error *err);

typedef enum {
  LT_REVIEW_AT_NODULE, /* nodule_id of the study's readings: its consensus centroid */
  LT_REVIEW_AT_MM,     /* at: patient coordinates (LPS, mm) */
  LT_REVIEW_AT_VOXEL,  /* at: continuous voxel index (column, row, slice) */
} lt_review_where;

typedef struct {
  lt_review_where where;
  char nodule_id[16];
  double at[3];
} lt_review_request;

/* One review. Owns its arrays (lt_review_result_free). */
typedef struct {
  /* what was analysed */
  lt_review_where where;
  char nodule_id[16];        /* the readings' nodule analysed, or the one whose consensus holds the
                              * point; "" when none */
  bool has_nodule;
  double centre_mm[3];       /* the patch's centre */
  double centre_vox[3];
  double nodule_mm;          /* diameter: the readers' consensus's equivalent diameter when there
                              * is one, else the model segmentation's; 0 when neither */
  bool nodule_mm_from_readers;
  double mean_ratings[LT_LIDC_NCHAR]; /* the readers' mean ratings (NAN where none) */
  int n_readers;
  /* which model */
  char model_name[256];
  char model_sha256[65];
  /* the model's answer (analyze.h: probability, attributes, seg and CAM on the model's S^3 grid,
   * trust checks, Dice against the consensus) */
  lt_analysis an;
  lt_geometry grid_geom;     /* the model's S^3 grid in the CT's patient coordinates */
  lt_patch *patch;           /* the 2x64^3 patch (about 2 MB) */
  uint8_t *consensus;        /* 64^3 0/1 on the patch grid, or NULL without readers' outline */
  /* the scope decision (scope.h) */
  lt_scope scope;
  /* timings, ms */
  double ms_patch, ms_model, ms_scope, ms_total;
  double ms_lungs;           /* the study's lung mask, when this review computed it (once) */
} lt_review_result;

/* Reviews one nodule or point of s with m. Fails (-1, one line in err) for an unknown nodule, a
 * point outside the volume, a model whose input does not fit the 64^3 patch, out of memory or a
 * GPU error. A point outside the lungs is not a failure: it is analysed and marked out of scope
 * (the numbers are computed and kept, never shown as a plain verdict). */
int lt_review_analyze(lt_review_study *s, lt_review_model *m, const lt_review_request *req,
                      lt_review_result *out, lt_error *err);
void lt_review_result_free(lt_review_result *r);

/* The model's input around a nodule or point without running the model (`lungtrust-cli patch`):
 * the centre resolved as lt_review_analyze resolves it, the 2x64^3 patch and the readers'
 * consensus on it. Sets out's identity, patch and consensus (NULL without an outline); the
 * model's fields and the scope stay empty. */
int lt_review_patch(lt_review_study *s, const lt_review_request *req, lt_review_result *out,
                    lt_error *err);
/* Whether mm lies in the lungs as the scope's outside_lungs check sees a point (within
 * LT_SCOPE_LUNG_MARGIN_MM of the lung mask); false before lt_review_study_lungs found them. */
bool lt_review_in_lungs(const lt_review_study *s, const double mm[3]);

/* The result's verdict in one English line, e.g. "out of scope: not solid (ground-glass) — the
 * model's numbers are not a verdict" or "in scope". */
const char *lt_review_verdict_line(const lt_review_result *r, char *buf, size_t n);

#endif
