/* app/cli-bench-patch.c — see cli-bench-patch.h. */
#include "cli-bench-patch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ct/patch.h"
#include "ct/resample.h"
#include "ct/series.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of this thread: on a shared machine, wall time also counts other processes' turns. */
static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The peer: scipy's cubic B-spline (prefilter + order 3, mirror) on the same region our
 * prefilter uses (the grid's taps plus LT_RESAMPLE_MARGIN voxels), then the two windows.
 * Prints the median seconds; writes its HU patch for the agreement check. */
static const char scipy_peer[] =
    "import sys, time\n"
    "import numpy as np\n"
    "from scipy import ndimage\n"
    "raw, nx, ny, nz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])\n"
    "x0 = [float(v) for v in sys.argv[5:8]]\n"
    "st = [float(v) for v in sys.argv[8:11]]\n"
    "runs, out, M, N = int(sys.argv[11]), sys.argv[12], int(sys.argv[13]), 64\n"
    "vol = np.fromfile(raw, dtype=np.int16).reshape(nz, ny, nx)\n"
    "def extract():\n"
    "    lo, hi, ax = [], [], []\n"
    "    for a, n in enumerate((nx, ny, nz)):\n"
    "        c = x0[a] + st[a] * np.arange(N)\n"
    "        l = max(int(np.floor(c.min())) - 1 - M, 0)\n"
    "        h = min(int(np.floor(c.max())) + 2 + M, n - 1)\n"
    "        lo.append(l); hi.append(h); ax.append(c - l)\n"
    "    roi = vol[lo[2]:hi[2] + 1, lo[1]:hi[1] + 1, lo[0]:hi[0] + 1].astype(np.float32)\n"
    "    kk, jj, ii = np.meshgrid(ax[2], ax[1], ax[0], indexing='ij')\n"
    "    hu = ndimage.map_coordinates(roi, [kk, jj, ii], order=3, mode='mirror',\n"
    "                                 prefilter=True, output=np.float32)\n"
    "    return hu, np.clip((hu + 1000) / 1400, 0, 1), np.clip((hu + 160) / 400, 0, 1)\n"
    "t = []\n"
    "for _ in range(runs):\n"
    "    t0 = time.perf_counter(); hu, c0, c1 = extract(); t.append(time.perf_counter() - t0)\n"
    "hu.astype(np.float32).tofile(out)\n"
    "print(float(np.median(t)))\n";

static int write_file(const char *path, const void *d, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(d, 1, n, f);
  return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int lt_bench_patch(int runs, int argc, char **argv) {
  if (argc > 3) return lt_cli_usage_error("bench", "patch takes [STUDY [X,Y,Z]]");
  char def[4096];
  const char *study = argc > 1 ? argv[1] : NULL;
  double centre[3] = {56.2, 86.2, -116.0}; /* LIDC-IDRI-0001's nodule */
  int have_centre = study == NULL;
  if (argc > 2) {
    if (!lt_cli_parse_triple(argv[2], centre))
      return lt_cli_usage_error("bench", "patch: X,Y,Z in mm, got '%s'", argv[2]);
    have_centre = 1;
  }
  if (!study) {
    const char *sd = getenv("LT_SHARED_DATA");
    snprintf(def, sizeof def, "%s/lidc/LIDC-IDRI-0001", sd && *sd ? sd : "../shared/data");
    study = def;
  }
  if (runs < 20) runs = 20;
  lt_volume *v = NULL;
  lt_error err = {{0}};
  if (lt_series_read(study, NULL, &v, NULL, &err)) return lt_cli_fail(&err);
  const lt_geometry *g = &v->geom;
  if (!have_centre) {
    double mid[3] = {(g->dim[0] - 1) / 2.0, (g->dim[1] - 1) / 2.0, (g->dim[2] - 1) / 2.0};
    lt_geometry_voxel_to_mm(g, mid, centre);
  }
  lt_patch *p = malloc(sizeof *p);
  lt_patch *q = malloc(sizeof *q);
  double *t = malloc((size_t)runs * sizeof *t), *tc = malloc((size_t)runs * sizeof *tc);
  float *peer_hu = malloc(LT_PATCH_VOXELS * sizeof *peer_hu);
  int rc = LT_EXIT_INPUT;
  char script[] = "/tmp/lt-bench-patch-py-XXXXXX", raw[] = "/tmp/lt-bench-patch-vol-XXXXXX",
       out[] = "/tmp/lt-bench-patch-out-XXXXXX";
  int have_tmp = 0;
  if (!p || !q || !t || !tc || !peer_hu) {
    rc = lt_cli_failf("out of memory");
    goto done;
  }

  /* Ours: cubic B-spline + windows (lt_patch_extract). One warm-up run. */
  if (lt_patch_extract(p, v, centre, &err)) {
    rc = lt_cli_fail(&err);
    goto done;
  }
  for (int r = 0; r < runs; r++) {
    double t0 = now_s(), c0 = cpu_s();
    lt_patch_extract(p, v, centre, &err);
    t[r] = now_s() - t0;
    tc[r] = cpu_s() - c0;
  }
  double ours = median(t, runs), ours_cpu = median(tc, runs);
  /* Peer 1, in-process: trilinear on the same grid + the same windows. */
  for (int r = 0; r < runs; r++) {
    double t0 = now_s(), c0 = cpu_s();
    lt_resample_linear_i16(q->ch[1], &p->geom, v->hu, g, (float)LT_HU_AIR, &err);
    for (int k = 0; k < LT_PATCH_VOXELS; k++) {
      float h = q->ch[1][k];
      q->ch[0][k] = lt_window01(h, -1000.0f, 400.0f);
      q->ch[1][k] = lt_window01(h, -160.0f, 240.0f);
    }
    t[r] = now_s() - t0;
    tc[r] = cpu_s() - c0;
  }
  double lin = median(t, runs), lin_cpu = median(tc, runs);
  printf("bench patch: %s, 2x64^3 at 0.5 mm around (%.1f, %.1f, %.1f) mm, median of %d runs\n",
         study, centre[0], centre[1], centre[2], runs);
  printf("  lungtrust  cubic B-spline + windows (lt_patch_extract): %.2f ms (CPU time %.2f ms)\n",
         ours * 1e3, ours_cpu * 1e3);
  printf("  lungtrust  trilinear + windows (in-process peer):       %.2f ms (CPU time %.2f ms; "
         "cubic / trilinear = %.1fx)\n", lin * 1e3, lin_cpu * 1e3, ours / lin);

  /* Peer 2: scipy.ndimage.map_coordinates(order=3) on the same region. */
  int fd1 = mkstemp(script), fd2 = mkstemp(raw), fd3 = mkstemp(out);
  if (fd1 >= 0) close(fd1);
  if (fd2 >= 0) close(fd2);
  if (fd3 >= 0) close(fd3);
  have_tmp = 1;
  if (fd1 < 0 || fd2 < 0 || fd3 < 0 || write_file(script, scipy_peer, sizeof scipy_peer - 1) ||
      write_file(raw, v->hu, lt_geometry_count(g) * sizeof *v->hu)) {
    rc = lt_cli_failf("cannot write temporary files for the scipy peer");
    goto done;
  }
  double ijk0[3], x0[3];
  lt_geometry_mm_to_voxel(g, p->geom.origin, ijk0);
  for (int a = 0; a < 3; a++) x0[a] = ijk0[a];
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s' '%s' %d %d %d %.9f %.9f %.9f %.9f %.9f %.9f %d '%s' %d 2>/dev/null",
           script, raw, g->dim[0], g->dim[1], g->dim[2], x0[0], x0[1], x0[2],
           LT_PATCH_SPACING / g->spacing[0], LT_PATCH_SPACING / g->spacing[1],
           LT_PATCH_SPACING / g->spacing[2], runs, out, LT_RESAMPLE_MARGIN);
  FILE *pp = popen(cmd, "r");
  double peer = NAN;
  if (pp) {
    if (fscanf(pp, "%lf", &peer) != 1) peer = NAN;
    pclose(pp);
  }
  if (isnan(peer)) {
    printf("  scipy      peer: not available (/usr/bin/python3 with numpy and scipy: Debian "
           "python3-scipy)\n");
  } else {
    FILE *f = fopen(out, "rb");
    size_t got = f ? fread(peer_hu, sizeof *peer_hu, LT_PATCH_VOXELS, f) : 0;
    if (f) fclose(f);
    float *ours_hu = q->ch[0];
    lt_resample_bspline_i16(ours_hu, &p->geom, v->hu, g, (float)LT_HU_AIR, &err);
    double maxd = 0;
    for (size_t k = 0; k < got; k++)
      if (fabs(ours_hu[k] - peer_hu[k]) > maxd) maxd = fabs(ours_hu[k] - peer_hu[k]);
    printf("  scipy      map_coordinates(order=3, mirror) + windows on the same region: %.2f ms "
           "(scipy / lungtrust = %.1fx)\n", peer * 1e3, peer / ours);
    if (got == LT_PATCH_VOXELS)
      printf("  agreement  max |lungtrust - scipy| = %.4f HU over the 64^3 grid\n", maxd);
  }
  printf("  target     lungtrust <= 20 ms: %s\n", ours <= 0.020 ? "met" : "NOT met");
  rc = LT_EXIT_OK;
done:
  if (have_tmp) {
    unlink(script);
    unlink(raw);
    unlink(out);
  }
  free(p);
  free(q);
  free(t);
  free(tc);
  free(peer_hu);
  lt_volume_free(v);
  return rc;
}
