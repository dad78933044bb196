#!/usr/bin/env bash
# perf/compare.py flags a +10% p99 or -10% throughput regression and nothing smaller; perf/plot.py
# draws a result into well-formed SVG; a result validates against the bench_result schema.
set -euo pipefail
root=$SY_SOURCE_ROOT
work=$(mktemp -d "${TMPDIR:-/tmp}/sy_bench_tools.XXXXXX")
trap 'rm -rf "$work"' EXIT

make_result() { # FILE P99 PPS
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, p99, pps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
q = {"count": 100, "p50": p99 // 2, "p90": p99 - 1, "p99": p99, "p999": p99 + 1, "max": p99 + 2, "mean": p99 / 2}
json.dump({
  "schema": "switchyard.bench.v1", "profile": "steady", "created_at": "2026-01-01T00:00:00+00:00",
  "git_commit": "", "host": {"name": "h", "cpus": 2, "load_avg_1m": 1.0}, "link": "memif",
  "throughput": {"target_pps": 200000, "sent_pps": pps, "data_frames": 1, "appliance_received": 1, "appliance_delivered": 1},
  "latency_ns": {"stages": {"probe_rtt": q}},
  "drops": {"by_reason": {}, "lost": 0, "exit_code": 0, "probes_lost": 0},
  "reference": {"testpmd_macswap": None, "fio": {"ok": False, "filesystem": "/tmp"}},
  "timeline": [{"t_ms": t * 100, "tx_pps": pps, "rx_pps": 10, "rtt_p50_ns": p99 // 2, "rtt_p99_ns": p99, "probes_answered": 10} for t in range(1, 6)],
  "rtt_histogram": [[1000, 1032, 40], [2048, 2112, 50], [p99, p99 + 64, 10]]}, open(path, "w"))
PY
}
expect() { # WANT_EXIT ARGS...
  local want=$1; shift
  local rc=0
  "$root/perf/compare.py" "$@" > "$work/out" 2>&1 || rc=$?
  if [[ $rc -ne $want ]]; then cat "$work/out"; echo "FAIL: perf/compare.py $* exited $rc, want $want"; exit 1; fi
}
make_result "$work/base.json" 100000 200000
make_result "$work/same.json" 100000 200000
make_result "$work/lat9.json" 109000 200000
make_result "$work/lat11.json" 111000 200000
make_result "$work/tp9.json" 100000 182000
make_result "$work/tp11.json" 100000 178000
expect 0 "$work/base.json" "$work/same.json"
expect 0 "$work/base.json" "$work/lat9.json"
expect 1 "$work/base.json" "$work/lat11.json"
grep -q "REGRESSION" "$work/out"
expect 0 "$work/base.json" "$work/tp9.json"
expect 1 "$work/base.json" "$work/tp11.json"
expect 0 "$work/base.json" "$work/lat11.json" --latency-pct 20
expect 2 "$work/base.json" "$work/missing.json"

python3 -c "
import json, jsonschema, sys
jsonschema.validate(json.load(open('$work/base.json')), json.load(open('$root/docs/contracts/bench_result.schema.json')))"
python3 "$root/perf/plot.py" "$work/base.json" "$work/plot.svg"
python3 -c "
import xml.etree.ElementTree as ET
t = ET.parse('$work/plot.svg'); n = sum(1 for e in t.iter() if e.tag.endswith('rect'))
assert n >= 5, n  # frames, background and histogram bars
print('svg ok', n)"
echo "ok: compare, schema, plot"
