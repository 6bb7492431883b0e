/* app/cli-import.c — `lungtrust-cli import STUDY`: a CT study with its LIDC readings into the
 * database (db/lt-import-study.h): nodules, readers' ratings and mean, consensus masks,
 * thumbnails. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lt-db.h"
#include "lt-import-study.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli import STUDY [--db FILE] [--json]\n\n"
        "Imports the CT series under STUDY (a folder or a file) and its LIDC XML readings, in one\n"
        "transaction: patient (pseudonym), study, series, one nodule per physical nodule with\n"
        "each reader's ratings, the readers' mean, the 50% consensus mask and a thumbnail.\n"
        "Re-running adds no duplicates.\n"
        "  --db FILE  the database (default: $XDG_DATA_HOME/lungtrust/lungtrust.db)\n"
        "  --json     the import report as one JSON object\n",
        f);
}

int lt_cli_import(int argc, char **argv) {
  const char *path, *study;
  bool json;
  int done = lt_cli_parse_db_job("import", "STUDY", argc, argv, usage, &path, &study, &json);
  if (done >= 0) return done;
  lt_error err = {{0}};
  lt_db *db;
  if (lt_db_open(path, &db, &err)) return lt_cli_fail(&err);
  lt_study_report r;
  int rc = lt_import_study(db, study, &r, &err);
  lt_db_close(db);
  if (r.warning[0]) fprintf(stderr, "warning: %s\n", r.warning);
  if (rc) return lt_cli_fail(&err);
  if (json) {
    /* the patient and the series UID come from the files: any bytes */
    printf("{\"patient\":");
    lt_cli_print_json_string(stdout, r.patient);
    printf(",\"series_uid\":");
    lt_cli_print_json_string(stdout, r.series_uid);
    printf(",\"slices\":%d,\"readers\":%d,\"nodules\":%d,"
           "\"nodules_rated\":%d,\"reader_sets\":%d,\"contours\":%d,\"masks\":%d,\"thumbnails\":%d}\n",
           r.slices, r.readers, r.nodules, r.nodules_rated,
           r.reader_sets, r.contours, r.masks, r.thumbnails);
  } else
    printf("imported %s, series %s: %d slices, %d readers, %d nodules (%d rated, %d reader "
           "sets, %d contours), %d consensus masks, %d thumbnails\n",
           r.patient, r.series_uid, r.slices, r.readers, r.nodules, r.nodules_rated,
           r.reader_sets, r.contours, r.masks, r.thumbnails);
  return LT_EXIT_OK;
}
