#!/usr/bin/env bash
# Reports how well this host is tuned for the appliance's hot lcores and says what to change
# (docs/operations.md, "Tuning the host"). Changes nothing unless asked with --apply, and even
# then only the two run-time settings that need no reboot (CPU governor, transparent hugepages);
# kernel command line changes are printed, never made.
#
#   tune-host.sh --check [--config FILE] [--cpus LIST] [--nic PCI...]
#   tune-host.sh --apply [--config FILE] [--cpus LIST]
#
#   --config FILE  an appliance profile: the hot CPUs are those of every lcore but control, the
#                  NICs those of its ports (needs python3-yaml)
#   --cpus LIST    hot CPUs, as a kernel CPU list (2,4-7); overrides the profile's
#   --nic PCI      a NIC's PCI address (repeatable); adds to the profile's
#   --sysfs DIR    root of sysfs (tests; default /sys)
#   --proc DIR     root of procfs (tests; default /proc)
#
# Each line reads "ok", "change", or "n/a" (cannot be judged here, e.g. in a VM or container),
# then the item, what was found and what to do. Exit codes: 0 nothing to change; 1 something
# to change; 2 usage.
set -euo pipefail

mode=""
config=""
cpus_arg=""
nics=()
sysfs=/sys
proc=/proc

usage() {
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --check | --apply)
      [[ -z $mode ]] || usage
      mode=${1#--}
      ;;
    --config) config=${2:?--config needs a file}; shift ;;
    --cpus) cpus_arg=${2:?--cpus needs a CPU list}; shift ;;
    --nic) nics+=("${2:?--nic needs a PCI address}"); shift ;;
    --sysfs) sysfs=${2:?}; shift ;;
    --proc) proc=${2:?}; shift ;;
    -h | --help) usage ;;
    *) echo "tune-host: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[[ -n $mode ]] || usage

# "2,4-6" -> "2 4 5 6"; fails on anything else.
expand_cpus() {
  local list=${1//[[:space:]]/} out=() part a b
  [[ -z $list ]] && return 0
  IFS=, read -r -a parts <<<"$list"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
      a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
      ((a <= b)) || return 1
      for ((c = a; c <= b; c++)); do out+=("$c"); done
    elif [[ $part =~ ^[0-9]+$ ]]; then
      out+=("$part")
    else
      return 1
    fi
  done
  echo "${out[*]}"
}
# Members of $1 (space-separated) missing from $2.
missing_from() {
  local x out=()
  for x in $1; do [[ " $2 " == *" $x "* ]] || out+=("$x"); done
  echo "${out[*]}"
}
commas() { local s=$1; echo "${s// /,}"; }

# --- what the appliance uses ---------------------------------------------------------------
hot_cpus=""
if [[ -n $config ]]; then
  [[ -r $config ]] || { echo "tune-host: cannot read $config" >&2; exit 2; }
  profile=$(python3 - "$config" <<'EOF'
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1])) or {}
cpus = sorted({int(l["cpu"]) for l in cfg.get("lcores", []) if l.get("role") != "control"})
pci = [p["device"] for p in cfg.get("ports", []) if ":" in str(p.get("device", ""))]
print(",".join(map(str, cpus)))
print(" ".join(pci))
EOF
  ) || { echo "tune-host: cannot read lcores and ports from $config (python3-yaml?)" >&2; exit 2; }
  hot_cpus=$(expand_cpus "$(sed -n 1p <<<"$profile")")
  read -r -a profile_nics <<<"$(sed -n 2p <<<"$profile")"
  nics+=("${profile_nics[@]}")
fi
if [[ -n $cpus_arg ]]; then
  hot_cpus=$(expand_cpus "$cpus_arg") || { echo "tune-host: '$cpus_arg' is not a CPU list" >&2; exit 2; }
fi

changes=0
report() {
  local verdict=$1 item=$2
  shift 2
  printf '%-7s %-12s %s\n' "$verdict" "$item" "$*"
  [[ $verdict == change ]] && changes=$((changes + 1))
  return 0
}

cmdline=$(cat "$proc/cmdline")
cmdline_value() { grep -o "\(^\| \)$1=[^ ]*" <<<"$cmdline" | tail -1 | sed "s/^ *$1=//"; }

