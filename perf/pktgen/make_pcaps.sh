#!/usr/bin/env bash
# Writes the pcaps the pktgen scripts replay, from switchyard-gen's own profiles (the same
# market data and probes it sends live), against an appliance config (addresses and the
# feed's lines come from it).
#
#   perf/pktgen/make_pcaps.sh [--build DIR] [--config conf/profiles/dev-memif.yaml]
#       [--duration-ms 20] [--out perf/pktgen]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
build=${BUILD:-$root/build}
config=$root/conf/profiles/dev-memif.yaml
duration=20
out=$here
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --duration-ms) duration=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "make_pcaps.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for p in steady burst skew; do
  "$build/perf/gen/switchyard-gen" --config "$config" --profile "$root/perf/profiles/$p.yaml" \
    --duration-ms "$duration" --write-pcap "$out/$p.pcap"
done
