/* render/lt-measure.c — see lt-measure.h. */
#include "lt-measure.h"

#include <math.h>
#include <stdio.h>

double lt_measure_length_mm(const lt_geometry *g, const double a[3], const double b[3]) {
  double ma[3], mb[3];
  lt_geometry_voxel_to_mm(g, a, ma);
  lt_geometry_voxel_to_mm(g, b, mb);
  return sqrt((ma[0] - mb[0]) * (ma[0] - mb[0]) + (ma[1] - mb[1]) * (ma[1] - mb[1]) +
              (ma[2] - mb[2]) * (ma[2] - mb[2]));
}

void lt_measure_label(char *buf, size_t n, double mm) { snprintf(buf, n, "%.1f mm", mm); }

int lt_measure_on_slice(const lt_view *view, const lt_geometry *g, const double a[3],
                        const double b[3]) {
  lt_view_frame f;
  lt_view_frame_compute(&f, view, g);
  return fabs(a[f.axis_n] - view->slice) <= 0.5 && fabs(b[f.axis_n] - view->slice) <= 0.5;
}
