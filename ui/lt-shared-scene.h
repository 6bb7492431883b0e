/* ui/lt-shared-scene.h — one set of study textures for all slice views of a window. GTK 4's GL
 * contexts of one display share objects (GtkGLArea hands its texture to GSK), so the volume and
 * the overlays are uploaded once, by whichever view draws first, and deleted when the last view
 * unrealizes. Holds borrowed pointers to the window's data; no GTK types, called with a view's
 * context current. */
#ifndef LT_SHARED_SCENE_H
#define LT_SHARED_SCENE_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-gpu-scene.h"

typedef struct {
  lt_gpu_scene scene;
  const lt_volume *vol;
  const uint8_t *labels;
  lt_geometry labels_geom;
  const uint8_t *seg;  /* the model's mask on its own grid (seg_geom), NULL when none */
  const float *heat;   /* Grad-CAM in [0, 1] on the same grid, NULL when none */
  lt_geometry seg_geom;
  unsigned want, have; /* generation of the data set / uploaded */
  unsigned want_ov, have_ov; /* the same for seg and heat alone */
  int n_users;         /* realized views */
  char error[256];     /* the last upload's error, "" if none */
} lt_shared_scene;

/* Main loop: what the views should show from now on (borrowed; NULL = nothing). */
void lt_shared_scene_set(lt_shared_scene *s, const lt_volume *vol, const uint8_t *labels,
                         const lt_geometry *labels_geom);
/* Main loop: the model's outline and heatmap (borrowed; NULL clears both). */
void lt_shared_scene_set_result(lt_shared_scene *s, const uint8_t *seg, const float *heat,
                                const lt_geometry *g);
/* A view's context is current: uploads when the data changed. 0, or -1 with s->error. */
int lt_shared_scene_sync(lt_shared_scene *s);
void lt_shared_scene_user_add(lt_shared_scene *s);
/* The last user (context current) deletes the textures. */
void lt_shared_scene_user_remove(lt_shared_scene *s);

#endif
