#!/bin/sh
# tests/fuzz/run-fuzz-dicom.sh BUILD_DIR [SECONDS] — runs the DICOM fuzz target (seeds also: the
# "LTFR" files in tests/fuzz/dicom-seeds).
# BUILD_DIR: a -Dfuzz=true clang build with the engine instrumented (see tests/fuzz/fuzz-dicom.c:
# -Db_sanitize=address -Dc_args=-fsanitize=fuzzer-no-link -Dcpp_args=-fsanitize=fuzzer-no-link).
# Seeds, made here at run time (nothing binary is committed): the image files of
# ../shared/data/dicom and one LIDC slice; small CT files (pydicom's CT_small, the two frames of
# CT0012) re-encoded by DCMTK with 1 KiB fragments in RLE (with and without offset table), JPEG
# lossless and JPEG-LS, so frames span many fragments; and "LTFR" inputs (fuzz-dicom.c's wrapped
# mode: encoded frames the harness wraps into a CT file, split at an odd fragment size) made from
# those files' frames with /usr/bin/python3 and pydicom when available. The corpus grows in
# BUILD_DIR/fuzz-dicom-corpus; crashes land in BUILD_DIR as crash-*; the log is fuzz-0.log.
set -eu
B=$(cd "$1" && pwd)
T=${2:-600}
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=${LT_SHARED_DATA:-$src/../shared/data}
seeds=$B/fuzz-dicom-seeds
corpus=$B/fuzz-dicom-corpus
mkdir -p "$seeds" "$corpus"
d=$shared/dicom
find "$d" -type f \( -name '*.dcm' -o -name '*_dfl' \) -size -600k -exec cp {} "$seeds"/ \;
lidc=$(find "$shared/lidc" -name '*.dcm' 2>/dev/null | sort | head -n 1)
[ -n "$lidc" ] && cp "$lidc" "$seeds/lidc-slice.dcm"
small=$d/pydicom/CT_small.dcm
ct12=$d/dicomParser/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm
if command -v dcmcrle > /dev/null; then
  for f in "$small" "$ct12"; do
    b=$(basename "$f" .dcm)
    dcmcrle +fs 1 "$f" "$seeds/$b.rle-1k.dcm" 2> /dev/null || true
    dcmcrle +fs 1 -ot "$f" "$seeds/$b.rle-1k-nobot.dcm" 2> /dev/null || true
    dcmcjpeg +e1 +fs 1 "$f" "$seeds/$b.jpeg-sv1-1k.dcm" 2> /dev/null || true
    dcmcjpls +fs 1 -ot "$f" "$seeds/$b.jpls-1k-nobot.dcm" 2> /dev/null || true
  done
fi
if /usr/bin/python3 -c 'import pydicom' 2> /dev/null; then
  /usr/bin/python3 - "$seeds" <<'PY'
import glob, os, struct, sys
import pydicom
from pydicom.encaps import generate_pixel_data_frame
out = sys.argv[1]
syntax = {"1.2.840.10008.1.2.5": 0, "1.2.840.10008.1.2.4.70": 1, "1.2.840.10008.1.2.4.57": 2,
          "1.2.840.10008.1.2.4.80": 3, "1.2.840.10008.1.2.4.81": 4, "1.2.840.10008.1.2.4.90": 5,
          "1.2.840.10008.1.2.4.91": 6, "1.2.840.10008.1.2.4.50": 7, "1.2.840.10008.1.2.4.51": 8}
for path in sorted(glob.glob(os.path.join(out, "*.dcm"))):
    try:
        ds = pydicom.dcmread(path)
        ts = str(ds.file_meta.TransferSyntaxUID)
        if ts not in syntax or ds.Rows > 255 or ds.Columns > 255 or ds.SamplesPerPixel != 1:
            continue
        nf = int(getattr(ds, "NumberOfFrames", 1) or 1)
        frames = list(generate_pixel_data_frame(ds.PixelData, nf))[:4]
    except Exception:
        continue
    flags = (1 if len(frames) > 1 else 0) | (2 if ds.PixelRepresentation else 0) | \
            (4 if ds.BitsAllocated == 8 else 0)
    head = b"LTFR" + bytes([syntax[ts], len(frames) - 1, ds.Rows, ds.Columns, flags]) + \
        struct.pack("<H", 334)
    # the harness splits the payload into equal parts: pad each frame to the longest (zeros
    # after the last RLE segment or a JPEG end marker are ignored)
    width = max(len(fr) for fr in frames)
    with open(path[:-4] + ".ltfr", "wb") as f:
        f.write(head + b"".join(fr + bytes(width - len(fr)) for fr in frames))
PY
fi
ninja -C "$B" tests/fuzz/fuzz-dicom > /dev/null
cd "$B"
./tests/fuzz/fuzz-dicom -max_total_time="$T" -jobs=1 -max_len=600000 -malloc_limit_mb=4200 \
  -print_final_stats=1 "$corpus" "$seeds" "$src/tests/fuzz/dicom-seeds"
tail -n 25 fuzz-0.log