virt=$(systemd-detect-virt 2>/dev/null || true)
container=$(systemd-detect-virt --container 2>/dev/null || true)
# Where a kernel command line change goes: a container shares its host's kernel.
boot_fix="the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot)"
if [[ -n $container && $container != none ]]; then
  boot_fix="the HOST's kernel command line: this is a '$container' container, which cannot change it"
fi
[[ -n $virt && $virt != none ]] &&
  echo "note: a '$virt' guest: CPU isolation, governor, IRQs and NUMA placement are decided by" \
    "its host too; items only the host can fix say so"
if [[ -z $hot_cpus ]]; then
  echo "note: no hot CPUs given (--config or --cpus): CPU items report the host only"
else
  echo "hot CPUs (every lcore but control): $(commas "$hot_cpus")"
fi

# --- isolcpus, nohz_full, rcu_nocbs --------------------------------------------------------
isolated=$(expand_cpus "$(cat "$sysfs/devices/system/cpu/isolated" 2>/dev/null || true)") || isolated=""
nohz=$(expand_cpus "$(sed 's/(null)//' "$sysfs/devices/system/cpu/nohz_full" 2>/dev/null || true)") || nohz=""
rcu=$(expand_cpus "$(cmdline_value rcu_nocbs)" 2>/dev/null) || rcu=""
hot_list=$(commas "$hot_cpus")
check_cpu_set() {
  local item=$1 have=$2 param=$3 why=$4 missing
  if [[ -z $hot_cpus ]]; then
    report "$([[ -n $have ]] && echo ok || echo n/a)" "$item" "${have:+CPUs $(commas "$have")}${have:-none}"
    return
  fi
  missing=$(missing_from "$hot_cpus" "$have")
  if [[ -z $missing ]]; then
    report ok "$item" "every hot CPU ($hot_list)"
  else
    report change "$item" "CPUs $(commas "$missing") are not covered ($why): add $param=$hot_list" \
      "to $boot_fix"
  fi
}
check_cpu_set isolcpus "$isolated" isolcpus "the scheduler puts other tasks there"
check_cpu_set nohz_full "$nohz" nohz_full "the scheduler tick interrupts the poll loop"
check_cpu_set rcu_nocbs "$rcu" rcu_nocbs "RCU callbacks run there"

# --- irqbalance and IRQ affinity ----------------------------------------------------------
irqbalance_active=no
if command -v systemctl >/dev/null && systemctl is-active --quiet irqbalance 2>/dev/null; then
  irqbalance_active=yes
elif pgrep -x irqbalance >/dev/null 2>&1; then
  irqbalance_active=yes
fi
if [[ $irqbalance_active == yes ]]; then
  banned=$(grep -s '^IRQBALANCE_BANNED_CPULIST=' /etc/default/irqbalance | cut -d= -f2 | tr -d '"' || true)
  if [[ -n $hot_cpus && -n $(missing_from "$hot_cpus" "$(expand_cpus "$banned" || true) $isolated") ]]; then
    report change irqbalance "running and free to move IRQs onto hot CPUs: set" \
      "IRQBALANCE_BANNED_CPULIST=$hot_list in /etc/default/irqbalance, or systemctl disable --now irqbalance"
  else
    report ok irqbalance "running; hot CPUs are banned or isolated"
  fi
else
  report ok irqbalance "not running"
