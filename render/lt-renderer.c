/* render/lt-renderer.c — see lt-renderer.h. */
#include "lt-renderer.h"

#include <epoxy/gl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-colormap.h"
#include "lt-font.h"
#include "lt-gl.h"
#include "lt-hud.h"
#include "lt-measure.h"
#include "lt-shaders.h"

enum { UNIT_VOL, UNIT_LAB, UNIT_SEG, UNIT_HEAT, UNIT_LUT };

struct lt_renderer {
  GLuint extract_prog, slice_prog, label_prog, heat_prog, hud_prog;
  GLint ex_m;
  /* the current slice as a 2D HU texture, and what it was made from */
  GLuint cache_tex, cache_fbo;
  int cache_w, cache_h, cache_axis;
  unsigned cache_serial;
  double cache_slice;
  GLuint empty_vao, hud_vao, hud_vbo;
  GLuint font_tex, lut_tex;
  struct {
    GLint h, m, lo, inv_w, invert;
  } u;
  struct {
    GLint h, vp, rect, m, col, mask, dash, w;
  } ul;
  struct {
    GLint h, vp, rect, m, op, thr, box, box_col;
  } uh;
  GLint hud_vp;
  lt_hud hud;
};

void lt_render_opts_default(lt_render_opts *o) {
  memset(o, 0, sizeof *o);
  o->window = 1500;
  o->level = -600;
  o->linear = 1;
  /* Okabe-Ito colour-blind-safe hues for readers; white for the consensus (bit 7). */
  static const float reader[LT_RENDER_LABELS][4] = {
      {0.90f, 0.62f, 0.00f, 1}, {0.34f, 0.71f, 0.91f, 1}, {0.00f, 0.62f, 0.45f, 1},
      {0.94f, 0.89f, 0.26f, 1}, {0.00f, 0.45f, 0.70f, 1}, {0.80f, 0.47f, 0.65f, 1},
      {0.84f, 0.37f, 0.00f, 1}, {1.00f, 1.00f, 1.00f, 1}};
  memcpy(o->label_rgba, reader, sizeof reader);
  o->labels_mask = 0xff;
  o->labels_dashed = 0x80;
  o->label_width = 1;
  o->seg_on = 1;
  const float seg[4] = {1.0f, 0.15f, 0.15f, 1};
  memcpy(o->seg_rgba, seg, sizeof seg);
  o->seg_width = 2;
  o->heat_on = 1;
  o->heat_opacity = 0.4f;
  o->heat_threshold = 0.2f;
  o->heat_box = 1;
  const float box[4] = {0.95f, 0.95f, 0.95f, 0.8f};
  memcpy(o->heat_box_rgba, box, sizeof box);
  o->colorbar = 1;
  o->crosshair = 1;
  const float cross[4] = {0.2f, 0.9f, 0.3f, 0.8f};
  memcpy(o->crosshair_rgba, cross, sizeof cross);
  o->crosshair_gap = 8;
  o->scalebar = 1;
  o->letters = 1;
  o->text_scale = 2;
  const float measure[4] = {0.0f, 0.9f, 0.9f, 1};
  memcpy(o->measure_rgba, measure, sizeof measure);
}

