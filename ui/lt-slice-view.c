/* ui/lt-slice-view.c — see lt-slice-view.h. */
#include "lt-slice-view.h"

#include <glib/gi18n.h>
#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#include "lt-measure.h"
#include "lt-renderer.h"
#include "lt-window-level.h"

struct _LtSliceView {
  GtkWidget parent_instance;
  GtkGLArea *area;

  const lt_volume *vol;
  lt_shared_scene *shared; /* the window's textures */
  gboolean counted;        /* this view counts as a user of shared */
  lt_renderer *renderer;
  char *gl_error;

  lt_view view;
  lt_render_opts opts;
  double cross[3];
  double pointer[2]; /* last pointer position, widget coordinates */
  /* drag state */
  double drag_w0, drag_l0, drag_pan0[2], drag_zoom0, drag_x0, drag_y0;
  gboolean drag_pan;
  /* distance measurement (lt-measure.h): in measure mode left clicks set its two ends */
  gboolean measuring;
  int measure_n;          /* 0 none, 1 first end set (the pointer is the other), 2 done */
  double measure_ijk[2][3];
  gboolean pointer_in;
  /* the right-click menu and the voxel it was opened on */
  GtkWidget *menu;
  double menu_ijk[3];
};

G_DEFINE_FINAL_TYPE(LtSliceView, lt_slice_view, GTK_TYPE_WIDGET)

enum { SIG_CROSSHAIR, SIG_WINDOW, SIG_HOVER, SIG_OVERLAYS, SIG_MAXIMISE, SIG_ANALYSE_AT,
       N_SIGNALS };
static guint signals[N_SIGNALS];

static double scale_of(LtSliceView *self) {
  return (double)gtk_widget_get_scale_factor(GTK_WIDGET(self->area));
}

/* Keeps view.width/height equal to the GL area's framebuffer size. */
static void sync_size(LtSliceView *self) {
  double s = scale_of(self);
  self->view.width = (int)(gtk_widget_get_width(GTK_WIDGET(self->area)) * s);
  self->view.height = (int)(gtk_widget_get_height(GTK_WIDGET(self->area)) * s);
  if (self->view.width < 1) self->view.width = 1;
  if (self->view.height < 1) self->view.height = 1;
}

static void set_error(LtSliceView *self, const char *msg) {
  g_free(self->gl_error);
  self->gl_error = msg ? g_strdup(msg) : NULL;
}

static void on_realize(GtkGLArea *area, LtSliceView *self) {
  gtk_gl_area_make_current(area);
  if (gtk_gl_area_get_error(area)) {
    set_error(self, gtk_gl_area_get_error(area)->message);
    return;
  }
  lt_error err = {{0}};
  self->renderer = lt_renderer_new(&err);
  if (!self->renderer) set_error(self, err.msg);
  if (self->shared) {
    lt_shared_scene_user_add(self->shared);
    self->counted = TRUE;
  }
}

static void on_unrealize(GtkGLArea *area, LtSliceView *self) {
  gtk_gl_area_make_current(area);
  if (gtk_gl_area_get_error(area)) return;
  if (self->counted) lt_shared_scene_user_remove(self->shared);
  self->counted = FALSE;
  lt_renderer_free(self->renderer);
  self->renderer = NULL;
}

/* LUNGTRUST_REDRAW_TIMING set: every redraw ends with glFinish and logs its time (debug domain
 * lungtrust), for tests/bench/bench-gui-redraw.sh. Off by default: glFinish stalls the pipeline. */
static gboolean redraw_timing;

