/* ui/lt-shared-scene.c — see lt-shared-scene.h. */
#include "lt-shared-scene.h"

#include <string.h>

void lt_shared_scene_set(lt_shared_scene *s, const lt_volume *vol, const uint8_t *labels,
                         const lt_geometry *labels_geom) {
  s->vol = vol;
  s->labels = labels;
  if (labels) s->labels_geom = *labels_geom;
  s->seg = NULL; /* a new study: the old result does not belong to it */
  s->heat = NULL;
  s->want++;
}

void lt_shared_scene_set_result(lt_shared_scene *s, const uint8_t *seg, const float *heat,
                                const lt_geometry *g) {
  s->seg = seg;
  s->heat = heat;
  if (g) s->seg_geom = *g;
  s->want_ov++;
}

static int sync_overlays(lt_shared_scene *s, lt_error *err) {
  s->have_ov = s->want_ov;
  if ((!s->seg && s->scene.seg.tex) || (!s->heat && s->scene.heat.tex)) {
    /* no call drops seg and heat alone: drop the overlays and put the labels back */
    lt_gpu_scene_clear_overlays(&s->scene);
    if (s->labels && lt_gpu_scene_set_labels(&s->scene, s->labels, &s->labels_geom, err) != 0)
      return -1;
  }
  if (s->seg && lt_gpu_scene_set_seg(&s->scene, s->seg, &s->seg_geom, err) != 0) return -1;
  if (s->heat && lt_gpu_scene_set_heatmap(&s->scene, s->heat, &s->seg_geom, err) != 0) return -1;
  return 0;
}

int lt_shared_scene_sync(lt_shared_scene *s) {
  if (s->have == s->want) {
    if (s->have_ov == s->want_ov) return s->error[0] ? -1 : 0;
    lt_error e = {{0}};
    if (sync_overlays(s, &e) != 0) {
      memcpy(s->error, e.msg, sizeof s->error);
      return -1;
    }
    return 0;
  }
  s->have = s->want;
  s->error[0] = 0;
  lt_gpu_scene_clear(&s->scene);
  lt_error err = {{0}};
  if (s->vol && lt_gpu_scene_set_volume(&s->scene, s->vol, &err) != 0) goto fail;
  if (s->labels && lt_gpu_scene_set_labels(&s->scene, s->labels, &s->labels_geom, &err) != 0)
    goto fail;
  if (sync_overlays(s, &err) != 0) goto fail;
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
