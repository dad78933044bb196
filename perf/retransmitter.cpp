// switchyard-retransmitter: a MoldUDP64 feed and its re-request server on one live DPDK link.
//
// It generates the same A/B feed as switchyard-itch (same config, seed and faults), sends what
// the lines carry at a set rate over its port (e.g. a memif client facing the appliance), and
// answers every MoldUDP64 re-request from the full recorded stream, including the packets that
// neither line carried: that is what lets a test see gaps recovered by re-request end to end.
//
//   switchyard-retransmitter --config FILE [--set k=v ...] --messages N --seed S
//       [--instruments K] [--pps R] [--faults ...] [--mix ...] [--linger-ms MS]
//       -- EAL arguments (one port: the link to the appliance)
//
// Replies go to the source MAC, address and UDP port of the request; their source is the feed's
// retransmit.server_ipv4:server_udp. Only whole messages are put in a reply (MoldUDP64 rule);
// the requester asks again for the rest. Prints what it sent and answered; exit 0 on success.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "perf/traffic/cli.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/itch_feed.hpp"
#include "src/net/wire.hpp"
#include "src/proto/moldudp64.hpp"

namespace {

using namespace sy;

constexpr size_t kReplyPayloadMax = 1400;  // stays under a 1500-byte MTU with the headers

struct Options {
  std::string config;
  std::vector<std::string> sets;
  traffic::ItchFeedSpec spec;
  uint64_t linger_ms = 3000;
  conf::MacAddress server_mac = {0x02, 0x53, 0x59, 0x00, 0x00, 0x09};
};

constexpr const char* kUsage =
    "usage: switchyard-retransmitter --config FILE [--set k=v ...] --messages N --seed S\n"
    "           [--instruments K] [--pps R] [--faults SPEC] [--mix SPEC] [--linger-ms MS]\n"
    "           -- EAL arguments (one port: the link to the appliance)\n";

// Prints the usage (to stderr with the reason for a usage error) and exits: 0 for --help, else 2.
[[noreturn]] void usage(const std::string& why, int code = 2) {
  if (code == 0) {
    std::fputs(kUsage, stdout);
  } else {
    std::fprintf(stderr, "switchyard-retransmitter: %s\n%s", why.c_str(), kUsage);
  }
  std::exit(code);
}

// The full stream: every published message by (session index, sequence).
struct Recorded {
  std::vector<std::map<uint64_t, std::vector<uint8_t>>> sessions;
};

Recorded record(const traffic::GeneratedItch& g) {
  Recorded r;
  r.sessions.resize(g.sessions.size());
  proto::ProtoErrorCounters errors;
  for (const traffic::ItchPacket& p : g.packets) {
    if (!p.data()) continue;
    proto::MoldReader reader(p.payload.data(), p.payload.size(), errors);
    for (proto::MoldBlock b; reader.next(b);)
      r.sessions[p.session][b.sequence].assign(b.data, b.data + b.len);
  }
  return r;
}

bool send_frame(uint16_t port, rte_mempool* pool, const traffic::Frame& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return false;
  char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
  if (dst == nullptr) {
    rte_pktmbuf_free(m);
    return false;
  }
  std::memcpy(dst, f.data(), f.size());
  // A test peer waits for the link to take the frame (up to 100 ms) rather than dropping it:
  // the appliance may share its CPU and fall behind for a scheduler slice.
  const uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 10;
  while (rte_eth_tx_burst(port, 0, &m, 1) != 1) {
    if (rte_rdtsc() > deadline) {
      rte_pktmbuf_free(m);
      return false;
    }
    rte_pause();
  }
  return true;
}

struct Server {
  const conf::FeedConfig* feed;
  const traffic::GeneratedItch* g;
  Recorded rec;
  conf::MacAddress mac;
  uint64_t requests = 0, replies = 0, messages = 0, unknown = 0, unsent = 0;

