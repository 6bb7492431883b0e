#!/bin/sh
# tests/gui/test-gui-measure-menu.sh — the real `lungtrust` under Xvfb on the bundled demo study
# with an UNTRAINED test model (make-test-model): the right-click menu of a slice view and the
# distance tool.
# 1. A right click outside the lungs opens the menu (a light popover drawn beside the pointer);
#    "Analyse Here" (Return: the first item) queues the analysis of that very voxel on the
#    engine thread; the review pipeline analyses it and puts it out of scope (lung mask), which
#    the result panel says in red words with the reason, the probability not a verdict.
# 2. A right click on nodule 1's window pixel, "Analyse Here": the voxel analysed is within a
#    voxel of the nodule's centroid and a result comes back.
# 3. M (ui.md; D too) switches measure mode on; two clicks 120 px right / 90 px down apart draw a line whose
#    length the log gives as 150 px / (px per mm) (the view's pixel size from the geometry,
#    +-2 px), with a label "N.N mm" of that length; the measurement colour (cyan 0,230,230) lies
#    on the line's quarter points and right of its end, and nowhere before; Escape clears it
#    (no cyan left) and leaves measure mode.
# 4. "Measure From Here" in the menu (Down, Return) starts a measurement at the clicked voxel;
#    one left click ends it.
# Screenshots: $LT_BUILD_ROOT/tests/gui-out/measure-*.png.
# Usage: test-gui-measure-menu.sh PATH/TO/lungtrust PATH/TO/make-test-model. Exit 77 without
# xvfb-run, xdotool, import or the bundled demo.
set -u
app="$1"
mk="$2"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_demo
lt_gui_setup measure
"$mk" "$tmp/untrained.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/untrained.safetensors"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
wait_analyses() { i=0; while [ $i -lt 120 ] && [ "$(grep -c "analysis [0-9]* [a-z]*: " "$log")" -lt "$1" ]; do sleep 0.5; i=$((i + 1)); done; }
# menu_at X Y N: right click at (X, Y) and wait until the log holds N context menus.
menu_at() {
  xdotool mousemove "$1" "$2" click 3
  i=0; while [ $i -lt 20 ] && [ "$(grep -c "context menu at voxel" "$log")" -lt "$3" ]; do sleep 0.5; i=$((i + 1)); done
  sleep 1
}
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
sleep 2
set -- "$@" $(grep "focus nodule" "$log" | grep -o "window pixel [0-9]* [0-9]*" | head -1)
fx=$6
fy=$7
echo "$fx $fy" > "$3/focus"
import -window root "$2/measure-0-start.png"
# 2. on the nodule first (as when the point outside was refused with a banner that moved the views)
menu_at "$fx" "$fy" 1
xdotool key Return
wait_analyses 1
sleep 1.5
# 3. the distance tool (the window pixel size is logged again after the result)
xdotool key m; sleep 0.5
xdotool mousemove $((fx - 60)) $((fy - 40)) click 1; sleep 0.5
xdotool mousemove $((fx + 60)) $((fy + 50)) click 1; sleep 2
import -window root "$2/measure-3-line.png"
xdotool key Escape; sleep 1.5
import -window root "$2/measure-4-cleared.png"
# 1. outside the lungs
menu_at 300 150 2
import -window root "$2/measure-1-menu.png"
xdotool key Return
wait_analyses 2
sleep 1
import -window root "$2/measure-2-out-of-scope.png"
# 4. measure from here
menu_at $((fx - 100)) "$fy" 3
xdotool key Down; sleep 0.3; xdotool key Return; sleep 0.5
xdotool mousemove $((fx - 100)) $((fy + 80)) click 1; sleep 1.5
import -window root "$2/measure-5-from-here.png"
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "context menu\|analy[sz]\|measure\|focus nodule" "$log" | grep -v DEBUG
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
[ -f "$tmp/focus" ] || { echo "FAIL: the demo study did not load"; exit 1; }
grep -q "CRITICAL" "$log" && { echo "FAIL: GTK criticals in the log"; fail=1; }
set -- $(cat "$tmp/focus")
fx=$1
fy=$2
# the axial view's pixel size when the measurement was made (logged again after the analysis)
pxmm=$(sed -n '1,/measurement on the axial view/p' "$log" | grep -o "window pixel [0-9]* [0-9]*, [0-9.]* px/mm" | tail -1 | awk '{ print $5 }')
mean() { convert "$1" -crop "$2" +repage -colorspace gray -format "%[fx:mean]" info:; }

