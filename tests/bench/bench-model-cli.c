/* tests/bench/bench-model-cli.c — runs `lungtrust-cli bench infer` and `bench train`
 * (app/cli-bench-model.c) outside the CLI's table: bench-model-cli [RUNS [PRESET [SIDE]]].
 * Without a SIDE it times the preset's input (64^3) and the shipped model's 32^3. */
#include <stdio.h>
#include <stdlib.h>

#include "cli-bench-model.h"

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  char *preset = argc > 2 ? argv[2] : "default";
  char *sides[2] = {argc > 3 ? argv[3] : NULL, argc > 3 ? NULL : "32"};
  for (int k = 0; k < 2; k++) {
    if (k == 1 && !sides[1])
      break;
    char *a_infer[] = {"infer", preset, sides[k], NULL};
    char *a_train[] = {"train", preset, sides[k], NULL};
    const int n = sides[k] ? 3 : 2;
    int rc = lt_bench_infer(runs, n, a_infer);
    if (rc || (rc = lt_bench_train(runs, n, a_train)))
      return rc;
  }
  return 0;
}
