#!/bin/sh
# tests/bench/bench-gui-redraw.sh — redraw time inside the real `lungtrust` under Xvfb (llvmpipe)
# on the bundled demo with the bundled model: the axial plane maximised and its GL area resized
# to 1280x800, nodule 1 analysed, a distance measured, then FRAMES slice steps (Up/Down in turn:
# a new slice every frame) with every overlay on (4 readers' outlines and the consensus, the
# model outline, the Grad-CAM heatmap with its box and colour bar, the measurement, crosshair,
# scale bar, letters, text), against its peer measured in the same run: the same steps with the
# overlays off (C, S, G, Esc). The app times each redraw itself (LUNGTRUST_REDRAW_TIMING: the GL
# area's render handler, ended with glFinish). Target: <= 16 ms median with every overlay.
# Not a timed test: prints medians and exits 0.
# Usage: bench-gui-redraw.sh PATH/TO/lungtrust [FRAMES]. Exit 77 without xvfb-run/xdotool/demo.
set -u
app="$1"
frames="${2:-41}"
LT_GUI_LIB=$(cd "$(dirname "$0")/../gui" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool
lt_gui_require_demo
lt_gui_setup bench-redraw
cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 tmp dir, $3 frames
app=$1 dir=$2 frames=$3
log="$dir/log"
steps() { # $1 file: the axial redraws of $frames slice steps
  m=$(grep -c "redraw axial" "$log")
  k=0
  while [ $k -lt "$frames" ]; do
    if [ $((k % 2)) = 0 ]; then xdotool key Up; else xdotool key Down; fi
    sleep 0.15
    k=$((k + 1))
  done
  sleep 1
  grep "redraw axial" "$log" | tail -n +$((m + 1)) > "$1"
}
lt_gui_launch LUNGTRUST_REDRAW_TIMING=1 "$app"
lt_gui_wait_for "retrieval: " 240
lt_gui_wait_for "focus nodule" 240
sleep 2
set -- $(grep "focus nodule" "$log" | grep -o "window pixel [0-9]* [0-9]*" | head -1)
fx=$3; fy=$4
# maximise the axial plane with the crosshair on the nodule, analyse it, measure beside it
xdotool mousemove "$fx" "$fy" click --repeat 2 --delay 80 1; sleep 2
xdotool key a
lt_gui_wait_for "analysis result" 240
sleep 1
xdotool key m; sleep 0.3
xdotool mousemove $((fx - 60)) $((fy - 40)) click 1; sleep 0.3
xdotool mousemove $((fx + 60)) $((fy + 50)) click 1; sleep 1
# the GL area to 1280x800: grow the window by what it lacks
set -- $(grep -o "redraw axial [0-9]*x[0-9]*" "$log" | tail -1 | sed 's/.* \([0-9]*\)x\([0-9]*\)/\1 \2/')
aw=$1; ah=$2
win=$(xdotool search --onlyvisible --pid "$pid" 2>/dev/null | head -1)
[ -n "$win" ] || win=$(xdotool getmouselocation --shell | sed -n 's/^WINDOW=//p')
set -- $(xdotool getwindowgeometry "$win" | sed -n 's/.*Geometry: \([0-9]*\)x\([0-9]*\)/\1 \2/p')
xdotool windowsize "$win" $(($1 + 1280 - aw)) $(($2 + 800 - ah)); sleep 2
xdotool mousemove 5 5; sleep 0.5
command -v import >/dev/null 2>&1 && import -window root "$dir/on.png"
steps "$dir/on"
xdotool key c; sleep 0.3; xdotool key s; sleep 0.3; xdotool key g; sleep 0.3
xdotool key Escape; sleep 1
command -v import >/dev/null 2>&1 && import -window root "$dir/off.png"
steps "$dir/off"
cat /proc/loadavg > "$dir/load"
kill $pid; wait $pid 2>/dev/null
true
DRIVE
load0=$(cat /proc/loadavg)
lt_gui_xvfb 1920x1080 "$tmp/drive.sh" "$app" "$tmp" "$frames"
grep "model:\|analysis result:" "$tmp/log" | cut -c1-160
out="${LT_BUILD_ROOT:-.}/tests/gui-out"
mkdir -p "$out" && cp "$tmp"/on.png "$out/bench-redraw-on.png" 2>/dev/null &&
  cp "$tmp"/off.png "$out/bench-redraw-off.png" 2>/dev/null &&
  echo "screenshots: $out/bench-redraw-on.png, bench-redraw-off.png"
med() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { sed -n 's/.*: \([0-9.]*\) ms$/\1/p' "$1"; }
on=$(ms "$tmp/on" | med)
off=$(ms "$tmp/off" | med)
size=$(grep -o "redraw axial [0-9]*x[0-9]*" "$tmp/on" | sort | uniq -c | sort -rn | head -1 | awk '{ print $4 }')
echo "GUI redraw of the axial slice (llvmpipe under Xvfb), GL area $size, a new slice each frame, medians:"
echo "  every overlay on   $on ms over $(wc -l < "$tmp/on") redraws   target <= 16 ms: $(awk -v s="$on" 'BEGIN { print (s + 0 <= 16 && s != "nan") ? "met" : "NOT met" }')"
echo "  overlays off       $off ms over $(wc -l < "$tmp/off") redraws   on / off = $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }')"
echo "  load average before: $load0; at the end: $(cat "$tmp/load")"