static gboolean on_render(GtkGLArea *area, GdkGLContext *ctx, LtSliceView *self) {
  (void)ctx;
  const gint64 t0 = redraw_timing ? g_get_monotonic_time() : 0;
  if (!self->renderer) {
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    return TRUE;
  }
  if (!self->shared) return TRUE;
  if (lt_shared_scene_sync(self->shared) != 0) set_error(self, self->shared->error);
  sync_size(self);
  char text[96] = "";
  if (self->vol) {
    int n = lt_view_slice_count(&self->view, &self->vol->geom);
    g_snprintf(text, sizeof text, "%d/%d\nW %.0f L %.0f%s", (int)lround(self->view.slice) + 1, n,
               self->opts.window, self->opts.level, self->opts.invert ? " INV" : "");
  }
  self->opts.text = text;
  self->opts.text_scale = scale_of(self) > 1 ? 3 : 2;
  memcpy(self->opts.crosshair_ijk, self->cross, sizeof self->cross);
  self->opts.measure_n = 0;
  if (self->vol && self->measure_n > 0) {
    memcpy(self->opts.measure_ijk, self->measure_ijk, sizeof self->measure_ijk);
    self->opts.measure_n = self->measure_n;
    if (self->measure_n == 1 && self->pointer_in) { /* a rubber band to the pointer */
      double s = scale_of(self);
      lt_view_screen_to_voxel(&self->view, &self->vol->geom, self->pointer[0] * s,
                              self->pointer[1] * s, self->opts.measure_ijk[1]);
      self->opts.measure_n = 2;
    }
  }
  lt_renderer_draw(self->renderer, &self->shared->scene, &self->view, &self->opts);
  self->opts.text = NULL;
  if (redraw_timing) {
    glFinish();
    static const char *const planes[3] = {"axial", "coronal", "sagittal"};
    g_debug("redraw %s %dx%d: %.3f ms", planes[self->view.plane % 3], self->view.width,
            self->view.height, (g_get_monotonic_time() - t0) / 1e3);
  }
  (void)area;
  return TRUE;
}

static void redraw(LtSliceView *self) { gtk_gl_area_queue_render(self->area); }

static void screen_voxel(LtSliceView *self, double x, double y, double ijk[3]) {
  sync_size(self);
  double s = scale_of(self);
  lt_view_screen_to_voxel(&self->view, &self->vol->geom, x * s, y * s, ijk);
}

static void hover_text(LtSliceView *self, double x, double y) {
  if (!self->vol) return;
  double ijk[3], mm[3];
  screen_voxel(self, x, y, ijk);
  lt_geometry_voxel_to_mm(&self->vol->geom, ijk, mm);
  const lt_geometry *g = &self->vol->geom;
  int v[3];
  gboolean in = TRUE;
  for (int a = 0; a < 3; a++) {
    v[a] = (int)lround(ijk[a]);
    if (v[a] < 0 || v[a] >= g->dim[a]) in = FALSE;
  }
  char *s;
  if (in) {
    int hu = self->vol->hu[v[0] + (size_t)g->dim[0] * (v[1] + (size_t)g->dim[1] * v[2])];
    s = g_strdup_printf("%d HU   (%.1f, %.1f, %.1f) mm LPS   voxel (%d, %d, %d)", hu, mm[0], mm[1],
                        mm[2], v[0], v[1], v[2]);
  } else {
    s = g_strdup("");
  }
  g_signal_emit(self, signals[SIG_HOVER], 0, s);
  g_free(s);
}

static void scroll_slices(LtSliceView *self, double delta) {
  if (!self->vol) return;
  int n = lt_view_slice_count(&self->view, &self->vol->geom);
  double s = round(self->view.slice + delta);
  if (s < 0) s = 0;
  if (s > n - 1) s = n - 1;
  if (s == self->view.slice) return;
  self->view.slice = s;
  /* the crosshair follows the slice so the other planes show where this one is */
  lt_view_frame f;
  lt_view_frame_compute(&f, &self->view, &self->vol->geom);
  double c[3] = {self->cross[0], self->cross[1], self->cross[2]};
  c[f.axis_n] = s;
  g_signal_emit(self, signals[SIG_CROSSHAIR], 0, c[0], c[1], c[2]);
  redraw(self);
}

