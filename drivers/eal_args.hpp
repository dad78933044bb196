// Turns the frozen config into EAL arguments. Pure function of the config and the host facts
// it is given, so it is unit-tested without starting DPDK.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace sy::drivers {

struct HostFacts {
  // CPUs an lcore may be pinned to, as highest id + 1: this process's affinity plus the CPUs the
  // kernel isolated (isolcpus=), which the affinity of every process excludes on a tuned host.
  uint32_t cpu_count = 0;
  uint64_t hugepage_free_bytes = 0;  // free hugepages x their size (/proc/meminfo)
  bool hugetlbfs_mounted = false;    // a hugetlbfs mount exists (/proc/mounts)
};

HostFacts probe_host();

// Highest CPU id + 1 in a kernel CPU list such as "2-5,8" (/sys/devices/system/cpu/isolated);
// 0 for an empty or malformed list.
uint32_t cpu_list_end(const std::string& list);

struct EalPlan {
  std::vector<std::string> args;  // argv for rte_eal_init, argv[0] included
  bool hugepages = false;         // false: --no-huge
  std::string warning;            // non-empty when hugepages: auto fell back to --no-huge
};

// Throws conf::ConfigError (exit code 2) for what the host cannot provide: an lcore pinned to a
// CPU that does not exist here, or hugepages: on without free hugepages.
EalPlan derive_eal_args(const conf::Config& cfg, const HostFacts& host);

// A memif server port on a filesystem socket (socket-abstract=no) cannot start while the socket
// file of a run that did not stop cleanly is still there ("Address already in use"). Removes
// such a file when nobody accepts connections on it; leaves it when something does (another
// process serves it: the probe then fails with DPDK's own message). Returns one line per file
// removed, for the log.
std::vector<std::string> remove_stale_memif_sockets(const conf::Config& cfg);

}  // namespace sy::drivers
