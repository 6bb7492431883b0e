/* tests/bench/bench-retrieve.c — the retrieval benchmark (app/cli-bench-retrieve.c) as a
 * program for `meson test --benchmark`. */
#include "cli-bench-retrieve.h"

int main(int argc, char **argv) { return lt_cli_bench_retrieve(argc, argv); }