static void zoom_at(LtSliceView *self, double factor, double x, double y) {
  if (!self->vol) return;
  sync_size(self);
  double s = scale_of(self);
  lt_view_zoom_at(&self->view, &self->vol->geom, factor, x * s, y * s);
  redraw(self);
}

static void emit_window(LtSliceView *self) {
  g_signal_emit(self, signals[SIG_WINDOW], 0, self->opts.window, self->opts.level,
                self->opts.invert);
}

static void emit_overlays(LtSliceView *self) {
  g_signal_emit(self, signals[SIG_OVERLAYS], 0, self->opts.labels_mask != 0, self->opts.seg_on,
                self->opts.heat_on, (double)self->opts.heat_opacity);
}

static gboolean on_scroll(GtkEventControllerScroll *c, double dx, double dy, LtSliceView *self) {
  (void)dx;
  GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(c));
  if (mods & GDK_CONTROL_MASK)
    zoom_at(self, dy < 0 ? 1.15 : 1 / 1.15, self->pointer[0], self->pointer[1]);
  else
    scroll_slices(self, dy > 0 ? 1 : dy < 0 ? -1 : 0);
  return TRUE;
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, LtSliceView *self) {
  (void)c;
  self->pointer[0] = x;
  self->pointer[1] = y;
  self->pointer_in = TRUE;
  hover_text(self, x, y);
  if (self->measuring && self->measure_n == 1) redraw(self);
}

static void on_leave(GtkEventControllerMotion *c, LtSliceView *self) {
  (void)c;
  self->pointer_in = FALSE;
  if (self->measure_n == 1) redraw(self);
}

static void popup_menu(LtSliceView *self, double ax, double ay, const double ijk[3]);

