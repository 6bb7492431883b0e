/* db/lt-import-study.h — importing one CT study with its LIDC readings, in one transaction.
 * Reads the series through engine/ct (series.h), its LIDC XML readings (lidc.h) and places them
 * on the volume as physical nodules (nodules.h: clustering, 50% consensus, mean ratings), then
 * writes: the patient (a pseudonym: PatientID when it is an LIDC-IDRI id, else "P-" and 24 hex
 * digits of a keyed hash of PatientID, lt_db_pseudonym; names are never read), the study and series (by UID), one
 * nodule per physical nodule (source 'lidc-xml', key "SERIES_UID/ID", centroid in mm and voxels,
 * consensus volume and equivalent diameter; point-only nodules have no size), each reader's
 * ratings (kind 'reader', key "rN:READER_NODULE_ID"), the readers' mean (kind 'readers_mean',
 * key 'lidc-xml'), each reader's outlines (contours 'reader', one per ROI, key as the reader's
 * set, seq = the ROI's place in the mark), the 50% consensus mask (segmentation 'consensus', key 'lidc-50%', its box's
 * slices stacked in one 8-bit grey PNG) and a thumbnail (kind 'centre-slice': the nodule's
 * centre slice, 64x64 voxels at 2x, lung window, consensus contour in red, PNG). Re-running adds
 * nothing new (upserts). Everything is read and computed before the transaction begins.
 * A study with no LIDC XML is imported as study and series only.
 * Note: a nodule imported here and the same nodule imported from the LIDC-wide tables
 * (lt-import-ratings.h) are two rows with two readers' means; retrieval with
 * --other-patients keeps them apart. Does not run the model. */
#ifndef LT_IMPORT_STUDY_H
#define LT_IMPORT_STUDY_H

#include "lt-db.h"

typedef struct {
  char patient[64];
  char series_uid[68];
  int slices;
  int readers;
  int nodules, nodules_rated, reader_sets, contours, masks, thumbnails;
  char warning[512]; /* lt_series_warning's line for the series read ("" when none): the
                        caller shows it (the import itself succeeded) */
} lt_study_report;

int lt_import_study(lt_db *db, const char *path, lt_study_report *rep, lt_error *err);

#endif
