#!/usr/bin/env bash
# Configures (once) and builds one flavour of the tree.
#   scripts/build.sh release   -> build/        (-O3, warnings are errors)
#   scripts/build.sh asan      -> build-asan/   (clang, ASan + UBSan, debug)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case $flavour in
  release) dir=build; opts=(--buildtype=release -Dwerror=true) ;;
  asan)
    dir=build-asan
    export CC=clang CXX=clang++
    opts=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true)
    ;;
  *) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
if [[ ! -f $dir/build.ninja ]]; then
  meson setup "$dir" "${opts[@]}"
fi
ninja -C "$dir"
