#!/bin/sh
# tests/gui/test-gui-cards.sh — similar-nodule cards in the real `lungtrust` under Xvfb. This
# run's database: the bundled LIDC tables (`lungtrust-cli import-ratings`, ratings only) and the
# demo study imported with its images (`lungtrust-cli import`: thumbnails, series folder); the
# imported nodules are then filed under another pseudonym (sqlite3), so that the demo's own
# nodule 1 comes back as a "historical" case with images (retrieval leaves out the open patient).
# Checks: the cards are drawn in the right column's lower pane (the glyph's blue and vermillion
# bars, and the thumbnail's CT greys in the first card); a ratings-only card says so when
# clicked (no study opened); the card with images opens its case and puts the crosshair on its
# nodule again after the view was moved away.
# Usage: test-gui-cards.sh PATH/TO/lungtrust PATH/TO/lungtrust-cli. Exit 77 without xvfb-run,
# xdotool, import, sqlite3 or the bundled demo. Screenshots: tests/gui-out/cards-*.png.
set -u
app="$1"
cli="$2"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert sqlite3
lt_gui_require_demo
lt_gui_setup cards
"$cli" import-ratings "$src/resources/lidc-ratings" --db "$tmp/history.db" > /dev/null ||
  { echo "FAIL: import-ratings"; exit 1; }
"$cli" import "$demo" --db "$tmp/history.db" || { echo "FAIL: import"; exit 1; }
sqlite3 "$tmp/history.db" "INSERT INTO patients(pseudonym, source) VALUES ('LT-TEST-OTHER', 'test');
  UPDATE nodules SET patient_id = (SELECT id FROM patients WHERE pseudonym = 'LT-TEST-OTHER')
  WHERE source = 'lidc-xml';" || { echo "FAIL: sqlite3"; exit 1; }

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
log="$3/log"
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
lt_gui_wait_for "card 1 "
sleep 1
import -window root "$2/cards-0-shown.png"
set -- "$@" $(grep -o "card 0 (LT-TEST-OTHER, images) at window pixel [0-9]* [0-9]*" "$log" | awk '{ print $8, $9 }')
set -- "$@" $(grep -o "card 1 ([A-Z0-9-]*, ratings only) at window pixel [0-9]* [0-9]*" "$log" | awk '{ print $9, $10 }')
if [ $# -eq 7 ]; then
  xdotool mousemove "$6" "$7" click 1; sleep 1.5
  import -window root "$2/cards-1-ratings-only.png"
  xdotool mousemove 300 300 click 1; sleep 1   # the crosshair away from the nodule
  xdotool mousemove "$4" "$5" click 1
  lt_gui_wait_for "similar nodule's case opened"
  sleep 1.5
  import -window root "$2/cards-2-opened.png"
fi
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "card\|retrieval\|similar\|loaded\|crosshair" "$log" | grep -v "DEBUG.*window/level"
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "retrieval: 5 cards of [0-9]* nodules in [0-9.]* s, nearest LT-TEST-OTHER at 0.000" "$log" ||
  { echo "FAIL: the imported nodule is not the nearest card"; fail=1; }
# drawn: the glyph bars (blue 0,115,179; vermillion 214,94,0) in the lower right pane, and CT
# greys (many grey levels) in the first card's thumbnail
bars() { convert "$out/cards-0-shown.png" -crop 300x330+1290+520 +repage txt:- | awk -F'[()]' '
  NR > 1 { split($2, c, ","); r = c[1]; g = c[2]; b = c[3]; if (r > 255) { r /= 257; g /= 257; b /= 257 }
    if ((r - 0)^2 + (g - 115)^2 + (b - 179)^2 < 20^2) bl++;
    if ((r - 214)^2 + (g - 94)^2 + (b - 0)^2 < 20^2) ve++ } END { print bl + 0, ve + 0 }'; }
set -- $(bars)
echo "card glyph pixels in the lower right pane: blue $1, vermillion $2"
[ "$1" -ge 300 ] && [ "$2" -ge 60 ] || { echo "FAIL: no card glyphs drawn"; fail=1; }
c0=$(grep -o "card 0 (LT-TEST-OTHER, images) at window pixel [0-9]* [0-9]*" "$log" | awk '{ print $8, $9 }')
if [ -n "$c0" ]; then
  set -- $c0
  # the thumbnail: 64x64 at the card's left edge (the card is about 300 px wide)
  g=$(convert "$out/cards-0-shown.png" -crop "60x60+$(($1 - 145))+$(($2 - 30))" +repage -colorspace gray -format "%k %[fx:standard_deviation]" info:)
  echo "first card's thumbnail: distinct colours / grey stddev $g"
  echo "$g" | awk '{ exit !($1 >= 40 && $2 > 0.08) }' || { echo "FAIL: no thumbnail drawn in the card with images"; fail=1; }
else
  echo "FAIL: the card with images was not laid out"; fail=1
fi
grep -q "card 1: [A-Z0-9-]*: ratings only, the database has no images of this nodule to open." "$log" ||
  { echo "FAIL: the ratings-only card did not say so"; fail=1; }
grep -q "card 0: opening $demo at voxel (316.[0-9], 366.[0-9], 89.[0-9])" "$log" ||
  { echo "FAIL: the card with images did not open its case"; fail=1; }
[ "$(grep -c "loaded .*LIDC-IDRI-0001: LIDC-IDRI-0001" "$log")" -eq 2 ] ||
  { echo "FAIL: the case was not loaded again"; fail=1; }
grep -q "similar nodule's case opened at its nodule 1" "$log" || { echo "FAIL: not focused on the nodule"; fail=1; }
last=$(grep "crosshair" "$log" | tail -1 | awk '{ print $(NF-2), $(NF-1), $NF }')
echo "crosshair at the end: $last"
echo "$last" | awk '{ exit !(($1 - 316.25)^2 < 1 && ($2 - 366.69)^2 < 1 && ($3 - 89.6)^2 < 1) }' ||
  { echo "FAIL: the crosshair is not on the card's nodule"; fail=1; }
exit $fail
