#!/usr/bin/env bash
# The main job on the demo study: the workstation when a display is there, otherwise the same
# analysis headless, with its report in out/demo/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
builddir=${LT_BUILDDIR:-build}
study=${1:-$here/resources/demo}
[ -d "$study" ] || study=$here/../shared/data/lidc/LIDC-IDRI-0001
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$here/$builddir/app/lungtrust" ]; then
  exec "$here/$builddir/app/lungtrust" "$study"
fi
cli="$here/$builddir/app/lungtrust-cli"
model=$(ls "$here"/resources/models/*.safetensors 2>/dev/null | head -n 1 || true)
out=$here/out/demo
mkdir -p "$out"
db=$out/demo.db
{
  echo "# LungTrust headless report ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo "# A research and teaching tool, not a certified medical device."
  "$cli" info "$study"
  echo
  if [ -n "$model" ]; then
    echo "## Analysis of nodule 1 with $(basename "$model")"
    "$cli" analyze "$study" --nodule 1 --model "$model" --out "$out"
  else
    echo "## No model in resources/models: analysis skipped"
  fi
  echo
  echo "## Similar historical nodules (LIDC tables)"
  "$cli" import-ratings "$here/resources/lidc-ratings" --db "$db" >/dev/null
  "$cli" import "$study" --db "$db" >/dev/null
  nid=$(sqlite3 "$db" "SELECT id FROM nodules WHERE source = 'lidc-xml' ORDER BY diameter_mm DESC LIMIT 1")
  "$cli" retrieve --nodule "$nid" -k 5 --other-patients --db "$db"
} 2>&1 | tee "$out/report.txt"
echo "report: $out/report.txt (pictures and NIfTI files beside it)"
