#!/usr/bin/python3
"""scripts/attribute-bias.py — is the attribute error a model leaves bias or spread?

    /usr/bin/python3 scripts/attribute-bias.py CSV [CSV ...]

Each CSV is one model's per-sample scores on the same evaluation set
(`lungtrust-cli evaluate DATASET --model M --samples CSV`; DATASET built with `--evaluation`, so
the true attributes are in it). For every CSV, and with two or more for the mean of their scores
(an ensemble: what averaging training runs would buy), the script prints the attribute MAE
against the readers' mean (rated samples) and against the truth (every sample), per attribute.
If the mean of several runs scores no better than each run, what is left is bias, which more
runs, averaging or a refit of the same scores cannot remove.

Then, for the first CSV, per band of nodule diameter, how the scores follow the truth: their
correlation with it and the slope of the scores on it (1 for a model that follows the truth
fully; a model trained on noisy ratings of what the image shows little of shrinks towards the
mean, so a slope well under 1 where the nodule is large says the network does not read what a
large nodule does show). Needs numpy (Debian's python3-numpy).
"""
import csv
import sys

import numpy as np

NAMES = ["subtlety", "sphericity", "margin", "lobulation", "spiculation", "malignancy"]
BANDS = [(3, 6), (6, 10), (10, 15), (15, 20), (20, 31)]


def read_samples(path):
    """Rows by sample id; stops with one line if the file is not a --samples CSV with truth."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"attribute-bias: {path}: {e.strerror}")
    need = ["id", "nodule_mm"] + [f"{k}_{a}" for k in ("model", "readers", "truth") for a in NAMES]
    if not rows or any(k not in rows[0] for k in need):
        sys.exit(f"attribute-bias: {path}: not a `lungtrust-cli evaluate --samples` CSV of an "
                 "evaluation set (a column is missing or it has no rows)")
    if any(r["truth_subtlety"] == "" for r in rows):
        sys.exit(f"attribute-bias: {path}: a sample has no truth (build the data set with "
                 "--evaluation)")
    return {r["id"]: r for r in rows}


def columns(rows, ids, kind):
    return np.array([[float(rows[i][f"{kind}_{a}"]) for a in NAMES] for i in ids])


def report(label, scores, readers, rated, truth):
    by_attr = np.abs(scores[rated] - readers).mean(axis=0)
    print(f"{label}: MAE vs readers {by_attr.mean():.4f} (n {int(rated.sum())}), "
          f"vs truth {np.abs(scores - truth).mean():.4f} (n {len(truth)}); vs readers "
          + ", ".join(f"{a} {v:.3f}" for a, v in zip(NAMES, by_attr)))


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit("usage: attribute-bias.py CSV [CSV ...]  (lungtrust-cli evaluate --samples)")
    sets = [read_samples(p) for p in argv[1:]]
    ids = sorted(sets[0])
    for p, s in zip(argv[2:], sets[1:]):
        if sorted(s) != ids:
            sys.exit(f"attribute-bias: {p}: not the same samples as {argv[1]}")
    first = sets[0]
    rated = np.array([first[i]["readers_subtlety"] != "" for i in ids])
    if not rated.any():
        sys.exit(f"attribute-bias: {argv[1]}: no rated samples")
    readers = np.array([[float(first[i][f"readers_{a}"]) for a in NAMES]
                        for i, r in zip(ids, rated) if r])
    truth = columns(first, ids, "truth")
    scores = [columns(s, ids, "model") for s in sets]
    for p, sc in zip(argv[1:], scores):
        report(p, sc, readers, rated, truth)
    if len(scores) > 1:
        report(f"mean of the {len(scores)} models' scores", np.mean(scores, axis=0), readers,
               rated, truth)

    diameter = np.array([float(first[i]["nodule_mm"]) for i in ids])
    print(f"{argv[1]}: the scores against the truth by nodule diameter "
          "(correlation / slope / MAE vs truth)")
    for lo, hi in BANDS:
        band = (diameter >= lo) & (diameter < hi)
        if band.sum() < 5:
            continue
        cells = []
        for j, a in enumerate(NAMES[:5]):  # malignancy is not drawn into the image
            m, t = scores[0][band, j], truth[band, j]
            if t.std() == 0 or m.std() == 0:
                cells.append(f"{a} -")
                continue
            cells.append(f"{a} {np.corrcoef(m, t)[0, 1]:.2f}/{np.polyfit(t, m, 1)[0]:.2f}/"
                         f"{np.abs(m - t).mean():.2f}")
        print(f"  {lo:2d}-{hi:2d} mm ({int(band.sum()):3d}): " + ", ".join(cells))


if __name__ == "__main__":
    main(sys.argv)
