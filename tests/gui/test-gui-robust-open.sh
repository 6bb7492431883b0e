#!/bin/sh
# tests/gui/test-gui-robust-open.sh — opening studies never freezes or crashes the real
# `lungtrust` under Xvfb, and errors show in the window.
# 1. A second study opened while an analysis runs: A on the demo's nodule 1 (the bundled model)
#    and at once the main menu's recent study (F10, Up, Return: a one-slice CT from
#    ../shared/data/dicom/pydicom/CT_small.dcm). The second study loads; the first job either
#    ended before it did or is dropped ("superseded"/"cancelled"): no analysis result is shown
#    after the second study loaded, and no model overlay (red) is drawn on it. The window still
#    answers (a key after it changes the window/level).
# 2. A folder of the demo's slices with three broken DICOM files among them (MR_truncated.dcm,
#    no_meta.dcm, badVR.dcm from ../shared/data/dicom/pydicom): the 133 good slices load, and
#    the banner says 3 files were skipped (drawn: the banner strip is not plain).
# 3. A folder with no CT (MR_small.dcm, rtdose.dcm): the banner says so; the window stays.
# Usage: test-gui-robust-open.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool, import,
# the shared data or a bundled model. Screenshots: tests/gui-out/robust-*.png.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert
lt_gui_require_demo
py="${LT_SHARED_DATA:-}/dicom/pydicom"
[ -f "$py/CT_small.dcm" ] || { echo "SKIP: shared data absent ($py)"; exit 77; }
ls "$src"/resources/models/*.safetensors > /dev/null 2>&1 || { echo "SKIP: no bundled model"; exit 77; }
lt_gui_setup robust-open
mkdir -p "$tmp/small" "$tmp/mixed" "$tmp/noct" "$tmp/config/glib-2.0/settings"
cp "$py/CT_small.dcm" "$tmp/small/"
for f in "$demo"/*; do ln -s "$f" "$tmp/mixed/"; done
cp "$py/MR_truncated.dcm" "$py/no_meta.dcm" "$py/badVR.dcm" "$tmp/mixed/"
cp "$py/MR_small.dcm" "$py/rtdose.dcm" "$tmp/noct/"
printf "[org/lungtrust/LungTrust]\nrecent-studies=['%s']\n" "$tmp/small" > "$tmp/config/glib-2.0/settings/keyfile"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# $1 app, $2 out, $3 tmp, $4 tag, $5 study (or "")
log="$3/log-robust-$4"
# one database per run: a run killed during its first-start import must not affect the next
lt_gui_launch LUNGTRUST_DB="$3/history-$4.db" "$1" $5
if [ "$4" = second ]; then
  lt_gui_wait_for "about-model button at"
  sleep 1
  xdotool key --delay 120 a F10 Up Return
  lt_gui_wait_for "loaded $3/small"
  sleep 3
  import -window root "$2/robust-second.png"
  xdotool mousemove 400 400 click 1 key 3; sleep 1.5
else
  lt_gui_wait_for "loaded \|Could not open"
  sleep 2
  import -window root "$2/robust-$4.png"
fi
lt_gui_stop "$3/alive-$4"
DRIVE
fail=0
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" second ""
log="$tmp/log-robust-second"
grep "analys\|loaded\|superseded\|window/level 2000" "$log" | grep -v "status:"
[ -f "$tmp/alive-second" ] || { echo "FAIL: the app died or froze"; fail=1; }
grep -q "CRITICAL" "$log" && { echo "FAIL: criticals in the log"; fail=1; }
grep -q "analyse here: voxel (316, 367, 90)" "$log" || { echo "FAIL: no analysis was started"; fail=1; }
grep -q "loaded $tmp/small: .*1 slices" "$log" || { echo "FAIL: the second study did not load"; fail=1; }
after=$(sed -n "\|loaded $tmp/small|,\$p" "$log")
if echo "$after" | grep -q "analysis result:"; then
  echo "FAIL: the first study's analysis was shown on the second"; fail=1
fi
if echo "$after" | grep -q "superseded\|analysis [0-9]* cancelled"; then
  echo "the analysis was still running when the second study loaded: it was dropped"
else
  echo "the analysis ended before the second study loaded (its result was replaced)"
fi
grep -q "window/level 2000 500" "$log" || { echo "FAIL: the window did not answer a key after the switch"; fail=1; }
red=$(convert "$out/robust-second.png" -crop 700x600+20+70 +repage txt:- | awk -F'[()]' 'NR > 1 {
  split($2, c, ","); r = c[1]; g = c[2]; if (r > 255) { r /= 257; g /= 257 } if (r - g > 60) n++ } END { print n + 0 }')
echo "red-dominant pixels in the second study's axial view: $red"
[ "$red" -le 5 ] || { echo "FAIL: an overlay of the first study is drawn on the second"; fail=1; }

lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" mixed "$tmp/mixed"
log="$tmp/log-robust-mixed"
grep "loaded\|skipped\|WARNING" "$log" | grep -v "status:\|session bus"
[ -f "$tmp/alive-mixed" ] || { echo "FAIL: the app died on the broken files"; fail=1; }
grep -q "loaded $tmp/mixed: LIDC-IDRI-0001, 133 slices" "$log" || { echo "FAIL: the good slices did not load"; fail=1; }
grep -q "3 file(s) beside the LIDC readings (XML) are not readable DICOM images and were skipped" "$log" ||
  { echo "FAIL: the broken files were not reported"; fail=1; }
b=$(convert "$out/robust-mixed.png" -crop 1200x30+20+55 +repage -colorspace gray -format "%[fx:standard_deviation]" info:)
echo "banner strip stddev: $b"
awk -v s="$b" 'BEGIN { exit !(s > 0.05) }' || { echo "FAIL: no banner drawn"; fail=1; }

lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" noct "$tmp/noct"
log="$tmp/log-robust-noct"
grep "Could not open" "$log" | head -1
[ -f "$tmp/alive-noct" ] || { echo "FAIL: the app died on a folder without CT"; fail=1; }
grep -q "Could not open $tmp/noct: .*no CT series" "$log" || { echo "FAIL: no CT not reported"; fail=1; }
b=$(convert "$out/robust-noct.png" -crop 1200x30+20+55 +repage -colorspace gray -format "%[fx:standard_deviation]" info:)
echo "banner strip stddev: $b"
awk -v s="$b" 'BEGIN { exit !(s > 0.05) }' || { echo "FAIL: no banner drawn"; fail=1; }
exit $fail
