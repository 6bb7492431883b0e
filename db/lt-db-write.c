/* db/lt-db-write.c — see lt-db-write.h. */
#include "lt-db-write.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "lt-pseudonym.h"

const int lt_char_of_attr[6] = {LT_CH_SUBTLETY,   LT_CH_SPHERICITY,  LT_CH_MARGIN,
                                LT_CH_LOBULATION, LT_CH_SPICULATION, LT_CH_MALIGNANCY};

/* Statement slots of lt_db_stmt owned by this file. */
enum {
  S_PATIENT, S_STUDY, S_SERIES, S_NODULE, S_ATTRS, S_DIAG, S_RUN, S_THUMB, S_SEG, S_LOG,
  S_FIND_NODULE, S_DELETE_NODULE, S_CONTOUR, S_KEY_GET, S_KEY_SET, S_KEYED_COUNT
};

static const char *const attrs_kind_name[] = {"reader", "readers_mean", "model", "user"};
static const char *const dx_kind_name[] = {"benign", "primary", "metastatic", "unknown"};
static const char *const basis_name[] = {"resection", "biopsy",  "stability",
                                         "progression", "rating", "unknown"};

/* lt_db_sql_error: an SQLITE_CORRUPT marks db corrupt, and every later write is refused. */
static int fail(lt_db *db, lt_error *err) { return lt_db_sql_error(db, err); }

static void bind_real(sqlite3_stmt *st, int i, double v) {
  if (isfinite(v)) sqlite3_bind_double(st, i, v);
  else sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t v) {
  if (v > 0) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}

/* Steps a statement that RETURNING one id (or none), then resets it so no read stays open. */
static int step_id(lt_db *db, sqlite3_stmt *st, int64_t *id, lt_error *err) {
  int rc = sqlite3_step(st);
  int64_t v = 0;
  if (rc == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_DONE) {
    fail(db, err);
    sqlite3_reset(st);
    return -1;
  }
  sqlite3_reset(st);
  if (id) *id = v;
  return 0;
}

int lt_db_put_patient(lt_db *db, const char *pseudonym, const char *source, int64_t *id,
                      lt_error *err) {
  if (!pseudonym || !pseudonym[0]) return lt_error_set(err, "database: patient without pseudonym");
  sqlite3_stmt *st = lt_db_stmt(db, S_PATIENT,
                                "INSERT INTO patients(pseudonym, source) VALUES(?1, ?2)"
                                " ON CONFLICT(pseudonym) DO UPDATE SET source = excluded.source"
                                " RETURNING id",
                                err);
  if (!st) return -1;
  bind_text(st, 1, pseudonym);
  bind_text(st, 2, source ? source : "unknown");
  return step_id(db, st, id, err);
}

int lt_db_put_study(lt_db *db, int64_t patient_id, const char *uid, const char *date,
                    const char *description, int64_t *id, lt_error *err) {
  if (!uid || !uid[0]) return lt_error_set(err, "database: study without UID");
  sqlite3_stmt *st = lt_db_stmt(db, S_STUDY,
                                "INSERT INTO studies(patient_id, uid, study_date, description)"
                                " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(uid) DO UPDATE SET"
                                " patient_id = excluded.patient_id,"
                                " study_date = excluded.study_date,"
                                " description = excluded.description RETURNING id",
                                err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, patient_id);
  bind_text(st, 2, uid);
  bind_text(st, 3, date);
  bind_text(st, 4, description);
  return step_id(db, st, id, err);
}

