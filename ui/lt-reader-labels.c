/* ui/lt-reader-labels.c — see lt-reader-labels.h. */
#include "lt-reader-labels.h"

#include <stdlib.h>
#include <string.h>

static void grow(lt_box *u, int *have, const lt_box *b) {
  for (int a = 0; a < 3; a++) {
    if (!*have || b->lo[a] < u->lo[a]) u->lo[a] = b->lo[a];
    if (!*have || b->hi[a] > u->hi[a]) u->hi[a] = b->hi[a];
  }
  *have = 1;
}

static void paint(uint8_t *bits, const lt_box *u, const lt_box *b, const uint8_t *mask,
                  uint8_t bit) {
  int nx = u->hi[0] - u->lo[0] + 1, ny = u->hi[1] - u->lo[1] + 1;
  size_t m = 0;
  for (int k = b->lo[2]; k <= b->hi[2]; k++)
    for (int j = b->lo[1]; j <= b->hi[1]; j++)
      for (int i = b->lo[0]; i <= b->hi[0]; i++, m++)
        if (mask[m] && i >= u->lo[0] && i <= u->hi[0] && j >= u->lo[1] && j <= u->hi[1] &&
            k >= u->lo[2] && k <= u->hi[2])
          bits[(size_t)(i - u->lo[0]) +
               (size_t)nx * ((size_t)(j - u->lo[1]) + (size_t)ny * (size_t)(k - u->lo[2]))] |= bit;
}

int lt_reader_labels_build(const lt_nodule_set *set, const lt_geometry *vol,
                           lt_reader_labels *out, lt_error *err) {
  memset(out, 0, sizeof *out);
  out->n_readers = set ? set->n_readers : 0;
  if (!set) return 0;
  lt_box u;
  int have = 0;
  for (int n = 0; n < set->n_nodules; n++) {
    const lt_nodule *nd = &set->nodules[n];
    for (int m = 0; m < nd->n_marks; m++)
      if (!nd->marks[m].is_point && nd->marks[m].mask) grow(&u, &have, &nd->marks[m].box);
    if (nd->consensus) grow(&u, &have, &nd->box);
  }
  if (!have) return 0;
  /* One empty voxel around the outlines: resampling reads a point up to half a voxel past a
   * grid's edge as the edge voxel, so an outline touching the edge would grow by that half voxel
   * (1.25 mm on 2.5 mm slices) in the analysis's consensus, which the full-volume mask of
   * `lungtrust-cli analyze` does not. */
  for (int a = 0; a < 3; a++) {
    u.lo[a] -= 1;
    u.hi[a] += 1;
  }
  for (int a = 0; a < 3; a++) {
    if (u.lo[a] < 0) u.lo[a] = 0;
    if (u.hi[a] > vol->dim[a] - 1) u.hi[a] = vol->dim[a] - 1;
    if (u.hi[a] < u.lo[a]) return 0;
  }
  lt_geometry g = *vol;
  for (int a = 0; a < 3; a++) g.dim[a] = u.hi[a] - u.lo[a] + 1;
  const double lo[3] = {u.lo[0], u.lo[1], u.lo[2]};
  lt_geometry_voxel_to_mm(vol, lo, g.origin);
  uint8_t *bits = calloc(lt_geometry_count(&g), 1);
  if (!bits) return lt_error_set(err, "reader outlines: out of memory");
  for (int n = 0; n < set->n_nodules; n++) {
    const lt_nodule *nd = &set->nodules[n];
    for (int m = 0; m < nd->n_marks; m++) {
      const lt_nodule_mark *mk = &nd->marks[m];
      if (mk->is_point || !mk->mask) continue;
      int r = mk->reader < 0 ? 0 : mk->reader > 6 ? 6 : mk->reader;
      paint(bits, &u, &mk->box, mk->mask, (uint8_t)(1u << r));
    }
    if (nd->consensus) paint(bits, &u, &nd->box, nd->consensus, 1u << LT_LABEL_CONSENSUS_BIT);
  }
  out->bits = bits;
  out->geom = g;
  return 0;
}

void lt_reader_labels_clear(lt_reader_labels *l) {
  free(l->bits);
  memset(l, 0, sizeof *l);
}
