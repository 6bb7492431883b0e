/* render/lt-window-level.c — see lt-window-level.h. */
#include "lt-window-level.h"

static const lt_wl presets[LT_WL_COUNT] = {
    [LT_WL_LUNG] = {"Lung", 1500, -600},
    [LT_WL_MEDIASTINUM] = {"Mediastinum", 400, 40},
    [LT_WL_BONE] = {"Bone", 2000, 500},
    [LT_WL_PAPER_LUNG] = {"Paper lung [-1000, 400]", 1400, -300},
    [LT_WL_PAPER_MEDIASTINAL] = {"Paper mediastinal [-160, 240]", 400, 40},
};

const lt_wl *lt_wl_preset_get(lt_wl_preset p) {
  if ((int)p < 0 || p >= LT_WL_COUNT) return &presets[0];
  return &presets[p];
}

double lt_wl_grey(double hu, double width, double level, int invert) {
  if (width < 1) width = 1;
  double g = (hu - (level - 0.5 * width)) / width;
  if (g < 0) g = 0;
  if (g > 1) g = 1;
  return invert ? 1 - g : g;
}

void lt_wl_apply_u8(uint8_t *out, const int16_t *hu, long n, double width, double level,
                    int invert) {
  if (width < 1) width = 1;
  float lo = (float)(level - 0.5 * width), k = (float)(255.0 / width);
  for (long i = 0; i < n; i++) {
    float g = ((float)hu[i] - lo) * k;
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    if (invert) g = 255 - g;
    out[i] = (uint8_t)(g + 0.5f);
  }
}
