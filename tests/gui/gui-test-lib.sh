# tests/gui/gui-test-lib.sh — what the GUI tests and GUI benchmarks share, sourced by each as
#   LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh; . "$LT_GUI_LIB"
# (an absolute path: drive scripts source it again from their own folder). Skipping when a tool or the data is missing, a private
# temporary home for the app's state, running a drive script under Xvfb, and, inside that
# script, starting the app with a log and waiting for a line in it. It starts no app by itself
# and checks nothing: every test keeps its own steps and assertions.
#
# In the test script:
#   lt_gui_require TOOL...     exit 77 (a skip, said on stdout) unless every TOOL is on PATH
#   lt_gui_require_demo        exit 77 without the bundled demo study; sets src (absolute) and demo
#   lt_gui_require_study       exit 77 without ../shared's LIDC-IDRI-0001; sets study
#   lt_gui_setup NAME          out (BUILD/tests/gui-out), tmp (removed at exit, after $tmp/log is
#                              kept as $out/log-NAME and $tmp/log-* under their own names); the
#                              app's state stays in tmp: LUNGTRUST_DB, GSettings keyfile
#                              (XDG_CONFIG_HOME), XDG_DATA_HOME; exports LT_GUI_LIB
#   lt_gui_xvfb [WxH] SCRIPT ARGS...   sh SCRIPT ARGS on a fresh Xvfb screen (1600x860 by default)
# In a drive script (". "$LT_GUI_LIB""), with log set to the app's log file:
#   lt_gui_launch [VAR=VALUE...] APP ARGS...   starts APP in the background with the software-GL,
#                              X11, debug-log environment, its output in $log; sets pid
#   lt_gui_wait_for PATTERN [TRIES] [COUNT]    polls $log every 0.5 s (TRIES, 120) until PATTERN
#                              is on COUNT (1) lines
#   lt_gui_stop ALIVE_FILE     writes "alive" to ALIVE_FILE when the app still runs (so the test
#                              can tell a crash from a clean run), then stops it and waits

lt_gui_require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
  done
}

lt_gui_require_demo() {
  src=$(cd "${LT_SOURCE_ROOT:-.}" && pwd)
  demo="$src/resources/demo/LIDC-IDRI-0001"
  [ -d "$demo" ] || { echo "SKIP: no bundled demo study"; exit 77; }
}

lt_gui_require_study() {
  study="${LT_SHARED_DATA:-}/lidc/LIDC-IDRI-0001"
  [ -d "$study" ] || { echo "SKIP: shared data absent ($study)"; exit 77; }
}

lt_gui_setup() {
  out="${LT_BUILD_ROOT:-.}/tests/gui-out"
  mkdir -p "$out"
  tmp=$(mktemp -d)
  lt_gui_name=$1
  trap 'cp "$tmp"/log "$out/log-$lt_gui_name" 2>/dev/null; cp "$tmp"/log-* "$out"/ 2>/dev/null;
    rm -rf "$tmp"' EXIT
  export LUNGTRUST_DB="$tmp/history.db" GSETTINGS_BACKEND=keyfile XDG_CONFIG_HOME="$tmp/config" \
    XDG_DATA_HOME="$tmp/data"
  export LT_GUI_LIB
}

lt_gui_xvfb() {
  size=1600x860
  case $1 in [0-9]*x[0-9]*) size=$1; shift ;; esac
  xvfb-run -a -s "-screen 0 ${size}x24" sh "$@"
}

lt_gui_launch() {
  env G_MESSAGES_DEBUG=lungtrust GDK_BACKEND=x11 LIBGL_ALWAYS_SOFTWARE=1 GSK_RENDERER=cairo \
    NO_AT_BRIDGE=1 "$@" > "$log" 2>&1 &
  pid=$!
}

lt_gui_wait_for() {
  lt_i=0
  # The launched app may not have opened its log yet on a busy machine: no file counts as no
  # line (grep -c prints nothing then, and an empty count would end the wait at once).
  while [ $lt_i -lt "${2:-120}" ]; do
    lt_n=$(grep -c "$1" "$log" 2>/dev/null)
    [ "${lt_n:-0}" -lt "${3:-1}" ] || break
    sleep 0.5
    lt_i=$((lt_i + 1))
  done
}

lt_gui_stop() {
  kill -0 $pid 2>/dev/null && echo alive > "$1"
  kill $pid
  wait $pid 2>/dev/null
  true
}
