#!/bin/bash
# scripts/gpu-check.sh — the checks that need an NVIDIA GPU, run from the source root on a GPU
# machine with PACK from scripts/gpu-pack.sh (the cuda build's programs and their libraries).
# cuDNN comes from that machine: LT_CUDNN_LIB, else the loader's path, else the Python wheel
# nvidia-cudnn-cu13. Each step prints its output and exit status; the last lines summarise.
#   1 lungtrust-cli engine: cuda chosen, GPU and cuDNN named
#   2 test-nn-cuda-parity, test-model-cuda-parity: every layer, then the model-level kernels and
#     the whole model, against the CPU backend
#   3 test-nn-cuda-fallback, test-nn-backend: the automatic choice with a GPU present
#   4 analyze of the demo nodule with the shipped model on cuda and on cpu: the same numbers
#   5 synth + dataset, then train 3 epochs at 32^3 with mask pooling (as the recipe) and evaluate
#     the shipped model on cuda and on cpu: times and results side by side
#   6 bench-cuda: inference and training against PyTorch on the same GPU (LT_PYTHON), with the
#     profile (LT_CUDA_PROFILE=1), then with every convolution in NDHWC and with cuDNN's
#     heuristic algorithm choice (one algorithm per pass, NDHWC), for comparison
# A step run with LT_BACKEND=cuda fails when the engine says that it did not use cuda.
# OUTDIR gets the analyze and evaluate JSON of both backends.
# Usage: scripts/gpu-check.sh PACK.tar.xz OUTDIR
set -u
pack=${1:?usage: gpu-check.sh PACK.tar.xz OUTDIR}
out=${2:?usage: gpu-check.sh PACK.tar.xz OUTDIR}
mkdir -p "$out"
root=$(mktemp -d)
tar -C "$root" -xJf "$pack" || { echo "gpu-check.sh: cannot unpack $pack" >&2; exit 1; }
bin=$root/ltpack/bin
py=${LT_PYTHON:-python3}
cudnn=${LT_CUDNN_LIB:-}
if [ -z "$cudnn" ] && ! ldconfig -p | grep -q 'libcudnn\.so\.9'; then
  cudnn=$("$py" -c 'import nvidia.cudnn as c, os; print(os.path.join(list(c.__path__)[0], "lib"))' 2>/dev/null)
fi
export LD_LIBRARY_PATH=$root/ltpack/lib${cudnn:+:$cudnn}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DCMDICTPATH=$root/ltpack/lib/dicom.dic
export LT_SOURCE_ROOT=$PWD LT_PYTHON=$py
# synth reads the LIDC rating tables from $LT_SHARED_DATA/lidc-ratings: the bundled copy
mkdir -p "$root/shared" && ln -s "$PWD/resources/lidc-ratings" "$root/shared/lidc-ratings"
export LT_SHARED_DATA=$root/shared
study=resources/demo/LIDC-IDRI-0001
model=resources/models/lungtrust-default-w16.safetensors
summary=()
now() { date +%s.%N; }
step() { # NAME TIMEOUT CMD...: runs CMD (its stderr also kept beside the pack), keeps its status
  local name=$1 limit=$2 t0 rc; shift 2
  echo "=== $name: $*" >&2
  t0=$(now)
  timeout "$limit" "$@" 2> "$root/$name.err"; rc=$?
  cat "$root/$name.err" >&2
  if [ "${LT_BACKEND:-}" = cuda ] && grep -q "not used" "$root/$name.err"; then
    echo "$name: the engine did not use cuda" >&2
    [ $rc -eq 0 ] && rc=99
  fi
  summary+=("$(awk -v n="$name" -v r="$rc" -v a="$t0" -v b="$(now)" \
    'BEGIN { printf "%-28s exit %3d  %7.1f s", n, r, b - a }')")
  return $rc
}
nvidia-smi -L; echo "cuDNN from: ${cudnn:-the system loader path}"
step engine 60 "$bin/lungtrust-cli" engine
step cuda-parity 300 "$bin/test-nn-cuda-parity"
step model-cuda-parity 300 "$bin/test-model-cuda-parity"
step cuda-fallback 120 "$bin/test-nn-cuda-fallback"
step backend 60 "$bin/test-nn-backend"
# compare.py A B TOL: the largest difference between the numbers of two JSON files
cat > "$root/compare.py" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def flat(d, pre=""):
    items = d.items() if isinstance(d, dict) else enumerate(d)
    for k, v in items:
        if isinstance(v, (dict, list)): yield from flat(v, "%s%s." % (pre, k))
        elif isinstance(v, (int, float)) and not isinstance(v, bool): yield "%s%s" % (pre, k), v
fa, fb = dict(flat(a)), dict(flat(b))
worst = max((abs(fa[k] - fb.get(k, float("inf"))), k) for k in fa)
print("largest cuda-cpu difference: %.2e (%s) over %d numbers" % (worst[0], worst[1], len(fa)))
sys.exit(0 if worst[0] <= float(sys.argv[3]) else 1)
PY
for be in cuda cpu; do
  LT_BACKEND=$be step "analyze-$be" 120 "$bin/lungtrust-cli" analyze "$study" --nodule 1 \
    --model "$model" --json > "$out/analyze-$be.json"
  cat "$out/analyze-$be.json"
done
step analyze-compare 30 "$py" "$root/compare.py" "$out/analyze-cuda.json" "$out/analyze-cpu.json" 2e-3
work=$(mktemp -d)
step synth 300 "$bin/lungtrust-cli" synth --out "$work/synth" --count 24 --seed 7 --study "$study" > /dev/null
step dataset 120 "$bin/lungtrust-cli" dataset --synth "$work/synth" --out "$work/ds"
step dataset-eval 120 "$bin/lungtrust-cli" dataset --synth "$work/synth" --out "$work/ds-eval" --evaluation
for be in cuda cpu; do
  LT_BACKEND=$be step "train-$be" 300 "$bin/lungtrust-cli" train "$work/ds" --out "$work/run-$be" \
    --config default --mask-pool --side 32 --folds 4 --fold 1 --epochs 3 --seed 1 \
    > "$root/train-$be.txt"
  cat "$root/train-$be.txt"
  LT_BACKEND=$be step "evaluate-$be" 300 "$bin/lungtrust-cli" evaluate "$work/ds-eval" \
    --model "$model" --json --boot 200 > "$out/evaluate-$be.json"
done
step evaluate-compare 30 "$py" "$root/compare.py" "$out/evaluate-cuda.json" "$out/evaluate-cpu.json" 2e-3
LT_CUDA_PROFILE=1 step bench-cuda 300 "$bin/bench-cuda" --runs 20 --batch 16
LT_CUDNN_LAYOUT=ndhwc step bench-cuda-ndhwc 300 "$bin/bench-cuda" --runs 10 --batch 16 --no-torch
LT_CUDNN_ALGO=heuristic step bench-cuda-heuristic 300 "$bin/bench-cuda" --runs 10 --batch 16 --no-torch
printf '%s\n' "${summary[@]}"
