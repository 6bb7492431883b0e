#!/usr/bin/python3
"""tests/cli/test-cli-full-disk.py — `patch --out` and `analyze --out` on a full disk (issue 29
item 10): exit 1, one line on stderr, and no partial file: every output file present is whole
(a .nii.gz decompresses through its gzip check to the size its header gives, a PNG decodes to
its end) and nothing is left under a temporary name. The disk is a small tmpfs, sized so that
the disk fills in the first NIfTI, in a later NIfTI and in the PNG.

Usage: test-cli-full-disk.py LUNGTRUST_CLI SOURCE_ROOT
Needs mount(2) (root in this container); skips (77) where a tmpfs cannot be mounted, and when
the demo study or the default model is absent.
"""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lt_check import check, exit_status  # noqa: E402

CLI, SRC = sys.argv[1], sys.argv[2]
STUDY = os.path.join(SRC, "resources", "demo", "LIDC-IDRI-0001")
MODEL = os.path.join(SRC, "resources", "models", "lungtrust-default-w16.safetensors")
if not os.path.isdir(STUDY) or not os.path.isfile(MODEL):
    print("skip: the demo study or the default model is absent")
    sys.exit(77)


def whole_nifti(path):
    """True when path decompresses fully (gzip CRC and length checked) to 352 + its data."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error):
        return False
    if len(raw) < 352:
        return False
    dim = struct.unpack("<8h", raw[40:56])
    bitpix = struct.unpack("<h", raw[72:74])[0]
    n = 1
    for d in dim[1:dim[0] + 1]:
        n *= d
    return len(raw) == 352 + n * bitpix // 8


def whole_png(path):
    """True when path is a PNG whose chunks all check (CRC) up to IEND, its image data inflating."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    at, idat = 8, b""
    while at + 12 <= len(b):
        (n,) = struct.unpack(">I", b[at:at + 4])
        kind, data = b[at + 4:at + 8], b[at + 8:at + 8 + n]
        if len(data) != n or struct.unpack(">I", b[at + 8 + n:at + 12 + n])[0] != zlib.crc32(kind + data):
            return False
        if kind == b"IDAT":
            idat += data
        if kind == b"IEND":
            try:
                zlib.decompress(idat)
            except zlib.error:
                return False
            return at + 12 + n == len(b)
        at += 12 + n
    return False


def run_on_disk(size_k, args, what):
    """Runs lungtrust-cli ARGS with --out on a tmpfs of size_k KiB; returns (rc, stderr lines)."""
    mnt = tempfile.mkdtemp(prefix="lt-full-disk-")
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_k}k", "tmpfs", mnt],
                       capture_output=True, text=True)
    if m.returncode != 0:
        os.rmdir(mnt)
        print(f"skip: cannot mount a tmpfs ({m.stderr.strip()})")
        sys.exit(77)
    try:
        out = os.path.join(mnt, "o")
        p = subprocess.run([CLI, *args, "--out", out], capture_output=True, text=True, timeout=300)
        lines = p.stderr.splitlines()
        names = sorted(os.listdir(out)) if os.path.isdir(out) else []
        tag = f"{what} on {size_k} KiB"
        check(p.returncode in (0, 1), f"{tag}: exit 0 or 1 (got {p.returncode}: {lines[:3]})")
        if p.returncode == 1:
            check(len(lines) == 1, f"{tag}: one line on stderr (got {lines})")
            check(lines and "No space left on device" in lines[0],
                  f"{tag}: the line says the disk is full ({lines[:1]})")
        check(not [n for n in names if ".tmp" in n], f"{tag}: no temporary file left ({names})")
        for n in names:
            full = os.path.join(out, n)
            if n.endswith(".nii.gz"):
                check(whole_nifti(full), f"{tag}: {n} is whole")
            elif n.endswith(".png"):
                check(whole_png(full), f"{tag}: {n} is whole")
        return p.returncode, lines, names
    finally:
        subprocess.run(["umount", mnt], check=False)
        os.rmdir(mnt)


# patch writes patch.nii.gz (about 1.1 MB), mask.nii.gz (9 KB), patch.png (19 KB); tmpfs counts
# 4 KiB pages. Failing in each of them, and all of them fitting:
failed_in = set()
for size_k in (64, 1108, 1124, 4096):
    rc, lines, names = run_on_disk(size_k, ["patch", STUDY, "--nodule", "1"], "patch")
    if rc == 1 and lines:
        failed_in.add("png" if ".png" in lines[0] else "mask" if "mask.nii" in lines[0]
                      else "patch" if "patch.nii" in lines[0] else "?")
    if size_k == 4096:
        check(rc == 0 and names == ["mask.nii.gz", "patch.nii.gz", "patch.png"],
              f"patch on 4 MiB: all three files ({rc}, {names})")
check(failed_in >= {"patch", "mask", "png"},
      f"patch: the disk filled in each writer's file (seen: {sorted(failed_in)})")

# analyze writes seg.nii.gz (150 KB), cam.nii.gz (700 KB), analysis.png (52 KB): failing in the
# first NIfTI, and in the PNG after both NIfTI files fit.
a = ["analyze", STUDY, "--nodule", "1", "--model", MODEL]
rc, lines, names = run_on_disk(64, a, "analyze")
check(rc == 1 and lines and "seg.nii.gz" in lines[0], f"analyze on 64 KiB: seg.nii.gz refused ({lines})")
check(names == [], f"analyze on 64 KiB: no output file ({names})")
rc, lines, names = run_on_disk(870, a, "analyze")
check(rc == 1 and lines and "analysis.png" in lines[0],
      f"analyze on 870 KiB: analysis.png refused ({lines})")
check("analysis.png" not in names, f"analyze on 870 KiB: no analysis.png ({names})")

sys.exit(exit_status())
