/* ui/lt-shared-scene.c — see lt-shared-scene.h. */
#include "lt-shared-scene.h"

#include <string.h>

void lt_shared_scene_set(lt_shared_scene *s, const lt_volume *vol, const uint8_t *labels,
                         const lt_geometry *labels_geom) {
  s->vol = vol;
  s->labels = labels;
  if (labels) s->labels_geom = *labels_geom;
  s->want++;
}

int lt_shared_scene_sync(lt_shared_scene *s) {
  if (s->have == s->want) return s->error[0] ? -1 : 0;
  s->have = s->want;
  s->error[0] = 0;
  lt_gpu_scene_clear(&s->scene);
  lt_error err = {{0}};
  if (s->vol && lt_gpu_scene_set_volume(&s->scene, s->vol, &err) != 0) goto fail;
  if (s->labels && lt_gpu_scene_set_labels(&s->scene, s->labels, &s->labels_geom, &err) != 0)
    goto fail;
  return 0;
fail:
  memcpy(s->error, err.msg, sizeof s->error);
  return -1;
}

void lt_shared_scene_user_add(lt_shared_scene *s) {
  if (s->n_users++ == 0) s->have = s->want - 1; /* the first view after none uploads again */
}

void lt_shared_scene_user_remove(lt_shared_scene *s) {
  if (s->n_users > 0 && --s->n_users == 0) {
    lt_gpu_scene_clear(&s->scene);
    s->have = s->want - 1;
  }
}
