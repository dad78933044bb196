#!/usr/bin/env bash
# Orders per second through the risk gate on one execution lcore, and the gate-decision and
# rx-to-tx latency at a given offered order rate, against dpdk-testpmd io-forward over the same
# link type (memif), interleaved round by round because this machine's speed drifts. Each round:
#   testpmd   memif server in io-forward (one forwarding lcore on CPU 1) fed by a memif client
#             testpmd in flowgen (CPU 0) with frames of an order's size: the link's ceiling;
#   pass      the appliance (memif server) with switchyard-venue (memif client, CPU 0) in flood
#             mode: Enter Orders at -p orders/s offered, every one inside the policy's limits,
#             through rx -> execution lcore (sessions, gate, ledger) -> venue -> relay -> client;
#   breach    the same with -x percent of the orders breaking max shares (gate rejects);
#   gate      switchyard-bench-gate: Gate::decide alone on one core, no ports.
# Latency figures come from the appliance's --summary-json (execution.latency, ns): decision =
# rx TSC to gate decision, rx-to-tx = rx TSC to the venue tx burst. Prints per round and medians.
# Not a test: figures go to docs/benchmarks.md.
#
#   perf/bench_execution.sh [-b BUILD_DIR] [-r ROUNDS] [-p OFFERED_ORDERS_PER_S] [-d FLOOD_MS]
#                           [-x BREACH_PERCENT] [-l LAYOUT] [-o RESULT.json]
# LAYOUT (2 CPUs: something must share): shared (default) = rx and execution lcores both on
# CPU 1 (idle: sleep), the peer alone on CPU 0; split = rx lcore spinning alone on CPU 1, the
# execution lcore with the peer on CPU 0. Defaults: 3 rounds, 1 M orders/s for 1000 ms, 5 %.
# "ratio" = gate decisions/s over testpmd's packets/s; at saturation most decisions are SAFE
# rejections (column "safe"), see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=3 pps=1000000 flood_ms=1000 breach=5 layout=shared result=""
order_ring=${ORDER_RING:-65536}  # rx -> execution ring: absorbs a descheduled execution lcore
while getopts "b:r:p:d:x:l:o:" opt; do
  case $opt in
    b) build=$OPTARG ;; r) rounds=$OPTARG ;; p) pps=$OPTARG ;; d) flood_ms=$OPTARG ;;
    x) breach=$OPTARG ;; l) layout=$OPTARG ;; o) result=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-p PPS] [-d FLOOD_MS] [-x BREACH_PERCENT] [-l split|shared] [-o RESULT.json]" >&2
       exit 2 ;;
  esac
done
sy=$build/src/switchyard
peer=$build/perf/switchyard-venue
gate=$build/perf/switchyard-bench-gate
for f in "$sy" "$peer" "$gate"; do [[ -x $f ]] || { echo "bench: $f missing; run scripts/build.sh" >&2; exit 2; }; done
command -v dpdk-testpmd >/dev/null || { echo "bench: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 2; }
case $layout in
  split) rx_cpu=1 exec_cpu=0 rx_idle=spin exec_idle=sleep ;;
  shared) rx_cpu=1 exec_cpu=1 rx_idle=sleep exec_idle=sleep ;;
  *) echo "bench: -l must be split or shared" >&2; exit 2 ;;
esac

