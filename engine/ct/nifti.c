/* engine/ct/nifti.c — see nifti.h. */
#include "nifti.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nifti1_io.h>

void lt_nifti_affine(const lt_geometry *g, double m[16]) {
  static const double flip[3] = {-1.0, -1.0, 1.0};
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) m[4 * r + c] = flip[r] * g->dir[3 * r + c] * g->spacing[c];
    m[4 * r + 3] = flip[r] * g->origin[r];
  }
  m[12] = m[13] = m[14] = 0.0;
  m[15] = 1.0;
}

static int dt_of(lt_nifti_type t, int *nbyper) {
  switch (t) {
  case LT_NIFTI_I16: *nbyper = 2; return DT_INT16;
  case LT_NIFTI_U8: *nbyper = 1; return DT_UINT8;
  case LT_NIFTI_F32: *nbyper = 4; return DT_FLOAT32;
  }
  return -1;
}

int lt_nifti_write(const char *path, const lt_geometry *g, int channels, lt_nifti_type type,
                   const void *data, const char *description, lt_error *err) {
  int nbyper = 0, dt = dt_of(type, &nbyper);
  if (dt < 0 || channels < 1) return lt_error_set(err, "NIfTI: bad data type or channel count");
  for (int a = 0; a < 3; a++)
    if (g->dim[a] < 1 || g->dim[a] > 32767 || !(g->spacing[a] > 0))
      return lt_error_set(err, "NIfTI: dimension or spacing out of range");
  if (channels > 32767) return lt_error_set(err, "NIfTI: too many channels");
  size_t len = strlen(path);
  if (!((len > 4 && !strcmp(path + len - 4, ".nii")) ||
        (len > 7 && !strcmp(path + len - 7, ".nii.gz"))))
    return lt_error_set(err, "NIfTI: '%s' must end in .nii or .nii.gz", path);
  FILE *probe = fopen(path, "wb");
  if (!probe) return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  fclose(probe);

  nifti_set_debug_level(0);
  int dims[8] = {channels > 1 ? 4 : 3, g->dim[0], g->dim[1], g->dim[2], channels, 1, 1, 1};
  nifti_image *nim = nifti_make_new_nim(dims, dt, 0);
  if (!nim) return lt_error_set(err, "NIfTI: cannot create a header for %s", path);
  nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  if (nifti_set_filenames(nim, path, 0, 1)) {
    nifti_image_free(nim);
    return lt_error_set(err, "NIfTI: bad file name %s", path);
  }
  double m[16];
  lt_nifti_affine(g, m);
  mat44 M;
  memset(&M, 0, sizeof M);
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) M.m[r][c] = (float)m[4 * r + c];
  nim->sto_xyz = M;
  nim->sto_ijk = nifti_mat44_inverse(M);
  nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  float qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
  nifti_mat44_to_quatern(M, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
  nim->quatern_b = qb;
  nim->quatern_c = qc;
  nim->quatern_d = qd;
  nim->qoffset_x = qx;
  nim->qoffset_y = qy;
  nim->qoffset_z = qz;
  nim->qfac = qfac;
  nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  nim->qto_xyz = nifti_quatern_to_mat44(qb, qc, qd, qx, qy, qz, (float)g->spacing[0],
                                        (float)g->spacing[1], (float)g->spacing[2], qfac);
  nim->qto_ijk = nifti_mat44_inverse(nim->qto_xyz);
  nim->dx = nim->pixdim[1] = (float)g->spacing[0];
  nim->dy = nim->pixdim[2] = (float)g->spacing[1];
  nim->dz = nim->pixdim[3] = (float)g->spacing[2];
  nim->dt = nim->pixdim[4] = 1.0f;
  nim->xyz_units = NIFTI_UNITS_MM;
  if (channels > 1) nim->intent_code = NIFTI_INTENT_NONE;
  if (description) snprintf(nim->descrip, sizeof nim->descrip, "%s", description);
  nim->data = (void *)data;
  /* As nifti_image_write, but gzip level 1 ("wb1"): a CT volume compresses almost as well and
   * several times faster than at the default level. write_opts 1: header and data, closed. */
  nifti_image_write_hdr_img2(nim, 1, "wb1", NULL, NULL);
  nim->data = NULL;
  nifti_image_free(nim);

  /* nifti_image_write reports nothing: read the header back to know it worked. */
  nifti_image *back = nifti_image_read(path, 0);
  int ok = back && back->nvox == (size_t)channels * lt_geometry_count(g) && back->datatype == dt;
  if (back) nifti_image_free(back);
  if (!ok) return lt_error_set(err, "NIfTI: writing %s failed", path);
  return 0;
}

int lt_nifti_read(const char *path, lt_nifti_image *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  nifti_set_debug_level(0);
  nifti_image *nim = nifti_image_read(path, 1);
  if (!nim) return lt_error_set(err, "NIfTI: cannot read %s", path);
  int rc = -1;
  if (nim->datatype == DT_INT16)
    out->type = LT_NIFTI_I16;
  else if (nim->datatype == DT_UINT8)
    out->type = LT_NIFTI_U8;
  else if (nim->datatype == DT_FLOAT32)
    out->type = LT_NIFTI_F32;
  else {
    lt_error_set(err, "NIfTI: %s: data type %s not supported", path,
                 nifti_datatype_string(nim->datatype));
    goto done;
  }
  for (int a = 5; a <= 7; a++)
    if (nim->dim[0] >= a && nim->dim[a] > 1) {
      lt_error_set(err, "NIfTI: %s has more than 4 dimensions", path);
      goto done;
    }
  if (!nim->data) {
    lt_error_set(err, "NIfTI: %s has no data", path);
    goto done;
  }
  int nx = nim->nx, ny = nim->dim[0] >= 2 ? nim->ny : 1, nz = nim->dim[0] >= 3 ? nim->nz : 1;
  int nt = nim->dim[0] >= 4 ? nim->nt : 1;
  lt_geometry_init(&out->geom, nx, ny, nz);
  out->channels = nt < 1 ? 1 : nt;
  mat44 M;
  int have = 1;
  if (nim->sform_code > 0)
    M = nim->sto_xyz;
  else if (nim->qform_code > 0)
    M = nim->qto_xyz;
  else
    have = 0;
  if (have) {
    static const double flip[3] = {-1.0, -1.0, 1.0};
    for (int c = 0; c < 3; c++) {
      double v[3] = {M.m[0][c], M.m[1][c], M.m[2][c]};
      double len = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      if (!(len > 0)) {
        lt_error_set(err, "NIfTI: %s has a degenerate affine", path);
        goto done;
      }
      out->geom.spacing[c] = len;
      for (int r = 0; r < 3; r++) out->geom.dir[3 * r + c] = flip[r] * v[r] / len;
    }
    for (int r = 0; r < 3; r++) out->geom.origin[r] = flip[r] * M.m[r][3];
  } else {
    out->geom.spacing[0] = nim->dx > 0 ? nim->dx : 1.0;
    out->geom.spacing[1] = nim->dy > 0 ? nim->dy : 1.0;
    out->geom.spacing[2] = nim->dz > 0 ? nim->dz : 1.0;
  }
  out->data = nim->data;
  nim->data = NULL;
  rc = 0;
done:
  nifti_image_free(nim);
  return rc;
}

void lt_nifti_image_clear(lt_nifti_image *im) {
  free(im->data);
  memset(im, 0, sizeof *im);
}
