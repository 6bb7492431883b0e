/* db/lt-import-ratings.h — importing the LIDC-wide tables (../shared/data/lidc-ratings) in one
 * transaction: nodule_chara_list.csv (one reader's ratings of one nodule a row), list3.2.csv (one
 * physical nodule a row, with the reader nodule IDs that belong to it) and
 * tcia-diagnosis-2012-04-20.csv (diagnoses of 157 patients). Safe to re-run: every row is an
 * upsert on a natural key. All three files are parsed and checked before anything is written;
 * a malformed file is refused with one line and the database is untouched.
 *
 * What is written:
 *   patients   one per list3.2 case and per TCIA patient, pseudonym LIDC-IDRI-NNNN
 *   studies    one per (case, scan) of list3.2, uid "lidc-list3.2:LIDC-IDRI-NNNN/SCAN"
 *   nodules    one per list3.2 row: source 'lidc-list3.2', key "LIDC-IDRI-NNNN/SCAN/ROI",
 *              col/row/slice = x loc./y loc./slice no., diameter = eq. diam., volume
 *   attribute sets  kind 'reader' (key: the reader's nodule ID) for each matched rating row, and
 *              kind 'readers_mean' (key 'lidc-tables', n_readers) = the mean of each of the nine
 *              characteristics over the nodule's matched rating rows
 *   diagnoses  TCIA: one patient-level diagnosis per TCIA row (source 'tcia-2012-04-20', key the
 *              pseudonym); a nodule-level one (key "PSEUDONYM/nodule") only where the patient has
 *              exactly one list3.2 row and exactly one of nodule1..5 filled in. Codes: diagnosis
 *              0 unknown, 1 benign, 2 primary, 3 metastatic; method 0 unknown, 1 stability,
 *              2 biopsy, 3 resection, 4 progression.
 *
 * Grouping: a rating row (patient P, reader ID I) belongs to the list3.2 row of patient P whose
 * nodIDs contain I exactly (string equality; "1" never matches "10").
 *
 * Rules for what does not fit (the README's list), each counted in lt_lidc_report:
 *   R1 ambiguous pair: a (patient, ID) pair that appears in more than one list3.2 row (in the data:
 *      9 pairs, each in two scans of one patient) or in more than one rating row. The rating rows
 *      carry no scan, so which scan a rating belongs to is unknown: ALL rating rows of such a pair
 *      are set aside (not attached to either nodule); the nodules keep their other readings.
 *   R2 wide row: a list3.2 row listing more than 4 reader IDs (LIDC had 4 readers; 13 rows list
 *      5-7). Kept as ONE nodule; every matched reading counts in the mean (a reader who marked
 *      the lesion as two nodules counts twice).
 *   R3 ID without rating: a nodIDs entry that no rating row of the patient carries (127). It adds
 *      no reading. A list3.2 row left with no reading at all is stored (size, position) without an
 *      attribute set, so retrieval does not see it.
 *   R4 unmatched rating: a rating row with ratings whose (patient, ID) is in no list3.2 row. Not
 *      stored (there is no physical nodule, size or position to hang it on); counted.
 *   R5 empty rating: a rating row with only patient and ID (16). Not stored; counted (whether it
 *      matched a list3.2 row is counted too; in the data none does, so these are also among the
 *      README's 176 unmatched rows).
 *   R6 off-scale value (not in the README; found on import): a rating outside its LIDC scale
 *      (subtlety 1-5, internalStructure 1-4, calcification 1-6, the others 1-5) is unknown: it
 *      does not enter that characteristic's mean (each mean is over the readings that know it).
 *      In the data: 2 rows of all zeros (no value on the scale: handled like R5, no reading) and
 *      1 row with internalStructure 5. A non-integer value is malformed: the import is refused.
 * Does not read XML or DICOM (lt-import-study.h does). */
#ifndef LT_IMPORT_RATINGS_H
#define LT_IMPORT_RATINGS_H

#include "lt-db.h"

typedef struct {
  int rating_rows, list_rows, tcia_rows;           /* data rows read */
  int patients, studies, nodules;                  /* rows upserted */
  int nodules_with_attributes, reader_sets;
  int readers_hist[9];                             /* nodules by matched readings, 8 = 8+ */
  int r1_pairs, r1_rating_rows, r1_nodules;        /* ambiguous pairs; rating rows set aside;
                                                      list3.2 rows that list such a pair */
  int r2_rows, r2_readings;                        /* wide rows; their matched readings */
  int r3_ids, r3_rows_without_reading;             /* IDs without rating; rows left bare */
  int r4_rating_rows;                              /* unmatched rating rows with ratings */
  int r5_rating_rows, r5_matched;                  /* empty rating rows; of them matching */
  int r6_rating_rows, r6_values;                   /* rows with values off the scale; values */
  int r6_empty_rows, r6_empty_matched;             /* rows with no value on the scale; matched */
  int tcia_patient_level, tcia_nodule_level;       /* diagnoses written */
  int tcia_not_single_nodule;                      /* patients with 0 or >1 list3.2 rows */
  int tcia_not_single_diagnosis;                   /* one list3.2 row but not one nodule column */
} lt_lidc_report;

typedef struct {
  /* Called after each nodule written inside the transaction; non-zero aborts (rolls back). */
  int (*progress)(void *user, int done, int total);
  void *user;
} lt_lidc_options;

/* dir holds the three CSV files. opt may be NULL. On failure nothing is written. */
int lt_import_lidc_ratings(lt_db *db, const char *dir, const lt_lidc_options *opt,
                           lt_lidc_report *rep, lt_error *err);

/* The report as one JSON object (for --json and the import log); returns bytes written. */
int lt_lidc_report_json(const lt_lidc_report *rep, char *buf, int n);

#endif
