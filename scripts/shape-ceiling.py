#!/usr/bin/python3
"""scripts/shape-ceiling.py — how much of each attribute a nodule's true shape tells.

    /usr/bin/python3 scripts/shape-ceiling.py FIT_SET TEST_SET

FIT_SET and TEST_SET are evaluation data sets (`lungtrust-cli dataset --synth ... --evaluation`:
their patch files hold the true nodule mask and the manifest the true attributes), e.g. the
default model's confirmation and test sets. For every sample it measures the true mask, at the
patch's 0.5 mm and averaged to the model's 1 mm voxels (occupancy >= 0.5): equivalent diameter,
the axis ratios of its second moments, surface compactness, the spread of the boundary's
distance to the moment ellipsoid (roughness), and the share of voxels outside 1.25 ellipsoid
radii (spikes). A least-squares fit of each true attribute on these eight numbers and their
pairwise products, made on FIT_SET, is scored on TEST_SET as the mean absolute error against
the truth, beside the error of predicting FIT_SET's median.

What it says: what a reader of a perfect segmentation could know about the shape attributes
(sphericity, lobulation, spiculation), with no noise, blur or slice thickness. Subtlety and
margin are properties of intensity and edge blur that a binary mask does not hold, so their
figures here are no ceiling. Needs numpy and scipy (Debian's python3-numpy, python3-scipy).
"""
import json
import sys

import numpy as np
from scipy.ndimage import binary_erosion

N = 64
NV = N ** 3
NAMES = ["subtlety", "sphericity", "margin", "lobulation", "spiculation", "malignancy"]
MAGIC = b"LTPATCH1"


def load(ds):
    """True masks (64^3, 0/1) and true attributes of the samples that have both."""
    try:
        with open(ds + "/manifest.json") as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"shape-ceiling.py: {ds}: no readable manifest.json ({e})")
    masks, attrs = [], []
    for s in man["samples"]:
        if not s.get("truth_mask") or "truth_attributes" not in s:
            continue
        try:
            with open(ds + "/" + s["patch"], "rb") as f:
                b = f.read()
        except OSError as e:
            sys.exit(f"shape-ceiling.py: {e}")
        if b[:8] != MAGIC:
            sys.exit(f"shape-ceiling.py: {s['patch']}: not a LungTrust patch file")
        flags = int(np.frombuffer(b[8:20], dtype=np.int32)[2])
        off = 20 + 2 * NV * 2 + (NV // 8 if flags & 1 else 0)
        bits = np.frombuffer(b[off:off + NV // 8], dtype=np.uint8)
        if len(bits) != NV // 8:
            sys.exit(f"shape-ceiling.py: {s['patch']}: truncated patch file")
        masks.append(np.unpackbits(bits, bitorder="little").reshape(N, N, N))
        attrs.append([s["truth_attributes"][k] for k in NAMES])
    if not masks:
        sys.exit(f"shape-ceiling.py: {ds}: no sample with a true mask (not an evaluation set?)")
    return masks, np.array(attrs)


def features(m, vox):
    idx = np.argwhere(m > 0).astype(float) * vox
    if len(idx) < 5:
        return [0.0] * 8
    p = idx - idx.mean(0)
    lam, vec = np.linalg.eigh(p.T @ p / len(p))
    lam = np.maximum(lam, 1e-9)
    area = sum(np.abs(np.diff(m.astype(np.int8), axis=a)).sum() for a in range(3)) * vox * vox
    vol = len(idx) * vox ** 3
    compact = np.pi ** (1 / 3) * (6 * vol) ** (2 / 3) / max(area, 1e-9)
    radius = np.sqrt(((p @ vec) ** 2 / (5 * lam)).sum(1))  # 1 on a solid ellipsoid's surface
    edge = np.argwhere((m > 0) & ~binary_erosion(m > 0)).astype(float) * vox - idx.mean(0)
    r_edge = np.sqrt(((edge @ vec) ** 2 / (5 * lam)).sum(1))
    rough = r_edge.std() / max(r_edge.mean(), 1e-9)
    deq = (6 * vol / np.pi) ** (1 / 3)
    return [deq, np.sqrt(lam[0] / lam[2]), np.sqrt(lam[1] / lam[2]), compact, rough,
            (radius > 1.25).mean(), np.log(deq), rough * deq]


def pool_1mm(m):
    return (m.reshape(32, 2, 32, 2, 32, 2).mean((1, 3, 5)) >= 0.5).astype(np.uint8)


def design(f, mean, sd):
    z = (f - mean) / sd
    k = z.shape[1]
    cols = [np.ones(len(z))] + [z[:, i] for i in range(k)]
    cols += [z[:, i] * z[:, j] for i in range(k) for j in range(i, k)]
    return np.stack(cols, 1)


def show(label, errors):
    print(f"  {label:18s} " + ", ".join(f"{n} {e:.2f}" for n, e in zip(NAMES, errors)))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    fit_m, fit_y = load(sys.argv[1])
    test_m, test_y = load(sys.argv[2])
    print(f"fit on {len(fit_y)} samples, scored on {len(test_y)}; MAE against the true "
          "attributes (1-5)")
    for label, vox, prep in [("true mask, 0.5 mm", 0.5, lambda m: m),
                             ("true mask, 1 mm", 1.0, pool_1mm)]:
        ff = np.array([features(prep(m), vox) for m in fit_m])
        ft = np.array([features(prep(m), vox) for m in test_m])
        mean, sd = ff.mean(0), ff.std(0) + 1e-9
        xf, xt = design(ff, mean, sd), design(ft, mean, sd)
        mae = []
        for a in range(len(NAMES)):
            w = np.linalg.lstsq(xf, fit_y[:, a], rcond=None)[0]
            mae.append(np.abs(np.clip(xt @ w, 1, 5) - test_y[:, a]).mean())
        show(label, mae)
    prior = [np.abs(np.median(fit_y[:, a]) - test_y[:, a]).mean() for a in range(len(NAMES))]
    show("median (no image)", prior)


if __name__ == "__main__":
    main()
