/* tests/db/db-test-util.h — helpers shared by the db tests: SQL scalars, files, python output. */
#ifndef LT_DB_TEST_UTIL_H
#define LT_DB_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lt-db.h"

/* The first column of the first row of sql as an integer (-1 on error). */
int64_t dbt_int(lt_db *db, const char *sql);
double dbt_real(lt_db *db, const char *sql);
/* Reads a whole file (malloc'd, *n bytes); NULL when absent. */
unsigned char *dbt_slurp(const char *path, size_t *n);
int dbt_write(const char *path, const void *data, size_t n);
/* Runs a command and keeps its "key=value" lines; returns the count, -1 on failure. */
int dbt_run_kv(const char *cmd);
/* A value from the last dbt_run_kv, or NULL. */
const char *dbt_kv(const char *key);
long dbt_kv_int(const char *key);

#endif
