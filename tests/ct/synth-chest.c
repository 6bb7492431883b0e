/* tests/ct/synth-chest.c — see synth-chest.h. */
#include "synth-chest.h"

#include <math.h>
#include <string.h>

bool lt_synth_in_lung(const lt_synth_chest *d, const double p[3]) {
  for (int l = 0; l < 2; l++) {
    double s = 0;
    for (int a = 0; a < 3; a++) {
      double t = (p[a] - d->lung_c[l][a]) / d->lung_r[a];
      s += t * t;
    }
    if (s <= 1.0) return true;
  }
  return false;
}

bool lt_synth_in_nodule(const lt_synth_chest *d, const double p[3]) {
  if (d->nodule_r <= 0) return false;
  double s = 0;
  for (int a = 0; a < 3; a++) s += (p[a] - d->nodule_c[a]) * (p[a] - d->nodule_c[a]);
  return s <= d->nodule_r * d->nodule_r;
}

lt_volume *lt_synth_chest_new(lt_synth_chest *d, bool nodule, bool airway) {
  memset(d, 0, sizeof *d);
  const double lc[2][3] = {{-50, 0, 0}, {50, 0, 0}};
  memcpy(d->lung_c, lc, sizeof lc);
  d->lung_r[0] = 35;
  d->lung_r[1] = 55;
  d->lung_r[2] = 90;
  if (nodule) {
    /* On the right lung's lateral wall (x = -85 at y = z = 0), half inside the lung. */
    d->nodule_c[0] = -80;
    d->nodule_c[1] = 0;
    d->nodule_c[2] = 10;
    d->nodule_r = 7;
  }
  d->airway = airway;
  lt_volume *v = lt_volume_new(160, 160, 60);
  if (!v) return NULL;
  v->geom.spacing[0] = v->geom.spacing[1] = 1.5;
  v->geom.spacing[2] = 4.0;
  v->geom.origin[0] = v->geom.origin[1] = -119.25;
  v->geom.origin[2] = -118;
  for (int k = 0; k < 60; k++)
    for (int j = 0; j < 160; j++)
      for (int i = 0; i < 160; i++) {
        double ijk[3] = {i, j, k}, p[3];
        lt_geometry_voxel_to_mm(&v->geom, ijk, p);
        int16_t hu = LT_HU_AIR;
        double e = (p[0] / 110) * (p[0] / 110) + (p[1] / 80) * (p[1] / 80);
        if (e <= 1.0) hu = 40;
        if (lt_synth_in_lung(d, p)) {
          hu = -850;
          /* Vessels: vertical cylinders of radius 2 mm every 20 mm. */
          double vx = fmod(fabs(p[0]) + 10.0, 20.0) - 10.0, vy = fmod(fabs(p[1]) + 10.0, 20.0) - 10.0;
          if (vx * vx + vy * vy <= 4.0) hu = 40;
        }
        if (airway && fabs(p[0]) <= 50 && p[1] * p[1] + (p[2] - 30) * (p[2] - 30) <= 36.0)
          hu = -1000;
        if (lt_synth_in_nodule(d, p)) hu = 40;
        v->hu[i + 160 * (j + 160 * k)] = hu;
      }
  return v;
}
