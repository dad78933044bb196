#!/usr/bin/env bash
# Market data benchmarks (not tests):
#  1. in memory: decode + A/B arbitration + book + canonical records on one core, against a loop
#     that only sums the same bytes, interleaved (switchyard-bench-integrity);
#  2. end to end from a pcap port: the appliance on a generated A/B ITCH capture (net_pcap reads
#     the file), frames and messages per second, against dpdk-testpmd io-forward reading the same
#     file on the same kind of port, interleaved round by round.
#
#   perf/bench_integrity.sh [-b BUILD_DIR] [-r ROUNDS] [-m MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=3 messages=4000000
while getopts "b:r:m:" opt; do
  case $opt in
    b) build=$OPTARG ;; r) rounds=$OPTARG ;; m) messages=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-m MESSAGES]" >&2; exit 2 ;;
  esac
done
for f in src/switchyard perf/switchyard-itch perf/switchyard-bench-integrity; do
  [[ -x $build/$f ]] || { echo "bench: $build/$f missing; run scripts/build.sh" >&2; exit 2; }
done
profile=conf/profiles/default.yaml

echo "== in memory, one core"
"$build/perf/switchyard-bench-integrity" --config "$profile" --messages "$messages" --rounds "$rounds"

echo "== end to end from a pcap port"
work=$(mktemp -d /tmp/sy_bench_md.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/perf/switchyard-itch" --config "$profile" --messages "$messages" --seed 7 --instruments 64 \
  --pps 1000000 --out "$work/md.pcap" >/dev/null
frames=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['frames'])" "$work/md.truth.json")
free_mb=$(awk '/HugePages_Free/ {f=$2} /Hugepagesize/ {s=$2} END {print int(f*s/1024)}' /proc/meminfo)
if [[ $free_mb -ge 1024 ]] && grep -q hugetlbfs /proc/mounts; then
  mem=(--socket-mem=1024 --in-memory); sy_mem=(--set eal.hugepages=on --set eal.memory_mb=1024)
else
  mem=(--no-huge -m 1024 --no-shconf); sy_mem=(--set eal.hugepages=off --set eal.memory_mb=1024)
fi

testpmd_fps() {  # frames/s while testpmd reads the file: from its timestamped cumulative counters
  timeout -s INT 120 dpdk-testpmd --lcores 0@0,1@1 --no-pci --file-prefix sy_bench_md_tp \
    "${mem[@]}" --vdev "net_pcap0,rx_pcap=$work/md.pcap" --log-level=error -- \
    --forward-mode=io --auto-start --stats-period 1 --nb-cores 1 --total-num-mbufs 16384 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$work/tp.log" &
  local n=0 got=0
  while ((n < 600)); do
    sleep 0.2; n=$((n + 1))
    got=$(grep -o 'RX-packets: *[0-9]*' "$work/tp.log" | tail -1 | awk '{print $2}')
    [[ -n $got && $got -ge $frames ]] && break
  done
  pkill -INT -f "file-prefix sy_bench_md_tp" 2>/dev/null || true
  wait 2>/dev/null || true
  # Rate between the first and the last sample taken while the file was being read.
  grep 'RX-packets' "$work/tp.log" | awk -v total="$frames" '
    { for (i = 1; i <= NF; i++) if ($i == "RX-packets:") { p = $(i + 1) } t = $1 }
    p > 0 && p < total { if (!seen) { t0 = t; p0 = p; seen = 1 } t1 = t; p1 = p }
    END { if (seen && t1 > t0) printf "%.0f", (p1 - p0) / (t1 - t0); else print "nan" }'
}

sy_run() {
  "$build/src/switchyard" --config "$profile" "${sy_mem[@]}" --set eal.file_prefix=sy_bench_md \
    --set "ports.wire0.args.rx_pcap=$work/md.pcap" --set run.expect_frames="$frames" \
    --set run.clock=capture --set lcores.1.idle=spin --set lcores.2.cpu=0 \
    --set rings.md_size=16384 --set ports.wire0.mbufs=65535 --summary-json "$work/sy.json" >"$work/sy.log" 2>&1 || true
  python3 - "$work/sy.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["stop"]["run_seconds"] + s["stop"]["drain_seconds"]
f = s["feeds"]["itch"]
print(f'{s["ports"]["wire0"]["received"]/t:.0f} {f["applied"]/t:.0f} {s["lost"]} {f["lost"]}')
PY
}

printf '%-6s %16s %18s %18s %8s %8s\n' round "testpmd frames/s" "switchyard fr/s" "switchyard msg/s" "lost" "ratio"
ratios=()
for ((r = 1; r <= rounds; r++)); do
  tp=$(testpmd_fps)
  read -r fps mps lost feed_lost < <(sy_run)
  ratio=$(awk -v a="$fps" -v b="$tp" 'BEGIN {printf "%.3f", a/b}')
  ratios+=("$ratio")
  printf '%-6s %16s %18s %18s %8s %8s\n' "$r" "$tp" "$fps" "$mps" "$((lost + feed_lost))" "$ratio"
done
m=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio, appliance frames/s / testpmd io-forward frames/s on the same capture: $m"
