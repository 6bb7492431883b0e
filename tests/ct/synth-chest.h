/* tests/ct/synth-chest.h — synthetic volumes for the preprocessing tests: a chest with two
 * ellipsoidal lungs, vessels and an optional nodule touching the pleura, made with
 * lt_volume_new (no files). Exact shapes are given so tests can compare with analytic volumes. */
#ifndef LT_SYNTH_CHEST_H
#define LT_SYNTH_CHEST_H

#include <stdbool.h>

#include "ct/volume.h"

typedef struct {
  double lung_c[2][3];   /* centres (LPS mm) of the right (x < 0) and left lung */
  double lung_r[3];      /* semi-axes, mm */
  double nodule_c[3];    /* juxtapleural nodule centre, mm */
  double nodule_r;       /* 0: no nodule */
  bool airway;           /* a tube of air joining the lungs */
} lt_synth_chest;

/* 160 x 160 x 60 voxels, spacing 1.5 x 1.5 x 4 mm, origin (-119.25, -119.25, -118), identity
 * direction. Body: elliptic cylinder (semi-axes 110 x 80 mm) of 40 HU; outside -1024 HU.
 * Lungs -850 HU with vertical vessels (radius 2 mm, 40 HU). The nodule (40 HU) sits on the
 * right lung's lateral wall. */
lt_volume *lt_synth_chest_new(lt_synth_chest *desc, bool nodule, bool airway);

/* Inside tests (mm): */
bool lt_synth_in_lung(const lt_synth_chest *d, const double p[3]);
bool lt_synth_in_nodule(const lt_synth_chest *d, const double p[3]);

#endif