# 1. the menu is drawn beside the pointer; Return analyses its voxel; out of scope, said so
m0=$(mean "$out/measure-0-start.png" 100x16+325+162)
m1=$(mean "$out/measure-1-menu.png" 100x16+325+162)
echo "menu area mean grey: before $m0, menu open $m1"
awk -v a="$m0" -v b="$m1" 'BEGIN { exit !(b > 0.75 && b - a > 0.2) }' || { echo "FAIL: no menu drawn"; fail=1; }
v1=$(grep -o "context menu at voxel ([0-9., -]*)" "$log" | sed -n 2p | tr -d '(),' | awk '{ printf "%.0f %.0f %.0f", $5, $6, $7 }')
a1=$(grep -o "analyse here: voxel ([0-9, -]*)" "$log" | sed -n 2p | tr -d '(),' | awk '{ print $4, $5, $6 }')
echo "menu voxel: $v1; analysed voxel: $a1"
[ -n "$v1" ] && [ "$v1" = "$a1" ] || { echo "FAIL: Analyse Here did not analyse the menu's voxel"; fail=1; }
grep -q "analyse at from the axial view's menu" "$log" || { echo "FAIL: the menu did not ask for an analysis"; fail=1; }
grep -q "analysis result: .*scope out_of_scope ([a-z_,]*outside_lungs[a-z_,]*); for point ($(echo "$a1" | sed 's/ /, /g'))" "$log" ||
  { echo "FAIL: the point outside the lungs was not analysed out of scope"; fail=1; }
grep "result panel shows \[Point " "$log" | tail -1 | grep -q "not a verdict | .* | Out of scope: .* • Outside the lungs" ||
  { echo "FAIL: the panel did not say the point is out of scope and why"; fail=1; }
red=$(convert "$out/measure-2-out-of-scope.png" -crop 300x600+1290+60 +repage txt:- | awk -F'[()]' 'NR > 1 {
  split($2, c, ","); r = c[1]; g = c[2]; if (r > 255) { r /= 257; g /= 257 } if (r - g > 60) n++ } END { print n + 0 }')
echo "red-dominant pixels in the right column (the out-of-scope words): $red"
[ "$red" -ge 50 ] || { echo "FAIL: no out-of-scope drawn in the result panel"; fail=1; }

# 2. on the nodule: the analysed voxel is the nodule's, and a result came
cv=$(grep -o "focus nodule at voxel ([0-9., -]*)" "$log" | head -1 | tr -d '(),' | awk '{ print $5, $6, $7 }')
a2=$(grep -o "analyse here: voxel ([0-9, -]*)" "$log" | head -1 | tr -d '(),' | awk '{ print $4, $5, $6 }')
echo "nodule centroid $cv, analysed from the menu $a2"
echo "$cv $a2" | awk '{ exit !(NF == 6 && ($1-$4)^2 <= 4 && ($2-$5)^2 <= 4 && ($3-$6)^2 <= 1) }' ||
  { echo "FAIL: the menu on the nodule did not analyse the nodule"; fail=1; }
grep -q "analysis result: probability [0-9.]*" "$log" || { echo "FAIL: no result for the menu's analysis"; fail=1; }