fi
if [[ -n $hot_cpus ]]; then
  on_hot=()
  for d in "$proc"/irq/[0-9]*; do
    [[ -r $d/effective_affinity_list ]] || continue
    eff=$(expand_cpus "$(cat "$d/effective_affinity_list")" 2>/dev/null) || continue
    [[ -n $eff && -z $(missing_from "$eff" "$hot_cpus") ]] && on_hot+=("${d##*/}")
  done
  if ((${#on_hot[@]})); then
    report change irq "IRQs ${on_hot[*]:0:12} are served only by hot CPUs: write a housekeeping" \
      "CPU list to /proc/irq/N/smp_affinity_list (and keep irqbalance off those CPUs)"
  else
    report ok irq "no IRQ is served only by hot CPUs"
  fi
fi

# --- CPU frequency governor ----------------------------------------------------------------
governor_cpus=${hot_cpus:-$(expand_cpus "$(cat "$sysfs/devices/system/cpu/online" 2>/dev/null || echo 0)")}
slow=()
have_cpufreq=0
for c in $governor_cpus; do
  f=$sysfs/devices/system/cpu/cpu$c/cpufreq/scaling_governor
  [[ -r $f ]] || continue
  have_cpufreq=1
  [[ $(cat "$f") == performance ]] || slow+=("$c:$(cat "$f")")
done
if ((!have_cpufreq)); then
  report n/a governor "no cpufreq here (a VM, or frequency left to the firmware): check the BIOS" \
    "power profile (maximum performance, C-states limited) on the host"
elif ((${#slow[@]})); then
  report change governor "${slow[*]}: set performance (tune-host.sh --apply, or cpupower" \
    "frequency-set -g performance; persist with a unit or the BIOS)"
else
  report ok governor "performance on every hot CPU"
fi

# --- transparent hugepages -----------------------------------------------------------------
thp_file=$sysfs/kernel/mm/transparent_hugepage/enabled
if [[ -r $thp_file ]]; then
  thp=$(grep -o '\[[a-z]*\]' "$thp_file" | tr -d '[]')
  if [[ $thp == always ]]; then
    report change thp "always: khugepaged compaction stalls any core; set madvise (tune-host.sh" \
      "--apply, or transparent_hugepage=madvise on the kernel command line)"
  else
    report ok thp "$thp (DPDK memory is hugetlbfs, not THP)"
  fi
else
  report n/a thp "no $thp_file"
fi

# --- NUMA placement of the NICs vs the hot lcores ------------------------------------------
cpu_node() {
  local n
  for n in "$sysfs/devices/system/cpu/cpu$1"/node[0-9]*; do
    [[ -e $n ]] && { echo "${n##*node}"; return; }
  done
  echo "?"
}
if ((${#nics[@]} == 0)); then
  report n/a numa "no PCI NIC given (--config with a PCI port, or --nic): nothing to place"
else
  for nic in "${nics[@]}"; do
    dev=$sysfs/bus/pci/devices/$nic
    [[ $nic == *:*:*.* ]] || dev=$sysfs/bus/pci/devices/0000:$nic
    if [[ ! -d $dev ]]; then
      report change numa "$nic: no such PCI device on this host (fix the profile's ports[].device)"
      continue
    fi
    node=$(cat "$dev/numa_node" 2>/dev/null || echo -1)
    if [[ $node == -1 ]]; then
      report n/a numa "$nic: the platform reports no NUMA node (one socket, or a VM)"
      continue
    fi
    far=()
    for c in $hot_cpus; do
      cn=$(cpu_node "$c")
      [[ $cn == "$node" ]] || far+=("$c(node $cn)")
    done
    if ((${#far[@]})); then
      report change numa "$nic is on node $node; hot CPUs ${far[*]} are not: every packet" \
        "crosses the interconnect. Pick CPUs of node $node ($(cat "$sysfs/devices/system/node/node$node/cpulist" 2>/dev/null || echo "?"))," \
        "and reserve hugepages there (setup-hugepages.sh --nodes $node)"
    else
      report ok numa "$nic on node $node with every hot CPU"
    fi
  done
fi

# --- apply: run-time settings only ---------------------------------------------------------
if [[ $mode == apply ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "tune-host: --apply needs root" >&2; exit 1; }
  for c in $governor_cpus; do
    f=$sysfs/devices/system/cpu/cpu$c/cpufreq/scaling_governor
    [[ -w $f ]] && echo performance >"$f" 2>/dev/null && echo "applied: cpu$c governor performance"
  done
  if [[ -w $thp_file && ${thp:-} == always ]]; then
    if echo madvise >"$thp_file" 2>/dev/null; then
      echo "applied: transparent hugepages madvise"
    else
      echo "tune-host: cannot write $thp_file (read-only sysfs: a container?)" >&2
    fi
  fi
  echo "tune-host: kernel command line items are never changed here; see the lines above"
fi

if ((changes)); then
  echo "tune-host: $changes item(s) to change"
  exit 1
fi
echo "tune-host: nothing to change"
exit 0
