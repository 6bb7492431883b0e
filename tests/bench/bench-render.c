/* tests/bench/bench-render.c — redraw time of one slice view at 1280x800, offscreen (EGL
 * surfaceless; llvmpipe here): the axial slice of a 512x512x133 made-up chest with every
 * overlay on (4 reader outlines + the dashed consensus, the model outline, the Grad-CAM
 * heatmap with its box and colour bar, crosshair, scale bar, letters, text, a distance
 * measurement with its label), against two peers
 * measured in the same run: the same slice with no overlays, and a CPU window/level of the
 * 512x512 slice scaled to 1280x800 (nearest) the way a cairo/pixbuf viewer would.
 * Median over many frames, each ended with glFinish. Target: <= 16 ms with every overlay.
 * Also: the same with a new slice every frame (scrolling: the slice is copied out of the 3D
 * texture again). Exit 77 when no offscreen GL context can be made. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <epoxy/gl.h>

#include "lt-offscreen.h"
#include "lt-renderer.h"
#include "lt-window-level.h"

#define W 1280
#define H 800
#define FRAMES 60

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of the whole process (llvmpipe's threads included): what a frame costs, whatever
 * else the machine runs. */
static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A body ellipse of soft tissue with two lungs of air and a 10 mm nodule, some noise. */
static lt_volume *chest(void) {
  lt_volume *v = lt_volume_new(512, 512, 133);
  if (!v) return NULL;
  v->geom.spacing[0] = v->geom.spacing[1] = 0.703;
  v->geom.spacing[2] = 2.5;
  uint32_t seed = 12345;
  for (int k = 0; k < 133; k++)
    for (int j = 0; j < 512; j++)
      for (int i = 0; i < 512; i++) {
        double x = (i - 256) / 230.0, y = (j - 256) / 170.0;
        double lx = (fabs(i - 256.0) - 110) / 80.0, ly = (j - 250) / 120.0;
        int hu = -1024;
        if (x * x + y * y < 1) hu = 40;
        if (lx * lx + ly * ly < 1) hu = -850;
        double nx = i - 170.0, ny = j - 240.0, nz = (k - 66) * 2.5 / 0.703;
        if (nx * nx + ny * ny + nz * nz < 7.1 * 7.1) hu = 30;
        seed = seed * 1664525u + 1013904223u;
        v->hu[i + 512 * (j + 512 * k)] = (int16_t)(hu + (int)(seed >> 27) - 16);
      }
  return v;
}

