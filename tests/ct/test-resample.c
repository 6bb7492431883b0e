/* tests/ct/test-resample.c — cubic B-spline and trilinear resampling (resample.h): exact at
 * the samples and on polynomials up to degree 2, bounded error on a smooth function (and better
 * than trilinear), correct placement with non-unit spacing and a rotated direction, outside
 * points and refused grids. */
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct/resample.h"

static double urand(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xffffff) / (double)0x1000000;
}

static size_t idx(const lt_geometry *g, int i, int j, int k) {
  return (size_t)i + (size_t)g->dim[0] * ((size_t)j + (size_t)g->dim[1] * k);
}

/* A grid of n^3 points at `step` source voxels apart starting at source index start. */
static void sub_grid(lt_geometry *grid, const lt_geometry *src, int n, const double start[3],
                     double step) {
  lt_geometry_init(grid, n, n, n);
  memcpy(grid->dir, src->dir, sizeof grid->dir);
  for (int a = 0; a < 3; a++) grid->spacing[a] = src->spacing[a] * step;
  lt_geometry_voxel_to_mm(src, start, grid->origin);
}

static void bspline_exact_at_samples(void **state) {
  (void)state;
  /* A large volume and a grid on its voxel centres in the middle: the prefilter then runs on a
   * sub-region with the margin, so this also bounds the margin's truncation error. */
  lt_volume *v = lt_volume_new(90, 80, 70);
  assert_non_null(v);
  unsigned s = 7;
  size_t n = lt_geometry_count(&v->geom);
  for (size_t q = 0; q < n; q++) v->hu[q] = (int16_t)(-1024 + (int)(urand(&s) * 2000));
  lt_geometry grid;
  double start[3] = {30, 25, 20};
  sub_grid(&grid, &v->geom, 20, start, 1.0);
  float *out = malloc(8000 * sizeof *out);
  lt_error err = {{0}};
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, &v->geom, -1024, &err), 0);
  double maxe = 0;
  for (int k = 0; k < 20; k++)
    for (int j = 0; j < 20; j++)
      for (int i = 0; i < 20; i++) {
        double e = fabs(out[idx(&grid, i, j, k)] - v->hu[idx(&v->geom, 30 + i, 25 + j, 20 + k)]);
        if (e > maxe) maxe = e;
      }
  assert_true(maxe < 0.02); /* white noise of +-1000 HU: float rounding and the margin */
  /* The whole volume as the grid (mirror boundaries at the faces). */
  float *all = malloc(n * sizeof *all);
  assert_int_equal(lt_resample_bspline_i16(all, &v->geom, v->hu, &v->geom, -1024, &err), 0);
  maxe = 0;
  for (size_t q = 0; q < n; q++)
    if (fabs(all[q] - v->hu[q]) > maxe) maxe = fabs(all[q] - v->hu[q]);
  assert_true(maxe < 0.02);
  free(all);
  free(out);
  lt_volume_free(v);
}

static void bspline_reproduces_ramp_and_quadratic(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(48, 48, 48);
  assert_non_null(v);
  for (int k = 0; k < 48; k++)
    for (int j = 0; j < 48; j++)
      for (int i = 0; i < 48; i++)
        v->hu[idx(&v->geom, i, j, k)] =
            (int16_t)(3 * i + 2 * j - 5 * k + 100);
  /* Off-grid points 12 voxels or more from the faces (the mirror boundary bends a ramp near
   * the faces; its effect decays as 0.268^d). */
  lt_geometry grid;
  double start[3] = {12.3, 13.7, 12.45};
  sub_grid(&grid, &v->geom, 30, start, 0.71);
  float *out = malloc(27000 * sizeof *out);
  lt_error err = {{0}};
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, &v->geom, -1024, &err), 0);
  double maxe = 0;
  for (int k = 0; k < 30; k++)
    for (int j = 0; j < 30; j++)
      for (int i = 0; i < 30; i++) {
        double x = 12.3 + 0.71 * i, y = 13.7 + 0.71 * j, z = 12.45 + 0.71 * k;
        double e = fabs(out[idx(&grid, i, j, k)] - (3 * x + 2 * y - 5 * z + 100));
        if (e > maxe) maxe = e;
      }
  assert_true(maxe < 1e-2);
  /* A quadratic (cubic splines reproduce polynomials up to degree 3 away from the faces). */
  for (int k = 0; k < 48; k++)
    for (int j = 0; j < 48; j++)
      for (int i = 0; i < 48; i++)
        v->hu[idx(&v->geom, i, j, k)] =
            (int16_t)((i - 24) * (i - 24) - (j - 20) * (k - 30) + k * k);
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, &v->geom, -1024, &err), 0);
  maxe = 0;
  for (int k = 0; k < 30; k++)
    for (int j = 0; j < 30; j++)
      for (int i = 0; i < 30; i++) {
        double x = 12.3 + 0.71 * i, y = 13.7 + 0.71 * j, z = 12.45 + 0.71 * k;
        double f = (x - 24) * (x - 24) - (y - 20) * (z - 30) + z * z;
        double e = fabs(out[idx(&grid, i, j, k)] - f);
        if (e > maxe) maxe = e;
      }
  assert_true(maxe < 2e-2);
  free(out);
  lt_volume_free(v);
}

