/* render/lt-font.h — a small built-in 5x7 bitmap font for on-image text (orientation
 * letters, scale bar, colour bar labels). Covers digits, upper-case letters, 'm', 'c' and a
 * little punctuation; other lower-case letters draw as upper case, anything else as blank.
 * The atlas is 16 x 8 cells of LT_FONT_CELL_W x LT_FONT_CELL_H pixels, cell = ASCII code;
 * cell 127 is solid (for untextured quads). No GL here. */
#ifndef LT_FONT_H
#define LT_FONT_H

#include <stdint.h>

#define LT_FONT_CELL_W 6
#define LT_FONT_CELL_H 8
#define LT_FONT_GLYPH_W 5
#define LT_FONT_GLYPH_H 7
#define LT_FONT_ATLAS_W (16 * LT_FONT_CELL_W)
#define LT_FONT_ATLAS_H (8 * LT_FONT_CELL_H)
#define LT_FONT_SOLID 127

/* Fills atlas[LT_FONT_ATLAS_W * LT_FONT_ATLAS_H] with 0 / 255, row 0 at the top. */
void lt_font_atlas(uint8_t *atlas);
/* The cell drawn for character C. */
int lt_font_cell(char c);

#endif
