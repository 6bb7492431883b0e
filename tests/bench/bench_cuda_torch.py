"""tests/bench/bench_cuda_torch.py — the PyTorch peer of bench-cuda (tests/bench/bench-cuda.c):
the same architecture and weights (tests/reference/model.py) in float32 on the same GPU, TF32
off (as ours), cuDNN autotuning on, timed in both memory formats (contiguous NCDHW and
channels_last_3d); the faster is reported.

Usage: bench_cuda_torch.py WEIGHTS RUNS BATCH
Prints one line: {"infer1_ms", "inferB_ms", "train_ms", "*_format", "device"} or {"error": ...}
  infer1: forward + Grad-CAM of one nodule (batch 1); inferB: the same for BATCH nodules
  train: forward, BCE + the debug term (Grad-CAM with create_graph=True), backward, Adam step,
         BATCH sure samples
"""
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(json.dumps({"error": "no torch: %s" % e}))
    sys.exit(0)

sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/../reference")
import model as ref  # noqa: E402
import safetensors_io  # noqa: E402


def main():
    wpath, runs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch %s has no CUDA device" % torch.__version__}))
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    W, meta = safetensors_io.load(wpath)
    cfg = json.loads(meta["config"])
    S = cfg["input_size"]
    g = torch.Generator().manual_seed(0)
    xb0 = torch.rand(batch, cfg["in_channels"], S, S, S, generator=g).to(dev)
    out = {"device": torch.cuda.get_device_name(0)}
    for fmt in ("contiguous", "channels_last_3d"):
        mf = torch.contiguous_format if fmt == "contiguous" else torch.channels_last_3d
        P = {}
        for k, v in W.items():
            t = torch.tensor(v).to(dev)
            if t.dim() == 5:
                t = t.to(memory_format=mf)
            P[k] = t.requires_grad_(True)
        xb = xb0.to(memory_format=mf)
        x1 = xb[:1].contiguous(memory_format=mf)

        def infer(x):
            f, seg, h, z, attrs = ref.forward(P, cfg, x)
            ref.gradcam(f, torch.sigmoid(z), create_graph=False)

        opt = torch.optim.Adam(list(P.values()), lr=1e-3)
        target = torch.ones(batch, device=dev)

        def train():
            opt.zero_grad()
            f, seg, h, z, attrs = ref.forward(P, cfg, xb)
            xc = torch.sigmoid(z)
            cam = ref.gradcam(f, xc, create_graph=True)
            loss = F.binary_cross_entropy_with_logits(z, target)
            p = F.avg_pool3d((seg.detach() >= 0.5).float(), 4).flatten(1)
            sp, sq = p.sum(1), (1 - p).sum(1)
            ok = (sp > 0) & (sq > 0)
            A = (p * cam).sum(1) / sp.clamp(min=1e-12)
            B = ((1 - p) * cam).sum(1) / sq.clamp(min=1e-12)
            dbg = (xc - 0.5).abs().detach() * F.relu(B - A + cfg["lambda"])
            loss = loss + (dbg * ok).sum() / batch
            loss.backward()
            opt.step()

        for name, fn in (("infer1", lambda: infer(x1)), ("inferB", lambda: infer(xb)),
                         ("train", train)):
            for _ in range(3):
                fn()  # warm-up and cuDNN autotuning
            torch.cuda.synchronize()
            ts = []
            for _ in range(runs):
                t = time.perf_counter()
                fn()
                torch.cuda.synchronize()
                ts.append((time.perf_counter() - t) * 1e3)
            med = statistics.median(ts)
            if name + "_ms" not in out or med < out[name + "_ms"]:
                out[name + "_ms"] = med
                out[name + "_format"] = fmt
    print(json.dumps(out))


if __name__ == "__main__":
    main()
