#!/bin/bash
# tests/review/test-no-analysis-outside.sh SRC — app/ and ui/ call only the review pipeline
# (engine/review): no file there but the benchmarks' builds the model's input or output itself.
# The names below are the model's forward pass, Grad-CAM and the trust measure, the patch and
# its masks, the model's input, and the attribute refit's measures. Fails naming each hit.
src=${1:?usage: test-no-analysis-outside.sh SRC}
pattern='\b(lt_model_forward[a-z_]*|lt_analyze_patch|lt_model_cam|lt_cam_[a-z_]+|lt_trust_measure|lt_mask_fraction|lt_patch_extract|lt_patch_mask|lt_nodule_rasterise|lt_model_input_make|lt_model_input_mask|lt_refit_measures|lt_attr_refit_apply|lt_patch_ct_measures|lt_seg_shape_measures|lt_lung_mask)\s*\('
hits=$(grep -nE "$pattern" "$src"/app/*.c "$src"/app/*.h "$src"/ui/*.c "$src"/ui/*.h 2>/dev/null |
  grep -v '/app/cli-bench')
n=$(printf '%s' "$hits" | grep -c . || true)
if [ "$n" -gt 0 ]; then
  echo "FAIL: $n place(s) in app/ or ui/ build what the review pipeline builds:"
  echo "$hits"
  exit 1
fi
echo "ok: app/ and ui/ ($(ls "$src"/app/*.c "$src"/ui/*.c | wc -l) files, benchmarks aside) call no analysis builder"
