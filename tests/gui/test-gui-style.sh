#!/bin/sh
# tests/gui/test-gui-style.sh — light and dark styles of the real `lungtrust` under Xvfb on the
# bundled demo study. The preference style='dark' (key file) starts the app dark: the right
# column's background is dark (mean grey < 0.35) where the default ('system': Xvfb has no dark
# preference) is light (> 0.75); the main menu (F10, Style, Light) switches to light at once and
# remembers style='light'. In every style the axial slice view is drawn the same (the GL view
# does not follow the theme: pixels of its CT and HUD text differ by less than 1% between the
# light and the dark screenshot, also right after the switch), and its HUD text (white with a
# dark shadow) is there.
# Usage: test-gui-style.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool, import or the
# bundled demo. Screenshots: tests/gui-out/style-{system,dark,light}.png.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import convert compare
lt_gui_require_demo
lt_gui_setup style
kf="$tmp/config/glib-2.0/settings/keyfile"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# $1 app, $2 out, $3 tmp, $4 tag
log="$3/log-style-$4"
lt_gui_launch LUNGTRUST_DB="$3/history-$4.db" "$1"
lt_gui_wait_for "focus nodule"
lt_gui_wait_for "retrieval: "
sleep 2
import -window root "$2/style-$4.png"
if [ "$4" = dark ]; then # the menu: F10, Style, Light
  xdotool key F10; sleep 1; xdotool key s; sleep 1; xdotool key l; sleep 2
  import -window root "$2/style-light.png"
fi
lt_gui_stop "$3/alive-$4"
DRIVE
fail=0
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" system
mkdir -p "$(dirname "$kf")"
printf "[org/lungtrust/LungTrust]\nstyle='dark'\n" > "$kf"
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp" dark
grep -h "style:" "$tmp"/log-style-*
[ -f "$tmp/alive-system" ] && [ -f "$tmp/alive-dark" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "style: system (dark 0)" "$tmp/log-style-system" || { echo "FAIL: default style not 'system'"; fail=1; }
grep -q "style: dark (dark 1)" "$tmp/log-style-dark" || { echo "FAIL: style='dark' not applied"; fail=1; }
grep -q "style: light (dark 0)" "$tmp/log-style-dark" || { echo "FAIL: the menu did not switch to light"; fail=1; }
grep -q "style='light'" "$kf" || { echo "FAIL: the light style was not remembered ($(cat "$kf"))"; fail=1; }
# the right column's plain background (below the overlay switches) and the header bar
bg() { convert "$1" -crop 60x40+1520+380 +repage -colorspace gray -format "%[fx:mean]" info:; }
s=$(bg "$out/style-system.png"); d=$(bg "$out/style-dark.png"); l=$(bg "$out/style-light.png")
echo "right column background mean grey: system $s, dark $d, after the menu's Light $l"
awk -v s="$s" -v d="$d" -v l="$l" 'BEGIN { exit !(s > 0.75 && d < 0.35 && l > 0.75) }' ||
  { echo "FAIL: the styles do not change the window's colours"; fail=1; }
# the axial view: the same pixels in both styles; its HUD text is drawn
ae=$(compare -metric AE -fuzz 3% "$out/style-dark.png[700x600+20+70]" "$out/style-light.png[700x600+20+70]" null: 2>&1)
echo "axial view pixels differing between dark and light: $ae of 420000"
awk -v a="$ae" 'BEGIN { exit !(a < 4200) }' || { echo "FAIL: the slice view changed with the style"; fail=1; }
for t in dark light; do
  w=$(convert "$out/style-$t.png" -crop 160x40+10+60 +repage txt:- | awk -F'[()]' 'NR > 1 {
    split($2, c, ","); r = c[1]; if (r > 255) r /= 257; if (r > 220) n++ } END { print n + 0 }')
  echo "HUD text pixels (slice number, W/L) in the $t style: $w"
  [ "$w" -ge 100 ] || { echo "FAIL: no HUD text in the $t style"; fail=1; }
done
exit $fail
