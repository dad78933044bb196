#!/usr/bin/env bash
# Storage writer vs fio on the same file system, in the same run, interleaved (not a test).
#
#   perf/bench_storage.sh [BUILD_DIR] [DIR] [SECONDS]
#   env: BS_KIB (64), QD (8), ROUNDS (3), PACKET_BYTES (1024), SYNC (batch|interval),
#        FLUSH_AGE_US (1000: storage.flush_age_us), SYNC_INTERVAL_US (1000),
#        SPARES (0: storage.spare_segments), SPARE_FILL_MIBPS (256: storage.spare_fill_mib_per_s),
#        RATE_MBPS (the latency rounds' rate; default 50% of the writer's median throughput)
#
# 1. Throughput: the writer (switchyard-bench-storage --mode throughput: its own io_uring path,
#    O_DIRECT, registered buffers and files, preallocated segments, durable writes) against
#    fio --ioengine=io_uring --direct=1 --rw=write, same block size and queue depth. Goal >= 0.9x.
#    Plain fio never makes anything durable; so that the cost of durability is told apart from
#    the writer's own, each round also runs fio at the writer's durability: --sync=dsync for
#    SYNC=batch (every write durable), --fdatasync=N for SYNC=interval with N the writer's own
#    writes per fdatasync in that round.
# 2. Receive-to-durable latency of the writer paced at 50% of its measured throughput, against
#    the device's own durable-write latency: fio ... --sync=dsync, same bs and qd. Goal: writer
#    p99 <= 1.2x fio p99. The writer's figure is per record, to the completion that made it
#    durable; the wait for the watermark (in-order) is printed too. With SPARES the writer writes
#    into zero-filled (written) space, so each round also runs fio --sync=dsync over a file
#    written beforehand: the device's durable-write latency without the journal commit that
#    fallocate'd space costs. The goal stays against the fallocate'd reference above.
# Every round is printed; the summary is the median of the rounds (the machine is noisy).
# DIR must be on a file system with O_DIRECT (not tmpfs before Linux 6.6).
set -euo pipefail

BUILD=${1:-build}
DIR=${2:-/var/tmp/switchyard-bench-storage}
SECS=${3:-5}
BS_KIB=${BS_KIB:-64}
QD=${QD:-8}
ROUNDS=${ROUNDS:-3}
SYNC=${SYNC:-batch}
FLUSH_AGE_US=${FLUSH_AGE_US:-1000}
SYNC_INTERVAL_US=${SYNC_INTERVAL_US:-1000}
SPARES=${SPARES:-0}
SPARE_FILL_MIBPS=${SPARE_FILL_MIBPS:-256}
PACKET_BYTES=${PACKET_BYTES:-1024}
BENCH="$BUILD/perf/switchyard-bench-storage"

for tool in fio python3 findmnt; do
  command -v "$tool" >/dev/null || { echo "bench_storage: $tool is required" >&2; exit 2; }
done
[ -x "$BENCH" ] || { echo "bench_storage: $BENCH not built (ninja -C $BUILD perf/switchyard-bench-storage)" >&2; exit 2; }
mkdir -p "$DIR"
FSTYPE=$(findmnt -n -o FSTYPE -T "$DIR")
if [ "$FSTYPE" = tmpfs ]; then echo "bench_storage: $DIR is on tmpfs (no O_DIRECT here)" >&2; exit 2; fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "file system: $(findmnt -n -o SOURCE,FSTYPE -T "$DIR"), bs ${BS_KIB} KiB, qd $QD, ${SECS} s x $ROUNDS rounds"
echo "writer: sync $SYNC, flush_age_us $FLUSH_AGE_US, sync_interval_us $SYNC_INTERVAL_US, spare_segments $SPARES (fill $SPARE_FILL_MIBPS MiB/s)"