static double smooth_f(double x, double y, double z) {
  return 500.0 * sin(2 * M_PI * x / 16.0) * cos(2 * M_PI * y / 20.0) + 300.0 * sin(2 * M_PI * z / 24.0);
}

static void bspline_smooth_error_bound_beats_trilinear(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(64, 64, 64);
  assert_non_null(v);
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 64; j++)
      for (int i = 0; i < 64; i++)
        v->hu[idx(&v->geom, i, j, k)] = (int16_t)lround(smooth_f(i, j, k));
  lt_geometry grid;
  double start[3] = {16.13, 15.77, 16.41};
  sub_grid(&grid, &v->geom, 40, start, 0.79);
  size_t n = 64000;
  float *cub = malloc(n * sizeof *cub), *lin = malloc(n * sizeof *lin);
  lt_error err = {{0}};
  assert_int_equal(lt_resample_bspline_i16(cub, &grid, v->hu, &v->geom, -1024, &err), 0);
  assert_int_equal(lt_resample_linear_i16(lin, &grid, v->hu, &v->geom, -1024, &err), 0);
  double maxc = 0, maxl = 0, sc = 0;
  for (int k = 0; k < 40; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 40; i++) {
        double f = smooth_f(16.13 + 0.79 * i, 15.77 + 0.79 * j, 16.41 + 0.79 * k);
        double ec = fabs(cub[idx(&grid, i, j, k)] - f), el = fabs(lin[idx(&grid, i, j, k)] - f);
        sc += ec * ec;
        if (ec > maxc) maxc = ec;
        if (el > maxl) maxl = el;
      }
  print_message("smooth function (amplitude 800 HU): cubic max %.3f rms %.3f HU, trilinear max %.3f HU\n",
                maxc, sqrt(sc / (double)n), maxl);
  assert_true(maxc < 1.5);               /* samples are rounded to integers (+-0.5) */
  assert_true(sqrt(sc / (double)n) < 0.8);
  assert_true(maxl > 4.0 * maxc);        /* trilinear: h^2 f''/8, about 10 HU here */
  free(cub);
  free(lin);
  lt_volume_free(v);
}

static void placement_with_spacing_and_rotated_direction(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(40, 36, 24);
  assert_non_null(v);
  lt_geometry *g = &v->geom;
  g->spacing[0] = 0.7;
  g->spacing[1] = 0.8;
  g->spacing[2] = 2.5;
  g->origin[0] = -12.5;
  g->origin[1] = 30.25;
  g->origin[2] = -200;
  /* Columns: i along (cos30, sin30, 0), j along (sin30, -cos30, 0) (left-handed), k along z. */
  double c = cos(M_PI / 6), s = sin(M_PI / 6);
  double dir[9] = {c, s, 0, s, -c, 0, 0, 0, 1};
  memcpy(g->dir, dir, sizeof dir);
  /* Values: an integer-coefficient ramp in index space, i.e. a linear function of position. */
  for (int k = 0; k < 24; k++)
    for (int j = 0; j < 36; j++)
      for (int i = 0; i < 40; i++) v->hu[idx(g, i, j, k)] = (int16_t)(7 * i - 4 * j + 11 * k);
  /* Grid: 0.5 mm isotropic, 16^3, around the physical point of voxel (20, 18, 12). */
  double cijk[3] = {20, 18, 12}, cmm[3];
  lt_geometry_voxel_to_mm(g, cijk, cmm);
  lt_geometry grid;
  lt_geometry_init(&grid, 16, 16, 16);
  memcpy(grid.dir, dir, sizeof dir);
  for (int a = 0; a < 3; a++) grid.spacing[a] = 0.5;
  for (int r = 0; r < 3; r++) {
    grid.origin[r] = cmm[r];
    for (int a = 0; a < 3; a++) grid.origin[r] -= dir[3 * r + a] * 7.5 * 0.5;
  }
  float out[4096];
  lt_error err = {{0}};
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, g, -1024, &err), 0);
  double maxe = 0;
  for (int k = 0; k < 16; k++)
    for (int j = 0; j < 16; j++)
      for (int i = 0; i < 16; i++) {
        /* Expected from the physical position: p = origin + dir * (ijk * 0.5), then the source
         * index by projecting on the source axes by hand. */
        double p[3];
        for (int r = 0; r < 3; r++)
          p[r] = grid.origin[r] + dir[3 * r] * i * 0.5 + dir[3 * r + 1] * j * 0.5 + dir[3 * r + 2] * k * 0.5;
        double d[3] = {p[0] - g->origin[0], p[1] - g->origin[1], p[2] - g->origin[2]};
        double si = (c * d[0] + s * d[1]) / 0.7, sj = (s * d[0] - c * d[1]) / 0.8, sk = d[2] / 2.5;
        double e = fabs(out[idx(&grid, i, j, k)] - (7 * si - 4 * sj + 11 * sk));
        if (e > maxe) maxe = e;
      }
  assert_true(maxe < 1e-2);
  /* The grid's centre (7.5, 7.5, 7.5) is the voxel (20, 18, 12): value 7*20 - 4*18 + 11*12. */
  double centre = 0;
  for (int k = 7; k <= 8; k++)
    for (int j = 7; j <= 8; j++)
      for (int i = 7; i <= 8; i++) centre += out[idx(&grid, i, j, k)] / 8.0;
  assert_true(fabs(centre - (140 - 72 + 132)) < 1e-2);
  /* A grid whose axes are not the volume's is refused. */
  grid.dir[0] = 1;
  grid.dir[1] = 0;
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, g, -1024, &err), -1);
  assert_non_null(strstr(err.msg, "not parallel"));
  lt_volume_free(v);
}

