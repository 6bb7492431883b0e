/* engine/synth/lidc-tables.h — the LIDC-wide per-reader ratings (nodule_chara_list.csv) grouped
 * into physical nodules (list3.2.csv), for drawing realistic attribute vectors and for the real
 * reader-agreement statistic the simulated readers are calibrated against.
 *
 * Grouping: a rating row (patient P, reader nodule ID I) belongs to the list3.2 row of patient P
 * whose nodIDs contain I exactly (string equality). The rules for what does not fit are those of
 * db/lt-import-ratings.h, applied the same way (counted in lt_lidc_tables):
 *   R1 a (patient, ID) pair in more than one list3.2 row or more than one rating row: all its
 *      rating rows are set aside;
 *   R2 a list3.2 row with more than 4 reader IDs: kept as one nodule with all its readings;
 *   R3 a nodIDs entry with no rating row: adds nothing;
 *   R4 a rating row matching no list3.2 row: not used;
 *   R5 a rating row with no ratings (patient and ID only), or all values off their scale: not used;
 *   R6 a value off its scale: unknown (0) for that characteristic only.
 * Reads plain comma-separated files (neither has quoted fields); a malformed file is refused
 * with one line. Does not touch the database (db/ imports the same tables there). */
#ifndef LT_SYNTH_LIDC_TABLES_H
#define LT_SYNTH_LIDC_TABLES_H

#include "ct/lidc.h"
#include "lt-error.h"

typedef struct {
  int patient;          /* LIDC-IDRI-NNNN -> NNNN */
  int scan, roi;
  double volume_mm3, diameter_mm; /* list3.2 volume and equivalent diameter */
  int first, n;         /* its readings: tables->readings[first .. first+n-1], file order */
} lt_lidc_table_nodule;

typedef struct {
  int n_nodules;
  lt_lidc_table_nodule *nodules;        /* list3.2 order */
  int n_readings;
  int (*readings)[LT_LIDC_NCHAR];       /* 0 = unknown (R6) */
  int rating_rows, list_rows;
  int r1_pairs, r1_rating_rows, r2_rows, r3_ids, r4_rating_rows, r5_rating_rows, r6_values;
} lt_lidc_tables;

/* dir holds nodule_chara_list.csv and list3.2.csv. */
int lt_lidc_tables_read(const char *dir, lt_lidc_tables **out, lt_error *err);
void lt_lidc_tables_free(lt_lidc_tables *t);

#endif
