#!/usr/bin/python3
"""tests/bench/bench_conv_torch.py - PyTorch's CPU time for the convolution shapes bench-conv
measures, as the peer in the same run.

stdin: one line per shape "name kind c_in c_out size k stride" (kind conv or tconv, input
size^3, batch 1). stdout: one line per shape "name fwd bwd_data bwd_weights fwd_best
bwd_data_best bwd_weights_best formats": medians (then minima) in ms of REPS runs after a
warm-up, each pass in whichever memory format (channels_last_3d or contiguous) has the lower
median for it. Two threads unless argv[1] says otherwise."""
import statistics
import sys
import time

import torch

REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def median_ms(fn):
    """(median, best) of REPS timed runs in ms after one warm-up run."""
    fn()
    ts = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts)


def measure(kind, ci, co, size, k, s, fmt):
    torch.manual_seed(0)
    x = torch.randn(1, ci, size, size, size)
    if kind == "conv":
        w = torch.randn(co, ci, k, k, k) * 0.1
        pad = k // 2
        fwd = lambda: torch.nn.functional.conv3d(x, w, b, stride=s, padding=pad)
    else:
        w = torch.randn(ci, co, k, k, k) * 0.1
        pad = 0
        fwd = lambda: torch.nn.functional.conv_transpose3d(x, w, b, stride=s)
    b = torch.zeros(co)
    if fmt == "channels_last_3d":
        x = x.contiguous(memory_format=torch.channels_last_3d)
        w = w.contiguous(memory_format=torch.channels_last_3d)
    y = fwd()
    dy = torch.randn_like(y)
    if fmt == "channels_last_3d":
        dy = dy.contiguous(memory_format=torch.channels_last_3d)
    transposed = kind == "tconv"

    def bwd(mask):
        return lambda: torch.ops.aten.convolution_backward(
            dy, x, w, [co], [s] * 3, [pad] * 3, [1] * 3, transposed, [0] * 3, 1, mask)

    with torch.no_grad():
        return (median_ms(fwd), median_ms(bwd([True, False, False])),
                median_ms(bwd([False, True, True])))


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        name, kind = f[0], f[1]
        ci, co, size, k, s = (int(v) for v in f[2:7])
        best = None
        res = {fmt: measure(kind, ci, co, size, k, s, fmt)
               for fmt in ("channels_last_3d", "contiguous")}
        pick = ["channels_last_3d" if res["channels_last_3d"][p][0] <= res["contiguous"][p][0]
                else "contiguous" for p in range(3)]
        med = [res[pick[p]][p][0] for p in range(3)]
        low = [res[pick[p]][p][1] for p in range(3)]
        fmts = "/".join("cl" if m == "channels_last_3d" else "ct" for m in pick)
        print(f"{name} {med[0]:.3f} {med[1]:.3f} {med[2]:.3f} {low[0]:.3f} {low[1]:.3f} "
              f"{low[2]:.3f} {fmts}", flush=True)


if __name__ == "__main__":
    main()