lt_renderer *lt_renderer_new(lt_error *err) {
  if (lt_gl_check_version(err) != 0) return NULL;
  lt_renderer *r = calloc(1, sizeof *r);
  if (!r) {
    lt_error_set(err, "renderer: out of memory");
    return NULL;
  }
  r->slice_prog = lt_gl_program(lt_shader_slice_vs, lt_shader_slice_fs, "slice", err);
  if (!r->slice_prog) goto fail;
  r->extract_prog = lt_gl_program(lt_shader_slice_vs, lt_shader_extract_fs, "extract", err);
  if (!r->extract_prog) goto fail;
  glUseProgram(r->extract_prog);
  glUniform1i(glGetUniformLocation(r->extract_prog, "u_vol"), UNIT_VOL);
  r->ex_m = glGetUniformLocation(r->extract_prog, "u_m");
  r->hud_prog = lt_gl_program(lt_shader_hud_vs, lt_shader_hud_fs, "hud", err);
  if (!r->hud_prog) goto fail;

  r->label_prog = lt_gl_program(lt_shader_rect_vs, lt_shader_label_fs, "label", err);
  if (!r->label_prog) goto fail;
  r->heat_prog = lt_gl_program(lt_shader_rect_vs, lt_shader_heat_fs, "heatmap", err);
  if (!r->heat_prog) goto fail;

  GLuint p = r->slice_prog;
#define U(s, name) r->s.name = glGetUniformLocation(p, "u_" #name)
  U(u, h);
  U(u, m);
  U(u, lo);
  U(u, inv_w);
  U(u, invert);
  glUseProgram(p);
  glUniform1i(glGetUniformLocation(p, "u_slice"), UNIT_VOL);
  p = r->label_prog;
  U(ul, h);
  U(ul, vp);
  U(ul, rect);
  U(ul, m);
  U(ul, col);
  U(ul, mask);
  U(ul, dash);
  U(ul, w);
  glUseProgram(p);
  glUniform1i(glGetUniformLocation(p, "u_lab"), UNIT_LAB);
  p = r->heat_prog;
  U(uh, h);
  U(uh, vp);
  U(uh, rect);
  U(uh, m);
  U(uh, op);
  U(uh, thr);
  U(uh, box);
  U(uh, box_col);
#undef U
  glUseProgram(p);
  glUniform1i(glGetUniformLocation(p, "u_heat"), UNIT_HEAT);
  glUniform1i(glGetUniformLocation(p, "u_lut"), UNIT_LUT);
  glUseProgram(r->hud_prog);
  glUniform1i(glGetUniformLocation(r->hud_prog, "u_font"), 0);
  r->hud_vp = glGetUniformLocation(r->hud_prog, "u_vp");
  glUseProgram(0);

  glGenVertexArrays(1, &r->empty_vao);
  glGenVertexArrays(1, &r->hud_vao);
  glGenBuffers(1, &r->hud_vbo);
  glBindVertexArray(r->hud_vao);
  glBindBuffer(GL_ARRAY_BUFFER, r->hud_vbo);
  GLsizei stride = sizeof(lt_hud_vertex);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, (void *)offsetof(lt_hud_vertex, x));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, (void *)offsetof(lt_hud_vertex, u));
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(2, 4, GL_FLOAT, GL_FALSE, stride, (void *)offsetof(lt_hud_vertex, r));
  glBindVertexArray(0);
  glBindBuffer(GL_ARRAY_BUFFER, 0);

  static uint8_t atlas[LT_FONT_ATLAS_W * LT_FONT_ATLAS_H];
  lt_font_atlas(atlas);
  glGenTextures(1, &r->font_tex);
  glBindTexture(GL_TEXTURE_2D, r->font_tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, LT_FONT_ATLAS_W, LT_FONT_ATLAS_H, 0, GL_RED,
               GL_UNSIGNED_BYTE, atlas);
  glBindTexture(GL_TEXTURE_2D, 0);

  uint8_t lut[3 * LT_COLORMAP_SIZE];
  lt_inferno_table(lut);
  glGenTextures(1, &r->lut_tex);
  glBindTexture(GL_TEXTURE_1D, r->lut_tex);
  glTexParameteri(GL_TEXTURE_1D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_1D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_1D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_1D, GL_TEXTURE_MAX_LEVEL, 0);
  glTexImage1D(GL_TEXTURE_1D, 0, GL_RGB8, LT_COLORMAP_SIZE, 0, GL_RGB, GL_UNSIGNED_BYTE, lut);
  glBindTexture(GL_TEXTURE_1D, 0);

  GLenum e = glGetError();
  if (e != GL_NO_ERROR) {
    lt_error_set(err, "renderer set-up: GL error 0x%x", e);
    goto fail;
  }
  return r;
fail:
  lt_renderer_free(r);
  return NULL;
}

void lt_renderer_free(lt_renderer *r) {
  if (!r) return;
  if (r->slice_prog) glDeleteProgram(r->slice_prog);
  if (r->hud_prog) glDeleteProgram(r->hud_prog);
  if (r->extract_prog) glDeleteProgram(r->extract_prog);
  if (r->cache_fbo) glDeleteFramebuffers(1, &r->cache_fbo);
  if (r->cache_tex) glDeleteTextures(1, &r->cache_tex);
  if (r->label_prog) glDeleteProgram(r->label_prog);
  if (r->heat_prog) glDeleteProgram(r->heat_prog);
  if (r->empty_vao) glDeleteVertexArrays(1, &r->empty_vao);
  if (r->hud_vao) glDeleteVertexArrays(1, &r->hud_vao);
  if (r->hud_vbo) glDeleteBuffers(1, &r->hud_vbo);
  GLuint t[2] = {r->font_tex, r->lut_tex};
  for (int i = 0; i < 2; i++)
    if (t[i]) glDeleteTextures(1, &t[i]);
  lt_hud_free(&r->hud);
  free(r);
}

