#!/usr/bin/env bash
# Installs the Debian 12 packages Switchyard builds, runs and tests with (only what is missing).
set -euo pipefail

packages=(
  build-essential clang libclang-rt-14-dev meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev liburing-dev libyaml-cpp-dev libgtest-dev nlohmann-json3-dev
  libpcap-dev python3-pyelftools python3-jsonschema tshark wireshark-common iproute2 fio
  # Service manager integration (sd_notify) and the unit checks (systemd-analyze); the host
  # scripts read profiles with python3-yaml and find PCI devices with pciutils.
  libsystemd-dev systemd python3-yaml pciutils
  # The control plane: SHA-256 for the audit chain (libcrypto), the loopback HTTP API
  # (cpp-httplib), curl for its tests, valgrind for perf/bench_control.sh's instruction counts.
  libssl-dev libcpp-httplib-dev curl valgrind
  # What the appliance loads at run time. dpdk only recommends some of them, and clang does not
  # pull in its sanitizer and libFuzzer runtimes: name them so a minimal install still works.
  librte-net-pcap23 librte-net-memif23 librte-net-ring23 librte-net-null23
  librte-net-af-packet23 librte-mempool-ring23
  # observe: the OTLP/HTTP client
  libcpp-httplib-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: run as root (apt-get needs it), or install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the default (no) is what we want.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
