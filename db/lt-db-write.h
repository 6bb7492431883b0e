/* db/lt-db-write.h — writing rows: patients, studies, series, nodules, attribute sets, diagnoses,
 * model runs, thumbnails, segmentations.
 * Every put is an upsert on the row's natural key (the same call twice leaves one row, updated),
 * and returns the row id. Writes that change what retrieval sees (a nodule's size, its reference
 * attribute set, its diagnosis, its removal) keep the in-memory index in step (lt-db.h).
 * Outside an explicit transaction each call is its own transaction. Values: NAN = unknown (NULL).
 * Does not parse files: the importers (lt-import-*.h) do that and call these. */
#ifndef LT_DB_WRITE_H
#define LT_DB_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "lt-db.h"

/* The LIDC characteristics in the XML's order. */
enum {
  LT_CH_SUBTLETY, LT_CH_INTERNAL_STRUCTURE, LT_CH_CALCIFICATION, LT_CH_SPHERICITY, LT_CH_MARGIN,
  LT_CH_LOBULATION, LT_CH_SPICULATION, LT_CH_TEXTURE, LT_CH_MALIGNANCY, LT_NCHAR
};
/* Positions of the six retrieval scores among the nine characteristics. */
extern const int lt_char_of_attr[6];

typedef enum { LT_ATTRS_READER, LT_ATTRS_READERS_MEAN, LT_ATTRS_MODEL, LT_ATTRS_USER } lt_attrs_kind;
typedef enum { LT_DX_BENIGN, LT_DX_PRIMARY, LT_DX_METASTATIC, LT_DX_UNKNOWN } lt_dx_kind;
typedef enum {
  LT_BASIS_RESECTION, LT_BASIS_BIOPSY, LT_BASIS_STABILITY, LT_BASIS_PROGRESSION, LT_BASIS_RATING,
  LT_BASIS_UNKNOWN
} lt_dx_basis;

int lt_db_put_patient(lt_db *db, const char *pseudonym, const char *source, int64_t *id,
                      lt_error *err);
int lt_db_put_study(lt_db *db, int64_t patient_id, const char *uid, const char *date,
                    const char *description, int64_t *id, lt_error *err);
int lt_db_put_series(lt_db *db, int64_t study_id, const char *uid, const char *modality,
                     const int dims[3], const double spacing[3], const char *path, int64_t *id,
                     lt_error *err);

typedef struct {
  int64_t patient_id;             /* required */
  int64_t study_id, series_id;    /* 0: none */
  const char *source, *source_key;/* natural key, required */
  double x_mm, y_mm, z_mm;        /* NAN: unknown */
  double col, row, slice;
  double diameter_mm, volume_mm3;
  int64_t same_lesion_as;         /* 0: none */
} lt_db_nodule;
void lt_db_nodule_init(lt_db_nodule *n);
int lt_db_put_nodule(lt_db *db, const lt_db_nodule *n, int64_t *id, lt_error *err);
/* Removes a nodule and everything that hangs on it. */
int lt_db_delete_nodule(lt_db *db, int64_t nodule_id, lt_error *err);
/* Finds a nodule by its natural key; *id 0 when absent. */
int lt_db_find_nodule(lt_db *db, const char *source, const char *source_key, int64_t *id,
                      lt_error *err);

/* ch: the nine characteristics (NAN where unknown). n_readers: 0 = unknown. */
int lt_db_put_attributes(lt_db *db, int64_t nodule_id, lt_attrs_kind kind, const char *source_key,
                         int n_readers, const char *weights_hash, const double ch[LT_NCHAR],
                         int64_t *id, lt_error *err);

/* nodule_id 0: a patient-level diagnosis. */
int lt_db_put_diagnosis(lt_db *db, int64_t patient_id, int64_t nodule_id, lt_dx_kind kind,
                        lt_dx_basis basis, const char *source, const char *source_key,
                        int64_t *id, lt_error *err);

/* An analysis result from the engine, as plain values. */
typedef struct {
  int64_t nodule_id;
  const char *weights_hash; /* required: which weights gave this answer */
  const char *model_name;   /* may be NULL */
  double probability;       /* of malignancy, 0..1 */
  double scores[6];         /* subtlety, sphericity, margin, lobulation, spiculation, malignancy */
  double cam_inside;        /* trust measures, NAN when not computed */
  double ood_score;
  double uncertainty;
  const char *scope_level;   /* "in_scope", "caution", "out_of_scope"; NULL: not decided */
  const char *scope_codes;   /* the reasons' codes joined with ','; may be NULL */
  const char *scope_reasons; /* the reasons as JSON [{"code", "level", "sentence"}]; may be NULL */
} lt_db_model_run;
/* Adds a model_runs row and upserts the nodule's 'model' attribute set for these weights, in one
 * transaction (or the caller's). */
int lt_db_add_model_run(lt_db *db, const lt_db_model_run *run, int64_t *id, lt_error *err);

/* One contour (one slice of one outline): n points (col, row) in voxels. kind: 'reader',
 * 'consensus', 'model' or 'user'; (nodule, kind, source_key, seq) is its key. */
int lt_db_put_contour(lt_db *db, int64_t nodule_id, const char *kind, const char *source_key,
                      int seq, const char *sop_uid, double z_mm, int inclusion, const float *xy,
                      int n, lt_error *err);

int lt_db_put_thumbnail(lt_db *db, int64_t nodule_id, const char *kind, const void *png,
                        size_t png_size, int width, int height, lt_error *err);
int lt_db_put_segmentation(lt_db *db, int64_t nodule_id, const char *kind, const char *source_key,
                           const int origin[3], const int dims[3], const void *mask_png,
                           size_t png_size, lt_error *err);

/* Patients' pseudonyms (lt-pseudonym.h): PatientID (else the fallback, the StudyInstanceUID)
 * under this database's own key, a random 32 bytes made by migration 3 and kept in its table
 * secrets, in the 0600 file. An LIDC-IDRI id is kept as it is. buf: >= 27 bytes. */
int lt_db_pseudonym(lt_db *db, const char *patient_id, const char *fallback, char *buf, size_t n,
                    lt_error *err);
/* The key itself, for a shard or a teaching session's file cut from this database: the file
 * that adopts it (lt_db_adopt_pseudonym_key) gives every patient the same pseudonym, so a later
 * merge matches them (docs/database.md). Keep it out of logs and exports. */
int lt_db_pseudonym_key(lt_db *db, uint8_t key[32], lt_error *err);
/* Takes another database's key; refused once this one holds a patient keyed under its own. */
int lt_db_adopt_pseudonym_key(lt_db *db, const uint8_t key[32], lt_error *err);

/* Adds an import_log row (what, source, a JSON report). */
int lt_db_log_import(lt_db *db, const char *what, const char *source, const char *report,
                     lt_error *err);

#endif
