#!/usr/bin/env bash
# Orders per second through the risk gate on one execution lcore, and the gate-decision and
# rx-to-tx latency at a given offered order rate, from net_ring ports, against dpdk-testpmd
# io-forward over net_ring ports, interleaved round by round because this machine's speed
# drifts. Each round:
#   testpmd   io-forward between two net_ring ports (--tx-first: 2 x 32 frames of an order's
#             size circulate), one forwarding lcore on the execution lcore's CPU: the packets/s
#             the ports carry when forwarding costs nothing (the sum of both ports' Rx-pps);
#   pass      switchyard-bench-exec-ring: the appliance (rx lcore -> execution lcore: sessions,
#             gate, ledger, tx; src/app.cpp as in production) and, on one more lcore of the same
#             process, the peer over the other end of the rings: market data, the venue
#             (VenueSim) and the client flood, -p Enter Orders/s offered for -d ms, every one
#             inside the policy's limits;
#   breach    the same with -x percent of the orders breaking max shares (gate rejects);
#   gate      switchyard-bench-gate: Gate::decide alone on one core, no ports.
# Latency figures come from the appliance's --summary-json (execution.latency, ns): decision =
# rx TSC (the rx lcore's poll) to gate decision, rx-to-tx = rx TSC to the venue tx burst. The
# books of every run: orders sent = orders the router forwarded, rejected or ignored + orders
# dropped before it under a named reason (`silent` = what neither explains, must be 0);
# `unans` = orders the client heard no Accepted or Rejected for (each one must be covered by a
# counted drop, `drops`).
# Not a test: figures go to docs/benchmarks.md.
#
#   perf/bench_execution_ring.sh [-b BUILD_DIR] [-r ROUNDS] [-p OFFERED_ORDERS_PER_S] [-d FLOOD_MS]
#                                [-x BREACH_PERCENT] [-l LAYOUT] [-s RING_SIZE] [-w WINDOW]
#                                [-o RESULT.json]
# LAYOUT (2 CPUs: something must share):
#   split (default) execution lcore alone on CPU 1, idle: spin; rx lcore (idle: sleep), the peer
#                   and the control, integrity and storage lcores (idle: sleep) on CPU 0. The
#                   measured window starts at the rx lcore's poll, so the rx lcore losing its
#                   CPU to the peer delays orders before they are stamped, not after; the
#                   execution lcore, where decision and tx happen, never waits for a CPU;
#   shared          rx and execution lcores both on CPU 1 (idle: sleep), the peer on CPU 0 (the
#                   memif benchmark's layout): every rx -> execution handoff waits for the
#                   scheduler.
# WINDOW: the client keeps at most this many orders unanswered (0: no limit). The venue's
# answers share the link with the client's orders; past the appliance's capacity an unlimited
# flood fills the link and holds them back, and the appliance's sends toward the peer then
# overflow. With the window the excess waits at the client (the `sent` rate falls behind).
# Defaults: 3 rounds, 1 M orders/s for 1000 ms, 5 % breaches, 16384-entry link rings, window
# 1024 (the rx -> execution ring's default size).
# "ratio" = gate decisions/s over testpmd's packets/s.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build rounds=3 pps=1000000 flood_ms=1000 breach=5 layout=split ring_size=16384 window=1024 result=""
# rx -> execution ring: the production default. With rings.on_full: wait a full ring stops the
# rx lcore, the net_ring link fills and the peer's flood is held back (counted as backpressure):
# beyond the appliance's capacity the offered rate falls behind instead of orders being dropped.
order_ring=${ORDER_RING:-1024}
while getopts "b:r:p:d:x:l:s:w:o:" opt; do
  case $opt in
    b) build=$OPTARG ;; r) rounds=$OPTARG ;; p) pps=$OPTARG ;; d) flood_ms=$OPTARG ;;
    x) breach=$OPTARG ;; l) layout=$OPTARG ;; s) ring_size=$OPTARG ;; w) window=$OPTARG ;;
    o) result=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-r ROUNDS] [-p PPS] [-d FLOOD_MS] [-x BREACH_PERCENT] [-l split|shared] [-s RING_SIZE] [-w WINDOW] [-o RESULT.json]" >&2
       exit 2 ;;
  esac
done
harness=$build/perf/switchyard-bench-exec-ring
gate=$build/perf/switchyard-bench-gate
for f in "$harness" "$gate"; do [[ -x $f ]] || { echo "bench: $f missing; run scripts/build.sh" >&2; exit 2; }; done
command -v dpdk-testpmd >/dev/null || { echo "bench: dpdk-testpmd missing (apt-get install dpdk)" >&2; exit 2; }
case $layout in
  split) rx_cpu=0 exec_cpu=1 rx_idle=sleep exec_idle=spin ;;
  shared) rx_cpu=1 exec_cpu=1 rx_idle=sleep exec_idle=sleep ;;
  *) echo "bench: -l must be split or shared" >&2; exit 2 ;;
esac
peer_cpu=0

