#!/usr/bin/env bash
# Reserves 2 MiB and 1 GiB hugepages per NUMA node and mounts hugetlbfs for them, for the
# appliance (docs/operations.md, "Hugepages"). Idempotent: a node that already has at least the
# target count is left alone, and a mount that exists is not mounted again. Never lowers a
# reservation (other processes may hold those pages).
#
#   setup-hugepages.sh --check             report what is reserved, mounted and possible; exit 1
#                                          if a target is not met (changes nothing)
#   setup-hugepages.sh --dry-run           print what --apply would do (changes nothing)
#   setup-hugepages.sh --apply [--mount]   reserve (and mount); exit 1 if the kernel gave fewer
#
# Targets, per NUMA node (options win over the environment, which
# /etc/switchyard/hugepages.env sets for switchyard-hugepages.service):
#   --2m N     SY_HUGEPAGES_2M    2 MiB pages per node (default 0: leave as is)
#   --1g N     SY_HUGEPAGES_1G    1 GiB pages per node (default 0: leave as is)
#   --nodes L  SY_HUGEPAGES_NODES comma-separated node ids, or "all" (default all)
#   --mount-2m DIR  SY_HUGETLBFS_2M   mount point for 2 MiB pages (default /dev/hugepages)
#   --mount-1g DIR  SY_HUGETLBFS_1G   mount point for 1 GiB pages (default /dev/hugepages1G)
#   --sysfs DIR     root of sysfs (tests point it at a copy; default /sys)
#
# Exit codes: 0 done or nothing to do; 1 a target is not met or cannot be; 2 usage.
set -euo pipefail

mode=""
want_2m=${SY_HUGEPAGES_2M:-0}
want_1g=${SY_HUGEPAGES_1G:-0}
nodes_arg=${SY_HUGEPAGES_NODES:-all}
mount_2m=${SY_HUGETLBFS_2M:-/dev/hugepages}
mount_1g=${SY_HUGETLBFS_1G:-/dev/hugepages1G}
do_mount=0
sysfs=/sys

usage() {
  sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case $1 in
    --check | --dry-run | --apply)
      [[ -z $mode ]] || usage
      mode=${1#--}
      ;;
    --mount) do_mount=1 ;;
    --2m) want_2m=${2:?--2m needs a count}; shift ;;
    --1g) want_1g=${2:?--1g needs a count}; shift ;;
    --nodes) nodes_arg=${2:?--nodes needs a list}; shift ;;
    --mount-2m) mount_2m=${2:?}; shift ;;
    --mount-1g) mount_1g=${2:?}; shift ;;
    --sysfs) sysfs=${2:?}; shift ;;
    -h | --help) usage ;;
    *) echo "setup-hugepages: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[[ -n $mode ]] || usage
for n in "$want_2m" "$want_1g"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "setup-hugepages: '$n' is not a page count" >&2; exit 2; }
done

problems=0
say() { echo "setup-hugepages: $*"; }
problem() {
  echo "setup-hugepages: $*" >&2
  problems=$((problems + 1))
}

# Where we run decides what can work; say it up front.
virt=$(systemd-detect-virt 2>/dev/null || true)
if [[ -n $virt && $virt != none ]]; then
  say "running under '$virt' virtualization: the host may forbid or limit reservations"
fi

# NUMA nodes (a kernel without NUMA has no node directories: treat the machine as one node).
all_nodes=()
if [[ -d $sysfs/devices/system/node ]]; then
  for d in "$sysfs"/devices/system/node/node[0-9]*; do
    [[ -d $d ]] && all_nodes+=("${d##*node}")
  done