int lt_db_put_series(lt_db *db, int64_t study_id, const char *uid, const char *modality,
                     const int dims[3], const double spacing[3], const char *path, int64_t *id,
                     lt_error *err) {
  if (!uid || !uid[0]) return lt_error_set(err, "database: series without UID");
  sqlite3_stmt *st = lt_db_stmt(
      db, S_SERIES,
      "INSERT INTO series(study_id, uid, modality, cols, rows, slices, spacing_x, spacing_y,"
      " spacing_z, path) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT(uid) DO UPDATE SET study_id = excluded.study_id, modality = excluded.modality,"
      " cols = excluded.cols, rows = excluded.rows, slices = excluded.slices,"
      " spacing_x = excluded.spacing_x, spacing_y = excluded.spacing_y,"
      " spacing_z = excluded.spacing_z, path = excluded.path RETURNING id",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, study_id);
  bind_text(st, 2, uid);
  bind_text(st, 3, modality);
  for (int a = 0; a < 3; a++) sqlite3_bind_int(st, 4 + a, dims ? dims[a] : 0);
  for (int a = 0; a < 3; a++) bind_real(st, 7 + a, spacing ? spacing[a] : NAN);
  bind_text(st, 10, path);
  return step_id(db, st, id, err);
}

void lt_db_nodule_init(lt_db_nodule *n) {
  memset(n, 0, sizeof *n);
  n->x_mm = n->y_mm = n->z_mm = NAN;
  n->col = n->row = n->slice = NAN;
  n->diameter_mm = n->volume_mm3 = NAN;
}

int lt_db_put_nodule(lt_db *db, const lt_db_nodule *n, int64_t *id, lt_error *err) {
  if (n->patient_id <= 0 || !n->source || !n->source_key)
    return lt_error_set(err, "database: nodule without patient or key");
  sqlite3_stmt *st = lt_db_stmt(
      db, S_NODULE,
      "INSERT INTO nodules(patient_id, study_id, series_id, source, source_key, x_mm, y_mm, z_mm,"
      " col, row, slice, diameter_mm, volume_mm3, same_lesion_as)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
      " ON CONFLICT(source, source_key) DO UPDATE SET patient_id = excluded.patient_id,"
      " study_id = excluded.study_id, series_id = excluded.series_id, x_mm = excluded.x_mm,"
      " y_mm = excluded.y_mm, z_mm = excluded.z_mm, col = excluded.col, row = excluded.row,"
      " slice = excluded.slice, diameter_mm = excluded.diameter_mm,"
      " volume_mm3 = excluded.volume_mm3, same_lesion_as = excluded.same_lesion_as RETURNING id",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, n->patient_id);
  bind_id(st, 2, n->study_id);
  bind_id(st, 3, n->series_id);
  bind_text(st, 4, n->source);
  bind_text(st, 5, n->source_key);
  const double v[] = {n->x_mm, n->y_mm,  n->z_mm,        n->col,
                      n->row,  n->slice, n->diameter_mm, n->volume_mm3};
  for (int i = 0; i < 8; i++) bind_real(st, 6 + i, v[i]);
  bind_id(st, 14, n->same_lesion_as);
  int64_t nid;
  if (step_id(db, st, &nid, err)) return -1;
  if (id) *id = nid;
  return lt_db_touch_nodule(db, nid, err);
}

int lt_db_find_nodule(lt_db *db, const char *source, const char *source_key, int64_t *id,
                      lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(db, S_FIND_NODULE,
                                "SELECT id FROM nodules WHERE source = ?1 AND source_key = ?2", err);
  if (!st) return -1;
  bind_text(st, 1, source);
  bind_text(st, 2, source_key);
  return step_id(db, st, id, err);
}

/* Runs f inside the caller's transaction, or in one of its own. */
#define IN_TX(db, err, body)                       \
  do {                                             \
    bool own_ = !lt_db_in_transaction(db);         \
    if (own_ && lt_db_begin(db, err)) return -1;   \
    int rc_ = (body);                              \
    if (rc_) {                                     \
      if (own_) lt_db_rollback(db);                \
      return -1;                                   \
    }                                              \
    if (own_ && lt_db_commit(db, err)) return -1;  \
    return 0;                                      \
  } while (0)

static int delete_nodule(lt_db *db, int64_t nodule_id, lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(db, S_DELETE_NODULE, "DELETE FROM nodules WHERE id = ?1", err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, nodule_id);
  if (step_id(db, st, NULL, err)) return -1;
  return lt_db_touch_nodule(db, nodule_id, err);
}