static gboolean on_key(GtkEventControllerKey *c, guint key, guint code, GdkModifierType mods,
                       LtSliceView *self) {
  (void)c;
  (void)code;
  if (!self->vol) return FALSE;
  int n = lt_view_slice_count(&self->view, &self->vol->geom);
  gboolean shift = (mods & GDK_SHIFT_MASK) != 0;
  double pan_mm = 20 / fmax(1e-6, self->view.zoom);
  switch (key) {
  case GDK_KEY_Up:
    if (shift) self->view.pan[1] -= pan_mm;
    else scroll_slices(self, 1);
    break;
  case GDK_KEY_Down:
    if (shift) self->view.pan[1] += pan_mm;
    else scroll_slices(self, -1);
    break;
  case GDK_KEY_Left:
    if (!shift) return FALSE;
    self->view.pan[0] -= pan_mm;
    break;
  case GDK_KEY_Right:
    if (!shift) return FALSE;
    self->view.pan[0] += pan_mm;
    break;
  case GDK_KEY_Page_Up: scroll_slices(self, 10); break;
  case GDK_KEY_Page_Down: scroll_slices(self, -10); break;
  case GDK_KEY_Home: scroll_slices(self, -n); break;
  case GDK_KEY_End: scroll_slices(self, n); break;
  case GDK_KEY_1: case GDK_KEY_2: case GDK_KEY_3: case GDK_KEY_4: {
    static const lt_wl_preset keys[4] = {LT_WL_LUNG, LT_WL_MEDIASTINUM, LT_WL_BONE,
                                         LT_WL_PAPER_LUNG};
    const lt_wl *wl = lt_wl_preset_get(keys[key - GDK_KEY_1]);
    self->opts.window = wl->width;
    self->opts.level = wl->level;
    emit_window(self);
    break;
  }
  case GDK_KEY_Return: case GDK_KEY_KP_Enter: /* M measures (ui.md); the window takes it */
    g_signal_emit(self, signals[SIG_MAXIMISE], 0);
    break;
  case GDK_KEY_c: case GDK_KEY_C:
    self->opts.labels_mask = self->opts.labels_mask ? 0 : 0xff;
    emit_overlays(self);
    break;
  case GDK_KEY_s: case GDK_KEY_S:
    self->opts.seg_on = !self->opts.seg_on;
    emit_overlays(self);
    break;
  case GDK_KEY_g: case GDK_KEY_G:
    self->opts.heat_on = !self->opts.heat_on;
    emit_overlays(self);
    break;
  case GDK_KEY_bracketleft: case GDK_KEY_bracketright:
    self->opts.heat_opacity += key == GDK_KEY_bracketleft ? -0.1f : 0.1f;
    self->opts.heat_opacity = fminf(1.0f, fmaxf(0.0f, self->opts.heat_opacity));
    emit_overlays(self);
    break;
  case GDK_KEY_i: case GDK_KEY_I:
    self->opts.invert = !self->opts.invert;
    emit_window(self);
    break;
  case GDK_KEY_plus: case GDK_KEY_KP_Add: case GDK_KEY_equal:
    zoom_at(self, 1.25, gtk_widget_get_width(GTK_WIDGET(self)) / 2.0,
            gtk_widget_get_height(GTK_WIDGET(self)) / 2.0);
    break;
  case GDK_KEY_minus: case GDK_KEY_KP_Subtract:
    zoom_at(self, 1 / 1.25, gtk_widget_get_width(GTK_WIDGET(self)) / 2.0,
            gtk_widget_get_height(GTK_WIDGET(self)) / 2.0);
    break;
  case GDK_KEY_Menu: case GDK_KEY_F10: { /* the right-click menu at the crosshair */
    if (key == GDK_KEY_F10 && !shift) return FALSE;
    double px, py, sc = scale_of(self);
    sync_size(self);
    lt_view_voxel_to_screen(&self->view, &self->vol->geom, self->cross, &px, &py);
    popup_menu(self, px / sc, py / sc, self->cross);
    return TRUE;
  }
  case GDK_KEY_Escape: /* the window clears every view's measurement and leaves measure mode */
    gtk_widget_activate_action(GTK_WIDGET(self), "win.measure-clear", NULL);
    return TRUE;
  case GDK_KEY_f: case GDK_KEY_F:
  case GDK_KEY_r: case GDK_KEY_R:
    self->view.zoom = 1;
    self->view.pan[0] = self->view.pan[1] = 0;
    break;
  default:
    return FALSE;
  }
  redraw(self);
  return TRUE;
}

/* left drag: window/level (Shift: pan); a left click without motion: crosshair */
static void on_left_begin(GtkGestureDrag *g, double x, double y, LtSliceView *self) {
  GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(g));
  self->drag_pan = (mods & GDK_SHIFT_MASK) != 0;
  self->drag_w0 = self->opts.window;
  self->drag_l0 = self->opts.level;
  self->drag_pan0[0] = self->view.pan[0];
  self->drag_pan0[1] = self->view.pan[1];
  self->drag_x0 = x;
  self->drag_y0 = y;
  gtk_widget_grab_focus(GTK_WIDGET(self->area));
}

static void pan_by(LtSliceView *self, double dx, double dy) {
  if (!self->vol) return;
  lt_view_frame f;
  sync_size(self);
  lt_view_frame_compute(&f, &self->view, &self->vol->geom);
  double s = scale_of(self);
  self->view.pan[0] = self->drag_pan0[0] + dx * s / f.px_per_mm;
  self->view.pan[1] = self->drag_pan0[1] + dy * s / f.px_per_mm;
  redraw(self);
}

static void on_left_update(GtkGestureDrag *g, double dx, double dy, LtSliceView *self) {
  (void)g;
  if (self->drag_pan) {
    pan_by(self, dx, dy);
    return;
  }
  self->opts.window = fmax(1, self->drag_w0 + 4 * dx);
  self->opts.level = self->drag_l0 + 4 * dy;
  emit_window(self);
  redraw(self);
}

