#!/bin/sh
# tests/gui/test-gui-resnet.sh — the real `lungtrust` under Xvfb on the bundled demo study with
# an UNTRAINED ResNet baseline (make-test-model --resnet), a model without a segmentation head:
# A on nodule 1 gives a result whose panel says the model draws no mask and gives no Dice number
# (no "nan" anywhere), while the trust check against the readers' consensus is still made.
# Usage: test-gui-resnet.sh PATH/TO/lungtrust PATH/TO/make-test-model.
set -u
app="$1"
mk="$2"
LT_GUI_LIB=$(cd "$(dirname "$0")" && pwd)/gui-test-lib.sh
. "$LT_GUI_LIB"
lt_gui_require xvfb-run xdotool import
lt_gui_require_demo
lt_gui_setup resnet
"$mk" --resnet "$tmp/resnet.safetensors" || { echo "FAIL: could not write the test model"; exit 1; }
export LUNGTRUST_MODEL="$tmp/resnet.safetensors"

cat > "$tmp/drive.sh" <<'DRIVE'
#!/bin/sh
. "$LT_GUI_LIB"
# inside Xvfb: $1 app, $2 out dir, $3 tmp dir
log="$3/log"
lt_gui_launch "$1"
lt_gui_wait_for "focus nodule"
sleep 2
xdotool key a
lt_gui_wait_for "analysis result"
sleep 2
import -window root "$2/resnet-result.png"
lt_gui_stop "$3/alive"
DRIVE
lt_gui_xvfb "$tmp/drive.sh" "$app" "$out" "$tmp"
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
