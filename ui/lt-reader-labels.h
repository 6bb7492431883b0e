/* ui/lt-reader-labels.h — packs the LIDC readers' marks and each nodule's 50% consensus into
 * one label grid for render/ (lt_gpu_scene_set_labels): bit r = reader r (readers past the 7th
 * share bit 6), bit 7 = consensus, over the union box of the outlined marks grown by one voxel
 * on every side within the volume (same spacing and direction as the volume; the empty rim keeps
 * a consensus resampled from this grid equal to one resampled from the whole volume). Plain C
 * (no GTK): the loader thread calls it. */
#ifndef LT_READER_LABELS_H
#define LT_READER_LABELS_H

#include <stdint.h>

#include "ct/nodules.h"
#include "ct/volume.h"
#include "lt-error.h"

#define LT_LABEL_CONSENSUS_BIT 7

typedef struct {
  uint8_t *bits;     /* lt_geometry_count(&geom) bytes; NULL when no mark is outlined */
  lt_geometry geom;  /* the box's grid */
  int n_readers;
} lt_reader_labels;

/* 0, or -1 (err) when out of memory. */
int lt_reader_labels_build(const lt_nodule_set *set, const lt_geometry *vol,
                           lt_reader_labels *out, lt_error *err);
void lt_reader_labels_clear(lt_reader_labels *l);

#endif
