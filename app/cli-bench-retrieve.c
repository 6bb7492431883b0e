/* app/cli-bench-retrieve.c — `lungtrust-cli bench retrieve` (and tests/bench/bench-retrieve):
 * retrieval and import figures, medians, each with its peer in the same run:
 *   top-10 over N stored nodules (index scan)      vs the same query in SQL by SQLite
 *                                                     (ORDER BY distance expression LIMIT 10)
 *   building the index from SQLite for N rows      vs SQLite reading the same rows (a bare scan)
 *   importing the LIDC tables (fresh database, and a re-run)
 * Usage: retrieve [N (default 1000000)] [DIR of the LIDC tables (default
 * $LT_SHARED_DATA/lidc-ratings)]; LT_BENCH_DB=FILE uses an existing database instead of writing
 * N nodules. Checks that the index and SQL answers are the same nodules, in the same order.
 * Not a timed test: it prints. Exit 1 when the answers differ or something fails. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-bench-retrieve.h"
#include "lt-db-write.h"
#include "lt-db.h"
#include "lt-import-ratings.h"
#include "lt-index-sql.h"
#include "lt-index.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU time of this thread: what the work cost, whatever else the machine runs. */
static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, dcmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return (uint32_t)(rs >> 11);
}

static int die(const lt_error *e) {
  fprintf(stderr, "bench-retrieve: %s\n", e->msg);
  return 1;
}

static int fill(lt_db *db, int n, lt_error *err) {
  if (lt_db_begin(db, err)) return -1;
  int64_t pid = 0;
  for (int i = 0; i < n; i++) {
    if (i % 100 == 0) {
      char name[32];
      snprintf(name, sizeof name, "B-%07d", i / 100);
      if (lt_db_put_patient(db, name, "bench", &pid, err)) return -1;
    }
    lt_db_nodule nd;
    lt_db_nodule_init(&nd);
    char key[32];
    snprintf(key, sizeof key, "b%d", i);
    nd.patient_id = pid;
    nd.source = "bench";
    nd.source_key = key;
    nd.diameter_mm = 3 + rnd() % 300 / 10.0;
    int64_t nid;
    if (lt_db_put_nodule(db, &nd, &nid, err)) return -1;
    double ch[LT_NCHAR];
    for (int c = 0; c < LT_NCHAR; c++) ch[c] = (4 + rnd() % 17) / 4.0; /* means of 4 readers */
    if (lt_db_put_attributes(db, nid, LT_ATTRS_READERS_MEAN, "m", 4, NULL, ch, NULL, err)) return -1;
    if (i % 50 == 0 &&
        lt_db_put_diagnosis(db, pid, nid, rnd() % 2 ? LT_DX_BENIGN : LT_DX_PRIMARY,
                            LT_BASIS_BIOPSY, "bench", key, NULL, err))
      return -1;
  }
  return lt_db_commit(db, err);
}

static const char sql_top10[] =
    "SELECT a.nodule_id,"
    " (a.subtlety-?1)*(a.subtlety-?1) + (a.sphericity-?2)*(a.sphericity-?2)"
    " + (a.margin-?3)*(a.margin-?3) + (a.lobulation-?4)*(a.lobulation-?4)"
    " + (a.spiculation-?5)*(a.spiculation-?5) + (a.malignancy-?6)*(a.malignancy-?6) AS d2"
    " FROM attribute_sets a WHERE a.kind = 'readers_mean' ORDER BY d2, a.nodule_id LIMIT 10";

int lt_cli_bench_retrieve(int argc, char **argv) { return lt_bench_retrieve(5, argc, argv); }