/* mat3 (column-major) taking (px, py, 1) to normalised texture coordinates of grid G. */
static void grid_matrix(float m[9], const lt_view_frame *f, const lt_geometry *vol,
                        const lt_geometry *g) {
  double t[3][3]; /* images of (0,0), (1,0), (0,1) */
  const double pts[3][2] = {{0, 0}, {1, 0}, {0, 1}};
  for (int k = 0; k < 3; k++) {
    double ijk[3], mm[3], o[3];
    for (int a = 0; a < 3; a++) ijk[a] = f->o[a] + pts[k][0] * f->dx[a] + pts[k][1] * f->dy[a];
    lt_geometry_voxel_to_mm(vol, ijk, mm);
    lt_geometry_mm_to_voxel(g, mm, o);
    for (int a = 0; a < 3; a++) t[k][a] = (o[a] + 0.5) / g->dim[a];
  }
  for (int a = 0; a < 3; a++) {
    m[0 + a] = (float)(t[1][a] - t[0][a]);
    m[3 + a] = (float)(t[2][a] - t[0][a]);
    m[6 + a] = (float)t[0][a];
  }
}

/* The screen rectangle (x0, y0, x1, y1) covering grid G's box on this view, grown by MARGIN
 * pixels and clipped to the viewport; 0 when the slice misses the box or the box is off screen. */
static int grid_rect(float rect[4], const lt_view *v, const lt_view_frame *f,
                     const lt_geometry *vol, const lt_geometry *g, float margin) {
  double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30, n0 = 1e30, n1 = -1e30;
  for (int c = 0; c < 8; c++) {
    double gi[3], mm[3], vi[3];
    for (int a = 0; a < 3; a++) gi[a] = (c >> a) & 1 ? g->dim[a] - 0.5 : -0.5;
    lt_geometry_voxel_to_mm(g, gi, mm);
    lt_geometry_mm_to_voxel(vol, mm, vi);
    double px = (vi[f->axis_h] - f->o[f->axis_h]) / f->dx[f->axis_h];
    double py = (vi[f->axis_v] - f->o[f->axis_v]) / f->dy[f->axis_v];
    x0 = fmin(x0, px);
    x1 = fmax(x1, px);
    y0 = fmin(y0, py);
    y1 = fmax(y1, py);
    n0 = fmin(n0, vi[f->axis_n]);
    n1 = fmax(n1, vi[f->axis_n]);
  }
  if (v->slice < n0 - 1e-6 || v->slice > n1 + 1e-6) return 0;
  x0 = fmax(floor(x0) - margin, 0);
  y0 = fmax(floor(y0) - margin, 0);
  x1 = fmin(ceil(x1) + margin, v->width);
  y1 = fmin(ceil(y1) + margin, v->height);
  if (x1 <= x0 || y1 <= y0) return 0;
  rect[0] = (float)x0;
  rect[1] = (float)y0;
  rect[2] = (float)x1;
  rect[3] = (float)y1;
  return 1;
}

static void bind3d(int unit, GLuint tex) {
  glActiveTexture(GL_TEXTURE0 + unit);
  glBindTexture(GL_TEXTURE_3D, tex);
}

double lt_render_scalebar_mm(double px_per_mm, int width) {
  if (!(px_per_mm > 0)) return 0;
  double want = width / 5.0 / px_per_mm;
  double p = pow(10, floor(log10(want)));
  double best = p;
  const double steps[3] = {1, 2, 5};
  for (int i = 0; i < 3; i++)
    if (steps[i] * p <= want) best = steps[i] * p;
  return best;
}

