/* engine/synth/kappa.c — see kappa.h. */
#include "synth/kappa.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KMAX 16

static double kappa_table(const double O[KMAX][KMAX], int k) {
  double rows[KMAX] = {0}, cols[KMAX] = {0}, n = 0;
  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++) {
      rows[i] += O[i][j];
      cols[j] += O[i][j];
      n += O[i][j];
    }
  if (n < 2) return NAN;
  double wo = 0, we = 0;
  for (int i = 0; i < k; i++)
    for (int j = 0; j < k; j++) {
      double w = (double)(i - j) * (double)(i - j);
      wo += w * O[i][j];
      we += w * rows[i] * cols[j] / n;
    }
  if (we <= 0) return NAN;
  return 1.0 - wo / we;
}

double lt_kappa_quadratic(const int *x, const int *y, int n, int k) {
  if (k < 2 || k > KMAX) return NAN;
  double O[KMAX][KMAX];
  memset(O, 0, sizeof O);
  for (int i = 0; i < n; i++) {
    if (x[i] < 1 || x[i] > k || y[i] < 1 || y[i] > k) continue;
    O[x[i] - 1][y[i] - 1] += 1;
  }
  return kappa_table(O, k);
}

void lt_agreement_compute(lt_agreement *out, const int *r, int n_items, int slots, int k,
                          int min_items) {
  memset(out, 0, sizeof *out);
  out->mean_pairwise = NAN;
  out->pooled = NAN;
  if (k < 2 || k > KMAX || slots < 2 || n_items <= 0) return;
  int *x = malloc((size_t)n_items * sizeof *x), *y = malloc((size_t)n_items * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    return;
  }
  double sum = 0;
  for (int a = 0; a < slots; a++)
    for (int b = a + 1; b < slots; b++) {
      int n = 0;
      for (int i = 0; i < n_items; i++) {
        int u = r[(size_t)i * slots + a], v = r[(size_t)i * slots + b];
        if (u >= 1 && u <= k && v >= 1 && v <= k) {
          x[n] = u;
          y[n] = v;
          n++;
        }
      }
      if (n < min_items) continue;
      double kw = lt_kappa_quadratic(x, y, n, k);
      if (!isfinite(kw)) continue;
      sum += kw;
      out->pairs_used++;
    }
  if (out->pairs_used) out->mean_pairwise = sum / out->pairs_used;
  free(x);
  free(y);

  double O[KMAX][KMAX];
  memset(O, 0, sizeof O);
  for (int i = 0; i < n_items; i++)
    for (int a = 0; a < slots; a++)
      for (int b = a + 1; b < slots; b++) {
        int u = r[(size_t)i * slots + a], v = r[(size_t)i * slots + b];
        if (u < 1 || u > k || v < 1 || v > k) continue;
        O[u - 1][v - 1] += 1;
        O[v - 1][u - 1] += 1;
        out->pooled_pairs++;
      }
  out->pooled = kappa_table(O, k);
}
