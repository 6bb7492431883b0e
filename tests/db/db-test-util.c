/* tests/db/db-test-util.c — see db-test-util.h. */
#include "db-test-util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t dbt_int(lt_db *db, const char *sql) {
  sqlite3_stmt *st;
  int64_t v = -1;
  if (sqlite3_prepare_v2(lt_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "SQL error: %s in %s\n", sqlite3_errmsg(lt_db_sqlite(db)), sql);
    return -1;
  }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

double dbt_real(lt_db *db, const char *sql) {
  sqlite3_stmt *st;
  double v = -1e300;
  if (sqlite3_prepare_v2(lt_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) return v;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_double(st, 0);
  sqlite3_finalize(st);
  return v;
}

unsigned char *dbt_slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len + 1);
  if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
    free(b);
    b = NULL;
  }
  fclose(f);
  *n = (size_t)len;
  return b;
}

int dbt_write(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

static char kv_keys[128][256], kv_vals[128][256];
static int kv_n;

int dbt_run_kv(const char *cmd) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  char line[256];
  kv_n = 0;
  while (fgets(line, sizeof line, p) && kv_n < 128) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    eq[strcspn(eq + 1, "\n") + 1] = 0;
    snprintf(kv_keys[kv_n], 256, "%s", line);
    snprintf(kv_vals[kv_n], 256, "%s", eq + 1);
    kv_n++;
  }
  int rc = pclose(p);
  return rc == 0 ? kv_n : -1;
}

const char *dbt_kv(const char *key) {
  for (int i = 0; i < kv_n; i++)
    if (!strcmp(kv_keys[i], key)) return kv_vals[i];
  return NULL;
}

long dbt_kv_int(const char *key) {
  const char *v = dbt_kv(key);
  if (!v) {
    fprintf(stderr, "expected value '%s' missing\n", key);
    return -999999;
  }
  return strtol(v, NULL, 10);
}
