#!/bin/sh
# Runs a libFuzzer target briefly and deterministically for `meson test --suite fuzz`:
#   run_fuzzer.sh FUZZER SEED_CORPUS_DIR [libFuzzer options...]
# New inputs go to a fresh temporary directory (libFuzzer writes into its first corpus
# directory), so the committed seed corpus is only read and every run starts from the same state.
set -eu
fuzzer=$1
seeds=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/sy-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
"$fuzzer" -runs=20000 -seed=1 "$@" "$work" "$seeds"
