#!/usr/bin/python3
"""scripts/reader-floor.py — how close any model can come to the simulated readers' mean.

    /usr/bin/python3 scripts/reader-floor.py DATASET [DATASET ...]

DATASET is an evaluation data set (`lungtrust-cli dataset --synth ... --evaluation`): its
manifest holds, for every rated (unsure) sample, the four readers' mean ratings and the true
attributes and diameter. The readers rate truth + bias + noise, rounded and clamped to 1-5, and a
small subtle nodule may be missed by some of them (docs/synth.md section 3). So the best any
predictor of the readers' mean can do, even one that knew the truth exactly, is
E[readers' mean | truth]; this script estimates that by simulating the readers 4,000 times per
sample and prints its MAE against the observed means (the floor of "attribute MAE vs readers"),
per attribute. Then it asks what error around that best guess a model may make and still reach
a given MAE against the readers: it adds Gaussian errors of a few sizes and reports the MAE
against the readers and against the truth.

The renderer draws no part of a nodule from its malignancy score (engine/synth/shape.c): an
image carries of it only what the other attributes and the size predict. So the script also
gives the floor of a model that reads every drawn attribute exactly and predicts the malignancy
truth from them (least squares over the set, the sample left out, with its residual spread), and,
given the model's per-sample scores (`lungtrust-cli evaluate DATASET --model M --samples CSV`),
the model's error against that floor per attribute, for nodules under 10 mm and from 10 mm.

    /usr/bin/python3 scripts/reader-floor.py DATASET [--samples CSV] [DATASET [--samples CSV]]...

The reader model below copies engine/synth/readers.c's lt_reader_model_default. The copy is
checked first: the simulated readers' mean must lie as far from the truth as the observed one
does (MAE within 0.03), or the script stops. Needs numpy (Debian's python3-numpy).
"""
import csv
import json
import sys

import numpy as np

NAMES = ["subtlety", "sphericity", "margin", "lobulation", "spiculation", "malignancy"]
SHIFT = np.array([-1.0, -0.35, 0.35, 1.0])                  # per reader
SCALE = np.array([0.30, 0.25, 0.30, 0.30, 0.25, 0.30])      # per attribute
NOISE = np.array([1.16, 1.17, 1.12, 1.07, 0.95, 0.97])      # per attribute
MISS_MAX, MISS_BELOW_MM = 0.35, 8.0
DRAWS = 4000


def simulate(rng, truth, diameter, draws):
    """(draws, 6) readers' means for one nodule, as lt_readers_read with the default model.
    truth: (6,), or (draws, 6) for a truth that varies between draws."""
    truth = np.asarray(truth)
    small = max(0.0, 1.0 - (diameter - 3.0) / (MISS_BELOW_MM - 3.0))
    p_miss = MISS_MAX * small * (5.5 - truth[..., 0]) / 4.5
    if truth.ndim == 2:
        truth, p_miss = truth[:, None, :], p_miss[:, None]
    x = truth + SHIFT[None, :, None] * SCALE + NOISE * rng.standard_normal((draws, 4, 6))
    x = np.clip(np.floor(x + 0.5), 1, 5)   # lround for these positive values
    seen = rng.random((draws, 4)) >= p_miss
    seen[seen.sum(axis=1) == 0, 3] = True  # never all four
    return (x * seen[:, :, None]).sum(axis=1) / seen.sum(axis=1)[:, None]


def loo_malignancy(T, D, rows_all, T_all, D_all, ids):
    """The malignancy truth as the other true attributes and the size predict it (least squares
    on [1, five attributes, log diameter] over every sample of the set with a truth, leaving the
    predicted sample out), and the residual sd: all that an image made by this generator carries
    of it, since the renderer draws no part of a nodule from its malignancy score."""
    X_all = np.column_stack([np.ones(len(T_all)), T_all[:, :5], np.log(D_all)])
    y_all = T_all[:, 5]
    w = np.linalg.lstsq(X_all, y_all, rcond=None)[0]
    sd = float(np.std(y_all - X_all @ w))
    pred = []
    for t, d, i in zip(T, D, ids):
        keep = np.array([r["id"] != i for r in rows_all])
        wi = np.linalg.lstsq(X_all[keep], y_all[keep], rcond=None)[0]
        pred.append(float(np.concatenate([[1.0], t[:5], [np.log(d)]]) @ wi))
    return np.array(pred), sd


def read_samples(path):
    """The model's scores per sample id from `lungtrust-cli evaluate --samples` (six attributes)."""
    try:
        with open(path, newline="") as f:
            got = {r["id"]: r for r in csv.DictReader(f)}
    except OSError as e:
        sys.exit(f"reader-floor.py: {path}: {e}")
    if not got or "model_" + NAMES[0] not in next(iter(got.values())):
        sys.exit(f"reader-floor.py: {path}: not the six-attribute table of evaluate --samples")
    return got