/* Logs a finished measurement: its ends (voxel, window pixel) and length, for the GUI test. */
static void log_measure(LtSliceView *self) {
  const lt_view *v = &self->view;
  double w[2][2];
  for (int e = 0; e < 2; e++) {
    double px, py, s = scale_of(self), nx = 0, ny = 0;
    lt_view_voxel_to_screen(v, &self->vol->geom, self->measure_ijk[e], &px, &py);
    GtkNative *nat = gtk_widget_get_native(GTK_WIDGET(self));
    gtk_widget_translate_coordinates(GTK_WIDGET(self->area), GTK_WIDGET(nat), px / s, py / s,
                                     &w[e][0], &w[e][1]);
    gtk_native_get_surface_transform(nat, &nx, &ny);
    w[e][0] += nx;
    w[e][1] += ny;
  }
  const double *a = self->measure_ijk[0], *b = self->measure_ijk[1];
  char label[32];
  lt_measure_label(label, sizeof label, lt_measure_length_mm(&self->vol->geom, a, b));
  static const char *const names[3] = {"axial", "coronal", "sagittal"};
  g_message("measurement on the %s view: voxel (%.2f, %.2f, %.2f) to (%.2f, %.2f, %.2f), "
            "window pixels %.1f %.1f to %.1f %.1f, %.3f mm, label %s",
            names[v->plane % 3], a[0], a[1], a[2], b[0], b[1], b[2], w[0][0], w[0][1], w[1][0],
            w[1][1], lt_measure_length_mm(&self->vol->geom, a, b), label);
}

static void measure_click(LtSliceView *self, const double ijk[3]) {
  int e = self->measure_n == 1 ? 1 : 0; /* a third click starts a new measurement */
  memcpy(self->measure_ijk[e], ijk, sizeof self->measure_ijk[e]);
  self->measure_n = e + 1;
  if (self->measure_n == 2) log_measure(self);
  redraw(self);
}

static void on_left_end(GtkGestureDrag *g, double dx, double dy, LtSliceView *self) {
  (void)g;
  if (!self->vol || fabs(dx) + fabs(dy) > 3) return;
  double ijk[3];
  screen_voxel(self, self->drag_x0, self->drag_y0, ijk);
  if (self->measuring) {
    measure_click(self, ijk);
    return;
  }
  const lt_geometry *geo = &self->vol->geom;
  for (int a = 0; a < 3; a++) ijk[a] = fmin(fmax(ijk[a], 0), geo->dim[a] - 1);
  g_signal_emit(self, signals[SIG_CROSSHAIR], 0, ijk[0], ijk[1], ijk[2]);
}

static void on_middle_begin(GtkGestureDrag *g, double x, double y, LtSliceView *self) {
  (void)g;
  (void)x;
  (void)y;
  self->drag_pan0[0] = self->view.pan[0];
  self->drag_pan0[1] = self->view.pan[1];
}

static void on_middle_update(GtkGestureDrag *g, double dx, double dy, LtSliceView *self) {
  (void)g;
  pan_by(self, dx, dy);
}

static void on_right_begin(GtkGestureDrag *g, double x, double y, LtSliceView *self) {
  (void)g;
  self->drag_zoom0 = self->view.zoom;
  self->drag_x0 = x;
  self->drag_y0 = y;
}

static void on_right_update(GtkGestureDrag *g, double dx, double dy, LtSliceView *self) {
  (void)g;
  (void)dx;
  if (fabs(dx) + fabs(dy) <= 3) return; /* a click: the menu, no zoom */
  double target = self->drag_zoom0 * exp(-dy / 200.0);
  zoom_at(self, target / self->view.zoom, self->drag_x0, self->drag_y0);
}

