/* render/lt-gpu-scene.c — see lt-gpu-scene.h. */
#include "lt-gpu-scene.h"

#include <epoxy/gl.h>
#include <stdlib.h>

static void drop(lt_gpu_grid *g) {
  if (g->tex) {
    GLuint t = g->tex;
    glDeleteTextures(1, &t);
  }
  g->tex = 0;
}

static int upload(lt_gpu_grid *grid, const lt_geometry *g, GLint internal, GLenum format,
                  GLenum type, GLint filter, const void *data, const char *what, lt_error *err) {
  GLint max3d = 0;
  glGetIntegerv(GL_MAX_3D_TEXTURE_SIZE, &max3d);
  for (int a = 0; a < 3; a++)
    if (g->dim[a] <= 0 || g->dim[a] > max3d)
      return lt_error_set(err, "%s: %dx%dx%d exceeds the GL 3D texture limit %d", what,
                          g->dim[0], g->dim[1], g->dim[2], max3d);
  drop(grid);
  while (glGetError() != GL_NO_ERROR) {
  }
  GLuint t = 0;
  glGenTextures(1, &t);
  glBindTexture(GL_TEXTURE_3D, t);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAX_LEVEL, 0);
  glTexImage3D(GL_TEXTURE_3D, 0, internal, g->dim[0], g->dim[1], g->dim[2], 0, format, type,
               data);
  glBindTexture(GL_TEXTURE_3D, 0);
  GLenum e = glGetError();
  if (e != GL_NO_ERROR) {
    glDeleteTextures(1, &t);
    return lt_error_set(err, "%s: texture upload failed (GL error 0x%x)", what, e);
  }
  static unsigned serial;
  grid->tex = t;
  grid->serial = ++serial;
  grid->geom = *g;
  return 0;
}

int lt_gpu_scene_set_volume(lt_gpu_scene *s, const lt_volume *v, lt_error *err) {
  return upload(&s->volume, &v->geom, GL_R16_SNORM, GL_RED, GL_SHORT, GL_LINEAR, v->hu, "volume",
                err);
}

int lt_gpu_scene_set_labels(lt_gpu_scene *s, const uint8_t *bits, const lt_geometry *g,
                            lt_error *err) {
  return upload(&s->labels, g, GL_R8UI, GL_RED_INTEGER, GL_UNSIGNED_BYTE, GL_NEAREST, bits,
                "reader labels", err);
}

int lt_gpu_scene_set_seg(lt_gpu_scene *s, const uint8_t *mask, const lt_geometry *g,
                         lt_error *err) {
  size_t n = lt_geometry_count(g);
  uint8_t *b = malloc(n ? n : 1);
  if (!b) return lt_error_set(err, "segmentation: out of memory");
  for (size_t i = 0; i < n; i++) b[i] = mask[i] != 0;
  int rc = upload(&s->seg, g, GL_R8UI, GL_RED_INTEGER, GL_UNSIGNED_BYTE, GL_NEAREST, b,
                  "segmentation", err);
  free(b);
  return rc;
}

int lt_gpu_scene_set_heatmap(lt_gpu_scene *s, const float *heat, const lt_geometry *g,
                             lt_error *err) {
  return upload(&s->heat, g, GL_R32F, GL_RED, GL_FLOAT, GL_LINEAR, heat, "heatmap", err);
}

void lt_gpu_scene_clear_overlays(lt_gpu_scene *s) {
  drop(&s->labels);
  drop(&s->seg);
  drop(&s->heat);
}

void lt_gpu_scene_clear(lt_gpu_scene *s) {
  drop(&s->volume);
  lt_gpu_scene_clear_overlays(s);
}
