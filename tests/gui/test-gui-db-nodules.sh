#!/bin/sh
# tests/gui/test-gui-db-nodules.sh — the nodule list shows the local database's nodules of the
# open series beside the readings': the bundled demo study imported into this run's database by
# `lungtrust-cli import`, one model run stored on nodule 1 by `lungtrust-cli analyze --db` (with
# an untrained test model), and one nodule another tool put in the database for the same series
# (a 'user' row at voxel (200, 300, 60), 8.5 mm, written with sqlite3). The real `lungtrust`
# under Xvfb reads them on the engine thread: the 4 reading nodules are matched (nodule 1 with its
# model run), the user nodule is added as a fifth row (the list grows on screen), and Tab to it
# moves the crosshair to its voxel.
# Usage: test-gui-db-nodules.sh PATH/TO/lungtrust PATH/TO/lungtrust-cli PATH/TO/make-test-model.
# Exit 77 without xvfb-run, xdotool, import, sqlite3 or the bundled demo.
set -u
app="$1"
cli="$2"
mk="$3"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert sqlite3
lt_gui_require_demo
lt_gui_setup db-nodules
"$mk" "$tmp/untrained.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/untrained.safetensors"
"$cli" import "$demo" --db "$tmp/history.db" || { echo "FAIL: import"; exit 1; }
"$cli" analyze "$demo" --nodule 1 --model "$tmp/untrained.safetensors" --db "$tmp/history.db" \
  > /dev/null || { echo "FAIL: analyze --db"; exit 1; }
sqlite3 "$tmp/history.db" "INSERT INTO nodules(patient_id, study_id, series_id, source, source_key,
  col, row, slice, diameter_mm) SELECT patient_id, study_id, series_id, 'user', 'gui-test-1', 200,
  300, 60, 8.5 FROM nodules WHERE source = 'lidc-xml' LIMIT 1;" || { echo "FAIL: sqlite3"; exit 1; }
uid=$(sqlite3 "$tmp/history.db" "SELECT id FROM nodules WHERE source = 'user'")

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
log="$3/log"
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
lt_gui_wait_for "database: "
sleep 1.5
import -window root "$2/db-nodules-0-list.png"
xdotool mousemove 500 400 click 1; sleep 0.5
xdotool key Tab; sleep 0.3; xdotool key Tab; sleep 0.3; xdotool key Tab; sleep 0.3
xdotool key Tab; sleep 1.5
import -window root "$2/db-nodules-1-user-row.png"
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "database\|selected" "$log" | grep -v DEBUG
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "database: 5 nodule(s) of this series: 4 matched the readings, 1 added" "$log" ||
  { echo "FAIL: the database's nodules were not read / matched"; fail=1; }
grep -q "nodule 1 in the database (id [0-9]*, lidc-xml): 1 model run(s)" "$log" ||
  { echo "FAIL: nodule 1's stored model run is not shown"; fail=1; }
grep -q "nodule D$uid in the database (id $uid, user): 0 model run(s)" "$log" ||
  { echo "FAIL: the user nodule was not added"; fail=1; }
grep -q "nodule D$uid selected: voxel (200.0, 300.0, 60.0)" "$log" ||
  { echo "FAIL: Tab did not reach the database nodule"; fail=1; }
grep -q "crosshair 200.00 300.00 60.00" "$log" || { echo "FAIL: the crosshair did not move to it"; fail=1; }
# on screen: the selected (blue) row after four Tabs is the fifth, below the four readings' rows
# (each two lines high now): blue pixels in the band y 255..285 of the right column, none there
# before the Tabs (nodule 1 selected at the top)
blue() { convert "$1" -crop 280x30+1295+255 +repage txt:- | awk -F'[()]' 'NR > 1 {
  split($2, c, ","); r = c[1]; g = c[2]; b = c[3]; if (r > 255) { r /= 257; g /= 257; b /= 257 }
  if (b > 180 && r < 100 && g > 100 && g < 160) n++ } END { print n + 0 }'; }
b0=$(blue "$out/db-nodules-0-list.png")
b1=$(blue "$out/db-nodules-1-user-row.png")
echo "selected-row blue in the fifth row's band: before the Tabs $b0, after $b1 (of 8400)"
[ "$b0" -le 100 ] && [ "$b1" -ge 4000 ] || { echo "FAIL: no fifth row selected on screen"; fail=1; }
exit $fail
