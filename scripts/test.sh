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
if ! bash scripts/setup.sh; then
  echo "setup or build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
meson test -C "$builddir" --print-errorlogs --num-processes 2 ${LT_TEST_ARGS:-}
rc=$?
python3 scripts/test-summary.py "$builddir/meson-logs/testlog.json"
exit $rc
