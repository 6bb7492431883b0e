/* engine/synth/montage.h — the picture that shows whether inserted nodules look like nodules:
 * centre slices (lung window [-1000, 400] HU, 40 mm field of view) of the study's real nodule
 * (the largest one its LIDC readers outlined, when it has one) and of nine nodules inserted into
 * a copy of the same study: eight with chosen attributes (round, small, elongated, poorly
 * defined margin, lobulated, spiculated, subtle, large lobulated and spiculated) and one drawn
 * from the LIDC pool, each labelled. Writes a PNG (ct/picture.h). Deterministic from the seed. */
#ifndef LT_SYNTH_MONTAGE_H
#define LT_SYNTH_MONTAGE_H

#include <stdint.h>

#include "lt-error.h"
#include "synth/attrs.h"
#include "synth/case.h"

int lt_synth_montage(const lt_synth_study *st, const lt_attr_pool *pool, uint64_t seed,
                     const char *png_path, lt_error *err);

#endif
