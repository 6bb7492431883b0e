/* engine/synth/font.h — a 5x7 pixel font (upper-case letters, digits, a few signs) to label
 * pictures drawn with ct/picture.h; lower-case is drawn as upper-case, unknown characters as a
 * space. Written by hand: picture.h draws no text and the engine links no font library. */
#ifndef LT_SYNTH_FONT_H
#define LT_SYNTH_FONT_H

#include <stdint.h>

#include "ct/picture.h"

/* Draws text with its top-left corner at (x, y), each font pixel a scale x scale block. Returns
 * the width drawn in pixels. */
int lt_font_draw(lt_picture *p, int x, int y, const char *text, int scale, const uint8_t rgb[3]);

#endif