int lt_bench_retrieve(int runs, int argc, char **argv) {
  if (runs < 1) runs = 1;
  if (runs > 64) runs = 64;
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    puts("Usage: lungtrust-cli bench retrieve [N] [LIDC-TABLES-DIR]\n\n"
         "Top-10 retrieval over N stored nodules (default 1,000,000) against the same query in\n"
         "SQL, the index build against SQLite reading the rows, and the LIDC tables import;\n"
         "medians, wall and CPU time. LT_BENCH_DB=FILE: use that database instead of writing N.");
    return 0;
  }
  int n = argc > 1 ? atoi(argv[1]) : 1000000;
  if (n < 10) {
    fprintf(stderr, "lungtrust-cli bench retrieve: N must be at least 10\n");
    return 2;
  }
  const char *lidc = argc > 2 ? argv[2] : NULL;
  char lidc_buf[4096];
  if (!lidc && getenv("LT_SHARED_DATA")) {
    snprintf(lidc_buf, sizeof lidc_buf, "%s/lidc-ratings", getenv("LT_SHARED_DATA"));
    lidc = lidc_buf;
  }
  char dir[] = "/tmp/lt-bench-retrieve-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char path[256];
  snprintf(path, sizeof path, "%s/bench.db", dir);
  lt_error err = {{0}};
  lt_db *db;
  double t0 = now();
  const char *given = getenv("LT_BENCH_DB"); /* an existing database of n readers' means */
  if (given) {
    if (lt_db_open(given, &db, &err)) return die(&err);
    printf("bench-retrieve: using %s\n", given);
  } else {
    if (lt_db_open(path, &db, &err)) return die(&err);
    if (fill(db, n, &err)) return die(&err);
    printf("bench-retrieve: %d nodules written in %.2f s (one transaction, through the db API)\n",
           n, now() - t0);
  }

  /* 1. building the index from SQLite, vs SQLite reading the same rows */
  const int BUILD_RUNS = runs;
  double tb[64], tp[64], cb[64], cp[64];
  for (int r = 0; r < BUILD_RUNS; r++) {
    lt_index *idx = lt_index_new();
    t0 = now();
    double c0 = cpu();
    if (lt_index_sql_load(lt_db_sqlite(db), idx, 0, &err)) return die(&err);
    tb[r] = now() - t0;
    cb[r] = cpu() - c0;
    if ((int)lt_index_size(idx) != n) {
      fprintf(stderr, "bench-retrieve: index holds %zu, not %d\n", lt_index_size(idx), n);
      return 1;
    }
    lt_index_free(idx);
    sqlite3_stmt *st;
    t0 = now();
    c0 = cpu();
    sqlite3_prepare_v2(lt_db_sqlite(db),
                       "SELECT a.nodule_id, n.patient_id, n.diameter_mm, a.subtlety, a.sphericity,"
                       " a.margin, a.lobulation, a.spiculation, a.malignancy FROM attribute_sets a"
                       " JOIN nodules n ON n.id = a.nodule_id WHERE a.kind = 'readers_mean'",
                       -1, &st, NULL);
    double sink = 0;
    while (sqlite3_step(st) == SQLITE_ROW) sink += sqlite3_column_double(st, 3);
    sqlite3_finalize(st);
    tp[r] = now() - t0;
    cp[r] = cpu() - c0;
    if (sink < 0) return 1;
  }
  double build = median(tb, BUILD_RUNS), scan = median(tp, BUILD_RUNS);
  printf("index build from SQLite, %d rows: median %.3f s wall, %.3f s CPU (target <= 2 s); "
         "peer: SQLite reading the same rows (one join) %.3f s wall, %.3f s CPU; ratio %.2f wall\n",
         n, build, median(cb, BUILD_RUNS), scan, median(cp, BUILD_RUNS), build / scan);

  /* 2. top-10 queries: index vs SQL */
  lt_index *idx;
  if (lt_db_index(db, &idx, &err)) return die(&err);
  enum { Q = 101, SQLQ = 5 };
  double tq[Q], t1[Q], c1[Q], tf[Q], ts[SQLQ], cs[SQLQ];
  lt_hit hits[10];
  int nh, mismatches = 0;
  for (int r = 0; r < Q; r++) {
    double q[6];
    for (int d = 0; d < 6; d++) q[d] = (4 + rnd() % 17) / 4.0;
    lt_query f;
    lt_query_init(&f);
    f.threads = 1;
    t0 = now();
    double c0 = cpu();
    if (lt_index_query(idx, q, &f, 10, hits, &nh, &err)) return die(&err);
    t1[r] = now() - t0;
    c1[r] = cpu() - c0;
    f.threads = 0;
    t0 = now();
    if (lt_index_query(idx, q, &f, 10, hits, &nh, &err)) return die(&err);
    tq[r] = now() - t0;
    f.confirmed_only = r % 2;
    f.min_diameter_mm = 8;
    f.max_diameter_mm = 20;
    f.standardize = true;
    t0 = now();
    lt_hit fh[10];
    int fn;
    if (lt_index_query(idx, q, &f, 10, fh, &fn, &err)) return die(&err);
    tf[r] = now() - t0;
    if (r < SQLQ) {
      sqlite3_stmt *st;
      t0 = now();
      c0 = cpu();
      sqlite3_prepare_v2(lt_db_sqlite(db), sql_top10, -1, &st, NULL);
      for (int d = 0; d < 6; d++) sqlite3_bind_double(st, d + 1, q[d]);
      int i = 0;
      while (sqlite3_step(st) == SQLITE_ROW) {
        if (i >= nh || sqlite3_column_int64(st, 0) != hits[i].nodule_id) mismatches++;
        i++;
      }
      sqlite3_finalize(st);
      ts[r] = now() - t0;
      cs[r] = cpu() - c0;
      if (i != nh) mismatches++;
    }
  }
  double top = median(tq, Q), top1 = median(t1, Q), topf = median(tf, Q), sql = median(ts, SQLQ);
  printf("top-10 over %d nodules: median %.2f ms wall with the default threads; one thread %.2f "
         "ms wall, %.2f ms CPU (target <= 20 ms); with filters + z-scores %.2f ms; peer: SQLite "
         "ORDER BY distance LIMIT 10: %.1f ms wall, %.1f ms CPU; SQL/index = %.0fx wall (one "
         "thread), %.0fx CPU; answers %s\n",
         n, top * 1e3, top1 * 1e3, median(c1, Q) * 1e3, topf * 1e3, sql * 1e3,
         median(cs, SQLQ) * 1e3, sql / top1, median(cs, SQLQ) / median(c1, Q),
         mismatches ? "DIFFER" : "identical");
  lt_db_close(db);

  /* 3. importing the LIDC tables */
  if (lidc && access(lidc, R_OK) == 0) {
    const int IR = runs;
    double ti[64], tr[64], ci[64];
    for (int r = 0; r < IR; r++) {
      char p2[300];
      snprintf(p2, sizeof p2, "%s/lidc%d.db", dir, r);
      lt_db *d2;
      if (lt_db_open(p2, &d2, &err)) return die(&err);
      lt_lidc_report rep;
      t0 = now();
      double c0 = cpu();
      if (lt_import_lidc_ratings(d2, lidc, NULL, &rep, &err)) return die(&err);
      ti[r] = now() - t0;
      ci[r] = cpu() - c0;
      t0 = now();
      if (lt_import_lidc_ratings(d2, lidc, NULL, &rep, &err)) return die(&err);
      tr[r] = now() - t0;
      lt_db_close(d2);
    }
    /* peer: the same grouping and rules in Python's csv module (tests/db/lidc_expected.py),
     * without writing anything, process start included */
    const char *src = getenv("LT_SOURCE_ROOT");
    double tpy[64];
    int npy = 0;
    for (int r = 0; src && r < IR; r++) {
      char cmd[9000];
      snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/db/lidc_expected.py' '%s' >/dev/null 2>&1",
               src, lidc);
      t0 = now();
      if (system(cmd) != 0) break;
      tpy[npy++] = now() - t0;
    }
    printf("import of the LIDC tables: median %.3f s wall (%.3f s CPU) into a new database, "
           "%.3f s re-run (target <= 1 s)",
           median(ti, IR), median(ci, IR), median(tr, IR));
    if (npy == IR)
      printf("; peer: Python csv grouping the same tables (no database) %.3f s; ratio %.2f\n",
             median(tpy, npy), median(ti, IR) / median(tpy, npy));
    else
      printf("; peer skipped (LT_SOURCE_ROOT or /usr/bin/python3 missing)\n");
  } else {
    printf("import of the LIDC tables: skipped (no lidc-ratings folder)\n");
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 && !mismatches ? 0 : 1;
}
