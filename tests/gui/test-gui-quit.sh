#!/bin/sh
# tests/gui/test-gui-quit.sh — Ctrl+Q quits the real `lungtrust` cleanly under Xvfb after real
# work (the demo study loaded, the LIDC tables imported, an analysis with the bundled model and
# a retrieval on the engine thread): the process exits by itself within 20 s with status 0 (the
# window is disposed, the engine thread joined). In a sanitizer build (-Db_sanitize=address)
# LeakSanitizer then checks the whole run at exit: no leak is reported beyond fontconfig's cache
# (tests/gui/lsan.supp), and no ASan/UBSan error.
# Usage: test-gui-quit.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, xdotool or the demo.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool
lt_gui_require_demo
lt_gui_setup quit
export LSAN_OPTIONS="suppressions=$src/tests/gui/lsan.supp:print_suppressions=0"
cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
log="$2/log"
lt_gui_launch "$1"
lt_gui_wait_for "retrieval: " 240
sleep 1
xdotool key a
lt_gui_wait_for "analysis [0-9]* [a-z]*: " 240
sleep 1
xdotool key ctrl+q
i=0; while [ $i -lt 40 ] && kill -0 $pid 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
  echo "still running" > "$2/hung"; kill -9 $pid
fi
wait $pid; echo $? > "$2/rc"
true
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$tmp"
grep "analysis result\|retrieval:\|SUMMARY\|runtime error" "$tmp/log"
fail=0
[ -f "$tmp/hung" ] && { echo "FAIL: Ctrl+Q did not quit within 20 s"; fail=1; }
grep -q "analysis result: probability\|analysis [0-9]* failed: No model" "$tmp/log" ||
  { echo "FAIL: no analysis ran before quitting"; fail=1; }
rc=$(cat "$tmp/rc" 2>/dev/null)
echo "exit status after Ctrl+Q: $rc"
[ "$rc" = 0 ] || { echo "FAIL: exit status $rc"; fail=1; }
grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$tmp/log" &&
  { echo "FAIL: sanitizer report (tests/gui-out/log-quit)"; fail=1; }
exit $fail
