#!/bin/sh
# tests/locale/test-gui-locale.sh — the workstation under LC_ALL=fr_FR.UTF-8 (a comma as decimal
# separator, generated here with localedef into a LOCPATH of our own; the app calls
# setlocale(LC_ALL, "")) opens the bundled demo study with its readers' 4 nodules (nodule 1
# selected), imports the LIDC tables on first start and shows similar-nodule cards for nodule 1:
# issue 29's "0 nodules" and "no similar nodules" under a French desktop.
# Usage: test-gui-locale.sh PATH/TO/lungtrust. Exit 77 without xvfb-run, the demo or the locale.
set -u
app="$1"
LT_GUI_LIB=$(cd "$(dirname "$0")/../gui" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run localedef
lt_gui_require_demo
lt_gui_setup locale-fr
mkdir -p "$tmp/locales"
localedef -i fr_FR -f UTF-8 "$tmp/locales/fr_FR.UTF-8" >"$tmp/localedef.out" 2>&1
[ "$(LOCPATH="$tmp/locales" LC_ALL=fr_FR.UTF-8 /usr/bin/printf %.1f 1.5)" = "1,5" ] ||
  { echo "SKIP: cannot generate fr_FR.UTF-8 ($(head -c 200 "$tmp/localedef.out")); the locales package brings /usr/share/i18n"; exit 77; }

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 tmp dir
log="$2/log-fr"
lt_gui_launch LOCPATH="$2/locales" LC_ALL=fr_FR.UTF-8 LANGUAGE=fr "$1"
# the readers' nodules (none when the XML is refused), then the similar-nodule cards (none
# when the LIDC tables are refused: 30 s)
lt_gui_wait_for "nodule 1 selected\|loaded " 120
lt_gui_wait_for "retrieval: [0-9]* cards" 60
lt_gui_stop "$2/alive-fr"
DRIVE

fail=0
LUNGTRUST_LOCALEDIR="${LT_BUILD_ROOT:-.}/po" lt_gui_xvfb "$tmp/drive.sh" "$app" "$tmp"
log="$tmp/log-fr"
grep "loaded \|nodule 1 selected\|historical database\|retrieval: \|failed\|not a number" "$log" | head -8
[ -f "$tmp/alive-fr" ] || { echo "FAIL: the app died under fr_FR.UTF-8"; fail=1; }
grep -q "nodule 1 selected" "$log" ||
  { echo "FAIL: no nodule under fr_FR.UTF-8 (the readers' XML)"; fail=1; }
grep -q "historical database: .* [0-9][0-9]* nodules" "$log" ||
  { echo "FAIL: the LIDC tables were not imported under fr_FR.UTF-8"; fail=1; }
n=$(grep -o "retrieval: [0-9]* cards of [0-9]* nodules" "$log" | head -1)
echo "$n" | awk '{ exit !($2 == 5 && $5 >= 2000) }' ||
  { echo "FAIL: no similar-nodule cards under fr_FR.UTF-8 ($n)"; fail=1; }
[ $fail = 0 ] && echo "ok   demo under fr_FR.UTF-8: nodule 1 selected, LIDC tables imported, $n"
exit $fail
