/* engine/train/dataset.h — a training/evaluation data set: a manifest of samples and their
 * patches cached on disk.
 *
 * The manifest (JSON, "lungtrust-dataset-1") lists samples: id, patient (folds are split by it;
 * a pseudonym, never a raw PatientID: the CLI gives the database's, lt_db_pseudonym),
 * the patch file (relative to the manifest's folder), and optionally a label (1 malignant,
 * 0 benign; "sure" when it comes from pathology), the six mean ratings (1-5) and a mask in the
 * patch file; also the case's spacing, slice thickness and nodule diameter for the weights'
 * statistics. A patch file ("LTPATCH1") holds the 2x64^3 model input of ct/patch.h quantised to
 * 16 bits per value (the windows are [0, 1]; error <= 8e-6), an optional 64^3 bit mask, an
 * optional second bit mask (the true nodule of a synthetic evaluation sample), and an FNV-1a
 * checksum; a damaged or truncated file is refused.
 * A sure sample's mask may be the sphere of its centre and radius (mask_sphere): the region the
 * debug term keeps the attention in, never a Dice target (trainer.c).
 * An evaluation data set (evaluation = true, `lungtrust-cli dataset --synth DIR --evaluation`)
 * carries labels taken from the synthetic truth and the true masks and attributes for
 * reporting; the trainer refuses it.
 * Reading gives the model's input at a side S dividing 64 (average pooling) in NDHWC order.
 * It runs no model and reads no DICOM (the CLI's `dataset` builds manifests from studies). */
#ifndef LT_TRAIN_DATASET_H
#define LT_TRAIN_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "lt-error.h"
#include "model/config.h"

#define LT_DATASET_FORMAT "lungtrust-dataset-1"

typedef struct {
  char id[64];
  char patient[64];
  char patch_file[128]; /* relative to the manifest's folder */
  bool has_mask;        /* the patch file holds a mask (consensus or the nodule's sphere) */
  bool has_label;
  int label; /* 1 malignant, 0 benign */
  bool sure; /* the label is a pathology diagnosis */
  bool has_ratings;
  float ratings[LT_N_ATTRIBUTES];
  double spacing_mm, thickness_mm, nodule_mm; /* <= 0: unknown */
  char manufacturer[64];
  bool mask_sphere; /* the mask is a sure sample's sphere (centre, radius): the debug term's
                     * region, not a segmentation target */
  char split[16];   /* a synthetic case's split ("train", "test", "all"), else "" */
  /* evaluation data sets only: */
  bool has_truth_mask; /* the patch file holds the true nodule mask too */
  bool has_truth_attrs;
  float truth_attrs[LT_N_ATTRIBUTES]; /* the nodule's true attributes (1-5, continuous) */
} lt_sample;

typedef struct {
  char dir[512]; /* the manifest's folder */
  bool evaluation; /* labels of unsure samples come from the synthetic truth: evaluation only */
  int n, cap;
  lt_sample *s;
} lt_dataset;

/* An empty data set whose files go under dir (created when missing). */
int lt_dataset_init(lt_dataset *ds, const char *dir, lt_error *err);
void lt_dataset_free(lt_dataset *ds);
/* path: a manifest file, or a folder holding manifest.json. */
int lt_dataset_load(lt_dataset *ds, const char *path, lt_error *err);
/* Writes dir/manifest.json. */
int lt_dataset_save(const lt_dataset *ds, lt_error *err);
/* Appends a sample and writes its patch file dir/patches/<id>.ltp. ch: two 64^3 channels in
 * ct/patch.h's order (x fastest); mask: 64^3 bytes (non-zero inside) or NULL. meta->patch_file
 * is set here. Ids must be unique and made of [A-Za-z0-9._-]. */
int lt_dataset_add(lt_dataset *ds, const lt_sample *meta, const float *ch, const uint8_t *mask,
                   lt_error *err);
/* The same with the true nodule mask (64^3 bytes, or NULL): sets meta->has_truth_mask. */
int lt_dataset_add_truth(lt_dataset *ds, const lt_sample *meta, const float *ch,
                         const uint8_t *mask, const uint8_t *truth, lt_error *err);
/* Sample i's input at side S (64 / S an integer) for a model reading in_channels (model/input.h:
 * 2, the windows, or 4 with the fovea): x (S^3 * in_channels, NDHWC); mask, the readers'
 * consensus, and truth, the true nodule mask (S^3 each, pooled as lt_model_input_mask; all 0
 * when the file has none). Any pointer may be NULL. */
int lt_dataset_read_input(const lt_dataset *ds, int i, int side, int in_channels, float *x,
                          float *mask, float *truth, lt_error *err);
/* The same, and the patch's lung window at its own 0.5 mm (lung: 64^3, x fastest, as ct/patch.h
 * channel 0; NULL to skip), which the attribute refit's CT measures read (model/refit-ct.h). */
int lt_dataset_read_patch(const lt_dataset *ds, int i, int side, int in_channels, float *x,
                          float *mask, float *truth, float *lung, lt_error *err);
/* FNV-1a 64 of the manifest's samples (ids, patients, labels, ratings), as "fnv1a64:<hex>". */
void lt_dataset_hash(const lt_dataset *ds, char *out, int n);
/* Index of the sample with that id, or -1. */
int lt_dataset_find(const lt_dataset *ds, const char *id);

#endif
