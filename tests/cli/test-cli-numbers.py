#!/usr/bin/python3
"""tests/cli/test-cli-numbers.py — every lungtrust-cli command reads its number options by the
same rules (app/cli-common.c: lt_cli_parse_int, _long, _double, _seed).

Usage: test-cli-numbers.py LUNGTRUST_CLI
Each bad value (a sign on a seed, which strtoull would wrap to 2^64 - 1; a leading space or '+'
on any number; trailing letters; an empty string; a value out of range; nan and inf) is a usage
error: exit 2, the option named on
the first stderr line, nothing on stdout. No data is needed: options are read before any file.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI = sys.argv[1]


def usage_error(cmd, *args, option):
    p = subprocess.run([CLI, cmd, *args], capture_output=True, text=True, timeout=60)
    what = f"{cmd} {' '.join(args)}"
    first = p.stderr.splitlines()[0] if p.stderr else ""
    check(p.returncode == 2, f"{what}: exit 2 (got {p.returncode}: {first!r})")
    check(option in first, f"{what}: the error names {option}")
    check(p.stdout == "", f"{what}: nothing on stdout")


for bad in ["-1", " 1", "+1", "1x", "", "18446744073709551616"]:
    usage_error("train", "DATA", "--out", "/nonexistent/x", "--seed", bad, option="--seed")
    usage_error("ablation", "--out", "/nonexistent/x", "--seed", bad, option="--seed")
    usage_error("evaluate", "DATA", "--model", "M", "--seed", bad, option="--seed")
    usage_error("synth", "--out", "/nonexistent/x", "--seed", bad, option="--seed")
for bad in ["0", "-2", "nan", "inf", "1e7", "5m", "", " 5", "+5"]:
    usage_error("train", "DATA", "--out", "/nonexistent/x", "--max-minutes", bad,
                option="--max-minutes")
    usage_error("ablation", "--out", "/nonexistent/x", "--max-minutes", bad,
                option="--max-minutes")
for bad in ["0.6", "0.001", "nan", "0.1x"]:
    usage_error("train", "DATA", "--out", "/nonexistent/x", "--val-frac", bad, option="--val-frac")
for bad in ["-1", "101", "nan", "2x", ""]:
    usage_error("train", "DATA", "--out", "/nonexistent/x", "--attr-weight", bad,
                option="--attr-weight")
for bad in ["0", "257", "16.5", "x", "+16"]:
    usage_error("train", "DATA", "--out", "/nonexistent/x", "--width", bad, option="--width")
for bad in ["0", "100001", "1.5", "x", " 10", "+10"]:
    usage_error("evaluate", "DATA", "--model", "M", "--boot", bad, option="--boot")
for bad in ["1.5", "nan", "-0.1", ""]:
    usage_error("synth", "--out", "/nonexistent/x", "--sure-fraction", bad,
                option="--sure-fraction")
for bad in ["31", "inf", "100mm"]:
    usage_error("synth", "--out", "/nonexistent/x", "--slab-mm", bad, option="--slab-mm")
for bad in ["0", "10000", "-1"]:
    usage_error("synth", "--out", "/nonexistent/x", "--count", bad, option="--count")
for bad in ["0", "-3", "7x", ""]:
    usage_error("retrieve", "--attrs", "1,2,3,4,5,5", "-k", bad, option="-k")
    usage_error("retrieve", "--nodule", bad, option="--nodule")
for bad in ["nan", "inf", "3mm", ""]:
    usage_error("retrieve", "--attrs", "1,2,3,4,5,5", "--min-diameter", bad,
                option="--min-diameter")
for bad in ["0", "1001", "2x"]:
    usage_error("bench", "--runs", bad, "retrieve", option="--runs")

sys.exit(exit_status())
