/* engine/review/scope.c — see scope.h; the rules' numbers and their reasons: docs/scope.md. */
#include "review/scope.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ct/patch.h"

static const struct {
  const char *name;
  lt_scope_level level;
} codes[LT_SCOPE_N_CODES] = {
    [LT_SCOPE_OUTSIDE_LUNGS] = {"outside_lungs", LT_SCOPE_OUT},
    [LT_SCOPE_NOT_SOLID] = {"not_solid", LT_SCOPE_OUT},
    [LT_SCOPE_OVERSIZE] = {"oversize", LT_SCOPE_OUT},
    [LT_SCOPE_UNUSUAL] = {"unusual", LT_SCOPE_OUT},
    [LT_SCOPE_CALCIFIED] = {"calcified", LT_SCOPE_CAUTION},
    [LT_SCOPE_THICK_SLICES] = {"thick_slices", LT_SCOPE_CAUTION},
    [LT_SCOPE_ACQUISITION] = {"acquisition", LT_SCOPE_CAUTION},
    [LT_SCOPE_COARSE_MAP] = {"coarse_map", LT_SCOPE_CAUTION},
    [LT_SCOPE_FILLED_SLICES] = {"filled_slices", LT_SCOPE_CAUTION},
};

const char *lt_scope_code_name(lt_scope_code c) {
  return (unsigned)c < LT_SCOPE_N_CODES ? codes[c].name : "unknown";
}

lt_scope_level lt_scope_code_level(lt_scope_code c) {
  return (unsigned)c < LT_SCOPE_N_CODES ? codes[c].level : LT_SCOPE_OUT;
}

const char *lt_scope_level_name(lt_scope_level l) {
  return l == LT_SCOPE_IN ? "in_scope" : l == LT_SCOPE_CAUTION ? "caution" : "out_of_scope";
}

void lt_scope_add(lt_scope *s, lt_scope_code code, const char *fmt, ...) {
  if (s->n >= LT_SCOPE_N_CODES || lt_scope_has(s, code)) return;
  lt_scope_reason *r = &s->reasons[s->n++];
  r->code = code;
  r->level = lt_scope_code_level(code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->text, sizeof r->text, fmt, ap);
  va_end(ap);
  if (r->level > s->level) s->level = r->level;
}

bool lt_scope_has(const lt_scope *s, lt_scope_code code) {
  for (int i = 0; i < s->n; i++)
    if (s->reasons[i].code == code) return true;
  return false;
}

const char *lt_scope_codes(const lt_scope *s, char *buf, size_t n) {
  size_t at = 0;
  if (n) buf[0] = 0;
  for (int i = 0; i < s->n && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? "," : "",
                           lt_scope_code_name(s->reasons[i].code));
  return buf;
}

char *lt_scope_reasons_json(const lt_scope *s) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && i < s->n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", lt_scope_code_name(s->reasons[i].code));
    cJSON_AddStringToObject(o, "level", lt_scope_level_name(s->reasons[i].level));
    cJSON_AddStringToObject(o, "sentence", s->reasons[i].text);
    cJSON_AddItemToArray(a, o);
  }
  char *text = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  return text;
}

void lt_scope_check_acquisition(lt_scope *s, const lt_train_stats *st, double spacing_mm,
                                double thickness_mm, const char *manufacturer) {
  if (thickness_mm > 3.0)
    lt_scope_add(s, LT_SCOPE_THICK_SLICES, "slices %.1f mm thick, over the 3 mm the paper's data "
                 "were limited to: small nodules blur across slices", thickness_mm);
  if (!st || st->n_samples <= 0) return;
  char diff[256] = "";
  size_t at = 0;
  /* 5% beyond the training range: a rounding of the header is no difference */
  if (spacing_mm > 0 && st->spacing_mm[1] > 0 &&
      (spacing_mm < 0.95 * st->spacing_mm[0] || spacing_mm > 1.05 * st->spacing_mm[1]))
    at += (size_t)snprintf(diff + at, sizeof diff - at, "pixel spacing %.2f mm (trained on "
                           "%.2f-%.2f)", spacing_mm, st->spacing_mm[0], st->spacing_mm[1]);
  if (at < sizeof diff && thickness_mm > 0 && st->thickness_mm[1] > 0 &&
      (thickness_mm < 0.95 * st->thickness_mm[0] || thickness_mm > 1.05 * st->thickness_mm[1]))
    at += (size_t)snprintf(diff + at, sizeof diff - at, "%sslices %.2f mm (trained on %.2f-%.2f)",
                           at ? ", " : "", thickness_mm, st->thickness_mm[0], st->thickness_mm[1]);
  if (at < sizeof diff && st->manufacturers[0]) {
    bool known = false;
    if (manufacturer && manufacturer[0]) {
      char list[256];
      snprintf(list, sizeof list, "%s", st->manufacturers);
      char *save = NULL;
      for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (!strcasecmp(t, manufacturer)) known = true;
      }
    }
    if (!known)
      at += (size_t)snprintf(diff + at, sizeof diff - at, "%smanufacturer %s (trained on %s)",
                             at ? ", " : "",
                             manufacturer && manufacturer[0] ? manufacturer : "not stated",
                             st->manufacturers);
  }
  if (at) lt_scope_add(s, LT_SCOPE_ACQUISITION, "the scan differs from the training data: %s",
                       diff);
}

