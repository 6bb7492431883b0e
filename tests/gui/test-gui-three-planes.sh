#!/bin/sh
# tests/gui/test-gui-three-planes.sh — starts the real `lungtrust` under Xvfb (x11, llvmpipe)
# on LIDC-IDRI-0001, waits for the study to load, screenshots the screen and checks that the
# axial, coronal and sagittal views show a slice (non-uniform grey: standard deviation and mean
# of the view areas) and that the readers' outlines (their colours) are drawn around the pixel
# where the app's mapping puts nodule 1's centroid (logged), and not in the other lung; opens
# a copy of 41 of its slices plus one truncated file (it loads; the banner says a file was
# skipped and the slices are unevenly spaced); opens a folder with no CT and checks that the app reports it in its
# window and keeps running. Screenshots: $LT_BUILD_ROOT/tests/gui-out/.
# Usage: test-gui-three-planes.sh PATH/TO/lungtrust. Exit 77 (skip) without xvfb-run, import
# or the shared data.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run import convert
lt_gui_require_study
lt_gui_setup three-planes
mkdir "$tmp/empty"
echo "not a dicom file" > "$tmp/empty/readme.txt"

# Runs the app on $1 inside Xvfb, waits for log line $2 (max 90 s), screenshots to $3, and
# writes "alive" to $tmp/alive if the app still runs after the screenshot.
run_app() {
  rm -f "$tmp/alive" "$tmp/log"
  lt_gui_xvfb -c '
    . "$LT_GUI_LIB"
    log="$4/log"
    lt_gui_launch "$0" "$1"
    lt_gui_wait_for "$2" 180
    sleep 3
    import -window root "$3"
    kill -0 $pid 2>/dev/null && echo alive > "$4/alive"
    grep -E "VmRSS|VmHWM" /proc/$pid/status > "$4/rss" 2>/dev/null
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    true' "$app" "$1" "$2" "$3" "$tmp"
  cat "$tmp/log"
}

fail=0
# stats of a crop WxH+X+Y in grey: "stddev mean" in [0, 1]
stats() { convert "$1" -crop "$2" +repage -colorspace gray -format "%[fx:standard_deviation] %[fx:mean]" info:; }
check_view() { # name crop
  s=$(stats "$out/three-planes.png" "$2")
  sd=${s% *}
  mean=${s#* }
  ok=$(awk -v sd="$sd" -v m="$mean" 'BEGIN { print (sd > 0.08 && m > 0.1 && m < 0.9) ? 1 : 0 }')
  echo "$1 view $2: stddev $sd mean $mean"
  [ "$ok" = 1 ] || { echo "FAIL: the $1 view does not show a slice"; fail=1; }
}

run_app "$study" "focus nodule" "$out/three-planes.png"
grep -q "loaded" "$tmp/log" || { echo "FAIL: the study did not load within 90 s"; exit 1; }
grep -q "CRITICAL" "$tmp/log" && { echo "FAIL: GTK criticals in the log"; fail=1; }
echo "memory with LIDC-IDRI-0001 open (512x512x133):" $(cat "$tmp/rss" 2>/dev/null)
# window at the screen's top-left, 1280x800; axial on the left, coronal and sagittal on the right
check_view axial 400x400+200+200
check_view coronal 300x200+900+130
check_view sagittal 300x200+900+500

# reader outline colours (lt_render_opts_default: Okabe-Ito orange, sky blue, green, yellow)
# within 15 mm of the nodule's centroid, and in the same box 120 mm to the patient's right
count_reader_px() { # x y half-size
  convert "$out/three-planes.png" -crop "$(($3 * 2))x$(($3 * 2))+$(($1 - $3))+$(($2 - $3))" +repage txt:- |
    awk -F'[()]' 'NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3];
      if (r > 255) { r /= 257; g /= 257; b /= 257 }
      if ((r-230)^2 + (g-158)^2 + b^2 < 35^2 || (r-87)^2 + (g-181)^2 + (b-232)^2 < 35^2 ||
          r^2 + (g-158)^2 + (b-115)^2 < 35^2 || (r-240)^2 + (g-227)^2 + (b-66)^2 < 35^2) n++ }
      END { print n + 0 }'
}
focus=$(grep "focus nodule" "$tmp/log" | grep -o "window pixel [0-9]* [0-9]*, [0-9.]* px/mm" | head -1)
if [ -z "$focus" ]; then
  echo "FAIL: no nodule focus logged (readings not found?)"
  fail=1
else
  set -- $focus
  fx=$3
  fy=${4%,}
  half=$(awk -v s="$5" 'BEGIN { printf "%d", 15 * s }')
  near=$(count_reader_px "$fx" "$fy" "$half")
  far=$(count_reader_px $((fx - $(awk -v s="$5" 'BEGIN { printf "%d", 120 * s }'))) "$fy" "$half")
  echo "reader-outline pixels within 15 mm of nodule 1 at ($fx, $fy): $near; 120 mm away: $far"
  [ "$near" -ge 40 ] || { echo "FAIL: reader outlines not drawn around the nodule"; fail=1; }
  [ "$far" -le 2 ] || { echo "FAIL: reader colours where there is no nodule"; fail=1; }
fi

# a broken file among good ones: the study still opens, the banner names the skipped file
mkdir "$tmp/broken"
cp "$(find "$study" -name '*.dcm' | sort | head -1)" "$tmp/broken/" 2>/dev/null
find "$study" -name '*.dcm' | sort | tail -n +2 | head -40 | while read -r f; do cp "$f" "$tmp/broken/"; done
head -c 3000 "$(find "$study" -name '*.dcm' | sort | tail -1)" > "$tmp/broken/zz-truncated.dcm"
run_app "$tmp/broken" "loaded" "$out/broken-file.png"
grep -q "loaded" "$tmp/log" || { echo "FAIL: a series with one broken file did not open"; fail=1; }
grep -q "1 file(s) skipped.*zz-truncated.dcm" "$tmp/log" || { echo "FAIL: the broken file was not reported"; fail=1; }
# the 40 slices taken by file name are scattered along the axis: the gaps are reported too
grep -q "unevenly spaced" "$tmp/log" || { echo "FAIL: uneven slice gaps were not reported"; fail=1; }
[ -f "$tmp/alive" ] || { echo "FAIL: the app did not survive a broken file"; fail=1; }

run_app "$tmp/empty" "Could not open" "$out/no-ct-folder.png"
grep -q "Could not open" "$tmp/log" || { echo "FAIL: no error reported for a folder without CT"; fail=1; }
[ -f "$tmp/alive" ] || { echo "FAIL: the app did not survive a folder without CT"; fail=1; }
# the banner (below the header bar) is not the window background: some non-uniform pixels
s=$(stats "$out/no-ct-folder.png" 1200x30+20+55)
echo "banner area: stddev/mean $s"
awk -v s="${s% *}" 'BEGIN { exit !(s > 0.05) }' || { echo "FAIL: no banner drawn"; fail=1; }
exit $fail
