#!/usr/bin/python3
"""tests/ct/dicom-refragment.py IN OUT SIZE [bot|nobot] — writes OUT: IN's encapsulated pixel data
with each frame split into fragments of at most SIZE bytes (even, so a split may fall anywhere in
a JPEG 2000 codestream or an RLE segment), with or without a basic offset table. Used by
test-dicom-encodings.c where DCMTK has no encoder (JPEG 2000) or only splits at whole kilobytes."""
import math
import sys
import warnings

import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame

warnings.simplefilter("ignore")

src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
bot = len(sys.argv) < 5 or sys.argv[4] == "bot"
ds = pydicom.dcmread(src)
nf = int(getattr(ds, "NumberOfFrames", 1) or 1)
frames = list(generate_pixel_data_frame(ds.PixelData, nf))
# pydicom splits a frame into n fragments of equal size (the last shorter), each padded to even
n = max(math.ceil(len(f) / size) for f in frames)
ds.PixelData = encapsulate(frames, fragments_per_frame=n, has_bot=bot)
ds.save_as(dst)
