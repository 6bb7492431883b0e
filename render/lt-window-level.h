/* render/lt-window-level.h — window/level presets and the grey value they give.
 * The shader and the CPU reference (tests, the CPU peer of the benchmark) use the same
 * formula: grey = clamp((HU - (level - width/2)) / width, 0, 1), inverted when asked.
 * No GL here. */
#ifndef LT_WINDOW_LEVEL_H
#define LT_WINDOW_LEVEL_H

#include <stdint.h>

typedef enum {
  LT_WL_LUNG = 0,          /* W1500 / L-600 (key 1) */
  LT_WL_MEDIASTINUM,       /* W400 / L40 = the paper's mediastinal window [-160, 240] (key 2) */
  LT_WL_BONE,              /* W2000 / L500 (key 3) */
  LT_WL_PAPER_LUNG,        /* the paper's lung window [-1000, 400] = W1400 / L-300 (key 4) */
  LT_WL_PAPER_MEDIASTINAL, /* the paper's [-160, 240], named for the model's second channel */
  LT_WL_COUNT
} lt_wl_preset;

typedef struct {
  const char *name; /* short English label */
  double width, level;
} lt_wl;

const lt_wl *lt_wl_preset_get(lt_wl_preset p);
/* Grey in [0, 1] for one HU value. */
double lt_wl_grey(double hu, double width, double level, int invert);
/* 8-bit greys of N HU values (the CPU reference renderer): round(255 * grey). */
void lt_wl_apply_u8(uint8_t *out, const int16_t *hu, long n, double width, double level,
                    int invert);

#endif