int main(void) {
  lt_error err = {{0}};
  lt_offscreen *o = lt_offscreen_new(W, H, &err);
  if (!o) {
    printf("SKIP: no offscreen GL 3.3 context: %s\n", err.msg);
    return 77;
  }
  lt_renderer *r = lt_renderer_new(&err);
  lt_volume *vol = chest();
  if (!r || !vol) {
    fprintf(stderr, "bench-render: %s\n", r ? "out of memory" : err.msg);
    return 1;
  }
  lt_gpu_scene s = {0};
  if (lt_gpu_scene_set_volume(&s, vol, &err) != 0) {
    fprintf(stderr, "bench-render: %s\n", err.msg);
    return 1;
  }
  /* readers: 4 slightly different spheres around the nodule on a 40^3 sub-box, + consensus */
  lt_geometry lg;
  lt_geometry_init(&lg, 40, 40, 12);
  memcpy(lg.spacing, vol->geom.spacing, sizeof lg.spacing);
  const double off[3] = {150, 220, 60};
  lt_geometry_voxel_to_mm(&vol->geom, off, lg.origin);
  uint8_t *bits = calloc(40 * 40 * 12, 1);
  for (int k = 0; k < 12; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 40; i++) {
        int votes = 0;
        for (int rd = 0; rd < 4; rd++) {
          double dx = i - 20 + 0.7 * rd, dy = j - 20 - 0.5 * rd, dz = (k - 6) * 2.5 / 0.703;
          if (dx * dx + dy * dy + dz * dz < (7.5 + rd) * (7.5 + rd)) {
            bits[i + 40 * (j + 40 * k)] |= (uint8_t)(1u << rd);
            votes++;
          }
        }
        if (votes >= 2) bits[i + 40 * (j + 40 * k)] |= 0x80;
      }
  /* the model: a 64^3 patch at 0.5 mm around the nodule, a sphere and a smooth heatmap */
  lt_geometry pg;
  lt_geometry_init(&pg, 64, 64, 64);
  const double nod[3] = {170, 240, 66};
  double c[3];
  lt_geometry_voxel_to_mm(&vol->geom, nod, c);
  for (int a = 0; a < 3; a++) {
    pg.spacing[a] = 0.5;
    pg.origin[a] = c[a] - 31.5 * 0.5;
  }
  uint8_t *seg = malloc(64 * 64 * 64);
  float *heat = malloc(64 * 64 * 64 * sizeof *heat);
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 64; j++)
      for (int i = 0; i < 64; i++) {
        double d2 = (i - 31.5) * (i - 31.5) + (j - 31.5) * (j - 31.5) + (k - 31.5) * (k - 31.5);
        seg[i + 64 * (j + 64 * k)] = d2 < 14.0 * 14.0;
        heat[i + 64 * (j + 64 * k)] = (float)exp(-d2 / (2 * 12.0 * 12.0));
      }
  if (lt_gpu_scene_set_labels(&s, bits, &lg, &err) || lt_gpu_scene_set_seg(&s, seg, &pg, &err) ||
      lt_gpu_scene_set_heatmap(&s, heat, &pg, &err)) {
    fprintf(stderr, "bench-render: %s\n", err.msg);
    return 1;
  }
  free(bits);
  free(seg);
  free(heat);

  lt_view v;
  lt_view_init(&v, LT_PLANE_AXIAL, &vol->geom, W, H);
  v.slice = 66;
  v.zoom = 1.4; /* the nodule's region fills more of the view, as when reviewing */
  lt_render_opts all, plain;
  lt_render_opts_default(&all);
  for (int a = 0; a < 3; a++) all.crosshair_ijk[a] = nod[a];
  all.text = "W 1500 L -600\nSLICE 67/133";
  all.measure_n = 2; /* a distance measurement across the nodule, with its label */
  for (int a = 0; a < 3; a++) all.measure_ijk[0][a] = all.measure_ijk[1][a] = nod[a];
  all.measure_ijk[0][0] -= 30;
  all.measure_ijk[1][0] += 25;
  all.measure_ijk[1][1] += 20;
  plain = all;
  plain.measure_n = 0;
  plain.labels_mask = 0;
  plain.seg_on = plain.heat_on = plain.crosshair = plain.scalebar = plain.letters = 0;
  plain.text = NULL;
  if (getenv("BR_NEAREST")) all.linear = plain.linear = 0;

  double t_all[FRAMES], t_plain[FRAMES], t_cpu[FRAMES], t_scroll[FRAMES];
  double c_all[FRAMES], c_plain[FRAMES];
  for (int f = -5; f < FRAMES; f++) { /* 5 warm-up frames */
    double t0 = now_ms(), c0 = cpu_ms();
    lt_renderer_draw(r, &s, &v, &all);
    glFinish();
    double t1 = now_ms(), c1 = cpu_ms();
    lt_renderer_draw(r, &s, &v, &plain);
    glFinish();
    double t2 = now_ms(), c2 = cpu_ms();
    if (f >= 0) {
      t_all[f] = t1 - t0;
      t_plain[f] = t2 - t1;
      c_all[f] = c1 - c0;
      c_plain[f] = c2 - c1;
    }
  }
  /* scrolling: a new slice every frame (the slice is copied out of the 3D texture again) */
  lt_view vs = v;
  for (int f = -2; f < FRAMES; f++) {
    vs.slice = 60 + (f + 2) % 12;
    double t0 = now_ms();
    lt_renderer_draw(r, &s, &vs, &all);
    glFinish();
    if (f >= 0) t_scroll[f] = now_ms() - t0;
  }
  /* CPU peer: window/level of the 512x512 slice, then nearest scaling into 1280x800 RGBA */
  uint8_t *grey = malloc(512 * 512), *rgba = malloc((size_t)W * H * 4);
  int *colmap = malloc(W * sizeof(int));
  lt_view_frame fr;
  lt_view_frame_compute(&fr, &v, &vol->geom);
  for (int x = 0; x < W; x++) colmap[x] = (int)floor(fr.o[0] + (x + 0.5) * fr.dx[0] + 0.5);
  volatile unsigned sink = 0;
  for (int f = -2; f < FRAMES; f++) {
    double t0 = now_ms();
    lt_wl_apply_u8(grey, vol->hu + (size_t)512 * 512 * 66, 512 * 512, 1500, -600, 0);
    for (int y = 0; y < H; y++) {
      int j = (int)floor(fr.o[1] + (y + 0.5) * fr.dy[1] + 0.5);
      uint8_t *row = rgba + (size_t)y * W * 4;
      for (int x = 0; x < W; x++) {
        int i = colmap[x];
        uint8_t g = (i >= 0 && i < 512 && j >= 0 && j < 512) ? grey[i + 512 * j] : 0;
        row[4 * x] = row[4 * x + 1] = row[4 * x + 2] = g;
        row[4 * x + 3] = 255;
      }
    }
    sink += rgba[(size_t)W * 4 * (H / 2) + 4 * (W / 2)];
    if (f >= 0) t_cpu[f] = now_ms() - t0;
  }
  (void)sink; /* read once, so that clang counts it used; volatile keeps each frame's store */
  double m_all = median(t_all, FRAMES), m_plain = median(t_plain, FRAMES),
         m_cpu = median(t_cpu, FRAMES), m_scroll = median(t_scroll, FRAMES);
  char load[64] = "?";
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) {
    if (!fgets(load, sizeof load, lf)) load[0] = 0;
    fclose(lf);
    load[strcspn(load, "\n")] = 0;
  }
  printf("render bench on %s, %dx%d, %d frames, median ms (load average %s: llvmpipe's\n"
         "threads share the CPUs, so other processes inflate these):\n",
         lt_offscreen_renderer(o), W, H, FRAMES, load);
  printf("  slice + every overlay (GL)      %7.2f ms   target <= 16 ms: %s\n", m_all,
         m_all <= 16 ? "met" : "NOT met");
  printf("  new slice + every overlay (GL)  %7.2f ms   (scrolling)\n", m_scroll);
  printf("  slice, no overlays (GL)         %7.2f ms   overlays cost x%.2f\n", m_plain,
         m_all / m_plain);
  printf("  CPU time per frame (all threads): every overlay %.2f ms, no overlays %.2f ms\n",
         median(c_all, FRAMES), median(c_plain, FRAMES));
  printf("  slice, CPU window/level + scale %7.2f ms   GL all-overlays / CPU plain = %.2f\n", m_cpu,
         m_all / m_cpu);
  free(grey);
  free(rgba);
  free(colmap);
  lt_gpu_scene_clear(&s);
  lt_renderer_free(r);
  lt_offscreen_free(o);
  lt_volume_free(vol);
  return 0;
}
