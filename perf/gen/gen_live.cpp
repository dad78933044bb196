// switchyard-gen: live load against a running appliance over one DPDK port (e.g. the memif
// client of the appliance's memif server), with round trips measured from timestamps it embeds.
//
//   switchyard-gen --config APPLIANCE.yaml [--set k=v ...] --profile perf/profiles/steady.yaml
//       [--rate PPS] [--duration-ms MS] [--probe-interval-us US] [--pcap FILE [--match fifo]]
//       [--out RESULT.json] [--linger-ms MS] -- EAL arguments (one port)
//   switchyard-gen --config APPLIANCE.yaml --profile FILE --write-pcap OUT.pcap
//       (no EAL: writes what it would send, for pktgen and offline replays)
//
// What it sends: the MoldUDP64/ITCH A/B feed of the config's first feed (perf/traffic/
// itch_feed.hpp) paced by the profile (steady or burst), or the frames of --pcap (order flows:
// UFO/OUCH client datagrams), plus one round-trip probe every probe_interval_us.
//
// What comes back: market data is one-way, so the round trip is measured with probes the
// appliance really answers on its hot path: an ARP request for the appliance's address whose
// Ethernet padding carries a magic, a sequence number and the TSC at send. The rx lcore turns it
// into the reply in place (src/net/local_responder.cpp) and sends it from its tx queue, padding
// intact: generator tx -> link -> appliance rx queue, classifier, tx queue -> link -> generator
// rx. A reflector (dpdk-testpmd --forward-mode=macswap) returns the probes too, which makes it
// the reference for the same link. With --pcap and --match fifo, the k-th UDP datagram that
// comes back is matched to the k-th frame sent (for request/response order flows answered in
// order once the execution path answers them).
//
// Prints one JSON result (switchyard.gen.v1; --out also writes it); exit 0 when everything was
// sent, 1 on a failure, 2 on a usage or profile error.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "perf/gen/profile.hpp"
#include "perf/traffic/cli.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/itch_feed.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "src/common/histogram.hpp"
#include "src/net/local_responder.hpp"
#include "src/net/wire.hpp"

