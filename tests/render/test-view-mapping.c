/* tests/render/test-view-mapping.c — the screen <-> voxel <-> mm mapping of lt_view (no GL):
 * voxel centres land on pixel centres at zoom 1, anisotropic voxels keep their physical
 * aspect, planes follow the radiological convention, flipped directions are followed, zoom
 * about a point keeps it fixed, and every map inverts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lt-view.h"

static lt_geometry geom(int nx, int ny, int nz, double sx, double sy, double sz) {
  lt_geometry g;
  lt_geometry_init(&g, nx, ny, nz);
  g.spacing[0] = sx;
  g.spacing[1] = sy;
  g.spacing[2] = sz;
  g.origin[0] = -170.3;
  g.origin[1] = -120.1;
  g.origin[2] = -300.5;
  return g;
}

static void voxel_centres_on_pixel_centres_at_zoom1(void **state) {
  (void)state;
  lt_geometry g = geom(512, 512, 100, 0.7, 0.7, 2.5);
  lt_view v;
  lt_view_init(&v, LT_PLANE_AXIAL, &g, 512, 512);
  assert_int_equal((int)v.slice, 49);
  double ijk[3] = {100, 200, 49}, px, py;
  assert_true(lt_view_voxel_to_screen(&v, &g, ijk, &px, &py));
  assert_true(fabs(px - 100.5) < 1e-9 && fabs(py - 200.5) < 1e-9);
  lt_view_screen_to_voxel(&v, &g, 0.5, 511.5, ijk);
  assert_true(fabs(ijk[0]) < 1e-9 && fabs(ijk[1] - 511) < 1e-9 && fabs(ijk[2] - 49) < 1e-9);
}

static void anisotropic_voxels_keep_physical_aspect(void **state) {
  (void)state;
  /* 100 x 100 x 20 voxels of 1 x 1 x 5 mm: coronal shows 100 mm x 100 mm, a slice step is
   * five times a column step on the screen. */
  lt_geometry g = geom(100, 100, 20, 1, 1, 5);
  lt_view v;
  lt_view_init(&v, LT_PLANE_CORONAL, &g, 400, 300);
  double a[3] = {10, 50, 5}, b[3] = {11, 50, 5}, c[3] = {10, 50, 6};
  double ax, ay, bx, by, cx, cy;
  lt_view_voxel_to_screen(&v, &g, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &g, b, &bx, &by);
  lt_view_voxel_to_screen(&v, &g, c, &cx, &cy);
  assert_true(fabs((bx - ax) - 3.0) < 1e-9); /* 300 px for 100 mm: 3 px/mm */
  assert_true(fabs(by - ay) < 1e-9);
  assert_true(fabs((ay - cy) - 15.0) < 1e-9); /* superior (k+1) is up, 5 mm = 15 px */
  /* in-plane anisotropy on the axial plane */
  lt_geometry h = geom(80, 40, 10, 0.5, 1.0, 1.0);
  lt_view_init(&v, LT_PLANE_AXIAL, &h, 200, 200);
  double p[3] = {0, 0, 0}, q[3] = {1, 1, 0}, px, py, qx, qy;
  lt_view_voxel_to_screen(&v, &h, p, &px, &py);
  lt_view_voxel_to_screen(&v, &h, q, &qx, &qy);
  assert_true(fabs(2 * (qx - px) - (qy - py)) < 1e-9);
}

static void planes_follow_radiological_convention(void **state) {
  (void)state;
  lt_geometry g = geom(64, 64, 64, 1, 1, 1);
  lt_view v;
  double a[3] = {10, 10, 10}, b[3] = {20, 20, 20}, ax, ay, bx, by;
  /* axial: +i (patient left) to the right, +j (posterior) down */
  lt_view_init(&v, LT_PLANE_AXIAL, &g, 128, 128);
  lt_view_voxel_to_screen(&v, &g, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &g, b, &bx, &by);
  assert_true(bx > ax && by > ay);
  /* sagittal: +j (posterior) to the right, +k (superior) up */
  lt_view_init(&v, LT_PLANE_SAGITTAL, &g, 128, 128);
  lt_view_voxel_to_screen(&v, &g, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &g, b, &bx, &by);
  assert_true(bx > ax && by < ay);
  lt_view_frame f;
  lt_view_frame_compute(&f, &v, &g);
  assert_int_equal(f.axis_n, 0);
  char l[4];
  lt_view_letters(LT_PLANE_SAGITTAL, l);
  assert_true(l[0] == 'A' && l[1] == 'P' && l[2] == 'S' && l[3] == 'I');
  /* a series whose columns run towards patient right (dir[0] = -1): +i goes left */
  g.dir[0] = -1;
  lt_view_init(&v, LT_PLANE_AXIAL, &g, 128, 128);
  lt_view_voxel_to_screen(&v, &g, a, &ax, &ay);
  lt_view_voxel_to_screen(&v, &g, b, &bx, &by);
  assert_true(bx < ax);
}

static void maps_invert_and_zoom_keeps_point(void **state) {
  (void)state;
  lt_geometry g = geom(300, 260, 90, 0.68, 0.68, 1.25);
  double c = cos(0.05), sn = sin(0.05); /* a slightly rotated in-plane orientation */
  g.dir[0] = c;
  g.dir[3] = -sn;
  g.dir[1] = sn;
  g.dir[4] = c;
  for (int p = 0; p < 3; p++) {
    lt_view v;
    lt_view_init(&v, (lt_plane)p, &g, 640, 480);
    v.zoom = 2.3;
    v.pan[0] = 13.5;
    v.pan[1] = -7.25;
    double mm[3], px, py;
    lt_view_screen_to_mm(&v, &g, 123.5, 321.5, mm);
    lt_view_mm_to_screen(&v, &g, mm, &px, &py);
    assert_true(fabs(px - 123.5) < 1e-6 && fabs(py - 321.5) < 1e-6);
    double before[3], after[3];
    lt_view_screen_to_voxel(&v, &g, 200, 100, before);
    lt_view_zoom_at(&v, &g, 1.7, 200, 100);
    lt_view_screen_to_voxel(&v, &g, 200, 100, after);
    for (int a = 0; a < 3; a++) assert_true(fabs(before[a] - after[a]) < 1e-6);
    assert_true(fabs(v.zoom - 2.3 * 1.7) < 1e-9);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(voxel_centres_on_pixel_centres_at_zoom1),
      cmocka_unit_test(anisotropic_voxels_keep_physical_aspect),
      cmocka_unit_test(planes_follow_radiological_convention),
      cmocka_unit_test(maps_invert_and_zoom_keeps_point),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
