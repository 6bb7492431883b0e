"""tests/reference/model.py — the collaborative model of DESIGN section 3 in PyTorch, as an
outside reference for engine/model (float64 by default, CPU).

Functional: the parameters are the tensors of our safetensors weights file, with the same names
(engine/model/params.c); Grad-CAM is taken with autograd (torch.autograd.grad with
create_graph=True), so the debug loss's gradient is autograd's second-order one, not the
analytic formula of docs/debug-loss.md that the C code uses.

Usage:
  model.py WEIGHTS CASE OUT [--float32]
CASE is a safetensors file written by the C test (tests/model/test-reference.c) with the batch:
  x (n, S, S, S, C) NDHWC; label, has_label, sure, has_mask, has_ratings, has_nodule (n);
  mask, nodule_mask (n, S, S, S); ratings (n, 6); optionally relu_mask.K (n, D*H*W, C): the
  engine's ReLU mask of its K-th GroupNorm+ReLU in forward order (see KINK below).
OUT receives prob, logit, attrs, seg, cam, loss (and its terms), debug_applied, relu_kinks,
relu_taken, relu_disagree, and grad.NAME for every parameter.
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402


# ReLU at its kink. A pre-activation within KINK of 0 has no sign that float32 and float64 agree
# on (the engine's forward carries about 1e-6 of accumulated rounding there), and the gradient
# jumps by that element's whole dy when the sign differs: at 64^3, 4 such elements of 13 million
# made 2.5e-4 of error in grad.e1.0.conv.weight. Where the case carries the engine's ReLU masks
# (relu_mask.K for the K-th GroupNorm+ReLU, NDHWC, 1 = on), elements within KINK take the
# engine's side; everywhere else the engine must agree with float64, which is counted.
KINK = 1e-5
RELU = {"masks": None, "k": 0, "kinks": 0, "taken": 0, "disagree": 0}


def relu(y):
    masks = RELU["masks"]
    if masks is None:
        return F.relu(y)
    k = RELU["k"]
    RELU["k"] += 1
    n, c, d, h, w = y.shape
    ours = masks[k].view(n, d, h, w, c).permute(0, 4, 1, 2, 3) > 0.5
    t = y.detach()
    near = t.abs() < KINK
    RELU["kinks"] += int(near.sum())
    RELU["taken"] += int((near & (ours != (t > 0))).sum())
    RELU["disagree"] += int((~near & (ours != (t > 0))).sum())
    on = torch.where(near, ours, t > 0)
    return y * on.to(y.dtype)


def conv_gn(P, cfg, name, x, stride=1, k=3, transposed=False):
    w, b = P[name + ".conv.weight"], P[name + ".conv.bias"]
    if transposed:
        y = F.conv_transpose3d(x, w, b, stride=2)
    else:
        y = F.conv3d(x, w, b, stride=stride, padding=1 if k == 3 else 0)
    y = F.group_norm(y, cfg["groups"], P[name + ".gn.weight"], P[name + ".gn.bias"], eps=1e-5)
    return relu(y)


def conv_gn_plain(P, cfg, name, x, k=3):
    """Convolution + GroupNorm without ReLU (a residual branch's last, or its projection)."""
    y = F.conv3d(x, P[name + ".conv.weight"], P[name + ".conv.bias"], padding=1 if k == 3 else 0)
    return F.group_norm(y, cfg["groups"], P[name + ".gn.weight"], P[name + ".gn.bias"], eps=1e-5)


def resnet_trunk(P, cfg, x):
    """The ResNet baseline (config arch "resnet", engine/model/params.h): stem, then one block a
    stage, strides 1, 2, 2, 1; shortcut identity or (2x2x2 average pooling when the stage halves)
    1x1x1 convolution + GroupNorm; ReLU after the sum. The post-sum ReLU is plain F.relu: the
    engine records the ReLU masks of its GroupNorm+ReLU layers only."""
    w = cfg["width"]
    wid, stride = [w, 2 * w, 4 * w, 8 * w], [1, 2, 2, 1]
    x = conv_gn(P, cfg, "stem", x)
    for s in range(4):
        y = conv_gn(P, cfg, "r%d.conv1" % (s + 1), x, stride=stride[s])
        y = conv_gn_plain(P, cfg, "r%d.conv2" % (s + 1), y)
        sc = x
        if x.shape[1] != wid[s]:
            if stride[s] == 2:
                sc = F.avg_pool3d(sc, 2)
            sc = conv_gn_plain(P, cfg, "r%d.proj" % (s + 1), sc, k=1)
        x = F.relu(y + sc)
    return x


def heads(P, cfg, f, pooled=None):
    """Global average pooling of f (with mask_pool also f's mean weighted by the pooled
    segmentation + 1e-6), then the heads. Returns h, logit z (n), attrs or None."""
    h = f.mean(dim=(2, 3, 4))
    if cfg.get("mask_pool", False):
        w = pooled + 1e-6
        h = torch.cat([h, (w * f).sum(dim=(2, 3, 4)) / w.sum(dim=(2, 3, 4))], dim=1)
    attrs = None
    a = None
    if cfg["attributes"]:
        a = F.relu(F.linear(h, P["reg1.weight"], P["reg1.bias"]))
        attrs = F.linear(a, P["reg2.weight"], P["reg2.bias"])
    if cfg["debug"] == "cam":
        z = F.linear(h, P["cls.weight"], P["cls.bias"])[:, 0]
    else:
        c = F.relu(F.linear(h, P["cls1.weight"], P["cls1.bias"]))
        feat = torch.cat([c, a], dim=1) if cfg["concat"] else c
        z = F.linear(feat, P["cls2.weight"], P["cls2.bias"])[:, 0]
    return h, z, attrs


def forward(P, cfg, x):
    """x: (n, C, S, S, S). Returns f, seg (n, 1, S, S, S; None for the ResNet), h, logit z (n),
    attrs (n, na) or None."""
    if cfg.get("arch", "collaborative") == "resnet":
        f = resnet_trunk(P, cfg, x)
        h, z, attrs = heads(P, cfg, f)
        return f, None, h, z, attrs
    e = []
    for s in range(4):
        for i in range(cfg["stage_convs"][s] + 1):
            x = conv_gn(P, cfg, "e%d.%d" % (s + 1, i), x, stride=2 if (s > 0 and i == 0) else 1)
        e.append(x)
    x = conv_gn(P, cfg, "up3", e[3], transposed=True) + e[2]
    for i in range(cfg["dec_convs"][0]):
        x = conv_gn(P, cfg, "d3.%d" % i, x)
    d3 = x
    x = conv_gn(P, cfg, "up2", d3, transposed=True) + e[1]
    for i in range(cfg["dec_convs"][1]):
        x = conv_gn(P, cfg, "d2.%d" % i, x)
    x = conv_gn(P, cfg, "up1", x, transposed=True) + e[0]
    seg = torch.sigmoid(F.conv3d(x, P["seg.weight"], P["seg.bias"]))
    pooled = F.avg_pool3d(seg, 4)
    fin = torch.cat([e[2], d3, pooled], dim=1)
    f = conv_gn(P, cfg, "fuse", fin, k=1)
    h, z, attrs = heads(P, cfg, f, pooled)
    return f, seg, h, z, attrs


def gradcam(f, xc, create_graph):
    """Paper Eq. 2-3 with autograd, then min-max: (n, N) maps on the fusion grid."""
    (df,) = torch.autograd.grad(xc.sum(), f, create_graph=create_graph)
    wk = df.mean(dim=(2, 3, 4), keepdim=True)  # Eq. 2
    raw = (xc - 0.5).view(-1, 1, 1, 1, 1) * (wk * f).sum(dim=1, keepdim=True)  # Eq. 3
    raw = raw.flatten(1)
    lo = raw.min(dim=1, keepdim=True).values
    hi = raw.max(dim=1, keepdim=True).values
    return (raw - lo) / (hi - lo)


def run(P, cfg, case):
    n = case["x"].shape[0]
    x = case["x"].permute(0, 4, 1, 2, 3).contiguous()
    masks = sorted((int(k.split(".")[1]), v) for k, v in case.items() if k.startswith("relu_mask."))
    RELU.update(masks=[v for _, v in masks] if masks else None, k=0, kinks=0, taken=0, disagree=0)
    f, seg, h, z, attrs = forward(P, cfg, x)
    xc = torch.sigmoid(z)
    cam = gradcam(f, xc, create_graph=True)
    S = cfg["input_size"]
    na = 0 if not cfg["attributes"] else (1 if cfg["malignancy_only"] else 6)
    terms = {"bce": 0.0, "dice": 0.0, "mse": 0.0, "debug": 0.0}
    total = 0.0
    applied = 0
    for i in range(n):
        if case["has_label"][i] > 0:
            t = F.binary_cross_entropy_with_logits(z[i], case["label"][i])
            terms["bce"] = terms["bce"] + t
            total = total + t
        if case["has_ratings"][i] > 0 and na > 0:
            target = case["ratings"][i][-1:] if na == 1 else case["ratings"][i]
            t = ((attrs[i] - target) ** 2).mean()
            terms["mse"] = terms["mse"] + t
            total = total + cfg.get("attr_weight", 1) * t
        if case["has_mask"][i] > 0 and seg is not None:
            y, g = seg[i, 0], case["mask"][i]
            th = cfg["dice_smooth"]
            t = 1 - (2 * (y * g).sum() + th) / (y.sum() + g.sum() + th)
            terms["dice"] = terms["dice"] + t
            total = total + t
        on = cfg["debug"] != "off" and cfg["debug_weight"] != 0 and (
            cfg["debug_on"] == "all" or (cfg["debug_on"] == "sure") == (case["sure"][i] > 0))
        if on:
            if seg is not None:
                p = F.avg_pool3d((seg[i:i + 1].detach() >= 0.5).to(f.dtype), 4).flatten()
            else:  # no segmentation: the annotated nodule
                p = torch.zeros(f[0, 0].numel(), dtype=f.dtype)
            if p.sum() == 0 and case["has_nodule"][i] > 0:
                p = F.avg_pool3d((case["nodule_mask"][i].view(1, 1, S, S, S) >= 0.5).to(f.dtype), 4).flatten()
            camf = cam[i]
            if p.sum() > 0 and (1 - p).sum() > 0 and torch.isfinite(camf).all():
                A = (p * camf).sum() / p.sum()
                B = ((1 - p) * camf).sum() / (1 - p).sum()
                coef = (xc[i] - 0.5).abs()
                if not cfg["debug_coef_grad"]:
                    coef = coef.detach()
                hinge = F.relu(B - A + cfg["lambda"])
                if hinge.item() > 0:
                    applied += 1
                t = coef * hinge
                terms["debug"] = terms["debug"] + t
                total = total + cfg["debug_weight"] * t
    loss = total / n
    names = sorted(P)
    grads = torch.autograd.grad(loss, [P[k] for k in names], allow_unused=True)
    out = {
        "prob": xc.detach(),
        "logit": z.detach(),
        "cam": cam.detach(),
        "loss": torch.tensor([float(loss)]),
        "debug_applied": torch.tensor([float(applied)]),
        "relu_kinks": torch.tensor([float(RELU["kinks"])]),
        "relu_taken": torch.tensor([float(RELU["taken"])]),
        "relu_disagree": torch.tensor([float(RELU["disagree"])]),
    }
    for k in terms:
        out["term." + k] = torch.tensor([float(terms[k])])
    if seg is not None:
        out["seg"] = seg.detach().flatten(1)
    if attrs is not None:
        out["attrs"] = attrs.detach()
    for k, g in zip(names, grads):
        out["grad." + k] = torch.zeros_like(P[k]) if g is None else g.detach()
    return out


def write(path, tensors, meta=None):
    names = list(tensors)
    header = {}
    off = 0
    blobs = []
    for k in names:
        b = tensors[k].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    data = b"".join(blobs)
    md = dict(meta or {})
    md["lt_checksum"] = "fnv1a64:%016x" % safetensors_io.fnv1a64(data)
    header["__metadata__"] = md
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as fp:
        fp.write(struct.pack("<Q", len(js)) + js + data)


def main():
    wpath, cpath, opath = sys.argv[1:4]
    dtype = torch.float32 if "--float32" in sys.argv else torch.float64
    torch.set_num_threads(2)
    W, meta = safetensors_io.load(wpath)
    cfg = json.loads(meta["config"])
    P = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in W.items()}
    C, _ = safetensors_io.load(cpath)
    case = {k: torch.tensor(v, dtype=dtype) for k, v in C.items()}
    out = run(P, cfg, case)
    write(opath, out)


if __name__ == "__main__":
    main()
