#!/bin/sh
# tests/fuzz/run-fuzz-lidc-xml.sh BUILD_DIR [SECONDS] — runs the LIDC XML fuzz target.
# BUILD_DIR: a -Dfuzz=true clang build (see tests/fuzz/fuzz-lidc-xml.c). Seeds: the hand-made
# files in tests/ct/lidc-xml, LIDC-IDRI-0001's 069.xml and a reduced copy (every 12th edge-map
# point, so it fits -max_len) when ../shared/data is there. The corpus grows in
# BUILD_DIR/fuzz-lidc-xml-corpus; crashes land in BUILD_DIR as crash-*; the log is fuzz-0.log.
set -eu
B=$(cd "$1" && pwd)
T=${2:-600}
src=$(cd "$(dirname "$0")/../.." && pwd)
shared=${LT_SHARED_DATA:-$src/../shared/data}
seeds=$B/fuzz-lidc-xml-seeds
corpus=$B/fuzz-lidc-xml-corpus
mkdir -p "$seeds" "$corpus"
cp "$src"/tests/ct/lidc-xml/*.xml "$seeds"/
x=$(find "$shared/lidc" -name '*.xml' 2>/dev/null | head -n 1)
if [ -n "$x" ]; then
  cp "$x" "$seeds/069.xml"
  /usr/bin/python3 - "$x" "$seeds/069-reduced.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
n = [0]
def keep(m):
    n[0] += 1
    return m.group(0) if n[0] % 12 == 0 else ""
open(sys.argv[2], "w").write(re.sub(r"<edgeMap>.*?</edgeMap>\s*", keep, s, flags=re.S))
PY
fi
cd "$B"
./tests/fuzz/fuzz-lidc-xml -max_total_time="$T" -jobs=1 -max_len=65536 -rss_limit_mb=2048 \
  -dict="$src/tests/fuzz/lidc-xml.dict" -print_final_stats=1 "$corpus" "$seeds"
tail -n 25 fuzz-0.log
