#!/bin/sh
# tests/gui/test-po-complete.sh — the French translation is complete: msgfmt --check accepts
# po/fr.po with every message translated (no fuzzy, no untranslated), and every string that
# xgettext finds today in po/POTFILES.in has a translation (msgcmp against a fresh template).
# Usage: test-po-complete.sh SOURCE_ROOT. Exit 77 without the gettext tools.
set -u
src="$1"
for tool in msgfmt msgcmp xgettext; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stats=$(msgfmt --check --statistics -o "$tmp/fr.mo" "$src/po/fr.po" 2>&1) || { echo "FAIL: msgfmt: $stats"; exit 1; }
echo "fr.po: $stats"
case "$stats" in
  *fuzzy*|*untranslated*) echo "FAIL: fr.po has fuzzy or untranslated messages"; exit 1 ;;
esac
n=$(echo "$stats" | sed -n 's/^\([0-9]*\) translated message.*/\1/p')
[ -n "$n" ] && [ "$n" -ge 100 ] || { echo "FAIL: expected at least 100 translated messages, got '$n'"; exit 1; }
cd "$src" || exit 1
grep -v '^#' po/POTFILES.in | grep -v '^$' > "$tmp/files"
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  -o "$tmp/now.pot" -f "$tmp/files" || { echo "FAIL: xgettext"; exit 1; }
now=$(grep -c '^msgid ' "$tmp/now.pot")
echo "strings marked for translation in the sources now: $((now - 1))"
msgcmp "$src/po/fr.po" "$tmp/now.pot" || { echo "FAIL: strings in the sources without a French translation (run ninja lungtrust-update-po)"; exit 1; }
echo "every marked string has a French translation"
