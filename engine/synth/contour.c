/* engine/synth/contour.c — see contour.h. */
#include "synth/contour.h"

#include <stdlib.h>
#include <string.h>

/* Clockwise (in image coordinates: x right, y down) from west. */
static const int DX[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
static const int DY[8] = {0, -1, -1, -1, 0, 1, 1, 1};

static int trace_one(const uint8_t *d, int W, int H, int sx, int sy, lt_outline *o) {
  int cap = 64, n = 0;
  int *xy = malloc((size_t)cap * 2 * sizeof *xy);
  if (!xy) return -1;
  int cx = sx, cy = sy, bdir = 0; /* backtrack: the west neighbour, outside by construction */
  xy[0] = cx;
  xy[1] = cy;
  n = 1;
  long guard = 4L * W * H + 16;
  while (--guard > 0) {
    int found = -1;
    for (int t = 1; t <= 8; t++) {
      int dir = (bdir + t) % 8;
      int x = cx + DX[dir], y = cy + DY[dir];
      if (x >= 0 && y >= 0 && x < W && y < H && d[(size_t)y * W + x]) {
        found = dir;
        break;
      }
    }
    if (found < 0) break; /* an isolated pixel */
    int nx = cx + DX[found], ny = cy + DY[found];
    /* Back at the start about to repeat the first step: the chain is closed. */
    if (cx == sx && cy == sy && n >= 2 && nx == xy[2] && ny == xy[3]) break;
    /* The new backtrack: the neighbour examined just before `found`, seen from the new pixel. */
    int px = cx + DX[(found + 7) % 8], py = cy + DY[(found + 7) % 8];
    cx = nx;
    cy = ny;
    for (int k = 0; k < 8; k++)
      if (cx + DX[k] == px && cy + DY[k] == py) bdir = k;
    if (n == cap) {
      cap *= 2;
      int *p = realloc(xy, (size_t)cap * 2 * sizeof *p);
      if (!p) {
        free(xy);
        return -1;
      }
      xy = p;
    }
    xy[n * 2] = cx;
    xy[n * 2 + 1] = cy;
    n++;
  }
  /* The chain ends on the start pixel; drop the repeated start. */
  if (n > 1 && xy[(n - 1) * 2] == sx && xy[(n - 1) * 2 + 1] == sy) n--;
  o->n = n;
  o->xy = xy;
  return 0;
}

int lt_outlines_trace(const uint8_t *mask, int w, int h, lt_outline **out, int *n_out, lt_error *err) {
  *out = NULL;
  *n_out = 0;
  /* Padded by 2 so the dilation and the trace never leave the buffer. */
  int W = w + 4, H = h + 4;
  int *label = calloc((size_t)w * h, sizeof *label);
  uint8_t *d = malloc((size_t)W * H);
  int *stack = malloc((size_t)w * h * sizeof *stack);
  lt_outline *outs = NULL;
  int n = 0, cap = 0;
  if (!label || !d || !stack) goto oom;
  int next = 0;
  for (int s = 0; s < w * h; s++) {
    if (!mask[s] || label[s]) continue;
    next++;
    int sp = 0;
    stack[sp++] = s;
    label[s] = next;
    memset(d, 0, (size_t)W * H);
    int sx = W, sy = H;
    while (sp) {
      int q = stack[--sp];
      int x = q % w, y = q / w;
      d[(size_t)(y + 2) * W + (x + 2)] = 1;
      /* A pixel ending a horizontal bottom run gets the pixel below it added (see the header). */
      if (y + 1 >= h || !mask[q + w]) {
        int l = x > 0 && mask[q - 1] && (y + 1 >= h || !mask[q - 1 + w]);
        int r = x + 1 < w && mask[q + 1] && (y + 1 >= h || !mask[q + 1 + w]);
        if (l || r) d[(size_t)(y + 3) * W + (x + 2)] = 1;
      }
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          int r = ny * w + nx;
          if (mask[r] && !label[r]) {
            label[r] = next;
            stack[sp++] = r;
          }
        }
    }
    /* Top-most, then left-most pixel of the piece. */
    for (int y = 0; y < H && sy == H; y++)
      for (int x = 0; x < W; x++)
        if (d[(size_t)y * W + x]) {
          sx = x;
          sy = y;
          break;
        }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      lt_outline *p = realloc(outs, (size_t)cap * sizeof *p);
      if (!p) goto oom;
      outs = p;
    }
    if (trace_one(d, W, H, sx, sy, &outs[n]) != 0) goto oom;
    for (int i = 0; i < outs[n].n; i++) {
      outs[n].xy[2 * i] -= 2;
      outs[n].xy[2 * i + 1] -= 2;
    }
    n++;
  }
  free(label);
  free(d);
  free(stack);
  *out = outs;
  *n_out = n;
  return 0;
oom:
  free(label);
  free(d);
  free(stack);
  lt_outlines_free(outs, n);
  return lt_error_set(err, "out of memory tracing an outline"), -1;
}

void lt_outlines_free(lt_outline *o, int n) {
  if (!o) return;
  for (int i = 0; i < n; i++) free(o[i].xy);
  free(o);
}
