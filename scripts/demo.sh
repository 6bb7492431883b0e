#!/usr/bin/env bash
# The main job on the demo study: the workstation when a display is there, otherwise the same
# analysis headless, with its report in out/demo/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
builddir=${LT_BUILDDIR:-build}
study=${1:-$here/../shared/data/lidc/LIDC-IDRI-0001}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$here/$builddir/app/lungtrust" ]; then
  exec "$here/$builddir/app/lungtrust" "$study"
fi
cli="$here/$builddir/app/lungtrust-cli"
out=$here/out/demo
mkdir -p "$out"
"$cli" info "$study" | tee "$out/info.txt"
