"""tests/reference/bench_model.py — the PyTorch peer of bench-model (tests/bench/bench-model.c):
the same architecture and weights (tests/reference/model.py), float32 on the CPU with a given
number of threads, timed in both memory formats (contiguous NCDHW and channels_last_3d); the
faster one is reported.

Usage: bench_model.py WEIGHTS RUNS THREADS
Prints one line: {"infer_ms": median, "infer_format": ..., "train_ms": median, "train_format": ...}
  infer: forward + Grad-CAM (autograd, no graph kept), batch 1
  train: forward, the joint loss with the debug term (Grad-CAM with create_graph=True), backward,
         Adam step, batch 1, one sure sample
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import model as ref  # noqa: E402
import safetensors_io  # noqa: E402


def main():
    wpath, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    W, meta = safetensors_io.load(wpath)
    cfg = json.loads(meta["config"])
    S = cfg["input_size"]
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(1, cfg["in_channels"], S, S, S, generator=g)
    out = {}
    for fmt in ("contiguous", "channels_last_3d"):
        mf = torch.contiguous_format if fmt == "contiguous" else torch.channels_last_3d
        P = {k: torch.tensor(v, requires_grad=True) for k, v in W.items()}
        for k in P:
            if P[k].dim() == 5:
                P[k] = P[k].detach().to(memory_format=mf).requires_grad_(True)
        x = x0.to(memory_format=mf)

        def infer():
            f, seg, h, z, attrs = ref.forward(P, cfg, x)
            ref.gradcam(f, torch.sigmoid(z), create_graph=False)

        opt = torch.optim.Adam(list(P.values()), lr=1e-3)

        def train():
            opt.zero_grad()
            f, seg, h, z, attrs = ref.forward(P, cfg, x)
            xc = torch.sigmoid(z)
            cam = ref.gradcam(f, xc, create_graph=True)[0]
            loss = F.binary_cross_entropy_with_logits(z[0], torch.tensor(1.0))
            p = F.avg_pool3d((seg.detach() >= 0.5).float(), 4).flatten()
            if p.sum() > 0 and (1 - p).sum() > 0:
                A = (p * cam).sum() / p.sum()
                B = ((1 - p) * cam).sum() / (1 - p).sum()
                loss = loss + (xc[0] - 0.5).abs().detach() * F.relu(B - A + cfg["lambda"])
            loss.backward()
            opt.step()

        for name, fn in (("infer", infer), ("train", train)):
            fn()  # warm-up
            ts = []
            for _ in range(runs):
                t = time.perf_counter()
                fn()
                ts.append((time.perf_counter() - t) * 1e3)
            med = statistics.median(ts)
            if name + "_ms" not in out or med < out[name + "_ms"]:
                out[name + "_ms"] = med
                out[name + "_format"] = fmt
    print(json.dumps(out))


if __name__ == "__main__":
    main()
