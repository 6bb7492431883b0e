/* engine/ct/lidc.h — LIDC-IDRI XML readings (LidcReadMessage) parsed with libxml2.
 * Gives the readers (one readingSession each), their nodule marks (unblindedReadNodule) with the
 * nine characteristics and per-slice ROIs (z, SOP Instance UID, inclusion flag, edge-map points
 * as column/row, 0-based), and their non-nodules (a locus on one slice). Finds LIDC XML files
 * under a folder. Plain data only: mapping ROIs to slices, masks and clustering of the readers'
 * marks into physical nodules are in nodules.h. Never crashes on bad XML: -1 and one line. */
#ifndef LT_LIDC_H
#define LT_LIDC_H

#include <stdbool.h>
#include <stddef.h>

#include "ct/volume.h"
#include "lt-error.h"

/* The nine LIDC characteristics in the XML's (and nodule_chara_list.csv's) order.
 * Scales: internal structure 1-4, calcification 1-6, all others 1-5. 0 = not rated. */
enum {
  LT_LIDC_SUBTLETY = 0,
  LT_LIDC_INTERNAL_STRUCTURE,
  LT_LIDC_CALCIFICATION,
  LT_LIDC_SPHERICITY,
  LT_LIDC_MARGIN,
  LT_LIDC_LOBULATION,
  LT_LIDC_SPICULATION,
  LT_LIDC_TEXTURE,
  LT_LIDC_MALIGNANCY,
  LT_LIDC_NCHAR
};

/* XML element names ("subtlety", "internalStructure", ...), indexed by the enum above. */
extern const char *const lt_lidc_char_names[LT_LIDC_NCHAR];
/* Largest valid rating of each characteristic (4 for internal structure, 6 for calcification,
 * 5 for the others). */
extern const int lt_lidc_char_max[LT_LIDC_NCHAR];

#define LT_LIDC_ID_MAX 64

/* One edge-map or locus point: x = xCoord = image column, y = yCoord = image row, 0-based. */
typedef struct {
  double x, y;
} lt_lidc_point;

/* One contour on one slice. */
typedef struct {
  double z;                   /* imageZposition (mm); NAN when absent */
  char sop_uid[LT_UID_MAX];   /* imageSOP_UID; "" when absent */
  bool inclusion;             /* TRUE (or absent): encloses nodule; FALSE: cuts a hole */
  int n_points;
  lt_lidc_point *points;
} lt_lidc_roi;

/* One reader's mark of one nodule (unblindedReadNodule). */
typedef struct {
  char id[LT_LIDC_ID_MAX];        /* noduleID as written by the reader */
  bool has_characteristics;       /* a <characteristics> element with at least one rating */
  int ratings[LT_LIDC_NCHAR];     /* 0 = absent */
  int n_rois;
  lt_lidc_roi *rois;
} lt_lidc_mark;

/* A non-nodule (a lesion the reader judged not to be a nodule): one point on one slice. */
typedef struct {
  char id[LT_LIDC_ID_MAX];        /* nonNoduleID */
  double z;                       /* imageZposition; NAN when absent */
  char sop_uid[LT_UID_MAX];
  lt_lidc_point locus;
} lt_lidc_non_nodule;

/* One readingSession. */
typedef struct {
  char radiologist_id[LT_LIDC_ID_MAX];     /* servicingRadiologistID; "" when absent */
  char annotation_version[LT_LIDC_ID_MAX]; /* annotationVersion; "" when absent */
  int n_marks;
  lt_lidc_mark *marks;
  int n_non_nodules;
  lt_lidc_non_nodule *non_nodules;
} lt_lidc_reader;

typedef struct {
  char series_uid[LT_UID_MAX];  /* ResponseHeader/SeriesInstanceUid; "" when absent */
  char study_uid[LT_UID_MAX];   /* ResponseHeader/StudyInstanceUID; "" when absent */
  int n_readers;
  lt_lidc_reader *readers;
} lt_lidc_doc;

/* Parses one LIDC XML file / buffer. Refused (-1, one line): not well-formed XML, a root other
 * than LidcReadMessage, a ROI without edge-map points, a point without xCoord/yCoord, a
 * coordinate that is not a finite number or lies beyond +-1e6, an inclusion other than
 * TRUE/FALSE, a rating that is not an integer in its scale, a noduleID missing. Points outside
 * the image are kept here (nodules.c clips and counts them). */
int lt_lidc_read_file(const char *xml_path, lt_lidc_doc **out, lt_error *err);
int lt_lidc_read_memory(const char *buf, size_t len, lt_lidc_doc **out, lt_error *err);
void lt_lidc_doc_free(lt_lidc_doc *doc);

/* Total marks over all readers. */
int lt_lidc_doc_mark_count(const lt_lidc_doc *doc);

/* Finds LIDC XML files under dir (recursively, not following symbolic links, 32 levels at
 * most): files named *.xml whose root element is LidcReadMessage; other XML is skipped.
 * *paths is sorted, malloc'ed (free with lt_lidc_paths_free); *n may be 0. -1 only when dir
 * cannot be read. */
int lt_lidc_find(const char *dir, char ***paths, int *n, lt_error *err);
void lt_lidc_paths_free(char **paths, int n);

/* The readings of one series under dir: every LIDC XML found there whose SeriesInstanceUid is
 * series_uid or absent (or, when series_uid is NULL or "", every one), merged into one document
 * (readers appended in path order; series_uid/study_uid those of the first). *out = NULL and 0
 * when there is none. -1 (the line names the file) when any LIDC XML file there is broken. */
int lt_lidc_read_for_series(const char *dir, const char *series_uid, lt_lidc_doc **out,
                            lt_error *err);

#endif