static void build_hud(lt_renderer *r, const lt_gpu_scene *s, const lt_view *v,
                      const lt_view_frame *f, const lt_render_opts *o) {
  lt_hud *h = &r->hud;
  lt_hud_reset(h);
  float W = (float)v->width, H = (float)v->height;
  int ts = o->text_scale > 0 ? o->text_scale : 2;
  const float white[4] = {0.95f, 0.95f, 0.95f, 1};
  float th = lt_hud_text_height(ts);
  if (o->crosshair) {
    double px, py;
    lt_view_voxel_to_screen(v, &s->volume.geom, o->crosshair_ijk, &px, &py);
    float x = (float)floor(px), y = (float)floor(py), gap = (float)o->crosshair_gap;
    const float *c = o->crosshair_rgba;
    if (y >= 0 && y < H) {
      if (x - gap > 0) lt_hud_rect(h, 0, y, fminf(x - gap, W), 1, c);
      if (x + gap + 1 < W) lt_hud_rect(h, fmaxf(x + gap + 1, 0), y, W - fmaxf(x + gap + 1, 0), 1, c);
    }
    if (x >= 0 && x < W) {
      if (y - gap > 0) lt_hud_rect(h, x, 0, 1, fminf(y - gap, H), c);
      if (y + gap + 1 < H) lt_hud_rect(h, x, fmaxf(y + gap + 1, 0), 1, H - fmaxf(y + gap + 1, 0), c);
    }
  }
  if (o->letters) {
    char l[4];
    lt_view_letters(v->plane, l);
    char t[2] = {0, 0};
    float m = 6;
    t[0] = l[0];
    lt_hud_text(h, m, 0.5f * (H - th), ts, t, white);
    t[0] = l[1];
    lt_hud_text(h, W - m - lt_hud_text_width(t, ts), 0.5f * (H - th), ts, t, white);
    t[0] = l[2];
    lt_hud_text(h, 0.5f * (W - lt_hud_text_width(t, ts)), m, ts, t, white);
    t[0] = l[3];
    lt_hud_text(h, 0.5f * (W - lt_hud_text_width(t, ts)), H - m - th, ts, t, white);
  }
  if (o->scalebar) {
    double mm = lt_render_scalebar_mm(f->px_per_mm, v->width);
    if (mm > 0) {
      float len = (float)(mm * f->px_per_mm);
      float x1 = W - 16, x0 = x1 - len, y = H - 16 - th - 6;
      lt_hud_rect(h, x0, y, len, 2, white);
      lt_hud_rect(h, x0, y - 4, 2, 10, white);
      lt_hud_rect(h, x1 - 2, y - 4, 2, 10, white);
      char label[32];
      if (mm >= 10 && fmod(mm, 10) == 0)
        snprintf(label, sizeof label, "%g cm", mm / 10);
      else
        snprintf(label, sizeof label, "%g mm", mm);
      lt_hud_text(h, x1 - lt_hud_text_width(label, ts), y + 8, ts, label, white);
    }
  }
  if (o->heat_on && o->colorbar && s->heat.tex) {
    float bh = fminf(0.4f * H, 240), bw = 12, x = W - 36, y0 = 0.5f * (H - bh);
    int n = 32;
    for (int i = 0; i < n; i++) {
      double ct[3], cb[3];
      lt_inferno(1.0 - i / (double)n, ct);
      lt_inferno(1.0 - (i + 1) / (double)n, cb);
      float top[4] = {(float)ct[0], (float)ct[1], (float)ct[2], 1};
      float bot[4] = {(float)cb[0], (float)cb[1], (float)cb[2], 1};
      lt_hud_rect_vgrad(h, x, y0 + bh * i / n, bw, bh / n, top, bot);
    }
    const float grey[4] = {0.6f, 0.6f, 0.6f, 1};
    lt_hud_rect(h, x - 1, y0 - 1, bw + 2, 1, grey);
    lt_hud_rect(h, x - 1, y0 + bh, bw + 2, 1, grey);
    lt_hud_rect(h, x - 1, y0, 1, bh, grey);
    lt_hud_rect(h, x + bw, y0, 1, bh, grey);
    float ty = y0 + bh * (1 - o->heat_threshold);
    lt_hud_rect(h, x - 4, ty, bw + 8, 1, white);
    lt_hud_text(h, x - 4 - lt_hud_text_width("1", ts), y0 - 0.5f * th, ts, "1", white);
    lt_hud_text(h, x - 4 - lt_hud_text_width("0", ts), y0 + bh - 0.5f * th, ts, "0", white);
  }
  if (o->measure_n > 0) {
    const double *a = o->measure_ijk[0], *b = o->measure_ijk[o->measure_n > 1 ? 1 : 0];
    if (lt_measure_on_slice(v, &s->volume.geom, a, b)) {
      double ax, ay, bx, by;
      lt_view_voxel_to_screen(v, &s->volume.geom, a, &ax, &ay);
      lt_view_voxel_to_screen(v, &s->volume.geom, b, &bx, &by);
      const float *c = o->measure_rgba;
      lt_hud_rect(h, (float)ax - 3, (float)ay - 3, 6, 6, c);
      if (o->measure_n > 1) {
        lt_hud_line(h, (float)ax, (float)ay, (float)bx, (float)by, 2, c);
        lt_hud_rect(h, (float)bx - 3, (float)by - 3, 6, 6, c);
        char label[32];
        lt_measure_label(label, sizeof label, lt_measure_length_mm(&s->volume.geom, a, b));
        /* beside the end further right, inside the view */
        float lx = (float)fmax(ax, bx) + 8, ly = (float)(ax > bx ? ay : by) - 0.5f * th;
        float lw = lt_hud_text_width(label, ts);
        if (lx + lw > W - 4) lx = (float)fmin(ax, bx) - 8 - lw;
        lt_hud_text(h, lx, ly, ts, label, c);
      }
    }
  }
  if (o->text && *o->text) lt_hud_text(h, 8, 8, ts, o->text, white);
}

