// EAL argument derivation from the config and the host facts.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "drivers/eal_args.hpp"

namespace sy::drivers {
namespace {

conf::Config base() {
  conf::Config cfg;
  cfg.source_file = "t.yaml";
  auto lc = [](uint32_t id, uint32_t cpu, conf::Role role) {
    conf::LcoreConfig l;
    l.id = id;
    l.cpu = cpu;
    l.role = role;
    l.mark = {"t.yaml", 10 + static_cast<int>(id), 5};
    return l;
  };
  cfg.lcores = {lc(0, 0, conf::Role::control), lc(1, 1, conf::Role::rx),
                lc(2, 1, conf::Role::integrity), lc(3, 0, conf::Role::execution),
                lc(4, 0, conf::Role::storage)};
  conf::PortConfig p;
  p.name = "wire0";
  p.device = "net_pcap0";
  p.args = {{"rx_pcap", "/tmp/a.pcap"}, {"infinite_rx", "1"}};
  cfg.ports.push_back(p);
  return cfg;
}

bool has(const EalPlan& plan, const std::string& arg) {
  return std::find(plan.args.begin(), plan.args.end(), arg) != plan.args.end();
}

HostFacts host(uint64_t free_huge_mb, bool mounted = true) {
  return HostFacts{2, free_huge_mb << 20, mounted};
}

TEST(EalArgs, LcoreMapMainLcoreAndVdev) {
  const EalPlan plan = derive_eal_args(base(), host(0));
  EXPECT_EQ(plan.args[0], "switchyard");
  EXPECT_TRUE(has(plan, "--lcores=0@0,1@1,2@1,3@0,4@0"));
  EXPECT_TRUE(has(plan, "--main-lcore=0"));
  EXPECT_TRUE(has(plan, "--vdev=net_pcap0,rx_pcap=/tmp/a.pcap,infinite_rx=1"));
  EXPECT_TRUE(has(plan, "--no-pci"));
  EXPECT_TRUE(has(plan, "--file-prefix=switchyard"));
  EXPECT_TRUE(has(plan, "--log-level=notice"));
}

TEST(EalArgs, AutoFallsBackToNoHugeWithWarning) {
  const EalPlan plan = derive_eal_args(base(), host(100));  // 100 MiB free < 512 needed
  EXPECT_FALSE(plan.hugepages);
  EXPECT_TRUE(has(plan, "--no-huge"));
  EXPECT_TRUE(has(plan, "--no-shconf"));
  EXPECT_FALSE(has(plan, "--in-memory"));  // EAL refuses it together with --no-huge
  EXPECT_NE(plan.warning.find("--no-huge"), std::string::npos);
}

TEST(EalArgs, AutoUsesHugepagesWhenFree) {
  const EalPlan plan = derive_eal_args(base(), host(1024));
  EXPECT_TRUE(plan.hugepages);
  EXPECT_TRUE(plan.warning.empty());
  EXPECT_TRUE(has(plan, "--socket-mem=512"));
  EXPECT_TRUE(has(plan, "--in-memory"));
  EXPECT_FALSE(has(plan, "--no-huge"));
}

TEST(EalArgs, AutoNeedsAMountedHugetlbfs) {
  EXPECT_FALSE(derive_eal_args(base(), host(1024, false)).hugepages);
}

TEST(EalArgs, HugepagesOnWithoutPagesIsAConfigError) {
  conf::Config cfg = base();
  cfg.eal.hugepages = conf::HugepageMode::on;
  cfg.eal.mark = {"t.yaml", 2, 3};
  try {
    derive_eal_args(cfg, host(0));
    FAIL() << "expected ConfigError";
  } catch (const conf::ConfigError& e) {
    EXPECT_EQ(e.key_path(), "eal.hugepages");
    EXPECT_EQ(e.mark().line, 2);
  }
}

TEST(EalArgs, OffNeverUsesHugepages) {
  conf::Config cfg = base();
  cfg.eal.hugepages = conf::HugepageMode::off;
  EXPECT_FALSE(derive_eal_args(cfg, host(4096)).hugepages);
}

TEST(EalArgs, CpuThatDoesNotExistIsAConfigErrorAtItsLine) {
  conf::Config cfg = base();
  cfg.lcores[3].cpu = 5;
  try {
    derive_eal_args(cfg, host(0));
    FAIL() << "expected ConfigError";
  } catch (const conf::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.yaml:13:5: lcores[3].cpu: cpu 5 does not exist on this host (CPUs 0..1)");
  }
}

TEST(EalArgs, PciPortsAreAllowListed) {
  conf::Config cfg = base();
  cfg.ports[0].device = "0000:01:00.0";
  cfg.ports[0].args.clear();
  const EalPlan plan = derive_eal_args(cfg, host(0));
  EXPECT_TRUE(has(plan, "--allow=0000:01:00.0"));
  EXPECT_FALSE(has(plan, "--no-pci"));
}

TEST(EalArgs, ExtraArgsGoLast) {
  conf::Config cfg = base();
  cfg.eal.extra_args = {"--iova-mode=va"};
  EXPECT_EQ(derive_eal_args(cfg, host(0)).args.back(), "--iova-mode=va");
}

// A unix socket bound at `path`, listening or not (closed at once when not: a stale file).
int bound_socket(const std::string& path, bool listening) {
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0) << path;
  if (listening) {
    EXPECT_EQ(::listen(fd, 1), 0);
    return fd;
  }
  ::close(fd);
  return -1;
}

TEST(StaleMemifSocket, RemovedOnlyWhenNobodyListensAndOnlyForFilesystemServers) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("sy_memif_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string stale = (dir / "stale.sock").string(), live = (dir / "live.sock").string(),
                    client = (dir / "client.sock").string();
  bound_socket(stale, false);
  const int live_fd = bound_socket(live, true);
  bound_socket(client, false);
  conf::Config cfg = base();
  auto memif = [](const std::string& name, const std::string& role, const std::string& path) {
    conf::PortConfig p;
    p.name = name;
    p.device = "net_memif" + name;
    p.args = {{"role", role}, {"socket", path}, {"socket-abstract", "no"}};
    return p;
  };
  cfg.ports = {memif("0", "server", stale), memif("1", "server", live),
               memif("2", "client", client)};
  const std::vector<std::string> notes = remove_stale_memif_sockets(cfg);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find(stale), std::string::npos);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));    // another process serves it: not ours to remove
  EXPECT_TRUE(fs::exists(client));  // a client port never owns the socket
  EXPECT_TRUE(remove_stale_memif_sockets(cfg).empty());
  ::close(live_fd);
  fs::remove_all(dir);
}

TEST(CpuList, EndOfKernelCpuLists) {
  // /sys/devices/system/cpu/isolated: isolcpus= CPUs, outside every process's affinity.
  EXPECT_EQ(cpu_list_end(""), 0u);
  EXPECT_EQ(cpu_list_end("\n"), 0u);
  EXPECT_EQ(cpu_list_end("3"), 4u);
  EXPECT_EQ(cpu_list_end("2-5,8\n"), 9u);
  EXPECT_EQ(cpu_list_end("4-11"), 12u);
  EXPECT_EQ(cpu_list_end("4-x"), 0u);
}

}  // namespace
}  // namespace sy::drivers
