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
for tool in xvfb-run xdotool import convert; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
src="${LT_SOURCE_ROOT:-.}"
[ -d "$src/resources/demo/LIDC-IDRI-0001" ] || { echo "SKIP: no bundled demo study"; exit 77; }
out="${LT_BUILD_ROOT:-.}/tests/gui-out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'cp "$tmp"/log "$out"/log-analysis 2>/dev/null; rm -rf "$tmp"' EXIT
export LUNGTRUST_DB="$tmp/history.db" GSETTINGS_BACKEND=keyfile XDG_CONFIG_HOME="$tmp/config"
"$mk" "$tmp/untrained.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/untrained.safetensors"
# readers' outlines off from the start (their orange would count as red below)
mkdir -p "$tmp/config/glib-2.0/settings"
printf '[org/lungtrust/LungTrust]\nshow-readers=false\n' > "$tmp/config/glib-2.0/settings/keyfile"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
wait_for() { i=0; while [ $i -lt 120 ] && ! grep -q "$1" "$log"; do sleep 0.5; i=$((i + 1)); done; }
G_MESSAGES_DEBUG=lungtrust GDK_BACKEND=x11 LIBGL_ALWAYS_SOFTWARE=1 GSK_RENDERER=cairo \
  NO_AT_BRIDGE=1 "$1" > "$log" 2>&1 &
pid=$!
wait_for "focus nodule"
sleep 1
sleep 1
import -window root "$2/analysis-0-before.png"
xdotool key a
wait_for "analysis result"
sleep 2
import -window root "$2/analysis-1-result.png"
kill -0 $pid 2>/dev/null && echo alive > "$3/alive"
kill $pid; wait $pid 2>/dev/null
true
DRIVE
xvfb-run -a -s "-screen 0 1600x860x24" sh "$tmp/drive.sh" "$app" "$out" "$tmp"
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