work=$(mktemp -d /tmp/sy_bench_exec.XXXXXX)
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # KEEP=1: leave the work directory (configs, logs, summary JSON) for a look afterwards.
  [[ -n ${KEEP:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
# Every process here runs without hugepages (memif copies into its own shared regions).
mem=(--no-huge -m 1024 --no-shconf --no-pci --log-level=error)

# Generous limits: every clean order passes; only the flood's 100,000-share orders breach.
cat >"$work/risk.yaml" <<'EOF'
reference: { max_age_ms: 600000, source: mid_or_last }
accounts:
  - name: DESK1
    id: 0
    sessions: [client1]
    max_shares_per_order: 10000
    max_order_notional_usd: 1000000
    price_collar_bps: 500
    max_open_orders: 1000000
    max_position_shares: 1000000000
    max_gross_exposure_usd: 1000000000000
    max_account_position_shares: 1000000000
    max_account_gross_exposure_usd: 1000000000000
    order_rate_per_s: 1000000
    order_burst: 100000
    instruments: [ { symbol: AAPL }, { symbol: MSFT }, { symbol: SPY } ]
EOF
# Tokens are day-unique and never leave the ledger: room for every order of a run at <= 75 %.
max_orders=1024
while ((max_orders * 3 / 4 < pps * flood_ms / 1000 + 1024)); do max_orders=$((max_orders * 2)); done

write_config() {  # $1: socket
  cat >"$work/exec.yaml" <<EOF
eal: { file_prefix: sy_bench_exec_$$, hugepages: "off", memory_mb: 1024 }
lcores:
  - { id: 0, cpu: 0, role: control }
  - { id: 1, cpu: $rx_cpu, role: rx, ports: [memif0], idle: $rx_idle }
  - { id: 2, cpu: 0, role: integrity }
  - { id: 3, cpu: $exec_cpu, role: execution, idle: $exec_idle }
  - { id: 4, cpu: 0, role: storage }
ports:
  - name: memif0
    device: net_memif0
    args: { role: server, socket: $1, socket-abstract: "no" }
    ipv4: 10.1.0.2
    mac: "02:53:59:00:00:02"
    next_hop_mac: "02:53:59:00:00:09"
    mbufs: 131071
feeds:
  - name: itch
    lines:
      - { name: A, port: memif0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }
      - { name: B, port: memif0, udp_dst: 26401, ipv4_dst: 233.54.12.112 }
sessions:
  - { name: client1, side: client, port: memif0, udp_dst: 40001, username: strat1, password: pw1 }
  - { name: venue, side: venue, port: memif0, udp_dst: 40100, username: sy01, password: vpw,
      server_ipv4: 10.1.0.20, server_udp: 40100 }
execution: { policy: $work/risk.yaml, max_orders: $max_orders }
rings: { order_size: $order_ring }
run: { mode: live }
control: { integrity_report: $work/integrity.json, report_interval_ms: 100 }
EOF
}

testpmd_mpps() {
  # io-forward memif server on CPU 1 (loop topology: what arrives goes back out), fed by a
  # flowgen memif client on CPU 0 that also drains what comes back. Both are driven from
  # stdin because forwarding started before the memif link is up never sees its rings; the
  # server's Rx-pps is read over `secs` seconds (testpmd computes it between two "show port
  # stats").
  local sock=$work/tp.sock secs=$(((flood_ms + 999) / 1000 + 1))
  rm -f "$sock"
  (sleep 3; echo start; sleep 1; echo "show port stats 0"; sleep "$secs"; echo "show port stats 0"
   echo stop; sleep 0.5; echo quit) |
    timeout -s INT $((secs + 20)) dpdk-testpmd --lcores 0@0,1@1 --file-prefix sy_bench_tps "${mem[@]}" \
      --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" \
      -- -i --forward-mode=io --port-topology=loop --nb-cores 1 --total-num-mbufs 16384 \
      >"$work/tp_server.log" 2>&1 &
  local server=$!
  bg+=("$server")
  for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
  (sleep 2; echo start; sleep $((secs + 3)); echo stop; sleep 0.5; echo quit) |
    timeout -s INT $((secs + 16)) dpdk-testpmd --lcores 2@0,3@0 --file-prefix sy_bench_tpc "${mem[@]}" \
      --vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" \
      -- -i --forward-mode=flowgen --txpkts=94 --nb-cores 1 --total-num-mbufs 16384 \
      >"$work/tp_client.log" 2>&1 || true
  wait "$server" 2>/dev/null || true
  bg=()
  grep -o 'Rx-pps: *[0-9]*' "$work/tp_server.log" | awk '{print $2}' | tail -n 1 |
    awk '{printf "%.3f", $1/1e6} END {if (NR == 0) print "nan"}'
}

appliance_run() {  # $1: breach percent; prints one line of figures
  local sock=$work/exec.sock
  rm -f "$sock" "$work/integrity.json" "$work/sy.json"
  write_config "$sock"
  "$sy" --config "$work/exec.yaml" --summary-json "$work/sy.json" >"$work/sy.log" 2>&1 &
  local app=$!
  bg+=("$app")
  for _ in $(seq 400); do [[ -S $sock && -f $work/integrity.json ]] && break; sleep 0.05; done
  "$peer" --config "$work/exec.yaml" --pps "$pps" --flood-ms "$flood_ms" --burst 32 \
    --breach-percent "$1" --linger-ms 2000 -- --lcores=0@0 "${mem[@]}" \
    --file-prefix=sy_bench_exec_peer_$$ \
    --vdev="net_memif0,role=client,socket=$sock,socket-abstract=no" \
    >"$work/peer.json" 2>"$work/peer.log" || true
  kill -TERM "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  bg=()
  python3 - "$work/sy.json" "$work/peer.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
x = s["execution"]
f = p["flood"]
decided = sum(x["gate"]["decisions"].values())
secs = f["seconds"] or float("nan")
lat = x["latency"]
d, t = lat["rx_to_decision"], lat["rx_to_tx"]
rej = lat["reject_rx_to_tx"]
answered = p["client"]["by_type"].get("A", 0) + p["client"]["by_type"].get("J", 0)
lost = f["orders"] - answered
# offered, sent/s, decided/s, decision p50 p99 p999, rx-to-tx p50 p99 p999, reject p99, unanswered
q = lambda h, k: h[k + "_ns"]
print(f'{f["offered_pps"]/1e6:.3f} {f["sent_pps"]/1e6:.3f} {decided/secs/1e6:.3f} '
      f'{q(d,"p50")} {q(d,"p99")} {q(d,"p999")} {q(t,"p50")} {q(t,"p99")} {q(t,"p999")} '
      f'{q(rej,"p99")} {lost} {x["gate"]["failed_by_check"].get("safety_mode", 0)}')
PY
}

gate_only() {
  "$gate" --orders 1000000 --seed 1 >"$work/gate.txt"
  python3 - "$work/gate.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rate = re.search(r"decide only: ([0-9.]+) M decisions/s", t).group(1)
m = re.search(r"p50 (\d+)\s+p99 (\d+)\s+p99\.9 (\d+)", t)
print(rate, *m.groups())
PY
}

echo "offered ${pps} orders/s for ${flood_ms} ms per run, layout $layout (rx lcore CPU $rx_cpu, execution lcore CPU $exec_cpu, peer CPU 0), breach mix ${breach}%"
hdr='%-5s %-6s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s %7s %8s\n'
printf "$hdr" round run "offered" "sent" "decided" "dec.p50" "dec.p99" "dec.999" "tx.p50" "tx.p99" "tx.999" "rej.p99" "unans" "safe" "ratio"
printf "$hdr" "" "" "Morders/s" "M/s" "M/s" ns ns ns ns ns ns ns "" "rejects" "/testpmd"
declare -a tp_all pass_ratio pass_dec99 pass_tx99 pass_dec pass_tx999 pass_dec999 gate_rate gate99 breach_dec99 breach_tx99
for ((r = 1; r <= rounds; r++)); do
  tp=$(testpmd_mpps)
  tp_all+=("$tp")
  printf '%-5s %-6s %8s %8s %8s\n' "$r" testpmd "" "$tp" ""
  for mix in pass breach; do
    pct=0; [[ $mix == breach ]] && pct=$breach
    read -r off sent dec d50 d99 d999 t50 t99 t999 rj99 lost safe < <(appliance_run "$pct")
    ratio=$(awk -v a="$dec" -v b="$tp" 'BEGIN {printf "%.3f", a/b}')
    printf "$hdr" "$r" "$mix" "$off" "$sent" "$dec" "$d50" "$d99" "$d999" "$t50" "$t99" "$t999" "$rj99" "$lost" "$safe" "$ratio"
    if [[ $mix == pass ]]; then
      pass_ratio+=("$ratio") pass_dec+=("$dec") pass_dec99+=("$d99") pass_tx99+=("$t99")
      pass_dec999+=("$d999") pass_tx999+=("$t999")
    else
      breach_dec99+=("$d99") breach_tx99+=("$t99")
    fi
  done
  read -r grate g50 g99 g999 < <(gate_only)
  gate_rate+=("$grate") gate99+=("$g99")
  printf '%-5s %-6s %8s %8s %8s %7s %7s %7s   (gate alone, no ports)\n' "$r" gate "" "" "$grate" "$g50" "$g99" "$g999"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "medians over $rounds rounds:"
echo "  testpmd io-forward over memif: $(median "${tp_all[@]}") Mpps"
echo "  pass mix: $(median "${pass_dec[@]}") M decisions/s (ratio to testpmd $(median "${pass_ratio[@]}")), decision p99 $(median "${pass_dec99[@]}") ns (goal <= 1000), p99.9 $(median "${pass_dec999[@]}") ns; rx-to-tx p99 $(median "${pass_tx99[@]}") ns (goal <= 5000), p99.9 $(median "${pass_tx999[@]}") ns"
echo "  breach mix: decision p99 $(median "${breach_dec99[@]}") ns, rx-to-tx p99 $(median "${breach_tx99[@]}") ns"
echo "  gate alone: $(median "${gate_rate[@]}") M decisions/s, p99 $(median "${gate99[@]}") ns"
echo "  predecessor fast-path p99 (seed 001): 29790 ns"
if [[ -n $result ]]; then
  j() { (IFS=,; echo "$*"); }
  printf '{"bench":"execution","rounds":%d,"offered_pps":%d,"flood_ms":%d,"layout":"%s","testpmd_mpps":[%s],"pass_decided_mps":[%s],"pass_ratio":[%s],"pass_decision_p99_ns":[%s],"pass_rx_to_tx_p99_ns":[%s],"breach_decision_p99_ns":[%s],"breach_rx_to_tx_p99_ns":[%s],"gate_mps":[%s],"gate_p99_ns":[%s]}\n' \
    "$rounds" "$pps" "$flood_ms" "$layout" "$(j "${tp_all[@]}")" "$(j "${pass_dec[@]}")" "$(j "${pass_ratio[@]}")" \
    "$(j "${pass_dec99[@]}")" "$(j "${pass_tx99[@]}")" "$(j "${breach_dec99[@]}")" "$(j "${breach_tx99[@]}")" \
    "$(j "${gate_rate[@]}")" "$(j "${gate99[@]}")" >"$result"
fi
