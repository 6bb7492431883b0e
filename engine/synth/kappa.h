/* engine/synth/kappa.h — inter-reader agreement on ordinal ratings: Cohen's kappa with quadratic
 * weights, and the mean pairwise statistic the simulated readers are calibrated against.
 *
 * Ratings are integers 1..k; 0 means "not rated" and is left out. Quadratic weights:
 * w(i,j) = (i-j)^2; kappa_w = 1 - sum w*O / sum w*E, E from the two raters' marginals.
 *
 * Mean pairwise agreement over a table of items x slots (a slot is one reader position; for the
 * LIDC tables a slot is the position of a rating row within its physical nodule, because the
 * table's readers are anonymous): for each pair of slots (a < b), kappa_w over the items both
 * slots rated, kept when at least min_items items are shared; the statistic is the mean of those
 * pair kappas. The pooled variant puts every pair of ratings of every item, both orders, into one
 * table (symmetric marginals) and takes one kappa_w from it. Does no I/O. */
#ifndef LT_SYNTH_KAPPA_H
#define LT_SYNTH_KAPPA_H

/* kappa_w of n paired ratings x[i], y[i] in 1..k (pairs with a 0 are skipped). NAN when fewer
 * than 2 pairs or no expected disagreement. k <= 16. */
double lt_kappa_quadratic(const int *x, const int *y, int n, int k);

typedef struct {
  double mean_pairwise; /* mean over kept slot pairs; NAN when none */
  int pairs_used;       /* slot pairs with >= min_items shared items */
  double pooled;        /* one kappa over all within-item pairs, both orders */
  long pooled_pairs;    /* unordered within-item pairs counted */
} lt_agreement;

/* r: n_items rows of `slots` ratings each (r[i*slots + s], 0 = none). */
void lt_agreement_compute(lt_agreement *out, const int *r, int n_items, int slots, int k,
                          int min_items);

#endif
