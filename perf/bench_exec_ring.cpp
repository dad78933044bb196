// switchyard-bench-exec-ring: the appliance and its order peer in one process over net_ring
// ports, the load source of perf/bench_execution_ring.sh (no second process, no memif copy).
//
//   switchyard-bench-exec-ring --config APPLIANCE.yaml [--set k=v ...] [--summary-json FILE]
//       --peer-lcore ID@CPU [--ring-size N] [--pps R] [--orders N] [--seed S]
//       [--flood-ms MS [--burst N] [--breach-percent P] [--window N]] [--linger-ms MS]
//       [--client-pcap F]
//
// Port 0 of the config must be `device: net_ring_NAME`. Instead of the EAL creating it (a
// net_ring vdev is a loopback: one ring for rx and tx), this tool makes two single-producer,
// single-consumer rings of --ring-size entries (peer -> appliance, appliance -> peer) and an
// ethdev at each end with rte_eth_from_rings: net_ring_NAME for the appliance (rx: the first
// ring, tx: the second) and net_ring_NAME_peer the other way round. The appliance then runs
// exactly as `switchyard --config` runs it (src/app.cpp: same pipeline, same lcores), plus one
// EAL lcore ID@CPU on which the peer (perf/order_peer.hpp) plays market data, venue and strategy
// client. The frames the peer sends come from the appliance port's own mempool, as a NIC's rx
// queue fills from the pool it was set up with: the rx lcore relies on that when it returns
// packets straight to the port's pool (kMsgRawFree). Once every order is answered the peer stops
// the appliance with SIGTERM, as an operator would; the appliance prints and writes its summary
// (--summary-json: the latency histograms) and this tool prints the peer's JSON report last.
// Exit: the appliance's exit code if not 0; else 0 when every order was sent and answered, 1 if
// not; 2 for usage errors.
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_ring.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "lcore/runtime.hpp"
#include "lcore/stats.hpp"
#include "perf/order_peer.hpp"
#include "perf/traffic/cli.hpp"
#include "src/app.hpp"
#include "src/common/exit_code.hpp"

namespace {

using namespace sy;

constexpr const char* kTool = "switchyard-bench-exec-ring";
constexpr const char* kUsage =
    "usage: switchyard-bench-exec-ring --config FILE [--set k=v ...] [--summary-json FILE]\n"
    "           --peer-lcore ID@CPU [--ring-size N] [--pps R] [--orders N] [--seed S]\n"
    "           [--flood-ms MS [--burst N] [--breach-percent P] [--window N]] [--linger-ms MS]\n"
    "           [--client-pcap OUT.pcap]\n";
constexpr const char* kRingPrefix = "net_ring_";

struct ToolOptions {
  bool help = false;
  std::string config, summary_json;
  std::vector<std::string> sets;
  uint32_t peer_lcore = 0, peer_cpu = 0;
  bool have_peer = false;
  uint32_t ring_size = 4096;
  perf::PeerOptions peer;
};

ToolOptions parse(int argc, char** argv) {
  ToolOptions o;
  o.peer.flow.orders = 200;
  traffic::cli::Args args(argc, argv);
  while (args.next()) {
    const std::string& a = args.name();
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--config") {
      o.config = args.value();
    } else if (a == "--set") {
      o.sets.push_back(args.value());
    } else if (a == "--summary-json") {
      o.summary_json = args.value();
    } else if (a == "--peer-lcore") {
      const std::string v = args.value();
      const size_t at = v.find('@');
      if (at == std::string::npos) throw traffic::cli::UsageError("--peer-lcore wants ID@CPU");
      o.peer_lcore = static_cast<uint32_t>(traffic::cli::parse_uint(a, v.substr(0, at), 127));
      o.peer_cpu = static_cast<uint32_t>(traffic::cli::parse_uint(a, v.substr(at + 1), 1023));
      o.have_peer = true;
    } else if (a == "--ring-size") {
      o.ring_size = args.u32();
    } else if (a == "--orders") {
      o.peer.flow.orders = args.u32();
    } else if (a == "--seed") {
      o.peer.flow.seed = args.u64();
    } else if (a == "--pps") {
      o.peer.pps = args.u64();
    } else if (a == "--client-pcap") {
      o.peer.client_pcap = args.value();
    } else if (a == "--linger-ms") {
      o.peer.linger_ms = args.u64();
    } else if (a == "--flood-ms") {
      o.peer.flood_ms = args.u64();
    } else if (a == "--burst") {
      o.peer.burst = args.u32();
    } else if (a == "--breach-percent") {
      o.peer.breach_percent = args.u32();
    } else if (a == "--window") {
      o.peer.window = args.u64();
    } else {
      throw traffic::cli::UsageError("unknown argument '" + a + "'");
    }
  }
  if (o.help) return o;
  if (o.config.empty()) throw traffic::cli::UsageError("--config is required");
  if (!o.have_peer) throw traffic::cli::UsageError("--peer-lcore is required");
  if (o.ring_size < 64 || o.ring_size > 65536 || (o.ring_size & (o.ring_size - 1)) != 0)
    throw traffic::cli::UsageError("--ring-size must be a power of two in 64..65536");
  perf::check(o.peer);
  return o;
}

