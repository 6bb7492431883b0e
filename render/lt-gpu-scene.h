/* render/lt-gpu-scene.h — the textures of one study on the GPU: the CT volume and the voxel
 * overlays, each on its own grid (lt_geometry), so a reader-mask sub-box or a 64^3 patch at
 * 0.5 mm is uploaded as it is and placed by its millimetres.
 * Formats: the volume is GL_R16_SNORM holding the int16 HU values unchanged (the shader reads
 * value * 32767): exact HU, 2 bytes a voxel (R32F would double the memory of a 512^2 x 300
 * study to 300 MB for nothing), and, unlike R16I, filterable, so zoomed views can
 * interpolate linearly. Labels are GL_R8UI bit sets (bit r = reader r, up to 8 layers, e.g.
 * 4 readers + consensus); the model segmentation is GL_R8UI 0/1; the Grad-CAM heatmap GL_R32F.
 * Texture objects may be used from every context that shares objects with the one that made
 * them (GTK's GL areas of one window do). Needs a current context; no GTK. */
#ifndef LT_GPU_SCENE_H
#define LT_GPU_SCENE_H

#include <stdint.h>

#include "ct/volume.h"
#include "lt-error.h"

typedef struct {
  unsigned tex;
  unsigned serial; /* changes with every upload (texture names can be reused) */
  lt_geometry geom;
} lt_gpu_grid;

typedef struct {
  lt_gpu_grid volume; /* tex == 0 while no volume */
  lt_gpu_grid labels;
  lt_gpu_grid seg;
  lt_gpu_grid heat;
} lt_gpu_scene;

/* Each upload replaces what was there. 0 on success, -1 (err) when the grid is larger than the
 * GL implementation's 3D texture limit or GL runs out of memory. */
int lt_gpu_scene_set_volume(lt_gpu_scene *s, const lt_volume *v, lt_error *err);
int lt_gpu_scene_set_labels(lt_gpu_scene *s, const uint8_t *bits, const lt_geometry *g,
                            lt_error *err);
/* MASK: nonzero = inside. */
int lt_gpu_scene_set_seg(lt_gpu_scene *s, const uint8_t *mask, const lt_geometry *g,
                         lt_error *err);
int lt_gpu_scene_set_heatmap(lt_gpu_scene *s, const float *heat, const lt_geometry *g,
                             lt_error *err);
void lt_gpu_scene_clear_overlays(lt_gpu_scene *s);
/* Deletes every texture (context current). */
void lt_gpu_scene_clear(lt_gpu_scene *s);

#endif
