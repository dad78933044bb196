#!/usr/bin/env bash
# The host scripts, run for real but harmlessly: on this host in their report modes (the
# hugepage reservation must be the same afterwards), and in their changing modes only against
# scratch copies of sysfs/procfs. Every case checks what the script said and its exit code.
set -euo pipefail

src=${SY_SOURCE_ROOT:?run through meson test}
scripts=$src/scripts
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}
# expect CODE PATTERN... -- CMD...: runs CMD, checks its exit code and that the output
# (stdout+stderr) matches every extended regular expression.
expect() {
  local want=$1 patterns=() out rc=0
  shift
  while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
  shift
  out=$("$@" 2>&1) || rc=$?
  [[ $rc == "$want" ]] || fail "$* exited $rc, expected $want:"$'\n'"$out"
  for p in "${patterns[@]}"; do
    grep -Eq -- "$p" <<<"$out" || fail "$* did not say /$p/:"$'\n'"$out"
  done
}

scratch=$(mktemp -d /tmp/sy_ops_scripts.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
virt=$(systemd-detect-virt 2>/dev/null || true)

# --- setup-hugepages.sh on this host: report modes change nothing ---------------------------
snapshot() { cat /sys/kernel/mm/hugepages/*/nr_hugepages /sys/devices/system/node/node*/hugepages/*/nr_hugepages 2>/dev/null; }
before=$(snapshot)
rc=0
"$scripts/setup-hugepages.sh" --check >"$scratch/check.out" 2>&1 || rc=$?
((rc <= 1)) || fail "setup-hugepages.sh --check exited $rc: $(cat "$scratch/check.out")"
grep -Eq 'node [0-9]+: 2 MiB pages: [0-9]+ reserved' "$scratch/check.out" ||
  fail "--check did not report 2 MiB pages per node: $(cat "$scratch/check.out")"
have_2m=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
expect 0 "would write $((have_2m + 512))" -- "$scripts/setup-hugepages.sh" --dry-run --nodes 0 --2m $((have_2m + 512))
if [[ ! -d /sys/kernel/mm/hugepages/hugepages-1048576kB ]]; then
  # This host cannot have 1 GiB pages: the script must say so rather than try.
  expect 1 "1 GiB pages: not supported here" -- "$scripts/setup-hugepages.sh" --check --1g 1
fi
if [[ -n $virt && $virt != none ]]; then
  grep -q "running under '$virt'" "$scratch/check.out" || fail "--check did not name the '$virt' environment"
fi
[[ $(snapshot) == "$before" ]] || fail "the host's hugepage reservation changed"
expect 2 "not a page count" -- "$scripts/setup-hugepages.sh" --check --2m lots
expect 2 "NUMA node '9' does not exist" -- "$scripts/setup-hugepages.sh" --check --nodes 9

# --- setup-hugepages.sh --apply on a scratch sysfs: per node, idempotent, never lowers -------
fake=$scratch/sys
for n in 0 1; do
  for kb in 2048 1048576; do
    mkdir -p "$fake/devices/system/node/node$n/hugepages/hugepages-${kb}kB" "$fake/kernel/mm/hugepages/hugepages-${kb}kB"
    echo 0 >"$fake/devices/system/node/node$n/hugepages/hugepages-${kb}kB/nr_hugepages"
    echo 0 >"$fake/devices/system/node/node$n/hugepages/hugepages-${kb}kB/free_hugepages"
  done
done
hp() { cat "$fake/devices/system/node/node$1/hugepages/hugepages-$2kB/nr_hugepages"; }
apply() { "$scripts/setup-hugepages.sh" --sysfs "$fake" --mount-2m "$scratch/m2" --mount-1g "$scratch/m1" "$@"; }
expect 0 "node 0: 2 MiB pages: reserved 8" "node 1: 1 GiB pages: reserved 2" -- apply --apply --2m 8 --1g 2
[[ "$(hp 0 2048) $(hp 1 2048) $(hp 0 1048576) $(hp 1 1048576)" == "8 8 2 2" ]] ||
  fail "apply wrote $(hp 0 2048) $(hp 1 2048) $(hp 0 1048576) $(hp 1 1048576), expected 8 8 2 2"
expect 0 "node 1: 2 MiB pages: 8 reserved .*target 8 met" -- apply --apply --2m 8 --1g 2
expect 0 "target 4 met" -- apply --apply --2m 4
[[ $(hp 0 2048) == 8 ]] || fail "a lower target lowered the reservation to $(hp 0 2048)"
expect 0 "node 1: 2 MiB pages: reserved 16" -- apply --apply --2m 16 --nodes 1
[[ "$(hp 0 2048) $(hp 1 2048)" == "8 16" ]] || fail "--nodes 1 touched node 0"
SY_HUGEPAGES_1G=3 expect 0 "node 0: 1 GiB pages: reserved 3" -- apply --apply
rm -r "$fake/kernel/mm/hugepages/hugepages-1048576kB"
expect 1 "1 GiB pages: not supported here" -- apply --apply --1g 4
expect 1 "no hugetlbfs for 2M pages at $scratch/m2" -- apply --check --2m 8

# --- bind-nic.sh: reports and checks only, never a bind -------------------------------------
expect 0 "IOMMU:" -- "$scripts/bind-nic.sh" --status
expect 2 "not a PCI address" -- "$scripts/bind-nic.sh" --check eth0
expect 2 "needs at least one PCI address" -- "$scripts/bind-nic.sh" --check
expect 1 "no such PCI device" "nothing was changed" -- "$scripts/bind-nic.sh" --check 0000:7f:1f.7
if [[ ! -d /sys/kernel/iommu_groups ]] || [[ -z $(ls -A /sys/kernel/iommu_groups) ]]; then
  expect 1 "IOMMU: no IOMMU groups" "intel_iommu=on" -- "$scripts/bind-nic.sh" --check 0000:7f:1f.7
fi
# A scratch sysfs with an IOMMU: a NIC alone in its group passes; one sharing its group with a
# device on a kernel driver does not.
bs=$scratch/bsys
mkpci() { # address class group driver
  local d=$bs/bus/pci/devices/$1
  mkdir -p "$d" "$bs/kernel/iommu_groups/$3/devices" "$bs/bus/pci/drivers/$4"
  echo "$2" >"$d/class"
  echo 0 >"$d/numa_node"
  ln -sfn "$bs/kernel/iommu_groups/$3" "$d/iommu_group"
  ln -sfn "$d" "$bs/kernel/iommu_groups/$3/devices/$1"
  [[ $4 == none ]] || ln -sfn "$bs/bus/pci/drivers/$4" "$d/driver"
}
mkpci 0000:3b:00.0 0x020000 17 ixgbe
mkpci 0000:3c:00.0 0x020000 18 ixgbe
mkpci 0000:3c:00.1 0x0c0330 18 xhci_hcd
expect 0 "IOMMU: on \(2 groups\)" "IOMMU group 17" "every check passed" -- "$scripts/bind-nic.sh" --sysfs "$bs" --check 3b:00.0
expect 1 "also holds 0000:3c:00.1 \(driver xhci_hcd\)" -- "$scripts/bind-nic.sh" --sysfs "$bs" --check 0000:3c:00.0

# --- tune-host.sh --check: this host, then a tuned and an untuned scratch host --------------
rc=0
"$scripts/tune-host.sh" --check --config "$src/conf/profiles/bare-metal.yaml" >"$scratch/tune.out" 2>&1 || rc=$?
((rc <= 1)) || fail "tune-host.sh --check exited $rc: $(cat "$scratch/tune.out")"
for item in isolcpus nohz_full rcu_nocbs irqbalance governor thp numa; do
  grep -Eq "^(ok|change|n/a) +$item " "$scratch/tune.out" || fail "tune-host.sh did not report $item"
done
grep -q "hot CPUs (every lcore but control): 4,6,8,10" "$scratch/tune.out" || fail "hot CPUs not read from the profile"
if [[ -n $virt && $virt != none ]]; then
  grep -q "a '$virt' guest" "$scratch/tune.out" || fail "tune-host.sh did not name the '$virt' environment"
fi

ts=$scratch/tsys tp=$scratch/tproc
mkdir -p "$ts/devices/system/cpu" "$ts/kernel/mm/transparent_hugepage" "$ts/devices/system/node/node0" \
  "$ts/devices/system/node/node1" "$ts/bus/pci/devices/0000:3b:00.0" "$tp/irq/30" "$tp/irq/31"
echo 2-3 >"$ts/devices/system/cpu/isolated"
echo 2-3 >"$ts/devices/system/cpu/nohz_full"
echo 0-3 >"$ts/devices/system/cpu/online"
echo 0-3 >"$ts/devices/system/node/node0/cpulist"
for c in 0 1 2 3; do
  mkdir -p "$ts/devices/system/cpu/cpu$c/cpufreq" "$ts/devices/system/cpu/cpu$c/node0"
  echo performance >"$ts/devices/system/cpu/cpu$c/cpufreq/scaling_governor"
done
echo "always madvise [never]" >"$ts/kernel/mm/transparent_hugepage/enabled"
echo 0 >"$ts/bus/pci/devices/0000:3b:00.0/numa_node"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 isolcpus=2-3 nohz_full=2-3 rcu_nocbs=2-3" >"$tp/cmdline"
echo 0 >"$tp/irq/30/effective_affinity_list"
echo 1 >"$tp/irq/31/effective_affinity_list"
tune() { "$scripts/tune-host.sh" --sysfs "$ts" --proc "$tp" "$@"; }
expect 0 "^ok +isolcpus +every hot CPU \(2,3\)" "^ok +governor" "^ok +thp +never" \
  "^ok +numa +0000:3b:00.0 on node 0" "^ok +irq " "nothing to change" -- tune --check --cpus 2-3 --nic 0000:3b:00.0
# Untuned: CPU 3 not isolated nor tickless, a slow governor, THP always, an IRQ only on a hot
# CPU, and the NIC on the other node.
echo 2 >"$ts/devices/system/cpu/isolated"
echo 2 >"$ts/devices/system/cpu/nohz_full"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 isolcpus=2 nohz_full=2" >"$tp/cmdline"
echo powersave >"$ts/devices/system/cpu/cpu3/cpufreq/scaling_governor"
echo "[always] madvise never" >"$ts/kernel/mm/transparent_hugepage/enabled"
echo 3 >"$tp/irq/31/effective_affinity_list"
echo 1 >"$ts/bus/pci/devices/0000:3b:00.0/numa_node"
expect 1 "^change +isolcpus +CPUs 3 are not covered.*isolcpus=2,3" "^change +nohz_full +CPUs 3" \
  "^change +rcu_nocbs +CPUs 2,3" "^change +governor +3:powersave" "^change +thp +always" \
  "^change +irq +IRQs 31 " "^change +numa +0000:3b:00.0 is on node 1; hot CPUs 2\(node 0\) 3\(node 0\)" \
  "7 item\(s\) to change" -- tune --check --cpus 2-3 --nic 0000:3b:00.0
[[ $(cat "$ts/devices/system/cpu/cpu3/cpufreq/scaling_governor") == powersave ]] || fail "--check changed the governor"
# --apply changes only the run-time items, and only in the scratch tree here.
if [[ $(id -u) -eq 0 ]]; then
  expect 1 "applied: cpu3 governor performance" "applied: transparent hugepages madvise" \
    "never changed here" -- tune --apply --cpus 2-3 --nic 0000:3b:00.0
  [[ $(cat "$ts/devices/system/cpu/cpu3/cpufreq/scaling_governor") == performance ]] || fail "--apply left the governor"
  grep -q '^madvise$' "$ts/kernel/mm/transparent_hugepage/enabled" || fail "--apply left THP"
fi
expect 2 "not a CPU list" -- tune --check --cpus 2-x

((fails == 0)) || exit 1
echo "scripts: ok"
