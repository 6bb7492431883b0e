#!/bin/sh
# tests/fuzz/run-fuzz-weights.sh BUILD_DIR [SECONDS] — runs the weights-file fuzz target.
# BUILD_DIR: a -Dfuzz=true clang build (see tests/fuzz/fuzz-weights.c). Seeds: the safetensors
# headers (the JSON after the 8-byte length) in tests/fuzz/weights-seeds: of the default models
# v14 (a refit of version 3) and v13 (version 2), of an untrained model and of the ResNet baseline (tests/gui/make-test-model), all in
# weights format 1 (a data-only checksum), and of the untrained model in format 2 (untrained-v2.json: a checksum over header
# and data, "fnv1a64-hd:"). The corpus
# grows in BUILD_DIR/fuzz-weights-corpus; crashes land in BUILD_DIR as crash-*; the log is
# fuzz-0.log.
set -eu
B=$(cd "$1" && pwd)
T=${2:-600}
src=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$B/fuzz-weights-corpus
mkdir -p "$corpus"
ninja -C "$B" tests/fuzz/fuzz-weights > /dev/null
cd "$B"
./tests/fuzz/fuzz-weights -max_total_time="$T" -jobs=1 -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 "$corpus" "$src/tests/fuzz/weights-seeds"
tail -n 25 fuzz-0.log
