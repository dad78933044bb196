#!/usr/bin/env bash
# What the control plane costs the hot path. Two measurements:
#
# 1. Throughput, interleaved round by round in the same run (this machine's speed drifts): the
#    appliance on an endless net_pcap capture (live, rx spinning, rings drop) with the control
#    plane supervising (control.supervise: true: control lcore ticks, hazard sampling, budget
#    histograms on every consumer, the shipped budgets.yaml) versus off (control.supervise:
#    false: the stop protocol only). Packets consumed per second, median ratio on/off.
# 2. Instructions (valgrind --tool=callgrind), which wall-clock noise cannot blur: the consumer
#    burst loop (consume_until_end, what integrity/execution/storage run per burst) with the
#    budget histogram on and off, in perf/bench_control.cpp (no EAL threads, so every run
#    counts the same). The appliance itself under valgrind serialises its lcores and its batch
#    stop depends on timing, so its counts are not repeatable; the driver runs the same code.
#
#   perf/bench_control.sh [-b BUILD_DIR] [-r ROUNDS] [-d SECONDS] [-o RESULT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=5 secs=4 result=""
while getopts "b:r:d:o:" opt; do
  case $opt in
    b) build=$OPTARG ;; r) rounds=$OPTARG ;; d) secs=$OPTARG ;; o) result=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-d SECONDS] [-o RESULT.json]" >&2; exit 2 ;;
  esac
done
sy=$build/src/switchyard
gen=$build/perf/switchyard-traffic
drv=$build/perf/switchyard-bench-control
for f in "$sy" "$gen" "$drv"; do [[ -x $f ]] || { echo "bench: $f missing; build first" >&2; exit 2; }; done
command -v valgrind >/dev/null || { echo "bench: valgrind missing (apt-get install valgrind)" >&2; exit 2; }

work=$(mktemp -d /tmp/sy_bench_ctl.XXXXXX)
trap 'rm -rf "$work"' EXIT
profile=conf/profiles/default.yaml
"$gen" --config "$profile" --frames 4096 --seed 42 --mix lines=80,sessions=20,other=0,malformed=0 \
  --out "$work/bench.pcap" >/dev/null

run() {  # $1: true|false (control.supervise); prints consumed Mpps
  local extra=()
  [[ $1 == true ]] && extra=(--set control.budgets=../policy/budgets.yaml)
  "$sy" --config "$profile" --set eal.file_prefix=sy_bench_ctl \
    --set "ports.wire0.args.rx_pcap=$work/bench.pcap" --set ports.wire0.args.infinite_rx=1 \
    --set run.mode=live --set run.max_runtime_ms=$((secs * 1000)) \
    --set lcores.1.idle=spin --set lcores.2.cpu=0 --set rings.on_full=drop --set ports.wire0.mbufs=8191 \
    --set control.supervise="$1" "${extra[@]}" \
    --summary-json "$work/sy.json" >"$work/sy.log" 2>&1 || true
  python3 - "$work/sy.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
consumed = sum(c["consumed"] for c in s["classes"].values())
print(f'{consumed / s["stop"]["run_seconds"] / 1e6:.4f}')
PY
}

printf '%-6s %16s %16s %8s\n' round "supervised Mpps" "unsupervised Mpps" "on/off"
ratios=() ons=() offs=()
for ((r = 1; r <= rounds; r++)); do
  # Alternate which goes first so that drift within a round does not favour one side.
  if ((r % 2)); then on=$(run true); off=$(run false); else off=$(run false); on=$(run true); fi
  ratio=$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.4f", a/b}')
  ratios+=("$ratio") ons+=("$on") offs+=("$off")
  printf '%-6s %16s %16s %8s\n' "$r" "$on" "$off" "$ratio"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${ratios[@]}")
echo "median throughput ratio supervised/unsupervised: $m (overhead $(awk -v m="$m" 'BEGIN {printf "%.2f", (1-m)*100}')%, goal <= 2%)"

# Instruction counts of the consumer burst loop, budget sampling on and off.
packets=65536 drv_rounds=4
ir() {  # $1: on|off -> instructions inside consume_until_end
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" --toggle-collect='*consume_round*' \
    "$drv" --dwell "$1" --packets $packets --rounds $drv_rounds --ticks 1 >/dev/null 2>"$work/vg.$1"
  callgrind_annotate "$work/cg.$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
ir_on=$(ir on) ir_off=$(ir off)
n=$((packets * drv_rounds))
echo "callgrind, consumer loop: budgets on $ir_on Ir ($(awk -v i="$ir_on" -v n=$n 'BEGIN {printf "%.3f", i/n}') per packet)," \
  "off $ir_off Ir ($(awk -v i="$ir_off" -v n=$n 'BEGIN {printf "%.3f", i/n}') per packet):" \
  "+$(awk -v a="$ir_on" -v b="$ir_off" 'BEGIN {printf "%.2f", (a/b-1)*100}')%"
if [[ -n $result ]]; then
  printf '{"bench":"control","rounds":%d,"seconds":%d,"supervised_mpps":[%s],"unsupervised_mpps":[%s],"ratios":[%s],"median_ratio":%s,"callgrind_consumer_ir_on":%s,"callgrind_consumer_ir_off":%s,"packets":%d}\n' \
    "$rounds" "$secs" "$(IFS=,; echo "${ons[*]}")" "$(IFS=,; echo "${offs[*]}")" "$(IFS=,; echo "${ratios[*]}")" \
    "$m" "$ir_on" "$ir_off" "$n" >"$result"
fi
