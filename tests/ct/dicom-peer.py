#!/usr/bin/python3
"""tests/ct/dicom-peer.py OUTDIR FILE... — the peer decoder for test-dicom.c.
Decodes each FILE with pydicom (Pillow for JPEG 2000) and writes OUTDIR/<index>.bin: a header line
"rows cols frames samples\n" then the stored values as little-endian int32, frame, row, column,
sample order. A file pydicom cannot decode gets no .bin (the C test then reports it)."""
import sys
import warnings

import numpy as np
import pydicom

warnings.simplefilter("ignore")

out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    if path == "/dev/null":  # a placeholder keeping the indices of the C table
        continue
    try:
        ds = pydicom.dcmread(path)
        a = ds.pixel_array
    except Exception as e:  # the C side reports a missing peer as such
        print(f"peer: {path}: {e}", file=sys.stderr)
        continue
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(ds.SamplesPerPixel)
    a = np.asarray(a).astype("<i4").reshape(frames, ds.Rows, ds.Columns, samples)
    with open(f"{out}/{i}.bin", "wb") as f:
        f.write(f"{ds.Rows} {ds.Columns} {frames} {samples}\n".encode())
        f.write(a.tobytes())