static void outside_points_get_outside_value(void **state) {
  (void)state;
  lt_volume *v = lt_volume_new(10, 10, 10);
  assert_non_null(v);
  for (size_t q = 0; q < 1000; q++) v->hu[q] = 25;
  lt_geometry grid;
  double start[3] = {-3, 4, 4};
  sub_grid(&grid, &v->geom, 8, start, 1.0); /* i from -3 to 4 */
  float out[512];
  lt_error err = {{0}};
  assert_int_equal(lt_resample_bspline_i16(out, &grid, v->hu, &v->geom, -1024, &err), 0);
  for (int k = 0; k < 8; k++)
    for (int j = 0; j < 8; j++)
      for (int i = 0; i < 8; i++) {
        double src_i = -3 + i, src_j = 4 + j, src_k = 4 + k;
        bool in = src_i >= -0.5 && src_j <= 9.5 && src_k <= 9.5;
        assert_float_equal(out[idx(&grid, i, j, k)], in ? 25.0 : -1024.0, 1e-3);
      }
  /* Entirely outside: all outside. */
  start[0] = 100;
  sub_grid(&grid, &v->geom, 8, start, 1.0);
  assert_int_equal(lt_resample_linear_i16(out, &grid, v->hu, &v->geom, -7, &err), 0);
  for (int q = 0; q < 512; q++) assert_float_equal(out[q], -7.0, 0);
  lt_volume_free(v);
}

static void linear_u8_mask_half_voxel(void **state) {
  (void)state;
  lt_geometry g;
  lt_geometry_init(&g, 4, 1, 1);
  uint8_t m[4] = {0, 0, 1, 1};
  lt_geometry grid;
  lt_geometry_init(&grid, 7, 1, 1);
  grid.spacing[0] = 0.5; /* points at 0, 0.5, ..., 3 */
  float out[7];
  lt_error err = {{0}};
  assert_int_equal(lt_resample_linear_u8(out, &grid, m, &g, 0, &err), 0);
  const float want[7] = {0, 0, 0, 0.5f, 1, 1, 1};
  for (int q = 0; q < 7; q++) assert_float_equal(out[q], want[q], 1e-6);
}

static void prefilter_then_basis_interpolates(void **state) {
  (void)state;
  /* 1D: coefficients c, then sum c[k-1]/6 + 4 c[k]/6 + c[k+1]/6 gives back the samples. */
  double x[9] = {3, -1, 4, 1, -5, 9, 2, -6, 5}, c[9];
  memcpy(c, x, sizeof x);
  lt_bspline_prefilter_line(c, 9);
  for (int k = 0; k < 9; k++) {
    double l = c[k == 0 ? 1 : k - 1], r = c[k == 8 ? 7 : k + 1];
    assert_float_equal((l + 4 * c[k] + r) / 6.0, x[k], 1e-9);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prefilter_then_basis_interpolates),
      cmocka_unit_test(bspline_exact_at_samples),
      cmocka_unit_test(bspline_reproduces_ramp_and_quadratic),
      cmocka_unit_test(bspline_smooth_error_bound_beats_trilinear),
      cmocka_unit_test(placement_with_spacing_and_rotated_direction),
      cmocka_unit_test(outside_points_get_outside_value),
      cmocka_unit_test(linear_u8_mask_half_voxel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