/* ---- the density, size and texture checks ----
 * They run on the patch pooled to 32^3 voxels of 1 mm: HU statistics, 1-3 mm shells and a
 * 3 mm opening need no finer grid, and the pooled grid keeps the checks within a few
 * milliseconds (docs/scope.md has the benchmark). */

enum { P = LT_PATCH_N, G = LT_PATCH_N / 2, G3 = G * G * G };
#define G_MM (2 * LT_PATCH_SPACING)
#define G_CENTRE ((G - 1) / 2.0)

/* Solid: soft tissue. A solid nodule's voxels read -100..+100 HU inside; its rim, blurred by the
 * scanner and the slice, falls towards the lung's -850. -300 HU splits solid from ground glass,
 * as the Fleischner glossary's measurements do (pure ground-glass nodules average -800..-300). */
#define SOLID_HU (-300.0)
/* Ground glass: hazier than solid, denser than aerated lung (-850 and below). */
#define GGO_LO_HU (-750.0)
/* Not solid when the densest tenth of the region stays under this: no solid part at all. */
#define GGO_PEAK_HU (-300.0)
/* Part-solid: a ground-glass rim at least this thick around the solid part, and at least this
 * share of the solid part's diameter: a large solid nodule's lobulated, spiculated margin
 * (LIDC-IDRI-0001's: 1.8 mm around 22 mm) is no halo. */
#define PART_SOLID_RIM_MM 1.6
#define PART_SOLID_RIM_SHARE 0.15
/* ...measured from this HU out (the ground glass's own floor, above the blurred edge's foot) */
#define RIM_HU (-700.0)
/* Calcified: at least this share of the region's 1 mm cells hold a voxel at or above
 * LT_SCOPE_CALCIFIED_HU (a cell's densest voxel: partial volume dilutes a small calcified
 * nodule's mean far below its calcium, on 2.5 mm slices to a third of it). */
#define CALCIFIED_FRACTION 0.15
/* Readers: LIDC texture 1 non-solid, 2 non-solid/mixed, 3 part-solid, 4 solid/mixed, 5 solid.
 * A mean under 3.5 means most readers saw a non-solid part that dominates. */
#define READERS_NOT_SOLID_TEXTURE 3.5
/* A calcification is judged on nodules from this size (below it, a nodule beside a dense
 * vessel wall or rib could read as one). */
#define MIN_CALCIFIED_MM 3.0
/* A region this small (1 mm voxels: about 2.5 mm across) is no nodule to measure. */
#define MIN_REGION_VOXELS 8
/* Under this equivalent diameter the density checks do not judge: a nodule of 2-3 mm on 1-2.5 mm
 * slices never shows its own density (its voxels share the lung's), so every small solid
 * nodule would read as ground glass. */
#define MIN_DENSITY_MM 4.0
/* The region grown from the centre when neither readers nor the model outline one. */
#define GROW_HU (-760.0)
#define GROW_RADIUS_MM 15.0
/* HU histogram for the percentiles: 5 HU bins over the lung window's range */
#define HIST_LO (-1000.0)
#define HIST_BIN 5.0
#define HIST_N 281

static inline double hu_of(double lung_window01) {
  return LT_PATCH_LUNG_LO_HU + lung_window01 * (LT_PATCH_LUNG_HI_HU - LT_PATCH_LUNG_LO_HU);
}

/* The 6-connected component of mask that holds the voxel nearest the centre (within 3 mm),
 * into out (0/1). Returns its size. queue: G3 ints. */
