#!/bin/bash
# scripts/scope-real-cases.sh [CLI] — the real cases of docs/scope.md's table: each point or
# nodule of LIDC-IDRI-0001 and of the second CT (../shared/data/ct) analysed with the default
# model (or $MODEL), one line each: level, reasons, probability and the measures the rules read.
here=$(cd "$(dirname "$0")/.." && pwd)
cli=${1:-$here/build/app/lungtrust-cli}
shared=${LT_SHARED_DATA:-$here/../shared/data}
L=$shared/lidc/LIDC-IDRI-0001
M=$shared/ct/MIDRC-RICORD-1A-419639
run() { # NAME ARGS...
  local name=$1; shift
  "$cli" analyze "$@" ${MODEL:+--model "$MODEL"} --json 2>/dev/null | /usr/bin/python3 -c "
import json, sys
d = json.load(sys.stdin); s = d['scope']; m = s['measures']
f = lambda k: 'null' if m.get(k) is None else '%.3g' % m[k]
print('%-26s %-13s %-42s p=%.3f region=%s mm solid=%s mm rim=%s mm core=%s HU calcified=%s extent=%s mm features=%s' % (
    sys.argv[1], s['level'], ','.join(r['code'] for r in s['reasons']), d['probability'],
    f('region_mm'), f('solid_mm'), f('rim_mm'), f('core_hu'), f('calcified_fraction'),
    f('extent_mm'), f('feature_distance')))" "$name" || echo "$name: failed"
}
run lidc1-nodule1 "$L" --nodule 1
run lidc1-nodule1-noreadings "$L" --at-mm 56.363,86.129,-115.991 --no-readings
run lidc1-chestwall "$L" --at-voxel 60,256,66
run lidc1-mediastinum "$L" --at-voxel 256,250,66
run lidc1-air "$L" --at-voxel 256,15,66
run midrc-ggo-left "$M" --at-voxel 380,285,83
run midrc-ggo-right "$M" --at-voxel 105,275,83
run midrc-opacity-35mm "$M" --at-voxel 135,238,78
run midrc-chestwall "$M" --at-voxel 65,250,83
run midrc-mediastinum "$M" --at-voxel 256,220,83
run midrc-air "$M" --at-voxel 256,25,83
