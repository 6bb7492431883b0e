/* tests/bench/bench-model-cli.c — runs `lungtrust-cli bench infer` and `bench train`
 * (app/cli-bench-model.c) outside the CLI's table: bench-model-cli [RUNS [PRESET [SIDE]]].
 * Without a SIDE it times the preset's input (64^3) and the shipped model's 32^3. */
#include <stdio.h>
#include <stdlib.h>

#include "cli-bench-model.h"

/* bench infer and bench train of preset at side (NULL: the preset's). */
static int both(int runs, char *preset, char *side) {
  char *a_infer[] = {"infer", preset, side, NULL};
  char *a_train[] = {"train", preset, side, NULL};
  const int n = side ? 3 : 2;
  int rc = lt_bench_infer(runs, n, a_infer);
  return rc ? rc : lt_bench_train(runs, n, a_train);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  char *preset = argc > 2 ? argv[2] : "default";
  if (argc > 3)
    return both(runs, preset, argv[3]);
  int rc = both(runs, preset, NULL);
  return rc ? rc : both(runs, preset, "32");
}
