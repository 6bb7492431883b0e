#!/bin/sh
# tests/gui/test-gui-result-identity.sh — a result belongs to its nodule (issue 23). The real
# `lungtrust` under Xvfb at 1280x720 on the bundled demo study with the default model, its
# results held back 4 s on the engine thread (LT_TEST_ANALYSE_DELAY_MS, test only):
# 1. A on nodule 1, then Tab to nodule 2 while it runs (the log proves the order: the request,
#    the Tab, then the end of the analysis): nodule 2's panel says "Not analysed yet" before and
#    after nodule 1's late result, which is kept under nodule 1 (its row gets a scope badge) and
#    never shown under nodule 2 (the panel logs what it shows on every change; no line of nodule
#    2 carries nodule 1's probability or trust); no model outline or heatmap is drawn meanwhile.
# 2. Tab again (nodule 3): not analysed either. Back to nodule 1 (Shift+Tab twice): its own
#    result comes back from the window's cache, with the verdict (probability, trust) and the
#    scope in words, and its outline and heatmap drawn again at the nodule.
# 3. A on a point outside the lungs: analysed, shown out of scope with the reason, the
#    probability struck ("not a verdict").
# Before any analysis the panel must not say "no model". Screenshots (look at them):
# $LT_BUILD_ROOT/tests/gui-out/identity-*.png, identity-4-nodule1.png being the analysed nodule at
# 1280x720 with the verdict and the scope visible without scrolling.
# Usage: test-gui-result-identity.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool,
# import, the demo study or the default model.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_demo
model="$src/resources/models/lungtrust-default-w16.safetensors"
[ -f "$model" ] || { echo "SKIP: no default model in resources/models"; exit 77; }
lt_gui_setup result-identity
export LUNGTRUST_MODEL="$model"
# readers' outlines off (their orange would count as the model's red below)
mkdir -p "$tmp/config/glib-2.0/settings"
printf '[org/lungtrust/LungTrust]\nshow-readers=false\n' > "$tmp/config/glib-2.0/settings/keyfile"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
lt_gui_launch LT_TEST_ANALYSE_DELAY_MS=4000 "$1"
lt_gui_wait_for "focus nodule"
# no window manager: the window is made to fit the 1280x720 screen by hand
xdotool search --name '^LungTrust$' windowmove 0 0 windowsize 1280 720
sleep 2.5
import -window root "$2/identity-0-start.png"
xdotool key a
lt_gui_wait_for "analyse here: "
xdotool key Tab
lt_gui_wait_for "nodule 2 selected"
sleep 1
import -window root "$2/identity-1-tab-while-running.png"
lt_gui_wait_for "analysis [0-9]* [a-z]*: " 240
sleep 1.5
import -window root "$2/identity-2-after-late-result.png"
xdotool key Tab
lt_gui_wait_for "nodule 3 selected"
sleep 1.5
import -window root "$2/identity-3-nodule3.png"
xdotool key shift+Tab; sleep 0.7
xdotool key shift+Tab
lt_gui_wait_for "nodule 1 selected" 20 2
sleep 2
import -window root "$2/identity-4-nodule1.png"
# a point outside the lungs (outside the body, top left of the axial view)
xdotool mousemove 60 110 click 1; sleep 0.7
xdotool key a
lt_gui_wait_for "analysis [0-9]* [a-z]*: " 240 2
sleep 2
import -window root "$2/identity-5-outside.png"
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb 1280x720 "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "analys\|selected\|result panel\|subject" "$log" | grep -v "DEBUG"
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "CRITICAL" "$log" && { echo "FAIL: GTK criticals in the log"; fail=1; }
# a loaded model, before any analysis: not "no model"
first=$(grep "result panel shows \[" "$log" | head -1)
echo "first panel: $first"
echo "$first" | grep -q "Not analysed yet" || { echo "FAIL: before any analysis the panel does not say 'Not analysed yet'"; fail=1; }
grep "result panel shows \[" "$log" | grep -qi "no model" && { echo "FAIL: the panel says no model with one loaded"; fail=1; }
# 1. the order: the request for nodule 1, the Tab to nodule 2, then the end of the analysis
l_req=$(grep -n "analyse here: .*for nodule 1" "$log" | head -1 | cut -d: -f1)
l_tab=$(grep -n "nodule 2 selected" "$log" | head -1 | cut -d: -f1)
l_end=$(grep -n "analysis [0-9]* [a-z]*: " "$log" | head -1 | cut -d: -f1)
echo "log lines: request $l_req, Tab $l_tab, analysis ended $l_end"
[ -n "$l_req" ] && [ -n "$l_tab" ] && [ -n "$l_end" ] && [ "$l_req" -lt "$l_tab" ] && [ "$l_tab" -lt "$l_end" ] ||
  { echo "FAIL: the Tab did not come between the request and the end of the analysis"; exit 1; }
