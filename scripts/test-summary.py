#!/usr/bin/env python3
"""Reads meson's testlog.json and prints one line per skip reason and the closing
'N passed, N failed, N skipped' line that CI reads."""
import json
import sys

passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            res = r.get("result", "")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
                why = (r.get("stdout") or "").strip().splitlines()
                print(f"skipped {r.get('name')}: {why[-1] if why else ''}")
            else:
                failed += 1
                print(f"failed {r.get('name')}: {res}")
except OSError as e:
    print(f"no test log: {e}")
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
