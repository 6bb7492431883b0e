/* ui/lt-retrieval-job.h — the historical database on the engine thread: opening the user's
 * database (LUNGTRUST_DB, else lt_db_default_path) and, when it has no nodules yet, importing
 * the bundled LIDC tables (resources/lidc-ratings) into it, as a background job; then top-K
 * retrieval of the nodules nearest to six attribute scores as interactive jobs, with each hit's
 * diagnosis, how it was confirmed, and its thumbnail PNG when it has one. The lt_db lives in
 * an LtHistory that only engine-thread jobs touch; results come back on the main loop. */
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

G_END_DECLS

#endif