res=$(grep "analysis result: probability" "$log" | head -1)
echo "$res" | grep -q "for nodule 1;" || { echo "FAIL: the first result is not nodule 1's"; fail=1; }
p1=$(echo "$res" | sed 's/.*probability \([0-9.]*\),.*/\1/')
p1s=$(printf '%.2f' "$p1")
t1=$(echo "$res" | sed 's/.*, trust \([A-Z]*\),.*/\1/')
echo "nodule 1: probability $p1 (shown $p1s), trust $t1"
grep -q "analysis [0-9]* of nodule 1 kept under it, not shown: the panel shows nodule 2" "$log" ||
  { echo "FAIL: the late result was not kept under nodule 1"; fail=1; }
# every panel line about nodule 2 or 3: not analysed, and none of nodule 1's numbers
n23=$(grep "result panel shows \[Nodule [23] " "$log")
[ -n "$n23" ] || { echo "FAIL: the panel never showed nodule 2 or 3"; fail=1; }
echo "$n23" | grep -v "Not analysed yet" && { echo "FAIL: nodule 2 or 3 showed a result"; fail=1; }
echo "$n23" | grep "$p1s\|trust $t1" && { echo "FAIL: nodule 1's numbers under nodule 2 or 3"; fail=1; }
# 2. back on nodule 1: its own result, from the cache (no second analysis)
back=$(sed -n "$l_end,\$p" "$log" | grep "result panel shows \[Nodule 1 " | tail -1)
echo "back on nodule 1: $back"
echo "$back" | grep -q "\]: $p1s .* | trust $t1 | \(In scope\|Caution\|Out of scope\)" ||
  { echo "FAIL: nodule 1's own result (verdict and scope) was not shown again"; fail=1; }
[ "$(grep -c "analyse here: " "$log")" -eq 2 ] || { echo "FAIL: expected exactly two analyses"; fail=1; }
# pixels: no model outline or heatmap (red-dominant) while nodule 2 or 3 is shown; drawn again
# around nodule 1 when it comes back
red_px() { # image x y w h
  convert "$1" -crop "${4}x${5}+$2+$3" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2];
      if (r > 255) { r /= 257; g /= 257 } if (r - g > 60) n++ } END { print n + 0 }'
}
# nodule 1's window pixel, logged when it came back with its result (before the point's analysis)
l_pt=$(grep -n "analyse here: .*for point" "$log" | head -1 | cut -d: -f1)
set -- $(sed -n "$l_end,${l_pt:-\$}p" "$log" | grep -o "window pixel [0-9]* [0-9]*, [0-9.]* px/mm" | tail -1)
fx=$3
fy=${4%,}
half=$(awk -v s="$5" 'BEGIN { printf "%d", 18 * s }')
r1=$(red_px "$out/identity-1-tab-while-running.png" 0 50 820 670)
r2=$(red_px "$out/identity-2-after-late-result.png" 0 50 820 670)
r3=$(red_px "$out/identity-3-nodule3.png" 0 50 820 670)
r4=$(red_px "$out/identity-4-nodule1.png" $((fx - half)) $((fy - half)) $((2 * half)) $((2 * half)))
echo "red-dominant pixels in the views: nodule 2 running $r1, after the late result $r2, nodule 3 $r3; around nodule 1 again $r4"
[ "$r1" -le 5 ] && [ "$r2" -le 5 ] && [ "$r3" -le 5 ] || { echo "FAIL: an overlay is drawn under nodule 2 or 3"; fail=1; }
[ "$r4" -ge 150 ] || { echo "FAIL: nodule 1's overlays were not drawn again"; fail=1; }
# 3. the point outside the lungs: analysed, out of scope, said so
grep -q "analysis result: .*scope out_of_scope ([a-z_,]*outside_lungs[a-z_,]*); for point" "$log" ||
  { echo "FAIL: the point outside the lungs was not analysed out of scope"; fail=1; }
grep "result panel shows \[Point " "$log" | tail -1 | grep -q "not a verdict | .* | Out of scope: the model's numbers are not a verdict • Outside the lungs" ||
  { echo "FAIL: the panel did not show the point out of scope with its reason"; fail=1; }
exit $fail
