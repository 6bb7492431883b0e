/* app/cli-bench.c — `lungtrust-cli bench WHAT [ARGS]`: timed jobs against a peer measured in the
 * same run, printing medians and their ratio. The benches are a table (name, function, summary);
 * a new one is a function and a line in lt_benches below.
 *   load [STUDY]: lt_series_read of a study into an HU volume vs pydicom (/usr/bin/python3: read
 *                 every file, apply the rescale, stack with numpy), LIDC-IDRI-0001 by default. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli-bench-model.h"
#include "cli-bench-patch.h"
#include "cli-bench-retrieve.h"
#include "ct/series.h"

typedef int (*lt_bench_fn)(int runs, int argc, char **argv);

typedef struct {
  const char *name;
  lt_bench_fn fn;
  const char *summary;
} lt_bench_entry;

static int lt_bench_load(int runs, int argc, char **argv);

static const lt_bench_entry lt_benches[] = {
    {"load", lt_bench_load, "[STUDY] load a CT study into HU (default LIDC-IDRI-0001) vs pydicom"},
    {"patch", lt_bench_patch, "[STUDY [X,Y,Z]] patch extraction vs trilinear and scipy"},
    {"infer", lt_bench_infer,
     "[PRESET [SIDE]] model forward + Grad-CAM, batch 1, vs PyTorch (same weights)"},
    {"train", lt_bench_train,
     "[PRESET [SIDE]] one joint-loss training step with the debug term vs PyTorch"},
    {"retrieve", lt_bench_retrieve, "[N] [DIR] top-10 over N nodules vs SQL, index build, LIDC import"},
    {NULL, NULL, NULL},
};

static double lt_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the whole process (all threads), user + system: a figure that a busy machine
 * disturbs less than wall time. */
static double lt_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int lt_cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

static double lt_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, lt_cmp_d);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The peer: the usual pydicom loader. Prints the slice count, the median wall seconds and the
 * median CPU seconds. */
static const char lt_pydicom_loader[] =
    "import os, sys, time\n"
    "import numpy as np, pydicom\n"
    "root, runs = sys.argv[1], int(sys.argv[2])\n"
    "def load():\n"
    "    sl = []\n"
    "    for d, _, fs in os.walk(root):\n"
    "        for f in fs:\n"
    "            try:\n"
    "                ds = pydicom.dcmread(os.path.join(d, f))\n"
    "            except Exception:\n"
    "                continue\n"
    "            if 'PixelData' in ds and ds.get('Modality') == 'CT':\n"
    "                sl.append(ds)\n"
    "    sl.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))\n"
    "    vol = np.stack([ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope)\n"
    "                    + float(ds.RescaleIntercept) for ds in sl])\n"
    "    return vol.astype(np.int16)\n"
    "t, c = [], []\n"
    "for _ in range(runs):\n"
    "    t0, c0 = time.perf_counter(), time.process_time(); v = load()\n"
    "    t.append(time.perf_counter() - t0); c.append(time.process_time() - c0)\n"
    "print(v.shape[0], float(np.median(t)), float(np.median(c)))\n";

