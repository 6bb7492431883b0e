/* tests/model/test-metrics.c — metrics against hand-computed values, AUC against a brute-force
 * pair count, and Adam against torch.optim.Adam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt-test.h"
#include "train/adam.h"
#include "model/metrics.h"
#include "model/params.h"

static void classification_metrics_match_hand_counts(void **state) {
  (void)state;
  const float p[8] = {0.9f, 0.8f, 0.8f, 0.3f, 0.6f, 0.2f, 0.5f, 0.1f};
  const int y[8] = {1, 1, 0, 1, 0, 0, 1, 0};
  lt_cls_metrics m;
  lt_metrics_classification(&m, p, y, 8, 0.5);
  /* TP 3 (0.9, 0.8, 0.5), FN 1 (0.3), FP 2 (0.8, 0.6), TN 2. */
  assert_int_equal(m.tp, 3);
  assert_int_equal(m.fn, 1);
  assert_int_equal(m.fp, 2);
  assert_int_equal(m.tn, 2);
  assert_true(fabs(m.accuracy - 0.625) < 1e-12);
  assert_true(fabs(m.sensitivity - 0.75) < 1e-12);
  assert_true(fabs(m.specificity - 0.5) < 1e-12);
  assert_true(fabs(m.precision - 0.6) < 1e-12);
  assert_true(fabs(m.precision_benign - 2.0 / 3.0) < 1e-12);
  assert_true(fabs(m.f1 - 2.0 / 3.0) < 1e-12);
  /* 16 pairs: 4 + 3.5 (one tie at 0.8) + 2 + 2 = 11.5 */
  assert_true(fabs(m.auc - 11.5 / 16.0) < 1e-12);
  /* Empty denominators give 0; one class: AUC NaN. */
  const int all1[3] = {1, 1, 1};
  const float low[3] = {0.1f, 0.2f, 0.3f};
  lt_metrics_classification(&m, low, all1, 3, 0.5);
  assert_true(m.precision == 0.0 && m.specificity == 0.0 && isnan(m.auc));
}

static void auc_equals_pair_count_with_ties(void **state) {
  (void)state;
  enum { N = 500 };
  float s[N];
  int y[N];
  lt_rng r;
  lt_rng_seed(&r, 7);
  for (int i = 0; i < N; i++) {
    s[i] = (float)(int)(lt_rng_uniform(&r) * 20) / 20.0f; /* many ties */
    y[i] = lt_rng_uniform(&r) < 0.3 + 0.4 * s[i];
  }
  double pairs = 0, wins = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      if (y[i] && !y[j]) {
        pairs++;
        wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
      }
  assert_true(fabs(lt_auc(s, y, N) - wins / pairs) < 1e-12);
}

static void dice_mae_mean_sd_match_hand_values(void **state) {
  (void)state;
  const float pred[4] = {0.9f, 0.2f, 0.6f, 0.4f}, mask[4] = {1, 1, 0, 0};
  assert_true(fabs(lt_dice(pred, mask, 4, 0.5f) - 0.5) < 1e-12);
  const float zero[4] = {0};
  assert_true(lt_dice(zero, zero, 4, 0.5f) == 1.0);
  const float a[4] = {1, 2, 3, 4}, t[4] = {1.5f, 2, 2, 5};
  double per[2];
  assert_true(fabs(lt_attr_mae(a, t, 2, 2, per) - 0.625) < 1e-12);
  assert_true(fabs(per[0] - 0.75) < 1e-12 && fabs(per[1] - 0.5) < 1e-12);
  const double x[4] = {1, 2, 3, 4};
  double m, sd;
  lt_mean_sd(x, 4, &m, &sd);
  assert_true(fabs(m - 2.5) < 1e-12 && fabs(sd - sqrt(5.0 / 3.0)) < 1e-12);
}

/* Five steps on 40 parameters with a changing gradient; torch.optim.Adam(lr=1e-3) does the same. */
static void adam_matches_torch(void **state) {
  (void)state;
  const char *src = getenv("LT_SOURCE_ROOT");
  (void)src;
  if (system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0) skip();
  enum { N = 40, STEPS = 5 };
  float p[N], g[N];
  for (int i = 0; i < N; i++) p[i] = sinf((float)i);
  lt_adam a;
  lt_error err;
  assert_int_equal(lt_adam_init(&a, N, 1e-3, &err), 0);
  for (int s = 0; s < STEPS; s++) {
    for (int i = 0; i < N; i++) g[i] = cosf(0.3f * (float)i + (float)s) * (i % 3 ? 1.0f : 1e-3f);
    lt_adam_step(&a, p, g);
  }
  char tmp[512], cmd[2048];
  assert_non_null(lt_test_tmpdir(tmp, sizeof tmp));
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 -c \"import torch, math\n"
           "p = torch.tensor([math.sin(i) for i in range(%d)], dtype=torch.float32, requires_grad=True)\n"
           "o = torch.optim.Adam([p], lr=1e-3)\n"
           "for s in range(%d):\n"
           "    o.zero_grad()\n"
           "    p.grad = torch.tensor([math.cos(0.3 * i + s) * (1.0 if i %% 3 else 1e-3) for i in range(%d)], dtype=torch.float32)\n"
           "    o.step()\n"
           "open('%s/adam.bin', 'wb').write(p.detach().numpy().astype('<f4').tobytes())\"",
           N, STEPS, N, tmp);
  assert_int_equal(system(cmd), 0);
  char path[600];
  snprintf(path, sizeof path, "%s/adam.bin", tmp);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  float q[N];
  assert_int_equal(fread(q, sizeof(float), N, f), N);
  fclose(f);
  remove(path);
  remove(tmp);
  double moved = 0;
  for (int i = 0; i < N; i++) {
    /* each step moves up to 1e-3; agree to 1e-6 absolute (float rounding) */
    assert_true(fabs(p[i] - q[i]) < 1e-6);
    moved += fabs(p[i] - sinf((float)i));
  }
  assert_true(moved > N * 1e-3); /* it moved: on average more than one step's size */
  lt_adam_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(classification_metrics_match_hand_counts),
      cmocka_unit_test(auc_equals_pair_count_with_ties),
      cmocka_unit_test(dice_mae_mean_sd_match_hand_values),
      cmocka_unit_test(adam_matches_torch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
