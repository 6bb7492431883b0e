#!/bin/sh
# tests/gui/test-gui-interaction.sh — drives the real `lungtrust` under Xvfb with xdotool on
# LIDC-IDRI-0001: the pointer over nodule 1's centroid (where the app's mapping puts it) makes
# the status line show that voxel (+-1) and a solid-nodule HU; a click there and the key 2
# switch all views to the mediastinal window (W400/L40: the axial view's mean grey changes);
# three wheel steps move the slice by three; Ctrl+wheel zooms (the view's pixels change while
# the slice stays); key C hides the readers' outlines; a left drag sets window/level, a middle
# drag pans by as many pixels; a double-click maximises a plane, Return restores; the slice slider
# moves the slice; Ctrl+? opens the shortcuts window. Screenshots in $LT_BUILD_ROOT/tests/gui-out/.
# Usage: test-gui-interaction.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool, import
# or the shared data.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_study
lt_gui_setup interaction

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 study, $3 out dir, $4 tmp dir
log="$4/log"
lt_gui_launch "$1" "$2"
lt_gui_wait_for "focus nodule" 180
sleep 2
set -- "$@" $(grep "focus nodule" "$4/log" | grep -o "window pixel [0-9]* [0-9]*" | head -1)
fx=$7
fy=$8
echo "focus $fx $fy" > "$4/focus"
import -window root "$3/interaction-0-lung.png"
xdotool mousemove "$fx" "$fy"; sleep 1
xdotool mousemove $((fx + 1)) "$fy"; sleep 1
xdotool click 1; sleep 1
xdotool key 2; sleep 2
import -window root "$3/interaction-1-mediastinal.png"
cp "$4/log" "$4/log-before-wheel"
xdotool click 5; sleep 0.5; xdotool click 5; sleep 0.5; xdotool click 5; sleep 2
cp "$4/log" "$4/log-after-wheel"
import -window root "$3/interaction-2-scrolled.png"
xdotool keydown ctrl click 4 click 4 keyup ctrl; sleep 2
import -window root "$3/interaction-3-zoomed.png"
xdotool key c; sleep 2
import -window root "$3/interaction-4-no-outlines.png"
xdotool mousemove "$fx" "$fy" mousedown 1 mousemove $((fx + 50)) $((fy + 20)) mouseup 1; sleep 2
import -window root "$3/interaction-5-wl-drag.png"
xdotool mousemove "$fx" "$fy" mousedown 2 mousemove $((fx + 40)) "$fy" mouseup 2; sleep 2
import -window root "$3/interaction-6-panned.png"
xdotool mousemove 1050 250 click --repeat 2 --delay 80 1; sleep 2
import -window root "$3/interaction-7-coronal-maximised.png"
xdotool key Return; sleep 1
xdotool mousemove 640 752 click 1; sleep 1.5
xdotool key ctrl+question; sleep 3
import -window root "$3/interaction-8-shortcuts.png"
cp "$4/log" "$4/log-final"; kill $pid
wait $pid 2>/dev/null
true
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$study" "$out" "$tmp"
grep -v "^$" "$tmp/log-final" | grep -v "status:" | tail -20
fail=0
[ -f "$tmp/focus" ] && grep -q "focus [0-9]" "$tmp/focus" || { echo "FAIL: the study or its nodule did not load"; exit 1; }

# 1. status line: the voxel under the pointer is nodule 1's centroid, HU of a solid nodule
fv=$(grep -o "focus nodule at voxel ([0-9., -]*)" "$tmp/log" | head -1 | tr -d '(),' | awk '{ print $5, $6, $7 }')
st=$(grep "status:" "$tmp/log-before-wheel" | tail -1)
echo "centroid voxel: $fv; last status: ${st#*status: }"
sv=$(echo "$st" | sed -n 's/.*status: \(-*[0-9]*\) HU.*voxel (\([0-9]*\), \([0-9]*\), \([0-9]*\)).*/\1 \2 \3 \4/p')
echo "$fv $sv" | awk '{ ok = NF == 7 && ($1 - $5)^2 <= 2.25 && ($2 - $6)^2 <= 2.25 && ($3 - $7)^2 <= 1 && $4 > -300
  exit !ok }' || { echo "FAIL: status line does not show the nodule's voxel and HU"; fail=1; }

# 2. key 2: every view gets W400/L40 and the axial view's grey changes
grep -q "window/level 400 40" "$tmp/log" || { echo "FAIL: key 2 did not set W400/L40"; fail=1; }
mean() { convert "$1" -crop 400x400+200+200 +repage -colorspace gray -format "%[fx:mean]" info:; }
m0=$(mean "$out/interaction-0-lung.png")
m1=$(mean "$out/interaction-1-mediastinal.png")
echo "axial mean grey: lung window $m0, mediastinal window $m1"
awk -v a="$m0" -v b="$m1" 'BEGIN { exit !((a - b)^2 > 0.05^2) }' || { echo "FAIL: the image did not change with the window"; fail=1; }