  // Answers one frame if it is a re-request to us.
  void on_frame(uint16_t port, rte_mempool* pool, const uint8_t* f, uint32_t len) {
    if (len < net::kEtherHeaderLen + net::kIpv4MinHeaderLen + net::kUdpHeaderLen) return;
    if (net::load_be16(f + 12) != net::kEtherTypeIpv4) return;
    const uint8_t* ip = f + net::kEtherHeaderLen;
    const uint32_t ihl = (ip[0] & 0x0fu) * 4u;
    if (ip[9] != net::kIpProtoUdp || len < net::kEtherHeaderLen + ihl + net::kUdpHeaderLen) return;
    const uint8_t* udp = ip + ihl;
    if (net::load_be32(ip + 16) != feed->retransmit->server_ipv4 ||
        net::load_be16(udp + 2) != feed->retransmit->server_udp)
      return;
    proto::MoldRequest req;
    const size_t payload_len = net::load_be16(udp + 4) - net::kUdpHeaderLen;
    if (!proto::parse_mold_request(udp + net::kUdpHeaderLen, payload_len, req)) return;
    ++requests;
    size_t s = 0;
    while (s < g->sessions.size() && !(g->sessions[s] == req.session)) ++s;
    if (s == g->sessions.size()) {
      ++unknown;
      return;
    }
    // Whole messages from the requested sequence on, as many as fit.
    uint8_t payload[kReplyPayloadMax];
    proto::MoldWriter w(payload, sizeof payload, req.session, req.sequence);
    for (uint64_t seq = req.sequence; seq < req.sequence + req.count; ++seq) {
      auto it = rec.sessions[s].find(seq);
      if (it == rec.sessions[s].end()) break;
      uint8_t* block = w.add_block(static_cast<uint16_t>(it->second.size()));
      if (block == nullptr) break;
      std::memcpy(block, it->second.data(), it->second.size());
      ++messages;
    }
    const size_t n = w.finish();
    traffic::UdpSpec spec;
    std::memcpy(spec.eth.dst.data(), f + 6, 6);
    spec.eth.src = mac;
    spec.ip.src = feed->retransmit->server_ipv4;
    spec.ip.dst = net::load_be32(ip + 12);
    spec.src_port = feed->retransmit->server_udp;
    spec.dst_port = net::load_be16(udp);
    const traffic::Frame reply = traffic::build_udp(spec, std::span<const uint8_t>(payload, n));
    if (send_frame(port, pool, reply))
      ++replies;
    else
      ++unsent;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int eal_first = argc;  // EAL arguments follow "--"
  try {
    traffic::cli::Args args(argc, argv);
    while (args.next()) {
      const std::string& a = args.name();
      if (a == "--") {
        eal_first = args.index() + 1;
        break;
      }
      if (a == "--help" || a == "-h") usage("", 0);
      if (a == "--config")
        o.config = args.value();
      else if (a == "--set")
        o.sets.push_back(args.value());
      else if (a == "--messages")
        o.spec.messages = args.u64();
      else if (a == "--seed")
        o.spec.seed = args.u64();
      else if (a == "--instruments")
        o.spec.instruments = args.u32();
      else if (a == "--pps")
        o.spec.pps = args.u32();
      else if (a == "--faults")
        o.spec.faults = traffic::parse_itch_faults(args.value());
      else if (a == "--mix")
        o.spec.mix = traffic::parse_itch_mix(args.value());
      else if (a == "--linger-ms")
        o.linger_ms = args.u64();
      else
        throw traffic::cli::UsageError("unknown argument '" + a + "'");
    }
  } catch (const std::exception& e) {
    usage(e.what());
  }
  if (o.config.empty()) usage("--config is required");

  conf::Config cfg;
  try {
    cfg = conf::load(o.config, o.sets);
  } catch (const conf::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  const conf::FeedConfig& feed = cfg.feeds.at(0);
  if (!feed.retransmit) usage("the feed has no retransmit section");
  o.spec.keep_messages = false;
  const traffic::GeneratedItch g = traffic::generate_itch(cfg, o.spec);

  std::vector<char*> eal = {argv[0]};
  for (int i = eal_first; i < argc; ++i) eal.push_back(argv[i]);
  if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0) {
    std::fprintf(stderr, "switchyard-retransmitter: EAL init failed\n");
    return 1;
  }
  const uint16_t port = 0;
  rte_mempool* pool = rte_pktmbuf_pool_create("rt_pool", 8191, 256, 0, 2176, SOCKET_ID_ANY);
  rte_eth_conf ec{};
  if (pool == nullptr || rte_eth_dev_configure(port, 1, 1, &ec) != 0 ||
      rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr, pool) != 0 ||
      rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr) != 0 ||
      rte_eth_dev_start(port) != 0) {
    std::fprintf(stderr, "switchyard-retransmitter: port bring-up failed\n");
    return 1;
  }
  // Wait for the link (memif: the appliance's server accepting us).
  for (int w = 0; w < 100; ++w) {
    rte_eth_link link{};
    rte_eth_link_get_nowait(port, &link);
    if (link.link_status) break;
    rte_delay_ms(100);
  }
  rte_delay_ms(200);  // let the peer's rx come up after the link

  Server server{&feed, &g, record(g), o.server_mac};
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t start = rte_rdtsc();
  const uint64_t t0 = g.transmissions.empty() ? 0 : g.transmissions.front().timestamp_ns;
  uint64_t sent = 0, unsent = 0;
  size_t next = 0;
  uint64_t done_at = 0;
  rte_mbuf* rx[32];
  for (;;) {
    const uint64_t now = rte_rdtsc();
    const uint64_t elapsed_ns = (now - start) * 1'000'000'000 / hz;
    // The capture's own pacing: transmission i leaves at its timestamp relative to the first.
    while (next < g.transmissions.size() && g.transmissions[next].timestamp_ns - t0 <= elapsed_ns) {
      if (send_frame(port, pool, g.frame(next)))
        ++sent;
      else
        ++unsent;
      ++next;
    }
    const size_t sent_before = next;
    const uint16_t n = rte_eth_rx_burst(port, 0, rx, 32);
    for (uint16_t k = 0; k < n; ++k) {
      server.on_frame(port, pool, rte_pktmbuf_mtod(rx[k], const uint8_t*),
                      rte_pktmbuf_data_len(rx[k]));
      rte_pktmbuf_free(rx[k]);
    }
    if (next == g.transmissions.size()) {
      if (done_at == 0) done_at = now;
      if (now - done_at >= hz * o.linger_ms / 1000) break;
    }
    // Idle politely: it shares CPUs with the appliance's lcores on small hosts.
    if (n == 0 && next == sent_before) rte_delay_us_sleep(10);
  }
  std::printf(
      "switchyard-retransmitter: sent %lu frames (%lu unsent), %lu re-requests, "
      "%lu replies with %lu messages (%lu unsent, %lu for unknown sessions)\n",
      static_cast<unsigned long>(sent), static_cast<unsigned long>(unsent),
      static_cast<unsigned long>(server.requests), static_cast<unsigned long>(server.replies),
      static_cast<unsigned long>(server.messages), static_cast<unsigned long>(server.unsent),
      static_cast<unsigned long>(server.unknown));
  std::fflush(stdout);
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return unsent == 0 ? 0 : 1;
}
