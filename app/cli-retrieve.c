/* app/cli-retrieve.c — `lungtrust-cli retrieve`: the K historical nodules nearest to a set of
 * attribute scores (or to a stored nodule), with the malignancy rate among them
 * (db/lt-index.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "review/similar.h"
#include "lt-locale.h"
#include "lt-db-read.h"
#include "lt-db.h"
#include "lt-index.h"

static void usage(FILE *f) {
  fputs("Usage: lungtrust-cli retrieve (--attrs S,S,M,L,S,M | --nodule ID) [-k K] [options]\n\n"
        "The K stored nodules nearest by Euclidean distance over the six attribute scores\n"
        "(subtlety, sphericity, margin, lobulation, spiculation, malignancy), ties broken by\n"
        "nodule id, and how many of them have a malignant diagnosis.\n"
        "  --attrs S,S,M,L,S,M   six scores of the query, each from 1 to 5\n"
        "  --nodule ID           the database's nodule id: its scores are the query; it is excluded\n"
        "  -k K                  how many (default 5)\n"
        "  --weights W,W,W,W,W,W per-attribute weights from 0 to 100, not all 0 (default all 1)\n"
        "  --standardize         z-scores over the stored population before weighting\n"
        "  --confirmed           only nodules with a confirmed diagnosis (resection, biopsy,\n"
        "                        two-year stability, progression)\n"
        "  --other-patients      with --nodule: skip the same patient's nodules\n"
        "  --min-diameter MM, --max-diameter MM   diameter range (0 to 1000 mm, min <= max)\n"
        "  --db FILE             the database (default: $XDG_DATA_HOME/lungtrust/lungtrust.db)\n"
        "  --json                one JSON object on stdout\n",
        f);
}

/* The valid ranges: the six scores are LIDC ratings (1 to 5); a weight from 0 to 100, not all
 * 0 (every distance would be 0); a diameter from 0 to 1000 mm, the minimum not above the
 * maximum. A score like 1e308 would make every distance inf and the ranking meaningless. */
#define LT_RETRIEVE_SCORE_MIN 1.0
#define LT_RETRIEVE_SCORE_MAX 5.0
#define LT_RETRIEVE_WEIGHT_MAX 100.0
#define LT_RETRIEVE_DIAMETER_MAX 1000.0

/* One line naming the option and its range; returns LT_EXIT_USAGE. */
static int range_error(const char *what) {
  fprintf(stderr, "lungtrust-cli retrieve: %s (see --help)\n", what);
  return LT_EXIT_USAGE;
}

static bool parse_six(const char *s, double out[6]) {
  const char *p = s;
  for (int a = 0; a < 6; a++) {
    char *end;
    errno = 0;
    double v = lt_strtod(p, &end); /* never reads "3,5" as one number: ',' separates */
    if (end == p || errno || !isfinite(v)) return false;
    out[a] = v;
    if (a < 5) {
      if (*end != ',') return false;
      p = end + 1;
    } else if (*end) {
      return false;
    }
  }
  return true;
}

static const char *dx_name(const lt_hit *h) {
  if (h->label == LT_LABEL_MALIGNANT) return "malignant";
  if (h->label == LT_LABEL_BENIGN) return "benign";
  return "none";
}

/* The patient's pseudonym and the nodule's key (for display). */
static void describe(const lt_review_similar_hit *h, char *who, size_t n1, char *key, size_t n2) {
  snprintf(who, n1, "%s", h->has_info ? h->info.pseudonym : "?");
  snprintf(key, n2, "%s", h->has_info ? h->info.source_key : "?");
}

