#!/usr/bin/env bash
# scripts/scope-sets.sh OUT — the held-out synthetic sets on which the scope decision
# (engine/review/scope.h) is evaluated: five sets of known truth, one per nodule kind, written to
# OUT/{solid,ground-glass,part-solid,calcified,oversize} by `lungtrust-cli synth --kind`
# (docs/synth.md, "Abnormal nodules: the scope sets").
#
# - Fixed seeds 8101, 8202, 8303, 8404, 8505: distinct from every seed of
#   scripts/train-default-model.sh (6101, 6104, 6107, 6202, 6303, 6404) and scripts/ablation.sh
#   (7101, 7202), so no nodule here was trained on or used to choose anything. Keep them held out:
#   never train on these sets or tune rules on them.
# - Every set holds at least 100 nodules (the script checks and fails otherwise); every nodule is
#   read by the four simulated readers (--sure-fraction 0), so each has a physical nodule ID in its
#   case's readings.xml (`lungtrust-cli info OUT/KIND/case-NNNN`) and reader texture ratings.
# - solid: 30% of the nodules juxtapleural (--juxtapleural 0.3) and every nodule's extent under
#   28 mm along L, P and S (--max-extent-mm 28; the truth masks' voxel footprints then stay under
#   30 mm), so a scope check that flags them is wrong. The abnormal sets: 20% juxtapleural.
# - The truth per nodule: OUT/KIND/manifest.json, cases[].samples[] (id, centre_mm, lidc_id,
#   kind) and its "truth" object (kind, solid, calcified, juxtapleural, centre_mm, extent_mm,
#   mask_extent_mm, touches_lung_boundary, pleura_distance_mm, mask_hu, kind_params, mask).
#
# Usage: scripts/scope-sets.sh OUT [--jobs N]   (LT_CLI: the lungtrust-cli to use, default
#        build/app/lungtrust-cli; LT_SHARED_DATA: ../shared/data). A set whose manifest exists
#        with the same arguments is kept (the same seed gives the same bytes). Runs N sets at a
#        time (default 2), each under nice -n 5.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { sed -n '2,26p' "$0"; exit 2; }
out=$1
shift
jobs=2
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift ;;
    *) echo "scope-sets.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
cli=${LT_CLI:-$here/build/app/lungtrust-cli}
shared=${LT_SHARED_DATA:-$here/../shared/data}
study=$shared/lidc/LIDC-IDRI-0001
[ -x "$cli" ] || { echo "scope-sets.sh: $cli not built" >&2; exit 1; }
[ -d "$study" ] || { echo "scope-sets.sh: $study not found" >&2; exit 1; }
mkdir -p "$out"

# kind seed cases extra-arguments. About 2 nodules a case (1-3; an oversize mass often leaves no
# room for a second), so these counts give at least 100 each.
sets="solid 8101 60 --juxtapleural 0.3 --max-extent-mm 28
ground-glass 8202 60 --juxtapleural 0.2
part-solid 8303 60 --juxtapleural 0.2
calcified 8404 60 --juxtapleural 0.2
oversize 8505 75 --juxtapleural 0.2"

one() { # kind seed cases args...
  local kind=$1 seed=$2 n=$3
  shift 3
  local args="--kind $kind --count $n --seed $seed --sure-fraction 0 $*"
  if [ -f "$out/$kind/manifest.json" ] && [ "$(cat "$out/$kind.args" 2>/dev/null)" = "$args" ]; then
    echo "$kind: kept ($args)"
    return 0
  fi
  rm -rf "${out:?}/$kind"
  local t0=$(date +%s)
  nice -n 5 "$cli" synth --out "$out/$kind" --study "$study" --ratings "$shared/lidc-ratings" $args \
    > "$out/$kind.log" 2>&1 || { echo "$kind: synth failed, see $out/$kind.log" >&2; return 1; }
  echo "$args" > "$out/$kind.args"
  echo "$kind: $(tail -n 2 "$out/$kind.log" | head -n 1) ($(( $(date +%s) - t0 )) s)"
}

t0=$(date +%s)
pids=
while read -r kind seed n args; do
  one "$kind" "$seed" "$n" $args &
  pids="$pids $!"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 2; done
done <<< "$sets"
fail=0
for p in $pids; do wait "$p" || fail=1; done
[ $fail = 0 ] || exit 1

# Counts per set, and the solid set's promises (juxtapleural nodules, every axis under 30 mm).
/usr/bin/python3 - "$out" <<'EOF'
import json, sys
out, bad = sys.argv[1], 0
for kind in ["solid", "ground-glass", "part-solid", "calcified", "oversize"]:
    m = json.load(open(f"{out}/{kind}/manifest.json"))
    s = [x for c in m["cases"] for x in c["samples"]]
    t = [x["truth"] for x in s]
    jx = sum(x["juxtapleural"] for x in t)
    touch = sum(x["touches_lung_boundary"] for x in t)
    mx = max(max(x["mask_extent_mm"]) for x in t)
    mn = min(max(x["mask_extent_mm"]) for x in t)
    ids = sum(x["lidc_id"] is not None for x in s)
    print(f"{kind:12s} {len(m['cases'])} cases, {len(s)} nodules ({ids} with an ID in readings.xml), "
          f"{jx} juxtapleural, {touch} touch the lung boundary; largest mask extent {mn:.1f}-{mx:.1f} mm")
    if len(s) < 100:
        print(f"{kind}: fewer than 100 nodules", file=sys.stderr); bad = 1
    if kind == "solid" and (jx == 0 or mx >= 30):
        print("solid: needs juxtapleural nodules and every axis under 30 mm", file=sys.stderr); bad = 1
sys.exit(bad)
EOF
echo "scope sets in $out: $(( $(date +%s) - t0 )) s"
