#!/usr/bin/env bash
# perf/run.sh PROFILE: one bench result (docs/contracts/bench_result.schema.json) for a load
# profile (perf/profiles/PROFILE.yaml), with the reference ceilings measured in the same run.
#
#   perf/run.sh steady [--build DIR] [--out FILE] [--rate PPS] [--duration-ms MS]
#       [--idle sleep|spin] [--plot FILE.svg]
#
# Steps, interleaved so that the host's drift hits both sides alike:
#   1. reference: dpdk-testpmd as the memif server in macswap mode (every frame reflected, the
#      least a peer can do) and switchyard-gen as the client, same profile, same CPUs;
#   2. the appliance (conf/profiles/dev-memif.yaml, its own socket and prefix) and
#      switchyard-gen, same profile; its exit summary gives drops by reason;
#   3. fio, io_uring with O_DIRECT, sequential 64 KiB writes on the filesystem of the output
#      directory: the storage ceiling on this host.
# Needs: a build with switchyard and switchyard-gen, dpdk-testpmd, fio, python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
profile=${1:-}
[[ -n "$profile" && "$profile" != -* ]] || { echo "usage: perf/run.sh PROFILE [--build DIR] [--out FILE] [--rate PPS] [--duration-ms MS] [--plot FILE.svg]" >&2; exit 2; }
shift
build=${BUILD:-$root/build}
out=""
plot=""
gen_extra=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --plot) plot=$2; shift 2 ;;
    --rate) gen_extra+=(--rate "$2"); shift 2 ;;
    --duration-ms) gen_extra+=(--duration-ms "$2"); shift 2 ;;
    --idle) gen_extra+=(--idle "$2"); shift 2 ;;
    *) echo "perf/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
profile_file=$root/perf/profiles/$profile.yaml
[[ -f "$profile_file" ]] || { echo "perf/run.sh: no profile $profile_file" >&2; exit 2; }
sy=$build/src/switchyard
gen=$build/perf/gen/switchyard-gen
for b in "$sy" "$gen"; do [[ -x "$b" ]] || { echo "perf/run.sh: $b not built" >&2; exit 2; }; done
for t in dpdk-testpmd fio python3; do command -v $t > /dev/null || { echo "perf/run.sh: $t missing" >&2; exit 2; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/sy_bench.XXXXXX")
out=${out:-$work/result.json}
tag=$$
cfg=$root/conf/profiles/dev-memif.yaml
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  # EAL runtime directories of this run's processes (created even with --in-memory).
  rm -rf /var/run/dpdk/sy_bench_{ref,app,gen}_"$tag" 2> /dev/null || true
}
trap cleanup EXIT

# The generator: its polling lcore on CPU 0, the peer's on CPU 1 (virtual-links.md: two busy
# pollers on one CPU collapse to ~0.1 Mpps).
run_gen() { # SOCKET RESULT
  "$gen" --config "$cfg" --profile "$profile_file" "${gen_extra[@]}" --out "$2" \
    -- --lcores=0@0 --no-huge -m 512 --no-shconf --no-pci --log-level=error \
    --file-prefix="sy_bench_gen_$tag" \
    --vdev="net_memif0,role=client,socket=$1,socket-abstract=no" > "$2.log" 2>&1 || true
}
wait_for() { for _ in $(seq 200); do [[ -e $1 ]] && return 0; sleep 0.05; done; return 1; }

# 1. reference: testpmd macswap over the same link type. The generator polls 3 rx queues (the
#    appliance's tx queues on the port, one per sending role), so testpmd offers 3 tx queues;
#    it forwards what arrives on its one rx queue out of tx queue 0.
sock=$work/ref.sock
dpdk-testpmd -l 0,1 --in-memory --no-pci --file-prefix="sy_bench_ref_$tag" --log-level=error \
  --vdev="net_memif0,role=server,socket=$sock,socket-abstract=no" \
  -- --forward-mode=macswap --rxq=1 --txq=3 --auto-start --stats-period 1 \
  > "$work/testpmd.log" 2>&1 &
pids+=($!)
wait_for "$sock" || { cat "$work/testpmd.log"; echo "perf/run.sh: testpmd did not start" >&2; exit 1; }
sleep 0.5
run_gen "$sock" "$work/reference.json"
kill -INT "${pids[-1]}"; wait "${pids[-1]}" 2> /dev/null || true

# 2. the appliance.
sock=$work/app.sock
"$sy" --config "$cfg" --set eal.file_prefix="sy_bench_app_$tag" --set eal.in_memory=true \
  --set ports.memif0.args.socket="$sock" --summary-json "$work/summary.json" \
  > "$work/appliance.log" 2>&1 &
pids+=($!)
wait_for "$sock" || { cat "$work/appliance.log"; echo "perf/run.sh: appliance did not start" >&2; exit 1; }
sleep 0.5
run_gen "$sock" "$work/appliance.json"
sleep 0.3  # memif: the sender leaves first
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2> /dev/null || true

# 3. storage ceiling on the filesystem of the output.
fio_dir=$(dirname "$(realpath -m "$out")")
mkdir -p "$fio_dir"
fio --name=sy_ref --ioengine=io_uring --direct=1 --rw=write --bs=64k --size=128m --iodepth=16 \
  --filename="$fio_dir/.sy_fio_$tag" --output-format=json > "$work/fio.json" 2> "$work/fio.err" || true
rm -f "$fio_dir/.sy_fio_$tag"

python3 "$here/bench_result.py" --profile "$profile" --profile-file "$profile_file" \
  --appliance "$work/appliance.json" --reference "$work/reference.json" \
  --summary "$work/summary.json" --fio "$work/fio.json" --fs "$fio_dir" --out "$out"
[[ -z "$plot" ]] || python3 "$here/plot.py" "$out" "$plot"
echo "perf/run.sh: $out (work files in $work)"
