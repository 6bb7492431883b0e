/* engine/ct/volume.c — see volume.h. */
#include "volume.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void lt_geometry_init(lt_geometry *g, int nx, int ny, int nz) {
  memset(g, 0, sizeof *g);
  g->dim[0] = nx;
  g->dim[1] = ny;
  g->dim[2] = nz;
  for (int a = 0; a < 3; a++) {
    g->spacing[a] = 1.0;
    g->dir[4 * a] = 1.0;
  }
}

lt_volume *lt_volume_new(int nx, int ny, int nz) {
  if (nx <= 0 || ny <= 0 || nz <= 0) return NULL;
  size_t n = (size_t)nx * (size_t)ny;
  if (n / (size_t)nx != (size_t)ny) return NULL;
  if (n > SIZE_MAX / (size_t)nz / sizeof(int16_t)) return NULL;
  n *= (size_t)nz;
  /* Layout: struct | slice_pos (double) | hu (int16) | sop_uid (char[]) | slice_filled;
   * each part aligned. */
  size_t off_pos = (sizeof(lt_volume) + 15) & ~(size_t)15;
  size_t off_hu = off_pos + (((size_t)nz * sizeof(double) + 15) & ~(size_t)15);
  size_t off_uid = off_hu + ((n * sizeof(int16_t) + 15) & ~(size_t)15);
  size_t off_filled = off_uid + (size_t)nz * LT_UID_MAX;
  size_t total = off_filled + (size_t)nz;
  if (total < off_uid) return NULL;
  unsigned char *block = calloc(1, total);
  if (!block) return NULL;
  lt_volume *v = (lt_volume *)block;
  lt_geometry_init(&v->geom, nx, ny, nz);
  v->slice_pos = (double *)(block + off_pos);
  v->hu = (int16_t *)(block + off_hu);
  v->sop_uid = (char (*)[LT_UID_MAX])(block + off_uid);
  v->slice_filled = block + off_filled;
  return v;
}

void lt_volume_free(lt_volume *v) { free(v); }

void lt_geometry_voxel_to_mm(const lt_geometry *g, const double ijk[3], double mm[3]) {
  for (int r = 0; r < 3; r++) {
    double s = g->origin[r];
    for (int c = 0; c < 3; c++) s += g->dir[3 * r + c] * ijk[c] * g->spacing[c];
    mm[r] = s;
  }
}

void lt_geometry_mm_to_voxel(const lt_geometry *g, const double mm[3], double ijk[3]) {
  double d[3] = {mm[0] - g->origin[0], mm[1] - g->origin[1], mm[2] - g->origin[2]};
  for (int c = 0; c < 3; c++) {
    double s = 0;
    for (int r = 0; r < 3; r++) s += g->dir[3 * r + c] * d[r];
    ijk[c] = s / g->spacing[c];
  }
}
