/* render/lt-view.h — where a slice lands on the screen: plane, zoom, pan and the mapping
 * screen pixel <-> voxel index (<-> mm through lt_geometry_voxel_to_mm).
 * Planes are defined in patient axes (LPS), radiological convention: axial shows patient
 * right on the screen's left and anterior at the top; coronal right on the left, superior at
 * the top; sagittal anterior on the left, superior at the top. Each screen axis follows the
 * voxel axis nearest to that patient axis, so one voxel is sampled per (px, py) and physical
 * aspect is kept (square screen pixels = square millimetres).
 * Screen coordinates: origin at the top-left corner, y downwards; pixel (x, y) covers
 * [x, x+1) x [y, y+1), its centre is (x + 0.5, y + 0.5). Voxel indices are continuous with
 * voxel centres at integers (as in volume.h). Pure arithmetic: no GL, no GTK. */
#ifndef LT_VIEW_H
#define LT_VIEW_H

#include "ct/volume.h"

typedef enum { LT_PLANE_AXIAL = 0, LT_PLANE_CORONAL = 1, LT_PLANE_SAGITTAL = 2 } lt_plane;

typedef struct {
  lt_plane plane;
  int width, height; /* viewport, pixels */
  double zoom;       /* 1 = the whole slice fits the viewport */
  double pan[2];     /* mm: the image is moved this much right and down from centred */
  double slice;      /* index along the voxel axis through the plane (lt_view_frame.axis_n) */
} lt_view;

/* The affine map of one view: ijk = o + px * dx + py * dy (continuous screen coordinates). */
typedef struct {
  int axis_h, axis_v, axis_n; /* voxel axis along screen x, along screen y, through the plane */
  int flip_h, flip_v;         /* 1 when that voxel index decreases rightwards / downwards */
  double px_per_mm;
  double o[3], dx[3], dy[3];
} lt_view_frame;

/* A view of PLANE with zoom 1, no pan, the middle slice. */
void lt_view_init(lt_view *v, lt_plane plane, const lt_geometry *g, int width, int height);
void lt_view_frame_compute(lt_view_frame *f, const lt_view *v, const lt_geometry *g);
/* Number of slices along the plane's normal axis. */
int lt_view_slice_count(const lt_view *v, const lt_geometry *g);

void lt_view_screen_to_voxel(const lt_view *v, const lt_geometry *g, double px, double py,
                             double ijk[3]);
/* Returns 1 when the point lies inside the viewport (its slice coordinate is ignored). */
int lt_view_voxel_to_screen(const lt_view *v, const lt_geometry *g, const double ijk[3],
                            double *px, double *py);
void lt_view_screen_to_mm(const lt_view *v, const lt_geometry *g, double px, double py,
                          double mm[3]);
int lt_view_mm_to_screen(const lt_view *v, const lt_geometry *g, const double mm[3], double *px,
                         double *py);
/* Zoom by FACTOR keeping the point under screen (px, py) fixed. */
void lt_view_zoom_at(lt_view *v, const lt_geometry *g, double factor, double px, double py);
/* Moves the slice to the one containing IJK (used to follow a shared crosshair). */
void lt_view_set_slice_from_voxel(lt_view *v, const lt_geometry *g, const double ijk[3]);

/* Orientation letters at the left, right, top and bottom edges of the plane: 'R','L','A',...
 * out[4] = {left, right, top, bottom}. */
void lt_view_letters(lt_plane plane, char out[4]);

#endif
