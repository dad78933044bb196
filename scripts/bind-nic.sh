#!/usr/bin/env bash
# Hands a NIC to DPDK: checks the IOMMU and the device's IOMMU group, then binds the device to
# vfio-pci with dpdk-devbind.py (docs/operations.md, "Binding the NIC").
#
#   bind-nic.sh --status                 NICs, their drivers, and the IOMMU state (changes nothing)
#   bind-nic.sh --check PCI...           can these devices be bound? (changes nothing)
#   bind-nic.sh --bind PCI...            check, load vfio-pci, bind
#   bind-nic.sh --unbind PCI... --driver KMOD   give the devices back to a kernel driver
#
# Options:
#   --allow-noiommu   accept vfio's no-IOMMU mode (a VM without a virtual IOMMU): DMA is then
#                     unprotected and DPDK needs IOVA=PA (CAP_SYS_ADMIN); never on production
#   --force           bind even if the kernel interface is up (it is taken down with the bind)
#   --sysfs DIR       root of sysfs (tests; default /sys)
#
# Exit codes: 0 done (or would be possible); 1 a check failed (reason printed); 2 usage.
set -euo pipefail

mode=""
devices=()
driver=""
allow_noiommu=0
force=0
sysfs=/sys
devbind=${DPDK_DEVBIND:-dpdk-devbind.py}

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --status | --check | --bind | --unbind)
      [[ -z $mode ]] || usage
      mode=${1#--}
      ;;
    --driver) driver=${2:?--driver needs a kernel module}; shift ;;
    --allow-noiommu) allow_noiommu=1 ;;
    --force) force=1 ;;
    --sysfs) sysfs=${2:?}; shift ;;
    -h | --help) usage ;;
    -*) echo "bind-nic: unknown option '$1'" >&2; usage ;;
    *)
      # Accept the short form 3b:00.0 as dpdk-devbind.py does; work with the full one.
      dev=$1
      [[ $dev =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] && dev=0000:$dev
      [[ $dev =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]] || {
        echo "bind-nic: '$1' is not a PCI address like 0000:3b:00.0" >&2
        exit 2
      }
      devices+=("${dev,,}")
      ;;
  esac
  shift
done
[[ -n $mode ]] || usage
if [[ $mode != status ]] && ((${#devices[@]} == 0)); then
  echo "bind-nic: --$mode needs at least one PCI address" >&2
  exit 2
fi
if [[ $mode == unbind && -z $driver ]]; then
  echo "bind-nic: --unbind needs --driver KMOD (e.g. ixgbe, i40e, ice, mlx5_core)" >&2
  exit 2
fi

failures=0
say() { echo "bind-nic: $*"; }
fail() {
  echo "bind-nic: $*" >&2
  failures=$((failures + 1))
}

# --- IOMMU ----------------------------------------------------------------------------------
iommu_groups=0
if [[ -d $sysfs/kernel/iommu_groups ]]; then
  iommu_groups=$(find "$sysfs/kernel/iommu_groups" -mindepth 1 -maxdepth 1 | wc -l)
fi
noiommu=0
if [[ -r $sysfs/module/vfio/parameters/enable_unsafe_noiommu_mode ]] &&
  [[ $(cat "$sysfs/module/vfio/parameters/enable_unsafe_noiommu_mode") == [Yy1] ]]; then
  noiommu=1
fi
check_iommu() {
  if ((iommu_groups > 0)); then
    say "IOMMU: on ($iommu_groups groups)"
    grep -qw 'iommu=pt' /proc/cmdline ||
      say "IOMMU: consider iommu=pt on the kernel command line (host devices then skip" \
        "translation; DPDK's devices still go through the IOMMU)"
    return 0
  fi
  local virt
  virt=$(systemd-detect-virt 2>/dev/null || true)
  if ((noiommu && allow_noiommu)); then
    say "IOMMU: none; vfio no-IOMMU mode accepted (--allow-noiommu): DMA is unprotected"
    return 0
  fi
  fail "IOMMU: no IOMMU groups: vfio-pci cannot isolate the device." \
    "Enable VT-d/AMD-Vi in the firmware and add intel_iommu=on iommu=pt (or amd_iommu=on" \
    "iommu=pt) to the kernel command line, then reboot$([[ -n $virt && $virt != none ]] &&
      echo "; this is a '$virt' guest: its host must give it a virtual IOMMU, or use" \
        "--allow-noiommu for a test VM")"
  return 1
}

# --- one device -----------------------------------------------------------------------------
dev_dir() { echo "$sysfs/bus/pci/devices/$1"; }
current_driver() {
  local link
  link=$(dev_dir "$1")/driver
  [[ -L $link ]] && basename "$(readlink -f "$link")" || echo "none"
}
check_device() {
  local dev=$1 dir
  dir=$(dev_dir "$dev")
  if [[ ! -d $dir ]]; then
    fail "$dev: no such PCI device (see bind-nic.sh --status)"
    return 1
  fi
  local class
  class=$(cat "$dir/class" 2>/dev/null || echo "?")
  [[ $class == 0x02* ]] || say "$dev: PCI class $class is not a network controller"
  local drv
  drv=$(current_driver "$dev")
  say "$dev: driver $drv, NUMA node $(cat "$dir/numa_node" 2>/dev/null || echo "?")"
  if [[ $drv == vfio-pci ]]; then
    say "$dev: already bound to vfio-pci"
    return 0
  fi
  # A kernel interface that is up carries traffic (maybe the management link): refuse unless
  # told otherwise. Virtio devices keep their interface one level down, under virtioN/net.
  local netdir ifname
  for netdir in "$dir"/net/* "$dir"/virtio*/net/*; do
    [[ -d $netdir ]] || continue
    ifname=$(basename "$netdir")
    if [[ $(cat "$netdir/operstate" 2>/dev/null) == up ]]; then
        if ((force)); then
        say "$dev: interface $ifname is up; --force: it goes down with the bind"
      else
        fail "$dev: interface $ifname is up (a management link?): take it down first, or --force"
      fi
    fi
  done
  if ((iommu_groups > 0)); then
    if [[ ! -L $dir/iommu_group ]]; then
      fail "$dev: not in an IOMMU group"
      return 1
    fi
    local group members=()
    group=$(basename "$(readlink -f "$dir/iommu_group")")
    for m in "$dir"/iommu_group/devices/*; do members+=("$(basename "$m")"); done
    say "$dev: IOMMU group $group (${members[*]})"
    # vfio needs every device of the group bound to vfio-pci or to no driver.
    for m in "${members[@]}"; do
      [[ $m == "$dev" ]] && continue
      [[ " ${devices[*]} " == *" $m "* ]] && continue
      local mdrv
      mdrv=$(current_driver "$m")
      [[ $mdrv == vfio-pci || $mdrv == none || $mdrv == pcieport ]] ||
        fail "$dev: IOMMU group $group also holds $m (driver $mdrv): bind it too, or move the" \
          "NIC to a slot with its own group (ACS)"
    done
  fi
  return 0
}

case $mode in
  status)
    check_iommu || true
    if command -v "$devbind" >/dev/null; then
      "$devbind" --status-dev net
    else
      fail "$devbind not found (Debian package dpdk)"
    fi
    failures=0 # a report, not a check
    ;;
  check | bind)
    check_iommu || true
    for dev in "${devices[@]}"; do check_device "$dev" || true; done
    if ((failures)); then
      echo "bind-nic: $failures problem(s): nothing was changed" >&2
      exit 1
    fi
    if [[ $mode == check ]]; then
      say "every check passed: bind-nic.sh --bind ${devices[*]} would bind them to vfio-pci"
      exit 0
    fi
    [[ $(id -u) -eq 0 ]] || { echo "bind-nic: --bind needs root" >&2; exit 1; }
    command -v "$devbind" >/dev/null || { echo "bind-nic: $devbind not found" >&2; exit 1; }
    modprobe vfio-pci
    ((noiommu && allow_noiommu)) && echo 1 >"$sysfs/module/vfio/parameters/enable_unsafe_noiommu_mode"
    "$devbind" --bind=vfio-pci "${devices[@]}"
    for dev in "${devices[@]}"; do
      [[ $(current_driver "$dev") == vfio-pci ]] || fail "$dev: still not on vfio-pci after the bind"
    done
    ((failures == 0)) || exit 1
    say "bound to vfio-pci: ${devices[*]} (group device nodes: $(find /dev/vfio -mindepth 1 -maxdepth 1 -printf '%f ')))"
    ;;
  unbind)
    [[ $(id -u) -eq 0 ]] || { echo "bind-nic: --unbind needs root" >&2; exit 1; }
    modprobe "$driver"
    "$devbind" --bind="$driver" "${devices[@]}"
    say "returned to $driver: ${devices[*]}"
    ;;
esac
((failures == 0))
