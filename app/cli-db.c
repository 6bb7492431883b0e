/* app/cli-db.c — `lungtrust-cli db check`: integrity, foreign keys, schema version, row counts.
 * Exit 0 when the database is sound, 1 when it is not (or cannot be opened). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lt-db.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli db check [--db FILE] [--json]\n\n"
        "Checks the LungTrust database: SQLite integrity_check, foreign_key_check and the\n"
        "schema version (an older schema is migrated on open). Prints row counts.\n"
        "  --db FILE  the database (default: $XDG_DATA_HOME/lungtrust/lungtrust.db)\n"
        "  --json     one JSON object on stdout\n",
        f);
}

int lt_cli_db(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  if (argc >= 2 && lt_cli_is_help(argv[1])) {
    usage(stdout);
    return LT_EXIT_OK;
  }
  if (argc < 2 || strcmp(argv[1], "check"))
    return lt_cli_usage_error("db", "expected 'check'");
  for (int i = 2; i < argc; i++) {
    if (lt_cli_is_help(argv[i])) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
      path = argv[++i];
    } else if (!strcmp(argv[i], "--json")) {
      json = true;
    } else {
      return lt_cli_usage_error("db", "unexpected argument '%s'", argv[i]);
    }
  }
  lt_error err = {{0}};
  lt_db *db;
  /* a corrupt file is opened read-only so that it can be reported on, never written */
  if (lt_db_open_for_check(path, &db, &err)) return lt_cli_fail(&err);
  lt_db_check_result r;
  if (lt_db_check(db, &r, &err)) {
    lt_db_close(db);
    return lt_cli_fail(&err);
  }
  bool ok = r.integrity_ok && r.foreign_key_errors == 0 && r.schema_version == r.expected_version;
  if (json) {
    printf("{\"ok\":%s,\"schema_version\":%d,\"expected_version\":%d,\"integrity_ok\":%s,"
           "\"foreign_key_errors\":%d,\"patients\":%lld,\"nodules\":%lld,\"attribute_sets\":%lld,"
           "\"diagnoses\":%lld,\"model_runs\":%lld}\n",
           ok ? "true" : "false", r.schema_version, r.expected_version,
           r.integrity_ok ? "true" : "false", r.foreign_key_errors, (long long)r.patients,
           (long long)r.nodules, (long long)r.attribute_sets, (long long)r.diagnoses,
           (long long)r.model_runs);
  } else {
    printf("database: %s\nschema version: %d (current %d)\nintegrity: %s\nforeign keys: %d "
           "violations\npatients %lld, nodules %lld, attribute sets %lld, diagnoses %lld, model "
           "runs %lld\n",
           lt_db_path(db), r.schema_version, r.expected_version,
           r.integrity_ok ? "ok" : r.integrity_msg, r.foreign_key_errors, (long long)r.patients,
           (long long)r.nodules, (long long)r.attribute_sets, (long long)r.diagnoses,
           (long long)r.model_runs);
  }
  lt_db_close(db);
  if (!ok) return lt_cli_failf("database check failed");
  return LT_EXIT_OK;
}
