/* render/lt-view.c — see lt-view.h. */
#include "lt-view.h"

#include <math.h>

/* Patient axes shown along screen x, screen y and through the plane, with the sign of the
 * patient direction that increases along screen x / y. LPS: 0 = L, 1 = P, 2 = S. */
static const int plane_axes[3][3] = {{0, 1, 2}, {0, 2, 1}, {1, 2, 0}};
static const int plane_sign[3][2] = {{+1, +1}, {+1, -1}, {+1, -1}};

/* The voxel axis nearest to patient axis R, and the sign of its projection. */
static void nearest_voxel_axis(const lt_geometry *g, int r, int *axis, int *sign) {
  int best = 0;
  double bv = 0;
  for (int c = 0; c < 3; c++) {
    double a = fabs(g->dir[3 * r + c]);
    if (a > bv) {
      bv = a;
      best = c;
    }
  }
  *axis = best;
  *sign = g->dir[3 * r + best] < 0 ? -1 : 1;
}

/* Voxel axes for the three patient axes; when the direction matrix is oblique enough that two
 * patient axes pick the same voxel axis, fall back to the identity assignment. */
static void axis_map(const lt_geometry *g, int axis[3], int sign[3]) {
  for (int r = 0; r < 3; r++) nearest_voxel_axis(g, r, &axis[r], &sign[r]);
  if (axis[0] == axis[1] || axis[0] == axis[2] || axis[1] == axis[2]) {
    for (int r = 0; r < 3; r++) {
      axis[r] = r;
      sign[r] = g->dir[4 * r] < 0 ? -1 : 1;
    }
  }
}

void lt_view_frame_compute(lt_view_frame *f, const lt_view *v, const lt_geometry *g) {
  int axis[3], sign[3];
  axis_map(g, axis, sign);
  int p = (int)v->plane;
  if (p < 0 || p > 2) p = 0;
  int ph = plane_axes[p][0], pv = plane_axes[p][1], pn = plane_axes[p][2];
  f->axis_h = axis[ph];
  f->axis_v = axis[pv];
  f->axis_n = axis[pn];
  f->flip_h = sign[ph] * plane_sign[p][0] < 0;
  f->flip_v = sign[pv] * plane_sign[p][1] < 0;
  double sh = g->spacing[f->axis_h], sv = g->spacing[f->axis_v];
  int nh = g->dim[f->axis_h], nv = g->dim[f->axis_v];
  double w = v->width > 0 ? v->width : 1, h = v->height > 0 ? v->height : 1;
  double fit = fmin(w / (nh * sh), h / (nv * sv));
  double zoom = v->zoom > 0 ? v->zoom : 1;
  double s = fit * zoom;
  f->px_per_mm = s;
  for (int a = 0; a < 3; a++) f->o[a] = f->dx[a] = f->dy[a] = 0;
  /* index = c + sg * ((px - W/2) / s - pan) / spacing */
  double sgh = f->flip_h ? -1 : 1, sgv = f->flip_v ? -1 : 1;
  f->dx[f->axis_h] = sgh / (s * sh);
  f->o[f->axis_h] = (nh - 1) * 0.5 + sgh * (-0.5 * w / s - v->pan[0]) / sh;
  f->dy[f->axis_v] = sgv / (s * sv);
  f->o[f->axis_v] = (nv - 1) * 0.5 + sgv * (-0.5 * h / s - v->pan[1]) / sv;
  f->o[f->axis_n] = v->slice;
}

int lt_view_slice_count(const lt_view *v, const lt_geometry *g) {
  lt_view_frame f;
  lt_view_frame_compute(&f, v, g);
  return g->dim[f.axis_n];
}

void lt_view_init(lt_view *v, lt_plane plane, const lt_geometry *g, int width, int height) {
  v->plane = plane;
  v->width = width;
  v->height = height;
  v->zoom = 1;
  v->pan[0] = v->pan[1] = 0;
  v->slice = 0;
  v->slice = (lt_view_slice_count(v, g) - 1) / 2;
}

void lt_view_screen_to_voxel(const lt_view *v, const lt_geometry *g, double px, double py,
                             double ijk[3]) {
  lt_view_frame f;
  lt_view_frame_compute(&f, v, g);
  for (int a = 0; a < 3; a++) ijk[a] = f.o[a] + px * f.dx[a] + py * f.dy[a];
}

int lt_view_voxel_to_screen(const lt_view *v, const lt_geometry *g, const double ijk[3],
                            double *px, double *py) {
  lt_view_frame f;
  lt_view_frame_compute(&f, v, g);
  *px = (ijk[f.axis_h] - f.o[f.axis_h]) / f.dx[f.axis_h];
  *py = (ijk[f.axis_v] - f.o[f.axis_v]) / f.dy[f.axis_v];
  return *px >= 0 && *py >= 0 && *px < v->width && *py < v->height;
}

void lt_view_screen_to_mm(const lt_view *v, const lt_geometry *g, double px, double py,
                          double mm[3]) {
  double ijk[3];
  lt_view_screen_to_voxel(v, g, px, py, ijk);
  lt_geometry_voxel_to_mm(g, ijk, mm);
}

int lt_view_mm_to_screen(const lt_view *v, const lt_geometry *g, const double mm[3], double *px,
                         double *py) {
  double ijk[3];
  lt_geometry_mm_to_voxel(g, mm, ijk);
  return lt_view_voxel_to_screen(v, g, ijk, px, py);
}

void lt_view_zoom_at(lt_view *v, const lt_geometry *g, double factor, double px, double py) {
  if (!(factor > 0)) return;
  lt_view_frame f;
  lt_view_frame_compute(&f, v, g);
  /* display mm of the point relative to the view centre, before and after */
  double s0 = f.px_per_mm;
  double z = v->zoom * factor;
  if (z < 0.05) z = 0.05;
  if (z > 64) z = 64;
  double s1 = s0 * z / v->zoom;
  double cx = 0.5 * v->width, cy = 0.5 * v->height;
  /* u = (px - cx)/s - pan must stay the same */
  v->pan[0] = (px - cx) / s1 - ((px - cx) / s0 - v->pan[0]);
  v->pan[1] = (py - cy) / s1 - ((py - cy) / s0 - v->pan[1]);
  v->zoom = z;
}

void lt_view_set_slice_from_voxel(lt_view *v, const lt_geometry *g, const double ijk[3]) {
  lt_view_frame f;
  lt_view_frame_compute(&f, v, g);
  double s = ijk[f.axis_n];
  double n = g->dim[f.axis_n];
  if (s < 0) s = 0;
  if (s > n - 1) s = n - 1;
  v->slice = s;
}

void lt_view_letters(lt_plane plane, char out[4]) {
  static const char letters[3][4] = {{'R', 'L', 'A', 'P'}, {'R', 'L', 'S', 'I'},
                                     {'A', 'P', 'S', 'I'}};
  int p = (int)plane;
  if (p < 0 || p > 2) p = 0;
  for (int i = 0; i < 4; i++) out[i] = letters[p][i];
}
