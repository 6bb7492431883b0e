#!/bin/sh
# tests/gui/test-gui-resnet.sh — the real `lungtrust` under Xvfb on the bundled demo study with
# an UNTRAINED ResNet baseline (make-test-model --resnet), a model without a segmentation head:
# A on nodule 1 gives a result whose panel says the model draws no mask and gives no Dice number
# (no "nan" anywhere), while the trust check against the readers' consensus is still made.
# Usage: test-gui-resnet.sh PATH/TO/lungtrust PATH/TO/make-test-model.
set -u
app="$1"
mk="$2"
for tool in xvfb-run xdotool import; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done
src="${LT_SOURCE_ROOT:-.}"
[ -d "$src/resources/demo/LIDC-IDRI-0001" ] || { echo "SKIP: no bundled demo study"; exit 77; }
out="${LT_BUILD_ROOT:-.}/tests/gui-out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'cp "$tmp"/log "$out"/log-resnet 2>/dev/null; rm -rf "$tmp"' EXIT
export LUNGTRUST_DB="$tmp/history.db" GSETTINGS_BACKEND=keyfile XDG_CONFIG_HOME="$tmp/config"
"$mk" --resnet "$tmp/resnet.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/resnet.safetensors"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
wait_for() { i=0; while [ $i -lt 120 ] && ! grep -q "$1" "$log"; do sleep 0.5; i=$((i + 1)); done; }
G_MESSAGES_DEBUG=lungtrust GDK_BACKEND=x11 LIBGL_ALWAYS_SOFTWARE=1 GSK_RENDERER=cairo \
  NO_AT_BRIDGE=1 "$1" > "$log" 2>&1 &
pid=$!
wait_for "focus nodule"
sleep 2
xdotool key a
wait_for "analysis result"
sleep 2
import -window root "$2/resnet-result.png"
kill -0 $pid 2>/dev/null && echo alive > "$3/alive"
kill $pid; wait $pid 2>/dev/null
true
DRIVE
xvfb-run -a -s "-screen 0 1600x860x24" sh "$tmp/drive.sh" "$app" "$out" "$tmp"
log="$tmp/log"
grep "model:\|analysis result\|result panel" "$log"
fail=0
[ -f "$tmp/alive" ] || { echo "FAIL: the app died"; fail=1; }
grep -q "analysis result: probability [0-9.]*, .*model mask none; readers' consensus in the patch" "$log" ||
  { echo "FAIL: no result from the mask-less model with the readers' consensus"; exit 1; }
panel=$(grep "result panel:" "$log" | tail -1)
echo "$panel" | grep -q "Trust check vs the model's mask: this model draws no mask" ||
  { echo "FAIL: the panel does not say the model draws no mask"; fail=1; }
echo "$panel" | grep -q "Dice vs the readers' consensus: no model mask; trust check vs the readers: \(PASS\|FAIL\) (inside [0-9.]*, outside [0-9.]*)\|Dice vs the readers' consensus: no model mask; trust check vs the readers: not possible" ||
  { echo "FAIL: the panel's Dice line is not the mask-less one"; fail=1; }
echo "$panel" | grep -qi "nan" && { echo "FAIL: a NaN is shown"; fail=1; }
grep -q "CRITICAL" "$log" && { echo "FAIL: GTK criticals in the log"; fail=1; }
exit $fail