/* The context menu at (ax, ay) of the GL area, for voxel IJK. */
static void popup_menu(LtSliceView *self, double ax, double ay, const double ijk[3]) {
  memcpy(self->menu_ijk, ijk, sizeof self->menu_ijk);
  double x = 0, y = 0;
  gtk_widget_translate_coordinates(GTK_WIDGET(self->area), GTK_WIDGET(self), ax, ay, &x, &y);
  gtk_popover_set_pointing_to(GTK_POPOVER(self->menu), &(GdkRectangle){(int)x, (int)y, 1, 1});
  g_message("context menu at voxel (%.1f, %.1f, %.1f)", self->menu_ijk[0], self->menu_ijk[1],
            self->menu_ijk[2]);
  gtk_popover_popup(GTK_POPOVER(self->menu));
}

/* A right click without motion: the menu at that point. */
static void on_right_end(GtkGestureDrag *g, double dx, double dy, LtSliceView *self) {
  (void)g;
  if (!self->vol || fabs(dx) + fabs(dy) > 3) return;
  double ijk[3];
  screen_voxel(self, self->drag_x0, self->drag_y0, ijk);
  popup_menu(self, self->drag_x0, self->drag_y0, ijk);
}

static void menu_action(GtkWidget *w, const char *name, GVariant *param) {
  (void)param;
  LtSliceView *self = LT_SLICE_VIEW(w);
  if (!self->vol) return;
  const lt_geometry *g = &self->vol->geom;
  double ijk[3];
  for (int a = 0; a < 3; a++) ijk[a] = fmin(fmax(self->menu_ijk[a], 0), g->dim[a] - 1);
  if (strcmp(name, "view.analyse-here") == 0) {
    g_signal_emit(self, signals[SIG_ANALYSE_AT], 0, ijk[0], ijk[1], ijk[2]);
  } else { /* measure from here: the first end; measure mode on for the second click */
    memcpy(self->measure_ijk[0], self->menu_ijk, sizeof self->measure_ijk[0]);
    self->measure_n = 1;
    if (!self->measuring) gtk_widget_activate_action(w, "win.measure", NULL);
    self->measuring = TRUE;
    redraw(self);
  }
}

static void on_double_click(GtkGestureClick *g, int n, double x, double y, LtSliceView *self) {
  (void)g;
  (void)x;
  (void)y;
  if (n == 2) g_signal_emit(self, signals[SIG_MAXIMISE], 0);
}

static GtkGesture *drag_for(LtSliceView *self, guint button, GCallback begin, GCallback update,
                            GCallback end) {
  GtkGesture *g = gtk_gesture_drag_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(g), button);
  g_signal_connect(g, "drag-begin", begin, self);
  g_signal_connect(g, "drag-update", update, self);
  if (end) g_signal_connect(g, "drag-end", end, self);
  gtk_widget_add_controller(GTK_WIDGET(self->area), GTK_EVENT_CONTROLLER(g));
  return g;
}

/* A style change (light / dark) restyles the window: draw the slice again once it has. */
static gboolean redraw_later(gpointer data) {
  LtSliceView *self = data;
  redraw(self);
  g_object_unref(self);
  return G_SOURCE_REMOVE;
}

static void on_style(GtkSettings *gs, GParamSpec *pspec, LtSliceView *self) {
  (void)gs;
  (void)pspec;
  g_idle_add(redraw_later, g_object_ref(self));
}

static void lt_slice_view_dispose(GObject *obj) {
  LtSliceView *self = LT_SLICE_VIEW(obj);
  g_clear_pointer(&self->menu, gtk_widget_unparent);
  gtk_widget_dispose_template(GTK_WIDGET(self), LT_TYPE_SLICE_VIEW);
  g_clear_pointer(&self->gl_error, g_free);
  G_OBJECT_CLASS(lt_slice_view_parent_class)->dispose(obj);
}

