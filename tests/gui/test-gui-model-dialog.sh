#!/bin/sh
# tests/gui/test-gui-model-dialog.sh — "About the Model" in the real `lungtrust` under Xvfb.
# 1. With the bundled model (resources/models: a .safetensors and its README.md card): the main
#    menu (F10, M) opens the dialog; its card is the README.md beside the weights (as many lines
#    as the file), the weights file is described (its format and tensor count in the log), and
#    the "Not for clinical use" line is drawn in the error colour (red pixels in the dialog).
#    Escape closes it; the result panel's About… button opens it again.
# 2. With an untrained test model that has no card beside it (LUNGTRUST_MODEL in a temporary
#    folder) and the French translation: the dialog says there is no card, still describes the
#    weights file, and the warning is in French ("Pas pour un usage clinique").
# Usage: test-gui-model-dialog.sh PATH/TO/lungtrust PATH/TO/make-test-model. Exit 77 without
# xvfb-run, xdotool, import or a bundled model. Screenshots: tests/gui-out/model-dialog-*.png.
set -u
app="$1"
mk="$2"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
src=$(cd "${LT_SOURCE_ROOT:-.}" && pwd)
model=$(ls "$src"/resources/models/*.safetensors 2>/dev/null | head -1)
[ -n "$model" ] && [ -f "$src/resources/models/README.md" ] || { echo "SKIP: no bundled model with a card"; exit 77; }
lt_gui_setup model-dialog
"$mk" "$tmp/untrained.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# $1 app, $2 out, $3 tmp, $4 tag
log="$3/log-model-$4"
lt_gui_launch LUNGTRUST_DB="$3/history-$4.db" "$1"
lt_gui_wait_for "about-model button at"
sleep 1
xdotool key F10; sleep 1; xdotool key m
lt_gui_wait_for "model dialog: .*warning"
sleep 1.5
import -window root "$2/model-dialog-$4-menu.png"
if [ "$4" = en ]; then
  xdotool key Escape; sleep 1.5
  import -window root "$2/model-dialog-$4-closed.png"
  set -- "$@" $(grep -o "about-model button at window pixel [0-9]* [0-9]*" "$log" | tail -1 | awk '{ print $6, $7 }')
  xdotool mousemove "$5" "$6" click 1
  lt_gui_wait_for "model dialog: .*warning" 120 2
  sleep 1
fi
lt_gui_stop "$3/alive-$4"
DRIVE
fail=0
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" en
log="$tmp/log-model-en"
grep "model dialog\|about-model" "$log"
[ -f "$tmp/alive-en" ] || { echo "FAIL: the app died"; fail=1; }
lines=$(wc -l < "$src/resources/models/README.md")
grep -q "model dialog: $model; card read ($lines lines); weights file described; warning \"Not for clinical use." "$log" ||
  { echo "FAIL: the dialog did not show the bundled model's card ($lines lines) and metadata"; fail=1; }
grep -q "model dialog: weights file says: File: $model|Format: lungtrust-weights-2|Parameters: [0-9]* tensors" "$log" ||
  { echo "FAIL: the weights file's metadata is not shown"; fail=1; }
[ "$(grep -c "model dialog: .*warning" "$log")" -eq 2 ] || { echo "FAIL: the result panel's About… did not open it"; fail=1; }
red() { convert "$1" -crop 760x60+0+0 +repage txt:- | awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
  if (r > 255) { r /= 257; g /= 257; b /= 257 } if (r > 150 && g < 80 && b < 80) n++ } END { print n + 0 }'; }
r1=$(red "$out/model-dialog-en-menu.png")
r0=$(red "$out/model-dialog-en-closed.png")
echo "error-coloured (red) pixels: dialog open $r1, closed $r0"
[ "$r1" -ge $((r0 + 300)) ] || { echo "FAIL: no 'Not for clinical use' line drawn"; fail=1; }

LUNGTRUST_MODEL="$tmp/untrained.safetensors" LANGUAGE=fr LANG=C.UTF-8 LC_ALL= \
  LUNGTRUST_LOCALEDIR="${LT_BUILD_ROOT:-.}/po" \
  lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" fr
log="$tmp/log-model-fr"
grep "model dialog" "$log"
[ -f "$tmp/alive-fr" ] || { echo "FAIL: the app died (fr)"; fail=1; }
grep -q "model dialog: $tmp/untrained.safetensors; card missing ([0-9]* lines); weights file described; warning \"Pas pour un usage clinique" "$log" ||
  { echo "FAIL: a model without a card: not said, or not in French"; fail=1; }
exit $fail
