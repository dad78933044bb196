#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test passing: installs what is missing,
# builds the release tree and the ASan/UBSan tree, and runs every suite in both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

scripts/build.sh release
meson test -C build --print-errorlogs --num-processes 2

scripts/build.sh asan
# DPDK's own allocations are not instrumented; leak checks would only report EAL internals.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3
