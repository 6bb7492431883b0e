/* app/cli-bench-model.h — `lungtrust-cli bench infer [PRESET]` and `bench train [PRESET]`: the
 * whole model on the cpu backend against PyTorch on the CPU in the same run, same architecture
 * and weights (tests/reference/bench_model.py under $LT_SOURCE_ROOT, the faster of its two
 * memory formats), two threads: medians, the ratio, GFLOP/s and the share of the two cores'
 * peak (445 GFLOP/s), and the load average (the machine is shared).
 *   infer: forward + Grad-CAM upsampled to the patch, batch 1 (default architecture w = 16)
 *   train: forward, joint loss with the Grad-CAM debug term, backward, Adam step, one sample
 * The functions have the signature of a bench in app/cli-bench.c's table. */
#ifndef LT_CLI_BENCH_MODEL_H
#define LT_CLI_BENCH_MODEL_H

/* argv[0] = "infer" / "train", argv[1] = optional model preset (default "default"). */
int lt_bench_infer(int runs, int argc, char **argv);
int lt_bench_train(int runs, int argc, char **argv);

#endif
