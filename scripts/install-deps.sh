#!/usr/bin/env bash
# Installs the Debian 12 packages Switchyard builds, runs and tests with (only what is missing).
set -euo pipefail

packages=(
  build-essential clang meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev liburing-dev libyaml-cpp-dev libgtest-dev nlohmann-json3-dev
  libpcap-dev python3-pyelftools python3-jsonschema tshark iproute2 fio
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
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