# 3. the measurement: length from the geometry, line and label in the window's pixels
ml=$(grep -o "measurement on the axial view: .*" "$log" | head -1)
echo "$ml"
set -- $(echo "$ml" | sed 's/.*window pixels \([0-9.]*\) \([0-9.]*\) to \([0-9.]*\) \([0-9.]*\), \([0-9.]*\) mm, label \([0-9.]*\) mm/\1 \2 \3 \4 \5 \6/')
if [ $# -ne 6 ]; then
  echo "FAIL: no measurement logged"; fail=1
else
  ax=$1; ay=$2; bx=$3; by=$4; mm=$5; lab=$6
  echo "ends at window ($ax, $ay) and ($bx, $by), $mm mm (label $lab mm), pixel size $pxmm px/mm"
  awk -v mm="$mm" -v s="$pxmm" 'BEGIN { e = 150 / s; d = mm - e; if (d < 0) d = -d;
    printf "expected %.2f mm from 150 px\n", e; exit !(d <= 2.0 / s) }' ||
    { echo "FAIL: the measured length is not the clicked distance in mm"; fail=1; }
  awk -v mm="$mm" -v l="$lab" 'BEGIN { d = mm - l; if (d < 0) d = -d; exit !(d <= 0.051) }' ||
    { echo "FAIL: the label does not show the length"; fail=1; }
  cyan() { # image x y half: pixels of the measurement colour in the box
    convert "$1" -crop "$(($4 * 2 + 1))x$(($4 * 2 + 1))+$(($2 - $4))+$(($3 - $4))" +repage txt:- |
      awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
        if (r > 255) { r /= 257; g /= 257; b /= 257 }
        if (r < 40 && g > 200 && b > 200) n++ } END { print n + 0 }'
  }
  on=0
  for q in 1 2 3; do
    x=$(awk -v a="$ax" -v b="$bx" -v q=$q 'BEGIN { printf "%d", a + q * (b - a) / 4 }')
    y=$(awk -v a="$ay" -v b="$by" -v q=$q 'BEGIN { printf "%d", a + q * (b - a) / 4 }')
    c=$(cyan "$out/measure-3-line.png" "$x" "$y" 2)
    c0=$(cyan "$out/measure-0-start.png" "$x" "$y" 2)
    echo "quarter point $q at ($x, $y): $c measurement pixels (before: $c0)"
    [ "$c" -ge 2 ] && [ "$c0" -eq 0 ] && on=$((on + 1))
  done
  [ $on -eq 3 ] || { echo "FAIL: the line is not drawn between the clicked points"; fail=1; }
  bxi=${bx%.*}; byi=${by%.*}
  lp=$(convert "$out/measure-3-line.png" -crop "110x30+$((bxi + 5))+$((byi - 15))" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
      if (r > 255) { r /= 257; g /= 257; b /= 257 } if (r < 40 && g > 200 && b > 200) n++ } END { print n + 0 }')
  lc=$(convert "$out/measure-4-cleared.png" -crop "110x30+$((bxi + 5))+$((byi - 15))" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
      if (r > 255) { r /= 257; g /= 257; b /= 257 } if (r < 40 && g > 200 && b > 200) n++ } END { print n + 0 }')
  echo "label pixels right of the end: $lp; after Escape $lc"
  [ "$lp" -ge 30 ] || { echo "FAIL: no length label drawn"; fail=1; }
  [ "$lc" -eq 0 ] && [ "$(cyan "$out/measure-4-cleared.png" "$(awk -v a="$ax" -v b="$bx" 'BEGIN { printf "%d", (a + b) / 2 }')" "$(awk -v a="$ay" -v b="$by" 'BEGIN { printf "%d", (a + b) / 2 }')" 3)" -eq 0 ] ||
    { echo "FAIL: Escape did not clear the measurement"; fail=1; }
fi
grep -q "measurements cleared" "$log" && grep -q "measure mode off" "$log" ||
  { echo "FAIL: Escape did not leave measure mode"; fail=1; }

# 4. measure from here: the first end is the menu's voxel
mv=$(grep -o "context menu at voxel ([0-9., -]*)" "$log" | sed -n 3p | tr -d '(),' | awk '{ print $5, $6, $7 }')
m2=$(grep -o "measurement on the axial view: voxel ([0-9., -]*)" "$log" | sed -n 2p | tr -d '(),' | awk '{ print $7, $8, $9 }')
echo "measure from here: menu voxel $mv, first end $m2"
echo "$mv $m2" | awk '{ exit !(NF == 6 && ($1-$4)^2 < 0.01 && ($2-$5)^2 < 0.01 && ($3-$6)^2 < 0.01) }' ||
  { echo "FAIL: Measure From Here did not start at the menu's point"; fail=1; }
exit $fail