int lt_cli_retrieve(int argc, char **argv) {
  const char *path = NULL;
  bool json = false, have_attrs = false, other_patients = false;
  double q[6];
  long long nodule = 0;
  long k = 5;
  lt_query f;
  lt_query_init(&f);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool more = i + 1 < argc;
    if (lt_cli_is_help(a)) {
      usage(stdout);
      return LT_EXIT_OK;
    } else if (!strcmp(a, "--db") && more) {
      path = argv[++i];
    } else if (!strcmp(a, "--json")) {
      json = true;
    } else if (!strcmp(a, "--attrs") && more) {
      if (!parse_six(argv[++i], q)) return range_error("--attrs needs six numbers S,S,M,L,S,M, each a score from 1 to 5");
      for (int d = 0; d < 6; d++)
        if (q[d] < LT_RETRIEVE_SCORE_MIN || q[d] > LT_RETRIEVE_SCORE_MAX)
          return range_error("--attrs needs six numbers S,S,M,L,S,M, each a score from 1 to 5");
      have_attrs = true;
    } else if (!strcmp(a, "--nodule") && more) {
      long v;
      if (!lt_cli_opt_long("retrieve", a, argv[++i], 1, LONG_MAX, &v)) return LT_EXIT_USAGE;
      nodule = v;
    } else if (!strcmp(a, "-k") && more) {
      if (!lt_cli_opt_long("retrieve", a, argv[++i], 1, 100000, &k)) return LT_EXIT_USAGE;
    } else if (!strcmp(a, "--weights") && more) {
      static const char want[] = "--weights needs six weights, each from 0 to 100, not all 0";
      if (!parse_six(argv[++i], f.weights)) return range_error(want);
      double sum = 0;
      for (int d = 0; d < 6; d++) {
        if (f.weights[d] < 0 || f.weights[d] > LT_RETRIEVE_WEIGHT_MAX) return range_error(want);
        sum += f.weights[d];
      }
      if (!(sum > 0)) return range_error(want);
    } else if (!strcmp(a, "--standardize")) {
      f.standardize = true;
    } else if (!strcmp(a, "--confirmed")) {
      f.confirmed_only = true;
    } else if (!strcmp(a, "--other-patients")) {
      other_patients = true;
    } else if (!strcmp(a, "--min-diameter") && more) {
      if (!lt_cli_opt_double("retrieve", a, argv[++i], 0, LT_RETRIEVE_DIAMETER_MAX, &f.min_diameter_mm))
        return LT_EXIT_USAGE;
    } else if (!strcmp(a, "--max-diameter") && more) {
      if (!lt_cli_opt_double("retrieve", a, argv[++i], 0, LT_RETRIEVE_DIAMETER_MAX, &f.max_diameter_mm))
        return LT_EXIT_USAGE;
    } else {
      return lt_cli_usage_error("retrieve", "unexpected argument '%s'", a);
    }
  }
  if (f.min_diameter_mm > f.max_diameter_mm) { /* false when either is unset (NAN) */
    fprintf(stderr, "lungtrust-cli retrieve: --min-diameter %g is above --max-diameter %g; the "
            "range needs min <= max (see --help)\n", f.min_diameter_mm, f.max_diameter_mm);
    return LT_EXIT_USAGE;
  }
  if (have_attrs == (nodule > 0)) return lt_cli_usage_error("retrieve", "give exactly one of --attrs and --nodule");
  if (other_patients && !nodule) return lt_cli_usage_error("retrieve", "--other-patients needs --nodule");
  lt_error err = {{0}};
  lt_db *db;
  if (lt_db_open_existing(path, &db, &err)) return lt_cli_fail(&err);
  if (nodule) {
    int64_t patient = 0;
    if (lt_review_similar_query_of(db, nodule, q, &patient, &err)) {
      lt_db_close(db);
      return lt_cli_fail(&err);
    }
    f.exclude_nodule = nodule;
    if (other_patients) f.exclude_patient = patient;
  }
  lt_review_similar_result res;
  if (lt_review_similar(db, q, &f, (int)k, &res, &err)) {
    lt_db_close(db);
    return lt_cli_fail(&err);
  }
  const int n = res.n;
  lt_hit *hits = malloc((size_t)(n ? n : 1) * sizeof *hits);
  if (!hits) {
    lt_review_similar_free(&res);
    lt_db_close(db);
    return lt_cli_failf("out of memory");
  }
  for (int i = 0; i < n; i++) hits[i] = res.hits[i].hit;
  lt_hit_summary s;
  lt_hits_summarize(hits, n, &s);
  char who[64], key[160];
  if (json) {
    printf("{\"query\":[%g,%g,%g,%g,%g,%g],\"k\":%ld,\"hits\":[", q[0], q[1], q[2], q[3], q[4], q[5], k);
    for (int i = 0; i < n; i++) {
      describe(&res.hits[i], who, sizeof who, key, sizeof key);
      printf("%s{\"nodule\":%lld,\"patient\":", i ? "," : "", (long long)hits[i].nodule_id);
      lt_cli_print_json_string(stdout, who);
      printf(",\"key\":");
      lt_cli_print_json_string(stdout, key);
      printf(",\"distance\":%.6g,\"attrs\":[%g,%g,%g,%g,%g,%g],\"diameter_mm\":", hits[i].distance,
             hits[i].attr[0], hits[i].attr[1], hits[i].attr[2], hits[i].attr[3], hits[i].attr[4],
             hits[i].attr[5]);
      if (isnan(hits[i].diameter_mm)) printf("null");
      else printf("%g", hits[i].diameter_mm);
      printf(",\"diagnosis\":\"%s\",\"confirmed\":%s}", dx_name(&hits[i]),
             hits[i].confirmed ? "true" : "false");
    }
    printf("],\"n\":%d,\"with_diagnosis\":%d,\"malignant\":%d,\"confirmed\":%d,"
           "\"rated_malignant\":%d}\n",
           s.n, s.with_diagnosis, s.malignant, s.confirmed, s.rated_malignant);
  } else {
    printf("%4s %8s %-16s %-28s %8s  %-29s %8s %s\n", "rank", "nodule", "patient", "key",
           "distance", "sub sph mar lob spi mal", "diam mm", "diagnosis");
    for (int i = 0; i < n; i++) {
      describe(&res.hits[i], who, sizeof who, key, sizeof key);
      printf("%4d %8lld %-16s %-28s %8.4f  %4.2f %4.2f %4.2f %4.2f %4.2f %4.2f %8.1f %s%s\n", i + 1,
             (long long)hits[i].nodule_id, who, key, hits[i].distance, hits[i].attr[0],
             hits[i].attr[1], hits[i].attr[2], hits[i].attr[3], hits[i].attr[4], hits[i].attr[5],
             hits[i].diameter_mm, dx_name(&hits[i]), hits[i].confirmed ? " (confirmed)" : "");
    }
    printf("%d of %d with a diagnosis are malignant (%d confirmed); %d of %d rated malignant by "
           "readers (malignancy > 3)\n",
           s.malignant, s.with_diagnosis, s.confirmed, s.rated_malignant, s.n);
  }
  free(hits);
  lt_review_similar_free(&res);
  lt_db_close(db);
  return LT_EXIT_OK;
}
