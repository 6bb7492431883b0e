#!/bin/sh
# tests/gui/test-gui-panels.sh — the real `lungtrust` under Xvfb with no argument opens the
# bundled demo study (resources/demo); the nodule list has LIDC-IDRI-0001's 4 nodules and the
# result panel nodule 1 with its readers' ratings; A on a point outside the body goes through
# the review pipeline on the engine thread and, with a model, comes back out of scope with its
# reason (the probability struck, "not a verdict", the scope in red in the right column);
# without one, it says plainly that no model is loaded; Tab / Shift+Tab step through the
# nodules; the similar-nodule cards come from the LIDC tables imported on first start; the study
# and key C are remembered (GSettings, key file). Then a second run under LANGUAGE=fr: the
# window's template text and the scope decision built in the window (or the engine-thread
# refusal without a model) are in French, the outlines off.
# Screenshots in $LT_BUILD_ROOT/tests/gui-out/panels-*.png.
# Usage: test-gui-panels.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool or import.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_demo
lt_gui_setup panels
has_model=0
ls "$src"/resources/models/*.safetensors >/dev/null 2>&1 && has_model=1

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir, $4 tag (en|fr)
log="$3/log-$4"
# waits until N analyses have ended (job ids are shared with the database jobs)
wait_analyses() { lt_gui_wait_for "analysis [0-9]* [a-z]*: " 120 "$1"; }
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
sleep 1.5
import -window root "$2/panels-$4-0-demo.png"
xdotool mousemove 300 120 click 1; sleep 0.5
xdotool key a
wait_analyses 1
sleep 1
import -window root "$2/panels-$4-1-outside.png"
if [ "$4" = en ]; then
  xdotool key Tab; sleep 0.5
  xdotool key shift+Tab; sleep 0.5
  xdotool key a
  wait_analyses 2
  sleep 1
  import -window root "$2/panels-$4-2-nodule.png"
  xdotool key c; sleep 1 # readers' outlines off: remembered for the next run
fi
lt_gui_stop "$3/alive-$4"
DRIVE

fail=0
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" en
log="$tmp/log-en"
grep -v "status:\|DEBUG" "$log" | tail -12
grep -q "loaded .*resources/demo/LIDC-IDRI-0001: LIDC-IDRI-0001, 133 slices" "$log" ||
  { echo "FAIL: the bundled demo study did not open by default"; exit 1; }
[ -f "$tmp/alive-en" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "CRITICAL" "$log" && { echo "FAIL: GTK criticals in the log"; fail=1; }
grep -q "nodule 1 selected: voxel (316\.[0-9], 366\.[0-9], 89\.[0-9])" "$log" ||
  { echo "FAIL: nodule 1 not selected at its centroid"; fail=1; }
# the right column (x >= 1290) is drawn: text on a plain background
s=$(convert "$out/panels-en-0-demo.png" -crop 300x600+1290+100 +repage -colorspace gray -format "%[fx:standard_deviation] %[fx:mean]" info:)
echo "right column: stddev/mean $s"
echo "$s" | awk '{ exit !($1 > 0.05 && $2 > 0.5) }' || { echo "FAIL: the right column is empty"; fail=1; }
# the bundled LIDC tables imported into this run's database through the engine thread, and
# 5 similar-nodule cards for nodule 1 from other patients
grep -q "historical database: LIDC tables imported into .*history.db: [0-9]* nodules" "$log" ||
  { echo "FAIL: the LIDC tables were not imported on first start"; fail=1; }
r=$(grep -o "retrieval: [0-9]* cards of [0-9]* nodules in [0-9.]* s, nearest [A-Z0-9-]* at [0-9.]*" "$log" | head -1)
echo "$r"
echo "$r" | awk '{ exit !($2 == 5 && $5 >= 2000 && $11 != "LIDC-IDRI-0001" && $13 >= 0) }' ||
  { echo "FAIL: no retrieval cards for nodule 1"; fail=1; }
# A outside the body: analysed by the review pipeline and put out of scope (lung mask), never a
# plain verdict; the scope's red words drawn in the right column
if [ $has_model = 1 ]; then
  grep -q "analysis result: .*scope out_of_scope ([a-z_,]*outside_lungs[a-z_,]*); for point" "$log" ||
    { echo "FAIL: a point outside the lungs was not analysed out of scope"; fail=1; }
  grep "result panel shows \[Point " "$log" | tail -1 |
    grep -q "not a verdict | .* | Out of scope: the model's numbers are not a verdict • Outside the lungs" ||
    { echo "FAIL: the panel did not show the point out of scope with its reason"; fail=1; }
  red=$(convert "$out/panels-en-1-outside.png" -crop 300x600+1290+60 +repage txt:- | awk -F'[()]' 'NR > 1 {
    split($2, c, ","); r = c[1]; g = c[2]; if (r > 255) { r /= 257; g /= 257 } if (r - g > 60) n++ } END { print n + 0 }')
  echo "red-dominant pixels in the right column (the out-of-scope words): $red"
  [ "$red" -ge 50 ] || { echo "FAIL: no out-of-scope drawn in the result panel"; fail=1; }
else
  grep -q "analysis [0-9]* failed: No model is loaded" "$log" ||
    { echo "FAIL: A outside the lungs without a model did not say so"; fail=1; }
fi
# Tab then Shift+Tab: nodule 2, then back to nodule 1
sel=$(grep -o "nodule [0-9]* selected" "$log" | awk '{ print $2 }' | tr '\n' ' ')
echo "selections: $sel"
[ "$sel" = "1 2 1 " ] || { echo "FAIL: Tab / Shift+Tab did not step 1 -> 2 -> 1"; fail=1; }
grep -q "analyse here: voxel (316, 367, 90)" "$log" || { echo "FAIL: A did not analyse nodule 1's voxel"; fail=1; }
if [ $has_model = 0 ]; then
  grep -q "model: none" "$log" || { echo "FAIL: the window did not report the missing model"; fail=1; }
  grep -q "analysis [0-9]* failed: No model is loaded" "$log" ||
    { echo "FAIL: A on a nodule without a model did not say so"; fail=1; }
fi

# preferences: the demo study is the recent study, the outlines switch is remembered
kf="$tmp/config/glib-2.0/settings/keyfile"
grep -q "recent-studies=\['.*resources/demo/LIDC-IDRI-0001'\]" "$kf" ||
  { echo "FAIL: the demo study is not in recent-studies ($(cat "$kf" 2>/dev/null))"; fail=1; }
grep -q "show-readers=false" "$kf" || { echo "FAIL: key C was not remembered"; fail=1; }

# French (same preferences: the outlines start switched off)
LANGUAGE=fr LANG=C.UTF-8 LC_ALL= LUNGTRUST_LOCALEDIR="${LT_BUILD_ROOT:-.}/po" \
  lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" fr
log="$tmp/log-fr"
grep "study label\|analysis [0-9]\|result panel shows \[Point" "$log"
grep -q "study label: Aucun examen" "$log" || { echo "FAIL: the window template is not in French"; fail=1; }
if [ $has_model = 1 ]; then
  grep "result panel shows \[Point " "$log" | tail -1 | grep -q "Hors du champ.*En dehors des poumons" ||
    { echo "FAIL: the scope decision is not in French"; fail=1; }
else
  grep -q "analysis [0-9]* failed: Aucun modèle n'est chargé" "$log" ||
    { echo "FAIL: the engine-thread message is not in French"; fail=1; }
fi
[ -f "$tmp/alive-fr" ] || { echo "FAIL: the app died in French"; fail=1; }
grep -q "overlays readers 0" "$log" || { echo "FAIL: the second run did not restore the outlines switch"; fail=1; }
exit $fail
