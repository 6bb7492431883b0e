#!/usr/bin/python3
"""tests/ct/test-cli-info.py — `lungtrust-cli info` end to end.

Usage: test-cli-info.py LUNGTRUST_CLI
On LIDC-IDRI-0001 (skipped, exit 77, when ../shared/data is absent): --json gives the series,
geometry, four readers and four nodules with the expected numbers; the text form names them.
Bad input (missing path, empty folder, a study whose LIDC XML is broken, an unknown series):
exit 1 with exactly one line on stderr and nothing on stdout. Usage errors: exit 2.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI = sys.argv[1]


def run(*args):
    p = subprocess.run([CLI, "info", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line_error(args, what, needle=None):
    rc, out, err = run(*args)
    lines = err.splitlines()
    check(rc == 1, f"{what}: exit 1 (got {rc})")
    check(len(lines) == 1 and lines[0].startswith("lungtrust-cli: "),
          f"{what}: one stderr line ({err!r})")
    check(out == "", f"{what}: nothing on stdout")
    if needle:
        check(needle in err, f"{what}: stderr names {needle!r}")


def main():
    shared = os.environ.get("LT_SHARED_DATA", "")
    study = os.path.join(shared, "lidc", "LIDC-IDRI-0001")
    if not shared or not os.path.isdir(study):
        print("skip: LIDC-IDRI-0001 not found under $LT_SHARED_DATA (../shared/data absent)")
        return 77

    rc, out, err = run(study, "--json")
    check(rc == 0, f"--json exit 0 ({err.strip()})")
    j = json.loads(out)
    check(len(j["series"]) == 1 and j["series"][0]["chosen"], "one series, chosen")
    check(j["series"][0]["slices"] == 133 and j["series"][0]["modality"] == "CT", "133 CT slices")
    g = j["geometry"]
    check(g["dims"] == [512, 512, 133], "dims 512 x 512 x 133")
    check(all(abs(a - b) < 1e-6 for a, b in zip(g["spacing_mm"], [0.703125, 0.703125, 2.5])),
          "spacing 0.703125 x 0.703125 x 2.5")
    check(abs(g["z_range_mm"][0] + 340) < 1e-3 and abs(g["z_range_mm"][1] + 10) < 1e-3,
          "z -340 .. -10")
    check(abs(g["slice_thickness_mm"] - 2.5) < 1e-9 and g["uneven_gaps"] == 0, "thickness 2.5, no gaps")
    r = j["readings"]
    check(len(r["readers"]) == 4 and r["rois_by_sop_uid"] == 41 and r["rois_unmatched"] == 0,
          "4 readers, 41 ROIs by SOP UID")
    check(len(r["xml_files"]) == 1 and r["xml_files"][0].endswith("069.xml"), "069.xml found")
    n = j["nodules"]
    check(len(n) == 4, "4 physical nodules")
    big = n[0]
    check(big["id"] == "1" and big["large"] and big["reader_count"] == 4, "nodule 1: 4 readers")
    mal = sorted(m["ratings"]["malignancy"] for m in big["readers"])
    check(mal == [4, 5, 5, 5], f"malignancy 5,5,5,4 ({mal})")
    c = big["centroid_mm"]
    check(abs(c[0] - 56.2) < 0.5 and abs(c[1] - 86.2) < 0.5 and abs(c[2] + 116) < 0.5,
          f"centroid near 56.2, 86.2, -116 mm ({c})")
    ds = [m["eq_diameter_mm"] for m in big["readers"]]
    check(min(ds) <= big["eq_diameter_mm"] <= max(ds),
          f"consensus diameter {big['eq_diameter_mm']:.2f} in readers' {min(ds):.2f}..{max(ds):.2f}")
    check(abs(big["mean_ratings"]["texture"] - 4.75) < 1e-9, "mean texture 4.75")
    check(big["rejected_by"] == ["texture"] and not big["selected"], "rejected by texture only")
    small = n[1:]
    check(all(not s["large"] and s["reader_count"] == 3 and s["eq_diameter_mm"] is None
              and s["readers"][0]["ratings"] is None for s in small),
          "three small nodules, 3 readers each, no ratings")
    check(len(j["non_nodules"]) == 13, "13 non-nodules placed")

    rc, out, err = run(study)
    check(rc == 0 and "nodules: 4" in out and "malignancy 4.75" in out, "text form")

    rc, out, err = run("--help")
    check(rc == 0 and out.startswith("Usage: lungtrust-cli info"), "--help")
    rc, out, err = run("--engine", "--json")
    check(rc == 0 and json.loads(out).get("backend") in ("cpu", "cuda"), "--engine --json names the backend")
    for args in (["--bogus", study], [], [study, study], ["--engine", "--bogus"], [study, "--series"]):
        rc, out, err = run(*args)
        check(rc == 2, f"usage error {args}: exit 2 (got {rc})")

    one_line_error(["/nonexistent/study"], "missing path")
    one_line_error([study, "--series", "1.2.3"], "unknown series", "1.2.3")
    with tempfile.TemporaryDirectory() as tmp:
        one_line_error([tmp], "empty folder")
        # the real series beside a broken LIDC XML file
        series_dir = os.path.dirname(r["xml_files"][0])
        for f in os.listdir(series_dir):
            if f.endswith(".dcm"):
                os.symlink(os.path.join(series_dir, f), os.path.join(tmp, f))
        src = os.path.join(os.environ.get("LT_SOURCE_ROOT", "."), "tests", "ct", "lidc-xml",
                           "missing-ycoord.xml")
        with open(src) as fi, open(os.path.join(tmp, "reading.xml"), "w") as fo:
            fo.write(fi.read())
        one_line_error([tmp], "broken LIDC XML beside the series", "reading.xml")

    return exit_status()


sys.exit(main())
