#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running appliance on the embedded default:
# installs what is missing, reserves hugepages when it can, builds, and runs the default
# profile (one net_pcap port replaying the bundled capture, no NIC needed).
# Extra arguments go to switchyard, e.g. --set run.mode=live.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release

# 512 x 2 MiB pages when we are root and the kernel lets us; otherwise switchyard falls back to
# --no-huge by itself (hugepages: auto) and says so.
if [[ $(id -u) -eq 0 ]]; then
  mkdir -p /dev/hugepages
  mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  if [[ ${free:-0} -lt 300 ]]; then
    echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
  fi
fi
exec build/src/switchyard --config conf/profiles/default.yaml "$@"