static void lt_slice_view_class_init(LtSliceViewClass *klass) {
  redraw_timing = g_getenv("LUNGTRUST_REDRAW_TIMING") != NULL;
  GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
  G_OBJECT_CLASS(klass)->dispose = lt_slice_view_dispose;
  gtk_widget_class_set_template_from_resource(wc, "/org/lungtrust/LungTrust/ui/lt-slice-view.ui");
  gtk_widget_class_bind_template_child(wc, LtSliceView, area);
  gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role(wc, GTK_ACCESSIBLE_ROLE_IMG);
  signals[SIG_CROSSHAIR] = g_signal_new("crosshair-changed", G_TYPE_FROM_CLASS(klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  signals[SIG_WINDOW] = g_signal_new("window-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_DOUBLE,
                                     G_TYPE_DOUBLE, G_TYPE_BOOLEAN);
  signals[SIG_OVERLAYS] = g_signal_new("overlays-changed", G_TYPE_FROM_CLASS(klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                                       G_TYPE_BOOLEAN, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN,
                                       G_TYPE_DOUBLE);
  signals[SIG_MAXIMISE] = g_signal_new("maximise-toggled", G_TYPE_FROM_CLASS(klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIG_ANALYSE_AT] = g_signal_new("analyse-at", G_TYPE_FROM_CLASS(klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                         G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  gtk_widget_class_install_action(wc, "view.analyse-here", NULL, menu_action);
  gtk_widget_class_install_action(wc, "view.measure-from-here", NULL, menu_action);
  signals[SIG_HOVER] = g_signal_new("hover", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                    NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void lt_slice_view_init(LtSliceView *self) {
  gtk_widget_init_template(GTK_WIDGET(self));
  lt_render_opts_default(&self->opts);
  self->view.plane = LT_PLANE_AXIAL;
  self->view.zoom = 1;
  gtk_gl_area_set_required_version(self->area, 3, 3);
  gtk_gl_area_set_has_depth_buffer(self->area, FALSE);
  g_signal_connect(self->area, "realize", G_CALLBACK(on_realize), self);
  g_signal_connect(self->area, "unrealize", G_CALLBACK(on_unrealize), self);
  g_signal_connect(self->area, "render", G_CALLBACK(on_render), self);
  g_signal_connect_object(gtk_settings_get_default(), "notify::gtk-application-prefer-dark-theme",
                          G_CALLBACK(on_style), self, 0);

  GtkEventController *sc = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
                                                           GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
  g_signal_connect(sc, "scroll", G_CALLBACK(on_scroll), self);
  gtk_widget_add_controller(GTK_WIDGET(self->area), sc);
  GtkEventController *mc = gtk_event_controller_motion_new();
  g_signal_connect(mc, "motion", G_CALLBACK(on_motion), self);
  g_signal_connect(mc, "leave", G_CALLBACK(on_leave), self);
  gtk_widget_add_controller(GTK_WIDGET(self->area), mc);
  GtkEventController *kc = gtk_event_controller_key_new();
  g_signal_connect(kc, "key-pressed", G_CALLBACK(on_key), self);
  gtk_widget_add_controller(GTK_WIDGET(self->area), kc);
  drag_for(self, GDK_BUTTON_PRIMARY, G_CALLBACK(on_left_begin), G_CALLBACK(on_left_update),
           G_CALLBACK(on_left_end));
  GtkGesture *dc = gtk_gesture_click_new();
  gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(dc), GDK_BUTTON_PRIMARY);
  g_signal_connect(dc, "pressed", G_CALLBACK(on_double_click), self);
  gtk_widget_add_controller(GTK_WIDGET(self->area), GTK_EVENT_CONTROLLER(dc));
  drag_for(self, GDK_BUTTON_MIDDLE, G_CALLBACK(on_middle_begin), G_CALLBACK(on_middle_update),
           NULL);
  drag_for(self, GDK_BUTTON_SECONDARY, G_CALLBACK(on_right_begin), G_CALLBACK(on_right_update),
           G_CALLBACK(on_right_end));
  GMenu *m = g_menu_new();
  g_menu_append(m, _("_Analyse Here"), "view.analyse-here");
  g_menu_append(m, _("_Measure From Here"), "view.measure-from-here");
  self->menu = gtk_popover_menu_new_from_model(G_MENU_MODEL(m));
  g_object_unref(m);
  gtk_popover_set_has_arrow(GTK_POPOVER(self->menu), FALSE);
  gtk_widget_set_halign(self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent(self->menu, GTK_WIDGET(self));
}

GtkWidget *lt_slice_view_new(lt_plane plane) {
  LtSliceView *self = g_object_new(LT_TYPE_SLICE_VIEW, NULL);
  lt_slice_view_set_plane(self, plane);
  return GTK_WIDGET(self);
}

void lt_slice_view_set_plane(LtSliceView *self, lt_plane plane) {
  self->view.plane = plane;
  static const char *const names[3] = {N_("Axial slice"), N_("Coronal slice"),
                                       N_("Sagittal slice")};
  gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                 _(names[(int)plane % 3]), -1);
  if (self->vol) lt_view_init(&self->view, plane, &self->vol->geom, 1, 1);
  redraw(self);
}

lt_plane lt_slice_view_get_plane(LtSliceView *self) { return self->view.plane; }

void lt_slice_view_set_shared(LtSliceView *self, lt_shared_scene *shared) {
  g_return_if_fail(!gtk_widget_get_realized(GTK_WIDGET(self->area)));
  self->shared = shared;
}

void lt_slice_view_set_volume(LtSliceView *self, const lt_volume *vol) {
  self->vol = vol;
  self->measure_n = 0;
  if (vol) {
    lt_view_init(&self->view, self->view.plane, &vol->geom, 1, 1);
    for (int a = 0; a < 3; a++) self->cross[a] = (vol->geom.dim[a] - 1) / 2;
  }
  redraw(self);
}

void lt_slice_view_set_crosshair(LtSliceView *self, const double ijk[3]) {
  memcpy(self->cross, ijk, sizeof self->cross);
  if (self->vol) {
    lt_view_set_slice_from_voxel(&self->view, &self->vol->geom, ijk);
    self->view.slice = round(self->view.slice);
  }
  redraw(self);
}

void lt_slice_view_set_window(LtSliceView *self, double width, double level, gboolean invert) {
  self->opts.window = width;
  self->opts.level = level;
  self->opts.invert = invert;
  redraw(self);
}

void lt_slice_view_set_overlays(LtSliceView *self, gboolean readers, gboolean seg, gboolean heat,
                                double heat_opacity) {
  self->opts.labels_mask = readers ? 0xff : 0;
  self->opts.seg_on = seg;
  self->opts.heat_on = heat;
  self->opts.heat_opacity = (float)heat_opacity;
  redraw(self);
}

void lt_slice_view_get_window(LtSliceView *self, double *width, double *level, gboolean *invert) {
  *width = self->opts.window;
  *level = self->opts.level;
  *invert = self->opts.invert;
}

const lt_view *lt_slice_view_get_view(LtSliceView *self) {
  sync_size(self);
  return &self->view;
}

const char *lt_slice_view_get_gl_error(LtSliceView *self) { return self->gl_error; }

void lt_slice_view_set_measuring(LtSliceView *self, gboolean on) {
  if (!on && self->measure_n == 1) self->measure_n = 0; /* a half-made measurement goes */
  self->measuring = on;
  gtk_widget_set_cursor_from_name(GTK_WIDGET(self->area), on ? "crosshair" : NULL);
  redraw(self);
}

void lt_slice_view_clear_measure(LtSliceView *self) {
  self->measure_n = 0;
  redraw(self);
}

int lt_slice_view_get_measure(LtSliceView *self, double a[3], double b[3]) {
  if (self->measure_n < 2) return 0;
  memcpy(a, self->measure_ijk[0], sizeof self->measure_ijk[0]);
  memcpy(b, self->measure_ijk[1], sizeof self->measure_ijk[1]);
  return 1;
}
