/* engine/train/augment.c — see augment.h. */
#include "train/augment.h"

#include <string.h>

static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

static const char *const set_names[3] = {"none", "cube", "axial"};

int lt_augment_set_parse(const char *name, lt_augment_set *out) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, set_names[i])) {
      *out = (lt_augment_set)i;
      return 0;
    }
  return -1;
}

const char *lt_augment_set_name(lt_augment_set s) {
  return (unsigned)s < 3 ? set_names[s] : "?";
}

void lt_augment_identity(lt_augment *s) { lt_augment_nth(s, 0); }

void lt_augment_nth(lt_augment *s, int k) {
  k = ((k % 48) + 48) % 48;
  memcpy(s->perm, perms[k / 8], sizeof s->perm);
  for (int a = 0; a < 3; a++) s->flip[a] = (k >> a) & 1;
}

void lt_augment_random(lt_augment *s, lt_rng *r) { lt_augment_nth(s, (int)(lt_rng_next(r) % 48)); }

/* perms[0] and perms[1] leave axis 0 first, and k / 8 picks the permutation. */
void lt_augment_random_axial(lt_augment *s, lt_rng *r) {
  lt_augment_nth(s, (int)(lt_rng_next(r) % 16));
}

void lt_augment_apply(const lt_augment *s, float *out, const float *in, int S, int C) {
  /* Input stride of each output axis (signed) and the input offset of output (0, 0, 0). */
  const long stride_in[3] = {(long)S * S * C, (long)S * C, (long)C};
  long st[3], base = 0;
  for (int a = 0; a < 3; a++) {
    long sa = stride_in[s->perm[a]];
    if (s->flip[a]) {
      base += (long)(S - 1) * sa;
      sa = -sa;
    }
    st[a] = sa;
  }
#pragma omp parallel for schedule(static) if (S >= 32)
  for (int z = 0; z < S; z++)
    for (int y = 0; y < S; y++) {
      float *o = out + ((size_t)z * S + y) * S * C;
      long i = base + z * st[0] + y * st[1];
      for (int x = 0; x < S; x++, i += st[2], o += C) memcpy(o, in + i, (size_t)C * sizeof *o);
    }
}
