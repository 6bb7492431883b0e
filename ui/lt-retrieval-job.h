/* ui/lt-retrieval-job.h — the historical database on the engine thread: opening the user's
 * database (LUNGTRUST_DB, else lt_db_default_path) and, when it has no nodules yet, importing
 * the bundled LIDC tables (resources/lidc-ratings) into it, as a background job; then top-K
 * retrieval of the nodules nearest to six attribute scores as interactive jobs, with each hit's
 * diagnosis, how it was confirmed, and its thumbnail PNG when it has one. The lt_db lives in
 * an LtHistory that only engine-thread jobs touch; results come back on the main loop.
 * Also lists the nodules the database holds for one series (imported readings, nodules added
 * by other tools), with their model runs, for the nodule list. */
#ifndef LT_RETRIEVAL_JOB_H
#define LT_RETRIEVAL_JOB_H

#include <glib-object.h>
#include <stdint.h>

#include "worker.h"

G_BEGIN_DECLS

typedef struct LtHistory LtHistory;

/* A history for the database at db_path (NULL: LUNGTRUST_DB or the default path), filled from
 * ratings_dir when empty. Free it only after the worker that used it has been freed. */
LtHistory *lt_history_new(const char *db_path, const char *ratings_dir);
void lt_history_free(LtHistory *h);

typedef struct {
  int64_t nodule_id;
  double distance;
  float attr[6];
  float diameter_mm;
  char pseudonym[64];
  char diagnosis[16]; /* "benign", "primary", "metastatic", "unknown", "" */
  char basis[16];     /* "resection", "biopsy", ..., "rating", "" */
  GBytes *png;        /* centre-slice thumbnail with contour, NULL when the nodule has no images */
  char *series_path;  /* where its series was imported from, NULL when unknown (ratings only) */
  char source_key[160]; /* for imported readings: "<series uid>/<reading nodule id>" */
  double vox[3];      /* col, row, slice in that series; NAN when unknown */
} LtCard;

typedef struct {
  LtCard *cards;
  int n;
  int db_nodules; /* indexed nodules searched */
  double seconds;
} LtCards;

void lt_cards_free(LtCards *c);

/* done: main loop; status LT_JOB_*; cards NULL unless DONE (the callee frees them); msg one line
 * (for the import: what was done). */
typedef void (*LtHistoryDone)(GObject *target, uint64_t id, int status, LtCards *cards,
                              const char *msg);

/* Opens and fills the database (background job). */
uint64_t lt_history_open_submit(lt_worker *w, LtHistory *h, GObject *target, LtHistoryDone done,
                                lt_error *err);
/* Top-k nearest to attr (subtlety, sphericity, margin, lobulation, spiculation, malignancy),
 * leaving out the patient with this pseudonym (NULL: none); interactive. */
uint64_t lt_history_retrieve_submit(lt_worker *w, LtHistory *h, const double attr[6], int k,
                                    const char *exclude_pseudonym, GObject *target,
                                    LtHistoryDone done, lt_error *err);

/* A nodule the database holds for the open series. */
typedef struct {
  int64_t id;
  char source[32];      /* 'lidc-xml' (imported readings), 'user', ... */
  char source_key[160]; /* for 'lidc-xml': "<series uid>/<reading nodule id>" */
  double vox[3];        /* col, row, slice; NAN when the database has only mm (or nothing) */
  double mm[3];         /* LPS, NAN when unknown */
  double diameter_mm;   /* NAN when unknown */
  int n_runs;           /* model runs stored for it */
  double last_prob;     /* the newest run's probability, NAN when none */
} LtDbNodule;

typedef struct {
  char series_uid[128];
  LtDbNodule *nodules;
  int n;
} LtDbNodules;

void lt_db_nodules_free(LtDbNodules *d);

/* main loop; nodules NULL unless status is LT_JOB_DONE (the callee frees them). */
typedef void (*LtDbNodulesDone)(GObject *target, uint64_t id, int status, LtDbNodules *nodules,
                                const char *msg);

/* The database's nodules of the series with this uid (background job; opens the database and
 * fills it on first start like lt_history_open_submit). */
uint64_t lt_history_series_nodules_submit(lt_worker *w, LtHistory *h, const char *series_uid,
                                          GObject *target, LtDbNodulesDone done, lt_error *err);

G_END_DECLS

#endif
