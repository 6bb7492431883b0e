/* engine/train/augment.h — training augmentation: random flips, 90-degree rotations and axis
 * transposes of a cubic patch. Together these are the 48 symmetries of the cube (an axis
 * permutation and a flip per axis), so one random symmetry covers all three; the same symmetry
 * is applied to the patch and its masks so they stay aligned. Nearest-neighbour free: every
 * symmetry is a permutation of voxels. It knows no model and reads no files. */
#ifndef LT_TRAIN_AUGMENT_H
#define LT_TRAIN_AUGMENT_H

#include "model/params.h"

typedef struct {
  int perm[3]; /* output axis a reads input axis perm[a]; axes (z, y, x) */
  int flip[3]; /* 1: that output axis runs backwards */
} lt_augment;

/* Which symmetries training draws from (train --augment). */
typedef enum {
  LT_AUGMENT_NONE,  /* none */
  LT_AUGMENT_CUBE,  /* all 48 (lt_augment_random) */
  LT_AUGMENT_AXIAL, /* the 16 that keep z (lt_augment_random_axial) */
} lt_augment_set;

/* "none", "cube", "axial" <-> the set; parse returns -1 for another name. */
int lt_augment_set_parse(const char *name, lt_augment_set *out);
const char *lt_augment_set_name(lt_augment_set s);

void lt_augment_identity(lt_augment *a);
/* One of the 48 symmetries, uniformly. */
void lt_augment_random(lt_augment *a, lt_rng *r);
/* One of the 16 that keep the slice axis z as z (in-plane rotations, flips and transposes, and
 * a z flip), uniformly: CT is anisotropic (2.5 mm slices against 0.7 mm pixels), and these keep
 * its blur along z where it is at test time. */
void lt_augment_random_axial(lt_augment *a, lt_rng *r);
/* The k-th symmetry, k in [0, 48); 0 is the identity; k < 16 keep z (axis 0) in place. */
void lt_augment_nth(lt_augment *a, int k);

/* out = a(in) for an (S, S, S, C) volume with C channels innermost (NDHWC without N; C = 1 for
 * masks). out and in must not overlap. */
void lt_augment_apply(const lt_augment *a, float *out, const float *in, int S, int C);

#endif
