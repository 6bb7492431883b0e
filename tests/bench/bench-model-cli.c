/* tests/bench/bench-model-cli.c — runs `lungtrust-cli bench infer` and `bench train`
 * (app/cli-bench-model.c) outside the CLI's table: bench-model-cli [RUNS [PRESET]]. */
#include <stdio.h>
#include <stdlib.h>

#include "cli-bench-model.h"

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  char *a_infer[] = {"infer", argc > 2 ? argv[2] : "default", NULL};
  char *a_train[] = {"train", argc > 2 ? argv[2] : "default", NULL};
  int rc = lt_bench_infer(runs, 2, a_infer);
  return rc ? rc : lt_bench_train(runs, 2, a_train);
}