def main():
    args, samples = sys.argv[1:], []
    while "--samples" in args:
        k = args.index("--samples")
        if k + 1 >= len(args):
            sys.exit("usage: reader-floor.py DATASET [--samples CSV] [DATASET [--samples CSV]]...")
        samples.append((k - 1, args[k + 1]))
        del args[k:k + 2]
    if not args:
        sys.exit("usage: reader-floor.py DATASET [--samples CSV] [DATASET [--samples CSV]]...")
    csv_of = {}
    for k, path in samples:
        if k < 0:
            sys.exit("reader-floor.py: --samples belongs after its DATASET")
        csv_of[k] = path
    rng = np.random.default_rng(20261126)
    rng_vis = np.random.default_rng(20261127)  # its own stream: the numbers above stay as they were
    for n_ds, ds in enumerate(args):
        try:
            with open(ds + "/manifest.json") as f:
                man = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"reader-floor.py: {ds}: no readable manifest.json ({e})")
        rows_all = [s for s in man.get("samples", [])
                    if "truth_attributes" in s and s.get("nodule_mm", 0) > 0]
        rows = [s for s in rows_all if s.get("ratings")]
        if not rows:
            sys.exit(f"reader-floor.py: {ds}: no rated sample with true attributes "
                     "(not an evaluation set?)")
        T = np.array([[s["truth_attributes"][k] for k in NAMES] for s in rows])
        R = np.array([[s["ratings"][k] for k in NAMES] for s in rows])
        D = [s["nodule_mm"] for s in rows]
        sims = [simulate(rng, T[i], D[i], DRAWS) for i in range(len(rows))]
        best = np.array([s.mean(axis=0) for s in sims])
        once = np.array([s[0] for s in sims])
        observed, simulated = np.abs(R - T).mean(), np.abs(once - T).mean()
        print(f"{ds}: {len(rows)} rated samples")
        print(f"  check: readers' mean vs truth, observed {observed:.3f}, "
              f"simulated {simulated:.3f}")
        if abs(observed - simulated) > 0.03:
            sys.exit("reader-floor.py: the copied reader model does not match this data set's "
                     "readers (engine/synth/readers.c changed?)")
        per = np.abs(best - R).mean(axis=0)
        print(f"  floor: E[readers' mean | truth] vs the readers' mean, MAE {per.mean():.3f} ("
              + ", ".join(f"{k} {v:.3f}" for k, v in zip(NAMES, per)) + ")")
        for sd in (0.2, 0.3, 0.4, 0.5, 0.6):
            vr, vt = [], []
            for _ in range(200):
                p = best + sd * rng.standard_normal(best.shape)
                vr.append(np.abs(p - R).mean())
                vt.append(np.abs(p - T).mean())
            print(f"  a model off that best guess by N(0, {sd:.1f}^2): MAE vs readers "
                  f"{np.mean(vr):.3f}, vs truth {np.mean(vt):.3f}")
        T_all = np.array([[s["truth_attributes"][k] for k in NAMES] for s in rows_all])
        D_all = np.array([s["nodule_mm"] for s in rows_all])
        mal, mal_sd = loo_malignancy(T, D, rows_all, T_all, D_all, [s["id"] for s in rows])
        best_vis = []
        for i in range(len(rows)):
            t = np.repeat(T[i][None, :], DRAWS, axis=0)
            t[:, 5] = np.clip(mal[i] + mal_sd * rng_vis.standard_normal(DRAWS), 1, 5)
            best_vis.append(simulate(rng_vis, t, D[i], DRAWS).mean(axis=0))
        best_vis = np.array(best_vis)
        per_vis = np.abs(best_vis - R).mean(axis=0)
        print(f"  floor from what the images show (the malignancy score is not drawn into the "
              f"image: its truth as the other attributes and size predict it, residual sd "
              f"{mal_sd:.2f}): MAE {per_vis.mean():.3f} ("
              + ", ".join(f"{k} {v:.3f}" for k, v in zip(NAMES, per_vis)) + ")")
        if n_ds in csv_of:
            got = read_samples(csv_of[n_ds])
            missing = [s["id"] for s in rows if s["id"] not in got]
            if missing:
                sys.exit(f"reader-floor.py: {csv_of[n_ds]}: no row for {missing[0]} of {ds}")
            P = np.array([[float(got[s["id"]]["model_" + k]) for k in NAMES] for s in rows])
            Dn = np.array(D)
            print(f"  the model ({csv_of[n_ds]}) against that floor, by size:")
            groups = (("all", Dn > 0), ("under 10 mm", Dn < 10), ("10 mm or more", Dn >= 10))
            for name, sel in groups:
                if not sel.any():
                    continue
                m = np.abs(P[sel] - R[sel]).mean(axis=0)
                f = np.abs(best_vis[sel] - R[sel]).mean(axis=0)
                each = ", ".join(f"{k} {a:.2f}/{b:.2f}" for k, a, b in zip(NAMES, m, f))
                print(f"    {name:13s} ({sel.sum():3d}): model {m.mean():.3f}, "
                      f"floor {f.mean():.3f}; {each}")


if __name__ == "__main__":
    main()
