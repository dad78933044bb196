// switchyard-venue: the far side of the appliance's order path on one live DPDK link (e.g. a
// memif client facing the appliance): the venue, a strategy client and the market data the
// risk gate prices against (perf/order_peer.hpp says what each does).
//
//   switchyard-venue --config APPLIANCE.yaml [--set k=v ...] [--orders N] [--seed S] [--pps R]
//       [--client-pcap OUT.pcap] [--linger-ms MS] [--stay-ms MS] [--venue-retransmit N]
//       [--venue-silent-lost]
//       [--flood-ms MS [--burst N] [--breach-percent P] [--window N]]
//       -- EAL arguments (one port)
//
// Prints one JSON object: the flow's truth, what the client received, what the venue did.
// Exit 0 when every order was sent and answered, 1 otherwise, 2 for usage errors.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "perf/order_peer.hpp"
#include "perf/traffic/cli.hpp"

namespace {

using namespace sy;

constexpr const char* kTool = "switchyard-venue";
constexpr const char* kUsage =
    "usage: switchyard-venue --config FILE [--set k=v ...] [--orders N] [--seed S] [--pps R]\n"
    "           [--client-pcap OUT.pcap] [--linger-ms MS] [--stay-ms MS] [--venue-retransmit N]\n"
    "           [--venue-silent-lost]\n"
    "           [--flood-ms MS [--burst N] [--breach-percent P] [--window N]] -- EAL arguments "
    "(one port)\n";

struct Options {
  bool help = false;
  std::string config;
  std::vector<std::string> sets;
  perf::PeerOptions peer;
  int eal_first = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  o.peer.flow.orders = 200;
  o.eal_first = argc;
  traffic::cli::Args args(argc, argv);
  while (args.next()) {
    const std::string& a = args.name();
    if (a == "--") {
      o.eal_first = args.index() + 1;
      break;
    }
    if (a == "--help" || a == "-h")
      o.help = true;
    else if (a == "--config")
      o.config = args.value();
    else if (a == "--set")
      o.sets.push_back(args.value());
    else if (a == "--orders")
      o.peer.flow.orders = args.u32();
    else if (a == "--seed")
      o.peer.flow.seed = args.u64();
    else if (a == "--pps")
      o.peer.pps = args.u64();
    else if (a == "--client-pcap")
      o.peer.client_pcap = args.value();
    else if (a == "--linger-ms")
      o.peer.linger_ms = args.u64();
    else if (a == "--stay-ms")
      o.peer.stay_ms = args.u64();
    else if (a == "--venue-retransmit")
      o.peer.venue_retransmit = args.u32();
    else if (a == "--venue-silent-lost")
      o.peer.venue_silent_lost = true;
    else if (a == "--flood-ms")
      o.peer.flood_ms = args.u64();
    else if (a == "--burst")
      o.peer.burst = args.u32();
    else if (a == "--breach-percent")
      o.peer.breach_percent = args.u32();
    else if (a == "--window")
      o.peer.window = args.u64();
    else
      throw traffic::cli::UsageError("unknown argument '" + a + "'");
  }
  if (o.help) return o;
  if (o.config.empty()) throw traffic::cli::UsageError("--config is required");
  perf::check(o.peer);
  return o;
}

int run(const Options& o, int argc, char** argv) {
  const conf::Config cfg = conf::load(o.config, o.sets);
  perf::OrderPeer peer(cfg, o.peer);

  std::vector<char*> eal = {argv[0]};
  for (int i = o.eal_first; i < argc; ++i) eal.push_back(argv[i]);
  if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0)
    throw std::runtime_error("EAL init failed");
  const uint16_t port = 0;
  rte_mempool* pool = rte_pktmbuf_pool_create("venue_pool", o.peer.flood_ms ? 32767 : 8191, 256, 0,
                                              2176, SOCKET_ID_ANY);
  rte_eth_conf ec{};
  if (pool == nullptr || rte_eth_dev_configure(port, 1, 1, &ec) != 0 ||
      rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr, pool) != 0 ||
      rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr) != 0 ||
      rte_eth_dev_start(port) != 0)
    throw std::runtime_error("port bring-up failed");
  bool up = false;
  for (int w = 0; w < 300 && !up; ++w) {
    rte_eth_link link{};
    rte_eth_link_get_nowait(port, &link);
    up = link.link_status != 0;
    if (!up) rte_delay_ms(100);
  }
  if (!up) throw std::runtime_error("the link to the appliance did not come up within 30 s");
  rte_delay_ms(200);

  peer.start(port, pool);
  while (peer.step()) {
  }
  std::printf("%s\n", peer.report().dump().c_str());
  std::fflush(stdout);
  const bool complete = peer.complete();
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
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
    return run(o, argc, argv);
  } catch (const traffic::cli::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n%s", kTool, e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kTool, e.what());
    return 1;
  }
}
