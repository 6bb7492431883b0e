#!/bin/sh
# tests/gui/test-install-datadir.sh — `meson install` (staged with --destdir) lays out the
# bundled data under <prefix>/share/lungtrust: the demo study (133 slices and its readings),
# the LIDC tables and the models folder (weights and README.md card), plus the GSettings schema
# and the .desktop file; the installed `lungtrust`, run outside the build tree, opens the demo,
# loads the model and imports the tables from there (LUNGTRUST_DATADIR pointing at the staged
# copy, as for a relocated install), and without it looks in <prefix>/share/lungtrust (not the
# source tree).
# Usage: test-install-datadir.sh BUILD_ROOT. Exit 77 without xvfb-run or the bundled data.
set -u
build="$1"
for tool in xvfb-run glib-compile-schemas; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
src=$(cd "${LT_SOURCE_ROOT:-.}" && pwd)
[ -d "$src/resources/demo/LIDC-IDRI-0001" ] || { echo "SKIP: no bundled demo study"; exit 77; }
ls "$src"/resources/models/*.safetensors > /dev/null 2>&1 || { echo "SKIP: no bundled model"; exit 77; }
out="${LT_BUILD_ROOT:-.}/tests/gui-out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'cp "$tmp"/log-* "$out"/ 2>/dev/null; rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/stage" --no-rebuild --quiet > "$tmp/install.log" 2>&1 ||
  { echo "FAIL: meson install"; tail -5 "$tmp/install.log"; exit 1; }
bin=$(find "$tmp/stage" -path "*/bin/lungtrust" -type f | head -1)
[ -x "$bin" ] || { echo "FAIL: no installed lungtrust"; exit 1; }
prefix_staged=$(dirname "$(dirname "$bin")")
prefix=${prefix_staged#"$tmp/stage"}
share="$prefix_staged/share"
data="$share/lungtrust"
echo "installed: $bin; data: $data"
fail=0
n=$(ls "$data/demo/LIDC-IDRI-0001"/*.dcm 2>/dev/null | wc -l)
echo "demo slices installed: $n"
[ "$n" -eq 133 ] && ls "$data/demo/LIDC-IDRI-0001"/*.xml > /dev/null 2>&1 ||
  { echo "FAIL: the demo study is not installed whole"; fail=1; }
[ -f "$data/demo/ATTRIBUTION" ] || { echo "FAIL: the demo's attribution is not installed"; fail=1; }
for f in list3.2.csv nodule_chara_list.csv tcia-diagnosis-2012-04-20.csv LICENSE; do
  [ -f "$data/lidc-ratings/$f" ] || { echo "FAIL: lidc-ratings/$f not installed"; fail=1; }
done
ls "$data/models"/*.safetensors > /dev/null 2>&1 && [ -f "$data/models/README.md" ] ||
  { echo "FAIL: the model and its card are not installed"; fail=1; }
[ -f "$share/glib-2.0/schemas/org.lungtrust.LungTrust.gschema.xml" ] &&
  [ -f "$share/applications/org.lungtrust.LungTrust.desktop" ] ||
  { echo "FAIL: schema or .desktop not installed"; fail=1; }
mkdir -p "$tmp/schemas"
cp "$share/glib-2.0/schemas/"*.xml "$tmp/schemas/" && glib-compile-schemas "$tmp/schemas" ||
  { echo "FAIL: the installed schema does not compile"; fail=1; }

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
# $1 bin, $2 tmp, $3 tag
log="$2/log-install-$3"
GSETTINGS_SCHEMA_DIR="$2/schemas" GSETTINGS_BACKEND=keyfile XDG_CONFIG_HOME="$2/config-$3" \
  LUNGTRUST_DB="$2/history-$3.db" G_MESSAGES_DEBUG=lungtrust GDK_BACKEND=x11 \
  LIBGL_ALWAYS_SOFTWARE=1 GSK_RENDERER=cairo NO_AT_BRIDGE=1 "$1" > "$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 120 ] && ! grep -q "loaded \|Could not open" "$log"; do sleep 0.5; i=$((i + 1)); done
i=0
while [ $i -lt 60 ] && ! grep -q "historical database" "$log"; do sleep 0.5; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && echo alive > "$2/alive-$3"
kill $pid; wait $pid 2>/dev/null
true
DRIVE
cd "$tmp" || exit 1 # not the build tree
LUNGTRUST_DATADIR="$data" xvfb-run -a -s "-screen 0 1600x860x24" sh "$tmp/drive.sh" "$bin" "$tmp" staged
log="$tmp/log-install-staged"
grep "model:\|loaded\|historical\|Could not" "$log"
[ -f "$tmp/alive-staged" ] || { echo "FAIL: the installed app died"; fail=1; }
grep -q "loaded $data/demo/LIDC-IDRI-0001: LIDC-IDRI-0001, 133 slices" "$log" ||
  { echo "FAIL: the installed app did not open the installed demo"; fail=1; }
grep -q "model: $data/models/.*\.safetensors" "$log" || { echo "FAIL: the installed model was not found"; fail=1; }
grep -q "historical database: LIDC tables imported into .*: 2635 nodules" "$log" ||
  { echo "FAIL: the installed LIDC tables were not imported"; fail=1; }
grep -q "$src/resources" "$log" && { echo "FAIL: the installed app used the source tree"; fail=1; }
xvfb-run -a -s "-screen 0 1600x860x24" sh "$tmp/drive.sh" "$bin" "$tmp" prefix
log="$tmp/log-install-prefix"
grep "model:\|loaded\|Could not" "$log" | head -3
grep -q "Could not open $prefix/share/lungtrust/demo/LIDC-IDRI-0001\|loaded $prefix/share/lungtrust/demo/LIDC-IDRI-0001" "$log" ||
  { echo "FAIL: outside the build tree the app does not look in $prefix/share/lungtrust"; fail=1; }
exit $fail
