/* render/lt-renderer.h — draws one slice view of an lt_gpu_scene into the currently bound
 * framebuffer: window/level greys, reader outlines (one colour each, dashed where asked, e.g.
 * the consensus), the model segmentation's outline (adjustable width), the Grad-CAM heatmap
 * (inferno, opacity, threshold, only inside its box, box outlined, colour bar 0..1), and a HUD:
 * crosshair, scale bar, orientation letters, corner text, a distance measurement (lt-measure.h).
 * The caller owns the GL context (a GtkGLArea, an EGL pbuffer-less context in tests) and makes
 * it current; a renderer belongs to that context (programs and vertex arrays are not shared).
 * Knows nothing of GTK. */
#ifndef LT_RENDERER_H
#define LT_RENDERER_H

#include "lt-error.h"
#include "lt-gpu-scene.h"
#include "lt-view.h"

#define LT_RENDER_LABELS 8

typedef struct {
  double window, level; /* HU */
  int invert;
  int linear;          /* 1: trilinear sampling of the CT; 0: nearest voxel */
  int labels_mask;     /* label bits drawn (bit r = layer r of the label grid) */
  int labels_dashed;   /* of those, the bits drawn dashed (the consensus) */
  float label_rgba[LT_RENDER_LABELS][4];
  float label_width;   /* outline width, screen pixels */
  int seg_on;
  float seg_rgba[4];
  float seg_width;
  int heat_on;
  float heat_opacity, heat_threshold;
  int heat_box;        /* outline the heatmap's box */
  float heat_box_rgba[4];
  int colorbar;        /* the 0..1 colour bar when the heatmap is on */
  int crosshair;
  double crosshair_ijk[3]; /* voxel index in the volume grid */
  float crosshair_rgba[4];
  int crosshair_gap;   /* pixels left open around the point */
  int scalebar;
  int letters;
  int measure_n;            /* distance measurement: 0 none, 1 first end only, 2 a line */
  double measure_ijk[2][3]; /* its ends, voxel index; drawn on its own slice only */
  float measure_rgba[4];    /* line, end marks and the length label ("12.3 mm") */
  int text_scale;      /* font pixel size of HUD text */
  const char *text;    /* drawn at the top-left corner ('\n' separates lines), may be NULL */
} lt_render_opts;

/* Lung window, linear sampling, every overlay on, distinct reader colours (bit 7 dashed), the
 * model outline 2 px, heatmap opacity 0.4 and threshold 0.2 with its box and colour bar,
 * crosshair, scale bar and letters. */
void lt_render_opts_default(lt_render_opts *o);

typedef struct lt_renderer lt_renderer;

/* Compiles the programs, makes the font and colormap textures. NULL (err) when the context is
 * not GL 3.3 core or a shader fails. */
lt_renderer *lt_renderer_new(lt_error *err);
/* With the renderer's context current. */
void lt_renderer_free(lt_renderer *r);
/* Draws VIEW (its width x height is the viewport, from (0, 0) of the bound framebuffer). With no
 * volume in the scene the view is cleared to black. */
void lt_renderer_draw(lt_renderer *r, const lt_gpu_scene *s, const lt_view *view,
                      const lt_render_opts *o);

/* The scale bar's length in mm for PX_PER_MM (1, 2 or 5 x 10^k, about a fifth of WIDTH). */
double lt_render_scalebar_mm(double px_per_mm, int width);

#endif
