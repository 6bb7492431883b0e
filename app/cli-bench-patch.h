/* app/cli-bench-patch.h — `lungtrust-cli bench patch [STUDY]`: patch extraction timed against
 * peers in the same run (our trilinear in-process; scipy.ndimage.map_coordinates order 3 in
 * /usr/bin/python3 on the same region), with the agreement against scipy. The function has the
 * signature of a bench in app/cli-bench.c's table; tests/bench/bench-patch.c runs it alone. */
#ifndef LT_CLI_BENCH_PATCH_H
#define LT_CLI_BENCH_PATCH_H

/* argv[0] = "patch", argv[1] = optional STUDY (default LIDC-IDRI-0001 under $LT_SHARED_DATA).
 * runs: timed repetitions of each contender's median (at least 20 are used). */
int lt_bench_patch(int runs, int argc, char **argv);

#endif
