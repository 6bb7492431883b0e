/* render/lt-hud.h — the screen-space layer drawn over a slice: flat rectangles and text from
 * the built-in font, batched as triangles (x, y in screen pixels, top-left origin; u, v in the
 * font atlas). Builds vertex arrays only; lt-renderer.c uploads and draws them. No GL here. */
#ifndef LT_HUD_H
#define LT_HUD_H

typedef struct {
  float x, y, u, v, r, g, b, a;
} lt_hud_vertex;

typedef struct {
  lt_hud_vertex *v;
  int n, cap;
  int oom; /* set when an append failed for lack of memory (the rest is dropped) */
} lt_hud;

void lt_hud_reset(lt_hud *h);
void lt_hud_free(lt_hud *h);
void lt_hud_rect(lt_hud *h, float x, float y, float w, float hgt, const float rgba[4]);
/* A rectangle whose colour goes from TOP to BOTTOM. */
void lt_hud_rect_vgrad(lt_hud *h, float x, float y, float w, float hgt, const float top[4],
                       const float bottom[4]);
/* A straight line of WIDTH pixels from (x0, y0) to (x1, y1) (a rotated rectangle). */
void lt_hud_line(lt_hud *h, float x0, float y0, float x1, float y1, float width,
                 const float rgba[4]);
/* Text with its top-left corner at (x, y), each font pixel SCALE screen pixels, with a 1-pixel
 * dark shadow so it reads on any grey. */
void lt_hud_text(lt_hud *h, float x, float y, int scale, const char *s, const float rgba[4]);
float lt_hud_text_width(const char *s, int scale);
float lt_hud_text_height(int scale);

#endif
