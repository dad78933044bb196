#include "drivers/eal_args.hpp"

#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace sy::drivers {

uint32_t cpu_list_end(const std::string& list) {
  uint32_t end = 0;
  std::istringstream in(list);
  std::string range;
  while (std::getline(in, range, ',')) {
    if (range.empty() || range.find_first_not_of("0123456789-\n") != std::string::npos) return 0;
    const size_t dash = range.find('-');
    const std::string last = dash == std::string::npos ? range : range.substr(dash + 1);
    if (last.empty() || last.front() == '\n') return 0;
    end = std::max(end, static_cast<uint32_t>(std::stoul(last)) + 1);
  }
  return end;
}

HostFacts probe_host() {
  HostFacts facts;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    // Report the highest CPU we may use + 1, so that "cpu: N" is checked against real ids.
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) facts.cpu_count = static_cast<uint32_t>(cpu + 1);
  }
  // With isolcpus= the kernel keeps isolated CPUs out of every process's affinity, yet they are
  // exactly where the hot lcores belong (EAL pins its threads there itself).
  std::ifstream isolated_file("/sys/devices/system/cpu/isolated");
  std::string isolated;
  if (std::getline(isolated_file, isolated))
    facts.cpu_count = std::max(facts.cpu_count, cpu_list_end(isolated));
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  uint64_t free_pages = 0, page_kb = 0;
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    in >> key >> value;
    if (key == "HugePages_Free:") free_pages = value;
    if (key == "Hugepagesize:") page_kb = value;
  }
  facts.hugepage_free_bytes = free_pages * page_kb * 1024;
  std::ifstream mounts("/proc/mounts");
  while (std::getline(mounts, line))
    if (line.find(" hugetlbfs ") != std::string::npos) facts.hugetlbfs_mounted = true;
  return facts;
}

namespace {

std::string vdev_arg(const conf::PortConfig& port) {
  std::string s = port.device;
  for (const auto& [k, v] : port.args) s += "," + k + "=" + v;
  return s;
}

}  // namespace

std::vector<std::string> remove_stale_memif_sockets(const conf::Config& cfg) {
  std::vector<std::string> removed;
  for (const auto& port : cfg.ports) {
    if (port.device.rfind("net_memif", 0) != 0) continue;
    const auto arg = [&](const char* key, const char* fallback) {
      for (const auto& [k, v] : port.args)
        if (k == key) return v;
      return std::string(fallback);
    };
    // DPDK 22.11 defaults: role client, socket /run/memif.sock, abstract namespace.
    const std::string role = arg("role", "client");
    if ((role != "server" && role != "master") || arg("socket-abstract", "yes") != "no") continue;
    const std::string path = arg("socket", "/run/memif.sock");
    struct stat st {};
    sockaddr_un addr{};
    if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) ||
        path.size() >= sizeof addr.sun_path)
      continue;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const bool refused =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
        errno == ECONNREFUSED;
    ::close(fd);
    if (refused && ::unlink(path.c_str()) == 0)
      removed.push_back("port " + port.name + ": removed the stale memif socket " + path +
                        " (nobody listens on it: left by a run that did not stop cleanly)");
  }
  return removed;
}

EalPlan derive_eal_args(const conf::Config& cfg, const HostFacts& host) {
  EalPlan plan;
  plan.args.push_back("switchyard");

  std::string lcore_map;
  uint32_t main_lcore = 0;
  for (const auto& lc : cfg.lcores) {
    if (host.cpu_count != 0 && lc.cpu >= host.cpu_count) {
      std::ostringstream msg;
      msg << "cpu " << lc.cpu << " does not exist on this host (CPUs 0.." << host.cpu_count - 1
          << ")";
      throw conf::ConfigError(
          lc.mark, "lcores[" + std::to_string(&lc - cfg.lcores.data()) + "].cpu", msg.str());
    }
    if (!lcore_map.empty()) lcore_map += ",";
    lcore_map += std::to_string(lc.id) + "@" + std::to_string(lc.cpu);
    if (lc.role == conf::Role::control) main_lcore = lc.id;
  }
  plan.args.push_back("--lcores=" + lcore_map);
  plan.args.push_back("--main-lcore=" + std::to_string(main_lcore));
  plan.args.push_back("--file-prefix=" + cfg.eal.file_prefix);

  const uint64_t need = uint64_t{cfg.eal.memory_mb} << 20;
  const bool have_huge = host.hugetlbfs_mounted && host.hugepage_free_bytes >= need;
  switch (cfg.eal.hugepages) {
    case conf::HugepageMode::on:
      if (!have_huge)
        throw conf::ConfigError(cfg.eal.mark, "eal.hugepages",
                                "hugepages: on, but fewer than " +
                                    std::to_string(cfg.eal.memory_mb) +
                                    " MiB of hugepages are free (or hugetlbfs is not mounted); "
                                    "run scripts/setup-hugepages.sh or set hugepages: auto");
      plan.hugepages = true;
      break;
    case conf::HugepageMode::off:
      plan.hugepages = false;
      break;
    case conf::HugepageMode::automatic:
      plan.hugepages = have_huge;
      if (!have_huge)
        plan.warning = "hugepages: auto found fewer than " + std::to_string(cfg.eal.memory_mb) +
                       " MiB of free hugepages; running with --no-huge (slower, no "
                       "secondary processes such as dpdk-dumpcap)";
      break;
  }
  if (plan.hugepages) {
    // Ask for exactly what the config budgets, so a run cannot creep into the host's memory.
    plan.args.push_back("--socket-mem=" + std::to_string(cfg.eal.memory_mb));
    if (cfg.eal.in_memory) plan.args.push_back("--in-memory");
  } else {
    // --no-huge implies legacy memory, which --in-memory refuses; --no-shconf gives the same
    // "no shared files" property.
    plan.args.push_back("--no-huge");
    plan.args.push_back("-m");
    plan.args.push_back(std::to_string(cfg.eal.memory_mb));
    plan.args.push_back("--no-shconf");
  }

  bool any_pci = false;
  for (const auto& port : cfg.ports) {
    if (port.is_pci()) {
      any_pci = true;
      plan.args.push_back("--allow=" + port.device);
    } else {
      plan.args.push_back("--vdev=" + vdev_arg(port));
    }
  }
  if (!any_pci) plan.args.push_back("--no-pci");
  plan.args.push_back("--log-level=" + cfg.eal.log_level);
  for (const auto& extra : cfg.eal.extra_args) plan.args.push_back(extra);
  return plan;
}

}  // namespace sy::drivers
