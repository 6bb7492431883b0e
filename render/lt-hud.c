/* render/lt-hud.c — see lt-hud.h. */
#include "lt-hud.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lt-font.h"

void lt_hud_reset(lt_hud *h) {
  h->n = 0;
  h->oom = 0;
}

void lt_hud_free(lt_hud *h) {
  free(h->v);
  memset(h, 0, sizeof *h);
}

static lt_hud_vertex *grow(lt_hud *h, int k) {
  if (h->n + k > h->cap) {
    int cap = h->cap ? h->cap * 2 : 1024;
    while (cap < h->n + k) cap *= 2;
    lt_hud_vertex *nv = realloc(h->v, (size_t)cap * sizeof *nv);
    if (!nv) {
      h->oom = 1;
      return NULL;
    }
    h->v = nv;
    h->cap = cap;
  }
  lt_hud_vertex *p = h->v + h->n;
  h->n += k;
  return p;
}

static void vtx(lt_hud_vertex *p, float x, float y, float u, float v, const float c[4]) {
  p->x = x;
  p->y = y;
  p->u = u;
  p->v = v;
  p->r = c[0];
  p->g = c[1];
  p->b = c[2];
  p->a = c[3];
}

static void quad(lt_hud *h, float x, float y, float w, float hgt, float u0, float v0, float u1,
                 float v1, const float top[4], const float bottom[4]) {
  lt_hud_vertex *p = grow(h, 6);
  if (!p) return;
  vtx(p + 0, x, y, u0, v0, top);
  vtx(p + 1, x + w, y, u1, v0, top);
  vtx(p + 2, x + w, y + hgt, u1, v1, bottom);
  vtx(p + 3, x, y, u0, v0, top);
  vtx(p + 4, x + w, y + hgt, u1, v1, bottom);
  vtx(p + 5, x, y + hgt, u0, v1, bottom);
}

static void solid_uv(float *u, float *v) {
  *u = ((LT_FONT_SOLID % 16) * LT_FONT_CELL_W + LT_FONT_CELL_W * 0.5f) / LT_FONT_ATLAS_W;
  *v = ((LT_FONT_SOLID / 16) * LT_FONT_CELL_H + LT_FONT_CELL_H * 0.5f) / LT_FONT_ATLAS_H;
}

void lt_hud_rect(lt_hud *h, float x, float y, float w, float hgt, const float rgba[4]) {
  lt_hud_rect_vgrad(h, x, y, w, hgt, rgba, rgba);
}

void lt_hud_rect_vgrad(lt_hud *h, float x, float y, float w, float hgt, const float top[4],
                       const float bottom[4]) {
  float u, v;
  solid_uv(&u, &v);
  quad(h, x, y, w, hgt, u, v, u, v, top, bottom);
}

void lt_hud_line(lt_hud *h, float x0, float y0, float x1, float y1, float width,
                 const float rgba[4]) {
  float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
  if (!(len > 0)) {
    lt_hud_rect(h, x0 - 0.5f * width, y0 - 0.5f * width, width, width, rgba);
    return;
  }
  float nx = -dy / len * 0.5f * width, ny = dx / len * 0.5f * width;
  float u, v;
  solid_uv(&u, &v);
  lt_hud_vertex *p = grow(h, 6);
  if (!p) return;
  vtx(p + 0, x0 + nx, y0 + ny, u, v, rgba);
  vtx(p + 1, x1 + nx, y1 + ny, u, v, rgba);
  vtx(p + 2, x1 - nx, y1 - ny, u, v, rgba);
  vtx(p + 3, x0 + nx, y0 + ny, u, v, rgba);
  vtx(p + 4, x1 - nx, y1 - ny, u, v, rgba);
  vtx(p + 5, x0 - nx, y0 - ny, u, v, rgba);
}

static void text_pass(lt_hud *h, float x, float y, int scale, const char *s, const float c[4]) {
  float cx = x;
  for (; *s; s++) {
    if (*s == '\n') {
      cx = x;
      y += lt_hud_text_height(scale) + scale;
      continue;
    }
    int cell = lt_font_cell(*s);
    if (cell != ' ') {
      float u0 = (float)((cell % 16) * LT_FONT_CELL_W) / LT_FONT_ATLAS_W;
      float v0 = (float)((cell / 16) * LT_FONT_CELL_H) / LT_FONT_ATLAS_H;
      float u1 = u0 + (float)LT_FONT_GLYPH_W / LT_FONT_ATLAS_W;
      float v1 = v0 + (float)LT_FONT_GLYPH_H / LT_FONT_ATLAS_H;
      quad(h, cx, y, (float)(LT_FONT_GLYPH_W * scale), (float)(LT_FONT_GLYPH_H * scale), u0, v0,
           u1, v1, c, c);
    }
    cx += (float)(LT_FONT_CELL_W * scale);
  }
}

void lt_hud_text(lt_hud *h, float x, float y, int scale, const char *s, const float rgba[4]) {
  const float shadow[4] = {0, 0, 0, 0.8f * rgba[3]};
  text_pass(h, x + 1, y + 1, scale, s, shadow);
  text_pass(h, x, y, scale, s, rgba);
}

float lt_hud_text_width(const char *s, int scale) {
  int n = 0, best = 0;
  for (; *s; s++) {
    if (*s == '\n') {
      n = 0;
      continue;
    }
    if (++n > best) best = n;
  }
  return best > 0 ? (float)((best * LT_FONT_CELL_W - 1) * scale) : 0.0f;
}

float lt_hud_text_height(int scale) { return (float)(LT_FONT_GLYPH_H * scale); }
