/* app/cli-import-ratings.c — `lungtrust-cli import-ratings DIR`: the LIDC-wide tables into the
 * database (db/lt-import-ratings.h), with how many rows each misfit rule touched. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lt-db.h"
#include "lt-import-ratings.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli import-ratings DIR [--db FILE] [--json]\n\n"
        "Imports the LIDC-IDRI tables in DIR (nodule_chara_list.csv, list3.2.csv,\n"
        "tcia-diagnosis-2012-04-20.csv) in one transaction; re-running adds no duplicates.\n"
        "Rules for rows that do not fit: docs/lidc-import.md.\n"
        "  --db FILE  the database (default: $XDG_DATA_HOME/lungtrust/lungtrust.db)\n"
        "  --json     the import report as one JSON object\n",
        f);
}

int lt_cli_import_ratings(int argc, char **argv) {
  const char *path, *dir;
  bool json;
  int done = lt_cli_parse_db_job("import-ratings", "DIR", argc, argv, usage, &path, &dir, &json);
  if (done >= 0) return done;
  lt_error err = {{0}};
  lt_db *db;
  if (lt_db_open(path, &db, &err)) return lt_cli_fail(&err);
  lt_lidc_report r;
  int rc = lt_import_lidc_ratings(db, dir, NULL, &r, &err);
  lt_db_close(db);
  if (rc) return lt_cli_fail(&err);
  if (json) {
    char buf[2048];
    lt_lidc_report_json(&r, buf, sizeof buf);
    puts(buf);
    return LT_EXIT_OK;
  }
  printf("read: %d rating rows, %d list3.2 rows, %d TCIA rows\n", r.rating_rows, r.list_rows,
         r.tcia_rows);
  printf("wrote: %d patients, %d nodules (%d with readers' mean attributes), %d reader sets\n",
         r.patients, r.nodules, r.nodules_with_attributes, r.reader_sets);
  printf("readers per nodule:");
  for (int k = 0; k < 9; k++) printf(" %d%s:%d", k, k == 8 ? "+" : "", r.readers_hist[k]);
  printf("\nR1 ambiguous (patient, ID) pairs: %d; rating rows set aside: %d; nodules listing them: %d\n",
         r.r1_pairs, r.r1_rating_rows, r.r1_nodules);
  printf("R2 rows with more than 4 reader IDs: %d (kept, %d readings averaged)\n", r.r2_rows,
         r.r2_readings);
  printf("R3 reader IDs without a rating row: %d; nodules left without any reading: %d\n",
         r.r3_ids, r.r3_rows_without_reading);
  printf("R4 rating rows matching no list3.2 row: %d (not stored)\n", r.r4_rating_rows);
  printf("R5 rating rows without ratings: %d (not stored; %d of them matched)\n",
         r.r5_rating_rows, r.r5_matched);
  printf("R6 rating rows with values off the LIDC scale: %d (%d values, taken as unknown); with "
         "none on the scale: %d (no reading; %d of them matched)\n",
         r.r6_rating_rows, r.r6_values, r.r6_empty_rows, r.r6_empty_matched);
  printf("TCIA diagnoses: %d patient-level, %d nodule-level; no nodule-level for %d patients "
         "without exactly one nodule and %d with not exactly one nodule diagnosis\n",
         r.tcia_patient_level, r.tcia_nodule_level, r.tcia_not_single_nodule,
         r.tcia_not_single_diagnosis);
  return LT_EXIT_OK;
}