fi
numa=1
((${#all_nodes[@]})) || { numa=0; all_nodes=(0); }
if [[ $nodes_arg == all ]]; then
  nodes=("${all_nodes[@]}")
else
  IFS=, read -r -a nodes <<<"$nodes_arg"
  for n in "${nodes[@]}"; do
    [[ " ${all_nodes[*]} " == *" $n "* ]] || {
      echo "setup-hugepages: NUMA node '$n' does not exist (nodes: ${all_nodes[*]})" >&2
      exit 2
    }
  done
fi

# The sysfs file holding node $1's count of $2-kB pages.
count_file() {
  if ((numa)); then
    echo "$sysfs/devices/system/node/node$1/hugepages/hugepages-$2kB/nr_hugepages"
  else
    echo "$sysfs/kernel/mm/hugepages/hugepages-$2kB/nr_hugepages"
  fi
}
free_file() { local f; f=$(count_file "$1" "$2"); echo "${f%nr_hugepages}free_hugepages"; }

# One page size on every selected node: report, and reserve when asked.
reserve() {
  local kb=$1 want=$2 label=$3
  local size_dir=$sysfs/kernel/mm/hugepages/hugepages-${kb}kB
  if [[ ! -d $size_dir ]]; then
    if ((want > 0)); then
      if [[ $kb == 1048576 ]]; then
        problem "$label pages: not supported here (no $size_dir: the CPU lacks pdpe1gb, or a VM" \
          "hides it); use 2 MiB pages or reserve on a host that has them"
      else
        problem "$label pages: not supported by this kernel ($size_dir missing)"
      fi
    else
      say "$label pages: not supported here"
    fi
    return
  fi
  local node file have free
  for node in "${nodes[@]}"; do
    file=$(count_file "$node" "$kb")
    have=$(cat "$file")
    free=$(cat "$(free_file "$node" "$kb")" 2>/dev/null || echo "?")
    if ((want == 0 || have >= want)); then
      say "node $node: $label pages: $have reserved ($free free)$( ((want)) && echo ", target $want met")"
      continue
    fi
    case $mode in
      check)
        problem "node $node: $label pages: $have reserved, target $want"
        ;;
      dry-run)
        say "node $node: $label pages: $have reserved; would write $want to $file"
        ;;
      apply)
        if [[ ! -w $file ]] || ! { echo "$want" >"$file"; } 2>/dev/null; then
          problem "node $node: $label pages: cannot write $file ($( [[ $(id -u) -ne 0 ]] &&
            echo "not root" || echo "read-only sysfs: a container or a locked-down host")):" \
            "reserve on the host instead"
          continue
        fi
        have=$(cat "$file")
        if ((have < want)); then
          problem "node $node: $label pages: asked for $want, the kernel gave $have (memory" \
            "fragmented: reserve at boot with hugepagesz= hugepages= on the kernel command line)"
        else
          say "node $node: $label pages: reserved $have"
        fi
        ;;
    esac
  done
}

reserve 2048 "$want_2m" "2 MiB"
reserve 1048576 "$want_1g" "1 GiB"

# hugetlbfs mounts: DPDK needs one per page size it uses (eal.extra_args --huge-dir picks one).
mounted_at() { awk -v d="$1" '$2 == d && $3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; }
mount_one() {
  local dir=$1 size=$2 wanted=$3
  ((wanted > 0)) || return 0
  if mounted_at "$dir"; then
    say "hugetlbfs for $size pages is mounted at $dir"
    return
  fi
  if ((!do_mount)) || [[ $mode != apply ]]; then
    if [[ $mode == check ]]; then
      problem "no hugetlbfs for $size pages at $dir (setup-hugepages.sh --apply --mount)"
    else
      say "would mount hugetlbfs (pagesize=$size) at $dir"
    fi
    return
  fi
  if mkdir -p "$dir" 2>/dev/null && mount -t hugetlbfs -o "pagesize=$size,mode=0770" nodev "$dir" 2>/dev/null; then
    say "mounted hugetlbfs (pagesize=$size) at $dir"
  else
    problem "cannot mount hugetlbfs at $dir (not root, or no mount rights in a container)"
  fi
}
mount_one "$mount_2m" 2M "$want_2m"
[[ -d $sysfs/kernel/mm/hugepages/hugepages-1048576kB ]] && mount_one "$mount_1g" 1G "$want_1g"

if ((problems)); then
  echo "setup-hugepages: $problems problem(s); see above" >&2
  exit 1
fi
exit 0
