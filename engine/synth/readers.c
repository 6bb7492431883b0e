/* engine/synth/readers.c — see readers.h. */
#include "synth/readers.h"

#include <math.h>
#include <string.h>

void lt_reader_model_default(lt_reader_model *m) {
  memset(m, 0, sizeof *m);
  /* Per-reader systematic offsets: reader 0 rates low, reader 3 high, scaled per attribute. */
  static const double reader_shift[LT_SYNTH_READERS] = {-1.0, -0.35, 0.35, 1.0};
  static const double shift_scale[LT_ATTR_N] = {0.30, 0.25, 0.30, 0.30, 0.25, 0.30};
  static const double noise[LT_ATTR_N] = {1.16, 1.17, 1.12, 1.07, 0.95, 0.97};
  for (int r = 0; r < LT_SYNTH_READERS; r++)
    for (int a = 0; a < LT_ATTR_N; a++) m->bias[r][a] = reader_shift[r] * shift_scale[a];
  for (int a = 0; a < LT_ATTR_N; a++) m->noise_sd[a] = noise[a];
  m->miss_max = 0.35;
  m->miss_below_mm = 8.0;
  static const double thr[LT_SYNTH_READERS] = {-0.04, 0.04, 0.11, 0.18};
  for (int r = 0; r < LT_SYNTH_READERS; r++) m->thr_bias[r] = thr[r];
  m->thr_sd = 0.05;
  m->jitter_mm = 0.35;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

void lt_readers_read(const lt_reader_model *m, const lt_synth_attrs *truth, lt_srng *rng,
                     lt_reader_view views[LT_SYNTH_READERS]) {
  double d = truth->diameter_mm;
  double small = 1.0 - (d - 3.0) / (m->miss_below_mm - 3.0);
  if (small < 0) small = 0;
  double p_miss = m->miss_max * small * (5.5 - truth->score[LT_ATTR_SUBTLETY]) / 4.5;
  int n_seen = 0;
  for (int r = 0; r < LT_SYNTH_READERS; r++) {
    lt_reader_view *v = &views[r];
    memset(v, 0, sizeof *v);
    /* Draw every number whether or not it is used, so one reader's miss does not shift the
     * others' draws. */
    double u = lt_srng_uniform(rng);
    v->seen = u >= p_miss;
    for (int a = 0; a < LT_ATTR_N; a++) {
      double x = truth->score[a] + m->bias[r][a] + m->noise_sd[a] * lt_srng_normal(rng);
      v->rating[a] = clampi((int)lround(x), 1, 5);
    }
    v->threshold = clampd(0.5 + m->thr_bias[r] + m->thr_sd * lt_srng_normal(rng), 0.25, 0.75);
    for (int c = 0; c < 8; c++) v->jitter[c] = m->jitter_mm * lt_srng_normal(rng) / sqrt(1.0 + c);
    if (v->seen) n_seen++;
  }
  if (!n_seen) views[LT_SYNTH_READERS - 1].seen = true;
  for (int r = 0; r < LT_SYNTH_READERS; r++)
    if (!views[r].seen) memset(views[r].rating, 0, sizeof views[r].rating);
}

void lt_readers_rate_kind(int texture, int calcification, lt_srng *rng,
                          lt_reader_view views[LT_SYNTH_READERS]) {
  for (int r = 0; r < LT_SYNTH_READERS; r++) {
    lt_reader_view *v = &views[r];
    v->texture = texture;
    v->calcification = calcification;
    if (texture == 5 && calcification == 6) continue;
    double u = lt_srng_uniform(rng), w = lt_srng_uniform(rng);
    if (texture == 1) v->texture = u < 0.8 ? 1 : 2;
    else if (texture == 3) v->texture = u < 0.6 ? 3 : u < 0.8 ? 2 : 4;
    if (calcification != 6 && w >= 0.85) v->calcification = calcification == 3 ? 5 : 3;
    if (!v->seen) v->texture = v->calcification = 0;
  }
}
