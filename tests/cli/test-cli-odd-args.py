#!/usr/bin/python3
"""tests/cli/test-cli-odd-args.py — odd arguments (issue 29 item 11).

Usage: test-cli-odd-args.py LUNGTRUST_CLI SOURCE_ROOT
- An out-of-range number option is a usage error: exit 2, one line on stderr naming the option
  and its valid range, nothing on stdout (train, ablation, evaluate, synth, retrieve).
- retrieve refuses scores outside 1-5 (1e308 made every distance inf), weights outside 0-100 or
  all 0, and a minimum diameter above the maximum, each with its range.
- --json output parses (json.loads) when a path holds bytes that are not UTF-8: they come out
  as U+FFFD (patch --json on the demo study, its --out folder named with such bytes).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI, SRC = sys.argv[1], sys.argv[2]


def usage_error(args, option, range_text):
    p = subprocess.run([CLI, *args], capture_output=True, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    lines = err.splitlines()
    what = " ".join(args)
    check(p.returncode == 2, f"{what}: exit 2 (got {p.returncode}: {lines[:2]})")
    check(len(lines) == 1, f"{what}: one line on stderr (got {lines})")
    check(bool(lines) and option in lines[0] and range_text in lines[0],
          f"{what}: the line names {option} and '{range_text}' ({lines[:1]})")
    check(p.stdout == b"", f"{what}: nothing on stdout")


X = "/nonexistent/x"
for bad in ["1", "11", "0", "-3"]:
    usage_error(["train", "DATA", "--out", X, "--folds", bad], "--folds", "from 2 to 10")
    usage_error(["ablation", "--out", X, "--data", "D", "--folds", bad], "--folds", "from 2 to 10")
for bad in ["0", "100001", "x"]:
    usage_error(["train", "DATA", "--out", X, "--epochs", bad], "--epochs", "from 1 to 100000")
usage_error(["ablation", "--out", X, "--data", "D", "--epochs", "0"], "--epochs", "from 1 to 10000")
usage_error(["train", "DATA", "--out", X, "--batch", "4097"], "--batch", "from 1 to 4096")
usage_error(["ablation", "--out", X, "--data", "D", "--batch", "0"], "--batch", "from 1 to 4096")
usage_error(["train", "DATA", "--out", X, "--patience", "0"], "--patience", "from 1 to 100000")
usage_error(["train", "DATA", "--out", X, "--fold", "11"], "--fold", "from 1 to 10")
usage_error(["train", "DATA", "--out", X, "--width", "257"], "--width", "from 1 to 256")
usage_error(["train", "DATA", "--out", X, "--val-frac", "0.6"], "--val-frac", "from 0.01 to 0.5")
usage_error(["train", "DATA", "--out", X, "--seed", "-1"], "--seed", "from 0 to")
usage_error(["ablation", "--out", X, "--data", "D", "--hidden", "0"], "--hidden", "from 1 to 4096")
usage_error(["train", "DATA", "--out", X, "--epochs"], "--epochs", "from 1 to 100000")  # no value
usage_error(["evaluate", "DATA", "--model", "M", "--boot", "0"], "--boot", "from 1 to 100000")
usage_error(["synth", "--out", X, "--count", "10000"], "--count", "from 1 to 9999")
usage_error(["retrieve", "--attrs", "1,2,3,4,5,5", "-k", "0"], "-k", "from 1 to 100000")

for attrs in ["1e308,1,1,1,1,1", "0,3,3,3,3,3", "3,3,3,3,3,6", "-1,3,3,3,3,3"]:
    usage_error(["retrieve", "--attrs", attrs], "--attrs", "from 1 to 5")
for w in ["0,0,0,0,0,0", "1,1,1,1,1,101", "-1,1,1,1,1,1", "1e308,1,1,1,1,1"]:
    usage_error(["retrieve", "--attrs", "3,3,3,3,3,3", "--weights", w], "--weights",
                "from 0 to 100, not all 0")
usage_error(["retrieve", "--attrs", "3,3,3,3,3,3", "--min-diameter", "20", "--max-diameter", "10"],
            "--min-diameter", "min <= max")
usage_error(["retrieve", "--attrs", "3,3,3,3,3,3", "--max-diameter", "1e308"], "--max-diameter",
            "from 0 to 1000")

# --json with a path that is not UTF-8: the demo study's patch written to a folder so named.
study = os.path.join(SRC, "resources", "demo", "LIDC-IDRI-0001")
if os.path.isdir(study):
    tmp = tempfile.mkdtemp(prefix="lt-odd-args-")
    try:
        out = os.path.join(os.fsencode(tmp), b"bad-\xff\xfe-\xc3(-\"q\\-\x01")
        p = subprocess.run([os.fsencode(CLI), b"patch", os.fsencode(study), b"--nodule", b"1",
                            b"--out", out, b"--json"], capture_output=True, timeout=300)
        check(p.returncode == 0, f"patch --json to a non-UTF-8 folder: exit 0 ({p.stderr[:200]!r})")
        try:
            doc = json.loads(p.stdout.decode("utf-8"))
            ok = "\ufffd" in doc["patch"] and doc["patch"].endswith('"q\\-\x01/patch.nii.gz')
        except (ValueError, KeyError, TypeError) as e:
            ok = False
            print(f"not JSON: {e}: {p.stdout[:300]!r}")
        check(ok, "patch --json: the output parses; invalid bytes are U+FFFD, the rest kept")
    finally:
        shutil.rmtree(tmp)
else:
    print("skip: the demo study is absent: the --json check did not run")

sys.exit(exit_status())
