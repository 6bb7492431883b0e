/* render/lt-colormap.c — see lt-colormap.h. */
#include "lt-colormap.h"

static const double inferno_c[7][3] = {
    {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
    {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
    {11.60249308247187, -3.972853965665698, -15.9423941062914},
    {-41.70399613139459, 17.43639888205313, 44.35414519872813},
    {77.162935699427, -33.40235894210092, -81.80730925738993},
    {-71.31942824499214, 32.62606426397723, 73.20951985803202},
    {25.13112622477341, -12.24266895238567, -23.07032500287172},
};

void lt_inferno(double t, double rgb[3]) {
  if (t < 0) t = 0;
  if (t > 1) t = 1;
  for (int c = 0; c < 3; c++) {
    double v = inferno_c[6][c];
    for (int k = 5; k >= 0; k--) v = inferno_c[k][c] + t * v;
    rgb[c] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

void lt_inferno_table(uint8_t *rgb) {
  for (int i = 0; i < LT_COLORMAP_SIZE; i++) {
    double c[3];
    lt_inferno(i / (double)(LT_COLORMAP_SIZE - 1), c);
    for (int k = 0; k < 3; k++) rgb[3 * i + k] = (uint8_t)(c[k] * 255 + 0.5);
  }
}