/* Copies the slice at SLICE through axis f->axis_n into r->cache_tex (HU, one texel a voxel)
 * unless it holds it already. Leaves the caller's framebuffer bound. */
static int update_slice_cache(lt_renderer *r, const lt_gpu_scene *s, const lt_view_frame *f,
                              double slice) {
  const lt_geometry *g = &s->volume.geom;
  int w = g->dim[f->axis_h], h = g->dim[f->axis_v];
  if (r->cache_tex && r->cache_serial == s->volume.serial && r->cache_axis == f->axis_n &&
      r->cache_slice == slice && r->cache_w == w && r->cache_h == h)
    return 0;
  GLint prev_fbo = 0;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
  if (!r->cache_tex || r->cache_w != w || r->cache_h != h) {
    if (!r->cache_tex) glGenTextures(1, &r->cache_tex);
    glActiveTexture(GL_TEXTURE0 + UNIT_VOL);
    glBindTexture(GL_TEXTURE_2D, r->cache_tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, w, h, 0, GL_RED, GL_FLOAT, NULL);
    glBindTexture(GL_TEXTURE_2D, 0);
    if (!r->cache_fbo) glGenFramebuffers(1, &r->cache_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, r->cache_fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, r->cache_tex, 0);
    GLenum st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, (GLuint)prev_fbo);
    if (st != GL_FRAMEBUFFER_COMPLETE) return -1;
    r->cache_w = w;
    r->cache_h = h;
  }
  glBindFramebuffer(GL_FRAMEBUFFER, r->cache_fbo);
  glViewport(0, 0, w, h);
  glUseProgram(r->extract_prog);
  /* texel centre (a + 0.5, b + 0.5) -> voxel (a, b) on axes h, v; slice on axis n */
  float m[9] = {0};
  m[0 + f->axis_h] = (float)(1.0 / g->dim[f->axis_h]);
  m[3 + f->axis_v] = (float)(1.0 / g->dim[f->axis_v]);
  m[6 + f->axis_n] = (float)((slice + 0.5) / g->dim[f->axis_n]);
  glUniformMatrix3fv(r->ex_m, 1, GL_FALSE, m);
  bind3d(UNIT_VOL, s->volume.tex);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glBindVertexArray(r->empty_vao);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindTexture(GL_TEXTURE_3D, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, (GLuint)prev_fbo);
  r->cache_serial = s->volume.serial;
  r->cache_axis = f->axis_n;
  r->cache_slice = slice;
  return 0;
}

