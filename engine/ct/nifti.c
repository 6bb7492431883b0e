/* engine/ct/nifti.c — see nifti.h. */
#include "nifti.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

/* Reads the file back through zlib (which checks the gzip CRC and length) and compares it with
 * what was written, so a short or damaged file is never taken for a good one. */
static int read_back(const char *tmp, const unsigned char *head, const void *data, size_t nbytes) {
  gzFile z = gzopen(tmp, "rb");
  if (!z) return -1;
  enum { CHUNK = 1 << 20 };
  unsigned char *buf = malloc(CHUNK);
  int ok = buf != NULL && gzread(z, buf, 352) == 352 && !memcmp(buf, head, 352);
  for (size_t at = 0; ok && at < nbytes;) {
    unsigned n = (unsigned)(nbytes - at < CHUNK ? nbytes - at : CHUNK);
    ok = gzread(z, buf, n) == (int)n && !memcmp(buf, (const unsigned char *)data + at, n);
    at += n;
  }
  ok = ok && gzread(z, buf, 1) == 0; /* the end, and for gzip its CRC, checked */
  if (gzclose_r(z) != Z_OK) ok = 0;
  free(buf);
  return ok ? 0 : -1;
}

/* Writes the NIfTI file under a temporary name in path's folder, reads it back, syncs it and
 * renames it to path: path holds either the old file or the whole new one, never part of one,
 * and a failure (a full disk, say) is one error line and leaves nothing behind. */
static int write_whole(const char *path, const char *mode, const unsigned char *head,
                       const void *data, size_t nbytes, lt_error *err) {
  char tmp[4096];
  static unsigned seq; /* two writes at once in one process get two names */
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%u", path, (long)getpid(),
               __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED)) >= (int)sizeof tmp)
    return lt_error_set(err, "cannot write %s: path too long", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return lt_error_set(err, "cannot write %s: %s", path, strerror(errno));
  int keep = dup(fd); /* gzclose closes fd; keep is for fsync */
  gzFile z = keep >= 0 ? gzdopen(fd, mode) : NULL;
  if (!z) {
    int e = errno;
    close(fd);
    if (keep >= 0) close(keep);
    unlink(tmp);
    return lt_error_set(err, "cannot write %s: %s", path, strerror(e ? e : ENOMEM));
  }
  errno = 0;
  int ok = gzwrite(z, head, 352) == 352;
  for (size_t at = 0; ok && at < nbytes;) {
    unsigned n = (unsigned)(nbytes - at < (1u << 30) ? nbytes - at : (1u << 30));
    ok = gzwrite(z, (const unsigned char *)data + at, n) == (int)n;
    at += n;
  }
  int e = errno;
  int zc = gzclose_w(z);
  if (ok && zc != Z_OK) ok = 0, e = errno;
  if (ok && fsync(keep) != 0) ok = 0, e = errno;
  close(keep);
  if (!ok) {
    unlink(tmp);
    return lt_error_set(err, "cannot write %s: %s", path, e ? strerror(e) : "write failed");
  }
  if (read_back(tmp, head, data, nbytes) != 0) {
    unlink(tmp);
    return lt_error_set(err, "cannot write %s: the file read back differs from what was written",
                        path);
  }
  if (rename(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    return lt_error_set(err, "cannot write %s: %s", path, strerror(e));
  }
  /* The rename itself survives a crash once the folder is synced. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
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
  /* niftilib makes the header; the file is written here with zlib, as niftilib's writer would
   * (header, 4-byte extender, data at 352) but with every error seen: niftilib's own writer
   * reports a full disk only as messages on stderr and leaves a truncated file. */
  nim->iname_offset = 352;
  struct nifti_1_header hdr = nifti_convert_nim2nhdr(nim);
  nifti_image_free(nim);
  unsigned char head[352];
  memcpy(head, &hdr, sizeof hdr);
  memset(head + sizeof hdr, 0, sizeof head - sizeof hdr); /* extender: no extensions */
  const size_t nbytes = (size_t)channels * lt_geometry_count(g) * (size_t)nbyper;
  /* gzip level 1: a CT volume compresses almost as well and several times faster than at the
   * default level; "T" writes a .nii plainly. */
  return write_whole(path, path[len - 1] == 'z' ? "wb1" : "wbT", head, data, nbytes, err);
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
