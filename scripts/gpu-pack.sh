#!/bin/sh
# scripts/gpu-pack.sh — packs what scripts/gpu-check.sh runs on a GPU machine that has CUDA and
# cuDNN but none of this project's other libraries: the programs of a cuda build (meson option
# cuda, built here, where nvcc and cuDNN link but cannot run) and every shared library they load
# apart from glibc, libstdc++/libgcc_s and cuDNN, which that machine brings, and DCMTK's data
# dictionary.
# Usage: scripts/gpu-pack.sh BUILDDIR OUT.tar.xz
set -eu
build=${1:?usage: gpu-pack.sh BUILDDIR OUT.tar.xz}
out=${2:?usage: gpu-pack.sh BUILDDIR OUT.tar.xz}
progs="app/lungtrust-cli tests/nn/test-nn-cuda-parity tests/model/test-model-cuda-parity
  tests/nn/test-nn-cuda-fallback
  tests/nn/test-nn-backend tests/bench/bench-cuda"
grep -q "LT_HAVE_CUDA" "$build/compile_commands.json" ||
  { echo "gpu-pack.sh: $build is not a cuda build (meson option cuda)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ltpack/bin" "$tmp/ltpack/lib"
for p in $progs; do
  cp "$build/$p" "$tmp/ltpack/bin/"
  ldd "$build/$p" | awk '$3 ~ /^\// {print $3}'
done | sort -u | grep -vE '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcudnn[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$tmp/ltpack/lib/"; done
strip "$tmp/ltpack/bin/"*
# DCMTK's data dictionary (DCMDICTPATH there): without it no DICOM file can be read
dict=$(find /usr/share -name dicom.dic -path '*dcmtk*' 2>/dev/null | head -n 1)
[ -n "$dict" ] || { echo "gpu-pack.sh: DCMTK's dicom.dic not found under /usr/share" >&2; exit 1; }
cp "$dict" "$tmp/ltpack/lib/"
tar -C "$tmp" -cJf "$out" ltpack
echo "gpu-pack.sh: $out ($(du -h "$out" | cut -f1))"