void lt_renderer_draw(lt_renderer *r, const lt_gpu_scene *s, const lt_view *view,
                      const lt_render_opts *o) {
  glViewport(0, 0, view->width, view->height);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_SCISSOR_TEST);
  glDisable(GL_BLEND);
  glClearColor(0, 0, 0, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  if (!s->volume.tex || view->width <= 0 || view->height <= 0) return;
  const lt_geometry *vg = &s->volume.geom;
  lt_view_frame f;
  lt_view_frame_compute(&f, view, vg);

  if (update_slice_cache(r, s, &f, view->slice) != 0) return;
  glViewport(0, 0, view->width, view->height);
  glUseProgram(r->slice_prog);
  float m[9];
  glUniform1f(r->u.h, (float)view->height);
  /* screen -> slice texture: (ijk[axis_h] + 0.5) / dim_h, (ijk[axis_v] + 0.5) / dim_v */
  double nh = vg->dim[f.axis_h], nv = vg->dim[f.axis_v];
  const float sm[9] = {(float)(f.dx[f.axis_h] / nh), (float)(f.dx[f.axis_v] / nv), 0,
                       (float)(f.dy[f.axis_h] / nh), (float)(f.dy[f.axis_v] / nv), 0,
                       (float)((f.o[f.axis_h] + 0.5) / nh), (float)((f.o[f.axis_v] + 0.5) / nv), 1};
  glUniformMatrix3fv(r->u.m, 1, GL_FALSE, sm);
  double w = o->window >= 1 ? o->window : 1;
  glUniform1f(r->u.lo, (float)(o->level - 0.5 * w));
  glUniform1f(r->u.inv_w, (float)(1.0 / w));
  glUniform1i(r->u.invert, o->invert != 0);
  glActiveTexture(GL_TEXTURE0 + UNIT_VOL);
  glBindTexture(GL_TEXTURE_2D, r->cache_tex);
  GLint filt = o->linear ? GL_LINEAR : GL_NEAREST;
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filt);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filt);

  glBindVertexArray(r->empty_vao);
  glDrawArrays(GL_TRIANGLES, 0, 3);

  glEnable(GL_BLEND);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  float rect[4];
  if (s->heat.tex && o->heat_on && grid_rect(rect, view, &f, vg, &s->heat.geom, 3)) {
    glUseProgram(r->heat_prog);
    glUniform1f(r->uh.h, (float)view->height);
    glUniform2f(r->uh.vp, (float)view->width, (float)view->height);
    glUniform4fv(r->uh.rect, 1, rect);
    grid_matrix(m, &f, vg, &s->heat.geom);
    glUniformMatrix3fv(r->uh.m, 1, GL_FALSE, m);
    glUniform1f(r->uh.op, o->heat_opacity);
    glUniform1f(r->uh.thr, o->heat_threshold);
    glUniform1i(r->uh.box, o->heat_box != 0);
    glUniform4fv(r->uh.box_col, 1, o->heat_box_rgba);
    bind3d(UNIT_HEAT, s->heat.tex);
    glActiveTexture(GL_TEXTURE0 + UNIT_LUT);
    glBindTexture(GL_TEXTURE_1D, r->lut_tex);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  }
  float seg_col[LT_RENDER_LABELS][4] = {{0}};
  memcpy(seg_col[0], o->seg_rgba, sizeof seg_col[0]);
  struct {
    const lt_gpu_grid *g;
    int mask, dash;
    float w;
    const float *col;
  } layers[2] = {
      {&s->seg, o->seg_on ? 1 : 0, 0, o->seg_width, &seg_col[0][0]},
      {&s->labels, o->labels_mask & 0xff, o->labels_dashed & 0xff, o->label_width,
       &o->label_rgba[0][0]},
  };
  for (int l = 0; l < 2; l++) {
    const lt_gpu_grid *g = layers[l].g;
    float lw = layers[l].w > 0 ? layers[l].w : 1;
    if (!g->tex || !layers[l].mask || !grid_rect(rect, view, &f, vg, &g->geom, 1)) continue;
    glUseProgram(r->label_prog);
    glUniform1f(r->ul.h, (float)view->height);
    glUniform2f(r->ul.vp, (float)view->width, (float)view->height);
    glUniform4fv(r->ul.rect, 1, rect);
    grid_matrix(m, &f, vg, &g->geom);
    glUniformMatrix3fv(r->ul.m, 1, GL_FALSE, m);
    glUniform4fv(r->ul.col, LT_RENDER_LABELS, layers[l].col);
    glUniform1i(r->ul.mask, layers[l].mask);
    glUniform1i(r->ul.dash, layers[l].dash);
    glUniform1f(r->ul.w, lw);
    bind3d(UNIT_LAB, g->tex);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  }
  glDisable(GL_BLEND);

  build_hud(r, s, view, &f, o);
  if (r->hud.n > 0) {
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
    glUseProgram(r->hud_prog);
    glUniform2f(r->hud_vp, (float)view->width, (float)view->height);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->font_tex);
    glBindVertexArray(r->hud_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->hud_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)r->hud.n * (GLsizeiptr)sizeof(lt_hud_vertex),
                 r->hud.v, GL_STREAM_DRAW);
    glDrawArrays(GL_TRIANGLES, 0, r->hud.n);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glDisable(GL_BLEND);
  }
  glBindVertexArray(0);
  glUseProgram(0);
  for (int u = UNIT_LUT; u >= 0; u--) {
    glActiveTexture(GL_TEXTURE0 + u);
    glBindTexture(u == UNIT_LUT ? GL_TEXTURE_1D : GL_TEXTURE_3D, 0);
  }
  glActiveTexture(GL_TEXTURE0 + UNIT_VOL);
  glBindTexture(GL_TEXTURE_2D, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, 0);
}
