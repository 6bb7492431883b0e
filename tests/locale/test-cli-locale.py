#!/usr/bin/python3
"""tests/locale/test-cli-locale.py — lungtrust-cli prints and reads the same numbers under a
comma locale (fr_FR.UTF-8) as under C (issue 29, item 3).

Usage: test-cli-locale.py LUNGTRUST_CLI SETLOCALE_PRELOAD

The same commands run twice, each run in its own folder with the same relative paths: once
under LC_ALL=C, once under LC_ALL=fr_FR.UTF-8 (generated here with localedef into a LOCPATH of
our own) with SETLOCALE_PRELOAD, which takes the process locale from that environment before
main, as the workstation does (the CLI itself never asks for it). Then: info --json of the demo
study (its 4 nodules from the readers' XML), import-ratings and import into a database,
retrieve --json with fractional scores, synth of 2 cases, dataset --synth, patch --json and
analyze --json of the demo's nodule 1 must print the same JSON (timings left out), the files
written (manifests, readings.xml, DICOM slices, NIfTI patches) must be byte-identical, and the
JSON and XML must parse with '.' numbers. Skips, saying why, without ../shared, the demo or the
locale.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
PRELOAD = os.path.abspath(sys.argv[2])
SRC = os.environ.get("LT_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("LT_SHARED_DATA", "")
STUDY = os.path.join(SRC, "resources", "demo")
RATINGS = os.path.join(SHARED, "lidc-ratings")


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


if not os.path.isdir(os.path.join(SHARED, "lidc", "LIDC-IDRI-0001")) or not os.path.isdir(RATINGS):
    skip("../shared/data (LIDC-IDRI-0001 and lidc-ratings, for synth and import-ratings) is absent")
if not os.path.isdir(STUDY):
    skip("no demo study in resources/demo")

tmp = tempfile.mkdtemp(prefix="lt-locale-")
try:
    locpath = os.path.join(tmp, "locales")
    os.mkdir(locpath)
    p = subprocess.run(["localedef", "-i", "fr_FR", "-f", "UTF-8",
                        os.path.join(locpath, "fr_FR.UTF-8")], capture_output=True, text=True)
    probe = subprocess.run(["/usr/bin/printf", "%.1f", "1.5"], capture_output=True, text=True,
                           env=dict(os.environ, LOCPATH=locpath, LC_ALL="fr_FR.UTF-8"))
    if probe.stdout != "1,5":
        skip("cannot generate fr_FR.UTF-8 (localedef status %d: %s); the `locales` package "
             "brings /usr/share/i18n" % (p.returncode, (p.stderr or "").strip()[:200]))

    # Under AddressSanitizer its runtime must come first in the preload list.
    preload = PRELOAD
    ldd = subprocess.run(["ldd", CLI], capture_output=True, text=True).stdout
    m = re.search(r"(\S*libasan\.so\S*) => (\S+)", ldd)
    if m:
        preload = m.group(2) + ":" + PRELOAD

    base = dict(os.environ, LT_SHARED_DATA=SHARED, OMP_NUM_THREADS="1")
    for k in ("LANG", "LANGUAGE", "LC_ALL", "LC_NUMERIC"):
        base.pop(k, None)
    envs = {
        "C": dict(base, LC_ALL="C"),
        "fr": dict(base, LC_ALL="fr_FR.UTF-8", LOCPATH=locpath, LD_PRELOAD=preload),
    }

    commands = [
        ("info", ["info", STUDY, "--json"]),
        ("import-ratings", ["import-ratings", RATINGS, "--db", "lt.db", "--json"]),
        ("import", ["import", STUDY, "--db", "lt.db", "--json"]),
        ("retrieve", ["retrieve", "--attrs", "3.5,4,3.25,2.5,2,4.75", "-k", "5",
                      "--weights", "1.5,1,1,1,1,0.5", "--min-diameter", "3.5",
                      "--db", "lt.db", "--json"]),
        ("synth", ["synth", "--out", "synth", "--count", "2", "--seed", "7",
                   "--slab-mm", "40.5", "--json"]),
        ("dataset", ["dataset", "--synth", "synth", "--out", "ds"]),
        ("patch", ["patch", STUDY, "--nodule", "1", "--out", "patch", "--json"]),
        ("analyze", ["analyze", STUDY, "--nodule", "1", "--json"]),
    ]
    out = {}
    for name, env in envs.items():
        d = os.path.join(tmp, name)
        os.mkdir(d)
        for what, args in commands:
            r = subprocess.run([CLI, *args], cwd=d, env=env, capture_output=True, text=True,
                               timeout=600)
            first = r.stderr.strip().splitlines()[:1]
            check(r.returncode == 0, f"{what} under {name}: exit 0 (got {r.returncode}: {first})")
            out[(name, what)] = r.stdout

    TIMING = re.compile(r"(^|_)(s|ms|seconds|wall|time|elapsed)$")

    def without_timings(v):
        if isinstance(v, dict):
            return {k: without_timings(x) for k, x in v.items() if not TIMING.search(k)}
        if isinstance(v, list):
            return [without_timings(x) for x in v]
        return v

    for what, args in commands:
        c, f = out[("C", what)], out[("fr", what)]
        if "--json" not in args:
            check(f == c, f"{what}: the same output under fr_FR.UTF-8 as under C")
            continue
        try:
            jc, jf = json.loads(c), json.loads(f)
        except ValueError as e:
            check(False, f"{what}: JSON on stdout under both locales ({e}; fr: {f[:120]!r})")
            continue
        check(without_timings(jf) == without_timings(jc),
              f"{what} --json: the same numbers under fr_FR.UTF-8 as under C")

    info = json.loads(out[("fr", "info")] or "{}")
    nod = info.get("nodules", [])
    check(len(nod) == 4, f"info under fr_FR: the demo's 4 nodules from its readers' XML (got {len(nod)})")
    ir = json.loads(out[("fr", "import-ratings")] or "{}")
    check(ir.get("nodules_with_attributes", 0) > 2500,
          f"import-ratings under fr_FR: the LIDC tables' nodules ({ir.get('nodules_with_attributes')})")
    rt = json.loads(out[("fr", "retrieve")] or "{}")
    check(len(rt.get("hits", [])) == 5 and rt.get("query") == [3.5, 4, 3.25, 2.5, 2, 4.75],
          "retrieve under fr_FR: 5 similar nodules for the query 3.5,4,3.25,2.5,2,4.75")

    # The files: byte-identical, and what is text parses with '.' numbers.
    files = []
    for root, _, names in os.walk(os.path.join(tmp, "C")):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), os.path.join(tmp, "C"))
            if not rel.startswith("lt.db"):
                files.append(rel)
    check(any(f.endswith(".dcm") for f in files) and "synth/manifest.json" in files
          and "ds/manifest.json" in files and "patch/patch.nii.gz" in files,
          f"the runs wrote DICOM, manifests and NIfTI ({len(files)} files)")
    differ = []
    for rel in sorted(files):
        a = os.path.join(tmp, "C", rel)
        b = os.path.join(tmp, "fr", rel)
        if not os.path.exists(b) or open(a, "rb").read() != open(b, "rb").read():
            differ.append(rel)
    check(not differ, f"every file written under fr_FR equals its C twin (differ: {differ[:5]})")
    comma = re.compile(r"\d,\d")
    for rel in sorted(files):
        path = os.path.join(tmp, "fr", rel)
        if not os.path.exists(path):
            continue  # reported above
        if rel.endswith(".json"):
            try:
                json.load(open(path))
                ok = True
            except ValueError:
                ok = False
            check(ok, f"{rel} (fr_FR) parses as JSON")
        elif rel.endswith(".xml"):
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as e:
                check(False, f"{rel} (fr_FR) parses as XML ({e})")
                continue
            nums = [e.text for e in root.iter() if e.tag.split("}")[-1] in
                    ("imageZposition", "xCoord", "yCoord")]
            bad = [t for t in nums if t is None or comma.search(t)]
            try:
                [float(t) for t in nums]
            except (TypeError, ValueError):
                bad.append("unparsable")
            check(nums and not bad, f"{rel} (fr_FR): {len(nums)} coordinates with '.' ({bad[:3]})")
    # a synthetic case written under fr_FR reads back with its nodules
    synth = os.path.join(tmp, "fr", "synth")
    cases = sorted(d for d in os.listdir(synth) if d.startswith("case-")) if os.path.isdir(synth) else []
    case, n = cases[0] if cases else "case-0001", 0
    if cases:
        r = subprocess.run([CLI, "info", os.path.join(synth, case), "--json"],
                           capture_output=True, text=True, env=envs["C"])
        n = len(json.loads(r.stdout or "{}").get("nodules", [])) if r.returncode == 0 else 0
    check(n >= 1, f"synth/{case} written under fr_FR reads back with its nodules ({n})")
finally:
    if os.environ.get("LT_TEST_KEEP_TMP") != "1":
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept " + tmp)

sys.exit(exit_status())
