/* tests/bench/bench-patch.c — runs `lungtrust-cli bench patch` (app/cli-bench-patch.c) as a
 * program of its own: patch extraction vs trilinear and scipy, medians and ratios.
 * Usage: bench-patch [RUNS [STUDY [X,Y,Z]]]. */
#include <stdlib.h>

#include "cli-bench-patch.h"

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 50;
  char *args[3] = {"patch", argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL};
  return lt_bench_patch(runs, argc > 3 ? 3 : argc > 2 ? 2 : 1, args);
}