namespace {

using namespace sy;

constexpr uint32_t kProbeMagic = 0x53594750;  // "SYGP"
constexpr size_t kProbeOffset = 42;           // Ethernet 14 + ARP 28: the padding starts here
constexpr uint64_t kWindowNs = 100'000'000;   // timeline resolution
constexpr uint16_t kBurst = 32;
constexpr uint16_t kMaxRxQueues = 8;

constexpr const char* kUsage =
    "usage: switchyard-gen --config APPLIANCE.yaml [--set k=v ...] --profile FILE\n"
    "           [--rate PPS] [--duration-ms MS] [--probe-interval-us US]\n"
    "           [--pcap FILE [--match fifo]] [--out RESULT.json] [--linger-ms MS]\n"
    "           [--rx-queues N (the appliance's tx queues on the port; default 3)]\n"
    "           [--idle sleep|spin (default sleep: frees the CPU between bursts)]\n"
    "           -- EAL arguments (one port: the link to the appliance)\n"
    "       switchyard-gen --config APPLIANCE.yaml --profile FILE --write-pcap OUT.pcap\n";

[[noreturn]] void usage(const std::string& why, int code = 2) {
  if (code == 0)
    std::fputs(kUsage, stdout);
  else
    std::fprintf(stderr, "switchyard-gen: %s\n%s", why.c_str(), kUsage);
  std::exit(code);
}

struct Options {
  std::string config, profile, pcap, match, out, write_pcap;
  std::vector<std::string> sets;
  std::optional<uint64_t> rate, duration_ms;
  std::optional<uint32_t> probe_interval_us;
  uint64_t linger_ms = 300;
  uint16_t rx_queues = 3;
  bool idle_sleep = true;
};

struct Endpoints {
  conf::MacAddress appliance_mac{}, own_mac{0x02, 0x53, 0x59, 0x00, 0x00, 0x01};
  uint32_t appliance_ip = 0, own_ip = 0;
};

traffic::Frame probe_frame(const Endpoints& ep, uint32_t seq, uint64_t tsc) {
  traffic::ArpSpec a;
  a.eth.dst = traffic::kBroadcastMac;
  a.eth.src = ep.own_mac;
  a.op = traffic::ArpOp::request;
  a.sender_mac = ep.own_mac;
  a.sender_ip = ep.own_ip;
  a.target_ip = ep.appliance_ip;
  traffic::Frame f = traffic::build_arp(a);
  if (f.size() < kProbeOffset + 16) f.resize(kProbeOffset + 16, 0);
  net::store_be32(f.data() + kProbeOffset, kProbeMagic);
  net::store_be32(f.data() + kProbeOffset + 4, seq);
  std::memcpy(f.data() + kProbeOffset + 8, &tsc, 8);
  return f;
}

// The frames to send, rendered once.
std::vector<traffic::Frame> market_data(const conf::Config& cfg, const gen::Profile& p,
                                        uint64_t rate, uint64_t duration_ms) {
  traffic::ItchFeedSpec spec;
  spec.seed = p.seed;
  spec.instruments = p.instruments;
  spec.per_packet = p.per_packet;
  spec.keep_messages = false;
  spec.pps = static_cast<uint32_t>(std::max<uint64_t>(1, rate / 2));  // per line
  if (p.b_delay_us) spec.b_delay_ns = uint64_t{*p.b_delay_us} * 1000;
  const uint64_t frames = std::min<uint64_t>(p.max_frames, rate * duration_ms / 1000 + 1);
  spec.messages = std::max<uint64_t>(100, frames / 2 * (1 + p.per_packet) / 2);
  const traffic::GeneratedItch g = traffic::generate_itch(cfg, spec);
  std::vector<traffic::Frame> out;
  out.reserve(g.transmissions.size());
  for (size_t i = 0; i < g.transmissions.size(); ++i) out.push_back(g.frame(i));
  return out;
}

struct Window {
  uint64_t tx = 0, rx = 0;
  HistogramSnapshot rtt;
};

nlohmann::json rtt_json(const HistogramSnapshot& h) {
  return {{"count", h.count},
          {"p50", h.quantile(0.50)},
          {"p90", h.quantile(0.90)},
          {"p99", h.quantile(0.99)},
          {"p999", h.quantile(0.999)},
          {"max", h.max},
          {"mean", h.count ? static_cast<double>(h.sum) / static_cast<double>(h.count) : 0.0}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int eal_first = argc;
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
      else if (a == "--profile")
        o.profile = args.value();
      else if (a == "--rate")
        o.rate = args.u64();
      else if (a == "--duration-ms")
        o.duration_ms = args.u64();
      else if (a == "--probe-interval-us")
        o.probe_interval_us = args.u32();
      else if (a == "--pcap")
        o.pcap = args.value();
      else if (a == "--match")
        o.match = args.value();
      else if (a == "--out")
        o.out = args.value();
      else if (a == "--write-pcap")
        o.write_pcap = args.value();
      else if (a == "--linger-ms")
        o.linger_ms = args.u64();
      else if (a == "--idle") {
        const std::string v = args.value();
        if (v != "sleep" && v != "spin") throw traffic::cli::UsageError("--idle: sleep or spin");
        o.idle_sleep = v == "sleep";
      } else if (a == "--rx-queues")
        o.rx_queues = static_cast<uint16_t>(std::clamp<uint32_t>(args.u32(), 1, kMaxRxQueues));
      else
        throw traffic::cli::UsageError("unknown argument '" + a + "'");
    }
  } catch (const std::exception& e) {
    usage(e.what());
  }
  if (o.config.empty() || o.profile.empty()) usage("--config and --profile are required");
  if (!o.match.empty() && (o.match != "fifo" || o.pcap.empty()))
    usage("--match fifo goes with --pcap");
  if (o.rate && *o.rate == 0) usage("--rate must be positive");

  conf::Config cfg;
  gen::Profile prof;
  try {
    cfg = conf::load(o.config, o.sets);
    prof = gen::load_profile(o.profile);
  } catch (const conf::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const gen::ProfileError& e) {
    std::fprintf(stderr, "switchyard-gen: %s\n", e.what());
    return 2;
  }
  if (o.rate) prof.rate_pps = *o.rate;
  if (o.duration_ms) prof.duration_ms = *o.duration_ms;
  if (o.probe_interval_us) prof.probe_interval_us = *o.probe_interval_us;

  // The appliance's port facing us: its address answers the probes; ours is its next hop.
  const conf::PortConfig& port_cfg = cfg.ports.at(0);
  Endpoints ep;
  if (!port_cfg.ipv4 || !port_cfg.mac)
    usage("the appliance's first port needs ipv4 and mac (the probes' target)");
  ep.appliance_ip = *port_cfg.ipv4;
  ep.appliance_mac = *port_cfg.mac;
  ep.own_ip = port_cfg.next_hop_ipv4.value_or(ep.appliance_ip ^ 1u);
  if (port_cfg.next_hop_mac) ep.own_mac = *port_cfg.next_hop_mac;