# 3. wheel: three steps = three slices along k from the clicked point
k0=$(grep crosshair "$tmp/log-before-wheel" | tail -1 | awk '{ print $NF }')
k1=$(grep crosshair "$tmp/log-after-wheel" | tail -1 | awk '{ print $NF }')
echo "slice k before the wheel: $k0, after three steps: $k1"
awk -v a="$k0" -v b="$k1" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d > 2.5 && d < 3.5) }' ||
  { echo "FAIL: the wheel did not move three slices"; fail=1; }

# 4. Ctrl+wheel zooms: the picture changes, while the slice number stays
d=$(compare -metric AE -fuzz 5% "$out/interaction-2-scrolled.png" "$out/interaction-3-zoomed.png" null: 2>&1)
echo "pixels changed by Ctrl+wheel: $d"
awk -v d="$d" 'BEGIN { exit !(d > 10000) }' || { echo "FAIL: Ctrl+wheel did not zoom"; fail=1; }
# 5. key C hides the readers' outlines in every view; they were drawn before
count_reader_px() { # image x y half-size
  convert "$1" -crop "$(($4 * 2))x$(($4 * 2))+$(($2 - $4))+$(($3 - $4))" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
      if (r > 255) { r /= 257; g /= 257; b /= 257 }
      if ((r-230)^2 + (g-158)^2 + b^2 < 35^2 || (r-87)^2 + (g-181)^2 + (b-232)^2 < 35^2 ||
          (r-240)^2 + (g-227)^2 + (b-66)^2 < 35^2) n++ }
      END { print n + 0 }'
}
set -- $(cat "$tmp/focus")
with=$(count_reader_px "$out/interaction-3-zoomed.png" "$2" "$3" 60)
without=$(count_reader_px "$out/interaction-4-no-outlines.png" "$2" "$3" 60)
echo "reader-outline pixels around the nodule: $with with outlines, $without after key C"
grep -q "overlays readers 0" "$tmp/log-final" || { echo "FAIL: key C did not switch outlines off"; fail=1; }
[ "$with" -ge 40 ] && [ "$without" -le 2 ] || { echo "FAIL: key C did not hide the outlines"; fail=1; }
# 6. left drag (+50, +20) px from W400/L40: W600/L120 (4 HU a pixel)
grep -q "window/level 600 120" "$tmp/log-final" || { echo "FAIL: left drag did not set W600/L120"; fail=1; }
# 7. middle drag +40 px: the picture moved right by 40 px (a crop matches the one 40 px left)
same=$(compare -metric AE -fuzz 4% "$out/interaction-5-wl-drag.png[200x150+250+380]" \
  "$out/interaction-6-panned.png[200x150+290+380]" null: 2>&1)
moved=$(compare -metric AE -fuzz 4% "$out/interaction-5-wl-drag.png[200x150+250+380]" \
  "$out/interaction-6-panned.png[200x150+250+380]" null: 2>&1)
echo "middle drag: pixels differing after a 40 px shift $same, without the shift $moved (of 30000)"
awk -v a="$same" -v b="$moved" 'BEGIN { exit !(a < 300 && b > 3000) }' || { echo "FAIL: middle drag did not pan 40 px"; fail=1; }
# 8. double-click on the coronal view maximises it (black margins beside the coronal image where
# the axial view was); M restores the three planes
mb=$(convert "$out/interaction-6-panned.png" -crop 150x200+30+300 +repage -colorspace gray -format "%[fx:mean]" info:)
ma=$(convert "$out/interaction-7-coronal-maximised.png" -crop 150x200+30+300 +repage -colorspace gray -format "%[fx:mean]" info:)
echo "left margin mean grey: three planes $mb, coronal maximised $ma"
grep -q "maximised coronal" "$tmp/log-final" && grep -q "maximised none" "$tmp/log-final" ||
  { echo "FAIL: double-click / Return did not maximise and restore"; fail=1; }
awk -v a="$ma" -v b="$mb" 'BEGIN { exit !(a < 0.03 && b > 0.1) }' || { echo "FAIL: the coronal plane does not fill the view area"; fail=1; }
# 9. a click in the middle of the slice slider: the axial slice near the middle (133 slices)
ks=$(grep crosshair "$tmp/log-final" | tail -1 | awk '{ print $NF }')
echo "slider clicked at its middle: slice k $ks"
awk -v k="$ks" 'BEGIN { exit !(k != "" && k >= 60 && k <= 72) }' || { echo "FAIL: the slice slider did not move the slice"; fail=1; }
# 10. Ctrl+? opens the shortcuts window over the axial view (its plain background where the CT was)
sc=$(convert "$out/interaction-8-shortcuts.png" -crop 400x80+570+550 +repage -colorspace gray -format "%[fx:mean] %[fx:standard_deviation]" info:)
echo "shortcuts window area: mean/stddev $sc"
echo "$sc" | awk '{ exit !($1 > 0.9 && $2 < 0.03) }' || { echo "FAIL: Ctrl+? did not open the shortcuts window"; fail=1; }
exit $fail
