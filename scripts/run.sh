#!/usr/bin/env bash
# Set up, build, then run the main job: the workstation on the demo study, or, with no
# display, the same analysis headless with its report.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/setup.sh"
exec bash "$here/scripts/demo.sh" "$@"
