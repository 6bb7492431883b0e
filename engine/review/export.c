/* engine/review/export.c — see export.h. */
#include "review/export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ct/nifti.h"
#include "ct/picture.h"
#include "model/gradcam.h"

static void heat(float t, uint8_t rgb[3]) {
  /* black-body like: dark red -> red -> yellow -> white */
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  rgb[0] = (uint8_t)lrintf(255 * fminf(1, 3 * t));
  rgb[1] = (uint8_t)lrintf(255 * fminf(1, fmaxf(0, 3 * t - 1)));
  rgb[2] = (uint8_t)lrintf(255 * fmaxf(0, 3 * t - 2));
}

/* Centre slices: top row CT channel 0 with contours, bottom row CAM heatmap blended over it. */
static int write_png(const char *path, const lt_patch *p, const float *cam, const float *seg,
                     const uint8_t *cons, int S, lt_error *err) {
  enum { N = LT_PATCH_N, Z = 4, GAP = 8 };
  const int c = N / 2 - 1, k = N / S;
  lt_picture *pic = lt_picture_new(3 * N * Z + 4 * GAP, 2 * N * Z + 3 * GAP);
  float *img = malloc(N * N * sizeof *img);
  uint8_t *ms = malloc(N * N), *mc = malloc(N * N);
  if (!pic || !img || !ms || !mc) {
    lt_picture_free(pic), free(img), free(ms), free(mc);
    return lt_error_set(err, "out of memory");
  }
  static const uint8_t red[3] = {255, 48, 48}, green[3] = {40, 230, 80};
  for (int view = 0; view < 3; view++) {
    float camv[N * N];
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) {
        int i, j, kk;
        if (view == 0)
          i = x, j = y, kk = c;
        else if (view == 1)
          i = x, j = c, kk = N - 1 - y;
        else
          i = c, j = x, kk = N - 1 - y;
        const size_t q = (size_t)i + N * ((size_t)j + N * (size_t)kk);
        const size_t qs =
            (size_t)(i / k) + (size_t)S * ((size_t)(j / k) + (size_t)S * (size_t)(kk / k));
        img[y * N + x] = p->ch[0][q];
        ms[y * N + x] = seg[qs] >= 0.5f;
        mc[y * N + x] = cons ? cons[q] : 0;
        camv[y * N + x] = cam[qs];
      }
    const int x0 = GAP + view * (N * Z + GAP);
    lt_picture_put_grey(pic, x0, GAP, img, N, N, Z);
    lt_picture_put_grey(pic, x0, 2 * GAP + N * Z, img, N, N, Z);
    for (int y = 0; y < N * Z; y++)
      for (int x = 0; x < N * Z; x++) {
        uint8_t h[3];
        heat(camv[(y / Z) * N + x / Z], h);
        uint8_t *px =
            pic->rgb + 3 * ((size_t)(2 * GAP + N * Z + y) * (size_t)pic->w + (size_t)(x0 + x));
        for (int ch = 0; ch < 3; ch++)
          px[ch] = (uint8_t)((px[ch] + h[ch]) / 2);
      }
    for (int row = 0; row < 2; row++) {
      const int y0 = GAP + row * (N * Z + GAP);
      if (cons)
        lt_picture_contour(pic, x0, y0, mc, N, N, Z, green);
      lt_picture_contour(pic, x0, y0, ms, N, N, Z, red);
    }
  }
  int rc = lt_picture_write_png(pic, path, err);
  lt_picture_free(pic), free(img), free(ms), free(mc);
  return rc;
}

int lt_review_export(const lt_review_result *r, const lt_volume *v, const char *dir,
                     char paths[3][4096], lt_error *err) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return lt_error_set(err, "cannot create %s: %s", dir, strerror(errno));
  static const char *const names[3] = {"seg.nii.gz", "cam.nii.gz", "analysis.png"};
  for (int k = 0; k < 3; k++)
    if ((size_t)snprintf(paths[k], 4096, "%s/%s", dir, names[k]) >= 4096)
      return lt_error_set(err, "%s: the path is too long", dir);
  const lt_geometry *g = &v->geom;
  const size_t nvox = lt_geometry_count(g);
  const lt_analysis *an = &r->an;
  float *vol = calloc(nvox, sizeof *vol);
  uint8_t *segvol8 = malloc(nvox);
  int rc = -1;
  if (!vol || !segvol8) {
    lt_error_set(err, "out of memory");
    goto out;
  }
  lt_cam_to_volume(vol, g, an->seg, &r->grid_geom);
  for (size_t q = 0; q < nvox; q++) segvol8[q] = vol[q] >= 0.5f;
  if (lt_nifti_write(paths[0], g, 1, LT_NIFTI_U8, segvol8, "LungTrust segmentation (model)", err))
    goto out;
  memset(vol, 0, nvox * sizeof *vol);
  lt_cam_to_volume(vol, g, an->cam, &r->grid_geom);
  if (lt_nifti_write(paths[1], g, 1, LT_NIFTI_F32, vol, "LungTrust Grad-CAM [0,1]", err) ||
      write_png(paths[2], r->patch, an->cam, an->seg, r->consensus, an->side, err))
    goto out;
  rc = 0;
out:
  free(vol), free(segvol8);
  return rc;
}
