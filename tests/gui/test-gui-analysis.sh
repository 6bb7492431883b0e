#!/bin/sh
# tests/gui/test-gui-analysis.sh — the analysis pipeline of the real `lungtrust` under Xvfb on
# the bundled demo study, with an UNTRAINED test model (make-test-model; its numbers mean
# nothing, the test checks plumbing and placement): with the readers' outlines off, A on nodule
# 1 runs patch + model + Grad-CAM on the engine thread; the result panel gets a probability and a
# trust check (log), and the model outline, the heatmap and its patch box are drawn in the axial view around the
# window pixel computed from the nodule's voxel (red-dominant pixels there; none before the
# analysis, none 120 mm away). Prints the time from the request to the results on screen.
# Usage: test-gui-analysis.sh PATH/TO/lungtrust PATH/TO/make-test-model.
set -u
app="$1"
mk="$2"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_demo
lt_gui_setup analysis
"$mk" "$tmp/untrained.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/untrained.safetensors"
# readers' outlines off from the start (their orange would count as red below)
mkdir -p "$tmp/config/glib-2.0/settings"
printf '[org/lungtrust/LungTrust]\nshow-readers=false\n' > "$tmp/config/glib-2.0/settings/keyfile"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
sleep 1
sleep 1
import -window root "$2/analysis-0-before.png"
xdotool key a
lt_gui_wait_for "analysis result"
sleep 2
import -window root "$2/analysis-1-result.png"
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "model:\|analys\|focus nodule" "$log"
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "analysis result: probability [0-9.]*, trust [A-Z]*" "$log" || { echo "FAIL: no analysis result"; exit 1; }
grep -o "on screen [0-9.]* s after the request" "$log" | head -1 | sed 's/^/click to results: /'
# nodule 1 has readers' outlines: the consensus reaches the patch and a Dice is computed
grep -q "readers' consensus in the patch, Dice [0-9.]*" "$log" ||
  { echo "FAIL: the readers' consensus was not used"; fail=1; }
# the nodule's window pixel (logged again after the result) and the pixel size
set -- $(grep -o "window pixel [0-9]* [0-9]*, [0-9.]* px/mm" "$log" | tail -1)
fx=$3
fy=${4%,}
pxmm=$5
half=$(awk -v s="$pxmm" 'BEGIN { printf "%d", 18 * s }') # the 32 mm patch box and a margin
far=$(awk -v s="$pxmm" 'BEGIN { printf "%d", 120 * s }')
red_px() { # image x y half: pixels where red exceeds green by 60 (heatmap, model outline)
  convert "$1" -crop "$(($4 * 2))x$(($4 * 2))+$(($2 - $4))+$(($3 - $4))" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2];
      if (r > 255) { r /= 257; g /= 257 } if (r - g > 60) n++ } END { print n + 0 }'
}
b=$(red_px "$out/analysis-0-before.png" "$fx" "$fy" "$half")
a=$(red_px "$out/analysis-1-result.png" "$fx" "$fy" "$half")
f=$(red_px "$out/analysis-1-result.png" $((fx - far)) "$fy" "$half")
echo "red-dominant pixels within 18 mm of nodule 1 at ($fx, $fy): before $b, after the analysis $a; 120 mm away $f"
[ "$b" -le 5 ] || { echo "FAIL: red pixels before the analysis"; fail=1; }
[ "$a" -ge 150 ] || { echo "FAIL: no heatmap / outline drawn at the nodule"; fail=1; }
[ "$f" -le 5 ] || { echo "FAIL: overlay drawn away from the nodule"; fail=1; }
exit $fail
