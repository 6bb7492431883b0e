/* ui/lt-slice-view.h — LtSliceView: one plane (axial, coronal or sagittal) of the open study in
 * a GtkGLArea drawn by render/. It shows state and turns mouse and keys into view changes:
 * wheel / Up / Down / PageUp / PageDown / Home / End scroll slices, left drag window/level
 * (a left click moves the shared crosshair), right drag or Ctrl+wheel zoom, middle drag or
 * Shift+left drag pan, keys 1-4 presets, I invert, +/- zoom, F fit, R reset; C readers'
 * outlines, S model outline, G Grad-CAM on/off, [ ] Grad-CAM opacity; a double-click, M or
 * Enter asks the window to maximise this plane (or to restore the three). In measure mode
 * (set by the window) two left clicks draw a distance with its length in mm (lt-measure.h);
 * Escape asks the window ("win.measure-clear") to clear it. A right click without motion opens a
 * menu: "Analyse Here" (signal "analyse-at" with the voxel) and "Measure From Here" (the first
 * end there, and "win.measure" toggled on).
 * It does not load files: the window hands it a volume. Signals tell the window what changed so
 * the three planes stay in step. */
#ifndef LT_SLICE_VIEW_H
#define LT_SLICE_VIEW_H

#include <gtk/gtk.h>

#include "ct/volume.h"
#include "lt-shared-scene.h"
#include "lt-view.h"

G_BEGIN_DECLS

#define LT_TYPE_SLICE_VIEW (lt_slice_view_get_type())
G_DECLARE_FINAL_TYPE(LtSliceView, lt_slice_view, LT, SLICE_VIEW, GtkWidget)

GtkWidget *lt_slice_view_new(lt_plane plane);
void lt_slice_view_set_plane(LtSliceView *self, lt_plane plane);
lt_plane lt_slice_view_get_plane(LtSliceView *self);
/* The volume shown, for geometry and HU under the pointer (borrowed: the caller keeps it alive
 * until it sets another or NULL). */
void lt_slice_view_set_volume(LtSliceView *self, const lt_volume *vol);
/* The textures this view draws (shared by the window's views); set before the view is
 * realized. The volume given to lt_slice_view_set_volume must be the one in SHARED. */
void lt_slice_view_set_shared(LtSliceView *self, lt_shared_scene *shared);
/* Moves the crosshair (voxel index) and this plane's slice to it. */
void lt_slice_view_set_crosshair(LtSliceView *self, const double ijk[3]);
void lt_slice_view_set_window(LtSliceView *self, double width, double level, gboolean invert);
/* Which overlays are drawn (the window keeps its views in step through "overlays-changed"). */
void lt_slice_view_set_overlays(LtSliceView *self, gboolean readers, gboolean seg, gboolean heat,
                                double heat_opacity);
void lt_slice_view_get_window(LtSliceView *self, double *width, double *level, gboolean *invert);
/* The current view (plane, size, zoom, pan, slice) for mapping screen <-> voxel. */
const lt_view *lt_slice_view_get_view(LtSliceView *self);
/* Measure mode: left clicks set the ends of a distance instead of the crosshair. Switching it
 * off drops a half-made measurement; a finished one stays until cleared. */
void lt_slice_view_set_measuring(LtSliceView *self, gboolean on);
void lt_slice_view_clear_measure(LtSliceView *self);
/* 1 and the ends (voxel index) when a finished measurement is shown, else 0. */
int lt_slice_view_get_measure(LtSliceView *self, double a[3], double b[3]);
/* NULL while nothing went wrong; else why GL or the upload failed (shown by the window). */
const char *lt_slice_view_get_gl_error(LtSliceView *self);

G_END_DECLS

#endif
