#!/usr/bin/python3
"""tests/ct/test-cli-missing-slice.py — issue 29: a slice missing or damaged in the middle of a
study is said plainly and changes no position, in `lungtrust-cli info`, `patch` and `import`.

Usage: test-cli-missing-slice.py LUNGTRUST_CLI
On copies of LIDC-IDRI-0001 (symbolic links, with 069.xml) with slice 66 (z -175 mm, below
nodule 1) deleted, or cut to half its bytes: each command exits 0, prints one `warning: ` line on
stderr that names the filled slice (and the damaged file), and gives nodule 1 the centroid of
the complete study (info --json, patch --json centre_mm, and the z_mm / slice that import stores
in the database), within 0.25 mm. On the complete study: no warning. Skipped (exit 77) when
../shared/data is absent. Before the fix the hole was closed up: no warning, and nodule 1 one
slice (2.5 mm) off.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI = sys.argv[1]


def run(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def warnings_of(err):
    return [ln for ln in err.splitlines() if ln.startswith("warning: ")]


def near(a, b, tol=0.25):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def centroids(study, tmp, tag):
    """nodule 1's centroid by info, patch and import; and each command's stderr."""
    rc, out, err = run("info", study, "--json")
    check(rc == 0, f"{tag}: info exit 0 ({err.strip()})")
    j = json.loads(out)
    n1 = j["nodules"][0]
    check(n1["id"] == "1" and n1["large"], f"{tag}: nodule 1 is the large one")
    res = {"info": (n1["centroid_mm"], err, j["geometry"])}
    rc, out, perr = run("patch", study, "--nodule", "1", "--out", os.path.join(tmp, "p-" + tag),
                        "--json")
    check(rc == 0, f"{tag}: patch exit 0 ({perr.strip()})")
    res["patch"] = (json.loads(out)["centre_mm"], perr, None)
    db = os.path.join(tmp, tag + ".db")
    rc, out, ierr = run("import", study, "--db", db)
    check(rc == 0, f"{tag}: import exit 0 ({ierr.strip()})")
    con = sqlite3.connect(db)
    row = con.execute("SELECT x_mm, y_mm, z_mm, slice FROM nodules WHERE source = 'lidc-xml' "
                      "AND source_key LIKE '%/1'").fetchone()
    con.close()
    check(row is not None, f"{tag}: import stored nodule 1")
    res["import"] = (list(row[:3]) if row else [0, 0, 0], ierr, row[3] if row else None)
    return res


def main():
    shared = os.environ.get("LT_SHARED_DATA", "")
    top = os.path.join(shared, "lidc", "LIDC-IDRI-0001")
    if not shared or not os.path.isdir(top):
        print("skip: LIDC-IDRI-0001 not found under $LT_SHARED_DATA (../shared/data absent)")
        return 77
    series_dir = None
    for root, _dirs, files in os.walk(top):
        if "069.xml" in files:
            series_dir = root
    check(series_dir is not None, "LIDC-IDRI-0001 series folder with 069.xml")
    names = sorted(f for f in os.listdir(series_dir) if f.endswith(".dcm") or f.endswith(".xml"))

    with tempfile.TemporaryDirectory() as tmp:
        ref = centroids(series_dir, tmp, "complete")
        for what, (c, err, extra) in ref.items():
            check(warnings_of(err) == [], f"complete study: no warning from {what} ({err.strip()!r})")
        ref_c = ref["info"][0]
        ref_slice = ref["import"][2]
        print(f"complete study: nodule 1 at {ref_c}, slice {ref_slice}")
        # slice 66: z -175 mm; find its file by position (instance numbers are not in z order)
        slice66 = None
        for f in names:
            if not f.endswith(".dcm"):
                continue
            rc, out, err = run("info", os.path.join(series_dir, f), "--json")
            if rc == 0 and abs(json.loads(out)["geometry"]["z_range_mm"][0] + 175) < 1e-3:
                slice66 = f
                break
        check(slice66 is not None, "the file at z -175 mm")

        for mode in ("deleted", "truncated"):
            d = os.path.join(tmp, mode)
            os.mkdir(d)
            for f in names:
                if f != slice66:
                    os.symlink(os.path.join(series_dir, f), os.path.join(d, f))
            if mode == "truncated":
                with open(os.path.join(series_dir, slice66), "rb") as fi:
                    data = fi.read()
                with open(os.path.join(d, slice66), "wb") as fo:
                    fo.write(data[: len(data) // 2])
            res = centroids(d, tmp, mode)
            g = res["info"][2]
            check(g["dims"] == [512, 512, 133] and g.get("filled_slices") == 1,
                  f"{mode}: 133 slices, 1 filled ({g['dims']}, {g.get('filled_slices')})")
            check(abs(g["z_range_mm"][0] + 340) < 1e-3 and abs(g["spacing_mm"][2] - 2.5) < 1e-6,
                  f"{mode}: z from -340 mm every 2.5 mm")
            for what, (c, err, extra) in res.items():
                w = warnings_of(err)
                print(f"{mode}, {what}: nodule 1 at {c}; {w}")
                check(len(w) == 1 and "1 slice missing from the series (at -175 mm" in w[0],
                      f"{mode}: {what} warns of the filled slice ({err.strip()!r})")
                if mode == "truncated":
                    check(len(w) == 1 and "damaged DICOM file skipped" in w[0] and slice66 in w[0],
                          f"{mode}: {what} names the damaged file")
                check(near(c, ref_c), f"{mode}: {what} puts nodule 1 at {c}, complete study {ref_c}")
            check(res["import"][2] is not None and abs(res["import"][2] - ref_slice) < 0.1,
                  f"{mode}: import stores nodule 1 on slice {res['import'][2]} ({ref_slice})")
    return exit_status()


sys.exit(main())
