/* db/lt-db-schema.c — the schema as an ordered list of migrations (see lt-db.h).
 * Never edit a released step: add a new one at the end. Step v takes user_version v-1 to v.
 *
 * Natural keys: every imported row has (source, source_key) or an equivalent UNIQUE key so that
 * importers upsert and re-running an import adds no duplicates.
 * Attribute scores are the LIDC scales: subtlety 1-5, internal_structure 1-4, calcification 1-6,
 * sphericity 1-5, margin 1-5, lobulation 1-5, spiculation 1-5, texture 1-5, malignancy 1-5;
 * NULL where unknown. The six retrieval scores are subtlety, sphericity, margin, lobulation,
 * spiculation, malignancy (the paper's order). */
#include <stddef.h>

#include "lt-db.h"

static const char *const migrations[] = {
    /* v1: patients, studies, series, nodules, attribute sets, contours, diagnoses. */
    "CREATE TABLE patients ("
    "  id INTEGER PRIMARY KEY,"
    "  pseudonym TEXT NOT NULL UNIQUE,"          /* e.g. LIDC-IDRI-0001 or a local pseudonym */
    "  name TEXT,"                               /* only when a user imports it on purpose */
    "  source TEXT NOT NULL DEFAULT 'unknown',"
    "  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    "CREATE TABLE studies ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,"
    "  uid TEXT NOT NULL UNIQUE,"                /* StudyInstanceUID or a source-scoped key */
    "  study_date TEXT, description TEXT);"
    "CREATE INDEX studies_patient ON studies(patient_id);"
    "CREATE TABLE series ("
    "  id INTEGER PRIMARY KEY,"
    "  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    "  uid TEXT NOT NULL UNIQUE,"
    "  modality TEXT, cols INTEGER, rows INTEGER, slices INTEGER,"
    "  spacing_x REAL, spacing_y REAL, spacing_z REAL, path TEXT);"
    "CREATE INDEX series_study ON series(study_id);"
    "CREATE TABLE nodules ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,"
    "  study_id INTEGER REFERENCES studies(id) ON DELETE SET NULL,"
    "  series_id INTEGER REFERENCES series(id) ON DELETE SET NULL,"
    "  source TEXT NOT NULL,"                    /* 'lidc-list3.2', 'lidc-xml', 'user', ... */
    "  source_key TEXT NOT NULL,"
    "  x_mm REAL, y_mm REAL, z_mm REAL,"         /* DICOM patient coordinates (LPS) */
    "  col REAL, row REAL, slice REAL,"          /* voxel position where known */
    "  diameter_mm REAL, volume_mm3 REAL,"
    "  same_lesion_as INTEGER REFERENCES nodules(id) ON DELETE SET NULL,"
    "  UNIQUE(source, source_key));"
    "CREATE INDEX nodules_patient ON nodules(patient_id);"
    "CREATE TABLE attribute_sets ("
    "  id INTEGER PRIMARY KEY,"
    "  nodule_id INTEGER NOT NULL REFERENCES nodules(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('reader','readers_mean','model','user')),"
    "  source_key TEXT NOT NULL,"                /* reader's nodule id, table name, weights hash, user */
    "  n_readers INTEGER,"
    "  weights_hash TEXT,"
    "  subtlety REAL, internal_structure REAL, calcification REAL, sphericity REAL,"
    "  margin REAL, lobulation REAL, spiculation REAL, texture REAL, malignancy REAL,"
    "  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  UNIQUE(nodule_id, kind, source_key));"
    "CREATE TABLE contours ("
    "  id INTEGER PRIMARY KEY,"
    "  nodule_id INTEGER NOT NULL REFERENCES nodules(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('reader','consensus','model','user')),"
    "  source_key TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"                    /* the contour's place in its mark */
    "  sop_uid TEXT, z_mm REAL, inclusion INTEGER NOT NULL DEFAULT 1,"
    "  points BLOB NOT NULL,"                    /* float32 (col,row) pairs, little endian */
    "  UNIQUE(nodule_id, kind, source_key, seq));"
    "CREATE TABLE diagnoses ("
    "  id INTEGER PRIMARY KEY,"
    "  patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,"
    "  nodule_id INTEGER REFERENCES nodules(id) ON DELETE CASCADE," /* NULL: patient level */
    "  kind TEXT NOT NULL CHECK(kind IN ('benign','primary','metastatic','unknown')),"
    "  basis TEXT NOT NULL CHECK(basis IN ('resection','biopsy','stability','progression',"
    "                                      'rating','unknown')),"
    "  source TEXT NOT NULL, source_key TEXT NOT NULL,"
    "  note TEXT,"
    "  UNIQUE(source, source_key));"
    "CREATE INDEX diagnoses_nodule ON diagnoses(nodule_id);"
    "CREATE INDEX diagnoses_patient ON diagnoses(patient_id);",

    /* v2: segmentations, thumbnails, model runs, the import log; index for the retrieval build. */
    "CREATE TABLE segmentations ("
    "  id INTEGER PRIMARY KEY,"
    "  nodule_id INTEGER NOT NULL REFERENCES nodules(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('reader','consensus','model','user')),"
    "  source_key TEXT NOT NULL,"
    "  origin_i INTEGER, origin_j INTEGER, origin_k INTEGER,"
    "  nx INTEGER, ny INTEGER, nz INTEGER,"
    "  mask_png BLOB,"                           /* the mask's slices tiled in one PNG */
    "  UNIQUE(nodule_id, kind, source_key));"
    "CREATE TABLE thumbnails ("
    "  id INTEGER PRIMARY KEY,"
    "  nodule_id INTEGER NOT NULL REFERENCES nodules(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"                      /* 'axial', 'centre-slices', ... */
    "  width INTEGER, height INTEGER,"
    "  png BLOB NOT NULL,"
    "  UNIQUE(nodule_id, kind));"
    "CREATE TABLE model_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  nodule_id INTEGER NOT NULL REFERENCES nodules(id) ON DELETE CASCADE,"
    "  weights_hash TEXT NOT NULL,"
    "  model_name TEXT,"
    "  probability REAL NOT NULL CHECK(probability >= 0 AND probability <= 1),"
    "  subtlety REAL, sphericity REAL, margin REAL, lobulation REAL, spiculation REAL,"
    "  malignancy REAL,"
    "  cam_inside REAL,"                         /* fraction of Grad-CAM mass inside the nodule */
    "  ood_score REAL,"                          /* distance from the training distribution */
    "  uncertainty REAL,"
    "  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    "CREATE INDEX model_runs_nodule ON model_runs(nodule_id);"
    "CREATE TABLE import_log ("
    "  id INTEGER PRIMARY KEY,"
    "  what TEXT NOT NULL, source TEXT NOT NULL,"
    "  report TEXT,"
    "  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    "CREATE INDEX attribute_sets_kind_nodule ON attribute_sets(kind, nodule_id);",

    /* v3: the pseudonym key, 32 random bytes of this database (lt-pseudonym.h); schema 2's
     * unkeyed pseudonyms ("P-" + 16 hex digits of FNV-1a 64 of PatientID) rewritten under it.
     * lt_new_key and lt_rekey_pseudonym are C functions lt-db.c gives the connection. */
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY,"                   /* 'pseudonym-key' */
    "  value BLOB NOT NULL);"
    "INSERT INTO secrets(name, value) VALUES('pseudonym-key', lt_new_key());"
    "UPDATE patients SET pseudonym = lt_rekey_pseudonym(pseudonym,"
    "  (SELECT value FROM secrets WHERE name = 'pseudonym-key'))"
    "  WHERE pseudonym GLOB 'P-*' AND length(pseudonym) = 18;",

    /* v4: each model run's scope decision (engine/review/scope.h): its level ('in_scope',
     * 'caution', 'out_of_scope') and its reasons' codes joined with ',' ('' when in scope), and
     * the reasons' sentences as JSON; NULL for runs stored before the decision existed. */
    "ALTER TABLE model_runs ADD COLUMN scope_level TEXT"
    "  CHECK(scope_level IN ('in_scope', 'caution', 'out_of_scope'));"
    "ALTER TABLE model_runs ADD COLUMN scope_codes TEXT;"
    "ALTER TABLE model_runs ADD COLUMN scope_reasons TEXT;",
};

int lt_db_schema_version(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

const char *lt_db_migration_sql(int v) {
  if (v < 1 || v > lt_db_schema_version()) return NULL;
  return migrations[v - 1];
}