int lt_db_delete_nodule(lt_db *db, int64_t nodule_id, lt_error *err) {
  IN_TX(db, err, delete_nodule(db, nodule_id, err));
}

int lt_db_put_attributes(lt_db *db, int64_t nodule_id, lt_attrs_kind kind, const char *source_key,
                         int n_readers, const char *weights_hash, const double ch[LT_NCHAR],
                         int64_t *id, lt_error *err) {
  if ((unsigned)kind > LT_ATTRS_USER || !source_key)
    return lt_error_set(err, "database: attribute set without kind or key");
  sqlite3_stmt *st = lt_db_stmt(
      db, S_ATTRS,
      "INSERT INTO attribute_sets(nodule_id, kind, source_key, n_readers, weights_hash,"
      " subtlety, internal_structure, calcification, sphericity, margin, lobulation,"
      " spiculation, texture, malignancy)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
      " ON CONFLICT(nodule_id, kind, source_key) DO UPDATE SET n_readers = excluded.n_readers,"
      " weights_hash = excluded.weights_hash, subtlety = excluded.subtlety,"
      " internal_structure = excluded.internal_structure,"
      " calcification = excluded.calcification, sphericity = excluded.sphericity,"
      " margin = excluded.margin, lobulation = excluded.lobulation,"
      " spiculation = excluded.spiculation, texture = excluded.texture,"
      " malignancy = excluded.malignancy RETURNING id",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, nodule_id);
  sqlite3_bind_text(st, 2, attrs_kind_name[kind], -1, SQLITE_STATIC);
  bind_text(st, 3, source_key);
  if (n_readers > 0) sqlite3_bind_int(st, 4, n_readers);
  bind_text(st, 5, weights_hash);
  for (int c = 0; c < LT_NCHAR; c++) bind_real(st, 6 + c, ch[c]);
  if (step_id(db, st, id, err)) return -1;
  if (kind == LT_ATTRS_READERS_MEAN || kind == LT_ATTRS_USER)
    return lt_db_touch_nodule(db, nodule_id, err);
  return 0;
}

int lt_db_put_diagnosis(lt_db *db, int64_t patient_id, int64_t nodule_id, lt_dx_kind kind,
                        lt_dx_basis basis, const char *source, const char *source_key,
                        int64_t *id, lt_error *err) {
  if ((unsigned)kind > LT_DX_UNKNOWN || (unsigned)basis > LT_BASIS_UNKNOWN || !source ||
      !source_key)
    return lt_error_set(err, "database: diagnosis without kind, basis or key");
  sqlite3_stmt *st = lt_db_stmt(
      db, S_DIAG,
      "INSERT INTO diagnoses(patient_id, nodule_id, kind, basis, source, source_key)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, source_key) DO UPDATE SET"
      " patient_id = excluded.patient_id, nodule_id = excluded.nodule_id,"
      " kind = excluded.kind, basis = excluded.basis RETURNING id",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, patient_id);
  bind_id(st, 2, nodule_id);
  sqlite3_bind_text(st, 3, dx_kind_name[kind], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, basis_name[basis], -1, SQLITE_STATIC);
  bind_text(st, 5, source);
  bind_text(st, 6, source_key);
  if (step_id(db, st, id, err)) return -1;
  return nodule_id > 0 ? lt_db_touch_nodule(db, nodule_id, err) : 0;
}