  std::vector<traffic::Frame> frames;
  try {
    if (!o.pcap.empty()) {
      for (auto& r : traffic::read_pcap(o.pcap)) {
        if (r.data.size() < net::kEtherHeaderLen) continue;
        std::memcpy(r.data.data(), ep.appliance_mac.data(), 6);  // to the appliance
        frames.push_back(std::move(r.data));
      }
      if (frames.empty()) usage("--pcap " + o.pcap + " holds no Ethernet frames");
    } else {
      frames = market_data(cfg, prof, prof.rate_pps, prof.duration_ms);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard-gen: %s\n", e.what());
    return 2;
  }

  if (!o.write_pcap.empty()) {
    // The same stream, paced as the profile says, probes included (their TSC field is zero).
    traffic::PcapWriter w(o.write_pcap);
    const uint64_t t0 = 1'704'101'400'000'000'000;
    uint64_t next_probe = 0, seq = 0;
    const uint64_t total =
        std::min<uint64_t>(frames.size(), prof.frames_due(prof.duration_ms * 1'000'000));
    uint64_t elapsed = 0;
    for (uint64_t i = 0; i < total; ++i) {
      while (prof.frames_due(elapsed) <= i) elapsed += 1000;  // 1 us steps
      while (prof.probe_interval_us && next_probe <= elapsed) {
        w.write(t0 + next_probe, probe_frame(ep, static_cast<uint32_t>(seq++), 0));
        next_probe += uint64_t{prof.probe_interval_us} * 1000;
      }
      w.write(t0 + elapsed, frames[i]);
    }
    w.close();
    std::printf("switchyard-gen: wrote %lu frames and %lu probes to %s\n",
                static_cast<unsigned long>(total), static_cast<unsigned long>(seq),
                o.write_pcap.c_str());
    return 0;
  }

  std::vector<char*> eal = {argv[0]};
  for (int i = eal_first; i < argc; ++i) eal.push_back(argv[i]);
  if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0) {
    std::fprintf(stderr, "switchyard-gen: EAL init failed\n");
    return 1;
  }
  if (rte_eth_dev_count_avail() < 1) {
    std::fprintf(stderr, "switchyard-gen: no port (give one --vdev)\n");
    return 1;
  }
  const uint16_t port = 0;
  rte_mempool* pool = rte_pktmbuf_pool_create("gen_pool", 16383, 256, 0, 2176, SOCKET_ID_ANY);
  // The appliance sends from one tx queue per sending role, and over memif each of its tx
  // queues is one of our rx queues: poll several, or replies from the others are never seen.
  rte_eth_dev_info info{};
  rte_eth_dev_info_get(port, &info);
  const uint16_t rx_queues = std::min<uint16_t>(o.rx_queues, info.max_rx_queues);
  rte_eth_conf ec{};
  bool port_ok = pool != nullptr && rte_eth_dev_configure(port, rx_queues, 1, &ec) == 0;
  for (uint16_t q = 0; port_ok && q < rx_queues; ++q)
    port_ok = rte_eth_rx_queue_setup(port, q, 1024, SOCKET_ID_ANY, nullptr, pool) == 0;
  port_ok = port_ok && rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, nullptr) == 0 &&
            rte_eth_dev_start(port) == 0;
  if (!port_ok) {
    std::fprintf(stderr, "switchyard-gen: port bring-up failed\n");
    return 1;
  }
  bool up = false;
  for (int w = 0; w < 100 && !up; ++w) {
    rte_eth_link link{};
    rte_eth_link_get_nowait(port, &link);
    up = link.link_status != 0;
    if (!up) rte_delay_ms(100);
  }
  if (!up) {
    std::fprintf(stderr, "switchyard-gen: the link did not come up within 10 s\n");
    return 1;
  }
  rte_delay_ms(200);  // let the peer's rx come up after the link

  const uint64_t hz = rte_get_tsc_hz();
  auto ns_of = [hz](uint64_t ticks) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<uint64_t>(static_cast<u128>(ticks) * 1'000'000'000 / hz);
  };
  const bool fifo = o.match == "fifo";
  std::vector<uint64_t> sent_tsc;  // fifo matching: TSC of each frame sent, in order
  if (fifo) sent_tsc.reserve(frames.size() * 2);

  uint64_t md_sent = 0, bytes = 0, refused = 0, probes = 0, probe_unsent = 0;
  uint64_t rx_frames = 0, replies = 0, foreign_probes = 0, arp_answered = 0, udp = 0, other = 0;
  uint64_t fifo_matched = 0;
  HistogramSnapshot rtt, fifo_rtt;
  std::vector<nlohmann::json> timeline;
  Window win;
  const uint64_t start = rte_rdtsc();
  const uint64_t run_ticks = hz * prof.duration_ms / 1000;
  const uint64_t probe_ticks = hz * prof.probe_interval_us / 1'000'000;
  uint64_t next_probe = start, next_window = start + hz * kWindowNs / 1'000'000'000;
  // Every frame of the schedule is sent: a loop that was late at the end (descheduled) sends
  // its debt within a grace second rather than dropping it; the rate is then reported over the
  // time it really took.
  const uint64_t total_due = prof.frames_due(prof.duration_ms * 1'000'000);
  const uint64_t grace_ticks = hz;
  uint64_t end_linger = 0, last_send = start;
  rte_mbuf* burst[kBurst];

  uint64_t last_loop = start, max_gap = 0, stalls = 0;  // host noise: how long we were away
  for (;;) {
    const uint64_t now = rte_rdtsc();
    if (now - last_loop > max_gap) max_gap = now - last_loop;
    if (now - last_loop > hz / 100) ++stalls;  // 10 ms without a loop: descheduled
    last_loop = now;
    const bool sending = md_sent < total_due && now - start < run_ticks + grace_ticks;
    if (!sending && end_linger == 0)
      end_linger = std::max(now, start + run_ticks) + hz * o.linger_ms / 1000;
    if (!sending && now >= end_linger) break;
    if (sending) {
      // Probes go first: a data stream that keeps the link's ring full must not starve them.
      // A refused probe is retried next time round and stamped when it really leaves.
      if (probe_ticks && now >= next_probe && now - start < run_ticks) {
        const traffic::Frame f = probe_frame(ep, static_cast<uint32_t>(probes), rte_rdtsc());
        rte_mbuf* m = rte_pktmbuf_alloc(pool);
        if (m != nullptr) {
          std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
          if (rte_eth_tx_burst(port, 0, &m, 1) == 1) {
            ++probes;
            next_probe += probe_ticks;
            if (next_probe < now) next_probe = now + probe_ticks;  // no catch-up flood
          } else {
            rte_pktmbuf_free(m);
            ++probe_unsent;
          }
        }
      }
      const uint64_t due = std::min(prof.frames_due(ns_of(now - start)), total_due);
      const uint16_t n = static_cast<uint16_t>(std::min<uint64_t>(due - md_sent, kBurst));
      if (n > 0 && rte_pktmbuf_alloc_bulk(pool, burst, n) == 0) {
        for (uint16_t k = 0; k < n; ++k) {
          const traffic::Frame& f = frames[(md_sent + k) % frames.size()];
          std::memcpy(rte_pktmbuf_append(burst[k], static_cast<uint16_t>(f.size())), f.data(),
                      f.size());
        }
        const uint16_t ok = rte_eth_tx_burst(port, 0, burst, n);
        const uint64_t t = rte_rdtsc();
        for (uint16_t k = 0; k < ok; ++k) {
          bytes += frames[(md_sent + k) % frames.size()].size();
          if (fifo) sent_tsc.push_back(t);
        }
        md_sent += ok;
        if (ok) last_send = t;
        win.tx += ok;
        // Not accepted: freed and sent again next time round (the schedule keeps the debt).
        if (ok < n) {
          refused += n - ok;
          rte_pktmbuf_free_bulk(burst + ok, n - ok);
        }
      }
    }
    uint16_t n = 0;
    for (uint16_t q = 0; q < rx_queues && n == 0; ++q) n = rte_eth_rx_burst(port, q, burst, kBurst);
    const uint64_t t_rx = rte_rdtsc();
    for (uint16_t k = 0; k < n; ++k) {
      uint8_t* f = rte_pktmbuf_mtod(burst[k], uint8_t*);
      const uint32_t len = rte_pktmbuf_data_len(burst[k]);
      ++rx_frames;
      ++win.rx;
      const uint16_t type = len >= 14 ? net::load_be16(f + 12) : 0;
      if (type == net::kEtherTypeArp && len >= kProbeOffset + 16 &&
          net::load_be32(f + kProbeOffset) == kProbeMagic) {
        uint64_t tsc;
        std::memcpy(&tsc, f + kProbeOffset + 8, 8);
        if (tsc <= t_rx && tsc >= start) {
          const uint64_t ns = ns_of(t_rx - tsc);
          rtt.record(ns);
          win.rtt.record(ns);
          ++replies;
        } else {
          ++foreign_probes;
        }
      } else if (type == net::kEtherTypeArp &&
                 net::arp_reply_in_place(f, len, net::kEtherHeaderLen, ep.own_mac, ep.own_ip)) {
        // The appliance resolving its next hop (us): answer, as a host would.
        if (rte_eth_tx_burst(port, 0, &burst[k], 1) == 1) {
          ++arp_answered;
          burst[k] = nullptr;
        }
      } else if (type == net::kEtherTypeIpv4 && len > 23 && f[23] == net::kIpProtoUdp) {
        ++udp;
        if (fifo && fifo_matched < sent_tsc.size()) {
          fifo_rtt.record(ns_of(t_rx - sent_tsc[fifo_matched++]));
        }
      } else {
        ++other;
      }
      if (burst[k] != nullptr) rte_pktmbuf_free(burst[k]);
    }
    if (now >= next_window) {
      next_window += hz * kWindowNs / 1'000'000'000;
      timeline.push_back({{"t_ms", ns_of(now - start) / 1'000'000},
                          {"tx_pps", win.tx * 1'000'000'000 / kWindowNs},
                          {"rx_pps", win.rx * 1'000'000'000 / kWindowNs},
                          {"rtt_p50_ns", win.rtt.quantile(0.5)},
                          {"rtt_p99_ns", win.rtt.quantile(0.99)},
                          {"probes_answered", win.rtt.count}});
      win = Window{};
    }
    // Nothing due and nothing received: on a small host the CPU is worth more to the peer's
    // other lcores than to our polling (a reply then waits up to one sleep, ~50-80 us here).
    if (n == 0 && (!sending || o.idle_sleep) &&
        prof.frames_due(ns_of(rte_rdtsc() - start)) == md_sent)
      rte_delay_us_sleep(10);
  }
  const double secs = std::max(static_cast<double>(prof.duration_ms) / 1000.0,
                               static_cast<double>(ns_of(last_send - start)) / 1e9);
  rte_eth_stats st{};
  rte_eth_stats_get(port, &st);
  nlohmann::json r;
  r["port"] = {{"ipackets", st.ipackets},   {"opackets", st.opackets}, {"imissed", st.imissed},
               {"rx_nombuf", st.rx_nombuf}, {"ierrors", st.ierrors},   {"oerrors", st.oerrors}};
  r["schema"] = "switchyard.gen.v1";
  r["profile"] = prof.name;
  r["pattern"] = prof.pattern == gen::Pattern::steady ? "steady" : "burst";
  r["source"] = o.pcap.empty() ? "itch" : o.pcap;
  r["rate_pps_target"] = prof.rate_pps;
  r["duration_s"] = secs;  // first send to last (at least the profile's duration)
  r["sent"] = {{"frames", md_sent + probes},
               {"data_frames", md_sent},
               {"bytes", bytes},
               {"probes", probes},
               {"probe_retries", probe_unsent},
               {"tx_refused_retried", refused}};
  r["achieved_pps"] = static_cast<double>(md_sent + probes) / secs;
  r["received"] = {
      {"frames", rx_frames}, {"probe_replies", replies}, {"arp_requests_answered", arp_answered},
      {"udp", udp},          {"other", other},           {"foreign_probes", foreign_probes}};
  r["probes_lost"] = probes - std::min(probes, replies);
  r["host_noise"] = {{"max_loop_gap_us", ns_of(max_gap) / 1000}, {"stalls_over_10ms", stalls}};
  r["rtt_ns"] = rtt_json(rtt);
  // The distribution itself (non-empty log-linear buckets), for plots and comparisons.
  nlohmann::json hist = nlohmann::json::array();
  for (size_t b = 0; b < kHistBuckets; ++b)
    if (rtt.buckets[b])
      hist.push_back({hist_bucket_lower(b), hist_bucket_upper(b), rtt.buckets[b]});
  r["rtt_histogram"] = hist;
  if (fifo) r["fifo_rtt_ns"] = rtt_json(fifo_rtt);
  r["timeline"] = timeline;
  const std::string text = r.dump(2);
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
  if (!o.out.empty()) {
    std::ofstream out(o.out);
    out << text << "\n";
  }
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  // Done when every scheduled frame left (within the grace second) and, with probes, the link
  // carried at least one round trip.
  const uint64_t due = total_due;
  const bool kept = md_sent >= due;
  const bool round_trip = probes == 0 || replies > 0;
  if (!kept)
    std::fprintf(stderr, "switchyard-gen: sent %lu of %lu frames due\n",
                 static_cast<unsigned long>(md_sent), static_cast<unsigned long>(due));
  if (!round_trip) std::fprintf(stderr, "switchyard-gen: no probe came back\n");
  return kept && round_trip ? 0 : 1;
}
