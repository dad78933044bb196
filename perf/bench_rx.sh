#!/usr/bin/env bash
# rx + classify + enqueue + consume throughput of the appliance, against dpdk-testpmd
# io-forward on the same kind of port (net_pcap, infinite_rx=1 over a generated capture),
# interleaved round by round because this machine's speed drifts. Each round runs:
#   testpmd   io-forward: rx burst, tx burst (pcap tx drops = frees); the ceiling;
#   pipeline  the appliance: rx lcore stamps, classifies, enqueues to integrity/execution,
#             which consume and free (market-data-heavy mix: 95% feed lines, 5% sessions);
#   rx-only   the appliance on unclassified traffic: rx, classify, count, free on the rx lcore
#             (no ring crossing), which separates per-packet cost from the cross-core handoff.
# Prints per round and the median ratios. Not a test: figures go to docs/benchmarks.md.
#
#   perf/bench_rx.sh [-b BUILD_DIR] [-r ROUNDS] [-d SECONDS] [-o RESULT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=3 secs=5 result=""
while getopts "b:r:d:o:" opt; do
  case $opt in
    b) build=$OPTARG ;; r) rounds=$OPTARG ;; d) secs=$OPTARG ;; o) result=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-d SECONDS] [-o RESULT.json]" >&2; exit 2 ;;
  esac
done
sy=$build/src/switchyard
gen=$build/perf/switchyard-traffic
for f in "$sy" "$gen"; do [[ -x $f ]] || { echo "bench: $f missing; run scripts/build.sh" >&2; exit 2; }; done
command -v dpdk-testpmd >/dev/null || { echo "bench: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 2; }

work=$(mktemp -d /tmp/sy_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
profile=conf/profiles/default.yaml
# Feed lines and sessions only: every frame is delivered to a consuming lcore, the real path.
"$gen" --config "$profile" --frames 4096 --seed 42 --mix lines=95,sessions=5,other=0,malformed=0 \
  --out "$work/bench.pcap" >/dev/null
"$gen" --config "$profile" --frames 4096 --seed 42 --mix lines=0,sessions=0,other=100,malformed=0 \
  --out "$work/other.pcap" >/dev/null

# Same memory mode for both: hugepages if the host has them free, else --no-huge.
free_mb=$(awk '/HugePages_Free/ {f=$2} /Hugepagesize/ {s=$2} END {print int(f*s/1024)}' /proc/meminfo)
if [[ $free_mb -ge 1024 ]] && grep -q hugetlbfs /proc/mounts; then
  mem=(--socket-mem=1024 --in-memory); sy_huge=(--set eal.hugepages=on --set eal.memory_mb=1024)
else
  mem=(--no-huge -m 1024 --no-shconf); sy_huge=(--set eal.hugepages=off --set eal.memory_mb=1024)
fi

testpmd_mpps() {
  # One forwarding lcore on CPU 1, like the appliance's rx lcore; stats every second.
  timeout -s INT $((secs + 8)) dpdk-testpmd --lcores 0@0,1@1 --no-pci --file-prefix sy_bench_tp \
    "${mem[@]}" --vdev "net_pcap0,rx_pcap=$work/bench.pcap,infinite_rx=1" --log-level=error \
    -- --forward-mode=io --auto-start --stats-period 1 --nb-cores 1 --total-num-mbufs 16384 \
    >"$work/testpmd.log" 2>&1 &
  local pid=$!
  sleep $((secs + 3))
  kill -INT $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  # Mean of the per-second Rx-pps samples, skipping the first (warm-up).
  grep -o 'Rx-pps: *[0-9]*' "$work/testpmd.log" | awk '{print $2}' | tail -n +2 |
    awk '{s+=$1; n++} END {if (n) printf "%.3f", s/n/1e6; else print "nan"}'
}

switchyard_run() {  # $1: capture
  "$sy" --config "$profile" "${sy_huge[@]}" --set eal.file_prefix=sy_bench_sy \
    --set "ports.wire0.args.rx_pcap=$1" --set ports.wire0.args.infinite_rx=1 \
    --set run.mode=live --set run.max_runtime_ms=$((secs * 1000)) \
    --set lcores.1.idle=spin --set lcores.2.cpu=0 --set rings.on_full=drop \
    --set ports.wire0.mbufs=8191 \
    --summary-json "$work/sy.json" >"$work/sy.log" 2>&1 || true
  python3 - "$work/sy.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["stop"]["run_seconds"]
p = s["ports"]["wire0"]
consumed = sum(c["consumed"] for c in s["classes"].values())
lost = sum(n for r, n in p["drops"].items() if r != "unclassified")
print(f'{p["received"]/t/1e6:.3f} {consumed/t/1e6:.3f} {lost}')
PY
}

printf '%-6s %13s %14s %15s %10s %13s %9s %9s\n' round "testpmd Mpps" "pipeline rx" "pipeline cons." lost "rx-only Mpps" "ratio" "rx-only"
ratios=() rx_ratios=()
for ((r = 1; r <= rounds; r++)); do
  tp=$(testpmd_mpps)
  read -r rx consumed lost < <(switchyard_run "$work/bench.pcap")
  read -r only _ _ < <(switchyard_run "$work/other.pcap")
  ratio=$(awk -v a="$consumed" -v b="$tp" 'BEGIN {printf "%.3f", a/b}')
  rx_ratio=$(awk -v a="$only" -v b="$tp" 'BEGIN {printf "%.3f", a/b}')
  ratios+=("$ratio") rx_ratios+=("$rx_ratio")
  printf '%-6s %13s %14s %15s %10s %13s %9s %9s\n' "$r" "$tp" "$rx" "$consumed" "$lost" "$only" "$ratio" "$rx_ratio"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${ratios[@]}") m_rx=$(median "${rx_ratios[@]}")
echo "median ratio, pipeline consumed / testpmd io-forward: $m  (goal >= 0.8)"
echo "median ratio, rx-only (classify + count + free) / testpmd io-forward: $m_rx"
if [[ -n $result ]]; then
  printf '{"bench":"rx","rounds":%d,"seconds":%d,"pipeline_ratios":[%s],"rx_only_ratios":[%s],"median_pipeline_ratio":%s,"median_rx_only_ratio":%s}\n' \
    "$rounds" "$secs" "$(IFS=,; echo "${ratios[*]}")" "$(IFS=,; echo "${rx_ratios[*]}")" "$m" "$m_rx" >"$result"
fi
