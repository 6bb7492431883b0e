/* render/lt-font.c — see lt-font.h. Rows top to bottom, 5 bits each, MSB leftmost. */
#include "lt-font.h"

#include <string.h>

typedef struct {
  char c;
  uint8_t rows[7];
} glyph;

#define B(a, b, c, d, e, f, g) {0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f, 0x##g}
static const glyph glyphs[] = {
    {'0', B(0e, 11, 13, 15, 19, 11, 0e)}, {'1', B(04, 0c, 04, 04, 04, 04, 0e)},
    {'2', B(0e, 11, 01, 02, 04, 08, 1f)}, {'3', B(1f, 02, 04, 02, 01, 11, 0e)},
    {'4', B(02, 06, 0a, 12, 1f, 02, 02)}, {'5', B(1f, 10, 1e, 01, 01, 11, 0e)},
    {'6', B(06, 08, 10, 1e, 11, 11, 0e)}, {'7', B(1f, 01, 02, 04, 08, 08, 08)},
    {'8', B(0e, 11, 11, 0e, 11, 11, 0e)}, {'9', B(0e, 11, 11, 0f, 01, 02, 0c)},
    {'.', B(00, 00, 00, 00, 00, 0c, 0c)}, {'-', B(00, 00, 00, 1f, 00, 00, 00)},
    {'+', B(00, 04, 04, 1f, 04, 04, 00)}, {'/', B(01, 02, 02, 04, 08, 08, 10)},
    {':', B(00, 0c, 0c, 00, 0c, 0c, 00)}, {'%', B(18, 19, 02, 04, 08, 13, 03)},
    {'=', B(00, 00, 1f, 00, 1f, 00, 00)}, {'(', B(02, 04, 08, 08, 08, 04, 02)},
    {')', B(08, 04, 02, 02, 02, 04, 08)}, {',', B(00, 00, 00, 00, 0c, 04, 08)},
    {'A', B(0e, 11, 11, 1f, 11, 11, 11)}, {'B', B(1e, 11, 11, 1e, 11, 11, 1e)},
    {'C', B(0e, 11, 10, 10, 10, 11, 0e)}, {'D', B(1c, 12, 11, 11, 11, 12, 1c)},
    {'E', B(1f, 10, 10, 1e, 10, 10, 1f)}, {'F', B(1f, 10, 10, 1e, 10, 10, 10)},
    {'G', B(0e, 11, 10, 17, 11, 11, 0f)}, {'H', B(11, 11, 11, 1f, 11, 11, 11)},
    {'I', B(0e, 04, 04, 04, 04, 04, 0e)}, {'J', B(07, 02, 02, 02, 02, 12, 0c)},
    {'K', B(11, 12, 14, 18, 14, 12, 11)}, {'L', B(10, 10, 10, 10, 10, 10, 1f)},
    {'M', B(11, 1b, 15, 15, 11, 11, 11)}, {'N', B(11, 11, 19, 15, 13, 11, 11)},
    {'O', B(0e, 11, 11, 11, 11, 11, 0e)}, {'P', B(1e, 11, 11, 1e, 10, 10, 10)},
    {'Q', B(0e, 11, 11, 11, 15, 12, 0d)}, {'R', B(1e, 11, 11, 1e, 14, 12, 11)},
    {'S', B(0f, 10, 10, 0e, 01, 01, 1e)}, {'T', B(1f, 04, 04, 04, 04, 04, 04)},
    {'U', B(11, 11, 11, 11, 11, 11, 0e)}, {'V', B(11, 11, 11, 11, 11, 0a, 04)},
    {'W', B(11, 11, 11, 15, 15, 15, 0a)}, {'X', B(11, 11, 0a, 04, 0a, 11, 11)},
    {'Y', B(11, 11, 11, 0a, 04, 04, 04)}, {'Z', B(1f, 01, 02, 04, 08, 10, 1f)},
    {'m', B(00, 00, 1a, 15, 15, 11, 11)}, {'c', B(00, 00, 0e, 10, 10, 11, 0e)},
};
#undef B

int lt_font_cell(char c) {
  if (c == 'm' || c == 'c') return c;
  if (c >= 'a' && c <= 'z') return c - 'a' + 'A';
  if (c > ' ' && c < 127) return c;
  return ' ';
}

void lt_font_atlas(uint8_t *atlas) {
  memset(atlas, 0, LT_FONT_ATLAS_W * LT_FONT_ATLAS_H);
  for (size_t g = 0; g < sizeof glyphs / sizeof glyphs[0]; g++) {
    int cell = (unsigned char)glyphs[g].c;
    int x0 = (cell % 16) * LT_FONT_CELL_W, y0 = (cell / 16) * LT_FONT_CELL_H;
    for (int r = 0; r < LT_FONT_GLYPH_H; r++)
      for (int b = 0; b < LT_FONT_GLYPH_W; b++)
        if (glyphs[g].rows[r] & (0x10 >> b))
          atlas[(y0 + r) * LT_FONT_ATLAS_W + x0 + b] = 255;
  }
  int x0 = (LT_FONT_SOLID % 16) * LT_FONT_CELL_W, y0 = (LT_FONT_SOLID / 16) * LT_FONT_CELL_H;
  for (int r = 0; r < LT_FONT_CELL_H; r++)
    memset(atlas + (y0 + r) * LT_FONT_ATLAS_W + x0, 255, LT_FONT_CELL_W);
}