FIO_FILE="$DIR/fio.dat"
# Each run deletes gigabytes; with online discard (mount -o discard) the device trims them in the
# background, and the next run, fio or writer, would meet those trims as stalls of 100 ms and
# more. Every run starts after the file system has committed and the device has had a pause.
SETTLE_S=${SETTLE_S:-2}
settle() { sync -f "$DIR"; sleep "$SETTLE_S"; }
fio_run() {  # extra fio args...; prints "MBps p50_us p99_us p999_us"
  rm -f "$FIO_FILE"
  if [ "${FIO_WRITTEN:-0}" = 1 ]; then  # written like a spare segment, then settled
    dd if=/dev/zero of="$FIO_FILE" bs=1M count=4096 oflag=direct status=none
    settle
  else
    fallocate -l 4G "$FIO_FILE"  # preallocated like a segment: no layout pass
  fi
  fio --name=bench --filename="$FIO_FILE" --size=4G --ioengine=io_uring --direct=1 --rw=write \
      --bs="${BS_KIB}k" --iodepth="$QD" --runtime="$SECS" --time_based --lat_percentiles=1 \
      --output-format=json "$@" 2>/dev/null |
    python3 -c '
import json, sys
w = json.load(sys.stdin)["jobs"][0]["write"]
p = w["lat_ns"]["percentile"]
print("%.1f %.1f %.1f %.1f" % (w["bw_bytes"] / 1e6, p["50.000000"] / 1e3, p["99.000000"] / 1e3,
                               p["99.900000"] / 1e3))'
  rm -f "$FIO_FILE"
  settle
}
writer_run() {  # extra args...; prints "MBps p50_us p99_us p999_us watermark_p99_us writes_per_sync
                #   queue_p99_us io_p99_us io_max_us gen_lag_p99_us"
  "$BENCH" --dir "$DIR/store" --seconds "$SECS" --block-kib "$BS_KIB" --queue-depth "$QD" \
      --packet-bytes "$PACKET_BYTES" --sync "$SYNC" --flush-age-us "$FLUSH_AGE_US" \
      --sync-interval-us "$SYNC_INTERVAL_US" --spare-segments "$SPARES" \
      --spare-fill-mibps "$SPARE_FILL_MIBPS" "$@" |
    python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
print("%.1f %.1f %.1f %.1f %.1f %d %.1f %.1f %.1f %.1f" % (
    j["write_mbps"], j["lat_p50_us"], j["lat_p99_us"], j["lat_p999_us"], j["wm_p99_us"],
    round(j["writes"] / j["syncs"]) if j["syncs"] else 0, j["queue_p99_us"], j["io_p99_us"],
    j["io_max_us"], j["gen_lag_p99_us"]))'
  settle  # the bench removed its store
}
median() { python3 -c 'import sys, statistics; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

echo "== throughput (MB/s written)"
fio_bw=(); wr_bw=(); same_bw=()
for r in $(seq "$ROUNDS"); do
  read -r bw _ _ _ <<<"$(fio_run)"; fio_bw+=("$bw")
  read -r wbw _ _ _ _ per_sync _ <<<"$(writer_run --mode throughput)"; wr_bw+=("$wbw")
  if [ "$SYNC" = batch ]; then same="--sync=dsync"; else same="--fdatasync=$(( per_sync > 0 ? per_sync : 1 ))"; fi
  read -r sbw _ _ _ <<<"$(fio_run "$same")"; same_bw+=("$sbw")
  echo "round $r: fio $bw, writer $wbw, fio at the writer's durability ($same) $sbw"
done
FIO_BW=$(median "${fio_bw[@]}"); WR_BW=$(median "${wr_bw[@]}"); SAME_BW=$(median "${same_bw[@]}")
echo "median: fio $FIO_BW MB/s, writer $WR_BW MB/s, ratio $(python3 -c "print('%.2f' % ($WR_BW / $FIO_BW))") (goal >= 0.90)"
echo "median: fio at the writer's durability $SAME_BW MB/s, ratio $(python3 -c "print('%.2f' % ($WR_BW / $SAME_BW))")"

# RATE_MBPS pins the latency rounds' rate (e.g. to compare two writer configurations at one rate).
RATE=${RATE_MBPS:-$(python3 -c "print(int($WR_BW / 2))")}
echo "== receive-to-durable latency at $RATE MB/s (${RATE_MBPS:+set by RATE_MBPS, }50% of the writer's throughput: $(python3 -c "print(int($WR_BW / 2))")) vs fio --sync=dsync"
fio_p=(); wr_p=(); fio_o=()
for r in $(seq "$ROUNDS"); do
  read -r fbw f50 f99 f999 <<<"$(fio_run --sync=dsync)"
  read -r _ w50 w99 w999 wm99 _ q99 io99 iomax lag99 <<<"$(writer_run --mode latency --rate-mbps "$RATE")"
  fio_p+=("$f99"); wr_p+=("$w99")
  written=""
  if [ "$SPARES" != 0 ]; then
    read -r obw o50 o99 o999 <<<"$(FIO_WRITTEN=1 fio_run --sync=dsync)"
    fio_o+=("$o99")
    written="; fio dsync over written space (${obw} MB/s) p50/p99/p99.9 ${o50}/${o99}/${o999} us"
  fi
  echo "round $r: fio dsync (${fbw} MB/s, full qd) p50/p99/p99.9 ${f50}/${f99}/${f999} us; writer p50/p99/p99.9 ${w50}/${w99}/${w999} us (watermark p99 ${wm99}, in the writer before its write p99 ${q99}, write/sync p99 ${io99} max ${iomax} us, the harness appending late p99 ${lag99} us)${written}"
done
FIO_P99=$(median "${fio_p[@]}"); WR_P99=$(median "${wr_p[@]}")
echo "median p99: fio $FIO_P99 us, writer $WR_P99 us, ratio $(python3 -c "print('%.2f' % ($WR_P99 / $FIO_P99))") (goal <= 1.20)"
if [ "$SPARES" != 0 ]; then
  FIO_O99=$(median "${fio_o[@]}")
  echo "median p99: fio over written space $FIO_O99 us, ratio $(python3 -c "print('%.2f' % ($WR_P99 / $FIO_O99))")"
fi
rm -rf "$DIR/store"
