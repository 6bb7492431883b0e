/* engine/synth/attrs.h — the six attributes of a synthetic nodule (the model's six scores:
 * subtlety, sphericity, margin, lobulation, spiculation, malignancy rating; 1-5 each, real
 * numbers) and its equivalent diameter, drawn from the real joint distribution of LIDC ratings.
 *
 * Method: the pool is every LIDC physical nodule (lidc-tables.h) with at least two readings,
 * each of the six rated by at least one of them, and a list3.2 equivalent diameter in 3-30 mm.
 * A draw picks one pool nodule uniformly, takes its mean rating of each attribute (over the
 * readings that rate it) and its diameter, and jitters them: each score + N(0, 0.25^2) clamped to
 * [1, 5]; diameter * exp(N(0, 0.1^2)) clamped to [3, 30] mm. The correlations between attributes
 * and size are therefore the real ones. Does no I/O. */
#ifndef LT_SYNTH_ATTRS_H
#define LT_SYNTH_ATTRS_H

#include "synth/lidc-tables.h"
#include "synth/rng.h"

enum {
  LT_ATTR_SUBTLETY = 0,
  LT_ATTR_SPHERICITY,
  LT_ATTR_MARGIN,
  LT_ATTR_LOBULATION,
  LT_ATTR_SPICULATION,
  LT_ATTR_MALIGNANCY,
  LT_ATTR_N
};

/* LIDC characteristic index (ct/lidc.h) of each attribute. */
extern const int lt_synth_attr_lidc[LT_ATTR_N];
/* "subtlety", "sphericity", "margin", "lobulation", "spiculation", "malignancy". */
extern const char *const lt_synth_attr_names[LT_ATTR_N];

typedef struct {
  double score[LT_ATTR_N]; /* true (latent) scores in [1, 5] */
  double diameter_mm;      /* equivalent-sphere diameter, 3-30 */
  int source;              /* index of the LIDC nodule it was drawn from (tables order), -1 none */
} lt_synth_attrs;

typedef struct {
  int n;
  int *source;                    /* tables index */
  double (*mean)[LT_ATTR_N];
  double *diameter_mm;
} lt_attr_pool;

/* -1 (err) when no nodule qualifies or out of memory. */
int lt_attr_pool_build(const lt_lidc_tables *t, lt_attr_pool **out, lt_error *err);
void lt_attr_pool_free(lt_attr_pool *p);
void lt_attr_draw(const lt_attr_pool *p, lt_srng *rng, lt_synth_attrs *out);

#endif
