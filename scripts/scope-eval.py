#!/usr/bin/env python3
"""scripts/scope-eval.py CLI SET_DIR... : the scope decision on synthetic sets of known truth.

Each nodule of each set (a `synth` output folder; its manifest.json holds the truth) is analysed
with `lungtrust-cli analyze CASE --at-mm CENTRE --no-readings --json`: the readings are withheld,
so the CT alone decides. Prints, per set, how many nodules came out of scope or with caution,
and how many were flagged with the reason their kind calls for (ground-glass and part-solid:
not_solid; calcified: calcified; oversize: oversize); for a solid set, the share out of scope
(every reason), juxtapleural ones apart. --json FILE writes every nodule's outcome."""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

RIGHT = {"ground-glass": "not_solid", "part-solid": "not_solid", "calcified": "calcified",
         "oversize": "oversize"}


def analyse(cli, case_dir, centre):
    at = ",".join("%.4f" % c for c in centre)
    p = subprocess.run([cli, "analyze", case_dir, "--at-mm", at, "--no-readings", "--json"],
                       capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if p.returncode != 0:
        return {"error": p.stderr.strip()}
    d = json.loads(p.stdout)
    return {"level": d["scope"]["level"], "codes": [r["code"] for r in d["scope"]["reasons"]],
            "measures": d["scope"]["measures"], "probability": d["probability"]}


def main():
    args = sys.argv[1:]
    out_json = None
    if "--json" in args:
        i = args.index("--json")
        out_json = args[i + 1]
        del args[i:i + 2]
    cli, sets = args[0], args[1:]
    rows = []
    for s in sets:
        m = json.load(open(os.path.join(s, "manifest.json")))
        jobs = []
        for c in m["cases"]:
            for smp in c["samples"]:
                t = smp.get("truth") or {}
                jobs.append((s, os.path.join(s, c["dir"]), smp["id"], t.get("kind", "solid"),
                             bool(t.get("juxtapleural")), t.get("centre_mm", smp["centre_mm"]), t))
        with ThreadPoolExecutor(max_workers=2) as ex:
            res = list(ex.map(lambda j: analyse(cli, j[1], j[5]), jobs))
        for j, r in zip(jobs, res):
            rows.append({"set": os.path.basename(os.path.normpath(j[0])), "id": j[2], "kind": j[3],
                         "juxtapleural": j[4], "truth_diameter_mm": j[6].get("diameter_mm"),
                         "truth_extent_mm": j[6].get("mask_extent_mm"), **r})
    for s in sorted({r["set"] for r in rows}):
        rs = [r for r in rows if r["set"] == s]
        errs = [r for r in rs if "error" in r]
        ok = [r for r in rs if "error" not in r]
        kind = ok[0]["kind"] if ok else "?"
        out = sum(r["level"] == "out_of_scope" for r in ok)
        line = "%-14s %s: %d nodules (%d failed to analyse): out of scope %d (%.1f%%)" % (
            s, kind, len(rs), len(errs), out, 100.0 * out / max(1, len(ok)))
        if kind in RIGHT:
            right = sum(RIGHT[kind] in r["codes"] for r in ok)
            line += "; flagged %s %d (%.1f%%)" % (RIGHT[kind], right, 100.0 * right / max(1, len(ok)))
        else:
            jx = [r for r in ok if r["juxtapleural"]]
            line += "; juxtapleural %d of %d out" % (sum(r["level"] == "out_of_scope" for r in jx), len(jx))
            reasons = {}
            for r in ok:
                if r["level"] == "out_of_scope":
                    for c in r["codes"]:
                        reasons[c] = reasons.get(c, 0) + 1
            line += "; reasons %s" % reasons
        print(line)
        for r in errs[:3]:
            print("   failed: %s: %s" % (r["id"], r["error"]))
    if out_json:
        json.dump(rows, open(out_json, "w"), indent=1)


if __name__ == "__main__":
    main()
