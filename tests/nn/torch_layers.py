#!/usr/bin/python3
"""tests/nn/torch_layers.py - PyTorch as the outside reference for single layers.

Reads the cases test-nn-torch writes (a manifest and raw little-endian float32 files: our
inputs, our outputs and our gradients for the loss sum(y * dy)), recomputes them with
torch.nn.functional and autograd in float64, and prints the normalised error of each tensor.
Exit 0 when all are <= 1e-5, 1 when one is not, 77 when torch is missing (a skip)."""
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"skip: torch or numpy missing ({e})")
    sys.exit(77)

TOL = 1e-5


def load(d, name, shape):
    a = np.fromfile(os.path.join(d, name), dtype="<f4")
    assert a.size == int(np.prod(shape)), (name, a.size, shape)
    return torch.from_numpy(a.astype(np.float64).reshape(shape))


def ncdhw(t):  # ours (N, D, H, W, C) -> torch (N, C, D, H, W)
    return t.permute(0, 4, 1, 2, 3)


def err(ours, theirs):
    ours = ours.reshape(-1)
    theirs = theirs.reshape(-1)
    den = torch.linalg.norm(theirs).item()
    num = torch.linalg.norm(ours - theirs).item()
    return num / den if den > 0 else num


def main():
    d = sys.argv[1]
    worst = 0.0
    for line in open(os.path.join(d, "manifest.txt")):
        f = line.split()
        kind, tag, v = f[0], f[1], [int(x) for x in f[2:]]
        p = lambda s: f"{tag}_{s}.bin"
        res = {}
        if kind in ("conv", "tconv"):
            n, ci, co, dd, hh, ww, k, s = v
            x = ncdhw(load(d, p("x"), (n, dd, hh, ww, ci))).clone().requires_grad_()
            if kind == "conv":
                w = load(d, p("w"), (co, ci, k, k, k)).requires_grad_()
                b = load(d, p("b"), (co,)).requires_grad_()
                y = F.conv3d(x, w, b, stride=s, padding=(k // 2))
            else:
                w = load(d, p("w"), (ci, co, k, k, k)).requires_grad_()
                b = load(d, p("b"), (co,)).requires_grad_()
                y = F.conv_transpose3d(x, w, b, stride=s)
            od, oh, ow = y.shape[2:]
            dy = ncdhw(load(d, p("dy"), (n, od, oh, ow, co)))
            (y * dy).sum().backward()
            res["y"] = (ncdhw(load(d, p("y"), (n, od, oh, ow, co))), y)
            res["dx"] = (ncdhw(load(d, p("dx"), (n, dd, hh, ww, ci))), x.grad)
            res["dw"] = (load(d, p("dw"), w.shape), w.grad)
            res["db"] = (load(d, p("db"), (co,)), b.grad)
        elif kind == "gn":
            n, c, g, dd, hh, ww = v
            x = ncdhw(load(d, p("x"), (n, dd, hh, ww, c))).clone().requires_grad_()
            gamma = load(d, p("gamma"), (c,)).requires_grad_()
            beta = load(d, p("beta"), (c,)).requires_grad_()
            y = F.relu(F.group_norm(x, g, gamma, beta, eps=1e-5))
            dy = ncdhw(load(d, p("dy"), (n, dd, hh, ww, c)))
            (y * dy).sum().backward()
            res["y"] = (ncdhw(load(d, p("y"), (n, dd, hh, ww, c))), y)
            res["dx"] = (ncdhw(load(d, p("dx"), (n, dd, hh, ww, c))), x.grad)
            res["dgamma"] = (load(d, p("dgamma"), (c,)), gamma.grad)
            res["dbeta"] = (load(d, p("dbeta"), (c,)), beta.grad)
        elif kind == "fc":
            n, fi, fo = v
            x = load(d, p("x"), (n, fi)).requires_grad_()
            w = load(d, p("w"), (fo, fi)).requires_grad_()
            b = load(d, p("b"), (fo,)).requires_grad_()
            y = F.linear(x, w, b)
            (y * load(d, p("dy"), (n, fo))).sum().backward()
            res["y"] = (load(d, p("y"), (n, fo)), y)
            res["dx"] = (load(d, p("dx"), (n, fi)), x.grad)
            res["dw"] = (load(d, p("dw"), (fo, fi)), w.grad)
            res["db"] = (load(d, p("db"), (fo,)), b.grad)
        elif kind == "avgpool":
            n, c, dd, hh, ww, k = v
            x = ncdhw(load(d, p("x"), (n, dd, hh, ww, c))).clone().requires_grad_()
            y = F.avg_pool3d(x, k)
            dy = ncdhw(load(d, p("dy"), (n, dd // k, hh // k, ww // k, c)))
            (y * dy).sum().backward()
            res["y"] = (ncdhw(load(d, p("y"), (n, dd // k, hh // k, ww // k, c))), y)
            res["dx"] = (ncdhw(load(d, p("dx"), (n, dd, hh, ww, c))), x.grad)
        elif kind == "gap":
            n, c, dd, hh, ww = v
            x = ncdhw(load(d, p("x"), (n, dd, hh, ww, c))).clone().requires_grad_()
            y = F.adaptive_avg_pool3d(x, 1).reshape(n, c)
            (y * load(d, p("dy"), (n, c))).sum().backward()
            res["y"] = (load(d, p("y"), (n, c)), y)
            res["dx"] = (ncdhw(load(d, p("dx"), (n, dd, hh, ww, c))), x.grad)
        elif kind == "sigmoid":
            (cnt,) = v
            x = load(d, p("x"), (cnt,)).requires_grad_()
            y = torch.sigmoid(x)
            (y * load(d, p("dy"), (cnt,))).sum().backward()
            res["y"] = (load(d, p("y"), (cnt,)), y)
            res["dx"] = (load(d, p("dx"), (cnt,)), x.grad)
        else:
            print(f"unknown case {kind}")
            return 1
        for name, (ours, theirs) in res.items():
            e = err(ours, theirs.detach())
            worst = max(worst, e)
            print(f"  {tag:<22} {name:<7} normalised error vs torch {e:.2e}")
    print(f"worst {worst:.2e} (tolerance {TOL:.0e})")
    return 0 if worst <= TOL else 1


if __name__ == "__main__":
    torch.set_num_threads(2)
    sys.exit(main())
