#!/usr/bin/env bash
# The referee for the OTLP encoder: the reference receiver in ../shared/tools/otlp-receiver
# (official opentelemetry-proto files decoded by protobufjs, plus its data-model checks) must
# accept the running appliance's exports, protobuf and JSON, with no error and no warning
# (--strict). Our own decoder cannot catch our own wrong field numbers; this one can.
#
# Skips (exit 77) when the shared material, node or its npm packages are unavailable, unless
# CI=true, where that is a failure.
set -euo pipefail

skip() {
  if [[ "${CI:-}" == true ]]; then
    echo "FAIL (CI=true): $1" >&2
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}

src="${SY_SHARED_DIR:-}/tools/otlp-receiver"
[[ -f "$src/otlp-metrics-receiver.js" ]] || skip "no OTLP referee at $src"
command -v node > /dev/null || skip "node is not installed"

# The shared folder stays untouched: the receiver runs from a copy with its packages installed.
work="$SY_BUILD_ROOT/otlp-referee"
if [[ ! -d "$work/node_modules" ]] || ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
  rm -rf "$work"
  cp -r "$src" "$work"
  (cd "$work" && npm ci --no-audit --no-fund > npm.log 2>&1) || skip "npm ci failed (see $work/npm.log)"
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/sy_otlp_referee.XXXXXX")
receiver_pid=""
cleanup() {
  [[ -n "$receiver_pid" ]] && kill "$receiver_pid" 2> /dev/null || true
  rm -rf "/var/run/dpdk/sy_otlp_referee_$$" 2> /dev/null || true
}
trap cleanup EXIT

status=0
for encoding in protobuf json; do
  node "$work/otlp-metrics-receiver.js" --port 0 --count 2 --timeout 60 --strict \
    --dump-dir "$out/$encoding" --out "$out/$encoding.report.json" \
    > "$out/$encoding.stdout" 2> "$out/$encoding.stderr" &
  receiver_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's|.*READY listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out/$encoding.stderr")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { cat "$out/$encoding.stderr"; echo "FAIL: receiver did not start"; exit 1; }

  # Live for 1 s with a 300 ms interval: at least two exports (periodic and final).
  "$SWITCHYARD_BIN" --config "$SY_SOURCE_ROOT/conf/profiles/default.yaml" \
    --set eal.file_prefix="sy_otlp_referee_$$" --set run.mode=live --set run.max_runtime_ms=1000 \
    --set observe.otlp.endpoint="http://127.0.0.1:$port/v1/metrics" \
    --set observe.otlp.encoding=$encoding --set observe.otlp.interval_ms=300 \
    --set observe.otlp.timeout_ms=250 > "$out/$encoding.appliance.log" 2>&1 ||
    { tail -20 "$out/$encoding.appliance.log"; echo "FAIL: appliance exited $?"; status=1; }

  rc=0
  wait "$receiver_pid" || rc=$?
  receiver_pid=""
  if [[ $rc -ne 0 ]]; then
    echo "FAIL: $encoding: reference receiver exit $rc (1 = errors or warnings, 2 = too few requests)"
    cat "$out/$encoding.stderr"
    head -c 4000 "$out/$encoding.report.json" 2> /dev/null || true
    status=1
  else
    echo "ok: $encoding: $(grep -c 'request #' "$out/$encoding.stderr") request(s) decoded by the" \
      "reference receiver with 0 errors and 0 warnings"
  fi
done
[[ $status -eq 0 ]] && rm -rf "$out"
exit $status