static int lt_bench_load(int runs, int argc, char **argv) {
  char def[4096];
  const char *study = argc > 1 ? argv[1] : NULL;
  if (argc > 2) return lt_cli_usage_error("bench", "load takes at most one STUDY");
  if (!study) {
    const char *sd = getenv("LT_SHARED_DATA");
    snprintf(def, sizeof def, "%s/lidc/LIDC-IDRI-0001", sd && *sd ? sd : "../shared/data");
    study = def;
  }
  double *t = calloc((size_t)runs, sizeof *t), *cpu = calloc((size_t)runs, sizeof *cpu);
  if (!t || !cpu) {
    free(t);
    free(cpu);
    return lt_cli_failf("out of memory");
  }
  int slices = 0, nx = 0, ny = 0;
  for (int r = 0; r < runs; r++) {
    lt_volume *v = NULL;
    lt_error err = {{0}};
    double t0 = lt_now(), c0 = lt_cpu();
    int rc = lt_series_read(study, NULL, &v, NULL, &err);
    t[r] = lt_now() - t0;
    cpu[r] = lt_cpu() - c0;
    if (rc) {
      free(t);
      free(cpu);
      return lt_cli_fail(&err);
    }
    nx = v->geom.dim[0];
    ny = v->geom.dim[1];
    slices = v->geom.dim[2];
    lt_volume_free(v);
  }
  double ours = lt_median(t, runs), ours_cpu = lt_median(cpu, runs);
  free(t);
  free(cpu);
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) load[0] = NAN;
  printf("bench load: %s (load average %.1f)\n", study, load[0]);
  printf("  lungtrust  lt_series_read: %d slices of %dx%d, median of %d runs: wall %.3f s, CPU %.3f s"
         " (%d threads)\n", slices, nx, ny, runs, ours, ours_cpu, lt_series_threads());

  /* The peer, in the same run. */
  char script[] = "/tmp/lt-bench-load-XXXXXX";
  int fd = mkstemp(script);
  if (fd < 0) return lt_cli_failf("cannot write the pydicom script: no temporary file");
  if (write(fd, lt_pydicom_loader, sizeof lt_pydicom_loader - 1) !=
      (ssize_t)(sizeof lt_pydicom_loader - 1)) {
    close(fd);
    unlink(script);
    return lt_cli_failf("cannot write the pydicom script");
  }
  close(fd);
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' %d 2>/dev/null", script, study, runs);
  FILE *p = popen(cmd, "r");
  int peer_slices = 0;
  double peer = NAN, peer_cpu = NAN;
  if (p) {
    if (fscanf(p, "%d %lf %lf", &peer_slices, &peer, &peer_cpu) != 3) peer = NAN;
    pclose(p);
  }
  unlink(script);
  if (isnan(peer)) {
    printf("  pydicom    peer: not available (/usr/bin/python3 with pydicom and numpy)\n");
    return LT_EXIT_INPUT;
  }
  printf("  pydicom    read+rescale+stack: %d slices, median of %d runs: wall %.3f s, CPU %.3f s\n",
         peer_slices, runs, peer, peer_cpu);
  printf("  ratio      pydicom / lungtrust: wall %.1fx, CPU %.1fx (target: lungtrust <= 0.300 s"
         " and >= 3x)\n", peer / ours, peer_cpu / ours_cpu);
  if (peer_slices != slices) printf("  note       the two loaders found different slice counts\n");
  return LT_EXIT_OK;
}

static void lt_bench_help(FILE *f) {
  fputs("Usage: lungtrust-cli bench [--runs N] WHAT [ARGS]\n"
        "Times a job (median of N runs, default 5) against a peer measured in the same run.\n\n",
        f);
  for (int i = 0; lt_benches[i].name; i++)
    fprintf(f, "  %-8s %s\n", lt_benches[i].name, lt_benches[i].summary);
}

int lt_cli_bench(int argc, char **argv) {
  int runs = 5, a = 1;
  if (argc > 1 && lt_cli_is_help(argv[1])) {
    lt_bench_help(stdout);
    return LT_EXIT_OK;
  }
  if (a + 1 < argc && strcmp(argv[a], "--runs") == 0) {
    if (!lt_cli_parse_int(argv[a + 1], 1, 1000, &runs))
      return lt_cli_usage_error("bench", "--runs needs a count from 1 to 1000");
    a += 2;
  }
  if (a >= argc) return lt_cli_usage_error("bench", "which bench? (%s)", lt_benches[0].name);
  for (int i = 0; lt_benches[i].name; i++)
    if (strcmp(argv[a], lt_benches[i].name) == 0) return lt_benches[i].fn(runs, argc - a, argv + a);
  return lt_cli_usage_error("bench", "unknown bench '%s'", argv[a]);
}
