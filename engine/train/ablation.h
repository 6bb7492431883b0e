/* engine/train/ablation.h — the paper's Table 1 reproduced: rows 1-9 (the 3D ResNet and
 * transfer-learning baselines, and the ablation presets of config.h) by k-fold cross-validation
 * (folds split by patient = synthetic case), on up to two data variants: "plain" (no confound)
 * and "confound" (trained on a data set whose label correlates with a speck outside the nodule;
 * every fold's model is also evaluated on a confound-free test set).
 * One reduced configuration (width, patch side, epochs, seed) for every row. Each finished
 * (variant, row, fold) writes one small result JSON atomically (tmp + rename) into the results
 * folder; a later call skips finished runs, resumes an interrupted one from the trainer's
 * checkpoints (work folder) and can stop between runs after a time budget. The markdown table
 * (mean and sd over folds of the seven Table 1 measures, CAM share inside the nodule, Dice,
 * folds done, the configuration and the wall time) is built from the result files alone.
 * It reads data sets only through dataset.h and draws nothing. */
#ifndef LT_TRAIN_ABLATION_H
#define LT_TRAIN_ABLATION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lt-error.h"
#include "model/config.h"
#include "train/dataset.h"

#define LT_ABLATION_ROWS 9
#define LT_ABLATION_FORMAT "lungtrust-ablation-run-1"

/* The reduced configuration shared by every row. */
typedef struct {
  int width;     /* w (8) */
  int side;      /* patch side (32: the 64^3 patch averaged down) */
  int hidden;    /* FC width of the heads (0: the preset's, 256) */
  bool light;    /* no extra convolutions in the encoder stages and the decoder (tests) */
  int folds;     /* 5 */
  int epochs;    /* at most (12) */
  int patience;  /* early-stopping patience (4) */
  int batch;     /* samples per Adam step (1) */
  uint64_t seed; /* folds, initialisation, order, augmentation (1) */
} lt_ablation_reduced;

void lt_ablation_reduced_default(lt_ablation_reduced *r);

/* Table 1's rows: number 1-9, name ("resnet", "transfer", "basic", ..., "default") and its
 * description. Row r is index r - 1. */
const char *lt_ablation_row_name(int row);
const char *lt_ablation_row_label(int row);
/* Row number of a name ("attr+concat") or number ("8"); -1 when unknown. */
int lt_ablation_row_parse(const char *s);
/* Rows from a comma-separated list into mask (bit r set for row r). */
int lt_ablation_rows_parse(const char *list, unsigned *mask, lt_error *err);

/* The model configuration of a row under the reduction (for "transfer": its phase-2 classifier;
 * phase1 not NULL gets the malignancy-regression configuration of phase 1). -1 with err set
 * when the row's preset does not exist in this build (e.g. "resnet" before it was written). */
int lt_ablation_row_config(int row, const lt_ablation_reduced *r, lt_model_config *c,
                           lt_model_config *phase1, lt_error *err);

typedef struct {
  const lt_dataset *plain;         /* variant "plain"; NULL: not run */
  const lt_dataset *confound;      /* variant "confound": cross-validated; NULL: not run */
  const lt_dataset *confound_test; /* its confound-free test set (needed with confound) */
  const char *results_dir;         /* result JSON files (created) */
  const char *work_dir;            /* trainer checkpoints per run (created) */
  unsigned rows;                   /* bit r for row r; 0: all nine */
  lt_ablation_reduced reduced;
  double max_minutes;              /* > 0: start no run that would end after this (estimated
                                    * from the runs so far) */
  const char *backend;             /* NULL: the automatic choice (nn/backend-select.h) */
  FILE *progress;                  /* one line per run plus the trainer's lines; NULL: silent */
} lt_ablation_options;

typedef struct {
  int done_before; /* runs found finished */
  int done_now;    /* runs finished by this call */
  int left;        /* runs not done (stopped by the time budget or not started) */
  int unavailable; /* runs of rows whose preset is missing */
  double wall_s;   /* this call */
  bool stopped;    /* by max_minutes */
} lt_ablation_summary;

/* Runs what is not done yet. Order: fold by fold, the confound variant before the plain one,
 * rows 9, 8, 5, 3, 6, 4, 7, 2, 1, so that a partial table already compares debug on and off.
 * Returns 0 when every run is done (or unavailable), 1 when stopped by max_minutes, -1 with err
 * set (a corrupt or foreign result file is refused, naming it). */
int lt_ablation_run(const lt_ablation_options *o, lt_ablation_summary *sum, lt_error *err);

/* Writes the markdown table of every result in results_dir to md_path (tmp + rename). The
 * results must share one reduced configuration; a corrupt result file is refused. n_results
 * (may be NULL) gets the number of results read. */
int lt_ablation_table(const char *results_dir, const char *md_path, int *n_results,
                      lt_error *err);

/* Reads and checks one result file (format, variant, row, fold, metrics). */
int lt_ablation_result_check(const char *path, lt_error *err);

#endif
