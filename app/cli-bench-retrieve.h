/* app/cli-bench-retrieve.h — the retrieval benchmark as a function, for `lungtrust-cli bench
 * retrieve` (hooked into cli-bench.c's table) and for tests/bench/bench-retrieve.
 * argv[0] is "retrieve"; returns an exit status. */
#ifndef LT_CLI_BENCH_RETRIEVE_H
#define LT_CLI_BENCH_RETRIEVE_H

int lt_cli_bench_retrieve(int argc, char **argv);
/* The same with the repeats of the build and import timings given (cli-bench.c's lt_bench_fn:
 * `{"retrieve", lt_bench_retrieve, "[N] [DIR] top-10 over N nodules vs SQL, index build, LIDC
 * import"}`). */
int lt_bench_retrieve(int runs, int argc, char **argv);

#endif
