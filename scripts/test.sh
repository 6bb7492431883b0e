#!/usr/bin/env bash
# Set up, build, then run every test. The last line reads "N passed, N failed, N skipped".
# LT_SANITIZE=1 builds into build-asan with address and undefined-behaviour sanitizers.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ "${LT_SANITIZE:-0}" = 1 ]; then
  export LT_BUILDDIR=build-asan
  export LT_MESON_ARGS="-Db_sanitize=address,undefined -Db_lundef=false"
fi
builddir=${LT_BUILDDIR:-build}
# A full disk shows up much later as a compiler's "error writing" line; say it first.
for d in "$here" "${TMPDIR:-/tmp}"; do
  free_mib=$(df -Pm "$d" 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [ -n "$free_mib" ] && [ "$free_mib" -lt 2048 ]; then
    echo "warning: only $free_mib MiB free on $d; the build and tests need about 2 GiB"
  fi
done
if ! bash scripts/setup.sh; then
  echo "setup or build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
meson test -C "$builddir" --print-errorlogs --num-processes 2 ${LT_TEST_ARGS:-}
rc=$?
python3 scripts/test-summary.py "$builddir/meson-logs/testlog.json"
exit $rc
