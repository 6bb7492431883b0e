#!/bin/sh
# scripts/ablation.sh — reproduces docs/ablation.md, the paper's Table 1 on synthetic data: makes
# the two synthetic benchmarks (fixed seeds; every background is LIDC-IDRI-0001), builds their
# data sets and runs `lungtrust-cli ablation` (rows 1-9 by 5-fold cross-validation split by case,
# with and without the confound, one reduced configuration) resumably. Results are small JSON
# files in docs/ablation/ (commit them: a later session continues from them); the table is
# rewritten from whatever is finished.
#
#   scripts/ablation.sh [--data DIR] [--max-minutes M] [--rows LIST] [--table-only] [--tiny]
#
#   --data DIR       generated data and checkpoints (default ../data/ablation beside the checkout,
#                    outside the repository); a stage whose output exists is reused (the same
#                    seed gives byte-identical synthetic data)
#   --max-minutes M  start no run that would end after M minutes; run the script again to go on
#   --rows LIST      only these rows (names or numbers 1-9)
#   --table-only     only rewrite docs/ablation.md from the finished results
#   --tiny           a few cases, w = 4, 16^3, 2 folds, 1 epoch, results and table under DIR:
#                    checks the pipeline end to end
#
# The benchmarks:
#   plain:    160 cases (seed 7101, no confound), every case's split "all": about 360 nodules,
#             half "sure" (label, centre, radius), half "unsure" (ratings, consensus mask)
#   confound: 200 cases (seed 7202, --confound): the 160 "train" cases (a speck beside 90% of
#             malignant and 10% of benign nodules) are cross-validated; every fold's model is
#             also evaluated on the 40 "test" cases (no speck), built as an evaluation set so
#             that every nodule there carries its synthetic true label
# The reduced configuration (the same for every row): w = 8, patch side 32 (64^3 averaged
# down), at most 12 epochs with early stopping (patience 4), batch 1, seed 1.
#
# Environment: LT_CLI (default build/app/lungtrust-cli), LT_SHARED_DATA (the LIDC study).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cli=${LT_CLI:-$here/build/app/lungtrust-cli}
shared=${LT_SHARED_DATA:-$here/../shared/data}
study=$shared/lidc/LIDC-IDRI-0001
data=
max=
rows=
table_only=0
tiny=0
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift ;;
    --max-minutes) max=$2; shift ;;
    --rows) rows=$2; shift ;;
    --table-only) table_only=1 ;;
    --tiny) tiny=1 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "ablation.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ $tiny = 1 ]; then
  plain_cases=12 confound_cases=15
  data=${data:-$here/../data/ablation-tiny}
  results=$data/results table=$data/ablation.md
  reduced="--width 4 --side 16 --hidden 16 --light --folds 2 --epochs 1 --patience 1 --seed 1"
else
  plain_cases=160 confound_cases=200
  data=${data:-$here/../data/ablation}
  # relative to the checkout (the script runs there), so the table names no machine's paths
  results=docs/ablation table=docs/ablation.md
  reduced="--width 8 --side 32 --folds 5 --epochs 12 --patience 4 --seed 1"
fi
plain_seed=7101 confound_seed=7202

# On this shared 2-core machine OpenMP's spinning waits cost a lot when other jobs run: one
# training step (w = 8, 32^3) took 880 ms with OMP_NUM_THREADS=2 under a load of 10, 58 ms with
# OMP_WAIT_POLICY=passive and 133 ms with one thread (measured 21:27 UTC, 2026-11-25).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

[ -x "$cli" ] || { echo "ablation.sh: no $cli (build first)" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

if [ $table_only = 1 ]; then
  exec "$cli" ablation --out "$results" --table "$table" --table-only
fi
[ -d "$study" ] || { echo "ablation.sh: no study at $study" >&2; exit 1; }
mkdir -p "$data"

# synth NAME CASES SEED [--confound]: the synthetic cases, reused when made with these arguments.
synth() {
  name=$1 n=$2 s=$3
  shift 3
  args="--count $n --seed $s $*"
  if [ -f "$data/synth-$name/manifest.json" ] && [ "$(cat "$data/synth-$name.args" 2>/dev/null)" = "$args" ]; then
    log "synth-$name: reused ($args)"
    return
  fi
  rm -rf "$data/synth-$name" "$data"/ds-"$name"*
  log "synth-$name: $args"
  "$cli" synth --out "$data/synth-$name" --study "$study" $args | tail -1
  echo "$args" > "$data/synth-$name.args"
}

# dataset NAME SYNTH [ARGS]: the training/evaluation data set, reused when present.
dataset() {
  name=$1 src=$2
  shift 2
  if [ -f "$data/ds-$name/manifest.json" ]; then
    log "ds-$name: reused"
    return
  fi
  rm -rf "$data/ds-$name"
  log "ds-$name: dataset --synth synth-$src $*"
  "$cli" dataset --synth "$data/synth-$src" --out "$data/ds-$name" "$@" | tail -1
}

synth plain $plain_cases $plain_seed
synth confound $confound_cases $confound_seed --confound
dataset plain plain --split all
dataset confound-train confound --split train
dataset confound-test confound --split test --evaluation

row_args=
[ -n "$rows" ] && row_args="--rows $rows"
max_args=
[ -n "$max" ] && max_args="--max-minutes $max"
log "ablation: results in $results, table $table"
# shellcheck disable=SC2086
"$cli" ablation --data "$data/ds-plain" --confound-data "$data/ds-confound-train" \
  --confound-test "$data/ds-confound-test" --out "$results" --table "$table" \
  --work "$data/work" $reduced $row_args $max_args
log "ablation: done for now (run again to continue)"