static int add_model_run(lt_db *db, const lt_db_model_run *r, int64_t *id, lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(
      db, S_RUN,
      "INSERT INTO model_runs(nodule_id, weights_hash, model_name, probability, subtlety,"
      " sphericity, margin, lobulation, spiculation, malignancy, cam_inside, ood_score,"
      " uncertainty, scope_level, scope_codes, scope_reasons) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
      " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, r->nodule_id);
  bind_text(st, 2, r->weights_hash);
  bind_text(st, 3, r->model_name);
  sqlite3_bind_double(st, 4, r->probability);
  for (int d = 0; d < 6; d++) bind_real(st, 5 + d, r->scores[d]);
  bind_real(st, 11, r->cam_inside);
  bind_real(st, 12, r->ood_score);
  bind_real(st, 13, r->uncertainty);
  bind_text(st, 14, r->scope_level);
  bind_text(st, 15, r->scope_codes);
  bind_text(st, 16, r->scope_reasons);
  if (step_id(db, st, id, err)) return -1;
  double ch[LT_NCHAR];
  for (int c = 0; c < LT_NCHAR; c++) ch[c] = NAN;
  for (int d = 0; d < 6; d++) ch[lt_char_of_attr[d]] = r->scores[d];
  return lt_db_put_attributes(db, r->nodule_id, LT_ATTRS_MODEL, r->weights_hash, 0,
                              r->weights_hash, ch, NULL, err);
}

int lt_db_add_model_run(lt_db *db, const lt_db_model_run *run, int64_t *id, lt_error *err) {
  if (!run->weights_hash || !run->weights_hash[0])
    return lt_error_set(err, "database: model run without weights hash");
  if (!(run->probability >= 0 && run->probability <= 1))
    return lt_error_set(err, "database: model run probability %g outside 0..1", run->probability);
  IN_TX(db, err, add_model_run(db, run, id, err));
}

int lt_db_put_contour(lt_db *db, int64_t nodule_id, const char *kind, const char *source_key,
                      int seq, const char *sop_uid, double z_mm, int inclusion, const float *xy,
                      int n, lt_error *err) {
  if (n < 1 || !xy) return lt_error_set(err, "database: contour without points");
  sqlite3_stmt *st = lt_db_stmt(
      db, S_CONTOUR,
      "INSERT INTO contours(nodule_id, kind, source_key, seq, sop_uid, z_mm, inclusion, points)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(nodule_id, kind, source_key, seq)"
      " DO UPDATE SET sop_uid = excluded.sop_uid, z_mm = excluded.z_mm,"
      " inclusion = excluded.inclusion, points = excluded.points",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, nodule_id);
  bind_text(st, 2, kind);
  bind_text(st, 3, source_key);
  sqlite3_bind_int(st, 4, seq);
  bind_text(st, 5, sop_uid && sop_uid[0] ? sop_uid : NULL);
  bind_real(st, 6, z_mm);
  sqlite3_bind_int(st, 7, inclusion != 0);
  sqlite3_bind_blob64(st, 8, xy, (sqlite3_uint64)n * 2 * sizeof(float), SQLITE_TRANSIENT);
  return step_id(db, st, NULL, err);
}

int lt_db_put_thumbnail(lt_db *db, int64_t nodule_id, const char *kind, const void *png,
                        size_t png_size, int width, int height, lt_error *err) {
  if (png_size < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0)
    return lt_error_set(err, "database: thumbnail is not a PNG");
  sqlite3_stmt *st = lt_db_stmt(db, S_THUMB,
                                "INSERT INTO thumbnails(nodule_id, kind, width, height, png)"
                                " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(nodule_id, kind) DO UPDATE"
                                " SET width = excluded.width, height = excluded.height,"
                                " png = excluded.png",
                                err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, nodule_id);
  bind_text(st, 2, kind);
  sqlite3_bind_int(st, 3, width);
  sqlite3_bind_int(st, 4, height);
  sqlite3_bind_blob64(st, 5, png, png_size, SQLITE_TRANSIENT);
  return step_id(db, st, NULL, err);
}

int lt_db_put_segmentation(lt_db *db, int64_t nodule_id, const char *kind, const char *source_key,
                           const int origin[3], const int dims[3], const void *mask_png,
                           size_t png_size, lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(
      db, S_SEG,
      "INSERT INTO segmentations(nodule_id, kind, source_key, origin_i, origin_j, origin_k, nx,"
      " ny, nz, mask_png) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT(nodule_id, kind, source_key) DO UPDATE SET origin_i = excluded.origin_i,"
      " origin_j = excluded.origin_j, origin_k = excluded.origin_k, nx = excluded.nx,"
      " ny = excluded.ny, nz = excluded.nz, mask_png = excluded.mask_png",
      err);
  if (!st) return -1;
  sqlite3_bind_int64(st, 1, nodule_id);
  bind_text(st, 2, kind);
  bind_text(st, 3, source_key);
  for (int a = 0; a < 3; a++) sqlite3_bind_int(st, 4 + a, origin[a]);
  for (int a = 0; a < 3; a++) sqlite3_bind_int(st, 7 + a, dims[a]);
  if (mask_png) sqlite3_bind_blob64(st, 10, mask_png, png_size, SQLITE_TRANSIENT);
  return step_id(db, st, NULL, err);
}

int lt_db_log_import(lt_db *db, const char *what, const char *source, const char *report,
                     lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(
      db, S_LOG, "INSERT INTO import_log(what, source, report) VALUES(?1, ?2, ?3)", err);
  if (!st) return -1;
  bind_text(st, 1, what);
  bind_text(st, 2, source);
  bind_text(st, 3, report);
  return step_id(db, st, NULL, err);
}

int lt_db_pseudonym_key(lt_db *db, uint8_t key[LT_PSEUDONYM_KEY_SIZE], lt_error *err) {
  sqlite3_stmt *st = lt_db_stmt(db, S_KEY_GET,
                                "SELECT value FROM secrets WHERE name = 'pseudonym-key'", err);
  if (!st) return -1;
  int rc = sqlite3_step(st);
  bool ok = rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == LT_PSEUDONYM_KEY_SIZE;
  if (ok) memcpy(key, sqlite3_column_blob(st, 0), LT_PSEUDONYM_KEY_SIZE);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(db, err);
  if (!ok) return lt_error_set(err, "database: no pseudonym key (table secrets)");
  return 0;
}

int lt_db_pseudonym(lt_db *db, const char *patient_id, const char *fallback, char *buf, size_t n,
                    lt_error *err) {
  uint8_t key[LT_PSEUDONYM_KEY_SIZE];
  if (lt_db_pseudonym_key(db, key, err)) return -1;
  lt_pseudonym_of(key, patient_id, fallback, buf, n);
  memset(key, 0, sizeof key);
  return 0;
}

static int adopt_key(lt_db *db, const uint8_t key[LT_PSEUDONYM_KEY_SIZE], lt_error *err) {
  uint8_t have[LT_PSEUDONYM_KEY_SIZE];
  if (lt_db_pseudonym_key(db, have, err)) return -1;
  if (!memcmp(have, key, sizeof have)) return 0;
  sqlite3_stmt *st = lt_db_stmt(
      db, S_KEYED_COUNT,
      "SELECT count(*) FROM patients WHERE pseudonym GLOB 'P-*' AND length(pseudonym) = 26", err);
  if (!st) return -1;
  int64_t keyed;
  if (step_id(db, st, &keyed, err)) return -1;
  if (keyed > 0)
    return lt_error_set(err, "database: %lld patients already have pseudonyms under this "
                        "database's own key; a shard's key can only be adopted by a new database",
                        (long long)keyed);
  st = lt_db_stmt(db, S_KEY_SET, "UPDATE secrets SET value = ?1 WHERE name = 'pseudonym-key'", err);
  if (!st) return -1;
  sqlite3_bind_blob(st, 1, key, LT_PSEUDONYM_KEY_SIZE, SQLITE_TRANSIENT);
  return step_id(db, st, NULL, err);
}

int lt_db_adopt_pseudonym_key(lt_db *db, const uint8_t key[LT_PSEUDONYM_KEY_SIZE], lt_error *err) {
  IN_TX(db, err, adopt_key(db, key, err));
}
