/* render/lt-measure.h — the distance measurement drawn over a slice: its length in millimetres
 * between two voxel-index points through the volume's geometry (spacing and direction, so
 * anisotropic voxels measure right), the label the view shows ("12.3 mm"), and whether a
 * measurement belongs to the slice a view shows (it is drawn on the slice it was made on only).
 * Pure arithmetic: the renderer draws the line and the label (lt_render_opts.measure_*), the
 * GTK view collects the clicks. */
#ifndef LT_MEASURE_H
#define LT_MEASURE_H

#include <stddef.h>

#include "ct/volume.h"
#include "lt-view.h"

/* Euclidean distance in mm between voxel indices A and B (continuous) of geometry G. */
double lt_measure_length_mm(const lt_geometry *g, const double a[3], const double b[3]);
/* "%.1f mm" into BUF (at least 16 bytes are enough for any length under 10 m). */
void lt_measure_label(char *buf, size_t n, double mm);
/* 1 when both points lie within half a voxel of the slice VIEW shows, else 0. */
int lt_measure_on_slice(const lt_view *view, const lt_geometry *g, const double a[3],
                        const double b[3]);

#endif