work=$(mktemp -d /tmp/sy_bench_ring.XXXXXX)
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  # KEEP=1: leave the work directory (configs, logs, summary JSON) for a look afterwards.
  [[ -n ${KEEP:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# Hugepages when 2 GiB are free (other users of the host may hold them), else --no-huge; the
# same for testpmd and the appliance.
free_mib=$(awk '/HugePages_Free/ {f=$2} /Hugepagesize/ {s=$2} END {print int(f*s/1024)}' /proc/meminfo)
if ((free_mib >= 2048)); then
  huge=on tp_mem=(--in-memory -m 512)
else
  huge=off tp_mem=(--no-huge -m 512 --no-shconf)
fi

# Generous limits: every clean order passes; only the flood's 100,000-share orders breach.
cat >"$work/risk.yaml" <<'YAML'
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
YAML
# Tokens are day-unique and never leave the ledger: room for every order of a run at <= 75 %.
max_orders=1024
while ((max_orders * 3 / 4 < pps * flood_ms / 1000 + 1024)); do max_orders=$((max_orders * 2)); done

cat >"$work/exec.yaml" <<YAML
eal: { file_prefix: sy_bench_ring_$$, hugepages: "$huge", memory_mb: 1024, in_memory: true }
lcores:
  - { id: 0, cpu: 0, role: control }
  - { id: 1, cpu: $rx_cpu, role: rx, ports: [ring0], idle: $rx_idle }
  - { id: 2, cpu: 0, role: integrity }
  - { id: 3, cpu: $exec_cpu, role: execution, idle: $exec_idle }
  - { id: 4, cpu: 0, role: storage }
ports:
  - name: ring0
    device: net_ring_sybench
    ipv4: 10.1.0.2
    mac: "02:53:59:00:00:02"
    next_hop_mac: "02:53:59:00:00:09"
    mbufs: 131071
feeds:
  - name: itch
    lines:
      - { name: A, port: ring0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }
      - { name: B, port: ring0, udp_dst: 26401, ipv4_dst: 233.54.12.112 }
sessions:
  - { name: client1, side: client, port: ring0, udp_dst: 40001, username: strat1, password: pw1 }
  - { name: venue, side: venue, port: ring0, udp_dst: 40100, username: sy01, password: vpw,
      server_ipv4: 10.1.0.20, server_udp: 40100 }
execution: { policy: $work/risk.yaml, max_orders: $max_orders }
rings: { order_size: $order_ring, on_full: wait }
run: { mode: live }
control: { integrity_report: $work/integrity.json, report_interval_ms: 100 }
YAML

testpmd_mpps() {
  # Two net_ring ports (each a loopback ring: what a port sends, it receives), io-forward
  # between them on one lcore: 64 frames circulate after --tx-first. testpmd prints both
  # ports' Rx-pps every second; the forwarded rate is their sum, read from the last full print.
  local secs=$(((flood_ms + 999) / 1000 + 2))
  timeout -s INT "$secs" dpdk-testpmd --lcores "0@0,1@$exec_cpu" --file-prefix "sy_bench_tpr_$$" \
    "${tp_mem[@]}" --no-pci --log-level=error --vdev=net_ring0 --vdev=net_ring1 \
    -- --forward-mode=io --nb-cores=1 --tx-first --txpkts=94 --stats-period=1 \
    --total-num-mbufs=16384 </dev/null >"$work/testpmd.log" 2>&1 || true
  grep -a -o 'Rx-pps: *[0-9]*' "$work/testpmd.log" | awk '{print $2}' | tail -n 2 |
    awk '{s += $1; n++} END {if (n == 2) printf "%.3f", s/1e6; else print "nan"}'
}

appliance_run() {  # $1: breach percent; prints one line of figures
  rm -f "$work/integrity.json" "$work/sy.json"
  "$harness" --config "$work/exec.yaml" --summary-json "$work/sy.json" \
    --peer-lcore "5@$peer_cpu" --ring-size "$ring_size" --pps "$pps" --flood-ms "$flood_ms" \
    --burst 32 --breach-percent "$1" --window "$window" --linger-ms 2000 >"$work/run.log" 2>&1 ||
    true
  python3 - "$work/sy.json" "$work/run.log" <<'PY'
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
# The books: every order the peer sent reached the router (which forwards, rejects or ignores
# each: checked below) or was dropped before it under a named reason.
rc = x["router"]
before_gate = s["classes"]["client1"]["dropped"]
silent = f["sent"] - rc["orders_in"] - before_gate
silent += (rc["orders_in"] - rc["forwarded"] - rc["rejected"] - rc["ignored"]
           - rc["modify_refused"])
drops = sum(c["dropped"] for c in s["classes"].values()) + sum(
    t["drops"].get("tx_full", 0) for t in s["tx_ports"].values())
# offered, sent/s, decided/s, decision p50 p99 p999, rx-to-tx p50 p99 p999, reject p99,
# unanswered, safety rejects, silent, counted drops
q = lambda h, k: h[k + "_ns"]
print(f'{f["offered_pps"]/1e6:.3f} {f["sent_pps"]/1e6:.3f} {decided/secs/1e6:.3f} '
      f'{q(d,"p50")} {q(d,"p99")} {q(d,"p999")} {q(t,"p50")} {q(t,"p99")} {q(t,"p999")} '
      f'{q(rej,"p99")} {lost} {x["gate"]["failed_by_check"].get("safety_mode", 0)} {silent} {drops}')
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

echo "offered ${pps} orders/s for ${flood_ms} ms per run, layout $layout (rx lcore CPU $rx_cpu $rx_idle, execution lcore CPU $exec_cpu $exec_idle, peer CPU $peer_cpu), breach mix ${breach}%, link rings $ring_size, window $window, hugepages $huge"
hdr='%-5s %-6s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6s %7s %6s %6s %8s\n'
printf "$hdr" round run "offered" "sent" "decided" "dec.p50" "dec.p99" "dec.999" "tx.p50" "tx.p99" "tx.999" "rej.p99" "unans" "safe" silent drops "ratio"
printf "$hdr" "" "" "Morders/s" "M/s" "M/s" ns ns ns ns ns ns ns "" "rejects" "" "" "/testpmd"
declare -a tp_all pass_ratio pass_dec99 pass_tx99 pass_dec pass_tx999 pass_dec999 pass_dec50 pass_tx50 gate_rate gate99 breach_dec99 breach_tx99
books_ok=1
for ((r = 1; r <= rounds; r++)); do
  tp=$(testpmd_mpps)
  tp_all+=("$tp")
  printf '%-5s %-6s %8s %8s %8s\n' "$r" testpmd "" "$tp" ""
  for mix in pass breach; do
    pct=0; [[ $mix == breach ]] && pct=$breach
    read -r off sent dec d50 d99 d999 t50 t99 t999 rj99 lost safe silent drops < <(appliance_run "$pct")
    ratio=$(awk -v a="$dec" -v b="$tp" 'BEGIN {printf "%.4f", a/b}')
    printf "$hdr" "$r" "$mix" "$off" "$sent" "$dec" "$d50" "$d99" "$d999" "$t50" "$t99" "$t999" "$rj99" "$lost" "$safe" "$silent" "$drops" "$ratio"
    if ((silent != 0 || lost > drops)); then
      echo "bench: round $r $mix: the books do not balance (silent $silent, unanswered $lost > counted drops $drops)" >&2
      books_ok=0
    fi
    if [[ $mix == pass ]]; then
      pass_ratio+=("$ratio") pass_dec+=("$dec") pass_dec99+=("$d99") pass_tx99+=("$t99")
      pass_dec999+=("$d999") pass_tx999+=("$t999") pass_dec50+=("$d50") pass_tx50+=("$t50")
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
echo "  testpmd io-forward over net_ring: $(median "${tp_all[@]}") Mpps"
echo "  pass mix: $(median "${pass_dec[@]}") M decisions/s (ratio to testpmd $(median "${pass_ratio[@]}")), decision p50 $(median "${pass_dec50[@]}") p99 $(median "${pass_dec99[@]}") ns (goal <= 1000), p99.9 $(median "${pass_dec999[@]}") ns; rx-to-tx p50 $(median "${pass_tx50[@]}") p99 $(median "${pass_tx99[@]}") ns (goal <= 5000), p99.9 $(median "${pass_tx999[@]}") ns"
echo "  breach mix: decision p99 $(median "${breach_dec99[@]}") ns, rx-to-tx p99 $(median "${breach_tx99[@]}") ns"
echo "  gate alone: $(median "${gate_rate[@]}") M decisions/s, p99 $(median "${gate99[@]}") ns"
echo "  predecessor fast-path p99 (seed 001): 29790 ns"
((books_ok)) && echo "  books: every order sent was decided or dropped under a named reason, in every run"
if [[ -n $result ]]; then
  j() { (IFS=,; echo "$*"); }
  printf '{"bench":"execution_ring","rounds":%d,"offered_pps":%d,"flood_ms":%d,"layout":"%s","ring_size":%d,"testpmd_mpps":[%s],"pass_decided_mps":[%s],"pass_ratio":[%s],"pass_decision_p99_ns":[%s],"pass_rx_to_tx_p99_ns":[%s],"breach_decision_p99_ns":[%s],"breach_rx_to_tx_p99_ns":[%s],"gate_mps":[%s],"gate_p99_ns":[%s]}\n' \
    "$rounds" "$pps" "$flood_ms" "$layout" "$ring_size" "$(j "${tp_all[@]}")" "$(j "${pass_dec[@]}")" "$(j "${pass_ratio[@]}")" \
    "$(j "${pass_dec99[@]}")" "$(j "${pass_tx99[@]}")" "$(j "${breach_dec99[@]}")" "$(j "${breach_tx99[@]}")" \
    "$(j "${gate_rate[@]}")" "$(j "${gate99[@]}")" >"$result"
fi
((books_ok))