static int component_at_centre(uint8_t *out, const uint8_t *mask, int *queue) {
  memset(out, 0, G3);
  int seed = -1;
  double best = 1e30;
  for (int z = G / 2 - 4; z < G / 2 + 4; z++)
    for (int y = G / 2 - 4; y < G / 2 + 4; y++)
      for (int x = G / 2 - 4; x < G / 2 + 4; x++) {
        const int q = x + G * (y + G * z);
        if (!mask[q]) continue;
        const double d = (x - G_CENTRE) * (x - G_CENTRE) + (y - G_CENTRE) * (y - G_CENTRE) +
                         (z - G_CENTRE) * (z - G_CENTRE);
        if (d < best) best = d, seed = q;
      }
  if (seed < 0) return 0;
  int head = 0, tail = 0;
  queue[tail++] = seed;
  out[seed] = 1;
  while (head < tail) {
    const int q = queue[head++], x = q % G, y = q / G % G, z = q / (G * G);
    if (x > 0 && mask[q - 1] && !out[q - 1]) out[q - 1] = 1, queue[tail++] = q - 1;
    if (x < G - 1 && mask[q + 1] && !out[q + 1]) out[q + 1] = 1, queue[tail++] = q + 1;
    if (y > 0 && mask[q - G] && !out[q - G]) out[q - G] = 1, queue[tail++] = q - G;
    if (y < G - 1 && mask[q + G] && !out[q + G]) out[q + G] = 1, queue[tail++] = q + G;
    if (z > 0 && mask[q - G * G] && !out[q - G * G]) out[q - G * G] = 1, queue[tail++] = q - G * G;
    if (z < G - 1 && mask[q + G * G] && !out[q + G * G])
      out[q + G * G] = 1, queue[tail++] = q + G * G;
  }
  return tail;
}

/* out = mask dilated by a (2r+1)^3 cube (Chebyshev distance <= r), separably: a running count
 * along each axis says whether any of the 2r+1 voxels is set. tmp: G3 bytes. */
static void dilate(uint8_t *out, const uint8_t *mask, int r, uint8_t *tmp) {
  memcpy(out, mask, G3);
  static const int stride[3] = {1, G, G * G};
  for (int axis = 0; axis < 3; axis++) {
    const int st = stride[axis];
    memcpy(tmp, out, G3);
    for (int line = 0; line < G * G; line++) {
      const int base = axis == 0 ? line * G : axis == 1 ? (line / G) * G * G + line % G : line;
      int count = 0;
      for (int i = 0; i < r && i < G; i++) count += tmp[base + i * st];
      for (int i = 0; i < G; i++) {
        if (i + r < G) count += tmp[base + (i + r) * st];
        if (i - r - 1 >= 0) count -= tmp[base + (i - r - 1) * st];
        out[base + i * st] = count > 0;
      }
    }
  }
}

/* Morphological opening of mask (in place) by a (2r+1)^3 cube. tmp8, tmp: G3 bytes each. */
static void open_mask(uint8_t *mask, int r, uint8_t *tmp8, uint8_t *tmp) {
  for (int q = 0; q < G3; q++) mask[q] = !mask[q];
  dilate(tmp8, mask, r, tmp);
  for (int q = 0; q < G3; q++) tmp8[q] = !tmp8[q];
  dilate(mask, tmp8, r, tmp);
}

static bool reaches_border(const uint8_t *region) {
  for (int z = 0; z < G; z++)
    for (int y = 0; y < G; y++)
      for (int x = 0; x < G; x++)
        if (region[x + G * (y + G * z)] &&
            (x == 0 || y == 0 || z == 0 || x == G - 1 || y == G - 1 || z == G - 1))
          return true;
  return false;
}

/* The HU at which a share `frac` of the histogram's count lies below. */
static double hist_quantile(const int *hist, int n, double frac) {
  const long want = (long)ceil(frac * n);
  long acc = 0;
  for (int b = 0; b < HIST_N; b++) {
    acc += hist[b];
    if (acc >= want && acc > 0) return HIST_LO + (b + 0.5) * HIST_BIN;
  }
  return HIST_LO + (HIST_N - 0.5) * HIST_BIN;
}