// The two ends of the link and the peer lcore's state; filled by the hooks, in order.
struct RingLink {
  std::string name;  // NAME of net_ring_NAME
  rte_ring* to_appliance = nullptr;
  rte_ring* from_appliance = nullptr;
  uint16_t peer_port = 0;
  rte_mempool* pool = nullptr;  // the appliance port's
  const Runtime* rt = nullptr;
  perf::OrderPeer* peer = nullptr;
  bool cut_short = false;  // the appliance stopped before the peer was done
};

rte_ring* make_ring(const std::string& name, uint32_t size) {
  rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r == nullptr) throw std::runtime_error("ring " + name + ": " + rte_strerror(rte_errno));
  return r;
}

uint16_t from_rings(const std::string& name, rte_ring* rx, rte_ring* tx) {
  const int id = rte_eth_from_rings(name.c_str(), &rx, 1, &tx, 1, SOCKET_ID_ANY);
  if (id < 0)
    throw std::runtime_error("rte_eth_from_rings " + name + ": " + rte_strerror(rte_errno));
  return static_cast<uint16_t>(id);
}

// The appliance is stopping once any of its lcores has returned (rx goes first).
bool appliance_stopping(const Runtime& rt) {
  for (const LcoreRuntime& lc : rt.lcores)
    if (lc.cfg->role != conf::Role::control && lc.stats->finished.load(std::memory_order_acquire))
      return true;
  return false;
}

int peer_main(void* arg) {
  RingLink& link = *static_cast<RingLink*>(arg);
  link.peer->start(link.peer_port, link.pool);
  while (link.peer->step()) {
    if (appliance_stopping(*link.rt)) {
      link.cut_short = true;
      return 0;
    }
  }
  std::raise(SIGTERM);  // the appliance's own stop: drain, summary, integrity report
  return 0;
}

int run(const ToolOptions& o) {
  const conf::Config cfg = conf::load(o.config, o.sets);
  if (cfg.ports.empty() || cfg.ports[0].device.rfind(kRingPrefix, 0) != 0)
    throw traffic::cli::UsageError("port 0 of the config must be a net_ring_NAME device");
  for (const conf::LcoreConfig& lc : cfg.lcores)
    if (lc.id == o.peer_lcore)
      throw traffic::cli::UsageError("--peer-lcore " + std::to_string(o.peer_lcore) +
                                     " is an lcore of the config");
  perf::OrderPeer peer(cfg, o.peer);
  RingLink link;
  link.name = cfg.ports[0].device.substr(std::string(kRingPrefix).size());
  link.peer = &peer;

  EmbedHooks hooks;
  hooks.eal_args = [&](const conf::Config& c, std::vector<std::string>& args) {
    const std::string vdev = "--vdev=" + c.ports[0].device;
    std::vector<std::string> kept;
    for (const std::string& a : args) {
      if (a == vdev || a.rfind(vdev + ",", 0) == 0) continue;  // made in eal_ready instead
      kept.push_back(a);
      if (a.rfind("--lcores=", 0) == 0)
        kept.back() += "," + std::to_string(o.peer_lcore) + "@" + std::to_string(o.peer_cpu);
    }
    args = std::move(kept);
  };
  hooks.eal_ready = [&](const conf::Config&) {
    link.to_appliance = make_ring("p2a_" + link.name, o.ring_size);
    link.from_appliance = make_ring("a2p_" + link.name, o.ring_size);
    from_rings(link.name, link.to_appliance, link.from_appliance);
    link.peer_port = from_rings(link.name + "_peer", link.from_appliance, link.to_appliance);
  };
  hooks.launched = [&](Runtime& rt) {
    link.rt = &rt;
    link.pool = rt.ports[0]->pool;
    rte_eth_conf ec{};
    constexpr uint16_t kDescriptors = 1024;  // ignored by net_ring: the rings are the queues
    if (rte_eth_dev_configure(link.peer_port, 1, 1, &ec) != 0 ||
        rte_eth_rx_queue_setup(link.peer_port, 0, kDescriptors, SOCKET_ID_ANY, nullptr,
                               link.pool) != 0 ||
        rte_eth_tx_queue_setup(link.peer_port, 0, kDescriptors, SOCKET_ID_ANY, nullptr) != 0 ||
        rte_eth_dev_start(link.peer_port) != 0)
      throw std::runtime_error("peer port bring-up failed");
    const int rc = rte_eal_remote_launch(peer_main, &link, o.peer_lcore);
    if (rc != 0) throw std::runtime_error("launch peer lcore: " + std::string(rte_strerror(-rc)));
  };

  sy::Options app;
  app.config_path = o.config;
  app.overrides = o.sets;
  app.summary_json = o.summary_json;
  const int code = run_appliance(app, &hooks);
  nlohmann::json report = peer.report();
  report["cut_short"] = link.cut_short;
  std::cout << report.dump() << std::endl;
  if (code != kExitClean) return code;
  return peer.complete() && !link.cut_short ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ToolOptions o;
  try {
    o = parse(argc, argv);
  } catch (const traffic::cli::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n%s", kTool, e.what(), kUsage);
    return 2;
  }
  if (o.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    return run(o);
  } catch (const traffic::cli::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n%s", kTool, e.what(), kUsage);
    return 2;
  } catch (const conf::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitConfigError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kTool, e.what());
    return 1;
  }
}
