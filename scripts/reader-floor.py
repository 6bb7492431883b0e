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

The reader model below copies engine/synth/readers.c's lt_reader_model_default. The copy is
checked first: the simulated readers' mean must lie as far from the truth as the observed one
does (MAE within 0.03), or the script stops. Needs numpy (Debian's python3-numpy).
"""
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
    """(draws, 6) readers' means for one nodule, as lt_readers_read with the default model."""
    small = max(0.0, 1.0 - (diameter - 3.0) / (MISS_BELOW_MM - 3.0))
    p_miss = MISS_MAX * small * (5.5 - truth[0]) / 4.5
    x = truth + SHIFT[None, :, None] * SCALE + NOISE * rng.standard_normal((draws, 4, 6))
    x = np.clip(np.floor(x + 0.5), 1, 5)   # lround for these positive values
    seen = rng.random((draws, 4)) >= p_miss
    seen[seen.sum(axis=1) == 0, 3] = True  # never all four
    return (x * seen[:, :, None]).sum(axis=1) / seen.sum(axis=1)[:, None]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: reader-floor.py DATASET [DATASET ...]")
    rng = np.random.default_rng(20261126)
    for ds in sys.argv[1:]:
        try:
            with open(ds + "/manifest.json") as f:
                man = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"reader-floor.py: {ds}: no readable manifest.json ({e})")
        rows = [s for s in man.get("samples", [])
                if s.get("ratings") and "truth_attributes" in s and "nodule_mm" in s]
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
        print(f"  check: readers' mean vs truth, observed {observed:.3f}, simulated {simulated:.3f}")
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


if __name__ == "__main__":
    main()