void lt_scope_check_patch(lt_scope *s, const lt_scope_patch *p) {
  lt_scope_measures *m = &s->m;
  m->region_voxels = 0;
  m->region_mm = m->solid_fraction = m->core_hu = m->ggo_fraction = NAN;
  m->calcified_fraction = m->extent_mm = m->lung_contact = m->solid_mm = m->rim_mm = NAN;
  m->touches_border = false;
  m->readers_texture = p->readers_texture;
  float *hu = malloc(G3 * sizeof *hu), *humax = malloc(G3 * sizeof *humax);
  uint8_t *buf = malloc(7 * (size_t)G3);
  int *queue = malloc(G3 * sizeof *queue);
  if (!hu || !humax || !buf || !queue) goto out;
  uint8_t *cand = buf, *region = buf + G3, *far = buf + 2 * G3, *tmp = buf + 3 * G3;
  uint8_t *cons = buf + 4 * G3, *lung = buf + 5 * G3, *seg = buf + 6 * G3;
  /* pool the 64^3 inputs to 32^3: mean and max HU, majority masks */
  for (int z = 0; z < G; z++)
    for (int y = 0; y < G; y++)
      for (int x = 0; x < G; x++) {
        double w = 0, wmax = 0;
        int c = 0;
        for (int dz = 0; dz < 2; dz++)
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
              const int q = (2 * x + dx) + P * ((2 * y + dy) + P * (2 * z + dz));
              w += p->lung_window[q];
              if (p->lung_window[q] > wmax) wmax = p->lung_window[q];
              if (p->consensus) c += p->consensus[q] != 0;
            }
        const int g = x + G * (y + G * z);
        hu[g] = (float)hu_of(w / 8);
        humax[g] = (float)hu_of(wmax);
        cons[g] = c >= 4;
        lung[g] = p->lung32 && p->lung32[g];
      }
  memset(seg, 0, G3);
  if (p->seg) {
    const int k = G / p->seg_side > 0 ? G / p->seg_side : 1;
    const int sk = p->seg_side / G > 0 ? p->seg_side / G : 1;
    for (int z = 0; z < G; z++)
      for (int y = 0; y < G; y++)
        for (int x = 0; x < G; x++) {
          /* the model's grid is S^3 over the same 32 mm: S = 32 one to one, S = 16 doubled,
           * S = 64 the top corner of each 2^3 block (the mask is smooth at that scale) */
          const int sx = x / k * sk, sy = y / k * sk, sz = z / k * sk;
          seg[x + G * (y + G * z)] = p->seg[sx + p->seg_side * (sy + p->seg_side * sz)] >= 0.5f;
        }
  }
  /* The region: the readers' outline when there is one; else the model's outline joined with
   * what stands above GROW_HU around the centre, opened by a 5 mm cube so that vessels do
   * not carry it away: the model outlines only what it was trained to see (solid nodules), so
   * a ground-glass lesion or the halo of a part-solid one is found in the CT itself. */
  int n = p->consensus ? component_at_centre(region, cons, queue) : 0;
  const bool readers = n >= MIN_REGION_VOXELS;
  if (!readers) {
    for (int q = 0; q < G3; q++) {
      const int x = q % G, y = q / G % G, z = q / (G * G);
      const double d2 = ((x - G_CENTRE) * (x - G_CENTRE) + (y - G_CENTRE) * (y - G_CENTRE) +
                         (z - G_CENTRE) * (z - G_CENTRE)) * G_MM * G_MM;
      cand[q] = d2 <= GROW_RADIUS_MM * GROW_RADIUS_MM && hu[q] >= GROW_HU &&
                (!p->lung32 || lung[q]); /* not the chest wall or mediastinum beside it */
    }
    open_mask(cand, 2, far, tmp);
    for (int q = 0; q < G3; q++) cand[q] |= seg[q];
    n = component_at_centre(region, cand, queue);
  }
  if (n >= MIN_REGION_VOXELS) {
    m->region_voxels = n;
    m->region_mm = cbrt(6.0 * n * G_MM * G_MM * G_MM / M_PI);
    int lo[3] = {G, G, G}, hi[3] = {-1, -1, -1}, solid = 0, body = 0, ggo = 0, calc = 0;
    int hist[HIST_N] = {0};
    for (int q = 0; q < G3; q++) {
      if (!region[q]) continue;
      const int v[3] = {q % G, q / G % G, q / (G * G)};
      for (int a = 0; a < 3; a++) {
        if (v[a] < lo[a]) lo[a] = v[a];
        if (v[a] > hi[a]) hi[a] = v[a];
      }
      const double h = hu[q];
      int b = (int)((h - HIST_LO) / HIST_BIN);
      hist[b < 0 ? 0 : b >= HIST_N ? HIST_N - 1 : b]++;
      solid += h >= SOLID_HU;
      body += h >= RIM_HU;
      ggo += h >= GGO_LO_HU && h < SOLID_HU;
      /* the 2^3 block's densest voxel: a small calcification is diluted by its block's mean */
      calc += humax[q] >= LT_SCOPE_CALCIFIED_HU;
    }
    m->core_hu = hist_quantile(hist, n, 0.75);   /* the median of the denser half */
    const double peak_hu = hist_quantile(hist, n, 0.90); /* the densest tenth's floor */
    m->solid_fraction = (double)solid / n;
    m->ggo_fraction = (double)ggo / n;
    m->calcified_fraction = (double)calc / n;
    /* the ground-glass rim: half the difference of the equivalent diameters of the region's
     * part above RIM_HU and of its solid part. A solid nodule's rim is its blurred edge (about
     * a millimetre at any size); a part-solid nodule's is its halo. */
    m->solid_mm = cbrt(6.0 * solid * G_MM * G_MM * G_MM / M_PI);
    m->rim_mm = (cbrt(6.0 * body * G_MM * G_MM * G_MM / M_PI) - m->solid_mm) / 2;
    double extent = 0;
    for (int a = 0; a < 3; a++) extent = fmax(extent, (hi[a] - lo[a] + 1) * G_MM);
    m->extent_mm = extent;
    /* the lungs around it: the share of the 1 mm shell that is lung */
    dilate(cand, region, 1, tmp);
    if (p->lung32) {
      int sh = 0, in = 0;
      for (int q = 0; q < G3; q++)
        if (cand[q] && !region[q]) sh++, in += lung[q];
      m->lung_contact = sh ? (double)in / sh : 0;
    }
    if (m->calcified_fraction >= CALCIFIED_FRACTION && m->region_mm >= MIN_CALCIFIED_MM)
      lt_scope_add(s, LT_SCOPE_CALCIFIED,
                   "calcified: %.0f%% of the nodule measures %.0f HU or more, a pattern that is "
                   "usually benign and that the model was not trained on",
                   100 * m->calcified_fraction, LT_SCOPE_CALCIFIED_HU);
    else if (m->region_mm < MIN_DENSITY_MM)
      ; /* too small to judge its density: see MIN_DENSITY_MM */
    else if (peak_hu < GGO_PEAK_HU)
      lt_scope_add(s, LT_SCOPE_NOT_SOLID,
                   "not solid (ground-glass): its densest part measures %.0f HU, under %.0f; the "
                   "model was made for solid nodules", peak_hu, GGO_PEAK_HU);
    else if (m->rim_mm >= fmax(PART_SOLID_RIM_MM, PART_SOLID_RIM_SHARE * m->solid_mm))
      lt_scope_add(s, LT_SCOPE_NOT_SOLID,
                   "not solid (part-solid): a ground-glass rim of %.1f mm around a solid part of "
                   "%.0f mm; the model was made for solid nodules", m->rim_mm, m->solid_mm);
  }
  /* Larger than the field: the readers' outline reaches the patch's border; or the model's,
   * opened by a 3 mm cube (a vessel it followed does not count); or, since the model outlines
   * only what it was trained to see, the solid tissue around the centre does: soft tissue
   * inside the lungs, opened by a 5 mm cube so that vessels do not carry it to the border, the
   * chest wall and mediastinum left out with what is not lung. */
  const char *why = NULL;
  if (readers) {
    if (reaches_border(region)) why = "its outline";
  } else {
    memcpy(cand, seg, G3);
    open_mask(cand, 1, far, tmp);
    if (component_at_centre(far, cand, queue) >= MIN_REGION_VOXELS && reaches_border(far))
      why = "the model's outline";
  }
  if (!why && p->lung32) {
    for (int q = 0; q < G3; q++) cand[q] = lung[q] && hu[q] >= SOLID_HU;
    open_mask(cand, 2, far, tmp);
    if (component_at_centre(far, cand, queue) >= MIN_REGION_VOXELS && reaches_border(far))
      why = "its solid tissue";
  }
  m->touches_border = why != NULL;
  if (why)
    lt_scope_add(s, LT_SCOPE_OVERSIZE,
                 "a mass larger than the 32 mm field: %s reaches the edge of the model's patch, "
                 "so the model sees only part of it", why);
  if (!isnan(p->readers_texture) && p->readers_texture < READERS_NOT_SOLID_TEXTURE)
    lt_scope_add(s, LT_SCOPE_NOT_SOLID,
                 "not solid: the readers' mean texture rating is %.2f (5 = solid, 3 = part-solid, "
                 "1 = ground glass); the model was made for solid nodules", p->readers_texture);
out:
  free(hu), free(humax), free(buf), free(queue);
}
